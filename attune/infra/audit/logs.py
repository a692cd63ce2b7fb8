"""Learner-identifying fields never reach a log line as they are: a structlog processor
replaces them with a keyed pseudonym per tenant (HMAC-SHA-256 under a process key), so the
lines of one learner still correlate while nobody reading the logs learns the id. Both
deployables install it at startup (:func:`install_log_pseudonyms`)."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import MutableMapping
from typing import Any

import structlog

# Fields that name a learner or a person; their values become pseudonyms.
LEARNER_FIELDS = ("learner_id", "learner", "learner_ids", "sub", "user_id", "email", "given_name")


class LogPseudonymiser:
    """The processor. ``key``: random per process by default, so a learner's lines
    correlate within a process's life and cannot be joined across restarts or processes."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or os.urandom(32)

    def pseudonym(self, tenant: str, value: str) -> str:
        digest = hmac.new(self._key, f"{tenant}\n{value}".encode(), hashlib.sha256)
        return "p-" + digest.hexdigest()[:16]

    def __call__(
        self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        tenant = str(event_dict.get("tenant", ""))
        for name in LEARNER_FIELDS:
            value = event_dict.get(name)
            if isinstance(value, str) and value:
                event_dict[name] = self.pseudonym(tenant, value)
            elif isinstance(value, list | tuple):
                event_dict[name] = [self.pseudonym(tenant, str(v)) for v in value]
        return event_dict


def install_log_pseudonyms(key: bytes | None = None) -> LogPseudonymiser:
    """Put a :class:`LogPseudonymiser` in structlog's chain, right after the context is
    merged (so a learner bound to the context is covered too); idempotent."""
    processors = list(structlog.get_config()["processors"])
    for existing in processors:
        if isinstance(existing, LogPseudonymiser):
            return existing
    found = LogPseudonymiser(key)
    merge = structlog.contextvars.merge_contextvars
    at = processors.index(merge) + 1 if merge in processors else 0
    processors.insert(at, found)
    structlog.configure(processors=processors)
    return found

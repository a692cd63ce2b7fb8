"""Which learner an inbound actor is.

An xAPI account on the tenant's own home page is one of our learners: the outbound builders
put the engine's learner id there unchanged (``gateway.statements.xapi.actor``), so its
name is the learner id. Likewise a Caliper Person whose id is one of our learner IRIs. Any
other actor gets a stable pseudonym: a SHA-256 of the tenant and the actor's identifier, so
the engine never stores an email address or another system's user id, and the same person
in two tenants is two unlinkable learners. An ``mbox`` is first turned into its
``mbox_sha1sum`` (xAPI 1.0.3 Data §2.4.2.3, domain in lower case), so a tool that sends the
hash and one that sends the address reach the same learner.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from tincan import Group

MAX_LEARNER_ID_LEN = 200


def pseudonym(prefix: str, tenant: str, *identifier: str) -> str:
    """``prefix`` + 32 hex digits of SHA-256 over the tenant and the identifier's parts."""
    name = json.dumps([tenant, *identifier], ensure_ascii=False)
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:32]


def xapi_learner(actor: Any, tenant: str, home_pages: Iterable[str]) -> str | None:
    """The learner id of a tincan Agent, or ``None`` for a Group (answers are a learner's)."""
    if isinstance(actor, Group):
        return None
    account = actor.account
    if account is not None:
        ours = {page.rstrip("/") for page in home_pages}
        name = account.name
        if account.home_page.rstrip("/") in ours and _usable(name):
            return str(name)
        return pseudonym("xapi-", tenant, "account", account.home_page, name)
    if actor.mbox is not None:
        local, _, domain = actor.mbox.removeprefix("mailto:").partition("@")
        digest = hashlib.sha1(f"mailto:{local}@{domain.lower()}".encode()).hexdigest()
        return pseudonym("xapi-", tenant, "mbox_sha1sum", digest)
    if actor.mbox_sha1sum is not None:
        return pseudonym("xapi-", tenant, "mbox_sha1sum", actor.mbox_sha1sum.lower())
    return pseudonym("xapi-", tenant, "openid", str(actor.openid))


def caliper_learner(person: Any, tenant: str, activity_bases: Iterable[str]) -> str:
    """The learner id of a Caliper Person (an entity or its IRI)."""
    ident = str(person["id"] if isinstance(person, dict) else person)
    for base in activity_bases:
        prefix = base.rstrip("/") + "/learners/"
        rest = ident[len(prefix) :] if ident.startswith(prefix) else ""
        if rest and "/" not in rest and "?" not in rest and "#" not in rest:
            try:
                learner = unquote(rest, errors="strict")
            except UnicodeDecodeError:
                break
            if _usable(learner):
                return learner
    return pseudonym("caliper-", tenant, "person", ident)


def _usable(name: Any) -> bool:
    return isinstance(name, str) and bool(name.strip()) and len(name) <= MAX_LEARNER_ID_LEN

"""Session tokens and one-time secrets never reach a log line.

A page's session token is in its path (``/practice/<token>``), and so are the deep-linking
picker's and the one-time registration URL's; credentials travel in query strings and headers.
:func:`redact` blanks them out of any text; :func:`redact_event` does it to every string of a
structlog event, and :class:`RedactingFilter` to the stdlib records of waitress and Flask.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
# A path segment that is a secret: the one after these prefixes.
_SECRET_PATHS = re.compile(r"(/(?:practice|instructor|lti/deep-link|lti/register)/)[^/?#\s\"'<>]+")
# Query parameters and form fields that carry a credential.
_SECRET_PARAMS = re.compile(
    r"(?i)\b((?:registration_token|id_token|access_token|token|jwt|lti_message_hint)=)"
    r"[^&\s\"'<>]+"
)
_BEARER = re.compile(r"(?i)\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=\-]+")
# The stdlib loggers whose lines can carry a request path; Flask's is named after the app.
STDLIB_LOGGERS = ("waitress", "waitress.queue", "attune.gateway.web", "werkzeug")


def redact(text: str) -> str:
    """``text`` with every token-bearing path segment, credential parameter and bearer value
    replaced by ``[redacted]``."""
    if "/" not in text and "=" not in text and " " not in text:
        return text
    text = _SECRET_PATHS.sub(rf"\1{REDACTED}", text)
    text = _SECRET_PARAMS.sub(rf"\1{REDACTED}", text)
    return _BEARER.sub(rf"\1{REDACTED}", text)


def redact_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: :func:`redact` over every string value of the event."""
    for name, value in event_dict.items():
        if isinstance(value, str):
            event_dict[name] = redact(value)
        elif isinstance(value, list | tuple):
            event_dict[name] = [redact(v) if isinstance(v, str) else v for v in value]
    return event_dict


class RedactingFilter(logging.Filter):
    """A stdlib logging filter that redacts the formatted message and the traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction() -> None:
    """Redact in every structlog line (before the renderer) and in the stdlib loggers that
    can see a path. Idempotent. Loggers cached before this call keep their old chain, so the
    gateway calls it before it serves anything."""
    processors = list(structlog.get_config()["processors"])
    if redact_event not in processors:
        processors.insert(max(len(processors) - 1, 0), redact_event)
        structlog.configure(processors=processors)
    for name in STDLIB_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())

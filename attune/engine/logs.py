"""structlog, configured once at startup: JSON off a terminal, console on one."""

from __future__ import annotations

import logging
import sys

import structlog

from attune.infra.audit.logs import LogPseudonymiser
from attune.infra.tracing import add_trace_ids


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Route structlog to stderr with the request context merged into every line."""
    json_out = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json_out else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_trace_ids,  # trace_id/span_id of the current span (issue 17)
            LogPseudonymiser(),  # learner ids only as keyed pseudonyms (issue 16 part 6)
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )

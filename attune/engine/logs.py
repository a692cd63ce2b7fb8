"""structlog, configured once at startup: JSON off a terminal, console on one."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from attune.infra.audit.logs import LogPseudonymiser
from attune.infra.tracing import add_trace_ids


def configure_logging(level: str = "info", fmt: str = "auto", worker: int | None = None) -> None:
    """Route structlog to stderr with the request context merged into every line (and
    ``worker``, the index of a supervised engine worker, when given)."""
    json_out = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json_out else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *([_WorkerField(worker)] if worker is not None else []),
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


class _WorkerField:
    """Adds ``worker=<index>`` to every line of a supervised engine worker."""

    def __init__(self, worker: int) -> None:
        self.worker = worker

    def __call__(
        self, logger: object, name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event.setdefault("worker", self.worker)
        return event

"""Export the engine's event log from its embedded store to JSON Lines, for offline fitting.

The store is opened the way the engine opens it (:meth:`SqliteStore.open`), which takes the
data directory's exclusive lock: the export runs while the engine is stopped. A running
engine makes it fail with :class:`~engine.domain.errors.UnavailableError`, never read a store
that another process is writing.

Each line is one logged response, in log order::

    {"tenant": ..., "event_id": ..., "learner_id": ..., "course_id": ..., "item_id": ...,
     "score": 0.0..1.0, "response_time_ms": ..., "occurred_at": epoch s,
     "credibility": 0.0..1.0, "log_id": ...}

Learner ids are the pseudonymous ids the engine was given; they are written unchanged.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.records import LoggedEvent

PAGE_SIZE = 1000
STORE_FILE = "attune.db"  # the file the engine's factory opens under --data-dir


class ExportError(ValueError):
    """The export cannot start; the message names the missing store, tenant or course."""


def export_events(data_dir: Path, tenant: str, course_id: str | None, out: Path) -> int:
    """Write the tenant's events (of one course, or all) to ``out``; return how many.

    Raises :class:`ExportError` when there is no store under ``data_dir`` and
    :class:`~engine.domain.errors.UnavailableError` when an engine holds it.
    """
    return asyncio.run(export_events_async(data_dir, tenant, course_id, out))


async def export_events_async(data_dir: Path, tenant: str, course_id: str | None, out: Path) -> int:
    """:func:`export_events` for callers that already run an event loop."""
    db = data_dir / STORE_FILE
    # SqliteStore.open would create an empty store here: a typo must not look like no data.
    if not db.is_file():
        raise ExportError(f"no embedded store at {db} (is --data-dir the engine's?)")
    store = SqliteStore.open(db)
    # Write beside the target and rename at the end, so an interrupted export never
    # leaves a file that looks complete.
    partial = out.with_name(out.name + ".part")
    count = 0
    try:
        with partial.open("w", encoding="utf-8") as fh:
            after = 0
            while True:
                if course_id is None:
                    page = await store.read_events(tenant, after, PAGE_SIZE)
                else:
                    page = await store.read_course_events(tenant, course_id, after, PAGE_SIZE)
                if not page:
                    break
                for event in page:
                    fh.write(json.dumps(event_to_json(event), separators=(",", ":")) + "\n")
                count += len(page)
                after = page[-1].log_id
        if (
            count == 0
            and course_id is not None
            and await store.get_course(tenant, course_id) is None
        ):
            raise ExportError(f"no course {course_id!r} in tenant {tenant!r} at {db}")
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
        await store.close()
    return count


def event_to_json(event: LoggedEvent) -> dict[str, object]:
    """The exported fields of one logged event (the reply and bookkeeping are left out)."""
    return {
        "tenant": event.tenant,
        "event_id": event.event_id,
        "learner_id": event.learner_id,
        "course_id": event.course_id,
        "item_id": event.item_id,
        "score": event.score,
        "response_time_ms": event.response_time_ms,
        "occurred_at": event.occurred_at,
        "credibility": event.credibility,
        "log_id": event.log_id,
    }

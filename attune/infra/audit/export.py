"""The trail as JSON lines and as CSV (one record per line/row, every field)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from attune.infra.audit.record import AuditRecord

CSV_COLUMNS = (
    "tenant", "seq", "at", "actor", "action", "source", "target", "learner_id",
    "learner_ref", "peer", "reason", "request_id", "outcome", "details", "prev_hash", "hash",
)  # fmt: skip


def jsonl(records: Iterable[AuditRecord]) -> Iterator[str]:
    """One JSON object per line, keys sorted."""
    for record in records:
        yield json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False) + "\n"


def csv_rows(records: Iterable[AuditRecord]) -> Iterator[str]:
    """A header, then one row per record (``details`` as compact JSON). Cells that a
    spreadsheet would run as a formula are prefixed with a quote (OWASP CSV injection)."""
    yield _line(CSV_COLUMNS)
    for record in records:
        body = record.to_json()
        body["details"] = json.dumps(record.details, sort_keys=True, separators=(",", ":"))
        yield _line(tuple(_cell(body[c]) for c in CSV_COLUMNS))


def _cell(value: object) -> str:
    text = str(value)
    risky = text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(text)
    return "'" + text if risky else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _line(cells: tuple[object, ...]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()

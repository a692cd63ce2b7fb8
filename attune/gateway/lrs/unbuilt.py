"""Log entries whose statements cannot be built: what their dead letter holds, and why it is
never replayed.

A logged response the builders refuse (a time before 1970 or past 9999 written by an older
engine, say) would stop its target's feed for good if the cursor waited for it. Instead it
is parked as a dead letter, in the transaction that moves the cursor past it: its body is
the entry's identity (the log id is exact; the other fields are cut to a readable length),
its reason what the builder said. Replaying it would only fail again: the log entry cannot
change, so :class:`~gateway.lrs.ports.NotReplayableError` refuses it.
"""

from __future__ import annotations

from typing import Any

from attune.engine.v1 import events_pb2
from attune.gateway.lrs.ports import UNBUILT, NotReplayableError, UnbuiltEvent
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.statements.ids import statement_uuid

_FIELD_CHARS = 200  # per identity field in the body; the log id is what is exact
_REASON_CHARS = 500


def unbuilt_event(
    target: LrsTarget, logged: events_pb2.LoggedResponse, error: BaseException
) -> UnbuiltEvent:
    """The dead letter of one log entry that could not be built for ``target``."""
    r = logged.response
    body: dict[str, Any] = {
        "unbuilt": "the statements of this log entry could not be built",
        "log_id": logged.log_id,
        "event_id": _cut(r.event_id),
        # The engine's pseudonymous id, as in every statement the target receives.
        "learner_id": _cut(r.learner_id),
        "course_id": _cut(r.course_id),
        "item_id": _cut(r.item_id),
        # As logged, in seconds and nanos: the time may be one no timestamp can write.
        "occurred_at": {"seconds": r.occurred_at.seconds, "nanos": r.occurred_at.nanos},
        "recorded_at": {
            "seconds": logged.recorded_at.seconds,
            "nanos": logged.recorded_at.nanos,
        },
    }
    # Deterministic, so that a re-read of the same entry parks it once (one row per target
    # and statement id); full event id here, where only uniqueness matters.
    key = statement_uuid(target.tenant, r.event_id, "unbuilt", target.kind, str(logged.log_id))
    return UnbuiltEvent(target.key, f"{UNBUILT}{key}", body, reason(error))


def reason(error: BaseException) -> str:
    """What a builder's error says, with its type: ``ValueError: occurred_at must be ...``."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 3] + "..."


def not_replayable(row_id: int, body: dict[str, Any], last_error: str) -> NotReplayableError:
    """The refusal to replay the dead letter ``row_id`` of an unbuilt log entry."""
    return NotReplayableError(
        f"dead letter {row_id} is log entry {body.get('log_id')} "
        f"(event {str(body.get('event_id', ''))[:_FIELD_CHARS]!r}), whose statements could "
        f"not be built ({last_error[:_REASON_CHARS]}); replaying it would fail the same way, "
        "so it stays a dead letter"
    )


def _cut(value: str) -> str:
    return value if len(value) <= _FIELD_CHARS else value[: _FIELD_CHARS - 3] + "..."

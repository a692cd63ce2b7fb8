"""Compact JSON encodings of learner states, replies and logged events, as the stores keep
them. The stores encode and decode; everything above them sees domain objects only.

Floats go through ``repr``-exact JSON, so a state read back is bit-identical: the exactness
of BKT survives a restart.
"""

from __future__ import annotations

import base64
import json
from array import array
from dataclasses import replace
from typing import Any

from attune.engine.domain.learner import (
    DiagnosticAnswer,
    DktState,
    LearnerState,
    SkillOutcome,
    SkillState,
)
from attune.engine.domain.policy import Reason, Recommendation
from attune.engine.domain.records import LoggedEvent, MasteryEvent, RecordResult

STATE_VERSION = 2


# The encoded row of each recently encoded SkillState, by identity (a skill a response did
# not touch is the same object in the next state, so only the touched rows are encoded
# again). The entry holds the object itself, so its id cannot be reused while cached.
_ROWS: dict[int, tuple[SkillState, str]] = {}
ROW_CACHE = 32_768
_KEYS: dict[str, str] = {}  # skill id -> its JSON string, for the ids of loaded courses
KEY_CACHE = 65_536
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def _row_json(s: SkillState) -> str:
    found = _ROWS.get(id(s))
    if found is not None and found[0] is s:
        return found[1]
    text = _COMPACT.encode(_skill_row(s))
    if len(_ROWS) >= ROW_CACHE:
        del _ROWS[next(iter(_ROWS))]  # the oldest entry
    _ROWS[id(s)] = (s, text)
    return text


def _key_json(sid: str) -> str:
    found = _KEYS.get(sid)
    if found is None:
        if len(_KEYS) >= KEY_CACHE:
            _KEYS.clear()
        found = _KEYS[sid] = _COMPACT.encode(sid)
    return found


def encode_state(state: LearnerState) -> str:
    """Serialise a learner state. Skills are arrays to keep the bytes per learner small.

    The text is exactly ``json.dumps(body, separators=(",", ":"))`` of :func:`state_body`;
    the skills' rows are spliced in from a cache of rows already encoded."""
    body = state_body(state, skills=False)
    head = _COMPACT.encode({k: body.pop(k) for k in ("v", "l", "c")})
    skills = ",".join(f"{_key_json(sid)}:{_row_json(s)}" for sid, s in state.skills.items())
    return f'{head[:-1]},"s":{{{skills}}},{_COMPACT.encode(body)[1:]}'


def state_body(state: LearnerState, skills: bool = True) -> dict[str, Any]:
    """The JSON object :func:`encode_state` writes (without ``"s"``, the skills, when
    ``skills`` is false)."""
    body: dict[str, Any] = {
        "v": STATE_VERSION,
        "l": state.learner_id,
        "c": state.course_id,
        **({"s": {sid: _skill_row(s) for sid, s in state.skills.items()}} if skills else {}),
        "r": list(state.recent_items),
        "k": state.last_skill,
        "n": state.responses,
        "a": _pack(state.ability),
        "d": int(state.diagnosed),
        "g": [[a.item_id, a.score, a.weight] for a in state.diagnostic],
        "t": list(state.prior_theta) if state.prior_theta is not None else None,
        "x": _dkt_row(state.dkt),
    }
    # Interventions' flags only when set: most learners have none, and their bytes and
    # their encodings stay what they were.
    if state.pinned:
        body["pn"] = list(state.pinned)
    if state.exempt:
        body["ex"] = 1
    # Learner-adapted mastery (engine/domain/adaptive.py) only where the course asks for it.
    if state.type_loglik:
        body["tl"] = _pack(state.type_loglik)
    typed = {sid: _pack(s.p_types) for sid, s in state.skills.items() if s.p_types}
    if typed:
        body["pt"] = typed
    return body


def decode_state(text: str) -> LearnerState:
    """Inverse of :func:`encode_state`."""
    body = json.loads(text)
    if body.get("v") != STATE_VERSION:
        raise ValueError(f"unknown learner state version {body.get('v')!r}")
    typed = body.get("pt", {})
    skills = {sid: _skill_from_row(v) for sid, v in body["s"].items()}
    for sid, packed in typed.items():
        skills[sid] = replace(skills[sid], p_types=_unpack(packed))
    return LearnerState(
        learner_id=body["l"],
        course_id=body["c"],
        skills=skills,
        recent_items=tuple(body["r"]),
        last_skill=body["k"],
        responses=body["n"],
        ability=_unpack(body["a"]),
        diagnosed=bool(body["d"]),
        diagnostic=tuple(DiagnosticAnswer(g[0], g[1], g[2]) for g in body["g"]),
        prior_theta=(body["t"][0], body["t"][1]) if body["t"] is not None else None,
        dkt=_dkt_from_row(body.get("x")),
        pinned=tuple(body.get("pn", ())),
        exempt=bool(body.get("ex", 0)),
        type_loglik=_unpack(body.get("tl", "")),
    )


def _pack(values: tuple[float, ...]) -> str:
    # float64 bytes, base64: exact and far cheaper than 41 float reprs in JSON.
    return base64.b64encode(array("d", values).tobytes()).decode("ascii")


def _unpack(text: str) -> tuple[float, ...]:
    return tuple(array("d", base64.b64decode(text))) if text else ()


def _dkt_row(d: DktState | None) -> list[Any] | None:
    if d is None:
        return None
    # float32 is what ONNX Runtime computes in, so packing as float32 loses nothing.
    return [d.model, _pack32(d.h), _pack32(d.c), _pack32(d.p), d.steps]


def _dkt_from_row(row: list[Any] | None) -> DktState | None:
    if row is None:
        return None
    return DktState(row[0], _unpack32(row[1]), _unpack32(row[2]), _unpack32(row[3]), row[4])


def _pack32(values: tuple[float, ...]) -> str:
    return base64.b64encode(array("f", values).tobytes()).decode("ascii")


def _unpack32(text: str) -> tuple[float, ...]:
    return tuple(array("f", base64.b64decode(text)))


def _skill_row(s: SkillState) -> list[Any]:
    return [
        s.p_known,
        s.attempts,
        s.correct_streak,
        int(s.mastered),
        s.last_practiced,
        int(s.ever_mastered),
        s.wrong_streak,
        list(s.recent_fails),
        s.review_interval,
        s.reviews,
        s.last_seq,
        s.fail_start_seq,
        s.half_life,
        s.retained,
    ]


def _skill_from_row(v: list[Any]) -> SkillState:
    return SkillState(
        p_known=v[0],
        attempts=v[1],
        correct_streak=v[2],
        mastered=bool(v[3]),
        last_practiced=v[4],
        ever_mastered=bool(v[5]),
        wrong_streak=v[6],
        recent_fails=tuple(v[7]),
        review_interval=v[8],
        reviews=v[9],
        last_seq=v[10],
        fail_start_seq=v[11],
        # Rows stored before the recall review schedule have no half-life: the default.
        half_life=v[12] if len(v) > 12 else 0.0,
        retained=v[13] if len(v) > 13 else 1.0,  # rows from before completion checks
    )


def encode_result(result: RecordResult) -> str:
    """Serialise a reply so that a retried event gets exactly the original back. Item
    content is not logged: a reply gets the course's content when it is sent."""
    return json.dumps(_result_body(result), separators=(",", ":"))


def _result_body(result: RecordResult) -> dict[str, Any]:
    return {
        "e": result.event_id,
        "q": result.sequence,
        "s": [
            [
                o.skill_id,
                o.p_known_before,
                o.p_known,
                o.p_correct,
                o.attempts,
                int(o.mastered),
                o.status,
            ]
            for o in result.skills
        ],
        "m": [
            [m.skill_id, m.p_known, m.attempts, m.mastered_at, m.event_id]
            for m in result.mastery_events
        ],
        "r": [
            [r.item_id, r.skill_id, r.score, [x.value for x in r.reasons], dict(r.components)]
            for r in result.recommendations
        ],
        "c": result.credibility,
        "v": list(result.revoked),
        "a": [result.theta, result.theta_se],
        "d": int(result.diagnostic),
        **({"cp": 1} if result.complete else {}),
        "p": [result.predictor, result.predictor_note],
    }


def decode_result(text: str | bytes) -> RecordResult:
    """Inverse of :func:`encode_result`."""
    return _result_from(json.loads(text))


def _result_from(body: dict[str, Any]) -> RecordResult:
    return RecordResult(
        event_id=body["e"],
        sequence=body["q"],
        skills=tuple(
            SkillOutcome(
                skill_id=s[0],
                p_known_before=s[1],
                p_known=s[2],
                p_correct=s[3],
                attempts=s[4],
                mastered=bool(s[5]),
                status=s[6],
            )
            for s in body["s"]
        ),
        mastery_events=tuple(
            MasteryEvent(
                skill_id=m[0], p_known=m[1], attempts=m[2], mastered_at=m[3], event_id=m[4]
            )
            for m in body["m"]
        ),
        recommendations=tuple(
            Recommendation(
                item_id=r[0],
                skill_id=r[1],
                score=r[2],
                reasons=tuple(Reason(x) for x in r[3]),
                components=r[4],
            )
            for r in body["r"]
        ),
        credibility=body["c"],
        revoked=tuple(body["v"]),
        theta=body["a"][0],
        theta_se=body["a"][1],
        diagnostic=bool(body["d"]),
        complete=bool(body.get("cp", 0)),
        predictor=body["p"][0],
        predictor_note=body["p"][1],
    )


def encode_event(event: LoggedEvent) -> str:
    """Serialise a logged event (its reply embedded as JSON, not as an escaped string).

    ``log_id`` is left out: a store assigns it where the event lands in its log.
    """
    head = {
        "e": event.event_id,
        "t": event.tenant,
        "l": event.learner_id,
        "c": event.course_id,
        "i": event.item_id,
        "s": event.score,
        "ms": event.response_time_ms,
        "o": event.occurred_at,
        "r": event.recorded_at,
        "q": event.sequence,
        "k": event.credibility,
        "g": event.gain,
        "p": _result_body(event.reply),
    }
    return json.dumps(head, separators=(",", ":"))


def decode_event(text: str | bytes, log_id: int = 0) -> LoggedEvent:
    """Inverse of :func:`encode_event`."""
    body = json.loads(text)
    return LoggedEvent(
        tenant=body["t"],
        event_id=body["e"],
        learner_id=body["l"],
        course_id=body["c"],
        item_id=body["i"],
        score=body["s"],
        response_time_ms=body["ms"],
        occurred_at=body["o"],
        recorded_at=body["r"],
        sequence=body["q"],
        reply=_result_from(body["p"]),
        log_id=log_id,
        credibility=body["k"],
        gain=body["g"],
    )

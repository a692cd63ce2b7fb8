"""The builders' input: one learning event, as the engine and the gateway know it.

A ``LearningEvent`` says what happened, to which pseudonymous learner, in which course, and
when. It carries no wire format; ``xapi.py`` and ``caliper.py`` render it. It is checked
once, here, so that the builders can trust it.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from attune.gateway.statements.timefmt import epoch_millis, iso_timestamp, shown

LAST = "9999-12-31T23:59:59.999Z"
EventKind = Literal["answered", "mastered", "recommended", "launched", "grade_changed"]
EVENT_KINDS: tuple[EventKind, ...] = (
    "answered",
    "mastered",
    "recommended",
    "launched",
    "grade_changed",
)


def _registration(value: str) -> str:
    """The registration in lower-case standard form, or ValueError.

    xAPI 1.0.3 Data §2.4.6 and §4.4: ``context.registration`` is a UUID in standard string
    form; the braces, URN and hex-only forms that ``uuid.UUID`` also accepts are refused.
    """
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise ValueError(f"registration must be a UUID, got {value!r}") from None
    if str(parsed) != value.lower():
        raise ValueError(f"registration must be a UUID in standard form, got {value!r}")
    return str(parsed)


def _check_moment(occurred_at: float) -> None:
    """ValueError unless ``occurred_at`` is epoch seconds from 1970 to the end of 9999.

    Before 1970 is not a time this system can have seen (the engine refuses it now; older
    logs may still hold one); after 9999 no RFC 3339 timestamp can say it. The message names
    the moment, so that a dead-lettered event says which time was wrong.
    """
    expected = f"occurred_at must be epoch seconds from 1970-01-01T00:00:00.000Z to {LAST}"
    try:
        millis = epoch_millis(occurred_at, "occurred_at")
    except ValueError:
        raise ValueError(f"{expected}, got {shown(occurred_at)}") from None
    if millis < 0:
        raise ValueError(f"{expected}, got {occurred_at!r} ({iso_timestamp(occurred_at)})")


@dataclass(frozen=True, slots=True)
class Person:
    """Who the learner is, for tenants that allow it to leave (``share_identity``)."""

    name: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if self.email is not None and ("@" not in self.email or self.email.startswith("mailto:")):
            raise ValueError(f"email must be a bare address, got {self.email!r}")


@dataclass(frozen=True, slots=True)
class Grade:
    """A grade as LTI AGS sends it: ``score_given`` out of ``score_maximum``."""

    score_given: float
    score_maximum: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.score_maximum) and self.score_maximum > 0):
            raise ValueError(f"score_maximum must be > 0, got {self.score_maximum!r}")
        if not (math.isfinite(self.score_given) and 0 <= self.score_given <= self.score_maximum):
            raise ValueError(
                f"score_given must be in [0, {self.score_maximum}], got {self.score_given!r}"
            )

    @property
    def scaled(self) -> float:
        """The grade in [0, 1]."""
        return self.score_given / self.score_maximum


@dataclass(frozen=True, slots=True)
class LearningEvent:
    """One thing that happened to one learner.

    ``event_id`` is the engine's event id of the response that caused it (or the gateway's
    id for a launch or a grade change). A mastered event names exactly one skill, so that
    one response that masters two skills gives two events with the same ``event_id``; the
    statement ids tell them apart by skill (see ``ids.py``). ``learner_id`` is the engine's
    pseudonymous learner id. ``score`` is scaled to [0, 1]; ``p_mastery`` maps skill ids to
    P(L). ``occurred_at`` is epoch seconds: for an answer, the moment it was submitted.
    ``registration`` is the launch (session) UUID when there is one.
    """

    kind: EventKind
    event_id: str
    tenant: str
    learner_id: str
    course_id: str
    occurred_at: float
    course_title: str = ""
    item_id: str = ""
    skill_ids: tuple[str, ...] = ()
    success: bool | None = None
    score: float | None = None
    response_time_ms: int | None = None
    p_mastery: Mapping[str, float] = field(default_factory=dict)
    registration: str | None = None
    grade: Grade | None = None
    recommended_item_ids: tuple[str, ...] = ()
    person: Person | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"kind must be one of {EVENT_KINDS}, got {self.kind!r}")
        for name in ("event_id", "tenant", "learner_id", "course_id"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        _check_moment(self.occurred_at)
        if self.score is not None and not (0.0 <= self.score <= 1.0):
            raise ValueError(f"score must be in [0, 1], got {self.score!r}")
        if self.response_time_ms is not None and self.response_time_ms < 0:
            raise ValueError(f"response_time_ms must be >= 0, got {self.response_time_ms}")
        if any(not s for s in self.skill_ids) or len(set(self.skill_ids)) != len(self.skill_ids):
            raise ValueError(f"skill_ids must be distinct and non-empty, got {self.skill_ids!r}")
        for skill, p in self.p_mastery.items():
            if not skill or not (0.0 <= p <= 1.0):
                raise ValueError(f"p_mastery[{skill!r}] must be in [0, 1], got {p!r}")
        if self.registration is not None:
            object.__setattr__(self, "registration", _registration(self.registration))
        # A private read-only copy: a frozen event must not change under a builder's feet.
        object.__setattr__(self, "p_mastery", MappingProxyType(dict(self.p_mastery)))
        if any(not i for i in self.recommended_item_ids):
            raise ValueError("recommended_item_ids must not hold an empty id")
        self._check_kind()

    def _check_kind(self) -> None:
        if self.kind == "answered" and not self.item_id:
            raise ValueError("an answered event needs item_id")
        if self.kind == "mastered" and len(self.skill_ids) != 1:
            raise ValueError("a mastered event names exactly one skill")
        if self.kind == "recommended" and not self.recommended_item_ids:
            raise ValueError("a recommended event needs recommended_item_ids")
        if self.kind == "grade_changed" and self.grade is None:
            raise ValueError("a grade_changed event needs grade")

    @property
    def mastered_skill(self) -> str:
        """The one skill of a mastered event, else ``""``."""
        return self.skill_ids[0] if self.kind == "mastered" else ""

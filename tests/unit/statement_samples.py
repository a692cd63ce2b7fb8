"""Sample learning events and tenant profiles shared by the statement-builder tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from attune.gateway.statements import Grade, LearningEvent, Person, TenantProfile
from attune.gateway.statements.events import EVENT_KINDS

REGISTRATION = "6b1c0e4e-6f7b-4d2a-9e2b-0c7a1d2e3f40"
PERSON = Person(name="Ada Lovelace", email="ada@uni.example.edu")


def profile(
    version: str = "1.0.3", share_identity: bool = False, tenant: str = "acme"
) -> TenantProfile:
    """A tenant profile with an LMS home page and an activity base of its own."""
    return TenantProfile(
        tenant=tenant,
        home_page="https://lms.uni.example.edu",
        activity_base=f"https://attune.uni.example.edu/t/{tenant}/",
        xapi_version=version,  # type: ignore[arg-type]
        share_identity=share_identity,
    )


def event(kind: str, **overrides: Any) -> LearningEvent:
    """One valid event of ``kind``; ``overrides`` replace any field."""
    fields: dict[str, Any] = {
        "kind": kind,
        "event_id": "evt-0001",
        "tenant": "acme",
        "learner_id": "lrn-7f3a",
        "course_id": "algebra-1",
        "course_title": "Algebra 1",
        "occurred_at": 1_700_000_000.25,
        "skill_ids": ("fractions",),
        "p_mastery": {"fractions": 0.42},
        "registration": REGISTRATION,
        "person": PERSON,
    }
    if kind == "answered":
        fields.update(
            item_id="q-17",
            skill_ids=("fractions", "ratios"),
            p_mastery={"fractions": 0.42, "ratios": 0.9},
            success=True,
            score=1.0,
            response_time_ms=4200,
        )
    elif kind == "mastered":
        fields.update(item_id="q-17", p_mastery={"fractions": 0.96})
    elif kind == "recommended":
        fields.update(recommended_item_ids=("q-18", "q-02", "q-40"))
    elif kind == "grade_changed":
        fields.update(grade=Grade(score_given=7.5, score_maximum=10.0))
    fields.update(overrides)
    return LearningEvent(**fields)


def all_kinds(**overrides: Any) -> Iterator[LearningEvent]:
    """One event of every kind."""
    for kind in EVENT_KINDS:
        yield event(kind, **overrides)


# Ids as other systems write them: slashes, spaces, '#', '?', '%', non-ASCII letters.
ids = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x00"
    ),
    min_size=1,
    max_size=24,
)
# The engine refuses an event, learner or course id of blanks only (domain/learner.py), so
# no logged event has one.
engine_ids = ids.filter(str.strip)


@st.composite
def events(draw: st.DrawFn) -> LearningEvent:
    """Any valid event, with awkward ids, any time from 1970 to 2096, optional parts."""
    kind = draw(st.sampled_from(EVENT_KINDS))
    skills = tuple(draw(st.lists(ids, min_size=1, max_size=3, unique=True)))
    if kind == "mastered":
        skills = skills[:1]
    overrides: dict[str, Any] = {
        "event_id": draw(engine_ids),
        "learner_id": draw(engine_ids),
        "course_id": draw(engine_ids),
        "course_title": draw(st.sampled_from(["", "Algebra 1", "Éléments d'analyse"])),
        "occurred_at": draw(st.floats(min_value=0, max_value=4e9, allow_nan=False)),
        "skill_ids": skills,
        "p_mastery": {s: draw(st.floats(0, 1)) for s in skills},
        "registration": draw(st.sampled_from([None, REGISTRATION])),
    }
    if kind == "answered":
        overrides.update(
            item_id=draw(ids),
            success=draw(st.sampled_from([None, True, False])),
            score=draw(st.none() | st.floats(0, 1)),
            response_time_ms=draw(st.none() | st.integers(0, 10**9)),
        )
    if kind == "mastered":
        overrides["item_id"] = draw(st.sampled_from(["", "q-1"]))
    if kind == "recommended":
        overrides["recommended_item_ids"] = tuple(draw(st.lists(ids, min_size=1, max_size=4)))
    return event(kind, **overrides)

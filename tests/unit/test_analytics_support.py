"""Builders shared by the analytics tests, and the tests of the observation itself.

``obs`` writes an observation by hand; ``engine_log`` plays a class through the engine's own
pure update (apply_response, recommend, reply_of, log_entry), so that the accumulators also
see real logged events with revocations, re-masteries, too-fast answers and multi-skill items.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace

import pytest

from attune.engine.domain.analytics.observation import Observation, observation_of
from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import (
    Course,
    DiagnosticPolicy,
    Item,
    MasteryPolicy,
    Skill,
    build_course,
)
from attune.engine.domain.learner import LearnerState, Response
from attune.engine.domain.policy import SelectionContext, recommend
from attune.engine.domain.records import DktView, LoggedEvent, log_entry, reply_of
from attune.engine.domain.tutoring import HOUR, ReviewPolicy, TutorPolicy
from attune.engine.domain.update import apply_response

BKT = BktParams(prior=0.2, learn=0.3, guess=0.2, slip=0.1)


def course(edges: dict[str, tuple[str, ...]], items: Iterable[Item] = ()) -> Course:
    """A course with these skills (skill -> prerequisites), named "Skill <id>", one item per
    skill (``<id>1``) unless ``items`` are given."""
    skills = [Skill(s, name=f"Skill {s}", bkt=BKT, prerequisites=p) for s, p in edges.items()]
    listed = list(items) or [Item(f"{s}1", (s,)) for s in edges]
    return build_course("c", skills, listed, diagnostic=DiagnosticPolicy(enabled=False))


def obs(
    log_id: int,
    learner: str,
    skills: str | tuple[str, ...],
    score: float,
    at: float = 0.0,
    *,
    item: str = "",
    mastered: Iterable[str] = (),
    newly: Iterable[str] = (),
    p: float = 0.5,
    rt: int = 9000,
    credibility: float = 1.0,
    theta: float = 0.0,
    gain: float = 0.0,
) -> Observation:
    """One observation; ``skills`` a skill id or a tuple; ``mastered``: the skills of the item
    whose mastery flag is set after it; the item defaults to ``<first skill>1``."""
    ids = (skills,) if isinstance(skills, str) else skills
    done = set(mastered)
    return Observation(
        log_id=log_id,
        learner_id=learner,
        item_id=item or f"{ids[0]}1",
        skill_ids=ids,
        score=score,
        occurred_at=at,
        p_known=(p,) * len(ids),
        mastered=tuple(s in done for s in ids),
        response_time_ms=rt,
        credibility=credibility,
        newly_mastered=tuple(newly),
        theta=theta,
        gain=gain,
    )


ENGINE_COURSE = build_course(
    "c",
    [
        Skill("a", bkt=BKT),
        Skill("b", bkt=BKT, prerequisites=("a",)),
        Skill("c", bkt=BKT),
        Skill("d", bkt=BKT, prerequisites=("b", "c")),
    ],
    [
        *(Item(f"{s}{n}", (s,)) for s in "abcd" for n in (1, 2, 3)),
        Item("bc", ("b", "c")),
    ],
    MasteryPolicy(threshold=0.9, min_attempts=2, consecutive_correct=2),
    diagnostic=DiagnosticPolicy(enabled=False),
)
TUTOR = TutorPolicy(review=ReviewPolicy(interval_s=2 * HOUR))


def engine_log(seed: int, learners: int, answers: int) -> list[LoggedEvent]:
    """A class played through the engine: each learner answers the engine's recommendation
    (right with a chance that grows with P(L)), sometimes too fast, over days."""
    rng = random.Random(seed)
    log: list[LoggedEvent] = []
    clocks = {f"l{n}": 0.0 for n in range(learners)}
    states = {lid: LearnerState(lid, "c") for lid in clocks}
    for _ in range(answers):
        lid = rng.choice(sorted(clocks))
        clocks[lid] += rng.choice((30.0, 60.0, 600.0, 3 * HOUR, 30 * HOUR))
        state = states[lid]
        rec = recommend(ENGINE_COURSE, state, 1, SelectionContext(now=clocks[lid], tutor=TUTOR))
        item = rec[0].item_id if rng.random() < 0.8 else rng.choice(sorted(ENGINE_COURSE.items))
        sid = ENGINE_COURSE.items[item].skill_ids[0]
        right = rng.random() < 0.25 + 0.7 * state.skill(ENGINE_COURSE, sid).p_known
        fast = rng.random() < 0.1
        response = Response(
            f"e{len(log)}",
            lid,
            "c",
            item,
            1.0 if right else 0.0,
            900 if fast else 8000,
            clocks[lid],
        )
        weight = 0.2 if fast else 1.0
        outcome = apply_response(ENGINE_COURSE, state, response, weight, TUTOR)
        states[lid] = outcome.state
        recs = tuple(recommend(ENGINE_COURSE, outcome.state, 1))
        reply = reply_of(ENGINE_COURSE, response, outcome, weight, DktView(None, None), recs)
        entry = log_entry("t", response, outcome, reply, clocks[lid])
        log.append(replace(entry, log_id=len(log) + 1))
    return log


def engine_observations(seed: int = 3, learners: int = 12, answers: int = 900) -> list[Observation]:
    """The observations of :func:`engine_log`."""
    return [observation_of(e) for e in engine_log(seed, learners, answers)]


# -- the observation ------------------------------------------------------------------------


def test_observation_requires_aligned_skills() -> None:
    with pytest.raises(ValueError, match="aligned"):
        Observation(1, "l", "i", ("a", "b"), 1.0, 0.0, p_known=(0.5,), mastered=(True, False))


def test_correct_and_credible_follow_the_engine() -> None:
    assert obs(1, "l", "a", 0.5).correct and not obs(1, "l", "a", 0.49).correct
    assert obs(1, "l", "a", 1, credibility=1.0).credible
    assert not obs(1, "l", "a", 1, credibility=0.2).credible


def test_observation_of_a_logged_event_reads_the_reply() -> None:
    log = engine_log(seed=5, learners=3, answers=300)
    converted = [observation_of(e) for e in log]
    for event, o in zip(log, converted, strict=True):
        assert (o.log_id, o.learner_id, o.item_id) == (
            event.log_id,
            event.learner_id,
            event.item_id,
        )
        assert o.skill_ids == ENGINE_COURSE.items[event.item_id].skill_ids
        assert o.p_known == tuple(s.p_known for s in event.reply.skills)
        assert o.mastered == tuple(s.mastered for s in event.reply.skills)
        assert (o.score, o.occurred_at, o.response_time_ms) == (
            event.score,
            event.occurred_at,
            event.response_time_ms,
        )
        assert (o.credibility, o.gain, o.theta) == (
            event.credibility,
            event.gain,
            event.reply.theta,
        )
        assert o.newly_mastered == tuple(m.skill_id for m in event.reply.mastery_events)
        assert o.revoked == event.reply.revoked
        assert o.reasons == tuple(r.value for r in event.reply.recommendations[0].reasons)
    # The log exercises what the trackers must handle.
    assert any(o.revoked for o in converted), "no revocation in the sample log"
    assert any(o.newly_mastered for o in converted)
    assert any(not o.credible for o in converted)
    assert any(len(o.skill_ids) == 2 for o in converted)


def test_the_engine_log_has_re_masteries_without_a_mastery_event() -> None:
    # A skill mastered, revoked and mastered again: only its flag says so (the engine emits
    # one mastery event per learner and skill, ever), which is why trackers read the flags.
    flags: dict[tuple[str, str], bool] = {}
    again = 0
    for o in engine_observations():
        for sid, m in zip(o.skill_ids, o.mastered, strict=True):
            key = (o.learner_id, sid)
            again += m and flags.get(key) is False and sid not in o.newly_mastered
            flags[key] = m
    assert again >= 1

"""Interventions, the pure part: validation of a request, what each kind does to a learner
state and to the class's pins, the exempt learners from a trail, replays, the codecs, and
pins in the recommender."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.adapters.codec import decode_state, encode_state
from attune.engine.adapters.intervention_codec import decode_entry, encode_entry
from attune.engine.domain.analytics import AtRiskLearner
from attune.engine.domain.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from attune.engine.domain.interventions import (
    InterventionEntry,
    InterventionRequest,
    Kind,
    Scope,
    SkillChange,
    check_against,
    check_replay,
    validate_request,
)
from attune.engine.domain.interventions_apply import (
    apply_to_learner,
    exempt_learners,
    pinned_after,
    without_exempt,
)
from attune.engine.domain.learner import LearnerState, Response, SkillState
from attune.engine.domain.policy import Reason, SelectionContext, recommend
from attune.engine.domain.update import apply_response
from attune.engine.grpc.convert import course_from_pb
from tests.support.courses import chain_course

COURSE = course_from_pb(chain_course())
MARGIN = 0.15


def _req(**kw: object) -> InterventionRequest:
    base: dict[str, object] = {
        "course_id": "chain",
        "scope": Scope.LEARNER,
        "learner_id": "lea",
        "kind": Kind.RESET_SKILL,
        "skill_id": "a",
        "actor": "instructor:p1",
        "reason": "started over after the holidays",
        "request_id": "r1",
    }
    base.update(kw)
    return InterventionRequest(**base)  # type: ignore[arg-type]


def _practised(p: float = 0.6, mastered: bool = False) -> LearnerState:
    a = SkillState(
        p_known=p,
        attempts=5,
        correct_streak=3,
        mastered=mastered,
        last_practiced=1.8e9,
        ever_mastered=mastered,
        wrong_streak=0,
        recent_fails=("e1",),
        review_interval=7200.0,
        reviews=2,
        last_seq=5,
        fail_start_seq=2,
    )
    b = SkillState(p_known=0.3, attempts=2)
    return LearnerState("lea", "chain", skills={"a": a, "b": b}, responses=7)


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"request_id": ""}, "request_id"),
        ({"request_id": "x" * 257}, "request_id"),
        ({"course_id": "  "}, "course_id"),
        ({"learner_id": ""}, "learner_id"),
        ({"scope": Scope.CLASS, "kind": Kind.PIN_SKILL}, "learner_id"),  # class: no learner
        ({"kind": None}, "kind"),
        ({"scope": Scope.CLASS, "learner_id": "", "kind": Kind.RESET_SKILL}, "kind"),
        ({"scope": Scope.CLASS, "learner_id": "", "kind": Kind.EXEMPT_LEARNER}, "kind"),
        ({"kind": Kind.EXEMPT_LEARNER}, "skill_id"),  # given where none is wanted
        ({"kind": Kind.GRANT_MASTERY, "skill_id": ""}, "skill_id"),
        ({"actor": ""}, "actor"),
        ({"actor": "a" * 257}, "actor"),
        ({"reason": " \n"}, "reason"),
        ({"reason": "r" * 501}, "reason"),
    ],
)
def test_a_bad_request_is_refused_naming_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        validate_request(_req(**changes))
    assert err.value.field == field


def test_good_requests_pass_and_unknown_skills_are_not_found() -> None:
    assert validate_request(_req(reason="r" * 500)) is Kind.RESET_SKILL
    assert validate_request(_req(kind=Kind.EXEMPT_LEARNER, skill_id="")) is Kind.EXEMPT_LEARNER
    cls = _req(scope=Scope.CLASS, learner_id="", kind=Kind.UNPIN_SKILL)
    assert validate_request(cls) is Kind.UNPIN_SKILL
    check_against(_req(skill_id="c"), COURSE)
    with pytest.raises(NotFoundError) as err:
        check_against(_req(skill_id="zz"), COURSE)
    assert (err.value.kind, err.value.ident) == ("skill", "zz")


# -- what each kind does ---------------------------------------------------------------------


def test_reset_takes_the_skill_back_to_its_prior_and_leaves_the_others() -> None:
    state = _practised(0.97, mastered=True)
    after, change = apply_to_learner(COURSE, state, Kind.RESET_SKILL, "a", MARGIN)
    assert "a" not in after.skills  # never practised, as far as the model goes
    assert after.skill(COURSE, "a") == SkillState(p_known=0.2)
    assert after.skills["b"] == state.skills["b"] and after.responses == 7
    assert change == SkillChange("a", 0.97, 0.2, True, False, 5, 0)


def test_reset_after_the_diagnostic_uses_the_learners_own_prior() -> None:
    state = replace(_practised(), prior_theta=(1.5, 0.2), diagnosed=True)
    after, change = apply_to_learner(COURSE, state, Kind.RESET_SKILL, "a", MARGIN)
    assert change is not None
    assert change.p_after == state.prior(COURSE, "a") != 0.2
    assert after.skill(COURSE, "a").p_known == change.p_after


def test_a_reset_skill_reports_its_next_mastery_again() -> None:
    state, _ = apply_to_learner(COURSE, _practised(0.97, True), Kind.RESET_SKILL, "a", MARGIN)
    events: list[str] = []
    for n in range(12):
        r = Response(f"e{n}", "lea", "chain", "a1", 1.0, 9000, 1.8e9 + n)
        out = apply_response(COURSE, state, r)
        state = out.state
        events += out.mastery_events
    assert events == ["a"]


def test_grant_raises_p_to_the_threshold_and_never_lowers_it() -> None:
    low, change = apply_to_learner(COURSE, _practised(0.6), Kind.GRANT_MASTERY, "a", MARGIN)
    assert low.skills["a"].p_known == 0.95 and low.skills["a"].mastered
    assert low.skills["a"].ever_mastered and low.skills["a"].attempts == 5
    assert change == SkillChange("a", 0.6, 0.95, False, True, 5, 5)
    high, _ = apply_to_learner(COURSE, _practised(0.99), Kind.GRANT_MASTERY, "a", MARGIN)
    assert high.skills["a"].p_known == 0.99
    # A skill never practised can be granted too.
    fresh, _ = apply_to_learner(COURSE, _practised(), Kind.GRANT_MASTERY, "c", MARGIN)
    assert fresh.skills["c"].mastered and fresh.skills["c"].attempts == 0


def test_granted_mastery_is_sticky_like_earned_mastery() -> None:
    state, _ = apply_to_learner(COURSE, _practised(0.6), Kind.GRANT_MASTERY, "a", MARGIN)
    right = apply_response(COURSE, state, Response("e1", "lea", "chain", "a1", 1.0, 9000, 2e9))
    assert right.state.skills["a"].mastered and right.revoked == ()
    wrong = apply_response(COURSE, state, Response("e2", "lea", "chain", "a1", 0.0, 9000, 2e9))
    assert wrong.revoked == ("a",)  # the revocation rule applies to it like to any mastery


def test_revoke_lowers_p_below_the_threshold_and_restarts_the_streak() -> None:
    state = _practised(0.98, mastered=True)
    after, change = apply_to_learner(COURSE, state, Kind.REVOKE_MASTERY, "a", MARGIN)
    a = after.skills["a"]
    assert (a.p_known, a.mastered, a.correct_streak, a.review_interval) == (0.2, False, 0, 0.0)
    assert a.attempts == 5 and a.ever_mastered  # history stays; no second mastery event
    assert change == SkillChange("a", 0.98, 0.2, True, False, 5, 5)
    # A learner prior above the threshold is still capped below it (by the margin).
    strong = replace(state, prior_theta=(4.0, 0.01), diagnosed=True)
    capped, _ = apply_to_learner(COURSE, strong, Kind.REVOKE_MASTERY, "a", MARGIN)
    assert strong.prior(COURSE, "a") > 0.8
    assert capped.skills["a"].p_known == pytest.approx(0.80)
    # Never raised.
    low, _ = apply_to_learner(COURSE, _practised(0.1), Kind.REVOKE_MASTERY, "a", MARGIN)
    assert low.skills["a"].p_known == 0.1


def test_pins_and_exemption_change_only_their_flags() -> None:
    state = _practised()
    pinned, change = apply_to_learner(COURSE, state, Kind.PIN_SKILL, "c", MARGIN)
    assert change is None and pinned.pinned == ("c",) and pinned.skills == state.skills
    both, _ = apply_to_learner(COURSE, pinned, Kind.PIN_SKILL, "a", MARGIN)
    assert both.pinned == ("a", "c")  # course order
    again, _ = apply_to_learner(COURSE, both, Kind.PIN_SKILL, "a", MARGIN)
    assert again.pinned == ("a", "c")
    one, _ = apply_to_learner(COURSE, both, Kind.UNPIN_SKILL, "a", MARGIN)
    assert one.pinned == ("c",)
    exempt, _ = apply_to_learner(COURSE, one, Kind.EXEMPT_LEARNER, "", MARGIN)
    assert exempt.exempt and exempt.pinned == ("c",) and exempt.skills == state.skills
    back, _ = apply_to_learner(COURSE, exempt, Kind.UNEXEMPT_LEARNER, "", MARGIN)
    assert not back.exempt
    # Pins of skills a re-imported course dropped fall away at the next change.
    assert pinned_after(COURSE, ("gone", "b"), Kind.UNPIN_SKILL, "c") == ("b",)


@given(
    p=st.floats(0.0, 1.0),
    mastered=st.booleans(),
    kind=st.sampled_from([Kind.RESET_SKILL, Kind.GRANT_MASTERY, Kind.REVOKE_MASTERY]),
    skill=st.sampled_from(["a", "b", "c"]),
    theta=st.none() | st.tuples(st.floats(-4, 4), st.floats(0.01, 1.0)),
)
def test_state_kinds_keep_p_in_range_and_set_mastery_as_documented(
    p: float, mastered: bool, kind: Kind, skill: str, theta: tuple[float, float] | None
) -> None:
    state = replace(_practised(), prior_theta=theta, diagnosed=theta is not None)
    state = replace(state, skills={**state.skills, skill: SkillState(p, 4, 2, mastered)})
    after, change = apply_to_learner(COURSE, state, kind, skill, MARGIN)
    assert change is not None and 0.0 <= change.p_after <= 1.0
    s = after.skill(COURSE, skill)
    if kind is Kind.GRANT_MASTERY:
        assert s.mastered and s.p_known >= 0.95 and s.p_known >= p
    elif kind is Kind.REVOKE_MASTERY:
        assert not s.mastered and s.p_known < 0.95 and s.p_known <= p
    else:  # the prior, which a strong diagnostic may put above the threshold: not mastered
        assert not s.mastered and s.attempts == 0 and s.p_known == state.prior(COURSE, skill)
    assert {k: v for k, v in after.skills.items() if k != skill} == {
        k: v for k, v in state.skills.items() if k != skill
    }


# -- the trail -------------------------------------------------------------------------------


def _entry(n: int, learner: str, kind: Kind, exempt: bool, **kw: object) -> InterventionEntry:
    return InterventionEntry(
        tenant="t",
        request_id=f"r{n}",
        course_id="chain",
        scope=kw.pop("scope", Scope.LEARNER),  # type: ignore[arg-type]
        learner_id=learner,
        kind=kind,
        skill_id=kw.pop("skill", ""),  # type: ignore[arg-type]
        actor="admin",
        reason="why",
        recorded_at=1.8e9 + n,
        exempt=exempt,
        intervention_id=n,
        **kw,  # type: ignore[arg-type]
    )


def test_the_newest_entry_of_each_learner_says_whether_they_are_exempt() -> None:
    newest_first = [
        _entry(6, "ann", Kind.PIN_SKILL, True, skill="a"),  # still exempt, from entry 2
        _entry(5, "", Kind.PIN_SKILL, False, scope=Scope.CLASS, skill="a"),
        _entry(4, "bob", Kind.UNEXEMPT_LEARNER, False),
        _entry(3, "bob", Kind.EXEMPT_LEARNER, True),
        _entry(2, "ann", Kind.EXEMPT_LEARNER, True),
        _entry(1, "cy", Kind.EXEMPT_LEARNER, True),
    ]
    assert exempt_learners(newest_first) == {"ann", "cy"}
    assert exempt_learners([]) == set()


def test_exempt_learners_leave_the_at_risk_list_only() -> None:
    from attune.engine.domain.analytics import rebuild

    report = rebuild([]).snapshot(COURSE, 2e9)
    risky = replace(report, at_risk=(AtRiskLearner("ann", ()), AtRiskLearner("bob", ())))
    kept = without_exempt(risky, {"ann"})
    assert [a.learner_id for a in kept.at_risk] == ["bob"]
    assert kept.heatmap == risky.heatmap and kept.items == risky.items
    assert without_exempt(risky, set()) is risky


def test_a_retry_replays_and_anything_else_under_its_id_is_refused() -> None:
    entry = _entry(1, "lea", Kind.RESET_SKILL, False, skill="a")
    req = _req(actor="admin", reason="why")
    check_replay(entry, req)
    for other in (
        _req(actor="admin", reason="why", kind=Kind.GRANT_MASTERY),
        _req(actor="admin", reason="why", skill_id="b"),
        _req(actor="someone else", reason="why"),
        _req(actor="admin", reason="other"),
    ):
        with pytest.raises(AlreadyExistsError) as err:
            check_replay(entry, other)
        assert err.value.field == "request_id" and "lea" not in str(err.value)


# -- codecs ----------------------------------------------------------------------------------


def test_entries_round_trip_exactly() -> None:
    change = SkillChange("a", 1 / 3, 0.95, False, True, 4, 4)
    entry = _entry(9, "l:{x}", Kind.GRANT_MASTERY, True, skill="a", change=change)
    entry = replace(entry, pinned=("a", "c"), reason="ünïcode | and \"quotes\"")
    assert decode_entry(encode_entry(entry), 9) == entry
    bare = _entry(3, "", Kind.UNPIN_SKILL, False, scope=Scope.CLASS, skill="b")
    assert decode_entry(encode_entry(bare), 3) == bare


def test_learner_flags_round_trip_and_a_state_without_them_encodes_as_before() -> None:
    state = _practised()
    plain = encode_state(state)
    assert '"pn"' not in plain and '"ex"' not in plain
    flagged = replace(state, pinned=("b", "c"), exempt=True)
    assert decode_state(encode_state(flagged)) == flagged
    assert decode_state(plain) == state


# -- pins in the recommender -----------------------------------------------------------------


def test_a_pinned_skill_comes_first_even_when_locked_until_mastered() -> None:
    state = LearnerState("lea", "chain", responses=3)
    assert recommend(COURSE, state, 3)[0].skill_id == "a"  # only a is ready
    pinned = replace(state, pinned=("c",))
    recs = recommend(COURSE, pinned, 3)
    assert recs[0].skill_id == "c" and recs[0].reasons[0] is Reason.PINNED
    assert [r.skill_id for r in recs[1:]] == ["a", "c"]  # then the usual order
    mastered = replace(pinned, skills={"c": SkillState(0.99, 5, 3, True)})
    assert recommend(COURSE, mastered, 3)[0].skill_id == "a"


def test_class_pins_come_from_the_context_and_join_the_learners() -> None:
    state = replace(LearnerState("lea", "chain", responses=3), pinned=("c",))
    ctx = SelectionContext(pinned=frozenset({"b"}))
    recs = recommend(COURSE, state, 3, ctx)
    assert {r.skill_id for r in recs[:2]} == {"b", "c"}  # both pins before anything else
    assert all(r.reasons[0] is Reason.PINNED for r in recs[:2])
    unknown = SelectionContext(pinned=frozenset({"not-in-course"}))
    assert recommend(COURSE, LearnerState("x", "chain"), 1, unknown)[0].skill_id == "a"


def test_the_diagnostic_comes_before_pins() -> None:
    course = course_from_pb(chain_course(diagnostic=True))
    state = replace(LearnerState("new", "chain"), pinned=("c",))
    recs = recommend(course, state, 3, SelectionContext(pinned=frozenset({"b"})))
    assert recs and all(r.reasons == (Reason.DIAGNOSTIC,) for r in recs)

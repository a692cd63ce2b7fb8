"""The practice page's progress rows, computed once per learner state: the feedback page and
the next question's page show the same state object."""

from __future__ import annotations

from attune.engine.v1 import course_pb2, learner_pb2
from attune.gateway.progress import ProgressMemo, SkillProgress, progress_rows


def _course(name: str = "Adding") -> course_pb2.Course:
    course = course_pb2.Course(course_id="c")
    course.skills.add(skill_id="add", name=name).bkt.prior = 0.2
    course.skills.add(skill_id="sub", name="Subtracting", prerequisites=["add"]).bkt.prior = 0.1
    return course


def _state(p: float) -> learner_pb2.GetLearnerStateResponse:
    state = learner_pb2.GetLearnerStateResponse(learner_id="l", course_id="c")
    state.skills.add(skill_id="add", p_mastery=p)
    state.skills.add(skill_id="sub", p_mastery=0.3)
    state.ready_skill_ids.extend(["add", "sub"])
    return state


def test_rows_of_a_learner_state() -> None:
    rows = progress_rows(_state(0.5), _course(), {"add", "sub"})
    assert rows == [
        SkillProgress("add", "Adding", 0.5, "ready"),
        SkillProgress("sub", "Subtracting", 0.3, "ready"),
    ]
    before_any_answer = learner_pb2.GetLearnerStateResponse(learner_id="l", course_id="c")
    assert progress_rows(before_any_answer, _course(), {"sub"}) == [
        SkillProgress("sub", "Subtracting", 0.1, "locked")
    ]


def test_the_same_state_gives_the_same_rows_and_another_state_its_own() -> None:
    memo, course, state = ProgressMemo(), _course(), _state(0.5)
    skills = frozenset({"add", "sub"})
    first = memo.rows("t", state, course, skills)
    again = memo.rows("t", state, course, skills)
    assert again == first == progress_rows(state, course, set(skills))
    again.clear()  # a caller's list is its own
    assert memo.rows("t", state, course, skills) == first
    assert memo.rows("t", _state(0.9), course, skills)[0].p_mastery == 0.9


def test_another_course_object_or_other_skills_compute_anew() -> None:
    memo, state = ProgressMemo(), _state(0.5)
    assert memo.rows("t", state, _course(), frozenset({"add", "sub"}))[0].name == "Adding"
    assert memo.rows("t", state, _course("Sums"), frozenset({"add", "sub"}))[0].name == "Sums"
    assert [r.skill_id for r in memo.rows("t", state, _course(), frozenset({"sub"}))] == ["sub"]


def test_the_memo_is_bounded() -> None:
    memo, course = ProgressMemo(size=2), _course()
    states = [_state(p / 10) for p in range(5)]
    for state in states:
        memo.rows("t", state, course, frozenset({"add"}))
    assert len(memo._kept) == 2


def test_a_deleted_tenants_entries_are_dropped() -> None:
    memo, course, skills = ProgressMemo(), _course(), frozenset({"add"})
    mine, theirs = _state(0.5), _state(0.6)
    memo.rows("t", mine, course, skills)
    memo.rows("gone", theirs, course, skills)
    memo.forget_tenant("gone")
    assert [v[0] for v in memo._kept.values()] == ["t"]
    assert memo.rows("other", mine, course, skills)[0].p_mastery == 0.5  # keyed by tenant too

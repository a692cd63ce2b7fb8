"""Knowledge gaps: when a learner keeps failing a skill, suspect its prerequisites.

See :class:`~engine.domain.tutoring.GapPolicy` for the thresholds. A *weak* prerequisite is
unmastered, or mastered with P(L) decayed under its threshold: it stays a gap until it is
mastered again. A *suspected* prerequisite is mastered and strong, but the dependant has
failed so often that the mastery itself is doubted: it is re-checked once per run of
failures, and a right answer after the run began clears it (a wrong check may revoke mastery,
see ReviewPolicy).
"""

from __future__ import annotations

from dataclasses import dataclass

from attune.engine.domain.course import Course
from attune.engine.domain.learner import LearnerState
from attune.engine.domain.tutoring import GapPolicy


@dataclass(frozen=True, slots=True)
class Gap:
    """A likely gap and the evidence for it."""

    skill_id: str  # the prerequisite that is likely missing
    blocked_skill_id: str  # the skill the learner keeps failing
    failures: int  # consecutive wrong answers on the blocked skill
    p_known: float  # P(L) of the gap skill
    mastered: bool  # the gap skill's mastery flag
    suspected: bool  # a mastered, strong prerequisite doubted after many failures
    evidence: tuple[str, ...]  # event ids of the failures on the blocked skill


def find_gaps(course: Course, state: LearnerState, policy: GapPolicy) -> list[Gap]:
    """Every likely gap now, in course order of the struggling skills."""
    gaps: list[Gap] = []
    for sid in course.order:
        s = state.skills.get(sid)
        if s is None or s.mastered or s.wrong_streak < policy.failures or s.p_known >= policy.below:
            continue
        for pre in course.skills[sid].prerequisites:
            ps = state.skill(course, pre)
            weak = not ps.mastered or ps.p_known < course.policy_for(pre).threshold
            # Re-checked once per struggle: practised right after the run of failures began.
            rechecked = ps.last_seq > s.fail_start_seq and ps.correct_streak > 0
            suspected = not weak and s.wrong_streak >= policy.suspect_failures and not rechecked
            if weak or suspected:
                gaps.append(
                    Gap(
                        skill_id=pre,
                        blocked_skill_id=sid,
                        failures=s.wrong_streak,
                        p_known=ps.p_known,
                        mastered=ps.mastered,
                        suspected=suspected,
                        evidence=s.recent_fails,
                    )
                )
    return gaps


def remediation_targets(course: Course, state: LearnerState, gap_skill: str) -> list[str]:
    """The skills to practise for a gap: the gap itself when its prerequisites are mastered,
    otherwise its nearest unmastered ancestors that are ready."""
    mastered = state.mastered()
    seen: set[str] = set()
    targets: list[str] = []
    frontier = [gap_skill]
    while frontier:
        sid = frontier.pop(0)
        if sid in seen:
            continue
        seen.add(sid)
        pending = [p for p in course.skills[sid].prerequisites if p not in mastered]
        if not pending:
            targets.append(sid)
        frontier.extend(pending)
    return targets

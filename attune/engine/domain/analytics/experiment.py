"""The experiment report (issue 15 part 5): per arm, time to mastery, premature mastery and
retention, each with a 95 % interval, and each arm against the first (the baseline).

Folded from the course's event log like the class report (one observation at a time,
O(skills of the item) each), with each learner's arm recomputed from their id
(experiments.assign). A learner whose first answer is earlier than the experiment's
``started_at`` is left out. Per learner and arm:

- **Time to mastery.** Whether the engine ever declared the learner done with the course (the
  reply's phase COMPLETE: every skill mastered and none due for a check; a share, Wilson),
  and for those it did, the answers and hours from their first answer to that moment (means,
  t intervals). Per skill, the answers on it up to its first mastery
  event (as the class report's time to mastery counts them); and one value per learner, the
  mean of those over the learner's mastered skills, so that the interval treats learners, not
  a learner's skills, as independent.
- **Premature mastery,** where a later answer gives the truth: of the skills mastered and then
  answered again (credibly), the share whose next answer was wrong and the share revoked
  later. Only the first mastery of a skill counts.
- **Retention:** the class report's rule (analytics.retention), per arm.

The shares count (learner, skill) pairs or answers, which are not independent within a
learner: their Wilson intervals are somewhat too narrow when learners differ a lot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attune.engine.domain.analytics.intervals import (
    Estimate,
    MeanInterval,
    ShareInterval,
    mean_interval,
    relative_change,
    share_difference,
    share_interval,
)
from attune.engine.domain.analytics.observation import Observation
from attune.engine.domain.analytics.retention import RetentionAccumulator
from attune.engine.domain.analytics.settings import DAY
from attune.engine.domain.course import Course
from attune.engine.domain.experiments import Arm, Experiment, assign

HOUR = 3600.0


@dataclass(slots=True)
class _Learner:
    arm: str
    included: bool
    first_at: float
    answers: int = 0
    mastered: set[str] = field(default_factory=set)  # by the flags, now
    course_at: tuple[int, float] | None = None  # (answers, seconds) at course mastery
    on_skill: dict[str, int] = field(default_factory=dict)  # answers per skill until mastery
    skill_done: dict[str, int] = field(default_factory=dict)  # answers at first mastery
    awaiting: set[str] = field(default_factory=set)  # mastered, not answered since
    next_wrong: dict[str, bool] = field(default_factory=dict)  # answered since: was it wrong
    revoked: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ArmSkill:
    """One skill in one arm."""

    skill_id: str
    attempted: int
    mastered: int
    answers_to_mastery: MeanInterval


@dataclass(frozen=True, slots=True)
class ArmReport:
    """One arm's figures (see the module docstring)."""

    arm: Arm
    learners: int
    answers: int
    course_mastered: ShareInterval
    answers_to_course_mastery: MeanInterval
    hours_to_course_mastery: MeanInterval
    answers_to_skill_mastery: MeanInterval
    skills: tuple[ArmSkill, ...]
    next_answer_wrong: ShareInterval
    revoked: ShareInterval
    retention: ShareInterval


@dataclass(frozen=True, slots=True)
class ArmComparison:
    """One arm against the baseline: relative change of the mean answers to mastery (-0.2:
    20 % fewer) and differences of the shares (arm - baseline)."""

    arm_id: str
    baseline_arm_id: str
    answers_to_course_mastery_change: Estimate | None
    answers_to_skill_mastery_change: Estimate | None
    course_mastered_difference: Estimate
    next_answer_wrong_difference: Estimate
    revoked_difference: Estimate
    retention_difference: Estimate


@dataclass(frozen=True, slots=True)
class ExperimentReport:
    """Every arm, and every arm after the first against the first."""

    experiment_id: str
    arms: tuple[ArmReport, ...]
    comparisons: tuple[ArmComparison, ...]
    retention_after_s: float


class ExperimentAccumulator:
    """The experiment report of one course, folded one observation at a time."""

    __slots__ = ("_course_id", "_experiment", "_learners", "_retention", "_skills", "_tenant")

    def __init__(
        self,
        tenant: str,
        course_id: str,
        experiment: Experiment,
        skills: frozenset[str],
        retention_after_s: float = 2 * DAY,
    ) -> None:
        self._tenant = tenant
        self._course_id = course_id
        self._experiment = experiment
        self._skills = skills
        self._learners: dict[str, _Learner] = {}
        self._retention = {
            a.arm_id: RetentionAccumulator(retention_after_s) for a in experiment.arms
        }

    def add(self, obs: Observation) -> None:
        """Fold in one response (a learner's responses in log order)."""
        learner = self._learners.get(obs.learner_id)
        if learner is None:
            arm = assign(self._experiment, self._tenant, self._course_id, obs.learner_id)
            included = obs.occurred_at >= self._experiment.started_at
            learner = _Learner(arm.arm_id, included, obs.occurred_at)
            self._learners[obs.learner_id] = learner
        if not learner.included:
            return
        self._retention[learner.arm].add(obs)
        learner.answers += 1
        for sid in obs.revoked:
            if sid in learner.skill_done:
                learner.revoked.add(sid)
        for sid, flag in zip(obs.skill_ids, obs.mastered, strict=True):
            if sid in learner.awaiting and obs.credible:
                learner.awaiting.discard(sid)
                learner.next_wrong[sid] = not obs.correct
            if sid not in learner.skill_done:
                learner.on_skill[sid] = learner.on_skill.get(sid, 0) + 1
                if sid in obs.newly_mastered:
                    learner.skill_done[sid] = learner.on_skill[sid]
                    learner.awaiting.add(sid)
            if flag:
                learner.mastered.add(sid)
            else:
                learner.mastered.discard(sid)
        if learner.course_at is None and obs.complete:
            learner.course_at = (learner.answers, obs.occurred_at - learner.first_at)

    def remove_learner(self, learner_id: str) -> None:
        """Forget one learner."""
        learner = self._learners.pop(learner_id, None)
        if learner is not None:
            self._retention[learner.arm].remove_learner(learner_id)

    def snapshot(self, course: Course) -> ExperimentReport:
        """The report, skills in course order."""
        arms = tuple(self._arm(arm, course) for arm in self._experiment.arms)
        base = arms[0]
        comparisons = tuple(_compare(a, base) for a in arms[1:])
        after = next(iter(self._retention.values())).snapshot().after_s
        return ExperimentReport(self._experiment.experiment_id, arms, comparisons, after)

    def _arm(self, arm: Arm, course: Course) -> ArmReport:
        members = [x for x in self._learners.values() if x.included and x.arm == arm.arm_id]
        done = [x.course_at for x in members if x.course_at is not None]
        per_learner = [
            sum(x.skill_done.values()) / len(x.skill_done) for x in members if x.skill_done
        ]
        checked = [(sid, x) for x in members for sid in x.next_wrong]
        retention = self._retention[arm.arm_id].snapshot().overall
        return ArmReport(
            arm=arm,
            learners=len(members),
            answers=sum(x.answers for x in members),
            course_mastered=share_interval(len(done), len(members)),
            answers_to_course_mastery=mean_interval([float(n) for n, _ in done]),
            hours_to_course_mastery=mean_interval([s / HOUR for _, s in done]),
            answers_to_skill_mastery=mean_interval(per_learner),
            skills=tuple(_skill(sid, members) for sid in course.order),
            next_answer_wrong=share_interval(
                sum(x.next_wrong[sid] for sid, x in checked), len(checked)
            ),
            revoked=share_interval(sum(sid in x.revoked for sid, x in checked), len(checked)),
            retention=share_interval(retention.right, retention.answers),
        )


def _skill(skill_id: str, members: list[_Learner]) -> ArmSkill:
    values = [float(x.skill_done[skill_id]) for x in members if skill_id in x.skill_done]
    attempted = sum(1 for x in members if skill_id in x.on_skill)
    return ArmSkill(skill_id, attempted, len(values), mean_interval(values))


def _compare(arm: ArmReport, base: ArmReport) -> ArmComparison:
    return ArmComparison(
        arm_id=arm.arm.arm_id,
        baseline_arm_id=base.arm.arm_id,
        answers_to_course_mastery_change=relative_change(
            arm.answers_to_course_mastery, base.answers_to_course_mastery
        ),
        answers_to_skill_mastery_change=relative_change(
            arm.answers_to_skill_mastery, base.answers_to_skill_mastery
        ),
        course_mastered_difference=share_difference(arm.course_mastered, base.course_mastered),
        next_answer_wrong_difference=share_difference(
            arm.next_answer_wrong, base.next_answer_wrong
        ),
        revoked_difference=share_difference(arm.revoked, base.revoked),
        retention_difference=share_difference(arm.retention, base.retention),
    )

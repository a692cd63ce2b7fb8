"""An activity's mastery grade, sent on when it changes: a score queued for the LMS (AGS)
and a grade-changed statement for the tenant's LRSs."""

from __future__ import annotations

from collections.abc import Callable

from attune.engine.v1 import learner_pb2
from attune.gateway.grades.grade import SCORE_MAXIMUM, MasteryGrade, score_payload
from attune.gateway.grades.outbox import queue_score
from attune.gateway.ports import KeyValueStore, Outbox
from attune.gateway.sessions import LaunchSession
from attune.gateway.statements import Grade, LearningEvent

GRADE_SEEN_TTL = 365 * 86400.0


class ActivityGrades:
    """Grades per (line item, learner), remembered so that only a change is sent."""

    def __init__(
        self,
        store: KeyValueStore,
        outbox: Outbox,
        clock: Callable[[], float],
        emit: Callable[[LearningEvent], object] | None,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._clock = clock
        self._emit = emit

    def update(
        self,
        session: LaunchSession,
        state: learner_pb2.GetLearnerStateResponse,
        skills: tuple[str, ...],
        first_launch: bool = False,
        cause: str = "",
    ) -> MasteryGrade:
        """The activity's grade in ``state``; a score is queued for the LMS when it changed,
        and a grade-changed statement for the tenant's LRSs (``cause``: the event behind it)."""
        grade = MasteryGrade.of(state.mastered_skill_ids, skills, state.responses)
        if state.exempt:  # an instructor exempted the learner: complete, full marks
            grade = MasteryGrade(grade.total, grade.total, max(1, grade.answered))
        if not session.lineitem:
            return grade
        key = f"grade:{session.lineitem}:{session.learner_id}"
        seen = self._store.get(session.tenant, key)
        now_seen = [grade.mastered, grade.total, grade.activity_progress]
        if seen == now_seen or (first_launch and seen is not None):
            return grade
        queue_score(
            self._outbox,
            session.tenant,
            session.issuer,
            session.client_id,
            session.lineitem,
            score_payload(grade, session.sub, self._clock()),
        )
        self._store.put(session.tenant, key, now_seen, GRADE_SEEN_TTL)
        if self._emit is not None and grade.answered and cause:
            self._emit(
                LearningEvent(
                    kind="grade_changed",
                    event_id=f"grade:{cause}",
                    tenant=session.tenant,
                    learner_id=session.learner_id,
                    course_id=session.course_id,
                    occurred_at=self._clock(),
                    course_title=session.activity_title,
                    skill_ids=skills,
                    grade=Grade(round(grade.fraction * SCORE_MAXIMUM, 2), SCORE_MAXIMUM),
                )
            )
        return grade

"""The learner's practice loop, behind the page: show the recommended item, check the answer,
record it with the engine, update the grade and queue it for the LMS.

Every shown question is stored as *pending* with the event id its answer will carry, so a
re-submitted form (a double click, a network retry) is recorded once: the engine dedupes on the
event id, and the stored feedback is shown again (to the same learner only). Response time is
measured here, from when the question was shown, not trusted from the browser.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from attune.engine.v1 import course_pb2, learner_pb2
from attune.gateway.content import CourseCache, render_item
from attune.gateway.engine_port import EngineClient
from attune.gateway.errors import BadRequestError, EngineCallError
from attune.gateway.grades.grade import SCORE_MAXIMUM, MasteryGrade, score_payload
from attune.gateway.grades.outbox import queue_score
from attune.gateway.ports import KeyValueStore, Outbox
from attune.gateway.reasons import explain
from attune.gateway.sessions import LaunchSession
from attune.gateway.statements import Grade, LearningEvent

PENDING_TTL = 7 * 86400.0
ANSWERED_TTL = 2 * 86400.0
MAX_ANSWER_CHARS = 200
log = structlog.get_logger("attune.gateway.practice")


@dataclass(frozen=True, slots=True)
class Shown:
    """A question on the page, waiting for its answer."""

    event_id: str
    item_id: str
    skill_id: str
    seed: int
    shown_at: float
    prompt: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Feedback:
    """What the learner sees after answering."""

    event_id: str
    correct: bool
    given: str
    answer: str
    prompt: str
    newly_mastered: tuple[str, ...]
    grade: str


@dataclass(frozen=True, slots=True)
class SkillProgress:
    skill_id: str
    name: str
    p_mastery: float
    status: str  # mastered, ready or locked


class Practice:
    """The loop for one tenant's sessions; stateless apart from the store."""

    def __init__(
        self,
        engine: EngineClient,
        store: KeyValueStore,
        outbox: Outbox,
        courses: CourseCache,
        clock: Callable[[], float] = time.time,
        emit: Callable[[LearningEvent], object] | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._outbox = outbox
        self._courses = courses
        self._clock = clock
        self._emit = emit

    def skills(self, session: LaunchSession) -> tuple[str, ...]:
        """The activity's skills (every skill of the course when it names none)."""
        if session.skill_ids:
            return session.skill_ids
        return tuple(
            s.skill_id for s in self._courses.get(session.tenant, session.course_id).skills
        )

    def current(
        self, token: str, session: LaunchSession, state: learner_pb2.GetLearnerStateResponse
    ) -> Shown | None:
        """The pending question, or a new one; ``None`` when every skill is mastered."""
        pending = self._store.get(session.tenant, f"pending:{token}")
        if pending is not None:
            return Shown(**{**pending, "reasons": tuple(pending["reasons"])})
        course = self._courses.get(session.tenant, session.course_id)
        skills = set(self.skills(session))
        if skills <= set(state.mastered_skill_ids):
            return None
        choice = self._choose(session, course, skills)
        item, skill, reasons = choice
        seed = secrets.randbelow(2**31)
        question = render_item(item, seed)
        shown = Shown(
            event_id=str(uuid.uuid4()),
            item_id=item.item_id,
            skill_id=skill,
            seed=seed,
            shown_at=self._clock(),
            prompt=question.prompt,
            reasons=reasons,
        )
        self._store.put(session.tenant, f"pending:{token}", asdict(shown), PENDING_TTL)
        return shown

    def _choose(
        self, session: LaunchSession, course: course_pb2.Course, skills: set[str]
    ) -> tuple[course_pb2.Item, str, tuple[str, ...]]:
        items = {i.item_id: i for i in course.items}
        # A few first (the usual case: the engine's best pick is in the activity), then the
        # longer list when the activity is a corner of the course.
        for count in (5, 50):
            reply = self._engine.recommend(
                session.tenant, session.learner_id, session.course_id, count
            )
            for rec in reply.recommendations:
                if rec.skill_id in skills and rec.item_id in items:
                    return items[rec.item_id], rec.skill_id, explain(rec, course)
        # The engine ranks the whole course; none of its picks is in this activity (during
        # the diagnostic, say). Practise the activity's first unmastered skill instead.
        for item in course.items:
            for skill in item.skill_ids:
                if skill in skills:
                    return item, skill, ("It practises a skill of this activity.",)
        raise BadRequestError(f"course {course.course_id!r} has no item for this activity")

    def answer(
        self, token: str, session: LaunchSession, event_id: str, given: str
    ) -> tuple[Feedback, learner_pb2.GetLearnerStateResponse]:
        """Check and record an answer to the pending question (once, whatever the retries);
        the feedback and the learner's state after it."""
        tenant = session.tenant
        done = self._store.get(tenant, _answered_key(session, event_id))
        if done is not None:
            feedback = Feedback(**{**done, "newly_mastered": tuple(done["newly_mastered"])})
            return feedback, self.state(session, session.learner_id)
        pending = self._store.get(tenant, f"pending:{token}")
        if pending is None or pending["event_id"] != event_id:
            raise BadRequestError("this question is no longer waiting for an answer")
        if len(given) > MAX_ANSWER_CHARS:
            raise BadRequestError(f"the answer is longer than {MAX_ANSWER_CHARS} characters")
        course = self._courses.get(tenant, session.course_id)
        item = next((i for i in course.items if i.item_id == pending["item_id"]), None)
        if item is None:
            raise BadRequestError(f"item {pending['item_id']!r} is no longer in the course")
        question = render_item(item, pending["seed"])
        correct = question.check(given)
        elapsed_ms = max(0, int((self._clock() - pending["shown_at"]) * 1000))
        reply = self._engine.record(
            tenant,
            learner_pb2.RecordResponseRequest(
                event_id=event_id,
                learner_id=session.learner_id,
                course_id=session.course_id,
                item_id=item.item_id,
                correct=correct,
                response_time_ms=elapsed_ms,
            ),
        )
        names = {s.skill_id: s.name or s.skill_id for s in course.skills}
        state = self.state(session, session.learner_id)
        grade = self.update_grade(session, state, cause=event_id)
        feedback = Feedback(
            event_id=event_id,
            correct=correct,
            given=given,
            answer=question.answer,
            prompt=question.prompt,
            newly_mastered=tuple(names.get(m.skill_id, m.skill_id) for m in reply.mastery_events),
            grade=f"{grade.mastered} of {grade.total} skills mastered",
        )
        self._store.put(tenant, _answered_key(session, event_id), asdict(feedback), ANSWERED_TTL)
        self._store.take(tenant, f"pending:{token}")
        log.info(
            "practice.answered",
            tenant=tenant,
            learner_id=session.learner_id,
            item_id=item.item_id,
            correct=correct,
            duplicate=reply.duplicate,
        )
        return feedback, state

    def update_grade(
        self,
        session: LaunchSession,
        state: learner_pb2.GetLearnerStateResponse,
        first_launch: bool = False,
        cause: str = "",
    ) -> MasteryGrade:
        """The activity's grade in ``state``; a score is queued for the LMS when it changed,
        and a grade-changed statement for the tenant's LRSs (``cause``: the event behind it)."""
        grade = MasteryGrade.of(state.mastered_skill_ids, self.skills(session), state.responses)
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
        self._store.put(session.tenant, key, now_seen, 365 * 86400.0)
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
                    skill_ids=self.skills(session),
                    grade=Grade(round(grade.fraction * SCORE_MAXIMUM, 2), SCORE_MAXIMUM),
                )
            )
        return grade

    def state(self, session: LaunchSession, learner_id: str) -> learner_pb2.GetLearnerStateResponse:
        """The learner's state in the session's course; empty before their first answer."""
        try:
            return self._engine.state(session.tenant, learner_id, session.course_id)
        except EngineCallError as exc:
            if exc.code != "NOT_FOUND":
                raise
            return learner_pb2.GetLearnerStateResponse(
                learner_id=learner_id, course_id=session.course_id
            )

    def progress(
        self, session: LaunchSession, state: learner_pb2.GetLearnerStateResponse
    ) -> list[SkillProgress]:
        """Every skill of the activity with its mastery in ``state``, prerequisites first."""
        return progress_rows(
            state, self._courses.get(session.tenant, session.course_id), set(self.skills(session))
        )


def _answered_key(session: LaunchSession, event_id: str) -> str:
    """Feedback is kept per learner: another learner's event id finds nothing, exactly like
    an unknown one, so a session never reads someone else's answer."""
    return f"answered:{session.learner_id}:{event_id}"


def progress_rows(
    state: learner_pb2.GetLearnerStateResponse, course: course_pb2.Course, skills: set[str]
) -> list[SkillProgress]:
    """Skill rows of a learner state, limited to ``skills``."""
    known = {s.skill_id: s for s in state.skills}
    mastered = set(state.mastered_skill_ids)
    # Before the first answer the engine has no state: priors, and ready = no prerequisites.
    ready = (
        set(state.ready_skill_ids)
        if known
        else {s.skill_id for s in course.skills if not s.prerequisites}
    )
    rows = []
    for skill in course.skills:
        if skill.skill_id not in skills:
            continue
        status = (
            "mastered"
            if skill.skill_id in mastered
            else "ready"
            if skill.skill_id in ready
            else "locked"
        )
        p = known[skill.skill_id].p_mastery if skill.skill_id in known else skill.bkt.prior
        rows.append(SkillProgress(skill.skill_id, skill.name or skill.skill_id, p, status))
    return rows


def as_json(rows: list[SkillProgress]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]

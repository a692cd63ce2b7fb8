"""The learner's practice loop, behind the page: show the recommended item, check the answer,
record it with the engine, update the grade and queue it for the LMS.

Every shown question is stored as *pending* with the event id its answer will carry, so a
re-submitted form (a double click, a network retry) is recorded once: the engine dedupes on the
event id, and the stored feedback is shown again (to the same learner only). Response time is
measured here, from when the question was shown, not trusted from the browser.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import structlog

from attune.content.render.sanitise import plain_text
from attune.engine.v1 import course_pb2, learner_pb2
from attune.gateway import practice_content as pc
from attune.gateway.content import CourseCache, CourseIndex, render_item
from attune.gateway.engine_port import EngineClient
from attune.gateway.errors import BadRequestError, EngineCallError
from attune.gateway.grades.activity import ActivityGrades
from attune.gateway.grades.grade import MasteryGrade
from attune.gateway.library.catalogue import Catalogue
from attune.gateway.ports import BatchedPuts, KeyValueStore, Outbox
from attune.gateway.practice_recent import RecentStates
from attune.gateway.practice_templates import TemplateQuestions
from attune.gateway.progress import ProgressMemo, SkillProgress
from attune.gateway.reasons import explain
from attune.gateway.sessions import LaunchSession
from attune.gateway.statements import LearningEvent

PENDING_TTL = 7 * 86400.0
ANSWERED_TTL = 2 * 86400.0
MAX_ANSWER_CHARS = 200
MAX_CHOICES = 50
FIRST_PICKS = 5  # recommendations asked for first (see Practice._choose)
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
    content: str = ""  # the engine item's content reference
    hints_used: int = 0


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
    # Items with stored content (empty for template items): safe HTML fragments.
    score: float | None = None
    counted: bool = True  # False: the answer could not be checked and was not recorded
    item_html: str = ""
    answer_html: str = ""
    feedback_html: str = ""
    solution_html: str = ""
    resources_html: str = ""
    hints_used: int = 0


class Practice:
    """The loop for one tenant's sessions; stateless apart from the store."""

    def __init__(
        self,
        engine: EngineClient,
        store: KeyValueStore,
        outbox: Outbox,
        courses: CourseCache,
        catalogue: Catalogue,
        clock: Callable[[], float] = time.time,
        emit: Callable[[LearningEvent], object] | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._courses = courses
        self._catalogue = catalogue
        self._content = pc.ContentPractice(catalogue, store)
        self._templates = TemplateQuestions(store)
        self._clock = clock
        self._grades = ActivityGrades(store, outbox, clock, emit)
        self._after_answer = RecentStates(clock)
        self._progress = ProgressMemo()
        # The store as one that writes a batch at once, if it is one (decided once: a runtime
        # Protocol check is slow for every answer).
        self._batch: BatchedPuts | None = store if isinstance(store, BatchedPuts) else None

    def forget_tenant(self, tenant: str) -> None:
        """Drop this process's caches of a deleted tenant (courses, contents, renders, the
        progress rows of its learners' states)."""
        self._courses.forget_tenant(tenant)
        self._catalogue.forget_tenant(tenant)
        self._content.forget_tenant(tenant)
        self._progress.forget_tenant(tenant)

    def skills(self, session: LaunchSession) -> tuple[str, ...]:
        """The activity's skills (every skill of the course when it names none)."""
        if session.skill_ids:
            return session.skill_ids
        return self._courses.index(session.tenant, session.course_id).skill_ids

    def current(
        self, token: str, session: LaunchSession, state: learner_pb2.GetLearnerStateResponse
    ) -> Shown | None:
        """The pending question, or a new one; ``None`` when every skill is mastered."""
        pending = self._store.get(session.tenant, f"pending:{token}")
        index = self._courses.index(session.tenant, session.course_id)
        if pending is not None:
            if pending["item_id"] in index.items:
                if not pending["shown_at"]:  # chosen by the answer before: shown only now
                    pending["shown_at"] = self._clock()
                    self._store.put(session.tenant, f"pending:{token}", pending, PENDING_TTL)
                return Shown(**{**pending, "reasons": tuple(pending["reasons"])})
            # A re-import removed its item: it can never be answered, so choose anew.
            self._store.take(session.tenant, f"pending:{token}")
        skills = set(self.skills(session))
        if skills <= set(state.mastered_skill_ids):
            return None
        return self._show(token, session, self._choose(session, index, skills))

    def page_state(self, token: str, session: LaunchSession) -> learner_pb2.GetLearnerStateResponse:
        """The learner's state for the page: the one the answer just fetched when the page
        follows it (the "Next question" link), else asked of the engine."""
        return self._after_answer.pop(token) or self.state(session, session.learner_id)

    def _show(
        self,
        token: str,
        session: LaunchSession,
        choice: tuple[course_pb2.Item, str, tuple[str, ...]],
        writes: list[tuple[str, Any, float]] | None = None,
    ) -> Shown:
        """Store ``choice`` as the session's pending question (``writes``, when given,
        collects the writes instead of making them)."""
        item, skill, reasons = choice
        stored = self._catalogue.item(session.tenant, session.course_id, item)
        if stored is not None:
            seed, prompt = 0, plain_text(stored[1].stem_html)[:200]
        else:
            seed = self._templates.seed(session, token, item, writes)
            prompt = render_item(item, seed).prompt
        shown = Shown(
            event_id=str(uuid.uuid4()),
            item_id=item.item_id,
            skill_id=skill,
            seed=seed,
            # A question chosen ahead (by the answer before it) is timed from when its page
            # is shown, not from when it was chosen: 0 until then.
            shown_at=self._clock() if writes is None else 0.0,
            prompt=prompt,
            reasons=reasons,
            content=item.content,
        )
        if writes is None:
            self._store.put(session.tenant, f"pending:{token}", asdict(shown), PENDING_TTL)
        else:
            writes.append((f"pending:{token}", asdict(shown), PENDING_TTL))
        return shown

    def _choose(
        self, session: LaunchSession, index: CourseIndex, skills: set[str]
    ) -> tuple[course_pb2.Item, str, tuple[str, ...]]:
        # A few first (the usual case: the engine's best pick is in the activity), then the
        # longer list when the activity is a corner of the course.
        for count in (FIRST_PICKS, 50):
            reply = self._engine.recommend(
                session.tenant, session.learner_id, session.course_id, count
            )
            pick = _pick(reply.recommendations, index, skills)
            if pick is not None:
                return pick
        # The engine ranks the whole course; none of its picks is in this activity (during
        # the diagnostic, say). Practise the activity's first unmastered skill instead.
        course = index.course
        for item in course.items:
            for skill in item.skill_ids:
                if skill in skills:
                    return item, skill, ("It practises a skill of this activity.",)
        raise BadRequestError(f"course {course.course_id!r} has no item for this activity")

    def view(self, session: LaunchSession, shown: Shown) -> pc.ContentView | None:
        """The rendering of a shown item with stored content (None for a template item)."""
        course = self._courses.get(session.tenant, session.course_id)
        stored = self._content.stored(session.tenant, course, shown.item_id)
        if stored is None:
            return None
        return self._content.view(session.tenant, *stored, shown.hints_used)

    def hint(self, token: str, session: LaunchSession, event_id: str) -> None:
        """Show one more hint of the pending question (each taken hint halves the credit)."""
        pending = self._store.get(session.tenant, f"pending:{token}")
        if pending is None or pending["event_id"] != event_id:
            raise BadRequestError("this question is no longer waiting for an answer")
        shown = Shown(**{**pending, "reasons": tuple(pending["reasons"])})
        view = self.view(session, shown)
        if view is None or not view.more_hints:
            raise BadRequestError("this question has no more hints")
        pending["hints_used"] = shown.hints_used + 1
        self._store.put(session.tenant, f"pending:{token}", pending, PENDING_TTL)
        log.info("practice.hint", tenant=session.tenant, item_id=shown.item_id)

    def preview(self, session: LaunchSession, item_id: str) -> pc.Preview:
        """An item of the session's course as an instructor previews it."""
        course = self._courses.get(session.tenant, session.course_id)
        return self._content.preview(session.tenant, course, item_id)

    def answer(
        self,
        token: str,
        session: LaunchSession,
        event_id: str,
        given: str,
        choice_ids: tuple[str, ...] = (),
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
        if len(choice_ids) > MAX_CHOICES or any(len(c) > MAX_ANSWER_CHARS for c in choice_ids):
            raise BadRequestError(f"at most {MAX_CHOICES} options can be chosen")
        index = self._courses.index(tenant, session.course_id)
        item = index.items.get(pending["item_id"])
        if item is None:
            raise BadRequestError(f"item {pending['item_id']!r} is no longer in the course")
        shown = Shown(**{**pending, "reasons": tuple(pending["reasons"])})
        marked = self._mark(session, item, shown, given, choice_ids)
        # 0 (unknown to the engine) for a question whose page was never shown.
        elapsed_ms = max(0, int((self._clock() - shown.shown_at) * 1000)) if shown.shown_at else 0
        names = index.names
        mastered: tuple[str, ...] = ()
        picks: Sequence[learner_pb2.Recommendation] = ()
        if marked.credit is None:
            self._unscored(session, shown, marked.reason)
        else:
            request = learner_pb2.RecordResponseRequest(
                event_id=event_id,
                learner_id=session.learner_id,
                course_id=session.course_id,
                item_id=item.item_id,
                response_time_ms=elapsed_ms,
                max_recommendations=FIRST_PICKS,  # the next question is chosen from them
            )
            if marked.credit in (0.0, 1.0):
                request.correct = marked.credit == 1.0
            else:
                request.score = marked.credit
            reply = self._engine.record(tenant, request)
            mastered = tuple(names.get(m.skill_id, m.skill_id) for m in reply.mastery_events)
            picks = reply.recommendations
            marked = self._content.offer_resources(
                tenant, session.learner_id, shown.skill_id, marked, reply
            )
            log.info(
                "practice.answered",
                tenant=tenant,
                learner_id=session.learner_id,
                item_id=item.item_id,
                correct=marked.feedback["correct"],
                credit=marked.credit,
                duplicate=reply.duplicate,
            )
        state = self.state(session, session.learner_id)
        grade = self.update_grade(session, state, cause=event_id)
        feedback = Feedback(
            event_id=event_id,
            newly_mastered=mastered,
            grade=f"{grade.mastered} of {grade.total} skills mastered",
            **marked.feedback,
        )
        writes: list[tuple[str, Any, float]] = [
            (_answered_key(session, event_id), asdict(feedback), ANSWERED_TTL)
        ]
        self._next(token, session, index, picks, state, writes)
        # The feedback, the next question and its variant's counter: one durable write.
        if self._batch is not None:
            self._batch.put_many(tenant, writes)
        else:
            for key, value, ttl in writes:
                self._store.put(tenant, key, value, ttl)
        return feedback, state

    def _next(
        self,
        token: str,
        session: LaunchSession,
        index: CourseIndex,
        picks: Sequence[learner_pb2.Recommendation],
        state: learner_pb2.GetLearnerStateResponse,
        writes: list[tuple[str, Any, float]],
    ) -> None:
        """Replace the answered question with the next one when the engine's reply already
        names it (no Recommend call on the next page), else just drop it; and keep
        ``state`` for the next page, which follows at once. The writes go to ``writes``."""
        skills = set(self.skills(session))
        pick = None if skills <= set(state.mastered_skill_ids) else _pick(picks, index, skills)
        shown = None
        if pick is not None:
            chosen: list[tuple[str, Any, float]] = []
            try:
                shown = self._show(token, session, pick, chosen)
            except BadRequestError:
                pass  # a variant that cannot be shown: the page chooses again and says why
            else:
                writes += chosen
        if shown is None:
            self._store.take(session.tenant, f"pending:{token}")
        self._after_answer.put(token, state)

    def _mark(
        self,
        session: LaunchSession,
        item: course_pb2.Item,
        shown: Shown,
        given: str,
        choice_ids: tuple[str, ...],
    ) -> pc.Marked:
        """Check the answer to ``item``: the credit to record and the feedback's fields."""
        stored = self._catalogue.item(session.tenant, session.course_id, item)
        if stored is not None:
            marked = self._content.mark(session.tenant, stored, given, choice_ids, shown.hints_used)
            return pc.Marked(
                marked.credit,
                marked.reason,
                {**marked.feedback, "prompt": shown.prompt},
                marked.version,
            )
        question = render_item(item, shown.seed)
        correct = question.check(given)
        fields = {
            "correct": correct,
            "given": given,
            "answer": question.answer,
            "prompt": question.prompt,
        }
        return pc.Marked(1.0 if correct else 0.0, "", fields)

    def _unscored(self, session: LaunchSession, shown: Shown, reason: str) -> None:
        """An answer the checker could not decide: not the learner's fault, so nothing is
        recorded with the engine; operators find it in the log and the admin API."""
        record: dict[str, object] = {
            "at": self._clock(),
            "event_id": shown.event_id,
            "item_id": shown.item_id,
            "learner_id": session.learner_id,
            "reason": reason[:300],
        }
        self._content.record_unscored(session.tenant, session.course_id, record)
        log.warning(
            "practice.unscored",
            tenant=session.tenant,
            course_id=session.course_id,
            item_id=shown.item_id,
            reason=reason[:300],
        )

    def update_grade(
        self,
        session: LaunchSession,
        state: learner_pb2.GetLearnerStateResponse,
        first_launch: bool = False,
        cause: str = "",
    ) -> MasteryGrade:
        """The activity's grade in ``state``, sent on when it changed (see
        :class:`~attune.gateway.grades.activity.ActivityGrades`)."""
        return self._grades.update(session, state, self.skills(session), first_launch, cause)

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
        """Every skill of the activity with its mastery in ``state``, prerequisites first
        (computed once per state: the feedback page and the next page show the same one)."""
        course = self._courses.get(session.tenant, session.course_id)
        skills = frozenset(self.skills(session))
        return self._progress.rows(session.tenant, state, course, skills)


def _pick(
    recommendations: Sequence[learner_pb2.Recommendation],
    index: CourseIndex,
    skills: set[str],
) -> tuple[course_pb2.Item, str, tuple[str, ...]] | None:
    """The engine's best pick that practises a skill of the activity, with its reasons."""
    items = index.items
    for rec in recommendations:
        if rec.skill_id in skills and rec.item_id in items:
            return items[rec.item_id], rec.skill_id, explain(rec, index.course, index.names)
    return None


def _answered_key(session: LaunchSession, event_id: str) -> str:
    """Feedback is kept per learner: another learner's event id finds nothing, exactly like
    an unknown one, so a session never reads someone else's answer."""
    return f"answered:{session.learner_id}:{event_id}"

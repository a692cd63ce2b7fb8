"""One learner's timeline in one course (issue 14, part 2): every response as the event log
holds it, what it changed, what the engine recommended next and why; the learner's likely
gaps with the responses behind them; and, per skill, BKT's belief beside DKT's prediction.

The log is the source: each entry is a logged response with the reply it got (its skills'
P(L) after it, mastery events, revocations, recommendations with reasons, the predictor).
Two things the reply does not carry are derived here, and said to be:

- **Reviews.** The reply does not mark a review; an answer on a skill that its earlier
  replies left mastered is one (the engine credits a review the same way, update.py).
- **DKT's prediction before each answer.** The reply says whether DKT served it, not what DKT
  predicted for the item answered. The learner's credible answers are replayed through the
  engine's tracer (the course's current model, as the engine itself rebuilds a state after a
  model change), and the prediction before each answer is read off the step before it.

A timeline reads a whole learner, so it is for a teacher looking at one learner, not for
the response path: it costs one log read, one state read and, with DKT, one LSTM step per
credible answer (micro-batched by the tracer like any other step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from attune.engine.domain import bkt
from attune.engine.domain.course import Course
from attune.engine.domain.errors import InvalidInputError, NotFoundError
from attune.engine.domain.learner import DktState, LearnerState
from attune.engine.domain.records import LoggedEvent
from attune.engine.domain.report import GapReport, LearnerReport
from attune.engine.ports import EventLog
from attune.engine.service.engine import Engine


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One logged response and what the timeline derives about it."""

    event: LoggedEvent
    review_skills: tuple[str, ...]  # the item's skills mastered before the answer
    bkt_p_correct: float | None  # BKT's P(right) on the item before the answer
    dkt_p_correct: float | None  # DKT's, when DKT served the response


@dataclass(frozen=True, slots=True)
class EvidencedGap:
    """A likely gap and the log ids of its evidence (the failing responses)."""

    report: GapReport
    log_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    """What GetLearnerTimeline answers, before conversion."""

    course: Course
    learner_id: str
    entries: tuple[TimelineEntry, ...]  # oldest first
    gaps: tuple[EvidencedGap, ...]
    report: LearnerReport  # the learner now: every skill's P(L) and DKT's prediction


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def entries_of(
    course: Course, events: Sequence[LoggedEvent], dkt_before: Sequence[float | None]
) -> tuple[TimelineEntry, ...]:
    """The entries of ``events`` (one learner, one course, in the order applied), with DKT's
    prediction before each (``dkt_before``, aligned with ``events``). A skill the course no
    longer has is left out of BKT's prediction (its parameters are gone)."""
    if len(events) != len(dkt_before):
        raise ValueError("one DKT prediction (or None) per event")
    mastered: dict[str, bool] = {}
    out: list[TimelineEntry] = []
    for event, dkt in zip(events, dkt_before, strict=True):
        outcomes = event.reply.skills
        review = tuple(o.skill_id for o in outcomes if mastered.get(o.skill_id, False))
        before = [
            bkt.p_correct(o.p_known_before, course.skills[o.skill_id].bkt)
            for o in outcomes
            if o.skill_id in course.skills
        ]
        out.append(TimelineEntry(event, review, _mean(before), dkt))
        for o in outcomes:
            mastered[o.skill_id] = o.mastered
    return tuple(out)


def gaps_with_evidence(
    gaps: Sequence[GapReport], events: Sequence[LoggedEvent]
) -> tuple[EvidencedGap, ...]:
    """Each gap with the log ids of its evidence, in the evidence's order (an event id the
    timeline does not hold is left out)."""
    log_ids = {e.event_id: e.log_id for e in events}
    return tuple(
        EvidencedGap(g, tuple(log_ids[x] for x in g.gap.evidence if x in log_ids)) for g in gaps
    )


def _predicted_for(predicted: Mapping[str, float] | None, skills: Sequence[str]) -> float | None:
    if predicted is None:
        return None
    return _mean([predicted[s] for s in skills if s in predicted])


async def _no_history() -> Sequence[LoggedEvent]:
    return ()


class LearnerTimelines:
    """Builds learner timelines from the event log and the engine (its courses, its learner
    report with the gaps and DKT's view, its tracer)."""

    def __init__(self, log: EventLog, engine: Engine) -> None:
        self._log = log
        self._engine = engine

    async def timeline(self, tenant: str, course_id: str, learner_id: str) -> Timeline:
        """The learner's timeline in the course; :class:`NotFoundError` for an unknown course
        or a learner without events in it."""
        course = await self._engine.get_course(tenant, course_id)
        if not learner_id or not learner_id.strip():
            raise InvalidInputError("learner_id", "must not be empty")
        events = await self._log.read_learner_events(tenant, learner_id, course.course_id)
        if not events:
            raise NotFoundError("learner", learner_id)
        report = await self._engine.learner_report(tenant, learner_id, course.course_id)
        dkt = await self.dkt_before(course, learner_id, events)
        # Tens of milliseconds for thousands of events: not on the event loop.
        entries = await self._engine.off_loop(lambda: entries_of(course, events, dkt))
        return Timeline(
            course=course,
            learner_id=learner_id,
            entries=entries,
            gaps=gaps_with_evidence(report.gaps, events),
            report=report,
        )

    async def dkt_before(
        self, course: Course, learner_id: str, events: Sequence[LoggedEvent]
    ) -> list[float | None]:
        """DKT's prediction on each event's item before it, for the events DKT served (None
        for the others, and all None when the course's model cannot serve it now)."""
        tracer = self._engine.tracer
        if not course.dkt_model or tracer.why_not(course):
            return [None] * len(events)
        empty = LearnerState(learner_id, course.course_id)
        state: DktState | None = None
        predicted: Mapping[str, float] | None = None
        out: list[float | None] = []
        for event in events:
            item = course.items.get(event.item_id)
            skills = item.skill_ids if item is not None else ()
            served = event.reply.predictor == "dkt"
            out.append(_predicted_for(predicted, skills) if served else None)
            if not skills:
                continue
            # responses=0 with no state yet: nothing credible was stepped, so there is
            # nothing to rebuild (the tracer would read the history only to find that).
            view = await tracer.advance(
                course,
                replace(empty, dkt=state, responses=event.sequence - 1 if state else 0),
                skills,
                event.score,
                event.credibility >= 1.0,
                _no_history,
            )
            state, predicted = view.state, view.predicted
        return out

"""The :class:`~engine.ports.Tracer` on ONNX Runtime: advance the learner's LSTM state in
the life of one response, or say why not.

- No ``dkt_model`` on the course: BKT, with no note (nothing failed).
- The pinned model is not loaded, does not know the course's skills, or fails at run time:
  BKT, and the reply's ``predictor_note`` says why (the service logs it).
- The learner's stored state belongs to another model version (after a hot reload or a
  re-pin): it is rebuilt once from the learner's event log, then stepped O(1) again. When the
  log holds nothing credible, the state stored is *empty under this model* (no LSTM state, no
  predictions), so the next answer does not read and replay the history again (issue 20).

Too-fast answers (credibility < 1) are not fed to DKT: they are not practice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog

from attune.engine.dkt.manifest import ManifestError, check_course
from attune.engine.dkt.registry import LoadedModel
from attune.engine.dkt.tracer import OnnxTracer
from attune.engine.domain.course import Course
from attune.engine.domain.learner import CORRECT_AT, DktState, LearnerState
from attune.engine.domain.records import DktView, LoggedEvent

log = structlog.get_logger("attune.dkt")
FITS_KEPT = 1024  # (model, course) pairs remembered as checked


class DktStepper:
    """Advances learners through their course's DKT model (implements
    :class:`~engine.ports.Tracer`)."""

    def __init__(self, tracer: OnnxTracer) -> None:
        self.tracer = tracer
        # (model, course skills) pairs already checked, by identity: a course is immutable
        # and the same one is served from the store's cache, call after call (issue 17).
        self._fits: dict[tuple[int, int], tuple[LoadedModel, Mapping[str, Any]]] = {}

    def why_not(self, course: Course) -> str:
        """Why the course's pinned model cannot serve it ("" when it can or none is pinned)."""
        return self.usable(course)[1]

    def usable(self, course: Course) -> tuple[LoadedModel | None, str]:
        """The model serving the course, or None and why not ("" when it has none)."""
        if not course.dkt_model:
            return None, ""
        model = self.tracer.model(course.dkt_model)
        if model is None:
            return None, f"DKT model {course.dkt_model} is not loaded"
        key = (id(model), id(course.skills))
        known = self._fits.get(key)
        if known is not None and known[0] is model and known[1] is course.skills:
            return model, ""
        try:
            check_course(model.manifest, course)
        except ManifestError as exc:
            return None, exc.message
        if len(self._fits) >= FITS_KEPT:
            del self._fits[next(iter(self._fits))]  # the oldest
        self._fits[key] = (model, course.skills)
        return model, ""

    def view(self, course: Course, state: LearnerState) -> DktView:
        """Predictions from the stored state, without stepping (for Recommend and state reads)."""
        model, note = self.usable(course)
        if model is None or state.dkt is None or state.dkt.model != model.manifest.key:
            return DktView(state.dkt, None, note)
        if not state.dkt.steps:  # empty under this model: nothing credible seen yet
            return DktView(state.dkt, None, "")
        return DktView(state.dkt, _by_skill(course, model, state.dkt.p), "")

    async def advance(
        self,
        course: Course,
        state: LearnerState,
        item_skills: Sequence[str],
        score: float,
        credible: bool,
        history: Callable[[], Awaitable[Sequence[LoggedEvent]]],
    ) -> DktView:
        """Step the learner through one answer. ``history`` reads the learner's earlier events
        in the course; it is called only when the stored state belongs to another model."""
        model, note = self.usable(course)
        if model is None:
            return DktView(state.dkt, None, note)
        key = model.manifest.key
        dkt = state.dkt if state.dkt is not None and state.dkt.model == key else None
        try:
            if dkt is None and state.responses > 0:
                dkt = await self._rebuild(course, model, await history())
            if credible:
                for sid in item_skills:
                    dkt = await self._step(model, dkt, sid, score >= CORRECT_AT)
        except Exception as exc:  # ONNX Runtime failed: BKT carries on
            note = f"DKT model {key} failed: {type(exc).__name__}"
            log.error("dkt.failed", course_id=course.course_id, model=key, exc_info=exc)
            return DktView(state.dkt, None, note)
        if dkt is None or not dkt.steps:  # nothing credible seen yet under this model
            return DktView(_empty(key), None, "")
        return DktView(dkt, _by_skill(course, model, dkt.p), "")

    async def _step(
        self, model: LoadedModel, dkt: DktState | None, skill_id: str, correct: bool
    ) -> DktState:
        x = model.manifest.interaction(skill_id, correct)
        prior = dkt if dkt is not None and dkt.steps else None  # empty: start afresh
        p, h, c = await self.tracer.step(
            model, x, prior.h if prior else None, prior.c if prior else None
        )
        return DktState(model.manifest.key, h, c, p, (prior.steps if prior else 0) + 1)

    async def _rebuild(
        self, course: Course, model: LoadedModel, history: Sequence[LoggedEvent]
    ) -> DktState | None:
        dkt: DktState | None = None
        for event in history:
            if event.credibility < 1.0 or event.item_id not in course.items:
                continue
            for sid in course.items[event.item_id].skill_ids:
                dkt = await self._step(model, dkt, sid, event.score >= CORRECT_AT)
        log.info("dkt.state_rebuilt", model=model.manifest.key, events=len(history))
        return dkt


def _empty(key: str) -> DktState:
    """The state of a learner with no credible answer yet under model ``key``."""
    return DktState(key, (), (), (), 0)


def _by_skill(course: Course, model: LoadedModel, p: Sequence[float]) -> dict[str, float]:
    index = model.manifest.skill_index
    return {sid: float(p[index[sid]]) for sid in course.skills}

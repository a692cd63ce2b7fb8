"""Parameters that improve with use, in the engine process: the background refit job, and
the steps it shares with ``attune refit`` (reading a course's answers from the log, logging
the comparison, putting the new course through the engine).

The job is off by default (``ATTUNE_REFIT__INTERVAL_HOURS=0``). When on, every interval (on
the engine's clock) it refits each course of each tenant the engine serves whose log grew
since its last refit. The fitting itself (pyBKT, numpy) runs in a child process,
``python -m attune.models.refit.worker``, fed the course and its answers on stdin: the
serving process never imports training code, and a long fit stalls no response. The new
course is put only if the course was not changed meanwhile, through
:meth:`Engine.put_course` (validation, a DKT pin still checked), never on the response path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import Course, IrtParams
from attune.engine.domain.course_json import course_to_json
from attune.engine.domain.refit import adopt
from attune.engine.ports import Clock, EventLog
from attune.engine.service import Engine
from attune.engine.settings import RefitSettings

log = structlog.get_logger("attune.refit")

PAGE = 1000
HOUR = 3600.0
WORKER = "attune.models.refit.worker"
CONFIG_FIELDS = (
    "min_sequences",
    "min_item_responses",
    "holdout_fraction",
    "min_holdout_responses",
    "bkt_margin",
    "irt_margin",
    "forgets",
    "seed",
)

AnswerRow = tuple[str, str, float, float]  # learner id, item id, score, credibility


class RefitError(Exception):
    """A refit could not run (the worker failed or timed out); the message says why."""


async def read_answers(
    events: EventLog, tenant: str, course_id: str
) -> tuple[list[AnswerRow], int]:
    """The course's logged answers in log order, and the last log id read (0: none)."""
    rows: list[AnswerRow] = []
    after = 0
    while True:
        page = await events.read_course_events(tenant, course_id, after, PAGE)
        if not page:
            return rows, after
        rows.extend((e.learner_id, e.item_id, e.score, e.credibility) for e in page)
        after = page[-1].log_id


def log_comparison(tenant: str, report: Mapping[str, Any]) -> None:
    """One ``refit.compared`` line per skill, per calibrated item, and a summary."""
    course_id = report["course_id"]
    for s in report["skills"]:
        log.info(
            "refit.compared",
            tenant=tenant,
            course_id=course_id,
            skill_id=s["skill_id"],
            fit_sequences=s["fit_sequences"],
            holdout_sequences=s["holdout_sequences"],
            old=s["old"],
            new=s["new"],
            decision=s["decision"],
            reason=s["reason"],
        )
    for i in report["items"]:
        if i["new_params"] is not None:
            log.info(
                "refit.compared",
                tenant=tenant,
                course_id=course_id,
                item_id=i["item_id"],
                fit_responses=i["fit_responses"],
                holdout_responses=i["holdout_responses"],
                old=i["old"],
                new=i["new"],
                decision=i["decision"],
                reason=i["reason"],
            )
    log.info(
        "refit.compared",
        tenant=tenant,
        course_id=course_id,
        summary=True,
        learners=report["learners"],
        holdout_learners=report["holdout_learners"],
        responses=report["responses"],
        adopted_skills=len(report["adopted_skills"]),
        kept_skills=len(report["skills"]) - len(report["adopted_skills"]),
        adopted_items=len(report["adopted_items"]),
        irt_holdout=report["irt_holdout"],
    )


async def put_refitted(engine: Engine, tenant: str, original: Course, refitted: Course) -> bool:
    """Put ``refitted`` unless the stored course is no longer ``original`` (someone put a
    new version during the refit: that one wins, and the next refit starts from it)."""
    current = await engine.store.get_course(tenant, original.course_id)
    if current != original:
        log.warning(
            "refit.skipped",
            tenant=tenant,
            course_id=original.course_id,
            reason="the course changed during the refit",
        )
        return False
    await engine.put_course(tenant, refitted)
    log.info("refit.adopted", tenant=tenant, course_id=original.course_id)
    return True


def adopted_course(course: Course, adopted: Mapping[str, Any]) -> Course:
    """``course`` with the worker's ``adopted`` parameters (exact floats from JSON)."""
    bkt = {sid: BktParams(**p) for sid, p in adopted.get("skills", {}).items()}
    irt = {iid: IrtParams(**p) for iid, p in adopted.get("items", {}).items()}
    return adopt(course, bkt, irt)


class RefitRunner(Protocol):
    """Runs one course's refit: the worker's reply (``report`` and ``adopted``)."""

    async def __call__(
        self, course: Course, answers: Sequence[AnswerRow], settings: RefitSettings
    ) -> dict[str, Any]: ...


async def run_worker(
    course: Course, answers: Sequence[AnswerRow], settings: RefitSettings
) -> dict[str, Any]:
    """The refit in a child process (``python -m attune.models.refit.worker``)."""
    request = {
        "course": course_to_json(course),
        "answers": [list(a) for a in answers],
        "config": {name: getattr(settings, name) for name in CONFIG_FIELDS},
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        WORKER,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(json.dumps(request).encode()), settings.timeout_seconds
        )
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise RefitError(f"the refit worker took over {settings.timeout_seconds} s") from None
    if proc.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise RefitError(f"the refit worker failed ({proc.returncode}): {tail[0]}")
    reply: dict[str, Any] = json.loads(out)
    return reply


@dataclass
class RefitJob:
    """The background refit: :meth:`tick` runs a round when one is due on ``clock``."""

    engine: Engine
    tenants: tuple[str, ...]
    settings: RefitSettings
    clock: Clock
    runner: RefitRunner = run_worker
    next_due: float | None = None
    refitted_up_to: dict[tuple[str, str], int] = field(default_factory=dict)

    async def tick(self) -> bool:
        """Run a round if one is due (the first is due one interval after the first tick)."""
        now = self.clock.now()
        interval = self.settings.interval_hours * HOUR
        if self.next_due is None:
            self.next_due = now + interval
        if now < self.next_due:
            return False
        await self.run_round()
        self.next_due = now + interval
        return True

    async def run_round(self) -> int:
        """Refit every course whose log grew since its last refit; how many were refitted.
        One course's failure is logged and the round goes on."""
        done = 0
        for tenant in self.tenants:
            after = ""
            while True:
                courses = await self.engine.store.list_courses(tenant, after, 50)
                if not courses:
                    break
                for course in courses:
                    try:
                        done += await self.refit_course(tenant, course)
                    except (RefitError, ValueError) as exc:
                        log.warning(
                            "refit.failed",
                            tenant=tenant,
                            course_id=course.course_id,
                            error=str(exc),
                        )
                after = courses[-1].course_id
        return done

    async def refit_course(self, tenant: str, course: Course) -> int:
        """Refit one course if its log grew; 1 if it ran. One small read probes past the
        last refit first, so an unchanged log is not read in full."""
        key = (tenant, course.course_id)
        seen = self.refitted_up_to.get(key, 0)
        if not await self.engine.store.read_course_events(tenant, course.course_id, seen, 1):
            return 0
        answers, last = await read_answers(self.engine.store, tenant, course.course_id)
        reply = await self.runner(course, answers, self.settings)
        log_comparison(tenant, reply["report"])
        adopted = reply.get("adopted") or {}
        if adopted.get("skills") or adopted.get("items"):
            await put_refitted(self.engine, tenant, course, adopted_course(course, adopted))
        self.refitted_up_to[key] = last
        return 1

    async def run_forever(self, stopping: asyncio.Event, poll_seconds: float = 60.0) -> None:
        """Tick until ``stopping`` is set."""
        log.info("refit.job_started", interval_hours=self.settings.interval_hours)
        while not stopping.is_set():
            await self.tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), poll_seconds)

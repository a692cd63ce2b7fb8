"""``python -m bench.redis_memory``: what a learner costs in Redis memory, measured.

Simulated learners (``engine.demo.simulated``) are tutored through the demo course (47
skills) by a real engine over the Redis store, each answering the engine's first
recommendation, for ``--responses`` responses. Then ``MEMORY USAGE`` (exact: ``SAMPLES 0``)
is read for every key of each learner, and the tenant's shared keys are divided among the
learners. "With DKT" rewrites each learner's state with a DKT state of ``--hidden`` units
(h and c) and predictions for every skill, as the DKT step stores it, and measures again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from attune.engine.adapters.codec import encode_state
from attune.engine.adapters.redis_keys import LearnerKeys, TenantKeys
from attune.engine.adapters.redis_store import RedisStore
from attune.engine.demo.course import demo_course
from attune.engine.demo.simulated import SimulatedLearner
from attune.engine.domain.learner import DktState, Response
from attune.engine.service import Engine
from bench.redis_proc import RedisProcess
from bench.report import RESULTS_DIR, machine_info

TENANT = "bench"


async def _tutor(engine: Engine, learner_id: str, responses: int, seed: int) -> None:
    course = demo_course()
    sim = SimulatedLearner.new(course, seed)
    item = sorted(course.items)[0]
    for k in range(responses):
        correct = sim.answer(item)
        result = await engine.record(
            TENANT,
            Response(f"{learner_id}-{k}", learner_id, course.course_id, item, float(correct),
                     9000, 1.8e9 + 60 * k),
        )  # fmt: skip
        item = result.recommendations[0].item_id if result.recommendations else item


async def _usage(client: Any, key: str) -> int:
    return int(await client.memory_usage(key, samples=0) or 0)


async def _learner_bytes(client: Any, learner_id: str, course_id: str) -> dict[str, int]:
    keys = LearnerKeys(TENANT, learner_id)
    tenant = TenantKeys(TENANT)
    return {
        "state": await _usage(client, keys.state(course_id)),
        "events": await _usage(client, keys.events),
        "sequence": await _usage(client, keys.sequence(course_id)),
        "meta": await _usage(client, keys.meta),
        "outbox": await _usage(client, keys.outbox),
        "stream_ids": await _usage(client, tenant.stream_ids(learner_id)),
    }


async def measure(learners: int, responses: int, hidden: int) -> dict[str, Any]:
    """Tutor the learners, then measure; the figures as a dict."""
    course = demo_course()
    with RedisProcess("everysec") as redis:
        store = await RedisStore.open(redis.url, sweep_seconds=0)
        try:
            engine = Engine(store)
            await engine.put_course(TENANT, course)
            ids = [f"learner-{n:03d}" for n in range(learners)]
            await asyncio.gather(*[_tutor(engine, lid, responses, n) for n, lid in enumerate(ids)])
            await store.relay.drain()
            client = store.client
            per: dict[str, list[int]] = {}
            for lid in ids:
                for part, size in (await _learner_bytes(client, lid, course.course_id)).items():
                    per.setdefault(part, []).append(size)
            tenant = TenantKeys(TENANT)
            stream = await _usage(client, tenant.log)
            marks = await _usage(client, tenant.marks)
            state_body = len((await client.get(LearnerKeys(TENANT, ids[0]).state("demo"))) or "")
            # With DKT: the same states, plus an LSTM state of `hidden` units.
            with_dkt: list[int] = []
            for lid in ids:
                key = LearnerKeys(TENANT, lid).state(course.course_id)
                snap = await store.load(TENANT, lid, course.course_id)
                assert snap is not None
                dkt = DktState(
                    "demo-dkt@1",
                    tuple(0.1 + i / 997 for i in range(hidden)),
                    tuple(-0.2 + i / 991 for i in range(hidden)),
                    tuple(0.3 + i / 983 for i in range(len(course.skills))),
                    responses,
                )
                body = encode_state(replace(snap.state, dkt=dkt))
                await client.set(key, f"{snap.version}|{body}")
                with_dkt.append(await _usage(client, key))
            events = sum(per["events"]) / (learners * responses)
        finally:
            await store.close()
    mean = {part: statistics.mean(sizes) for part, sizes in per.items()}
    learner_slot = mean["state"] + mean["events"] + mean["sequence"] + mean["meta"]
    tenant_share = (stream + marks) / learners + mean["stream_ids"]
    state_dkt = statistics.mean(with_dkt)
    return {
        "learners": learners,
        "responses_per_learner": responses,
        "skills": len(course.skills),
        "dkt_hidden": hidden,
        "bytes_per_learner": {
            "state": round(mean["state"]),
            "state_with_dkt": round(state_dkt),
            "state_json_chars": state_body,
            "event_log": round(mean["events"] + mean["sequence"]),
            "meta": round(mean["meta"]),
            "learner_slot_total": round(learner_slot),
            "learner_slot_total_with_dkt": round(learner_slot - mean["state"] + state_dkt),
            "tenant_stream_share": round(tenant_share),
            "total": round(learner_slot + tenant_share),
            "total_with_dkt": round(learner_slot - mean["state"] + state_dkt + tenant_share),
        },
        "bytes_per_event": {
            "learner_log": round(events),
            "tenant_stream": round(stream / (learners * responses)),
        },
    }


def render(data: dict[str, Any]) -> str:
    """The figures as a short table."""
    b, e = data["bytes_per_learner"], data["bytes_per_event"]
    rows = [
        ("learner state (BKT, IRT, history)", b["state"]),
        (f"learner state with DKT ({data['dkt_hidden']} hidden)", b["state_with_dkt"]),
        ("learner event log (events hash + order)", b["event_log"]),
        ("learner meta", b["meta"]),
        ("learner slot, total", b["learner_slot_total"]),
        ("learner slot, total with DKT", b["learner_slot_total_with_dkt"]),
        ("share of the tenant stream (+ marks, ids)", b["tenant_stream_share"]),
        ("everything", b["total"]),
        ("everything, with DKT", b["total_with_dkt"]),
    ]
    head = (
        f"{data['learners']} learners x {data['responses_per_learner']} responses, "
        f"demo course ({data['skills']} skills); bytes per learner (MEMORY USAGE):"
    )
    lines = [head] + [f"  {name:<46} {value:>10,}" for name, value in rows]
    lines.append(
        f"per event: {e['learner_log']:,} B in the learner's log, "
        f"{e['tenant_stream']:,} B in the tenant stream"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and report."""
    p = argparse.ArgumentParser(prog="python -m bench.redis_memory", description=__doc__)
    p.add_argument("--learners", type=int, default=20)
    p.add_argument("--responses", type=int, default=200)
    p.add_argument("--hidden", type=int, default=64, help="DKT hidden units")
    args = p.parse_args(argv)
    data = asyncio.run(measure(args.learners, args.responses, args.hidden))
    data["machine"] = machine_info()
    path = RESULTS_DIR / "redis_memory.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(render(data))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

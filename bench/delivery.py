"""Statement delivery to a real LRS, against a same-run ceiling (``python -m bench.delivery``).

- **Ceiling:** the same statements, in batches of the same size, posted straight to Ralph
  with one keep-alive session, one batch after another: no queue, no relay.
- **Outbox:** the statements are queued while the LRS is down (the relay's first send fails
  and schedules a retry); the clock starts when Ralph is back and stops when the outbox has
  delivered all of them, through :class:`~gateway.lrs.relay.StatementRelay` and
  :class:`~integrations.lrs.http.HttpLrsClient`, on the embedded SQLite store and on Redis.

Ralph's file backend reads its whole statements file for the duplicate check of every POST,
so a POST costs more as the LRS fills: each phase starts from an empty Ralph (same server,
same user), warmed by one throwaway batch (a Ralph just restarted answers its first POSTs
slowly). The phases alternate over ``--rounds``, in the reverse order every other round;
the ratios are taken within a round and their medians reported. Everything
runs on 127.0.0.1 and shares the machine's cores, so the ratios are what to read. Nothing
here is a test: it prints a table and writes JSON to ``bench/results/delivery.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import requests

RESULTS = Path(__file__).resolve().parent / "results"
TENANT = "default"
_DEADLINE_S = 300.0  # one phase never runs longer than this


def backlog(count: int) -> list[dict[str, Any]]:
    """``count`` xAPI statements as the gateway builds them: answered, mastered and
    recommended statements of 50 learners on 20 items."""
    from attune.gateway.lrs.relay import statement_for
    from attune.gateway.lrs.targets import LrsTarget
    from attune.gateway.statements import LearningEvent

    target = LrsTarget(
        tenant=TENANT,
        name="bench",
        url="http://127.0.0.1/xAPI",
        home_page="https://attune.example.edu",
        activity_base="https://attune.example.edu/xapi",
    )
    bodies: list[dict[str, Any]] = []
    n = 0
    while len(bodies) < count:
        common = {
            "event_id": f"bench-{n}",
            "tenant": TENANT,
            "learner_id": f"learner-{n % 50}",
            "course_id": "demo",
            "course_title": "Fractions",
            "occurred_at": 1_790_000_000.0 + n,
        }
        skill = f"skill-{n % 7}"
        events = [
            LearningEvent(
                kind="answered",
                item_id=f"item-{n % 20}",
                skill_ids=(skill,),
                success=n % 3 != 0,
                score=1.0 if n % 3 else 0.0,
                response_time_ms=8000,
                p_mastery={skill: 0.42},
                **common,  # type: ignore[arg-type]
            ),
            LearningEvent(
                kind="recommended",
                recommended_item_ids=(f"item-{(n + 1) % 20}",),
                **common,  # type: ignore[arg-type]
            ),
        ]
        if n % 5 == 4:
            events.append(
                LearningEvent(
                    kind="mastered",
                    skill_ids=(skill,),
                    p_mastery={skill: 0.96},
                    **common,  # type: ignore[arg-type]
                )
            )
        bodies += [statement_for(target, e) for e in events]
        n += 1
    return bodies[:count]


def empty(ralph: Any) -> None:
    """Drop every statement Ralph holds, between phases: its file backend opens the file for
    each read and write, so an idle server simply finds it empty (no restart needed)."""
    if ralph.data_file.exists():
        ralph.data_file.write_bytes(b"")


def warm(ralph: Any, bodies: Sequence[dict[str, Any]], batch: int) -> None:
    """One throwaway batch, then an empty LRS: a Ralph just started answers its first POSTs
    slowly (imports, model building), which neither side of the ratio should pay."""
    chunk = [{**b, "id": str(uuid.uuid4())} for b in bodies[:batch]]
    requests.post(
        f"{ralph.url}/statements",
        json=chunk,
        auth=ralph.auth,
        headers={"X-Experience-API-Version": "1.0.3"},
        timeout=60,
    ).raise_for_status()
    empty(ralph)


def direct(ralph: Any, bodies: Sequence[dict[str, Any]], batch: int, in_flight: int) -> float:
    """Statements/s posting ``bodies`` in batches of ``batch`` straight to Ralph, with one
    keep-alive session and ``in_flight`` POSTs at a time (rounds of ``in_flight`` batches,
    as the relay sends them)."""
    http = requests.Session()
    http.auth = ralph.auth
    headers = {"X-Experience-API-Version": "1.0.3"}
    chunks = [list(bodies[i : i + batch]) for i in range(0, len(bodies), batch)]

    def post(chunk: list[dict[str, Any]]) -> None:
        url = f"{ralph.url}/statements"
        http.post(url, json=chunk, headers=headers, timeout=60).raise_for_status()

    with ThreadPoolExecutor(in_flight) as pool:
        began = time.perf_counter()
        for start in range(0, len(chunks), in_flight):
            list(pool.map(post, chunks[start : start + in_flight]))
        elapsed = time.perf_counter() - began
    http.close()
    return len(bodies) / elapsed


def through_outbox(
    ralph: Any, outbox: Any, bodies: Sequence[dict[str, Any]], batch: int, in_flight: int
) -> dict[str, float]:
    """Statements/s delivering ``bodies`` queued during an outage, once Ralph is back."""
    from attune.gateway.lrs.relay import StatementRelay
    from attune.gateway.lrs.targets import LrsTarget
    from attune.gateway.worker import Backoff
    from attune.integrations.lrs.http import HttpLrsClient

    name = f"bench-{time.monotonic_ns()}"
    target = LrsTarget(
        tenant=TENANT,
        name=name,
        url=ralph.url,
        username=ralph.username,
        password=ralph.password,
    )
    outbox.put_target(target)
    client = HttpLrsClient()
    # The feed is not exercised: the backlog is queued as the gateway's own events are
    # (``StatementRelay.emit``), so no engine or course cache is needed.
    relay = StatementRelay(
        outbox,
        cast(Any, None),
        cast(Any, None),
        client,
        batch,
        Backoff(0.001, 0.002),
        0.05,
        in_flight=in_flight,
    )
    ralph.kill()
    empty(ralph)
    outbox.enqueue(TENANT, [(target.key, str(b["id"]), b) for b in bodies])
    assert relay.send(target) == 0  # the outage: one failed try, a retry scheduled
    ralph.start()
    warm(ralph, bodies, batch)
    began = time.perf_counter()
    delivered = 0
    while delivered < len(bodies) and time.perf_counter() - began < _DEADLINE_S:
        delivered += relay.send(target)
    elapsed = time.perf_counter() - began
    counts = outbox.counts(TENANT)
    outbox.delete_target(TENANT, name)
    relay.stop()
    return {
        "statements_per_s": delivered / elapsed,
        "delivered": delivered,
        **{f"queue_{k}": float(v) for k, v in counts.items()},
    }


def _stores(redis_too: bool, tmp: Path) -> Iterator[tuple[str, Callable[[], Any]]]:
    from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox

    yield "sqlite", lambda: SqliteStatementOutbox(tmp / f"gateway-{time.monotonic_ns()}.db")
    if redis_too:
        from attune.gateway.lrs.redis_outbox import RedisStatementOutbox
        from bench.redis_proc import RedisProcess

        with RedisProcess("everysec") as server:

            def make() -> Any:
                server.client().flushdb()
                return RedisStatementOutbox(server.client())

            yield "redis", make


def _store_rounds(
    store: str,
    make: Callable[[], Any],
    ralph: Any,
    bodies: Sequence[dict[str, Any]],
    args: argparse.Namespace,
    flights: Sequence[int],
) -> dict[str, Any]:
    """Every phase once per round, the order flipped each round (the machine's load drifts);
    the ratios are taken within a round, then their median across rounds."""
    runs: dict[str, list[float]] = {}
    for number in range(args.rounds):
        phases = [(kind, n) for n in flights for kind in ("direct", "outbox")]
        for kind, n in phases if number % 2 == 0 else phases[::-1]:
            if kind == "direct":
                warm(ralph, bodies, args.batch)
                rate = direct(ralph, bodies, args.batch, n)
            else:
                outbox = make()
                try:
                    run = through_outbox(ralph, outbox, bodies, args.batch, n)
                finally:
                    outbox.close()
                if run["delivered"] != len(bodies):
                    raise RuntimeError(f"{store}: delivered {run['delivered']} of {len(bodies)}")
                rate = run["statements_per_s"]
            runs.setdefault(f"{kind}_{n}", []).append(rate)
    ratios: dict[str, float] = {}
    for n in flights:
        outbox_rates = runs[f"outbox_{n}"]
        ratios[f"outbox_{n}/direct_{n}"] = _median_ratio(outbox_rates, runs[f"direct_{n}"])
        ratios[f"outbox_{n}/direct_1"] = _median_ratio(outbox_rates, runs["direct_1"])
        print(
            f"{store:7s} {n} in flight: outbox {statistics.median(outbox_rates):6.0f}/s, "
            f"direct {statistics.median(runs[f'direct_{n}']):6.0f}/s at {n} in flight "
            f"(ratio {ratios[f'outbox_{n}/direct_{n}']:.2f}), "
            f"direct one at a time {statistics.median(runs['direct_1']):6.0f}/s "
            f"(ratio {ratios[f'outbox_{n}/direct_1']:.2f})"
        )
    return {"runs": runs, "ratios": ratios}


def _median_ratio(top: Sequence[float], bottom: Sequence[float]) -> float:
    return statistics.median(a / b for a, b in zip(top, bottom, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.delivery", description=__doc__)
    parser.add_argument("--statements", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--in-flight", type=int, default=2, help="the relay's, as configured")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.ralph_lrs import RalphLRS

    bodies = backlog(args.statements)
    flights = sorted({1, args.in_flight})
    report: dict[str, Any] = {
        "statements": args.statements,
        "batch": args.batch,
        "rounds": args.rounds,
        "stores": {},
    }
    with tempfile.TemporaryDirectory(prefix="attune-bench-delivery-") as tmp:
        ralph = RalphLRS(Path(tmp) / "ralph").start()
        try:
            for store, make in _stores(not args.no_redis, Path(tmp)):
                report["stores"][store] = _store_rounds(store, make, ralph, bodies, args, flights)
        finally:
            ralph.stop()
    print(f"medians of {args.rounds} rounds; {args.statements} statements, batches of {args.batch}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "delivery.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"-> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The gateway under load, against same-run ceilings (``python -m bench.gateway``).

- **Practice answers:** learners on ``/demo`` sessions, each answering its question (GET the
  page, POST the answer: a RecordResponse, a GetLearnerState and two renders). Ceiling: the same
  server's ``GET /healthz`` with the same concurrency.
- **Statements:** a backlog of responses recorded straight into the engine while the LRS is
  down, then the time from its return until the outbox has delivered every statement to it
  (a real Ralph). Ceiling: the same Ralph
  taking batches of the same size posted directly, with no engine or outbox in between.

Both sides share the machine's two cores with the servers, so the ratios are what to read.
Nothing here is a test: it prints a table and writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from bench.stats import PhaseResult, Sample

RESULTS = Path(__file__).resolve().parent / "results"
_LINE = re.compile(r"(engine|gateway) listening on (\S+)")


@contextmanager
def serve(data_dir: Path, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """``attune serve`` (engine + gateway) on free ports: (engine target, gateway URL)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "attune",
            "serve",
            "--port",
            "0",
            "--gateway-port",
            "0",
            "--data-dir",
            str(data_dir),
            "--log-level",
            "warning",
            "--log-format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("ATTUNE_")}, **env},
    )
    assert proc.stdout is not None
    found: dict[str, str] = {}
    while len(found) < 2:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("attune serve exited before listening")
        match = _LINE.search(line)
        if match:
            found[match.group(1)] = match.group(2)
    try:
        yield found["engine"], found["gateway"]
    finally:
        proc.terminate()
        proc.wait(30)


def run_threads(workers: int, seconds: float, one: Callable[[requests.Session], Any]) -> Sample:
    """``workers`` threads calling ``one`` for ``seconds``; latencies of the successes."""
    samples = [Sample() for _ in range(workers)]
    stop = time.monotonic() + seconds

    def work(sample: Sample) -> None:
        http = requests.Session()
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                one(http)
            except Exception as exc:
                sample.add_error(type(exc).__name__)
            else:
                sample.add_ok(time.perf_counter() - began)

    threads = [threading.Thread(target=work, args=(s,)) for s in samples]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = Sample()
    for s in samples:
        total.merge(s)
    total.elapsed_s = time.monotonic() - began
    return total


def practice_phases(url: str, workers: int, seconds: float) -> list[PhaseResult]:
    """The healthz ceiling, then practice answers."""
    from attune.content.templates import render
    from attune.engine.demo.course import demo_course

    contents = {i.item_id: i.content for i in demo_course().items.values()}

    def health(http: requests.Session) -> None:
        http.get(f"{url}/healthz", timeout=30).raise_for_status()

    tokens: dict[int, str] = {}

    def practise(http: requests.Session) -> None:
        key = id(http)
        if key not in tokens:
            tokens[key] = http.get(f"{url}/demo", timeout=30).url.rsplit("/", 1)[-1]
        token = tokens[key]
        page = http.get(f"{url}/practice/{token}", timeout=30)
        page.raise_for_status()
        event = re.search(r'name="event_id" value="([^"]+)"', page.text)
        item = re.search(r'data-item="([^"]+)" data-seed="(\d+)"', page.text)
        if event is None or item is None:
            raise RuntimeError("no question on the page")
        right = render(contents[item.group(1)], int(item.group(2))).answer
        http.post(
            f"{url}/practice/{token}/answer",
            data={"event_id": event.group(1), "answer": right},
            timeout=30,
        ).raise_for_status()

    ceiling = run_threads(workers, seconds, health)
    answers = run_threads(workers, seconds, practise)
    return [
        PhaseResult.from_sample("ceiling: GET /healthz", "calls/s", ceiling, 0.0, None),
        PhaseResult.from_sample(
            "practice answer (GET page + POST answer)", "answers/s", answers, 0.0, None
        ),
    ]


def statement_phases(
    engine: str, responses: int, ralph: Any, batch: int, data_dir: Path, in_flight: int
) -> dict[str, float]:
    """The outbox's delivery rate after an outage, then the ceilings: the same statements
    posted straight to Ralph in batches of the same size, one at a time and ``in_flight`` at
    a time (the relay's setting). Each phase starts from an empty Ralph just restarted: its
    file backend reads every stored statement for the duplicate check of each POST, and its
    first POSTs after a start are slow."""
    import grpc

    from attune.engine.demo.course import demo_course
    from attune.engine.v1 import learner_pb2, learner_pb2_grpc
    from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox
    from bench.delivery import direct, empty

    outbox = SqliteStatementOutbox(data_dir / "gateway.db")
    done = outbox.list_statements("default", "delivered", 1_000_000)
    last_row = max((q.row_id for q in done), default=0)
    items = list(demo_course().items)
    meta = (("authorization", "Bearer dev-token"),)
    # The backlog builds while the LRS is down; the clock starts when it is back, so the
    # rate is the outbox's own (feed from the log + send), not the engine's recording rate.
    ralph.kill()
    empty(ralph)
    began = time.perf_counter()
    with grpc.insecure_channel(engine) as channel:
        stub = learner_pb2_grpc.LearnerServiceStub(channel)
        for n in range(responses):
            stub.RecordResponse(
                learner_pb2.RecordResponseRequest(
                    event_id=f"bench-{uuid.uuid4()}",
                    learner_id=f"bench-{n % 50}",
                    course_id="demo",
                    item_id=items[n % len(items)],
                    correct=n % 3 != 0,
                    response_time_ms=8000,
                ),
                metadata=meta,
            )
    recorded = time.perf_counter() - began
    # Let the outbox queue the whole backlog (and fail to send it): until the queue stops
    # growing.
    total = -1
    while total != (total := outbox.counts("default").get("pending", 0)):
        time.sleep(0.5)
    ralph.start()
    began = time.perf_counter()
    # Progress is read from the outbox's own table: asking Ralph (whose file backend scans
    # every statement on each query) would slow the LRS being measured.
    while outbox.counts("default").get("pending"):
        time.sleep(0.1)
    elapsed = time.perf_counter() - began
    done = outbox.list_statements("default", "delivered", 1_000_000)
    bodies = [q.body for q in done if q.row_id > last_row]
    outbox.close()
    ceilings = {}
    for n in sorted({1, in_flight}):
        # As cold as the outbox found it: just restarted, and empty.
        ralph.stop()
        empty(ralph)
        ralph.start()
        ceilings[n] = direct(ralph, bodies, batch, n)
    return {
        "direct_statements_per_s": ceilings[1],
        f"direct_{in_flight}_in_flight_statements_per_s": ceilings[in_flight],
        "outbox_statements_per_s": len(bodies) / elapsed,
        "responses_recorded_s": recorded,
        "statements": len(bodies),
        "pending_at_restart": total,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.gateway", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--responses", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=2, help="statement POSTs at once")
    parser.add_argument("--statements-only", action="store_true", help="skip the practice phases")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.ralph_lrs import RalphLRS

    with tempfile.TemporaryDirectory() as tmp:
        ralph = RalphLRS(Path(tmp) / "ralph").start()
        try:
            env = {
                "ATTUNE_MODELS_DIR": "/nonexistent",
                "ATTUNE_TUTOR__TOO_FAST_FLOOR_MS": "0",
                "ATTUNE_LRS_URL": ralph.url,
                "ATTUNE_LRS_USERNAME": ralph.username,
                "ATTUNE_LRS_PASSWORD": ralph.password,
                "ATTUNE_GATEWAY__STATEMENT_POLL_SECONDS": "0.05",
                "ATTUNE_GATEWAY__STATEMENT_BASE_DELAY_SECONDS": "0.05",
                "ATTUNE_GATEWAY__STATEMENT_MAX_DELAY_SECONDS": "0.1",
                "ATTUNE_GATEWAY__STATEMENT_IN_FLIGHT": str(args.in_flight),
            }
            with serve(Path(tmp) / "attune", env) as (engine, url):
                phases = (
                    [] if args.statements_only else practice_phases(url, args.workers, args.seconds)
                )
                statements = statement_phases(
                    engine, args.responses, ralph, 50, Path(tmp) / "attune", args.in_flight
                )
        finally:
            ralph.stop()
    for p in phases:
        print(
            f"{p.name:45s} {p.throughput:8.1f} {p.unit:10s} p50 {p.p50_ms:6.1f} ms  "
            f"p99 {p.p99_ms:6.1f} ms  errors {sum(p.errors.values())}"
        )
    if phases:
        ceiling, answers = phases
        print(f"practice answers / healthz ceiling: {answers.throughput / ceiling.throughput:.3f}")
    outbox, n = statements["outbox_statements_per_s"], args.in_flight
    one, same = (
        statements["direct_statements_per_s"],
        statements[f"direct_{n}_in_flight_statements_per_s"],
    )
    print(
        f"statements ({statements['statements']:.0f}): outbox {outbox:.0f}/s; the same "
        f"statements straight to Ralph {one:.0f}/s one POST at a time (ratio {outbox / one:.2f}), "
        f"{same:.0f}/s {n} at a time (ratio {outbox / same:.2f})"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("gateway_statements.json" if args.statements_only else "gateway.json")
    out.write_text(
        json.dumps(
            {
                "phases": [p.__dict__ for p in phases],
                "statements": statements,
                "workers": args.workers,
            },
            indent=2,
        )
    )
    print(f"-> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The statements resource and voiding, timed (``python -m bench.xapi_reads``; issue 19).

- The store on the gateway's SQLite file (and on Redis with ``--redis-url``): statements
  kept per second through the keeper; ``GET ?statementId`` (one read); the newest page of
  100; an agent filter that matches one statement in ``LEARNERS`` (a page of 25, and every
  page of that agent through ``more``).
- Voiding in the engine: the pure rebuild (``domain.voiding.rebuild``) of a learner with
  ``n`` logged responses on the demo course, which is what a VoidEvent costs beyond its
  reads and one commit (O(n) in the learner's history in the course).

Nothing here is a test: it prints a table and writes ``bench/results/xapi_reads.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from attune.engine.demo.course import demo_course
from attune.engine.domain.course import Course
from attune.engine.domain.learner import LearnerState, Response
from attune.engine.domain.records import LoggedEvent, RecordResult
from attune.engine.domain.tutoring import TutorPolicy
from attune.engine.domain.update import apply_response
from attune.engine.domain.voiding import rebuild
from attune.gateway.stores import open_stores
from attune.gateway.xapi_store.accept import StatementKeeper, default_authority
from attune.gateway.xapi_store.query import parse_query
from attune.gateway.xapi_store.reader import StatementReader
from bench.stats import timed

RESULTS = Path(__file__).resolve().parent / "results"
LEARNERS = 200
HOME = "https://lms.example"


class _Parsed:
    def __init__(self, body: dict[str, Any]) -> None:
        self.statement_id = body["id"]
        self.body = body


def _statement(n: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"account": {"homePage": HOME, "name": f"learner-{n % LEARNERS}"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": f"https://tool.example/items/{n % 40}"},
        "result": {"success": n % 3 != 0, "duration": "PT12S"},
        "timestamp": "2024-03-01T10:00:00.000Z",
    }


def store_numbers(url: str, count: int) -> dict[str, Any]:
    """Keep ``count`` statements (batches of 10), then time the reads."""
    with tempfile.TemporaryDirectory() as tmp:
        store, outbox = open_stores(url, Path(tmp))
        try:
            keeper = StatementKeeper(store, time.time)
            who = default_authority("bench", HOME)
            start = time.perf_counter()
            for first in range(0, count, 10):
                batch = [_Parsed(_statement(n)) for n in range(first, first + 10)]
                keeper.keep("bench", batch, {}, who, "1.0.0")
            kept_per_s = count / (time.perf_counter() - start)
            reader = StatementReader(store, "bench")
            agent = json.dumps({"account": {"homePage": HOME, "name": "learner-7"}})
            by_agent = parse_query({"agent": agent, "limit": "25"})

            def all_pages() -> int:
                after, seen = 0, 0
                while True:
                    page = reader.page(by_agent, after)
                    seen += len(page.statements)
                    if page.next_after is None:
                        return seen
                    after = page.next_after

            return {
                "statements": count,
                "kept_per_s": round(kept_per_s),
                "get_by_id": timed(
                    200, lambda: reader.one(_statement(count // 2)["id"], False), digits=3
                ),
                "newest_100": timed(
                    50, lambda: reader.page(parse_query({"limit": "100"}), 0), digits=3
                ),
                "agent_page_25": timed(20, lambda: reader.page(by_agent, 0), digits=3),
                "agent_all_pages": timed(5, all_pages, digits=3),
                "agent_matches": all_pages(),
            }
        finally:
            outbox.close()
            store.close()


def rebuild_numbers(sizes: tuple[int, ...]) -> dict[str, Any]:
    """The rebuild of a learner with ``n`` responses on the demo course, per size."""
    course = demo_course()
    tutor = TutorPolicy()
    items = list(course.items)
    out: dict[str, Any] = {}
    for n in sizes:
        state = LearnerState("l", course.course_id)
        events = []
        for k in range(n):
            r = Response(f"e{k}", "l", course.course_id, items[k % len(items)],
                         float(k % 3 != 0), 12_000, 1.7e9 + 60 * k)  # fmt: skip
            state = apply_response(course, state, r, 1.0, tutor).state
            reply = RecordResult(f"e{k}", (), (), (), k + 1)
            events.append(LoggedEvent("t", r.event_id, "l", r.course_id, r.item_id, r.score,
                                      12_000, r.occurred_at, r.occurred_at, k + 1, reply,
                                      log_id=k + 1))  # fmt: skip
        out[str(n)] = timed(5, _rebuild_once(course, state, events, tutor), digits=3)
    return out


def _rebuild_once(
    course: Course, state: LearnerState, events: list[LoggedEvent], tutor: TutorPolicy
) -> Callable[[], object]:
    return lambda: rebuild(course, state, events, (), {"e1"}, tutor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--redis-url", default="", help="also time the store on this Redis")
    args = parser.parse_args()
    results: dict[str, Any] = {"sqlite": store_numbers("", args.statements)}
    if args.redis_url:
        results["redis"] = store_numbers(args.redis_url, args.statements)
    results["void_rebuild_by_responses"] = rebuild_numbers((50, 200, 1000))
    print(json.dumps(results, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "xapi_reads.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

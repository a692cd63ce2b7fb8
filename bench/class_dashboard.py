"""The class dashboard at the issue's size (issue 14): 500 learners x 60 skills, 100,000
responses, on a real ``attune serve`` (embedded store).

Run: ``python -m bench.class_dashboard [--learners 500] [--skills 60] [--events 100000]``.
Puts a 60-skill course (a graph of prerequisites, 4 items per skill), streams the responses
over ``StreamResponses`` (learners answering right more often as they practise), then times:

- **first report**: ``GetClassReport`` when the engine has not built the class yet (it folds
  the whole log: what happens after a restart);
- **report, caught up**: the same call again (nothing new to fold);
- **report after 1,000 more responses**: incremental;
- **page render**: the gateway's work on the report for the class page (the heatmap SVG and
  table, the charts and every table), in this process;
- the ceiling: the engine's ``GetCourse`` of the same course, same channel.

"Renders in under 1 s" is the caught-up report plus the page render. A benchmark, not a
test: it prints a table and writes ``bench/results/class_dashboard.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc

from attune.engine.v1 import (
    analytics_pb2,
    analytics_pb2_grpc,
    course_pb2,
    course_pb2_grpc,
    learner_pb2,
    learner_pb2_grpc,
)
from attune.gateway.class_view import class_view
from bench.gateway import serve

META = (("authorization", "Bearer dev-token"),)
RESULTS = Path(__file__).parent / "results" / "class_dashboard.json"
ITEMS_PER_SKILL = 4


def build_course(skills: int) -> course_pb2.Course:
    """``skills`` skills, each needing one or two earlier ones; 4 items each."""
    rng = random.Random(7)
    course = course_pb2.Course(
        course_id="bench-class",
        title="Benchmark class",
        diagnostic=course_pb2.DiagnosticPolicy(disabled=True),
    )
    bkt = course_pb2.BktParams(prior=0.2, learn=0.15, guess=0.2, slip=0.1)
    for k in range(skills):
        pres = sorted({f"s{rng.randrange(k):02d}" for _ in range(min(k, 2))}) if k else []
        course.skills.add(skill_id=f"s{k:02d}", name=f"Skill {k}", bkt=bkt, prerequisites=pres)
        for n in range(ITEMS_PER_SKILL):
            course.items.add(
                item_id=f"s{k:02d}-{n}",
                skill_ids=[f"s{k:02d}"],
                irt=course_pb2.IrtParams(a=1.0, b=n - 1.5),
            )
    return course


def responses(
    learners: int, skills: int, events: int, start: int
) -> Iterator[learner_pb2.StreamResponsesRequest]:
    """Learners working through the skills in order, right more often with practice."""
    rng = random.Random(start)
    done = [0] * learners
    for n in range(start, start + events):
        learner = rng.randrange(learners)
        skill = min(skills - 1, done[learner] // 12)
        done[learner] += 1
        p_right = 0.35 + 0.05 * (done[learner] % 12)
        yield learner_pb2.StreamResponsesRequest(
            record=learner_pb2.RecordResponseRequest(
                event_id=f"e{n}",
                learner_id=f"learner-{learner:03d}",
                course_id="bench-class",
                item_id=f"s{skill:02d}-{rng.randrange(ITEMS_PER_SKILL)}",
                correct=rng.random() < p_right,
                response_time_ms=rng.randint(3000, 60000),
            )
        )


def _stream(
    stub: learner_pb2_grpc.LearnerServiceStub,
    requests: Iterator[learner_pb2.StreamResponsesRequest],
) -> int:
    errors = 0
    for reply in stub.StreamResponses(requests, metadata=META, timeout=3600):
        errors += reply.HasField("error")
    return errors


def _time(call: Callable[[], object], repeats: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def _measure(channel: grpc.Channel, args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    courses = course_pb2_grpc.CourseServiceStub(channel)
    learners = learner_pb2_grpc.LearnerServiceStub(channel)
    analytics = analytics_pb2_grpc.AnalyticsServiceStub(channel)
    course = build_course(args.skills)
    courses.PutCourse(course_pb2.PutCourseRequest(course=course), metadata=META)
    start = time.perf_counter()
    figures["errors"] = _stream(learners, responses(args.learners, args.skills, args.events, 0))
    figures["load_seconds"] = time.perf_counter() - start
    request = analytics_pb2.GetClassReportRequest(course_id="bench-class")

    def report() -> analytics_pb2.GetClassReportResponse:
        reply: analytics_pb2.GetClassReportResponse = analytics.GetClassReport(
            request, metadata=META, timeout=600
        )
        return reply

    def get_course() -> course_pb2.Course:
        reply = courses.GetCourse(
            course_pb2.GetCourseRequest(course_id="bench-class"), metadata=META
        )
        return reply.course

    figures["first_report_s"] = _time(report)[0]
    figures["caught_up_report_s"] = _time(report, 3)[0]
    full = report()
    _stream(learners, responses(args.learners, args.skills, 1000, args.events))
    figures["report_after_1000_more_s"] = _time(report)[0]
    figures["ceiling_get_course_s"] = _time(get_course, 3)[0]
    stored = get_course()
    names = {f"learner-{n:03d}": f"Learner {n:03d}" for n in range(args.learners)}
    figures["page_render_s"] = _time(lambda: class_view(full, stored, names), 3)[0]
    figures["report_bytes"] = full.ByteSize()
    figures["heatmap_svg_bytes"] = len(class_view(full, stored, names).heatmap_svg)
    figures["rows"] = len(full.heatmap)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--skills", type=int, default=60)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args(argv)
    options = [("grpc.max_receive_message_length", 64 << 20)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve(Path(tmp) / "attune", {}) as (engine, _),
        grpc.insecure_channel(engine, options=options) as channel,
    ):
        figures = _measure(channel, args)
    figures["caught_up_plus_render_s"] = figures["caught_up_report_s"] + figures["page_render_s"]
    print(
        f"{args.learners} learners x {args.skills} skills, {args.events:,} responses "
        f"(loaded in {figures['load_seconds']:.0f} s, {figures['errors']:.0f} errors)"
    )
    for name in (
        "first_report_s",
        "caught_up_report_s",
        "report_after_1000_more_s",
        "page_render_s",
        "caught_up_plus_render_s",
        "ceiling_get_course_s",
    ):
        print(f"  {name:28s} {figures[name] * 1000:9.1f} ms")
    print(
        f"  report {figures['report_bytes'] / 1e6:.2f} MB, heatmap SVG "
        f"{figures['heatmap_svg_bytes'] / 1e6:.2f} MB, {figures['rows']:.0f} rows"
    )
    RESULTS.write_text(json.dumps({**vars(args), **figures}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

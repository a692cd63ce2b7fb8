"""Import time of a 1,000-item course package (issue 13), against same-run ceilings.

Run: ``python -m bench.content_import [--items 1000] [--repeats 3]``. Builds a package of
``--items`` items over 50 skills, cycling through every item type (each with a LaTeX stem, an
image, hints, a worked solution and feedback) and 20 images of 20 KiB, then measures:

- **validate**: reading the zip and every check of ``attune content validate``;
- **import**: ``POST /admin/tenants/default/content`` to a real ``attune serve`` (embedded
  store): upload, validation, storing the version and media, PutCourse, the change report;
- **re-import, unchanged** and **re-import, 10 items changed**: the same, as a new version;
- the ceilings: **upload** (the same bytes as a dry run of a tiny package: the HTTP cost of
  the bytes alone is in both) and **PutCourse** (the engine taking the same course over gRPC).

A benchmark, not a test: it prints a table and writes ``bench/results/content_import.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
import requests

from attune.content.model import (
    CHOICE_TYPES,
    ITEM_TYPES,
    Choice,
    ContentItem,
    ContentSkill,
    CoursePackage,
    MathAnswer,
    Media,
    NumericAnswer,
    TextAnswer,
)
from attune.content.package import read_zip_bytes, validate_files
from attune.content.package.write import package_zip
from attune.engine.v1 import course_pb2_grpc
from attune.gateway.library.course import engine_course
from attune.gateway.library.versions import encode_version
from bench.gateway import serve

ADMIN = {"Authorization": "Bearer dev-admin-token"}
SKILLS = 50
IMAGES = 20
RESULTS = Path(__file__).parent / "results" / "content_import.json"


def _item(n: int, skill: str) -> ContentItem:
    kind = ITEM_TYPES[n % len(ITEM_TYPES)]
    image = f"media/figure-{n % IMAGES}.png"
    return ContentItem(
        item_id=f"item-{n:04d}",
        type=kind,
        stem_html=f"<p>Question {n}: what is \\(\\frac{{{n}}}{{2}} + 1\\)?</p>"
        f'<img src="{image}" alt="Figure {n % IMAGES}">',
        skill_ids=(skill,),
        choices=(
            Choice("a", f"<p>{n / 2 + 1:g}</p>", correct=True, feedback_html="<p>Yes.</p>"),
            Choice("b", f"<p>{n + 1}</p>", feedback_html="<p>Halve it first.</p>"),
            Choice("c", "<p>none of these</p>"),
        )
        if kind in CHOICE_TYPES
        else (),
        text_answers=(TextAnswer(f"{n / 2 + 1:g}"),)
        if kind in ("text_entry", "extended_text")
        else (),
        numeric_answers=(NumericAnswer(n / 2 + 1, 0.01),) if kind == "numeric" else (),
        math_answer=MathAnswer(f"{n}/2 + 1") if kind == "math" else None,
        hints_html=("<p>Halve the number.</p>", "<p>Then add one.</p>"),
        solution_html=f"$$\\frac{{{n}}}{{2}} + 1 = {n / 2 + 1:g}$$",
        general_feedback_html="<p>Fractions of whole numbers.</p>",
        media=(Media(image, "image/png", f"Figure {n % IMAGES}"),),
    )


def build(items: int) -> CoursePackage:
    """A package of ``items`` items over 50 skills in a chain, with 20 images."""
    skills = tuple(
        ContentSkill(f"s{k:02d}", f"Skill {k}", prerequisites=(f"s{k - 1:02d}",) if k else ())
        for k in range(SKILLS)
    )
    media = {f"media/figure-{i}.png": random.Random(i).randbytes(20 * 1024) for i in range(IMAGES)}
    return CoursePackage(
        course_id="bench-course",
        title="Benchmark course",
        version="1",
        skills=skills,
        items=tuple(_item(n, skills[n % SKILLS].skill_id) for n in range(items)),
        media=media,
    )


def _timed(fn: Any, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    package = build(args.items)
    data = package_zip(package)
    rows: dict[str, list[float]] = {}
    rows["validate"] = _timed(lambda: validate_files(read_zip_bytes(data, "p.zip")), args.repeats)
    tiny = package_zip(build(1))
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "attune", {}) as (engine, url):
        http = requests.Session()
        endpoint = f"{url}/admin/tenants/default/content"

        def post(body: bytes, dry: bool = False) -> None:
            reply = http.post(
                endpoint,
                params={"dry_run": str(dry).lower()},
                data=body,
                headers=ADMIN,
                timeout=600,
            )
            reply.raise_for_status()

        rows["import"] = _timed(lambda: post(data), 1)
        rows["re-import, unchanged"] = _timed(lambda: post(data), args.repeats)
        counter = iter(range(10**6))

        def changed() -> None:
            k = next(counter)
            edited = dataclasses.replace(
                package,
                version=f"2.{k}",
                items=tuple(
                    dataclasses.replace(i, stem_html=i.stem_html + f"<p>v{k}</p>") if n < 10 else i
                    for n, i in enumerate(package.items)
                ),
            )
            post(package_zip(edited))

        rows["re-import, 10 items changed"] = _timed(changed, args.repeats)
        rows["ceiling: upload of the same bytes"] = _timed(
            lambda: http.post(
                f"{url}/admin/tenants/default/content",
                params={"dry_run": "true"},
                data=tiny + b"\0" * (len(data) - len(tiny)),
                headers=ADMIN,
                timeout=600,
            ),
            args.repeats,
        )
        digest = encode_version(package).digest
        course = engine_course(package, digest, None)
        with grpc.insecure_channel(engine) as channel:
            stub = course_pb2_grpc.CourseServiceStub(channel)
            from attune.engine.v1 import course_pb2

            request = course_pb2.PutCourseRequest(course=course)
            meta = (("authorization", "Bearer dev-token"),)
            rows["ceiling: PutCourse alone"] = _timed(
                lambda: stub.PutCourse(request, metadata=meta, timeout=600), args.repeats
            )
    median = {k: statistics.median(v) for k, v in rows.items()}
    print(f"{args.items} items, {SKILLS} skills, {IMAGES} images; zip {len(data) / 1e6:.2f} MB")
    for name, seconds in median.items():
        print(f"  {name:36s} {seconds * 1000:9.1f} ms")
    floor = median["validate"] + median["ceiling: PutCourse alone"]
    ratio = floor / median["import"]
    print(f"  (validate + PutCourse) / import = {ratio:.2f}")
    RESULTS.write_text(
        json.dumps(
            {
                "items": args.items,
                "zip_bytes": len(data),
                "median_seconds": median,
                "ratio_floor_to_import": ratio,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The practice page's render time per item type (issue 13), against a same-run ceiling.

Run: ``python -m bench.content_pages [--requests 200]``. Starts ``attune serve`` (embedded
store), imports one one-item course per item type (the realistic item of
:func:`bench.render.sample_item`: a LaTeX stem with an image, choices where the type has them,
two hints, a worked solution), opens a ``/demo`` session on each, and times ``GET
/practice/<token>`` (the pending question: the session, the learner's state from the engine,
the stored version, the cached item rendering and the page template) from one client. The
ceiling is ``GET /healthz`` of the same server in the same run. The first request of each
type (the item's first rendering) is reported apart.

A benchmark, not a test: it prints a table and writes ``bench/results/content_pages.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests

from attune.content.model import ITEM_TYPES, ContentSkill, CoursePackage
from attune.content.package.write import package_zip
from bench.gateway import serve
from bench.render import sample_item

ADMIN = {"Authorization": "Bearer dev-admin-token"}
RESULTS = Path(__file__).parent / "results" / "content_pages.json"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
    b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _times(http: requests.Session, url: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        start = time.perf_counter()
        reply = http.get(url, timeout=30)
        out.append(time.perf_counter() - start)
        reply.raise_for_status()
    return out


def _ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "attune", {}) as (_, url):
        http = requests.Session()
        ceiling = _times(http, f"{url}/healthz", args.requests)
        for kind in ITEM_TYPES:
            item = sample_item(kind)
            course_id = f"page-{kind.replace('_', '-')}"
            package = CoursePackage(
                course_id,
                course_id,
                "1",
                (ContentSkill("area", "Area"),),
                (item,),
                media={"media/rectangle.png": PNG},
            )
            reply = http.post(
                f"{url}/admin/tenants/default/content",
                data=package_zip(package),
                params={"format": "package"},
                headers=ADMIN,
                timeout=60,
            )
            reply.raise_for_status()
            start = time.perf_counter()
            page = http.get(f"{url}/demo", params={"course": course_id}, timeout=30)
            first = time.perf_counter() - start
            page.raise_for_status()
            assert f'data-type="{kind}"' in page.text, page.text[:300]
            times = _times(http, page.url, args.requests)
            rows[kind] = {
                "first_ms": first * 1000,
                "p50_ms": statistics.median(times) * 1000,
                "p99_ms": _ms(times, 99),
                "per_second": len(times) / sum(times),
            }
    ceiling_rate = len(ceiling) / sum(ceiling)
    median_ms = statistics.median(ceiling) * 1000
    print(f"ceiling GET /healthz: {ceiling_rate:,.0f}/s, p50 {median_ms:.2f} ms")
    print(f"{'item type':18s} {'first':>8s} {'p50':>8s} {'p99':>8s} {'pages/s':>9s} {'ratio':>6s}")
    for name, row in rows.items():
        print(
            f"{name:18s} {row['first_ms']:7.1f}ms {row['p50_ms']:7.2f}ms {row['p99_ms']:7.2f}ms "
            f"{row['per_second']:9,.0f} {row['per_second'] / ceiling_rate:6.2f}"
        )
    RESULTS.write_text(json.dumps({"ceiling_per_second": ceiling_rate, "types": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Size and render time of the dashboard's charts for a class of 500 learners x 60 skills
(issue 14: "stays readable for 500 learners x 60 skills"; "renders in under 1 s").

Run: ``python -m bench.dashboard_charts [--repeat 5] [--out PATH] [--json-only]``. Builds a
seeded class: 500 learner names (given + family names, accents included), the demo course's
skill names (47, cycled to 60 with a part number), a random P(L) and status per cell. Then
times, median of ``--repeat`` runs each:

* ``heatmap_svg`` and ``heatmap_table`` (30,000 cells), and the heatmap again with short
  names ("Learner 123", "Skill 12") to show what the names weigh;
* ``histogram_svg`` (40 bins, median marker) and ``bar_chart_svg`` (300 items);
* ``to_csv`` of the long table (30,000 rows: learner, skill, P(L), status).

The ceiling is building the heatmap's 30,000 tooltip strings alone (the f-strings, nothing
else): the heatmap's time is reported as a ratio to it. Sizes are UTF-8 bytes, raw and
gzipped (level 6, what a compressing proxy would send). The heatmap's SVG is written to
``--out`` (by default tests/e2e/artifacts/heatmap-500x60.svg, which git ignores) to look at.

A benchmark, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from attune.engine.demo.course import demo_course
from attune.gateway.dashboard.csv_export import CsvValue, to_csv
from attune.gateway.dashboard.heatmap import heatmap_svg, heatmap_table
from attune.gateway.dashboard.histogram import bar_chart_svg, histogram_svg
from attune.gateway.dashboard.model import STATUS_TEXT, STATUSES, Bar, Bin, HeatCell, Label, Marker

OUT = Path(__file__).resolve().parents[1] / "tests" / "e2e" / "artifacts" / "heatmap-500x60.svg"
GIVEN = ("Maria", "José", "Aiyana", "Wei", "Olusegun", "Chloé", "Dmitri", "Fatima", "Liam",
         "Sofía", "Nguyễn", "Priya", "Mateus", "Ingrid", "Kwame", "Yuki")  # fmt: skip
FAMILY = ("García", "Nakamura", "Okafor", "Smith", "Johansson", "Al-Sayed", "Kowalski",
          "Fernández", "O'Connor", "Van der Berg", "Chen", "Müller", "Haddad")  # fmt: skip
Cells = dict[tuple[str, str], HeatCell]


def _class(seed: int, short: bool) -> tuple[list[Label], list[Label], Cells]:
    rng = random.Random(seed)
    if short:
        rows = [Label(f"l{i}", f"Learner {i:03d}") for i in range(500)]
        cols = [Label(f"s{j}", f"Skill {j:02d}") for j in range(60)]
    else:
        rows = [Label(f"l{i}", f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}") for i in range(500)]
        names = [s.name for s in demo_course().skills.values()]
        cols = [
            Label(
                f"s{j}", names[j % len(names)] + (f" ({j // len(names) + 1})" * (j >= len(names)))
            )
            for j in range(60)
        ]
    cells = {
        (r.key, c.key): HeatCell(rng.random(), rng.choice(STATUSES)) for r in rows for c in cols
    }
    return rows, cols, cells


def _median_s(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _size(text: str) -> dict[str, int]:
    raw = text.encode()
    return {"bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, 6))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args(argv)
    rows, cols, cells = _class(14, short=False)
    n = len(rows) * len(cols)

    def tooltips() -> list[str]:
        return [
            f"{r.name}, {c.name}: P(L) {cells[r.key, c.key].p_mastery:.2f}, "
            f"{STATUS_TEXT[cells[r.key, c.key].status]}"
            for r in rows
            for c in cols
        ]

    def heatmap() -> str:
        return heatmap_svg(rows, cols, cells, title="Mastery", description="500 x 60")

    svg = heatmap()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg, encoding="utf-8")
    tip_bytes = sum(len(t.encode()) for t in tooltips())
    short = _class(14, short=True)
    rng = random.Random(3)
    bins = [Bin(i * 5, i * 5 + 5, rng.randint(0, 40)) for i in range(40)]
    bars = [Bar(f"Item {i}: {rng.choice(cols).name}", rng.uniform(-0.3, 1)) for i in range(300)]
    long_rows: list[list[CsvValue]] = [
        [r.name, c.name, cells[r.key, c.key].p_mastery, cells[r.key, c.key].status]
        for r in rows
        for c in cols
    ]
    cases: dict[str, tuple[Callable[[], str], str]] = {
        "heatmap_svg": (heatmap, svg),
        "heatmap_svg_short_names": (
            lambda: heatmap_svg(*short, title="Mastery", description="500 x 60"),
            heatmap_svg(*short, title="Mastery", description="500 x 60"),
        ),
        "heatmap_table": (lambda: heatmap_table(rows, cols, cells, caption="Mastery"), ""),
        "histogram_svg_40_bins": (
            lambda: histogram_svg(
                bins, title="t", x_label="Items", y_label="Learners", marker=Marker(52, "median")
            ),
            "",
        ),
        "bar_chart_svg_300_items": (
            lambda: bar_chart_svg(bars, title="t", category_label="Item", value_label="p"),
            "",
        ),
        "to_csv_30000_rows": (lambda: to_csv(["learner", "skill", "p", "status"], long_rows), ""),
    }
    ceiling = _median_s(tooltips, args.repeat)
    report: dict[str, object] = {
        "python": platform.python_version(),
        "cells": n,
        "ceiling_tooltip_strings_ms": round(ceiling * 1000, 2),
        "heatmap_tooltip_bytes": tip_bytes,
        "heatmap_bytes_per_cell": round(len(svg.encode()) / n, 1),
        "heatmap_markup_bytes_per_cell": round((len(svg.encode()) - tip_bytes) / n, 1),
        "svg_written_to": str(args.out),
    }
    results: dict[str, dict[str, float]] = {}
    for name, (run, text) in cases.items():
        seconds = _median_s(run, args.repeat)
        results[name] = {"ms": round(seconds * 1000, 2), **_size(text or run())}
    results["heatmap_svg"]["x_ceiling"] = round(results["heatmap_svg"]["ms"] / 1000 / ceiling, 2)
    report["results"] = results
    if not args.json_only:
        print(f"{'case':<26}{'ms':>9}{'bytes':>12}{'gzip':>10}")
        for name, row in results.items():
            print(f"{name:<26}{row['ms']:>9.1f}{row['bytes']:>12,}{row['gzip_bytes']:>10,}")
        print(
            f"heatmap: {report['heatmap_bytes_per_cell']} B/cell, of which tooltip words "
            f"{tip_bytes / n:.1f} and markup {report['heatmap_markup_bytes_per_cell']}; "
            f"{results['heatmap_svg']['x_ceiling']}x the time of building the tooltips alone "
            f"({report['ceiling_tooltip_strings_ms']} ms)"
        )
    print(json.dumps(report, indent=None if args.json_only else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

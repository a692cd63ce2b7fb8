"""The report: a table on stdout and the same figures, with context, as JSON."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.stats import PhaseResult

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# (ratio name, numerator phase, denominator phase)
RATIOS = (
    ("record_response/unary_ceiling", "record_response", "unary_ceiling"),
    ("stream_responses/stream_ceiling", "stream_responses", "stream_ceiling"),
)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """What the figures depend on: cores, load, interpreter and library versions."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": usable,
        "loadavg_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "grpcio": _version("grpcio"),
        "protobuf": _version("protobuf"),
        "executable": sys.executable,
    }


def ratios(results: Sequence[PhaseResult]) -> dict[str, dict[str, float | None]]:
    """Throughput of each real phase as a fraction of its ceiling, and its p50 multiple."""
    by_name = {r.name: r for r in results}
    out: dict[str, dict[str, float | None]] = {}
    for key, num, den in RATIOS:
        if num not in by_name or den not in by_name:
            continue
        a, b = by_name[num], by_name[den]
        out[key] = {
            "throughput": _div(a.throughput, b.throughput),
            "p50_latency": _div(a.p50_ms, b.p50_ms),
            "p99_latency": _div(a.p99_ms, b.p99_ms),
        }
    return out


def _div(a: float, b: float) -> float | None:
    if b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return round(a / b, 4)


def _cell(value: float | None, spec: str) -> str:
    return "-" if value is None or math.isnan(value) else format(value, spec)


def _pct(cpu_s: float | None, elapsed_s: float) -> float | None:
    return None if cpu_s is None or elapsed_s <= 0 else 100.0 * cpu_s / elapsed_s


def render_table(results: Sequence[PhaseResult], report: dict[str, Any]) -> str:
    """The human-readable report: one row per phase, then the ratios and the notes."""
    head = (
        f"{'phase':<18} {'ok':>9} {'errors':>7} {'throughput':>17} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'client cpu':>10} {'server cpu':>10}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        rate = f"{r.throughput:,.0f} {r.unit}"
        lines.append(
            f"{r.name:<18} {r.ok:>9,} {r.error_count:>7,} {rate:>17} {_cell(r.p50_ms, '.2f'):>8} "
            f"{_cell(r.p99_ms, '.2f'):>8} {_cell(_pct(r.client_cpu_s, r.elapsed_s), '.0f'):>9}% "
            f"{_cell(_pct(r.server_cpu_s, r.elapsed_s), '.0f'):>9}%"
        )
    lines.append("")
    for key, value in report["ratios"].items():
        lines.append(
            f"{key:<32} throughput x{_cell(value['throughput'], '.3f')}   "
            f"p50 latency x{_cell(value['p50_latency'], '.2f')}   "
            f"p99 latency x{_cell(value['p99_latency'], '.2f')}"
        )
    lines.append("")
    for r in results:
        if r.errors:
            lines.append(f"errors in {r.name}: {r.errors}")
        if r.note:
            lines.append(f"{r.name}: {r.note}")
    params, machine, server = report["params"], report["machine"], report["server"]
    lines.append(
        f"params: {params['seconds']} s per phase after {params['warmup']} s warm-up, "
        f"concurrency {params['concurrency']}, {params['streams']} streams x window "
        f"{params['window']}, {params['learners']} learners, {params['items']} items"
    )
    lines.append(
        f"machine: {machine['nproc']} cpus (client and server share them), python "
        f"{machine['python']}, grpcio {machine['grpcio']}, load {machine['loadavg_at_start']}"
    )
    lines.append(f"server: exit code {server['exit_code']}, log lines {server['lines_by_level']}")
    lines.extend(f"  server log: {line}" for line in server["notable_lines"])
    if report.get("failure"):
        lines.append(f"FAILED: {report['failure']}")
    return "\n".join(lines)


def write_json(report: dict[str, Any], path: Path | None = None) -> Path:
    """Write the report (creating ``bench/results/``) and return where."""
    target = path or RESULTS_DIR / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2) + "\n")
    return target

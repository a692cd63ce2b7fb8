"""Samples of one measured phase and their summary: throughput and latency percentiles."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ascending values, linearly interpolated.

    Interpolating between the two nearest ranks keeps p99 stable on small samples, where
    nearest-rank would jump from one observation to the next.
    """
    if not sorted_values:
        return float("nan")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be in [0, 100], got {q}")
    pos = (len(sorted_values) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    frac = pos - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * frac


def timed(runs: int, once: Callable[[], object], digits: int = 2) -> dict[str, float]:
    """Run ``once`` ``runs`` times, one after another: its p50 and p95 in milliseconds."""
    took: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        once()
        took.append(time.perf_counter() - start)
    took.sort()
    return {f"p{q}_ms": round(percentile(took, q) * 1000, digits) for q in (50, 95)}


@dataclass
class Sample:
    """Raw observations of one run: successes, their latencies (s), errors by code."""

    ok: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    def add_ok(self, latency_s: float) -> None:
        """Record one successful operation."""
        self.ok += 1
        self.latencies.append(latency_s)

    def add_error(self, code: str) -> None:
        """Record one failed operation under its status (or reply error) code."""
        self.errors[code] += 1

    def merge(self, other: Sample) -> None:
        """Fold in the observations of a concurrent worker (elapsed is set by the caller)."""
        self.ok += other.ok
        self.latencies.extend(other.latencies)
        self.errors.update(other.errors)


@dataclass(frozen=True)
class PhaseResult:
    """The summary of one phase, as printed and written to JSON."""

    name: str
    unit: str  # "calls/s" or "msgs/s"
    ok: int
    errors: dict[str, int]
    elapsed_s: float
    throughput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_s: float
    server_cpu_s: float | None
    note: str = ""

    @classmethod
    def from_sample(
        cls,
        name: str,
        unit: str,
        sample: Sample,
        client_cpu_s: float,
        server_cpu_s: float | None,
        note: str = "",
    ) -> PhaseResult:
        """Summarise a sample; throughput counts successes only."""
        lat = sorted(sample.latencies)
        ms = [percentile(lat, q) * 1000.0 for q in (50, 90, 99, 100)]
        return cls(
            name=name,
            unit=unit,
            ok=sample.ok,
            errors=dict(sorted(sample.errors.items())),
            elapsed_s=sample.elapsed_s,
            throughput=sample.ok / sample.elapsed_s if sample.elapsed_s > 0 else 0.0,
            p50_ms=ms[0],
            p90_ms=ms[1],
            p99_ms=ms[2],
            max_ms=ms[3],
            client_cpu_s=client_cpu_s,
            server_cpu_s=server_cpu_s,
            note=note,
        )

    @property
    def error_count(self) -> int:
        """Unexpected errors of the phase (the stream ceiling's rejections are not errors)."""
        return sum(self.errors.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with rounded figures."""
        return {
            "name": self.name,
            "unit": self.unit,
            "ok": self.ok,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed_s, 4),
            "throughput": round(self.throughput, 2),
            "p50_ms": _rounded(self.p50_ms),
            "p90_ms": _rounded(self.p90_ms),
            "p99_ms": _rounded(self.p99_ms),
            "max_ms": _rounded(self.max_ms),
            "client_cpu_s": round(self.client_cpu_s, 3),
            "server_cpu_s": None if self.server_cpu_s is None else round(self.server_cpu_s, 3),
            "note": self.note,
        }


def _rounded(value: float) -> float | None:
    # NaN (a phase with no successes) is not valid JSON; null is.
    return None if math.isnan(value) else round(value, 3)

"""Where the server's CPU goes during a phase: py-spy samples the engine process from outside
(``py-spy record --nonblocking``, so the server is never paused) and the collapsed stacks are
summarised into the top functions by own time and by inclusive time, and by area of the code.

Only samples of the thread holding the GIL are taken (``--gil``), so the percentages are
shares of the time the server ran Python (its worker threads waiting on a queue, and C code
that released the GIL, such as an fsync or ONNX Runtime's kernels, are not in them). Time in
gRPC's Cython core has no Python frame of its own: it is counted in the Python frame that
called into it (often asyncio's event loop).
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

RATE_HZ = 200
TOP = 25
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# The first rule whose text occurs in a frame's file names its area (the order matters).
AREAS: tuple[tuple[str, str], ...] = (
    ("/attune/engine/grpc/", "engine grpc layer (servicers, interceptors, convert)"),
    ("/attune/engine/observability/", "engine observability"),
    ("/attune/engine/domain/", "engine domain (BKT, IRT, selection)"),
    ("/attune/engine/service/", "engine service"),
    ("/attune/engine/adapters/", "engine store adapters"),
    ("/attune/engine/dkt/", "engine DKT"),
    ("/attune/", "other attune code"),
    ("/structlog/", "structlog"),
    ("/opentelemetry/", "opentelemetry"),
    ("/jwt/", "PyJWT"),
    ("/grpc/", "grpc-python"),
    ("/google/protobuf/", "protobuf"),
    ("/json/", "json"),
    ("/sqlite3/", "sqlite3"),
    ("/redis/", "redis-py"),
    ("/asyncio/", "asyncio (incl. gRPC's Cython core)"),
)


def py_spy() -> str | None:
    """The py-spy executable of this interpreter's environment, or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Recorder:
    """Context manager: py-spy records ``pid`` until the block ends (SIGINT writes the file)."""

    def __init__(self, pid: int, rate_hz: int = RATE_HZ) -> None:
        self.pid = pid
        self.rate_hz = rate_hz
        self.stacks: Counter[str] = Counter()
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Recorder:
        exe = py_spy()
        if exe is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy)")
        self._dir = tempfile.TemporaryDirectory(prefix="attune-profile-")
        out = Path(self._dir.name) / "stacks.txt"
        self._proc = subprocess.Popen(
            [
                exe,
                "record",
                "--pid",
                str(self.pid),
                "--rate",
                str(self.rate_hz),
                "--format",
                "raw",
                "--full-filenames",
                "--nonblocking",
                "--gil",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, folder = self._proc, self._dir
        if proc is None or folder is None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out = Path(folder.name) / "stacks.txt"
        if out.exists():
            self.stacks = parse_collapsed(out.read_text())
        folder.cleanup()


def parse_collapsed(text: str) -> Counter[str]:
    """``frame;frame;... count`` lines (py-spy's raw format) as a counter of stacks."""
    stacks: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def _label(frame: str) -> tuple[str, str]:
    """(``func (short/file.py)``, full file) of a frame, without its line number."""
    match = _FRAME.match(frame)
    if match is None:
        return frame, ""
    path = match["file"]
    parts = path.split("/")
    short = "/".join(parts[-3:]) if "site-packages" in path or "attune" in path else parts[-1]
    if "/attune/" in path:
        short = path[path.rindex("/attune/") + 1 :]
    return f"{match['func']} ({short})", path


def _area(path: str) -> str:
    for needle, area in AREAS:
        if needle in path:
            return area
    return "other"


def summarise(stacks: Counter[str], top: int = TOP) -> dict[str, Any]:
    """Top functions by own and by inclusive samples, and own samples by area, in %."""
    total = sum(stacks.values())
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = [f for f in stack.split(";") if f]
        if not frames:
            continue
        labels = [_label(f) for f in frames]
        leaf, leaf_path = labels[-1]
        own[leaf] += count
        areas[_area(leaf_path)] += count
        for name in {name for name, _ in labels}:
            inclusive[name] += count

    def pct(counter: Counter[str], n: int) -> list[dict[str, Any]]:
        return [
            {"function": k, "pct": round(100.0 * v / total, 2)} for k, v in counter.most_common(n)
        ]

    if total == 0:
        return {"samples": 0, "own": [], "inclusive": [], "areas": []}
    return {
        "samples": total,
        "own": pct(own, top),
        "inclusive": pct(inclusive, top),
        "areas": [{"area": k, "pct": round(100.0 * v / total, 2)} for k, v in areas.most_common()],
    }


def render(name: str, summary: dict[str, Any], top: int = 12) -> str:
    """A short text form of one phase's summary."""
    lines = [f"profile of {name}: {summary['samples']} samples"]
    lines.append("  by area (own time):")
    lines += [f"    {a['pct']:6.2f}%  {a['area']}" for a in summary["areas"]]
    lines.append("  top own time:")
    lines += [f"    {f['pct']:6.2f}%  {f['function']}" for f in summary["own"][:top]]
    lines.append("  top inclusive time:")
    lines += [f"    {f['pct']:6.2f}%  {f['function']}" for f in summary["inclusive"][:top]]
    return "\n".join(lines)

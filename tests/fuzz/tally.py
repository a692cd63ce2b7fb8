"""The fuzz run's counter: requests tried, server errors, and refused requests that changed
something. The tests add to one process-wide :data:`TALLY`; ``conftest.py`` prints it at the
end of the run and writes it as JSON when ``ATTUNE_FUZZ_REPORT`` names a file."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Tally:
    """Counts per surface ("grpc:RecordResponse", "http:POST /caliper", ...)."""

    requests: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    changed_by_refusal: Counter[str] = field(default_factory=Counter)
    other_findings: Counter[str] = field(default_factory=Counter)
    # One short example per distinct finding, for the report.
    examples: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def tried(self, surface: str, n: int = 1) -> None:
        with self._lock:
            self.requests[surface] += n

    def server_error(self, surface: str, status: str, example: str) -> None:
        with self._lock:
            self.server_errors[surface] += 1
            self.examples.setdefault(f"{surface} -> {status}", example[:300])

    def changed(self, surface: str, example: str) -> None:
        with self._lock:
            self.changed_by_refusal[surface] += 1
            self.examples.setdefault(f"{surface} -> refused but changed", example[:300])

    def finding(self, surface: str, kind: str, example: str) -> None:
        """Anything else a documented contract forbids (e.g. an accepted out-of-window time)."""
        with self._lock:
            self.other_findings[surface] += 1
            self.examples.setdefault(f"{surface} -> {kind}", example[:300])

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests_tried": sum(self.requests.values()),
                "server_errors": sum(self.server_errors.values()),
                # Distinct (surface, status) findings; the counts above include the same
                # input replayed while hypothesis shrinks it.
                "distinct_findings": len(self.examples),
                "refused_but_changed": sum(self.changed_by_refusal.values()),
                "by_surface": dict(sorted(self.requests.items())),
                "server_errors_by_surface": dict(sorted(self.server_errors.items())),
                "refused_but_changed_by_surface": dict(sorted(self.changed_by_refusal.items())),
                "other_findings": dict(sorted(self.other_findings.items())),
                "findings": dict(sorted(self.examples.items())),
            }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n")


TALLY = Tally()

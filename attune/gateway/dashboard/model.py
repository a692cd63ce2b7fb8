"""The values the charts draw: plain frozen records, checked when built.

They are the charts' own input types, so the drawing code depends on nothing but these; the
routes convert the analytics snapshots into them. Names (``Label.name``, ``Bar.label``) are
untrusted text from the LMS or the course and are escaped by the charts, never here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal, get_args

Status = Literal["mastered", "in_progress", "ready", "locked"]
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
# How a status reads in tooltips, tables and legends.
STATUS_TEXT: Final[dict[Status, str]] = {
    "mastered": "mastered",
    "in_progress": "in progress",
    "ready": "ready",
    "locked": "locked",
}


@dataclass(frozen=True, slots=True)
class Label:
    """A row or column of a chart: a stable key (to find its cells) and the name shown."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One learner's P(L) on one skill and its status (mastered, in progress = attempted and
    not mastered, ready = prerequisites mastered and not attempted, locked)."""

    p_mastery: float
    status: Status

    def __post_init__(self) -> None:
        if not 0.0 <= self.p_mastery <= 1.0:  # also refuses NaN
            raise ValueError(f"P(L) must be in [0, 1], got {self.p_mastery!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")


@dataclass(frozen=True, slots=True)
class Bin:
    """One histogram bin: ``count`` values in [low, high) (the last bin includes ``high``)."""

    low: float
    high: float
    count: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low <= self.high):
            raise ValueError(f"bad bin edges {self.low!r}, {self.high!r}")
        if self.count < 0:
            raise ValueError(f"negative count {self.count}")


@dataclass(frozen=True, slots=True)
class Marker:
    """A value marked on a chart's axis, e.g. ``Marker(12, "class median")``."""

    value: float
    label: str

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ValueError(f"marker value must be finite, got {self.value!r}")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a category, its value, and why it is flagged ("" when it is not), e.g.
    ``Bar("Q7", -0.21, "negative discrimination")``."""

    label: str
    value: float
    flag: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ValueError(f"bar value must be finite, got {self.value!r}")

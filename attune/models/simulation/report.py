"""The comparison table (Markdown, so it pastes into the README) and the JSON document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from attune.models.simulation.metrics import PolicyMetrics
from attune.models.simulation.runner import SimulationConfig

BASELINE = "static"

_HEADER = (
    "policy",
    "items to mastery (mean)",
    "median",
    "vs static",
    "over-practice (items, share)",
    "premature mastery",
    "capped",
)


def _row(m: PolicyMetrics, baseline: PolicyMetrics | None) -> tuple[str, ...]:
    ratio = (
        f"{m.items_to_mastery_mean / baseline.items_to_mastery_mean:.2f}x"
        if baseline and baseline.items_to_mastery_mean
        else "-"
    )
    return (
        m.policy,
        f"{m.items_to_mastery_mean:.1f}",
        f"{m.items_to_mastery_median:.0f}",
        ratio,
        f"{m.over_practice_mean:.1f} ({m.over_practice_share:.1%})",
        f"{m.premature_mastery_share:.1%} of {m.mastery_declarations}",
        f"{m.learners_capped}/{m.learners}",
    )


def table(metrics: Mapping[str, PolicyMetrics]) -> str:
    """One row per policy; "vs static" is the ratio of mean items to the static path's."""
    baseline = metrics.get(BASELINE)
    rows = [_HEADER, *(_row(m, baseline) for m in metrics.values())]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        padded = (
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths)) + "|"
    )
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


def document(
    course_id: str, config: SimulationConfig, metrics: Mapping[str, PolicyMetrics]
) -> dict[str, Any]:
    """The JSON document of ``attune simulate --json``."""
    policies = {}
    for name, m in metrics.items():
        fields = asdict(m)
        del fields["policy"]
        policies[name] = fields
    return {
        "course": course_id,
        "learners": config.learners,
        "seed": config.seed,
        "cap": config.cap,
        "static_count": config.static_count,
        "reproducible": config.concurrency == 1,
        "policies": policies,
    }

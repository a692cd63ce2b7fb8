"""What a refit decided, per skill and per item, and why: the RefitReport."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from attune.engine.domain.bkt import BktParams
from attune.engine.domain.course import IrtParams
from attune.models.refit.metrics import Metrics

BKT_NAMES = ("prior", "learn", "guess", "slip", "forget")


@dataclass(frozen=True, slots=True)
class SkillDecision:
    """One skill: its learner sequences (fit and held-out parts), the held-out metrics of
    the old and the new parameters (None when there was no fit), and the decision."""

    skill_id: str
    fit_sequences: int
    holdout_sequences: int
    adopted: bool
    reason: str
    old_params: BktParams
    new_params: BktParams | None = None
    old: Metrics | None = None
    new: Metrics | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-able."""
        return {
            "skill_id": self.skill_id,
            "fit_sequences": self.fit_sequences,
            "holdout_sequences": self.holdout_sequences,
            "decision": "adopted" if self.adopted else "kept",
            "reason": self.reason,
            "old_params": _bkt(self.old_params),
            "new_params": None if self.new_params is None else _bkt(self.new_params),
            "old": None if self.old is None else self.old.to_json(),
            "new": None if self.new is None else self.new.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ItemDecision:
    """One item: its responses (fit and held-out parts), the held-out metrics of its old
    and new parameters (each held-out response predicted from the learner's ability on
    their other items), and the decision."""

    item_id: str
    fit_responses: int
    holdout_responses: int
    adopted: bool
    reason: str
    old_params: IrtParams
    new_params: IrtParams | None = None
    old: Metrics | None = None
    new: Metrics | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-able."""
        return {
            "item_id": self.item_id,
            "fit_responses": self.fit_responses,
            "holdout_responses": self.holdout_responses,
            "decision": "adopted" if self.adopted else "kept",
            "reason": self.reason,
            "old_params": _irt(self.old_params),
            "new_params": None if self.new_params is None else _irt(self.new_params),
            "old": None if self.old is None else self.old.to_json(),
            "new": None if self.new is None else self.new.to_json(),
        }


@dataclass(frozen=True)
class RefitReport:
    """The whole refit of one course. ``irt_old`` / ``irt_new``: the held-out learners'
    responses under every item's old parameters and under the adopted ones, ability
    integrated over the engine's grid (None when IRT was not calibrated)."""

    course_id: str
    learners: int
    holdout_learners: int
    responses: int
    not_credible: int
    unknown_item: int
    skills: tuple[SkillDecision, ...]
    items: tuple[ItemDecision, ...]
    irt_old: Metrics | None = None
    irt_new: Metrics | None = None
    irt_note: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def adopted_skills(self) -> tuple[str, ...]:
        """Skills whose new BKT parameters were adopted."""
        return tuple(s.skill_id for s in self.skills if s.adopted)

    @property
    def adopted_items(self) -> tuple[str, ...]:
        """Items whose new IRT parameters were adopted."""
        return tuple(i.item_id for i in self.items if i.adopted)

    @property
    def changed(self) -> bool:
        """Whether anything was adopted (and so a new course version is due)."""
        return bool(self.adopted_skills or self.adopted_items)

    def to_json(self) -> dict[str, Any]:
        """JSON-able (``attune refit --json``, the background job's worker)."""
        return {
            "course_id": self.course_id,
            "learners": self.learners,
            "holdout_learners": self.holdout_learners,
            "responses": self.responses,
            "dropped": {"not_credible": self.not_credible, "unknown_item": self.unknown_item},
            "settings": self.settings,
            "adopted_skills": list(self.adopted_skills),
            "adopted_items": list(self.adopted_items),
            "irt_holdout": {
                "old": None if self.irt_old is None else self.irt_old.to_json(),
                "new": None if self.irt_new is None else self.irt_new.to_json(),
                "note": self.irt_note,
            },
            "skills": [s.to_json() for s in self.skills],
            "items": [i.to_json() for i in self.items],
        }


def _bkt(p: BktParams) -> dict[str, float]:
    return {name: round(getattr(p, name), 6) for name in BKT_NAMES}


def _irt(p: IrtParams) -> dict[str, float]:
    return {"a": round(p.a, 6), "b": round(p.b, 6), "c": round(p.c, 6)}

"""What a refit needs to know: thresholds, the held-out share and the adoption margins."""

from __future__ import annotations

from dataclasses import dataclass

from attune.engine.domain.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class RefitConfig:
    """The knobs of one refit (the engine's ``RefitSettings`` carry the same names).

    - ``min_sequences``: learner sequences a skill needs in the fit part before BKT is
      refitted (the design notes' 200);
    - ``min_item_responses``: responses an item needs in the fit part before it is calibrated;
    - ``holdout_fraction``: the share of learners held out, chosen by a hash of the learner id;
    - ``min_holdout_responses``: held-out responses needed before anything is adopted;
    - ``bkt_margin`` / ``irt_margin``: how much better (nats per held-out response) the new
      parameters must predict before they replace the old.
    """

    min_sequences: int = 200
    min_item_responses: int = 50
    holdout_fraction: float = 0.2
    min_holdout_responses: int = 20
    bkt_margin: float = 0.001
    irt_margin: float = 0.001
    forgets: bool = False
    seed: int = 42
    calibrate_irt: bool = True

    def validate(self, field: str = "refit") -> None:
        """Raise :class:`InvalidInputError` naming the first bad value."""
        if self.min_sequences < 1:
            raise InvalidInputError(f"{field}.min_sequences", "must be >= 1")
        if self.min_item_responses < 1:
            raise InvalidInputError(f"{field}.min_item_responses", "must be >= 1")
        if not 0.0 < self.holdout_fraction < 1.0:
            raise InvalidInputError(f"{field}.holdout_fraction", "must be in (0, 1)")
        if self.min_holdout_responses < 1:
            raise InvalidInputError(f"{field}.min_holdout_responses", "must be >= 1")
        if self.bkt_margin < 0 or self.irt_margin < 0:
            raise InvalidInputError(f"{field}.margin", "must be >= 0")

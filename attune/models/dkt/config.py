"""Training hyper-parameters. No torch here: the CLI reads the defaults without loading it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Hyper-parameters. ``window`` cuts long learners into pieces for training only.

    The defaults are the plain DKT of the data README plus dropout before the output layer
    (0.3 beat none on held-out learners of assist2009_dedup) and a lower learning rate after
    an epoch without improvement. The shipped assist models use ``hidden=200, embed=200,
    dropout=0.5`` (the best of the settings tried on those held-out learners; see
    ``models/reports``).
    """

    hidden: int = 100
    embed: int = 100
    dropout: float = 0.3
    lr: float = 2e-3
    lr_decay: float = 0.5  # applied after an epoch without improvement; 1 = constant
    batch_size: int = 64
    max_epochs: int = 30
    patience: int = 3
    seed: int = 42
    val_fraction: float = 0.1
    window: int = 200
    clip: float = 1.0

    def __post_init__(self) -> None:
        for name in ("hidden", "embed", "batch_size", "max_epochs", "window"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.patience < 0:
            raise ValueError(f"patience must be at least 0, got {self.patience}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 < self.lr_decay <= 1.0:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")

"""The DKT network (Piech et al. 2015, with an embedding input) and its single-step twin.

``DktModel`` reads whole sequences for training; ``StepModule`` shares its parameters and
advances the LSTM by one response, which is the graph the engine serves (see
:mod:`engine.dkt.manifest`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True, slots=True)
class DktShape:
    """Everything needed to rebuild the network before loading its weights."""

    num_skills: int
    hidden: int = 100
    embed: int = 100
    dropout: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The shape as plain JSON values."""
        return asdict(self)


class DktModel(nn.Module):
    """Embedding of ``skill + N * correct`` -> one LSTM layer -> dropout -> Linear(N)."""

    def __init__(self, shape: DktShape) -> None:
        super().__init__()
        self.shape = shape
        self.embedding = nn.Embedding(2 * shape.num_skills, shape.embed)
        self.lstm = nn.LSTM(shape.embed, shape.hidden, num_layers=1, batch_first=True)
        self.dropout = nn.Dropout(shape.dropout)
        self.out = nn.Linear(shape.hidden, shape.num_skills)

    def forward(self, interaction: torch.Tensor) -> torch.Tensor:
        """Logits [B, L, N] of the next answer on every skill, from interactions [B, L]."""
        hidden, _ = self.lstm(self.embedding(interaction))
        logits: torch.Tensor = self.out(self.dropout(hidden))
        return logits


class StepModule(nn.Module):
    """One LSTM step with the weights of a :class:`DktModel`:
    (interaction[B], h[B,H], c[B,H]) -> (p_correct[B,N], h_out, c_out).

    The cell is written out (gate order i, f, g, o, as in ``torch.nn.LSTM``) so that the ONNX
    graph is a handful of plain operators whatever the batch size.
    """

    def __init__(self, model: DktModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, interaction: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Advance the state by one answer; P(correct) of the next answer on every skill."""
        lstm = self.model.lstm
        x = self.model.embedding(interaction)
        gates = F.linear(
            x, lstm.get_parameter("weight_ih_l0"), lstm.get_parameter("bias_ih_l0")
        ) + F.linear(h, lstm.get_parameter("weight_hh_l0"), lstm.get_parameter("bias_hh_l0"))
        i, f, g, o = gates.chunk(4, dim=1)
        c_out = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_out = torch.sigmoid(o) * torch.tanh(c_out)
        p_correct = torch.sigmoid(self.model.out(h_out))
        return p_correct, h_out, c_out

"""The two skill-only networks. Both map a batch of windows to logits [B, L-1]: the logit at
``t - 1`` predicts response ``t`` from responses ``0 .. t-1`` and response t's skill.

``RecurrentKt``: LSTM over (skill, correct) embeddings plus count features; the prediction
reads the state, the next skill's embedding and its count features. Serving keeps the LSTM
state and two counters per skill: constant cost per response.

``AktNr``: AKT (Ghosh et al. 2020) without the Rasch question term. A question encoder and a
knowledge encoder (self-attention including the current position) and a knowledge retriever
(attention to strictly earlier positions), all with AKT's monotonic attention: scores damped
by ``exp(-theta * d)``, ``d`` a context-aware distance. Its cost per response grows with the
history it attends to (or with the window, if capped).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from attune.models.kt_reference.data import NUM_FEATURES, Batch


@dataclass(frozen=True, slots=True)
class NetShape:
    """Everything needed to rebuild either network before loading its weights."""

    kind: str  # "recurrent" or "akt-nr"
    num_skills: int
    dim: int = 64
    heads: int = 4
    dropout: float = 0.2
    features: bool = True  # recurrent only: use the count features

    def __post_init__(self) -> None:
        if self.kind not in ("recurrent", "akt-nr"):
            raise ValueError(f"kind must be 'recurrent' or 'akt-nr', got {self.kind!r}")
        if self.num_skills < 1 or self.dim < 1 or self.heads < 1 or self.dim % self.heads:
            raise ValueError(f"bad shape {self}: dim must be a positive multiple of heads")

    def to_json(self) -> dict[str, Any]:
        """The shape as plain JSON values."""
        return asdict(self)


class RecurrentKt(nn.Module):
    """Response-aware embeddings + count features -> LSTM -> MLP(state, next skill)."""

    def __init__(self, shape: NetShape) -> None:
        super().__init__()
        n, d = shape.num_skills, shape.dim
        self.shape = shape
        self.width = NUM_FEATURES if shape.features else 0
        self.interaction = nn.Embedding(2 * n, d)
        self.feature_in = nn.Linear(NUM_FEATURES, d)
        self.lstm = nn.LSTM(d, d, batch_first=True)
        self.skill = nn.Embedding(n, d)
        self.drop = nn.Dropout(shape.dropout)
        self.head = nn.Sequential(
            nn.Linear(2 * d + self.width, d), nn.ReLU(), nn.Dropout(shape.dropout), nn.Linear(d, 1)
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        """Logits [B, L-1] of responses 1..L-1."""
        n = self.shape.num_skills
        x = self.interaction(batch.skills + n * batch.correct)
        if self.width:
            x = x + self.feature_in(batch.features)
        state, _ = self.lstm(x[:, :-1])
        parts = [self.drop(state), self.skill(batch.skills[:, 1:])]
        if self.width:
            parts.append(batch.features[:, 1:])
        logits: torch.Tensor = self.head(torch.cat(parts, dim=-1)).squeeze(-1)
        return logits


class MonotonicAttention(nn.Module):
    """Multi-head attention whose scores decay with a context-aware distance (AKT)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dk = heads, dim // heads
        self.q = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.theta = nn.Parameter(torch.zeros(heads, 1, 1))
        self.drop = nn.Dropout(dropout)

    def forward(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, strict: bool
    ) -> torch.Tensor:
        """Causal attention; ``strict`` excludes the current position (the retriever)."""
        b, length, dim = query.shape
        q = self.q(query).view(b, length, self.heads, self.dk).transpose(1, 2)
        k = self.q(key).view(b, length, self.heads, self.dk).transpose(1, 2)  # shared, as AKT
        v = self.v(value).view(b, length, self.heads, self.dk).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.dk)  # [B, H, L, L]
        pos = torch.arange(length, device=query.device)
        allowed = pos[None, :] < pos[:, None] if strict else pos[None, :] <= pos[:, None]
        with torch.no_grad():
            attn = torch.softmax(scores.masked_fill(~allowed, -1e9), dim=-1) * allowed
            remaining = attn.sum(-1, keepdim=True) - attn.cumsum(-1)  # mass after each key
            gap = (pos[:, None] - pos[None, :]).abs().to(scores.dtype)
            distance = (remaining * gap).clamp(min=0.0).sqrt()
        decay = torch.exp(-F.softplus(self.theta) * distance).clamp(1e-5, 1e5)
        scores = (scores * decay).masked_fill(~allowed, -1e9)
        weights = torch.softmax(scores, dim=-1) * allowed  # a row with no key attends to nothing
        mixed = (self.drop(weights) @ v).transpose(1, 2).reshape(b, length, dim)
        out: torch.Tensor = self.out(mixed)
        return out


class Block(nn.Module):
    """Monotonic attention + feed-forward, each with a residual and layer norm."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.attn = MonotonicAttention(dim, heads, dropout)
        self.norm1 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim)
        )
        self.norm2 = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def forward(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, strict: bool
    ) -> torch.Tensor:
        """One block; the residual is on the query."""
        x = self.norm1(query + self.drop(self.attn(query, key, value, strict)))
        out: torch.Tensor = self.norm2(x + self.drop(self.ff(x)))
        return out


class AktNr(nn.Module):
    """AKT without the Rasch term: skill embedding for the question, skill + response
    embedding for the interaction."""

    def __init__(self, shape: NetShape) -> None:
        super().__init__()
        n, d = shape.num_skills, shape.dim
        self.shape = shape
        self.skill = nn.Embedding(n, d)
        self.response = nn.Embedding(2 * n, d)
        self.question_encoder = Block(d, shape.heads, shape.dropout)
        self.knowledge_encoder = Block(d, shape.heads, shape.dropout)
        self.retriever = Block(d, shape.heads, shape.dropout)
        self.head = nn.Sequential(
            nn.Linear(2 * d, d), nn.ReLU(), nn.Dropout(shape.dropout), nn.Linear(d, 1)
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        """Logits [B, L-1] of responses 1..L-1."""
        n = self.shape.num_skills
        q = self.skill(batch.skills)
        x = q + self.response(batch.skills + n * batch.correct)
        q_hat = self.question_encoder(q, q, q, strict=False)
        x_hat = self.knowledge_encoder(x, x, x, strict=False)
        h = self.retriever(q_hat, q_hat, x_hat, strict=True)
        logits: torch.Tensor = self.head(torch.cat([h, q], dim=-1)).squeeze(-1)
        return logits[:, 1:]


def build(shape: NetShape) -> RecurrentKt | AktNr:
    """The network named by ``shape.kind``."""
    return RecurrentKt(shape) if shape.kind == "recurrent" else AktNr(shape)

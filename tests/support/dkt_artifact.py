"""Write a small but real DKT artifact (seeded random weights, exported by torch) for tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from attune.engine.dkt.manifest import DktManifest

if TYPE_CHECKING:
    import torch

INPUTS = {"interaction": "interaction", "h": "h", "c": "c"}
OUTPUTS = {"p_correct": "p_correct", "h": "h_out", "c": "c_out"}


def step_module(num_skills: int, hidden: int, seed: int) -> torch.nn.Module:
    """A torch DKT step: (interaction, h, c) -> (sigmoid(W h'), h', c')."""
    import torch

    torch.manual_seed(seed)

    class Step(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = torch.nn.Embedding(2 * num_skills, hidden)
            self.cell = torch.nn.LSTMCell(hidden, hidden)
            self.out = torch.nn.Linear(hidden, num_skills)

        def forward(self, x, h, c):  # type: ignore[no-untyped-def]
            h2, c2 = self.cell(self.emb(x), (h, c))
            return torch.sigmoid(self.out(h2)), h2, c2

    return Step().eval()


def write_artifact(
    root: Path, name: str, version: str, skills: Sequence[str], hidden: int = 8, seed: int = 0
) -> Path:
    """Export a step model for ``skills`` to ``root/name/version``; returns the folder."""
    import torch

    folder = root / name / version
    folder.mkdir(parents=True, exist_ok=True)
    module = step_module(len(skills), hidden, seed)
    x = torch.tensor([0, 1])
    h = torch.zeros(2, hidden)
    axes = {n: {0: "batch"} for n in [*INPUTS.values(), *OUTPUTS.values()]}
    torch.onnx.export(
        module, (x, h, h.clone()), str(folder / "model.onnx"),
        input_names=list(INPUTS.values()), output_names=list(OUTPUTS.values()),
        dynamic_axes=axes, dynamo=False, opset_version=17,
    )  # fmt: skip
    manifest = DktManifest(
        name=name,
        version=version,
        num_skills=len(skills),
        hidden_size=hidden,
        skill_index={s: i for i, s in enumerate(skills)},
        inputs=INPUTS,
        outputs=OUTPUTS,
        training_data_sha256="0" * 64,
        metrics={"note": "random weights for tests"},
    )
    (folder / "manifest.json").write_text(json.dumps(manifest.to_json()))
    torch.save(module.state_dict(), folder / "weights.pt")
    return folder


def torch_steps(
    folder: Path, skills: Sequence[str], answers: Sequence[tuple[str, bool]]
) -> list[list[float]]:
    """The reference: P(correct) vectors of the torch module after each answer."""
    import torch

    manifest = json.loads((folder / "manifest.json").read_text())
    module = step_module(len(skills), manifest["hidden_size"], 0)
    module.load_state_dict(torch.load(folder / "weights.pt"))
    h = torch.zeros(1, manifest["hidden_size"])
    c = torch.zeros(1, manifest["hidden_size"])
    out: list[list[float]] = []
    with torch.no_grad():
        for skill, correct in answers:
            x = torch.tensor([skills.index(skill) + len(skills) * int(correct)])
            p, h, c = module(x, h, c)
            out.append(p[0].tolist())
    return out

"""``python -m attune.models.kt_reference.report``: the shipped DKT artifact's test
predictions (for its ECE), the results table and the reliability plot of the runs in a
folder written by ``python -m attune.models.kt_reference``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from attune.models.dkt.data import load, resolve_dataset
from attune.models.dkt.evaluate import OnnxStepper, calibration, score
from attune.models.kt_reference.train import ece


def inspect(dataset: str) -> list[dict[str, object]]:
    """Per file: learners, responses, distinct ids on the id lines, and the characters used
    (digits and commas mean no hidden column). Evidence that the files hold no question id."""
    data = resolve_dataset(dataset)
    rows: list[dict[str, object]] = []
    for path in (data.train, data.test):
        seqs = load(path)
        ids = {s for q in seqs for s in q.skills}
        rows.append(
            {
                "file": str(path),
                "learners": len(seqs),
                "responses": sum(len(q.skills) for q in seqs),
                "distinct_ids": len(ids),
                "id_range": [min(ids), max(ids)],
                "characters": "".join(sorted(set(path.read_text()) - {"\n"})),
            }
        )
    return rows


def shipped_dkt(dataset: str, artifact: Path, out: Path, name: str) -> dict[str, float]:
    """Score the exported DKT step on the test file, stepping each learner from scratch."""
    data = resolve_dataset(dataset)
    y, p = OnnxStepper(artifact).predict(load(data.test))
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / f"{name}.npz", y=y.astype(np.int8), p=p.astype(np.float32))
    result = {**score(y, p), "ece": round(ece(y, p), 5)}
    (out / f"{name}.json").write_text(json.dumps({"dataset": data.name, "test": result}) + "\n")
    return result


def reliability_plot(folder: Path, names: list[str], target: Path) -> None:
    """One reliability curve per run (10 equal-width bins) against the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect")
    for name in names:
        arrays = np.load(folder / f"{name}.npz")
        y, p = arrays["y"].astype(np.float64), arrays["p"].astype(np.float64)
        rows = calibration(y, p)
        ax.plot(
            [r["predicted"] for r in rows],
            [r["observed"] for r in rows],
            marker="o",
            label=f"{name} (ECE {ece(y, p):.3f})",
        )
    ax.set_xlabel("predicted P(correct)")
    ax.set_ylabel("observed rate correct")
    ax.set_title("Reliability on the test file (10 bins)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)


def serving_cost(num_skills: int, repeats: int = 20) -> dict[str, float]:
    """Milliseconds to serve one response for one learner (batch 1, one thread, untrained
    weights of the default sizes): the recurrent tracer's single LSTM step + head, against
    AKT-NR recomputed over the last ``t`` responses for several ``t``. Same run, same
    machine: read the ratios, not the absolute numbers."""
    import time

    import torch

    from attune.models.kt_reference.data import Window, pad
    from attune.models.kt_reference.nets import AktNr, NetShape, RecurrentKt

    torch.set_num_threads(1)

    def clock(fn: Callable[[], object]) -> float:
        fn()
        began = time.perf_counter()
        for _ in range(repeats):
            fn()
        return 1000 * (time.perf_counter() - began) / repeats

    rec = RecurrentKt(NetShape("recurrent", num_skills, dim=100)).eval()
    skill = torch.zeros(1, 1, dtype=torch.long)
    feats = torch.zeros(1, 1, 3)
    state = (torch.zeros(1, 1, 100), torch.zeros(1, 1, 100))

    @torch.no_grad()
    def step() -> object:
        x = rec.interaction(skill) + rec.feature_in(feats)
        out, _ = rec.lstm(x, state)
        return rec.head(torch.cat([out, rec.skill(skill), feats], dim=-1))

    result = {"recurrent_step_ms": round(clock(step), 4)}
    akt = AktNr(NetShape("akt-nr", num_skills, dim=64, heads=4)).eval()
    for t in (50, 200, 800):
        w = Window(
            np.zeros(t + 1, dtype=np.int64),
            np.zeros(t + 1, dtype=np.int64),
            np.zeros((t + 1, 3), dtype=np.float32),
        )
        batch = pad([w])
        result[f"akt_nr_history_{t}_ms"] = round(clock(torch.no_grad()(lambda b=batch: akt(b))), 4)
    return result


def main(argv: list[str] | None = None) -> int:
    """``dkt`` scores a shipped artifact; ``plot`` draws the runs named; ``cost`` times a step;
    ``inspect`` counts what the dataset files hold."""
    ap = argparse.ArgumentParser(prog="python -m attune.models.kt_reference.report")
    ap.add_argument("action", choices=["dkt", "plot", "cost", "inspect"])
    ap.add_argument("--out", type=Path, default=Path("models/reports/question_aware"))
    ap.add_argument("--dataset", default="assist2009_dedup")
    ap.add_argument(
        "--artifact", type=Path, default=Path("models/artifacts/dkt-assist2009-dedup/1.0.0")
    )
    ap.add_argument("--name", default="dkt-shipped")
    ap.add_argument("--runs", nargs="*", default=[])
    ap.add_argument(
        "--png", type=Path, default=Path("models/reports/question_aware/reliability.png")
    )
    args = ap.parse_args(argv)
    if args.action == "dkt":
        print(json.dumps(shipped_dkt(args.dataset, args.artifact, args.out, args.name)))
    elif args.action == "inspect":
        for row in inspect(args.dataset):
            print(json.dumps(row))
    elif args.action == "cost":
        print(json.dumps(serving_cost(146)))
    else:
        reliability_plot(args.out, args.runs, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())

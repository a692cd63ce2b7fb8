"""``python -m attune.models.kt_reference``: train one reference tracer, then score it on
the test file once. Writes ``<out>/<name>.json`` (settings, history, test scores) and
``<out>/<name>.npz`` (test outcomes and predictions, for the reliability plot)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from attune.models.dkt.data import build_skill_index, load, resolve_dataset
from attune.models.dkt.evaluate import score
from attune.models.kt_reference.data import to_windows
from attune.models.kt_reference.nets import NetShape
from attune.models.kt_reference.train import Settings, ece, eval_cells, predict, train


def main(argv: list[str] | None = None) -> int:
    """Parse, train, score; one line of JSON per epoch on stderr."""
    ap = argparse.ArgumentParser(prog="python -m attune.models.kt_reference")
    ap.add_argument("--dataset", default="assist2009_dedup")
    ap.add_argument("--kind", choices=["recurrent", "akt-nr"], required=True)
    ap.add_argument("--name", required=True, help="file stem of the outputs")
    ap.add_argument("--out", type=Path, default=Path("models/reports/question_aware"))
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--no-features", action="store_true")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--max-epochs", type=int, default=12)
    ap.add_argument("--patience", type=int, default=2)
    ap.add_argument("--max-seconds", type=float, default=1e9)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-test", action="store_true", help="train and validate only")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = resolve_dataset(args.dataset)
    seqs, test = load(data.train), load(data.test)
    index = build_skill_index(seqs, test)
    shape = NetShape(
        args.kind, len(index), args.dim, args.heads, args.dropout, not args.no_features
    )
    settings = Settings(
        lr=args.lr,
        window=args.window,
        max_epochs=args.max_epochs,
        patience=args.patience,
        seed=args.seed,
        max_seconds=args.max_seconds,
    )
    trained = train(
        seqs,
        index,
        shape,
        settings,
        log=lambda row: print(json.dumps(row), file=sys.stderr, flush=True),
    )
    result = {"dataset": data.name, **trained.summary()}
    if not args.no_test:
        y, p = predict(trained.net, to_windows(test, index), eval_cells(shape))
        result["test"] = {**score(y, p), "ece": round(ece(y, p), 5)}
        args.out.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            args.out / f"{args.name}.npz", y=y.astype(np.int8), p=p.astype(np.float32)
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result.get("test", result["history"][-1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

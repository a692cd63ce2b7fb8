"""``attune models ...``: train and export DKT, evaluate it against BKT, train the demo DKT.

:func:`register` adds the subcommands to the ``models`` group; :func:`run` dispatches on
``args.models_command``. torch (and pyBKT, matplotlib) are imported inside the handlers, so
building the parser costs nothing. Bad input exits 2 with a message naming it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attune.models.datasets import DatasetFormatError
from attune.models.dkt.baseline import DEFAULT_MAX_ROWS
from attune.models.dkt.config import TrainConfig

if TYPE_CHECKING:
    from attune.models.dkt.data import KtDataset

MODELS_DIR = Path(__file__).resolve().parents[1]
ARTIFACTS = MODELS_DIR / "artifacts"
REPORTS = MODELS_DIR / "reports"
DEFAULT_VERSION = "1.0.0"
DEMO_LEARNERS = 3000
DEMO_HIDDEN = 48
DEMO_EPOCHS = 15

_D = TrainConfig()


class UsageError(Exception):
    """A bad argument; the message is shown as is."""


def register(subparsers: Any) -> None:
    """Add ``train-dkt``, ``evaluate`` and ``train-demo-dkt`` to the ``models`` group."""
    p = subparsers.add_parser("train-dkt", help="train DKT on a dataset and export it")
    p.add_argument("--dataset", required=True, help="folder with train.csv/test.csv, or a name")
    p.add_argument("--out", type=Path, default=ARTIFACTS, help="artifacts root (%(default)s)")
    p.add_argument("--name", help="artifact name (default dkt-<dataset>)")
    p.add_argument("--version", default=DEFAULT_VERSION, help="semver (%(default)s)")
    p.add_argument("--hidden", type=int, default=_D.hidden, help="LSTM size (%(default)s)")
    p.add_argument("--embed", type=int, help="embedding size (default: --hidden)")
    p.add_argument("--dropout", type=float, default=_D.dropout, help="(%(default)s)")
    p.add_argument("--epochs", type=int, default=_D.max_epochs, help="at most (%(default)s)")
    p.add_argument("--patience", type=int, default=_D.patience, help="(%(default)s)")
    p.add_argument("--seed", type=int, default=_D.seed, help="(%(default)s)")
    p.add_argument("--batch-size", type=int, default=_D.batch_size, help="(%(default)s)")
    p.add_argument("--lr", type=float, default=_D.lr, help="Adam (%(default)s)")
    p.add_argument(
        "--lr-decay", type=float, default=_D.lr_decay, help="after a worse epoch (%(default)s)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = subparsers.add_parser("evaluate", help="score a DKT artifact and BKT; write a report")
    p.add_argument("--dataset", required=True, help="folder with train.csv/test.csv, or a name")
    p.add_argument("--model", type=Path, help="artifact folder (default: the train-dkt one)")
    p.add_argument("--report", type=Path, default=REPORTS, help="report folder (%(default)s)")
    p.add_argument(
        "--bkt-max-rows", type=int, default=DEFAULT_MAX_ROWS, help="fit BKT on a sample above this"
    )
    p.add_argument("--note", action="append", default=[], help="a line for the report")

    p = subparsers.add_parser("train-demo-dkt", help="train the demo course's DKT")
    p.add_argument("--learners", type=int, default=DEMO_LEARNERS, help="(%(default)s)")
    p.add_argument("--seed", type=int, default=_D.seed, help="(%(default)s)")
    p.add_argument("--out", type=Path, default=ARTIFACTS, help="artifacts root (%(default)s)")
    p.add_argument("--hidden", type=int, default=DEMO_HIDDEN, help="LSTM size (%(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def default_name(dataset: str) -> str:
    """The artifact name of a dataset's model: ``assist2009_dedup`` -> ``dkt-assist2009-dedup``."""
    return "dkt-" + dataset.lower().replace("_", "-")


def _dataset(spec: str) -> KtDataset:
    from attune.models.dkt.data import DatasetNotFoundError, resolve_dataset

    try:
        return resolve_dataset(spec)
    except DatasetNotFoundError as exc:
        raise UsageError(str(exc)) from exc


def _check_identity(name: str, version: str) -> None:
    """Refuse, before any training, a name or version the manifest would refuse."""
    from attune.engine.dkt.manifest import DktManifest, ManifestError, parse_manifest

    inputs = {"interaction": "i", "h": "h", "c": "c"}
    outputs = {"p_correct": "p", "h": "h_out", "c": "c_out"}
    probe = DktManifest(name, version, 1, 1, {"s": 0}, inputs, outputs, "", {})
    try:
        parse_manifest(probe.to_json())
    except ManifestError as exc:
        raise UsageError(f"--name/--version: {exc.message} ({exc.field})") from exc


_FLAGS = {"max_epochs": "--epochs", "batch_size": "--batch-size", "lr_decay": "--lr-decay"}
_FLAGS |= {f: f"--{f}" for f in ("hidden", "embed", "dropout", "patience", "lr")}


def _config(args: argparse.Namespace, **overrides: Any) -> TrainConfig:
    values = {
        "hidden": args.hidden,
        "embed": getattr(args, "embed", None) or args.hidden,
        "dropout": getattr(args, "dropout", _D.dropout),
        "max_epochs": getattr(args, "epochs", _D.max_epochs),
        "patience": getattr(args, "patience", _D.patience),
        "seed": args.seed,
        "batch_size": getattr(args, "batch_size", _D.batch_size),
        "lr": getattr(args, "lr", _D.lr),
        "lr_decay": getattr(args, "lr_decay", _D.lr_decay),
    }
    try:
        return TrainConfig(**{**values, **overrides})
    except ValueError as exc:
        field, _, rest = str(exc).partition(" ")
        raise UsageError(f"{_FLAGS.get(field, field)} {rest}") from exc


def train_dkt_command(args: argparse.Namespace) -> int:
    """``train-dkt``: train, score on the test file, write the artifact."""
    config = _config(args)
    dataset = _dataset(args.dataset)
    name = args.name or default_name(dataset.name)
    _check_identity(name, args.version)
    from attune.models.dkt.pipeline import train_dataset

    began = time.monotonic()
    folder, metrics = train_dataset(
        dataset, args.out, name, args.version, config, progress=not args.no_progress
    )
    print(
        f"{name}@{args.version}: test AUC {metrics['test_auc']:.4f}, RMSE "
        f"{metrics['test_rmse']:.4f}, accuracy {metrics['test_accuracy']:.4f}; best epoch "
        f"{metrics['best_epoch']} of {metrics['epochs_run']}; "
        f"{time.monotonic() - began:.0f} s -> {folder}"
    )
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    """``evaluate``: DKT (through onnxruntime) and BKT on the test file; the report."""
    dataset = _dataset(args.dataset)
    if args.bkt_max_rows < 1:
        raise UsageError(f"--bkt-max-rows must be at least 1, got {args.bkt_max_rows}")
    model = args.model or ARTIFACTS / default_name(dataset.name) / DEFAULT_VERSION
    if not (model / "manifest.json").is_file() or not (model / "model.onnx").is_file():
        raise UsageError(f"model folder {model} not found (needs model.onnx and manifest.json)")
    from attune.models.dkt.pipeline import evaluate_dataset

    report = evaluate_dataset(
        dataset, model, args.report, bkt_max_rows=args.bkt_max_rows, notes=args.note
    )
    for name, s in report.scores.items():
        print(f"{name}: AUC {s['auc']:.4f}, RMSE {s['rmse']:.4f}, accuracy {s['accuracy']:.4f}")
    print(f"report: {args.report / (dataset.name + '.md')}")
    return 0


def train_demo_command(args: argparse.Namespace) -> int:
    """``train-demo-dkt``: simulate learners on the demo course, train, write the artifact."""
    if args.learners < 50:
        raise UsageError(f"--learners must be at least 50, got {args.learners}")
    # Simulated data are plentiful and regular: fewer epochs are needed.
    config = _config(args, embed=args.hidden, max_epochs=DEMO_EPOCHS, patience=2)
    from attune.engine.demo.course import demo_course
    from attune.models.dkt.demo import NAME, train_demo

    began = time.monotonic()
    folder, metrics = train_demo(
        demo_course(), args.learners, args.seed, args.out, config, progress=not args.no_progress
    )
    print(
        f"{NAME}@{DEFAULT_VERSION}: test AUC {metrics['test_auc']:.4f} on "
        f"{metrics['test_learners']} held-out learners; {time.monotonic() - began:.0f} s "
        f"-> {folder}"
    )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train-dkt": train_dkt_command,
    "evaluate": evaluate_command,
    "train-demo-dkt": train_demo_command,
}


def run(args: argparse.Namespace) -> int:
    """Run the ``models`` subcommand named by ``args.models_command``; its exit code."""
    command = getattr(args, "models_command", None)
    handler = COMMANDS.get(command or "")
    if handler is None:
        print(f"attune models: choose a command: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        return handler(args)
    except (UsageError, DatasetFormatError) as exc:
        print(f"attune models {command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"attune models {command}: interrupted", file=sys.stderr)
        return 130

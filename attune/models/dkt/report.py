"""The evaluation report: ``<dataset>.md`` with PNG plots beside it, a ``<dataset>.json`` of
the same numbers, and ``README.md``, a table over every dataset's JSON in the folder.

Plots are drawn on bare ``matplotlib.figure.Figure`` objects (the Agg canvas), never with
pyplot, so no GUI backend or global state is involved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

COLOURS = {"DKT": "#1f77b4", "BKT": "#ff7f0e"}


@dataclass
class EvaluationReport:
    """Everything one dataset's report shows."""

    dataset: str
    scores: dict[str, dict[str, float]]  # model -> auc, rmse, accuracy, responses
    calibration: dict[str, list[dict[str, float]]]  # model -> reliability bins
    dkt: dict[str, Any]  # artifact key, folder, size, the manifest's training metrics
    bkt: dict[str, Any]  # how the baseline was fit
    notes: list[str] = field(default_factory=list)


def _calibration_plot(report: EvaluationReport, path: Path) -> None:
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for model, bins in report.calibration.items():
        ax.plot(
            [b["predicted"] for b in bins],
            [b["observed"] for b in bins],
            marker="o",
            color=COLOURS.get(model),
            label=f"{model} (AUC {report.scores[model]['auc']:.3f})",
        )
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted P(correct)", ylabel="observed rate")
    ax.set_title(f"Reliability on {report.dataset} test")
    ax.legend(loc="upper left")
    fig.savefig(path, dpi=110, bbox_inches="tight")


def _metrics_plot(report: EvaluationReport, path: Path) -> None:
    fig = Figure(figsize=(7, 3.2))
    names = ("auc", "rmse", "accuracy")
    for n, metric in enumerate(names):
        ax = fig.add_subplot(1, len(names), n + 1)
        models = list(report.scores)
        values = [report.scores[m][metric] for m in models]
        bars = ax.bar(models, values, color=[COLOURS.get(m) for m in models])
        ax.bar_label(bars, fmt="%.3f")
        ax.set_ylim(0, 1)
        ax.set_title(metric.upper() if metric != "accuracy" else "accuracy")
    fig.suptitle(f"{report.dataset} test")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _training_plot(history: Sequence[Mapping[str, float]], best: int, path: Path) -> None:
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["val_auc"] for h in history], marker="o", label="validation AUC")
    ax.axvline(best, color="grey", linestyle=":", label=f"best epoch {best}")
    ax.set(xlabel="epoch", ylabel="AUC")
    twin = ax.twinx()
    twin.plot(epochs, [h["train_loss"] for h in history], color="#2ca02c", label="train loss")
    twin.set_ylabel("train BCE")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="center right")
    fig.savefig(path, dpi=110, bbox_inches="tight")


def _table(report: EvaluationReport) -> list[str]:
    rows = ["| model | AUC | RMSE | accuracy | test responses |", "|---|---|---|---|---|"]
    for model, s in report.scores.items():
        rows.append(
            f"| {model} | {s['auc']:.4f} | {s['rmse']:.4f} | {s['accuracy']:.4f} "
            f"| {s['responses']:,} |"
        )
    return rows


def _dkt_lines(dkt: Mapping[str, Any], images: Mapping[str, str]) -> list[str]:
    lines = [
        f"- Artifact `{dkt['key']}` in `{dkt['folder']}` ({dkt['size_kb']:.0f} KB); "
        "scored here by stepping the exported ONNX graph with onnxruntime."
    ]
    train = dkt["training"]
    if not _has_history(train):
        return [*lines, "- The manifest records no training details."]
    config = train["config"]
    stop = (
        f"early stopping after epoch {train['epochs_run']} (patience {train['patience']})"
        if train["early_stopped"]
        else f"no early stop (max_epochs {train['epochs_run']})"
    )
    return [
        *lines,
        f"- LSTM hidden {config['hidden']}, embedding {config['embed']}, dropout "
        f"{config['dropout']}, Adam lr {config['lr']} (times {config.get('lr_decay', 1.0)} "
        f"after an epoch without improvement), batch {config['batch_size']}, "
        f"training windows of {config['window']} steps, seed {config['seed']}.",
        f"- {train['train_learners']} training learners; {train['val_learners']} held out "
        f"of the train file for early stopping (validation AUC {train['val_auc']:.4f}).",
        f"- Best epoch {train['best_epoch']}; {stop}; {train['train_seconds']:.0f} s of "
        f"training on the CPU ({train.get('train_cpu_seconds', 0):.0f} s of CPU time).",
        *_parity_line(train),
        "",
        f"![training]({images['training']})",
    ]


def _parity_line(train: Mapping[str, Any]) -> list[str]:
    if "onnx_parity_max_abs_diff" not in train:
        return []
    return [
        f"- Export check: over {train['onnx_parity_steps']:,} steps of whole test learners, "
        "the ONNX step and the PyTorch sequence model differ by at most "
        f"{train['onnx_parity_max_abs_diff']:.1e} in P(correct)."
    ]


def _has_history(train: Mapping[str, Any]) -> bool:
    return bool(train.get("history")) and "config" in train


def _markdown(report: EvaluationReport, images: Mapping[str, str]) -> str:
    bkt = report.bkt
    lines = [
        f"# {report.dataset}: DKT vs BKT",
        "",
        "Both models predict every test response after each learner's first, from the "
        "responses before it; the scores below are on exactly the same rows.",
        "",
        *_table(report),
        "",
        f"![metrics]({images['metrics']})",
        "",
        "## DKT",
        "",
        *_dkt_lines(report.dkt, images),
        "",
        "## BKT",
        "",
        "- pyBKT 1.4.3, standard BKT (prior, learn, guess, slip; no forgetting), "
        "`Model(seed=42, num_fits=1, parallel=False)`.",
    ]
    if bkt["subsampled"]:
        rate = bkt["fit_rows"] / max(bkt["fit_seconds"], 1e-9)
        lines.append(
            f"- **Fit on a sample**: {bkt['fit_learners']} of {bkt['train_learners']} training "
            f"learners ({bkt['fit_rows']:,} of {bkt['train_rows']:,} responses), drawn with "
            f"seed {bkt['seed']}: the fit is capped at {bkt['max_rows']:,} responses "
            f"(`--bkt-max-rows`). At the {rate:,.0f} responses a second measured here, a full "
            f"fit would take about {bkt['train_rows'] / rate / 60:.0f} minutes."
        )
    else:
        lines.append(
            f"- Fit on all {bkt['train_learners']} training learners ({bkt['fit_rows']:,} "
            "responses)."
        )
    lines.append(f"- Fitting took {bkt['fit_seconds']:.0f} s on one core.")
    if bkt["unseen_rows"]:
        lines.append(
            f"- {bkt['unseen_rows']} test responses are on skills the fit never saw; pyBKT "
            "predicts 0.5 for them."
        )
    lines += ["", "## Calibration", "", f"![calibration]({images['calibration']})", ""]
    lines += ["| bin | DKT predicted / observed (n) | BKT predicted / observed (n) |"]
    lines += ["|---|---|---|"]
    by_bin = {m: {b["low"]: b for b in bins} for m, bins in report.calibration.items()}
    for low in sorted({low for bins in by_bin.values() for low in bins}):
        cells = []
        for model in ("DKT", "BKT"):
            b = by_bin.get(model, {}).get(low)
            cells.append(
                f"{b['predicted']:.3f} / {b['observed']:.3f} ({b['count']:,})" if b else "-"
            )
        lines.append(f"| {low:.1f}-{low + 0.1:.1f} | {cells[0]} | {cells[1]} |")
    if report.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in report.notes]]
    return "\n".join(lines) + "\n"


def write_report(report: EvaluationReport, out: Path) -> Path:
    """Write the Markdown, plots and JSON of one dataset, then refresh ``README.md``."""
    out.mkdir(parents=True, exist_ok=True)
    images = {kind: f"{report.dataset}-{kind}.png" for kind in ("calibration", "metrics")}
    images["training"] = f"{report.dataset}-training.png"
    _calibration_plot(report, out / images["calibration"])
    _metrics_plot(report, out / images["metrics"])
    train = report.dkt["training"]
    if _has_history(train):
        _training_plot(train["history"], train["best_epoch"], out / images["training"])
    (out / f"{report.dataset}.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    path = out / f"{report.dataset}.md"
    path.write_text(_markdown(report, images))
    write_summary(out)
    return path


def write_summary(out: Path) -> Path:
    """``README.md``: one row per model and dataset, from every report JSON in ``out``."""
    lines = [
        "# DKT and BKT on the knowledge-tracing datasets",
        "",
        "Generated by `attune models evaluate` (the artifacts by `attune models train-dkt`); "
        "one report per dataset beside this file, with the DKT settings and the plots. Scores "
        "are on the test files, which neither model saw; DKT's early stopping used learners "
        "held out of the train file.",
        "",
        "| dataset | model | AUC | RMSE | accuracy | training | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for path in sorted(out.glob("*.json")):
        data = json.loads(path.read_text())
        if "scores" not in data or "dataset" not in data:
            continue
        train, bkt = data["dkt"]["training"], data["bkt"]
        for model, s in data["scores"].items():
            if model == "DKT":
                when = (
                    f"{train['train_seconds']:.0f} s, best epoch {train['best_epoch']}"
                    if _has_history(train)
                    else "-"
                )
                note = f"`{data['dkt']['key']}`, {data['dkt']['size_kb']:.0f} KB"
            else:
                when = f"{bkt['fit_seconds']:.0f} s fit"
                note = (
                    f"fit on {bkt['fit_learners']}/{bkt['train_learners']} learners"
                    if bkt["subsampled"]
                    else "fit on all training learners"
                )
            lines.append(
                f"| [{data['dataset']}]({data['dataset']}.md) | {model} | {s['auc']:.4f} "
                f"| {s['rmse']:.4f} | {s['accuracy']:.4f} | {when} | {note} |"
            )
    path = out / "README.md"
    path.write_text("\n".join(lines) + "\n")
    return path

"""``attune models fit-bkt`` and ``attune models export-events``.

:func:`register` adds both subcommands to the ``models`` group's subparsers (whose ``dest``
is ``models_command``) and :func:`run` executes the parsed arguments. Bad input exits 2 with
one line on stderr that names the file, course or flag; nothing heavy (pandas, pyBKT, the
store) is imported until a command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_MIN_SEQUENCES = 200
DEFAULT_SEED = 42


class UsageError(ValueError):
    """A flag combination that cannot work; the message names the flags."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``fit-bkt`` and ``export-events`` to the ``models`` group."""
    fit = subparsers.add_parser(
        "fit-bkt",
        help="fit per-skill BKT parameters with pyBKT and write a parameter artifact",
        description="Fit per-skill BKT parameters (prior, learn, guess, slip, forget) with "
        "pyBKT from a DKT-format dataset or an event-log export. Skills with too few learner "
        "sequences keep the course defaults (or are left out of a bare dataset's artifact).",
    )
    source = fit.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", type=Path, help="DKT-format file, or a folder (its train.csv)")
    source.add_argument(
        "--events", type=Path, help="event-log export (JSONL from export-events); needs --course"
    )
    fit.add_argument("--course", help="course mapping items to skills: 'demo' or a JSON file")
    fit.add_argument("--out", type=Path, required=True, help="parameter artifact to write")
    fit.add_argument(
        "--min-sequences",
        type=int,
        default=DEFAULT_MIN_SEQUENCES,
        help=f"learners a skill needs to be fitted (default {DEFAULT_MIN_SEQUENCES})",
    )
    fit.add_argument("--forgets", action="store_true", help="fit forgetting as well")
    fit.add_argument("--seed", type=int, default=DEFAULT_SEED, help="pyBKT's random seed")
    fit.add_argument("--max-learners", type=int, help="use only the dataset's first N learners")
    fit.add_argument("--apply-to", help="course ('demo' or a JSON file) to load the fit into")
    fit.add_argument("--course-out", type=Path, help="where to write that updated course JSON")

    export = subparsers.add_parser(
        "export-events",
        help="export the engine's event log (embedded store) to JSONL; the engine must be stopped",
    )
    export.add_argument(
        "--data-dir", type=Path, help="the engine's data directory (ATTUNE_DATA_DIR, .attune)"
    )
    export.add_argument("--tenant", default="default", help="tenant to export (default: default)")
    export.add_argument("--course", help="export only this course's events")
    export.add_argument("--out", type=Path, required=True, help="JSONL file to write")


def run(args: argparse.Namespace) -> int:
    """Run the parsed ``models`` subcommand: 0 on success, 2 with a message on bad input."""
    from attune.engine.domain.errors import InvalidInputError, UnavailableError
    from attune.models.bkt.table import FitInputError
    from attune.models.datasets import DatasetFormatError
    from attune.models.event_export import ExportError

    command = args.models_command
    try:
        if command == "fit-bkt":
            return _fit_bkt(args)
        if command == "export-events":
            return _export_events(args)
        raise UsageError(f"unknown command {command!r}")
    except (
        UsageError,
        FitInputError,
        ExportError,
        DatasetFormatError,
        InvalidInputError,
        UnavailableError,
    ) as exc:
        print(f"attune models {command}: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"attune models {command}: {exc.filename}: {exc.strerror}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m models.bkt``: the same commands before they are wired into ``attune``."""
    parser = argparse.ArgumentParser(prog="attune models")
    register(parser.add_subparsers(dest="models_command", required=True))
    return run(parser.parse_args(argv))


def _check(args: argparse.Namespace) -> None:
    if args.min_sequences < 1:
        raise UsageError(f"--min-sequences must be at least 1, got {args.min_sequences}")
    if args.max_learners is not None and args.max_learners < 1:
        raise UsageError(f"--max-learners must be at least 1, got {args.max_learners}")
    if args.events is not None and args.course is None:
        raise UsageError("--events needs --course (demo or a course JSON file)")
    if args.dataset is not None and args.course is not None:
        raise UsageError("--course goes with --events; a dataset names its own skills")
    if args.events is not None and args.max_learners is not None:
        raise UsageError("--max-learners goes with --dataset")
    if (args.apply_to is None) != (args.course_out is None):
        raise UsageError("--apply-to and --course-out go together")


def _fit_bkt(args: argparse.Namespace) -> int:
    from attune.models.bkt.artifact import apply_params, build_artifact, fitted_params
    from attune.models.bkt.fit import fit_table, pybkt_version
    from attune.models.bkt.table import FitInputError, load_course, table_from_events, table_from_kt

    _check(args)
    if args.events is not None:
        _, course = load_course(args.course)
        table = table_from_events(args.events, course, args.course)
    else:
        table = table_from_kt(args.dataset, args.max_learners)
    if not table.rows:
        raise FitInputError(
            f"no responses to fit in {table.source['path']}{_dropped(table.source)}"
        )
    # Load the target course before the fit, which may take minutes: fail fast on a typo.
    target = load_course(args.apply_to)[0] if args.apply_to is not None else None

    # Import pyBKT (and scikit-learn with it, ~4 s) before the clock starts: the summary
    # reports how long the fit took.
    import pyBKT.models  # type: ignore[import-untyped, unused-ignore]  # noqa: F401

    began = time.monotonic()
    results = fit_table(
        table, min_sequences=args.min_sequences, forgets=args.forgets, seed=args.seed
    )
    elapsed = time.monotonic() - began
    artifact = build_artifact(
        table.source,
        results,
        fitted_with=pybkt_version(),
        forgets=args.forgets,
        seed=args.seed,
        min_sequences=args.min_sequences,
    )
    _write_json(args.out, artifact)

    src = table.source
    fitted = [r for r in results if r.fitted]
    print(
        f"source: {src['kind']} {src['path']} ({src['responses']} responses, "
        f"{src['learners']} learners, {len(results)} skills){_dropped(src)}"
    )
    print(
        f"{artifact['fitted_with']}, forgets {'on' if args.forgets else 'off'}, "
        f"seed {args.seed}: {len(fitted)} of {len(results)} skills fitted in {elapsed:.1f} s"
    )
    fallback = "kept the course defaults" if table.defaults is not None else "left out"
    few = [r for r in results if not r.fitted and r.sequences < args.min_sequences]
    rejected = [r for r in results if not r.fitted and r.sequences >= args.min_sequences]
    if few:
        print(f"not fitted, fewer than {args.min_sequences} learner sequences ({fallback}):")
        for r in few:
            print(f"  {r.skill_id}: {r.sequences} sequences")
    if rejected:
        print(f"fit rejected ({fallback}):")
        for r in rejected:
            print(f"  {r.skill_id}: {r.note}")
    print(f"wrote {args.out}")

    if target is not None:
        course_json = apply_params(target, artifact)
        _write_json(args.course_out, course_json)
        ours = set(fitted_params(artifact))
        applied = [s["skill_id"] for s in course_json["skills"] if s["skill_id"] in ours]
        print(
            f"applied {len(applied)} fitted skills to course {course_json['course_id']!r} "
            f"({len(course_json['skills']) - len(applied)} kept theirs); wrote {args.course_out}"
        )
        if not applied and fitted:
            print("  note: no fitted skill id is a skill of that course", file=sys.stderr)
    return 0


def _export_events(args: argparse.Namespace) -> int:
    from attune.models.event_export import export_events

    data_dir = args.data_dir or Path(os.environ.get("ATTUNE_DATA_DIR", ".attune"))
    count = export_events(data_dir, args.tenant, args.course, args.out)
    scope = f"course {args.course!r}" if args.course else "all courses"
    print(f"exported {count} events of tenant {args.tenant!r} ({scope}) to {args.out}")
    if count == 0:
        print(f"attune models export-events: no events of tenant {args.tenant!r}", file=sys.stderr)
        return 2
    return 0


def _dropped(source: dict[str, Any]) -> str:
    dropped = source.get("dropped")
    if not dropped:
        return ""
    return (
        f"; dropped {dropped['not_credible']} too fast (credibility < 1), "
        f"{dropped['unknown_item']} of unknown items, {dropped['other_course']} of other "
        f"courses; {source['rounded_scores']} fractional scores rounded at 0.5"
    )


def _write_json(path: Path, data: Any) -> None:
    # allow_nan=False: a NaN would be invalid JSON; every number here was checked already.
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")

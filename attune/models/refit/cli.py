"""``attune refit``: refit one course's BKT and IRT parameters from the engine's event log.

It opens the store the engine's settings name (the embedded store under ``--data-dir``, with
the engine stopped, or the Redis the engines share), reads the course's answers, runs the
refit (models/refit/core.py), logs the comparison (``refit.compared``) and prints the report.
Unless ``--dry-run``, a course with adopted parameters goes through the engine's
``put_course``, as a PutCourse would. Bad input exits 2 with one line naming it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from attune.models.refit.config import RefitConfig

if TYPE_CHECKING:
    from attune.engine.settings import EngineSettings
    from attune.models.refit.core import RefitResult


class RefitUsageError(ValueError):
    """The refit cannot run; the message names the flag, tenant or course."""


def run_refit(args: argparse.Namespace) -> int:
    """Run ``attune refit``: 0 on success, 2 with a message on bad input."""
    from pydantic import ValidationError

    from attune.engine.adapters.factory import StoreConfigError
    from attune.engine.domain.errors import InvalidInputError, UnavailableError
    from attune.engine.logs import configure_logging
    from attune.settings import engine_settings

    try:
        settings = engine_settings(args)
    except ValidationError as exc:
        print(f"attune refit: bad settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        config = _config(args, settings)
        config.validate()
        return asyncio.run(_refit(args, settings, config))
    except (RefitUsageError, StoreConfigError, InvalidInputError) as exc:
        print(f"attune refit: {exc}", file=sys.stderr)
    except UnavailableError as exc:
        print(f"attune refit: {exc}; stop the engine or use its Redis store", file=sys.stderr)
    return 2


def _config(args: argparse.Namespace, settings: EngineSettings) -> RefitConfig:
    s = settings.refit
    config = RefitConfig(
        min_sequences=s.min_sequences,
        min_item_responses=s.min_item_responses,
        holdout_fraction=s.holdout_fraction,
        min_holdout_responses=s.min_holdout_responses,
        bkt_margin=s.bkt_margin,
        irt_margin=s.irt_margin,
        forgets=s.forgets,
        seed=s.seed,
    )
    if args.min_sequences is not None:
        config = replace(config, min_sequences=args.min_sequences)
    if args.min_item_responses is not None:
        config = replace(config, min_item_responses=args.min_item_responses)
    if args.no_irt:
        config = replace(config, calibrate_irt=False)
    if not args.tenant.strip():
        raise RefitUsageError("--tenant must not be empty")
    if not args.course.strip():
        raise RefitUsageError("--course must not be empty")
    return config


async def _refit(args: argparse.Namespace, settings: EngineSettings, config: RefitConfig) -> int:
    from attune.engine.adapters.factory import open_store
    from attune.engine.refit_job import log_comparison, put_refitted, read_answers
    from attune.models.refit.core import refit_course
    from attune.models.refit.data import Answer

    if not settings.store_url and not (settings.data_dir / "attune.db").is_file():
        # Opening would create an empty store: a typo must not look like an empty log.
        raise RefitUsageError(f"no embedded store at {settings.data_dir / 'attune.db'}")
    store = await open_store(settings)
    try:
        course = await store.get_course(args.tenant, args.course)
        if course is None:
            raise RefitUsageError(f"no course {args.course!r} in tenant {args.tenant!r}")
        rows, _ = await read_answers(store, args.tenant, args.course)
        answers = [Answer(*row) for row in rows]
        result = await asyncio.to_thread(refit_course, course, answers, config)
        report = result.report.to_json()
        log_comparison(args.tenant, report)
        applied = False
        if result.course is not None and not args.dry_run:
            from attune.engine.service import Engine

            tracer = None
            if course.dkt_model:  # the pin is checked again, as a PutCourse would
                from attune.engine.dkt.serving import open_tracer

                tracer = open_tracer(settings.models_dir, batching=False)[1]
            engine = Engine(store, tracer=tracer)
            applied = await put_refitted(engine, args.tenant, course, result.course)
    finally:
        await store.close()
    _print(args, result, report, applied)
    return 0


def _print(
    args: argparse.Namespace, result: RefitResult, report: dict[str, Any], applied: bool
) -> None:
    if args.json:
        out = {"tenant": args.tenant, "dry_run": args.dry_run, "applied": applied, **report}
        print(json.dumps(out, indent=2))
        return
    r = result.report
    print(
        f"course {r.course_id!r} (tenant {args.tenant!r}): {r.responses} credible responses "
        f"from {r.learners} learners, {r.holdout_learners} held out "
        f"({r.not_credible} too fast and {r.unknown_item} to unknown items left out)"
    )
    print("BKT per skill (held-out log-likelihood per response, old -> new; AUC old -> new):")
    for s in r.skills:
        figures = ""
        if s.old is not None and s.new is not None:
            figures = (
                f"  {s.old.loglik:.4f} -> {s.new.loglik:.4f}; "
                f"AUC {_auc(s.old.auc)} -> {_auc(s.new.auc)}"
            )
        print(
            f"  {s.skill_id}: {'ADOPTED' if s.adopted else 'kept'} ({s.fit_sequences} fit / "
            f"{s.holdout_sequences} held-out sequences){figures}"
        )
        if not s.adopted:
            print(f"      {s.reason}")
    calibrated = [i for i in r.items if i.new_params is not None]
    print(
        f"IRT: {len(calibrated)} of {len(r.items)} items calibrated, "
        f"{len(r.adopted_items)} adopted ({r.irt_note})"
    )
    for i in calibrated:
        o, n = i.old_params, i.new_params
        assert n is not None and i.old is not None and i.new is not None
        print(
            f"  {i.item_id}: {'ADOPTED' if i.adopted else 'kept'} a {o.a:.2f}->{n.a:.2f} "
            f"b {o.b:.2f}->{n.b:.2f} c {o.c:.2f}->{n.c:.2f}; held-out {i.old.loglik:.4f} -> "
            f"{i.new.loglik:.4f} ({i.holdout_responses} responses)"
        )
    if r.irt_old is not None and r.irt_new is not None:
        print(
            f"IRT held-out, every response: log-likelihood {r.irt_old.loglik:.4f} -> "
            f"{r.irt_new.loglik:.4f}, AUC {_auc(r.irt_old.auc)} -> {_auc(r.irt_new.auc)}"
        )
    if result.course is None:
        print("nothing adopted: the course is unchanged")
    elif args.dry_run:
        print("dry run: the course is unchanged")
    elif applied:
        print(f"put the new course {r.course_id!r} through the engine")
    else:
        print("not put: the course changed during the refit (run it again)")


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"

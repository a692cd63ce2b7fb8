"""``attune backup --out DIR`` and ``attune restore --from DIR``: the embedded stores of a
data directory (``--data-dir``, default ``ATTUNE_DATA_DIR``), see
:mod:`attune.backup.sqlite_backup`. Backup is safe while the engine and the gateway run;
restore refuses a data directory in use. Redis-backed deployments back up Redis instead
(deploy/RUNBOOK.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from attune.backup.sqlite_backup import BackupError, backup, restore

FAILED = 2


def register_backup(subparsers: Any) -> None:
    """Add ``backup``."""
    take = subparsers.add_parser(
        "backup", help="copy the embedded stores (safe while running) into a new directory"
    )
    take.add_argument("--data-dir", type=Path, help="the data directory (ATTUNE_DATA_DIR)")
    take.add_argument("--out", required=True, type=Path, help="a new or empty directory")


def register_restore(subparsers: Any) -> None:
    """Add ``restore``."""
    put = subparsers.add_parser(
        "restore", help="put a backup into a data directory no process is using"
    )
    put.add_argument("--data-dir", type=Path, help="the data directory (ATTUNE_DATA_DIR)")
    put.add_argument(
        "--from", dest="source", required=True, type=Path, help="a directory `attune backup` wrote"
    )
    put.add_argument(
        "--replace",
        action="store_true",
        help="move the data directory's current databases aside (pre-restore-<time>/) first",
    )


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir is not None:
        return Path(args.data_dir)
    from attune.engine.settings import EngineSettings

    return EngineSettings().data_dir


def run(args: argparse.Namespace) -> int:
    """Run ``backup`` or ``restore``; the exit status (2 with a message when refused)."""
    data_dir = _data_dir(args)
    try:
        if args.command == "backup":
            manifest = backup(data_dir, args.out)
            print(json.dumps({"backup": str(args.out), "files": manifest["files"]}, indent=2))
        else:
            names = restore(args.source, data_dir, replace=args.replace)
            print(json.dumps({"restored": names, "data_dir": str(data_dir)}))
    except (BackupError, OSError) as exc:  # OSError: a path that cannot be used, named
        print(f"attune {args.command}: {exc}", file=sys.stderr)
        return FAILED
    return 0

"""``python -m attune.infra.audit.cli``: verify, prune and export the audit trail from a
shell or a cron job, against the same store the deployables write.

    python -m attune.infra.audit.cli verify [--tenant T]
    python -m attune.infra.audit.cli prune [--retention-days 2557]
    python -m attune.infra.audit.cli export --tenant T [--format jsonl|csv]

``--store-url`` (default: empty, the SQLite file ``audit.db`` under ``--data-dir``, default
``.attune``) names the store as ``ATTUNE_AUDIT__STORE_URL`` does. Exit status 1 when a chain
does not verify.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from attune.infra.audit.export import csv_rows, jsonl
from attune.infra.audit.ports import MAX_PAGE
from attune.infra.audit.trail import DEFAULT_RETENTION_DAYS, AuditTrail, open_audit_log
from attune.infra.audit.verify import verify


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m attune.infra.audit.cli")
    parser.add_argument("--store-url", default="")
    parser.add_argument("--data-dir", type=Path, default=Path(".attune"))
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="check every tenant's hash chain (or one)")
    check.add_argument("--tenant", default="")
    prune = sub.add_parser("prune", help="drop records older than the retention period")
    prune.add_argument("--retention-days", type=float, default=DEFAULT_RETENTION_DAYS)
    export = sub.add_parser("export", help="one tenant's trail to stdout")
    export.add_argument("--tenant", required=True)
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log = open_audit_log(args.store_url, args.data_dir)
    try:
        if args.command == "verify":
            tenants = [args.tenant] if args.tenant else list(log.tenants())
            verdicts = [verify(log, t) for t in tenants]
            for verdict in verdicts:
                print(json.dumps(asdict(verdict)))
            return 0 if all(v.ok for v in verdicts) else 1
        if args.command == "prune":
            print(json.dumps(AuditTrail(log, args.retention_days).prune()))
            return 0
        records, after = [], 0
        while page := log.records(args.tenant, after, MAX_PAGE):
            records += page
            after = page[-1].seq
        lines = jsonl(records) if args.format == "jsonl" else csv_rows(records)
        sys.stdout.writelines(lines)
        return 0
    finally:
        log.close()


if __name__ == "__main__":
    sys.exit(main())

"""``attune export xapi``: the engine's log as xAPI statements, one JSON object per line, for
data warehouses.

It reads the log through the engine's public contract (``EventService.ListEvents``) and builds
the same statements, with the same deterministic ids, as the outbox sends, so a warehouse can
merge an export with what its LRS received without duplicates. ``--since``/``--until`` select
by when the learner answered (``occurred_at``), half-open: since <= t < until.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.engine_port import EngineClient
from attune.gateway.errors import GatewayError
from attune.gateway.statements import TenantProfile, build_xapi, from_logged

PAGE = 1000


def register(subparsers: Any) -> None:
    """Add ``export xapi``."""
    export = subparsers.add_parser("export", help="export the event log")
    kinds = export.add_subparsers(dest="export_kind", required=True)
    p = kinds.add_parser("xapi", help="xAPI statements as JSON lines")
    p.add_argument("--since", required=True, help="ISO 8601 time, inclusive")
    p.add_argument("--until", required=True, help="ISO 8601 time, exclusive")
    p.add_argument("--out", required=True, type=Path, help="the .jsonl file to write")
    p.add_argument("--engine", default="127.0.0.1:50051", help="engine address (%(default)s)")
    p.add_argument("--token", default="dev-token", help="engine credential: it names the tenant")
    p.add_argument("--tenant", default="default", help="the tenant the token acts for")
    p.add_argument(
        "--home-page",
        default="http://127.0.0.1:8000",
        help="account.homePage of the pseudonymous actors (%(default)s)",
    )
    p.add_argument(
        "--activity-base",
        default="http://127.0.0.1:8000/xapi",
        help="IRI base of courses, items and skills (%(default)s)",
    )
    p.add_argument("--xapi-version", choices=["1.0.3", "2.0.0"], default="1.0.3")


def parse_time(text: str, flag: str) -> float:
    """Epoch seconds of an ISO 8601 time (a time without an offset is UTC)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{flag}: {text!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def run(args: argparse.Namespace) -> int:
    """Write the statements; exit 2 on bad input, 1 when the engine cannot be read."""
    try:
        since, until = parse_time(args.since, "--since"), parse_time(args.until, "--until")
        if until <= since:
            raise ValueError("--until must be after --since")
        profile = TenantProfile(
            tenant=args.tenant,
            home_page=args.home_page,
            activity_base=args.activity_base,
            xapi_version=args.xapi_version,
        )
    except ValueError as exc:
        print(f"attune export xapi: {exc}", file=sys.stderr)
        return 2
    engine = GrpcEngineClient(args.engine, {args.tenant: args.token})
    written = 0
    try:
        with args.out.open("w") as out:
            written = _write(engine, profile, since, until, out)
    except GatewayError as exc:
        print(f"attune export xapi: {exc.reason}", file=sys.stderr)
        return 1
    finally:
        engine.close()
    print(f"{written} statements -> {args.out}")
    return 0


def _write(
    engine: EngineClient, profile: TenantProfile, since: float, until: float, out: Any
) -> int:
    titles: dict[str, str] = {}
    cursor, written = 0, 0
    while True:
        page = engine.list_events(profile.tenant, cursor, PAGE)
        for logged in page.events:
            course_id = logged.response.course_id
            if course_id not in titles:
                titles[course_id] = engine.get_course(profile.tenant, course_id).title
            for event in from_logged(profile.tenant, logged, titles[course_id]):
                if since <= event.occurred_at < until:
                    out.write(json.dumps(build_xapi(event, profile), sort_keys=True) + "\n")
                    written += 1
        if page.last_log_id == cursor:
            return written
        cursor = page.last_log_id

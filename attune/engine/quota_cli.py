"""``attune quota recount [--tenant T] [--store URL]``: count, once, the learners a Redis store
held before quotas existed (see :mod:`attune.engine.adapters.redis_recount`). Safe to run with
the engines serving, and twice; a run stopped half-way resumes where it was."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``quota`` and its subcommand."""
    top = subparsers.add_parser("quota", help="the engine's per-tenant quotas")
    commands = top.add_subparsers(dest="quota_command", required=True)
    recount = commands.add_parser(
        "recount", help="count the learners stored on Redis before quotas existed"
    )
    recount.add_argument("--tenant", help="only this tenant (default: every tenant)")
    recount.add_argument("--store", help="the engine's Redis URL (default: ATTUNE_STORE_URL)")


async def _recount(url: str, tenant: str | None) -> dict[str, Any]:
    from attune.engine.adapters.redis_conn import make_client
    from attune.engine.adapters.redis_recount import recount
    from attune.infra.redis import parse_url

    target = parse_url(url)
    client = make_client(target)
    try:
        if target.cluster:
            await client.initialize()
        result = await recount(client, tenant)
    finally:
        await client.aclose()
    return {"tenant": tenant or "*", "seen": result.seen, "added": result.added,
            "resumed": result.resumed}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run ``quota recount``; the exit status."""
    from attune.engine.settings import EngineSettings

    url = args.store if args.store is not None else EngineSettings().store_url
    if not url.startswith(("redis://", "rediss://", "redis+cluster://", "rediss+cluster://")):
        print("attune: quota recount is for the Redis store (--store redis://...); the embedded "
              "store counts what it holds when quotas first open it", file=sys.stderr)  # fmt: skip
        return 2
    tenant = args.tenant
    if tenant is not None and (not tenant.strip() or tenant != tenant.strip()):
        print("attune: --tenant must be a tenant id (not empty, no surrounding spaces)",
              file=sys.stderr)  # fmt: skip
        return 2
    print(json.dumps(asyncio.run(_recount(url, tenant)), sort_keys=True))
    return 0

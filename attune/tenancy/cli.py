"""``attune tenant export|delete``: a whole tenant out of, or off, every store of a deployment
(see :mod:`attune.tenancy.ops`). The stores come from the usual settings (``ATTUNE_*`` and
``ATTUNE_GATEWAY__*``) with the flags on top. It does not tell a running engine or gateway
(their caches may keep the tenant): on a live deployment use the admin routes
(``/admin/tenants/<t>/export`` and ``/delete``), or run it with both stopped."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from attune.tenancy.ops import TenantStores, delete_tenant, export_tenant, stores_from_settings


def register(subparsers: Any) -> None:
    """Add ``tenant`` and its subcommands."""
    top = subparsers.add_parser("tenant", help="export or delete a whole tenant")
    commands = top.add_subparsers(dest="tenant_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--tenant", required=True, help="the tenant")
        p.add_argument("--data-dir", help="the embedded stores' directory (both deployables)")
        p.add_argument("--engine-store", help="engine store URL (ATTUNE_STORE_URL)")
        p.add_argument("--gateway-store", help="gateway store URL (ATTUNE_GATEWAY__STORE_URL)")
        p.add_argument("--audit-store", help="audit store URL (ATTUNE_AUDIT__STORE_URL)")

    export = commands.add_parser("export", help="write the tenant's data, every store")
    common(export)
    export.add_argument(
        "--out", required=True, type=Path, help="a directory, or a .tar / .tar.gz file"
    )
    delete = commands.add_parser("delete", help="drop the tenant from every store")
    common(delete)
    delete.add_argument("--yes", action="store_true", help="really delete (export first)")


def _stores(args: argparse.Namespace) -> TenantStores:
    from attune.engine.settings import EngineSettings
    from attune.gateway.settings import GatewaySettings

    engine: dict[str, Any] = {}
    gateway: dict[str, Any] = {}
    if args.data_dir:
        engine["data_dir"] = gateway["data_dir"] = Path(args.data_dir)
    if args.engine_store is not None:
        engine["store_url"] = args.engine_store
    if args.gateway_store is not None:
        gateway["store_url"] = args.gateway_store
    e = EngineSettings(**engine)
    if args.audit_store is not None:
        e = e.model_copy(
            update={"audit": e.audit.model_copy(update={"store_url": args.audit_store})}
        )
    return stores_from_settings(e, GatewaySettings(**gateway))


def run(args: argparse.Namespace) -> int:
    """Run ``tenant export`` or ``tenant delete``; the exit status."""
    tenant = args.tenant.strip()
    if not tenant or tenant != args.tenant:
        print("attune: --tenant must be a tenant id (not empty, no surrounding spaces)",
              file=sys.stderr)  # fmt: skip
        return 2
    stores = _stores(args)
    if args.tenant_command == "export":
        manifest = export_tenant(stores, tenant, args.out, time.time)
        lines = sum(f["lines"] for f in manifest["files"].values())
        print(f"exported tenant {tenant!r}: {lines} records in {len(manifest['files'])} files "
              f"to {args.out}")  # fmt: skip
        return 0
    if not args.yes:
        print(f"attune: deleting tenant {tenant!r} cannot be undone; export it first "
              "(attune tenant export), then pass --yes", file=sys.stderr)  # fmt: skip
        return 2
    counts = delete_tenant(stores, tenant, time.time)
    print(json.dumps({"tenant": tenant, "deleted": counts}, indent=2, sort_keys=True))
    return 0

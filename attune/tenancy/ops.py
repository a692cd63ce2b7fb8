"""Export a tenant whole, or delete it whole, across every store (issue 16 part 6).

Stores, from the deployables' settings:
- the engine's: the embedded SQLite file (``attune.db``) or its Redis;
- the gateway's: ``gateway.db`` or its Redis (sessions, registrations, outboxes, content
  library, OAuth clients, SSO providers and sessions, ingest state, xAPI statements ...);
- the audit trail (``audit.db`` or Redis), through its port.

The export is a directory (or a ``.tar``/``.tar.gz`` of one): ``manifest.json`` and one JSON
lines file per table or Redis store, each listed in the manifest with its line count and
SHA-256.

**The audit trail on delete.** Its records are dropped with the tenant, as a whole-chain
prune (the port's only way to drop records), so no learner reference survives. What stays is
the chain's anchor (the last dropped record's number and hash) and one final
``tenant.delete`` record chained to it: proof that the tenant was deleted, when and by whom,
naming no learner. Export the tenant first to keep its trail (the CLI refuses to delete
without ``--yes``, and the operator is told to export).

The command reads and writes the stores directly: the running engine's and gateway's
in-memory caches are not told, so on a live deployment use the admin routes instead
(``/admin/tenants/<t>/export`` and ``/delete``, see :mod:`attune.gateway.tenant_ops`),
which go through the engine and clear both deployables' caches.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from attune.infra.audit import AuditTrail, open_audit_log
from attune.infra.tenancy.files import (
    FORMAT,
    close_audit,
    delete_redis,
    delete_sqlite,
    export_audit,
    export_redis,
    export_sqlite,
    pack,
    write_manifest,
)

log = structlog.get_logger("attune.tenancy")
__all__ = ["FORMAT", "TenantStores", "delete_tenant", "export_tenant", "stores_from_settings"]


@dataclass(frozen=True)
class TenantStores:
    """Where a deployment keeps its data: SQLite files and Redis URLs, and the audit trail's
    store (``audit_url`` "" : ``audit.db`` in ``audit_dir``)."""

    sqlite_files: dict[str, Path] = field(default_factory=dict)  # "engine" -> attune.db
    redis_urls: dict[str, str] = field(default_factory=dict)  # "engine" -> redis://...
    audit_url: str = ""
    audit_dir: Path | None = None


def stores_from_settings(engine: Any, gateway: Any) -> TenantStores:
    """The stores of an ``EngineSettings`` and a ``GatewaySettings`` (as ``attune serve`` and
    the two deployables read them)."""
    files: dict[str, Path] = {}
    urls: dict[str, str] = {}
    if not engine.store_url:
        files["engine"] = engine.data_dir / "attune.db"
    elif engine.store_url.startswith("sqlite:///"):
        files["engine"] = Path(engine.store_url.removeprefix("sqlite:///"))
    else:
        urls["engine"] = engine.store_url
    if gateway.store_url:
        urls["gateway"] = gateway.store_url
    else:
        files["gateway"] = gateway.data_dir / "gateway.db"
    beside = engine.store_url if engine.store_url.startswith("redis") else ""
    return TenantStores(files, urls, engine.audit.store_url or beside, engine.data_dir)


def _redis(url: str) -> Any:
    from attune.gateway.stores import redis_client

    return redis_client(url)


def _audit_trail(stores: TenantStores, clock: Callable[[], float]) -> AuditTrail | None:
    if not stores.audit_url and stores.audit_dir is None:
        return None
    return AuditTrail(open_audit_log(stores.audit_url, stores.audit_dir or Path(".")), clock=clock)


def export_tenant(
    stores: TenantStores, tenant: str, out: Path, clock: Callable[[], float]
) -> dict[str, Any]:
    """Write the tenant's data to ``out`` (a directory, or a ``.tar``/``.tar.gz`` file); the
    manifest."""
    if out.suffix in (".tar", ".gz", ".tgz"):
        with tempfile.TemporaryDirectory() as tmp:
            manifest = export_tenant(stores, tenant, Path(tmp) / "export", clock)
            pack(Path(tmp) / "export", out, tenant, gz=out.suffix in (".gz", ".tgz"))
            return manifest
    files: dict[str, Any] = {}
    for name, path in sorted(stores.sqlite_files.items()):
        if path.exists():
            files.update(export_sqlite(path, name, tenant, out))
    for name, url in sorted(stores.redis_urls.items()):
        client = _redis(url)
        try:
            files.update(export_redis(client, name, tenant, out))
        finally:
            client.close()
    trail = _audit_trail(stores, clock)
    if trail is not None:
        try:
            files.update(export_audit(trail, tenant, out))
        finally:
            trail.log.close()
    manifest = write_manifest(out, tenant, clock(), files)
    log.info("tenant.exported", tenant=tenant, files=len(files))
    return manifest


def delete_tenant(
    stores: TenantStores, tenant: str, clock: Callable[[], float], actor: str = "operator:cli"
) -> dict[str, int]:
    """Drop every record of the tenant in every store; counts per store (see the module
    docstring for the audit trail)."""
    counts: dict[str, int] = {}
    for name, path in sorted(stores.sqlite_files.items()):
        if path.exists():
            counts.update(delete_sqlite(path, name, tenant))
    for name, url in sorted(stores.redis_urls.items()):
        client = _redis(url)
        try:
            counts.update(delete_redis(client, name, tenant))
        finally:
            client.close()
    trail = _audit_trail(stores, clock)
    if trail is not None:
        try:
            counts["audit.records"] = close_audit(trail, tenant, actor, "operator", counts)
        finally:
            trail.log.close()
    log.info("tenant.deleted", tenant=tenant, stores=len(counts))
    return counts

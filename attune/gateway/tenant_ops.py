"""A whole tenant exported or deleted on the live system (issue 16): the engine's part over
its TenantService (the engine drops its own caches), the gateway's stores with the shared
sweeps (:mod:`attune.infra.tenancy`, as ``attune tenant`` does) and the gateway's caches, the
audit trail as the command does. The export has the command's layout and manifest.

- **Consistency.** The engine's files are one view (see the proto). The gateway's SQLite file
  is read in one read transaction; on Redis the tenant's gateway requests are held out while
  its keys are read. The audit trail is read last, so it holds every record up to the export.
- **Delete.** The tenant's requests are refused (409) in this process, and those running end
  first; then the engine, the gateway's stores and caches, and the trail (pruned to its
  anchor, then one ``tenant.delete`` record with the counts, naming no learner). Repeated when
  nothing of the tenant is left in any store, it changes nothing and answers the last
  delete's counts (read back from that record; later records, such as reads of the trail,
  are kept).
"""

from __future__ import annotations

import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import structlog

from attune.gateway.errors import EngineCallError
from attune.infra.tenancy.files import (
    audit_records,
    close_audit,
    delete_redis,
    delete_sqlite,
    describe,
    export_audit,
    export_redis,
    export_sqlite,
    pack,
    write_manifest,
)
from attune.infra.tenancy.redis_sweep import GATEWAY

if TYPE_CHECKING:
    from attune.gateway.app import Gateway
    from attune.infra.audit import AuditTrail

log = structlog.get_logger("attune.gateway.tenants")
NAME = "gateway"  # the gateway's folder in an export
ENGINE = "engine/"


def _engine_files(gw: Gateway, tenant: str, out: Path) -> dict[str, Any]:
    """Write the engine's streamed files under ``out``; their manifest entries."""
    written: set[str] = set()
    current: tuple[str, Any] | None = None
    try:
        for rel, data in gw.engine.export_tenant(tenant):
            parts = PurePosixPath(rel).parts
            if not rel.startswith(ENGINE) or ".." in parts or len(parts) < 2:
                # The engine's fault, not the caller's: 502, and nothing is written outside.
                raise EngineCallError("INTERNAL", f"an export file outside engine/: {rel!r}")
            if current is None or current[0] != rel:
                if current is not None:
                    current[1].close()
                target = out / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                current = (rel, target.open("ab"))
                written.add(rel)
            current[1].write(data)
    finally:
        if current is not None:
            current[1].close()
    return {rel: describe(out / rel) for rel in sorted(written)}


def export_tenant(gw: Gateway, trail: AuditTrail | None, tenant: str, work: Path) -> Path:
    """The tenant's export as a ``.tar.gz`` in ``work`` (a directory the caller removes).
    Refused (409) while the tenant is deleted; on SQLite it holds the tenant's gate like a
    request, so a delete waits for it rather than leaving it half the tenant."""
    if gw.settings.store_url:
        gw.tenant_gate.check(tenant)  # the Redis read below closes the gate itself
        return _export(gw, trail, tenant, work)
    gw.tenant_gate.enter(tenant)
    try:
        return _export(gw, trail, tenant, work)
    finally:
        gw.tenant_gate.leave(tenant)


def _export(gw: Gateway, trail: AuditTrail | None, tenant: str, work: Path) -> Path:
    out = work / "export"
    out.mkdir(parents=True)
    files = _engine_files(gw, tenant, out)
    url = gw.settings.store_url
    if url:
        from attune.gateway.stores import redis_client

        with gw.tenant_gate.closed(tenant, "exported"):
            client = redis_client(url)
            try:
                files.update(export_redis(client, NAME, tenant, out, GATEWAY))
            finally:
                client.close()
    else:
        path = gw.settings.data_dir / "gateway.db"
        if path.exists():
            files.update(export_sqlite(path, NAME, tenant, out))
    if trail is not None:
        files.update(export_audit(trail, tenant, out))
    write_manifest(out, tenant, gw.wall_clock(), files)
    tar = work / "export.tar.gz"
    pack(out, tar, tenant)
    log.info("tenant.exported", tenant=tenant, files=len(files))
    return tar


def _previous_delete(trail: AuditTrail, tenant: str) -> dict[str, int] | None:
    """The counts of the tenant's last delete, if its trail (since its anchor) holds one."""
    found: dict[str, int] | None = None
    for record in audit_records(trail, tenant):
        if record.get("action") == "tenant.delete":
            dropped = record.get("details", {}).get("records_dropped")
            found = dict(dropped) if isinstance(dropped, dict) else found
    return found


def delete_tenant(gw: Gateway, trail: AuditTrail | None, tenant: str, actor: str) -> dict[str, int]:
    """Drop the tenant everywhere (see the module docstring); the counts per store."""
    started = time.perf_counter()
    with gw.tenant_gate.closed(tenant, "deleted"):
        counts = dict(gw.engine.delete_tenant(tenant))
        url = gw.settings.store_url
        if url:
            from attune.gateway.stores import redis_client

            client = redis_client(url)
            try:
                counts.update(delete_redis(client, NAME, tenant, GATEWAY))
            finally:
                client.close()
        else:
            path = gw.settings.data_dir / "gateway.db"
            if path.exists():
                counts.update(delete_sqlite(path, NAME, tenant))
        counts = {k: n for k, n in counts.items() if n}
        gw.practice.forget_tenant(tenant)
        from attune.gateway.web.progress_html import forget_rows

        forget_rows()  # rows name the course's skills; shared by tenants, so all of them
        if trail is not None:
            previous = None if counts else _previous_delete(trail, tenant)
            if previous is not None:
                log.info("tenant.delete_repeated", tenant=tenant)
                return previous
            counts["audit.records"] = close_audit(trail, tenant, actor, "gateway", counts)
    log.info("tenant.deleted", tenant=tenant, stores=len(counts),
             seconds=round(time.perf_counter() - started, 3))  # fmt: skip
    return dict(sorted(counts.items()))

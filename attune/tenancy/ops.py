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

Run both with the engine and the gateway of these stores stopped: their in-memory caches are
not told.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from attune.infra.audit import AuditTrail, open_audit_log
from attune.tenancy.redis_sweep import RedisSweep
from attune.tenancy.sqlite_sweep import SqliteSweep

log = structlog.get_logger("attune.tenancy")
FORMAT = "attune-tenant-export/1"
EVERYTHING_BEFORE = 1e300  # a prune bound past every record


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


def _write_jsonl(path: Path, lines: Iterable[dict[str, Any]]) -> dict[str, Any]:
    digest = hashlib.sha256()
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for line in lines:
            data = (json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n").encode()
            out.write(data)
            digest.update(data)
            count += 1
    return {"lines": count, "sha256": digest.hexdigest()}


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
            gz = out.suffix in (".gz", ".tgz")
            with tarfile.open(out, "w:gz") if gz else tarfile.open(out, "w") as tar:
                tar.add(Path(tmp) / "export", arcname=f"tenant-{tenant}")
            return manifest
    files: dict[str, Any] = {}
    for name, path in sorted(stores.sqlite_files.items()):
        if not path.exists():
            continue
        sweep = SqliteSweep(path)
        try:
            for table in sweep.tables():
                rel = f"{name}/{table}.jsonl"
                files[rel] = _write_jsonl(out / rel, sweep.rows(tenant, table))
        finally:
            sweep.close()
    for name, url in sorted(stores.redis_urls.items()):
        client = _redis(url)
        try:
            rel = f"{name}/redis.jsonl"
            files[rel] = _write_jsonl(out / rel, RedisSweep(client).export(tenant))
        finally:
            client.close()
    trail = _audit_trail(stores, clock)
    if trail is not None:
        try:
            files["audit/records.jsonl"] = _write_jsonl(
                out / "audit/records.jsonl", _audit_records(trail, tenant)
            )
            anchor = trail.log.anchor(tenant)
            files["audit/anchor.jsonl"] = _write_jsonl(
                out / "audit/anchor.jsonl", [{"seq": anchor.seq, "hash": anchor.hash}]
            )
        finally:
            trail.log.close()
    manifest = {"format": FORMAT, "tenant": tenant, "exported_at": clock(), "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    log.info("tenant.exported", tenant=tenant, files=len(files))
    return manifest


def _audit_records(trail: AuditTrail, tenant: str) -> Iterable[dict[str, Any]]:
    after = trail.log.anchor(tenant).seq
    while True:
        page = trail.log.records(tenant, after_seq=after)
        if not page:
            return
        for record in page:
            yield record.to_json()
        after = page[-1].seq


def delete_tenant(
    stores: TenantStores, tenant: str, clock: Callable[[], float], actor: str = "operator:cli"
) -> dict[str, int]:
    """Drop every record of the tenant in every store; counts per store (see the module
    docstring for the audit trail)."""
    counts: dict[str, int] = {}
    for name, path in sorted(stores.sqlite_files.items()):
        if not path.exists():
            continue
        sweep = SqliteSweep(path)
        try:
            for table, n in sweep.delete(tenant).items():
                counts[f"{name}.{table}"] = n
        finally:
            sweep.close()
    for name, url in sorted(stores.redis_urls.items()):
        client = _redis(url)
        try:
            counts[f"{name}.redis_keys"] = RedisSweep(client).delete(tenant)
        finally:
            client.close()
    trail = _audit_trail(stores, clock)
    if trail is not None:
        try:
            counts["audit.records"] = trail.log.prune(tenant, EVERYTHING_BEFORE)
            trail.record(
                tenant=tenant,
                actor=actor,
                action="tenant.delete",
                source="operator",
                target=tenant,
                details={"records_dropped": dict(sorted(counts.items()))},
            )
        finally:
            trail.log.close()
    log.info("tenant.deleted", tenant=tenant, stores=len(counts))
    return counts

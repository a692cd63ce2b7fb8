"""The export's layout (``attune-tenant-export/1``), written by the command and the live
routes alike: one JSON-lines file per SQLite table (``<store>/<table>.jsonl``) or Redis store
(``<store>/redis.jsonl``), ``audit/records.jsonl`` and ``audit/anchor.jsonl``, and
``manifest.json`` listing each file with its line count and SHA-256. Credentials are scrubbed
from every line (:mod:`attune.infra.tenancy.scrub`)."""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from attune.infra.audit import AuditTrail
from attune.infra.tenancy.redis_sweep import ALL, RedisSweep
from attune.infra.tenancy.scrub import scrub_line
from attune.infra.tenancy.sqlite_sweep import SqliteSweep

FORMAT = "attune-tenant-export/1"
CHUNK = 64 * 1024  # bytes per streamed chunk


def write_jsonl(path: Path, lines: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Write ``lines`` as JSON lines; the file's manifest entry (lines, sha256)."""
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


def describe(path: Path) -> dict[str, Any]:
    """The manifest entry of a file already written (received from another deployable)."""
    digest = hashlib.sha256()
    count = 0
    with path.open("rb") as f:
        for line in f:
            digest.update(line)
            count += 1
    return {"lines": count, "sha256": digest.hexdigest()}


def export_sqlite(path: Path, name: str, tenant: str, out: Path) -> dict[str, Any]:
    """The tenant's rows of every table of one SQLite file, read in one transaction (one
    consistent view while the file's deployable keeps writing); manifest entries by path."""
    files: dict[str, Any] = {}
    sweep = SqliteSweep(path)
    try:
        with sweep.snapshot():
            for table in sweep.tables():
                rel = f"{name}/{table}.jsonl"
                files[rel] = write_jsonl(out / rel, map(scrub_line, sweep.rows(tenant, table)))
    finally:
        sweep.close()
    return files


def export_redis(client: Any, name: str, tenant: str, out: Path, part: str = ALL) -> dict[str, Any]:
    """The tenant's keys of one Redis (client: ``decode_responses=True``; ``part``: see
    :class:`RedisSweep`)."""
    rel = f"{name}/redis.jsonl"
    lines = map(scrub_line, RedisSweep(client, part).export(tenant))
    return {rel: write_jsonl(out / rel, lines)}


def export_audit(trail: AuditTrail, tenant: str, out: Path) -> dict[str, Any]:
    """The tenant's audit records after its anchor, and the anchor."""
    anchor = trail.log.anchor(tenant)
    return {
        "audit/records.jsonl": write_jsonl(
            out / "audit/records.jsonl", audit_records(trail, tenant)
        ),
        "audit/anchor.jsonl": write_jsonl(
            out / "audit/anchor.jsonl", [{"seq": anchor.seq, "hash": anchor.hash}]
        ),
    }


def audit_records(trail: AuditTrail, tenant: str) -> Iterable[dict[str, Any]]:
    """Every record of the tenant's trail, oldest first."""
    after = trail.log.anchor(tenant).seq
    while True:
        page = trail.log.records(tenant, after_seq=after)
        if not page:
            return
        for record in page:
            yield record.to_json()
        after = page[-1].seq


def write_manifest(out: Path, tenant: str, at: float, files: dict[str, Any]) -> dict[str, Any]:
    """Write ``manifest.json``; the manifest."""
    manifest = {"format": FORMAT, "tenant": tenant, "exported_at": at, "files": files}
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def pack(directory: Path, tar_path: Path, tenant: str, gz: bool = True) -> None:
    """``directory`` as ``tenant-<tenant>/`` in a ``.tar`` (``.tar.gz`` when ``gz``)."""
    with tarfile.open(tar_path, "w:gz" if gz else "w") as tar:
        tar.add(directory, arcname=f"tenant-{tenant}")


def chunks(directory: Path) -> Iterable[tuple[str, bytes]]:
    """Every file under ``directory`` as (relative path, up to :data:`CHUNK` bytes), in path
    order; an empty file as one empty chunk."""
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        with path.open("rb") as f:
            first = True
            while True:
                data = f.read(CHUNK)
                if not data and not first:
                    break
                yield rel, data
                first = False
                if not data:
                    break


EVERYTHING_BEFORE = 1e300  # a prune bound past every record


def delete_sqlite(path: Path, name: str, tenant: str) -> dict[str, int]:
    """Drop the tenant's rows of one SQLite file in one transaction; counts by
    ``<name>.<table>``."""
    sweep = SqliteSweep(path)
    try:
        return {f"{name}.{table}": n for table, n in sweep.delete(tenant).items()}
    finally:
        sweep.close()


def delete_redis(client: Any, name: str, tenant: str, part: str = ALL) -> dict[str, int]:
    """Drop the tenant's keys (and shared entries) of one Redis (``part``: see
    :class:`RedisSweep`)."""
    return {f"{name}.redis_keys": RedisSweep(client, part).delete(tenant)}


def close_audit(
    trail: AuditTrail, tenant: str, actor: str, source: str, counts: dict[str, int]
) -> int:
    """The trail's part of a delete: every record of the tenant pruned (the anchor keeps the
    last one's number and hash), then one ``tenant.delete`` record chained to the anchor,
    naming the actor and the counts and no learner; how many records were dropped."""
    dropped = trail.log.prune(tenant, EVERYTHING_BEFORE)
    trail.record(
        tenant=tenant,
        actor=actor,
        action="tenant.delete",
        source=source,
        target=tenant,
        details={"records_dropped": dict(sorted({**counts, "audit.records": dropped}.items()))},
    )
    return dropped

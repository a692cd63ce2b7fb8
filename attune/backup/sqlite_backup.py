"""Online backup and offline restore of the embedded stores' SQLite files.

A data directory holds up to three databases: the engine's ``attune.db``, the gateway's
``gateway.db`` and the audit trail's ``audit.db``. :func:`backup` copies each with SQLite's
online backup API (https://www.sqlite.org/backup.html) in one step, so each copy is one
consistent snapshot (a read transaction; in WAL mode writers carry on meanwhile), checks
it with ``PRAGMA integrity_check`` and records its size and SHA-256 in ``manifest.json``.
The three files are copied one after the other: each is consistent in itself, not with the
others at one instant, which is what the stores need (none refers into another's file).

:func:`restore` puts a backup back into a data directory that no process uses: it refuses
while the engine holds the directory's lock (``attune.db.lock``) or any process has one of the
files open (SQLite's shared lock on the ``-shm`` file of a WAL database), and holds the
engine's lock itself while it copies, so that no engine starts half-way.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

DB_FILES = ("attune.db", "gateway.db", "audit.db")
ENGINE_LOCK = "attune.db.lock"  # held by the running engine (engine/adapters/sqlite_store.py)
MANIFEST = "manifest.json"
FORMAT = 1
# SQLite's unix VFS: every connection to a WAL database holds a shared lock on this byte of
# the -shm file for as long as it is open (the "DMS" slot, after the 8 WAL locks at 120).
SHM_DMS_BYTE = 128
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, nothing was changed."""


def backup(data_dir: Path, out: Path, clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """Copy the data directory's databases into the new directory ``out``; the manifest."""
    present = [name for name in DB_FILES if (data_dir / name).is_file()]
    if not present:
        raise BackupError(f"no embedded store in {data_dir} (looked for {', '.join(DB_FILES)})")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} exists and is not an empty directory")
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name in present:
        target = out / name
        _snapshot(data_dir / name, target)
        files.append({"name": name, "bytes": target.stat().st_size, "sha256": _sha256(target)})
    manifest = {
        "format": FORMAT,
        "created_at": datetime.fromtimestamp(clock(), UTC).isoformat(),
        "source": str(data_dir.resolve()),
        "sqlite_version": sqlite3.sqlite_version,
        "files": files,
    }
    _write_durably(out / MANIFEST, json.dumps(manifest, indent=2).encode())
    _fsync_dir(out)
    return manifest


def _snapshot(source: Path, target: Path) -> None:
    """``source`` copied to ``target`` by the online backup API, checked, fsynced."""
    partial = target.with_name(target.name + ".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30.0)
    try:
        dst = sqlite3.connect(partial)
        try:
            # A new file, deleted if anything fails and fsynced once at the end: no journal
            # and no syncs while it is written (about twice as fast).
            dst.execute("PRAGMA synchronous=OFF")
            dst.execute("PRAGMA journal_mode=OFF")
            src.backup(dst)  # pages=-1: the whole database in one step, one snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            _check_integrity(dst, source.name)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot back up {source}: {exc}") from exc
    finally:
        src.close()
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)


def _check_integrity(conn: sqlite3.Connection, name: str) -> None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        raise BackupError(f"{name} fails its integrity check: {'; '.join(rows[:5])}")


def read_manifest(source: Path) -> dict[str, Any]:
    """The backup's manifest, with every file present, of the size and digest recorded, and
    passing SQLite's integrity check; BackupError naming the first that is not."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not an attune backup: no readable {MANIFEST}") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or not isinstance(manifest.get("files"), list)
    ):
        raise BackupError(f"{source / MANIFEST}: not a manifest of format {FORMAT}")
    for entry in manifest["files"]:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name not in DB_FILES:
            raise BackupError(f"{source / MANIFEST} names an unknown file {name!r}")
        path = source / name
        if not path.is_file() or path.stat().st_size != entry.get("bytes"):
            raise BackupError(f"{path} is missing or not the size the manifest records")
        if _sha256(path) != entry.get("sha256"):
            raise BackupError(f"{path} does not match its SHA-256 in the manifest")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            _check_integrity(conn, name)
        finally:
            conn.close()
    return manifest


def restore(
    source: Path, data_dir: Path, replace: bool = False, clock: Callable[[], float] = time.time
) -> list[str]:
    """Put the backup in ``source`` into ``data_dir``; the names restored. Refuses a data
    directory in use, and one already holding a database unless ``replace`` (then the current
    files are moved to ``data_dir/pre-restore-<time>/``, never deleted)."""
    manifest = read_manifest(source)
    names = [entry["name"] for entry in manifest["files"]]
    data_dir.mkdir(parents=True, exist_ok=True)
    with _engine_lock(data_dir):
        in_use = files_in_use(data_dir)
        if in_use:
            raise BackupError(
                f"{data_dir} is in use ({', '.join(in_use)} open in a running process): "
                "stop the engine and the gateway first"
            )
        existing = [n for n in DB_FILES if (data_dir / n).exists()]
        if existing and not replace:
            raise BackupError(
                f"{data_dir} already holds {', '.join(existing)}: pass --replace to move "
                "them aside (into pre-restore-<time>/) and restore over them"
            )
        if existing:
            _move_aside(data_dir, existing, clock)
        for name in names:
            partial = data_dir / f"{name}.restoring"
            _copy_durably(source / name, partial)
            os.replace(partial, data_dir / name)
        _fsync_dir(data_dir)
    return names


def files_in_use(data_dir: Path) -> list[str]:
    """The databases of ``data_dir`` that a running process has open (the engine's lock
    counts for ``attune.db``)."""
    found = []
    for name in DB_FILES:
        shm = data_dir / f"{name}-shm"
        if shm.exists() and _shm_locked(shm):
            found.append(name)
    return found


def _shm_locked(shm: Path) -> bool:
    with open(shm, "rb+") as f:
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_BYTE, os.SEEK_SET)
        except OSError:
            return True
        fcntl.lockf(f, fcntl.LOCK_UN, 1, SHM_DMS_BYTE, os.SEEK_SET)
        return False


@contextlib.contextmanager
def _engine_lock(data_dir: Path) -> Iterator[TextIO]:
    """The lock a running engine holds on ``data_dir``, taken for the restore's duration."""
    with open(data_dir / ENGINE_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupError(
                f"{data_dir} is in use (an engine holds {ENGINE_LOCK}): stop it first"
            ) from exc
        try:
            yield lock
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _move_aside(data_dir: Path, names: list[str], clock: Callable[[], float]) -> Path:
    stamp = datetime.fromtimestamp(clock(), UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = data_dir / f"pre-restore-{stamp}"
    aside.mkdir()
    for name in names:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = data_dir / f"{name}{suffix}"
            if path.exists():
                shutil.move(path, aside / path.name)
    return aside


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_durably(source: Path, target: Path) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
        dst.flush()
        os.fsync(dst.fileno())


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

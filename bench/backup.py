"""Backup and restore of the embedded store: how fast, against a plain copy of the same files.

Run: ``python -m bench.backup [--mb 200]``. Builds a WAL-mode SQLite file of about ``--mb``
megabytes (rows shaped like the event log: a JSON reply per event), then times, in the same
run, a plain ``shutil.copyfile`` of it (the ceiling: the disk's copy speed), ``backup`` (the
online backup API, the integrity check, the SHA-256) and ``restore`` (the manifest's checks
and the durable copy). Reports MB/s and each as a ratio of the ceiling. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from attune.backup.sqlite_backup import backup, restore

ROW = json.dumps({"reply": {"recommendations": [{"item": "i" * 12, "score": 0.5}] * 12}})


def _build(path: Path, megabytes: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, tenant TEXT, body TEXT)")
    rows = megabytes * (1 << 20) // (len(ROW) + 40)
    with conn:
        conn.executemany(
            "INSERT INTO events (tenant, body) VALUES (?, ?)",
            ((f"t{i % 50}", ROW) for i in range(rows)),
        )
    conn.close()


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200, help="size of the database (MB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        _build(data / "attune.db", args.mb)
        size = (data / "attune.db").stat().st_size / 1e6
        ceiling = _timed(lambda: shutil.copyfile(data / "attune.db", root / "plain-copy"))
        os.sync()
        took = _timed(lambda: backup(data, root / "backup"))
        put = _timed(lambda: restore(root / "backup", root / "restored"))
        report = {
            "database_mb": round(size, 1),
            "ceiling_plain_copy_mb_s": round(size / ceiling, 1),
            "backup_mb_s": round(size / took, 1),
            "restore_mb_s": round(size / put, 1),
            "backup_ratio": round(ceiling / took, 3),
            "restore_ratio": round(ceiling / put, 3),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

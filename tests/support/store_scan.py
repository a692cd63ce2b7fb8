"""Scan every store for a string: each table and column of a SQLite file, each key and value
in Redis. The erasure tests use it to prove a learner left no trace anywhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def sqlite_mentions(path: Path, needle: str) -> list[str]:
    """``<file>:<table>.<column>`` of every column holding ``needle`` somewhere."""
    db = sqlite3.connect(path)
    found = []
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        for column in columns:
            hits = db.execute(
                f"SELECT count(*) FROM {table} WHERE instr(CAST({column} AS TEXT), ?) > 0",
                (needle,),
            ).fetchone()[0]
            if hits:
                found.append(f"{path.name}:{table}.{column}")
    db.close()
    return found


def redis_mentions(client: Any, needle: str) -> list[str]:
    """Every key whose name or any value holds ``needle``."""
    found = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == "string":
            values = [client.get(key)]
        elif kind == "hash":
            values = [*client.hkeys(key), *client.hvals(key)]
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = list(client.zrange(key, 0, -1))
        elif kind == "list":
            values = list(client.lrange(key, 0, -1))
        else:
            values = [f"<{kind}>"]
        if needle in key or any(needle in str(v) for v in values):
            found.append(key)
    return found

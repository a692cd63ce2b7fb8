"""Pick the store adapter from the settings' store URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from engine.adapters.sqlite_store import SqliteStore
from engine.ports import EngineStore
from engine.settings import EngineSettings


class StoreConfigError(ValueError):
    """The store URL cannot be used; the message names the URL."""


def open_store(settings: EngineSettings) -> EngineStore:
    """Open the store the settings name: the embedded SQLite store by default."""
    url = settings.store_url
    if not url:
        return SqliteStore.open(settings.data_dir / "attune.db")
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/or/absolute -> the path after the scheme's "//"
        path = url[len("sqlite://") :]
        if not path or path == "/":
            raise StoreConfigError(f"store URL {url!r} names no file")
        return SqliteStore.open(Path(path[1:] if path.startswith("//") else path))
    if parsed.scheme in ("redis", "rediss", "redis+cluster"):
        raise StoreConfigError(
            f"store URL {url!r}: the Redis store is not built yet; use the embedded store"
        )
    raise StoreConfigError(f"store URL {url!r}: unknown scheme {parsed.scheme!r}")

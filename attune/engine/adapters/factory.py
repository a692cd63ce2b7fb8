"""Pick the store adapter from the settings' store URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.errors import UnavailableError
from attune.engine.ports import EngineStore
from attune.engine.settings import EngineSettings

REDIS_SCHEMES = ("redis", "rediss", "redis+cluster", "rediss+cluster")


class StoreConfigError(ValueError):
    """The store URL cannot be used; the message names the URL."""


async def open_store(settings: EngineSettings) -> EngineStore:
    """Open the store the settings name: the embedded SQLite store by default, Redis for a
    ``redis://``, ``rediss://`` or ``redis+cluster://`` URL (which must answer now)."""
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
    if parsed.scheme in REDIS_SCHEMES:
        return await _open_redis(url)
    raise StoreConfigError(f"store URL {url!r}: unknown scheme {parsed.scheme!r}")


async def _open_redis(url: str) -> EngineStore:
    from attune.engine.adapters.redis_store import RedisStore
    from attune.infra.redis import RedisUrlError, redact

    shown = redact(url)
    try:
        return await RedisStore.open(url)
    except RedisUrlError as exc:
        raise StoreConfigError(f"store URL {shown!r}: {exc}") from None
    except UnavailableError as exc:
        cause = exc.__cause__ or exc
        raise StoreConfigError(f"store URL {shown!r}: Redis does not answer ({cause})") from None

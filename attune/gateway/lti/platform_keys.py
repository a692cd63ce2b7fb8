"""Platform public keys: cached per JWKS URL, refetched when a launch names an unknown
``kid`` (platforms rotate keys, some hourly).

pylti1p3 fetches the JWKS on every launch unless a cache is wired in, and never refetches on a
kid miss. A refetch is allowed at most once a while per URL, so that tokens with
made-up kids cannot make us hammer the platform (``min_refetch`` seconds, default 10).
"""

from __future__ import annotations

import json
from typing import Any

import requests
from jwcrypto.jwk import JWK

from attune.gateway.errors import LaunchError
from attune.gateway.ports import KeyValueStore

FETCH_TIMEOUT_S = 5.0


class PlatformKeys:
    """PEM public keys by (JWKS URL, kid), cached in the store under the tenant."""

    def __init__(
        self,
        store: KeyValueStore,
        cache_seconds: float,
        min_refetch: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self._store = store
        self._ttl = cache_seconds
        self._min_refetch = min_refetch
        self._http = session or requests.Session()

    def public_key(self, tenant: str, url: str, kid: str, alg: str) -> str:
        """The PEM key for ``kid``; :class:`LaunchError` when the platform has none."""
        if not kid:
            raise LaunchError("id_token header has no kid")
        keys = self._store.get(tenant, f"jwks:{url}")
        key = _find(keys, kid, alg) if keys else None
        gate = f"jwks-refetch:{url}"
        if keys is None or (key is None and self._store.add(tenant, gate, True, self._min_refetch)):
            keys = self._fetch(url)
            if self._ttl > 0:
                self._store.put(tenant, f"jwks:{url}", keys, self._ttl)
            key = _find(keys, kid, alg)
        if key is None:
            raise LaunchError(f"no platform key with kid {kid!r} and alg {alg!r} at {url}")
        return str(JWK(**key).export_to_pem().decode())

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, timeout=FETCH_TIMEOUT_S)
            response.raise_for_status()
            keys = response.json()
        except (requests.RequestException, json.JSONDecodeError) as exc:
            raise LaunchError(f"cannot fetch the platform's JWKS at {url}: {exc}") from exc
        if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
            raise LaunchError(f"the platform's JWKS at {url} has no 'keys' list")
        return keys


def _find(keys: dict[str, Any], kid: str, alg: str) -> dict[str, Any] | None:
    for key in keys.get("keys", []):
        if key.get("kid") == kid and key.get("alg", alg) == alg and key.get("kty") == "RSA":
            return dict(key)
    return None

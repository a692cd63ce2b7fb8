"""Credentials never leave in a tenant export (issue 16): an export is the tenant's data for
its administrators (a tenant administrator may take one), not a way to read the gateway's
live secrets. Each exported line is scrubbed before it is written:

- a field named like a secret (:data:`SECRET_FIELDS`: an LRS target's password or token, an
  OAuth client's secret hash ...) becomes ``"***"`` when set, also inside a value that is a
  JSON object stored as text;
- a key that holds a bearer token (a page session and its tenant index, a registration
  token: :data:`TOKEN_KEYS`) keeps its prefix and shows the token's SHA-256 prefix instead,
  so the lines still correlate and the token is not usable (a staff session is kept under
  a hash of its cookie already);
- the cached access token of a platform's services (``token:<issuer>...``) is dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

MASK = "***"
SECRET_FIELDS = frozenset(
    {
        "password",
        "token",
        "client_secret",
        "secret_hash",
        "access_token",
        "refresh_token",
        "private_key",
        "private_pem",
    }
)
# The key prefixes followed by a bearer token (the gateway's kv keys, alone in SQLite, or at
# the end of a Redis key).
TOKEN_KEYS = re.compile(r"(^|:)(session|session-tenant|dynreg):([^:]+)$")
# The platform access token cache (gateway/lti/services.py): the whole value is the secret.
TOKEN_CACHE = re.compile(r"(^|:)token:https?:")


def _hashed(token: str) -> str:
    return "sha256-" + hashlib.sha256(token.encode()).hexdigest()[:16]


def scrub_key(key: str) -> str:
    """``key`` with a bearer token in it replaced by the token's hash prefix."""
    return TOKEN_KEYS.sub(lambda m: f"{m[1]}{m[2]}:{_hashed(m[3])}", key)


def _value(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return value
    if isinstance(value, dict):
        return {
            k: MASK if k in SECRET_FIELDS and isinstance(v, str) and v else _value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_value(v, depth + 1) for v in value]
    if isinstance(value, str) and value.startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, dict):
            scrubbed = _value(decoded, depth + 1)
            return value if scrubbed == decoded else json.dumps(scrubbed, sort_keys=True)
    return value


def scrub_line(line: dict[str, Any]) -> dict[str, Any]:
    """One exported line (a SQLite row or a Redis key's dump) without credentials."""
    out = _value(line)
    key = out.get("key")
    if isinstance(key, str):
        if TOKEN_CACHE.search(key):
            out["value"] = MASK
        out["key"] = scrub_key(key)
    return dict(out)

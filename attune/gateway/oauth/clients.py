"""Partner apps registered with the authorization server: the client record, its secret
(stored only as a salted scrypt hash), its public keys for ``private_key_jwt``, and the JSON
the admin API and the store use. Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from attune.gateway.oauth.scopes import parse_scopes

# scrypt (RFC 7914) at N=2^14, r=8, p=1: about 16 MiB and tens of milliseconds per check, so a
# leaked store does not give the secrets away cheaply. The parameters travel with each hash.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SECRET_BYTES = 32
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
JWT_METHOD = "private_key_jwt"
AUTH_METHODS_ALL = (*SECRET_METHODS, JWT_METHOD)
MAX_NAME_CHARS = 200
MAX_JWKS_KEYS = 10


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` of ``secret`` (a fresh 16-byte salt unless given)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        ("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the ``stored`` hash (constant-time comparison)."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
        return False
    n, r, p = (int(x) for x in parts[1:4])
    try:
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return False
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p), expected)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 2**20, dklen=32)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """A partner app of one tenant. ``secret_hash`` empty: it authenticates only with
    ``private_key_jwt``, against ``jwks``; ``revoked_at`` set: it gets no more tokens."""

    client_id: str
    tenant: str
    name: str
    scopes: tuple[str, ...]
    created_at: float
    secret_hash: str = ""
    jwks: Mapping[str, Any] | None = None
    revoked_at: float | None = None
    auth_methods: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        methods = (
            *(SECRET_METHODS if self.secret_hash else ()),
            *((JWT_METHOD,) if self.jwks else ()),
        )
        object.__setattr__(self, "auth_methods", methods)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def revoked(self, at: float) -> OAuthClient:
        return replace(self, revoked_at=at)


@dataclass(frozen=True)
class NewClient:
    """A client just made, and its secret (shown once, never stored), if it has one."""

    client: OAuthClient
    secret: str | None


def new_client(
    tenant: str,
    name: str,
    scopes: object,
    now: float,
    jwks: object = None,
    with_secret: bool = True,
) -> NewClient:
    """A fresh client of ``tenant``; ValueError naming the field for bad input."""
    if not isinstance(tenant, str) or not tenant or len(tenant) > MAX_NAME_CHARS:
        raise ValueError("tenant: a non-empty string")
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
        raise ValueError(f"name: a string of at most {MAX_NAME_CHARS} characters")
    keys = check_jwks(jwks) if jwks is not None else None
    if not with_secret and keys is None:
        raise ValueError("jwks: a client without a secret needs public keys (private_key_jwt)")
    secret = secrets.token_urlsafe(SECRET_BYTES) if with_secret else None
    client = OAuthClient(
        client_id="atc_" + secrets.token_urlsafe(12),
        tenant=tenant,
        name=name,
        scopes=parse_scopes(scopes),
        created_at=now,
        secret_hash=hash_secret(secret) if secret is not None else "",
        jwks=keys,
    )
    return NewClient(client, secret)


def check_jwks(value: object) -> dict[str, Any]:
    """A client's public JWK Set (or one JWK) for ``private_key_jwt``: RSA or EC public keys
    only; ValueError naming ``jwks`` otherwise."""
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    if isinstance(value, dict) and "keys" not in value:
        value = {"keys": [value]}
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise ValueError('jwks: a JWK Set {"keys": [...]} or one JWK')
    keys = value["keys"]
    if not keys or len(keys) > MAX_JWKS_KEYS:
        raise ValueError(f"jwks: 1 to {MAX_JWKS_KEYS} keys")
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC"):
            raise ValueError("jwks: each key must be an RSA or EC JWK")
        if any(private in key for private in ("d", "p", "q")):
            raise ValueError("jwks: public keys only (a private key was given)")
    try:
        KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"jwks: not usable keys ({exc})") from exc
    return {"keys": keys}


def client_to_json(client: OAuthClient, include_hash: bool = False) -> dict[str, Any]:
    """The stored form (``include_hash``) or the admin API's (never the hash)."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "tenant": client.tenant,
        "name": client.name,
        "scopes": list(client.scopes),
        "created_at": client.created_at,
        "revoked_at": client.revoked_at,
        "auth_methods": list(client.auth_methods),
        "jwks": client.jwks,
    }
    if include_hash:
        body["secret_hash"] = client.secret_hash
    return body


def client_from_json(text: str) -> OAuthClient:
    """A client from its stored form."""
    body = json.loads(text)
    return OAuthClient(
        client_id=body["client_id"],
        tenant=body["tenant"],
        name=body.get("name", ""),
        scopes=tuple(body["scopes"]),
        created_at=float(body["created_at"]),
        secret_hash=body.get("secret_hash", ""),
        jwks=body.get("jwks"),
        revoked_at=body.get("revoked_at"),
    )

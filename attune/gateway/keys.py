"""The tool's RSA signing keys: the current one signs (service-token assertions, deep-linking
responses); every key not yet expired is published at the tool's JWKS URL.

Rotation (1EdTech Security Framework §6.3): a new key is made every ``rotate_days``. The old
one stops signing at once but stays published for ``overlap_days``, so that a platform that
cached our JWKS still verifies what was signed just before the rotation.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from attune.gateway.ports import KeyRing, ToolKey

DAY = 86400.0
# Making a key is rare and slow (RSA generation): one at a time in the process, so that callers
# who find none live at the same moment (a gateway's first requests) make one key, not one each
# (each would retire the one before, and tokens signed a moment ago would name a kid that a
# verifier's cached JWKS does not hold yet).
_MAKING = threading.RLock()


def new_key(now: float) -> ToolKey:
    """A fresh 2048-bit RSA key; its kid is the RFC 7638 thumbprint."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    members = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    kid = _b64(hashlib.sha256(members.encode()).digest())
    return ToolKey(kid, pem, {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}, now)


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class ToolKeys:
    """Rotation policy over a :class:`~gateway.ports.KeyRing`."""

    def __init__(self, ring: KeyRing, rotate_days: float, overlap_days: float) -> None:
        self._ring = ring
        self._rotate = rotate_days * DAY
        self._overlap = overlap_days * DAY

    def current(self, now: float | None = None) -> ToolKey:
        """The signing key, rotating first when it is due."""
        now = time.time() if now is None else now
        key = self._live(now)
        if key is not None:
            return key
        with _MAKING:
            key = self._live(now)  # made by another caller while this one waited
            return key if key is not None else self.rotate(now)

    def _live(self, now: float) -> ToolKey | None:
        live = [k for k in self._ring.tool_keys() if k.retired_at is None]
        if live and now - live[-1].created_at < self._rotate:
            return live[-1]
        return None

    def rotate(self, now: float | None = None) -> ToolKey:
        """Make a new signing key now; retire the others (they stay published a while)."""
        now = time.time() if now is None else now
        with _MAKING:
            for key in self._ring.tool_keys():
                if key.retired_at is None:
                    self._ring.retire_key(key.kid, now)
            key = new_key(now)
            self._ring.add_key(key)
            return key

    def jwks(self, now: float | None = None) -> dict[str, Any]:
        """The public JWK Set: the current key and retired keys still in their overlap."""
        now = time.time() if now is None else now
        self.current(now)
        keys = [
            dict(k.public_jwk)
            for k in self._ring.tool_keys()
            if k.retired_at is None or now - k.retired_at < self._overlap
        ]
        return {"keys": keys}

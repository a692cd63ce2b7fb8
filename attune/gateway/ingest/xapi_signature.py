"""Signed statements (xAPI 1.0.3 Data §2.6; 2.0.0 the same): the signature is an attachment
(usageType ``http://adlnet.gov/expapi/attachments/signature``, contentType
``application/octet-stream``) holding a JWS in compact serialization (RFC 7515 §7.1).

The LRS checks it structurally: the JWS is well formed, its ``alg`` is RS256, RS384 or
RS512, its payload is a statement logically equivalent to the one received (the exceptions
to immutability ignored, Data §2.3.1, hence :func:`xapi_compare.fingerprint`), and, when
the header carries an ``x5c`` certificate chain, the signature verifies with the first
certificate's key. Trust in the chain itself is the tool's business, not the LRS's.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from attune.gateway.ingest.problems import InvalidInputError, key
from attune.gateway.ingest.xapi_compare import fingerprint
from attune.gateway.ingest.xapi_spec import validate
from attune.gateway.ingest.xapi_spec.report import Version
from attune.gateway.ingest.xapi_spec.statement import SIGNATURE

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


def signature_hashes(statement: Mapping[str, Any]) -> list[tuple[int, str]]:
    """The positions and sha2 of the statement's signature attachments."""
    return [
        (n, str(a["sha2"]).lower())
        for n, a in enumerate(statement.get("attachments", []))
        if a.get("usageType") == SIGNATURE
    ]


def verify(statement: dict[str, Any], jws: bytes, path: str, version: Version) -> str:
    """The JWS's ``alg`` when ``jws`` signs ``statement``; otherwise
    :class:`InvalidInputError` at ``path`` (the signature attachment)."""
    try:
        text = jws.decode("ascii").strip()
    except UnicodeDecodeError:
        raise InvalidInputError(path, "the signature is not a JWS compact serialization") from None
    pieces = text.split(".")
    if len(pieces) != 3:
        raise InvalidInputError(path, "the signature is not a JWS compact serialization")
    header = _json(pieces[0], key(path, "JWS header"))
    payload = _json(pieces[1], key(path, "JWS payload"))
    alg = header.get("alg") if isinstance(header, dict) else None
    if alg not in _HASHES:
        raise InvalidInputError(key(path, "JWS header.alg"), "must be RS256, RS384 or RS512")
    if validate(payload, version):
        raise InvalidInputError(key(path, "JWS payload"), "is not a valid statement")
    if fingerprint(payload) != fingerprint(statement):
        raise InvalidInputError(
            key(path, "JWS payload"), "differs from the statement it signs (Data §2.6)"
        )
    chain = header.get("x5c")
    if chain is not None:
        _verify_x5c(chain, alg, f"{pieces[0]}.{pieces[1]}".encode(), _b64(pieces[2], path), path)
    return str(alg)


def _verify_x5c(chain: Any, alg: str, signed: bytes, signature: bytes, path: str) -> None:
    where = key(path, "JWS header.x5c")
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise InvalidInputError(where, "must be a non-empty array of base64 DER certificates")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (binascii.Error, ValueError):
        raise InvalidInputError(where, "the first certificate cannot be read") from None
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidInputError(where, "the certificate's key is not an RSA key")
    try:
        public_key.verify(signature, signed, padding.PKCS1v15(), _HASHES[alg]())
    except InvalidSignature:
        raise InvalidInputError(path, "the signature does not verify with the x5c key") from None


def _b64(text: str, path: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInputError(path, "the JWS is not base64url") from None


def _json(text: str, path: str) -> Any:
    try:
        return json.loads(_b64(text, path))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInputError(path, "is not base64url JSON") from None

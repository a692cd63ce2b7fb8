"""Building what a learning tool sends with attachments: multipart/mixed bodies (xAPI
Communication §1.5.2) and signed statements (Data §2.6: a JWS over the statement, RS256/384/
512, with an x5c certificate), for the multipart and signature tests."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
BOUNDARY = "abcABC0123'()+_,-./:=?"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attachment_of(data: bytes, content_type: str = "text/plain", **extra: Any) -> dict[str, Any]:
    """The statement's attachment entry for ``data`` (no fileUrl: the bytes travel in a part)."""
    return {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": content_type,
        "length": len(data),
        "sha2": sha256(data),
        **extra,
    }


def multipart(
    statements: Any, parts: list[tuple[str, bytes]], *, hashes_: list[str] | None = None
) -> tuple[str, bytes]:
    """(Content-Type, body): the statements part, then one part per (content type, bytes);
    ``hashes_`` overrides the X-Experience-API-Hash of each part."""
    out = [
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode()
        + json.dumps(statements).encode()
        + b"\r\n"
    ]
    for n, (content_type, data) in enumerate(parts):
        digest = hashes_[n] if hashes_ is not None else sha256(data)
        head = (
            f"--{BOUNDARY}\r\nContent-Type: {content_type}\r\n"
            f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {digest}\r\n\r\n"
        )
        out.append(head.encode() + data + b"\r\n")
    out.append(f"--{BOUNDARY}--\r\n".encode())
    return f'multipart/mixed; boundary="{BOUNDARY}"', b"".join(out)


def key_and_certificate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A fresh RSA key and a self-signed certificate of it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xAPI test signer")])
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def jws(
    payload: dict[str, Any],
    key: rsa.RSAPrivateKey,
    alg: str,
    certificate: x509.Certificate | None = None,
) -> bytes:
    """A JWS compact serialization of ``payload`` (with ``x5c`` when a certificate is given)."""
    headers: dict[str, Any] = {}
    if certificate is not None:
        der = certificate.public_bytes(serialization.Encoding.DER)
        headers["x5c"] = [base64.b64encode(der).decode()]
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    token = jwt.api_jws.PyJWS().encode(
        json.dumps(payload).encode(), pem, algorithm=alg, headers=headers
    )
    return token.encode()


def signed(
    statement: dict[str, Any],
    key: rsa.RSAPrivateKey,
    alg: str,
    certificate: x509.Certificate | None = None,
    payload: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], bytes]:
    """The statement with its signature attachment, and the signature part's bytes (a JWS of
    ``payload``, the statement itself unless given)."""
    token = jws(payload if payload is not None else statement, key, alg, certificate)
    entry = attachment_of(token, "application/octet-stream", usageType=SIGNATURE)
    entry["display"] = {"en-US": "Signature"}
    return {**statement, "attachments": [*statement.get("attachments", []), entry]}, token

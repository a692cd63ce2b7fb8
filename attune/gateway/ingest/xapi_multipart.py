"""Statements with attachments: a ``multipart/mixed`` request body and the check of every
attachment against its part (xAPI 1.0.3 Communication §1.5.2 "Multipart/Mixed"; 2.0.0
Communication the same).

- The first part is the statements, ``application/json``.
- Every other part is one attachment's raw bytes, with ``X-Experience-API-Hash`` (the
  attachment's ``sha2``) and ``Content-Transfer-Encoding: binary``.
- An attachment without a ``fileUrl`` needs its part; a part needs an attachment that names
  its hash; the bytes must hash to it. In an ``application/json`` request every attachment
  needs a ``fileUrl`` (§1.5.1).

Pure: bytes in, :class:`AttachmentPart` out, :class:`InvalidInputError` naming the path.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from attune.gateway.ingest.problems import InvalidInputError, index, key
from attune.gateway.ingest.values import depth

HASH_HEADER = "x-experience-api-hash"
_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_DIGESTS = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}
MAX_PARTS = 1000
MAX_DEPTH = 64  # as gateway.web.json_body.MAX_JSON_DEPTH


@dataclass(frozen=True, slots=True)
class AttachmentPart:
    """One attachment's bytes, under the (lower-case) SHA-2 its part header names."""

    sha2: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class MultipartStatements:
    """The statements part, parsed as JSON, and the attachment parts by hash."""

    statements: Any
    parts: dict[str, AttachmentPart]


def sha2_of(data: bytes, like: str) -> str:
    """The SHA-2 of ``data`` in the variant whose hex length ``like`` has (SHA-256 else)."""
    return hashlib.new(_DIGESTS.get(len(like), "sha256"), data).hexdigest()


def parse_multipart(content_type: str, body: bytes) -> MultipartStatements:
    """The statements and attachment parts of a multipart/mixed body (400 on any fault)."""
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise InvalidInputError("Content-Type", "multipart/mixed needs a boundary parameter")
    boundary = (found.group(1) or found.group(2)).encode()
    raw = _split(body, boundary)
    if not raw:
        raise InvalidInputError("body", "multipart/mixed body has no parts")
    first_headers, first_body = raw[0]
    if first_headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise InvalidInputError("part[0].Content-Type", "the first part must be application/json")
    statements = _statements(first_body)
    parts: dict[str, AttachmentPart] = {}
    for n, (headers, data) in enumerate(raw[1:], start=1):
        where = f"part[{n}]"
        sha2 = headers.get(HASH_HEADER, "").strip().lower()
        if not sha2:
            raise InvalidInputError(f"{where}.X-Experience-API-Hash", "the header is required")
        if headers.get("content-transfer-encoding", "").strip().lower() != "binary":
            raise InvalidInputError(
                f"{where}.Content-Transfer-Encoding", "must be binary (Communication §1.5.2)"
            )
        if sha2_of(data, sha2) != sha2:
            raise InvalidInputError(
                f"{where}.X-Experience-API-Hash", "does not match the part's bytes"
            )
        content = headers.get("content-type", "application/octet-stream").strip()
        parts[sha2] = AttachmentPart(sha2, content, data)
    return MultipartStatements(statements, parts)


def _statements(data: bytes) -> Any:
    """The statements part as JSON, bounded in depth like an application/json body."""
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidInputError("part[0]", f"is nested deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError):
        raise InvalidInputError("part[0]", "the statements part is not valid JSON") from None
    depth(value, MAX_DEPTH, "part[0]")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _split(body: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]]:
    """The parts between ``--boundary`` lines (RFC 2046 §5.1.1), headers lower-cased."""
    delimiter = b"--" + boundary
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise InvalidInputError("body", "multipart/mixed body is not closed by its boundary")
    if len(chunks) - 2 > MAX_PARTS:
        raise InvalidInputError("body", f"more than {MAX_PARTS} parts")
    out = []
    for chunk in chunks[1:-1]:
        # Each part opens with the CRLF ending the delimiter line and closes with the CRLF that
        # belongs to the next delimiter.
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise InvalidInputError("body", "multipart/mixed parts must be CRLF-delimited")
        inner = chunk[2:-2]
        if inner.startswith(b"\r\n"):  # a part without headers
            head, data = b"", inner[2:]
        else:
            head, sep, data = inner.partition(b"\r\n\r\n")
            if not sep:
                raise InvalidInputError("body", "a part has no blank line after its headers")
        out.append((_headers(head), data))
    return out


def _headers(head: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise InvalidInputError("body", f"a part header is malformed: {line[:40]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def check_attachments(
    statements: Iterable[tuple[str, Mapping[str, Any]]],
    parts: Mapping[str, AttachmentPart] | None,
) -> set[str]:
    """The hashes of the parts the (valid) statements use; refuses an attachment without a
    fileUrl that has no part (or, in a JSON request, ``parts is None``, any such attachment),
    and a part no attachment names. ``statements`` pairs each statement with its path."""
    used: set[str] = set()
    for path, statement in statements:
        for where, attachment in walk_attachments(path, statement):
            sha2 = str(attachment["sha2"]).lower()
            if parts is not None and sha2 in parts:
                used.add(sha2)
                if len(parts[sha2].data) != attachment["length"]:
                    raise InvalidInputError(key(where, "length"), "differs from its part's length")
            elif "fileUrl" not in attachment:
                raise InvalidInputError(
                    key(where, "fileUrl") if parts is None else key(where, "sha2"),
                    "is required here: attachment content needs multipart/mixed"
                    if parts is None
                    else "names no part of the request (Communication §1.5.2)",
                )
    for sha2 in (parts or {}).keys() - used:
        raise InvalidInputError(f"part {sha2}", "no attachment of the statements names this part")
    return used


def walk_attachments(
    path: str, statement: Mapping[str, Any]
) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every attachment of a statement, its SubStatement's included, with its path."""
    for n, attachment in enumerate(statement.get("attachments") or []):
        yield index(key(path, "attachments"), n), attachment
    target = statement.get("object")
    if isinstance(target, Mapping) and target.get("objectType") == "SubStatement":
        yield from walk_attachments(key(path, "object"), target)


def build_multipart(statements_json: bytes, parts: Iterable[AttachmentPart]) -> tuple[str, bytes]:
    """(Content-Type, body) of a multipart/mixed reply: the statements, then each attachment
    once (Communication §2.1.3, ``GET /statements?attachments=true``)."""
    boundary = "attune-" + hashlib.sha256(statements_json).hexdigest()[:32]
    out = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode() + statements_json]
    for part in parts:
        head = (
            f"\r\n--{boundary}\r\nContent-Type: {part.content_type}\r\n"
            f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {part.sha2}\r\n\r\n"
        )
        out.append(head.encode() + part.data)
    out.append(f"\r\n--{boundary}--\r\n".encode())
    return f'multipart/mixed; boundary="{boundary}"', b"".join(out)

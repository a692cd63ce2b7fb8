"""An inbound xAPI request body, parsed whole before anything is applied: every statement
validated, ids assigned where missing, repeated ids refused, each statement fingerprinted
and read into tincan's typed objects.

One bad statement fails the whole request (xAPI 1.0.3 Communication §2.1.2: the LRS
rejects the batch), so all of this happens before the first statement is applied.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tincan import Statement

from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import InvalidInputError, index, key
from attune.gateway.ingest.window import occurred_at
from attune.gateway.ingest.xapi_check import VERSIONS, Family, check_statement
from attune.gateway.ingest.xapi_compare import fingerprint
from attune.gateway.ingest.xapi_multipart import AttachmentPart, check_attachments
from attune.gateway.ingest.xapi_signature import signature_hashes, verify


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One valid statement. ``statement_id`` is lower-case (UUID case is not significant);
    ``typed`` is the tincan ``Statement`` of its actor, verb, object and result (``None``
    when tincan cannot read them)."""

    path: str
    statement_id: str
    body: dict[str, Any]
    fingerprint: str
    typed: Any
    occurred_at: float | None


def parse_post(
    body: Any,
    family: Family,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    now: float | None = None,
    parts: Mapping[str, AttachmentPart] | None = None,
) -> list[ParsedStatement]:
    """POST /statements: one statement or an array of them (1.0.3 Communication §2.1.2).
    A ``timestamp`` must lie in the engine's window around ``now`` (default: the clock).
    ``parts``: a multipart/mixed request's attachment parts (``None``: application/json)."""
    at = time.time() if now is None else now
    if isinstance(body, list):
        parsed = [_parse(s, index("statements", n), family, new_id, at) for n, s in enumerate(body)]
    else:
        parsed = [_parse(body, "statement", family, new_id, at)]
    first: dict[str, str] = {}
    for one in parsed:
        earlier = first.setdefault(one.statement_id, one.path)
        if earlier != one.path:
            raise InvalidInputError(key(one.path, "id"), f"repeats the id of {earlier}")
    check_parts(parsed, family, parts)
    return parsed


def check_parts(
    parsed: list[ParsedStatement], family: Family, parts: Mapping[str, AttachmentPart] | None
) -> None:
    """Every attachment against the request's parts, and every signature (Data §2.6)."""
    check_attachments(((p.path, p.body) for p in parsed), parts)
    version = VERSIONS[family]
    for one in parsed:
        for n, sha2 in signature_hashes(one.body):
            if parts is not None and sha2 in parts:
                where = index(key(one.path, "attachments"), n)
                verify(one.body, parts[sha2].data, where, version)


def parse_put(
    body: Any,
    statement_id: str,
    family: Family,
    now: float | None = None,
    parts: Mapping[str, AttachmentPart] | None = None,
) -> ParsedStatement:
    """PUT /statements?statementId=...: one statement; an id in the body must match."""
    wanted = v.uuid_string(statement_id, "statementId")
    if isinstance(body, dict) and "id" in body:
        given = v.uuid_string(body["id"], "statement.id")
        if given != wanted:
            raise InvalidInputError("statement.id", f"differs from statementId {statement_id!r}")
    at = time.time() if now is None else now
    parsed = _parse(body, "statement", family, lambda: statement_id, at)
    check_parts([parsed], family, parts)
    return parsed


def _parse(
    body: Any, path: str, family: Family, new_id: Callable[[], str], now: float
) -> ParsedStatement:
    found = check_statement(body, path, family)
    with_id = found if "id" in found else {"id": new_id(), **found}
    occurred = None
    if "timestamp" in found:
        where = key(path, "timestamp")
        occurred = occurred_at(
            v.timestamp(found["timestamp"], where, rfc3339=family == "2.0"), where, now
        )
    return ParsedStatement(
        path=path,
        statement_id=with_id["id"].lower(),
        body=with_id,
        fingerprint=fingerprint(found),
        typed=_typed(found),
        occurred_at=occurred,
    )


def _typed(found: dict[str, Any]) -> Any:
    """tincan's typed view of the parts a response is made of, or ``None``.

    Validity is decided before this (``xapi_check``); tincan only reads what it supports.
    Only actor, verb, object and result go in: the context may carry xAPI 2.0 properties
    tincan does not know, and the timestamp may lack the zone tincan insists on (both are
    read by our code instead). A SubStatement goes in as its actor, verb and object: tincan's
    SubStatement has no result or context, which the specification allows (issue 19).
    tincan changes the dicts it is given (it pops ``objectType``), hence the copy. It raises
    bare ``Exception`` in places, hence the broad catch: a valid statement tincan cannot read
    is kept, and the mapping says it carries no response.
    """
    parts = {
        k: copy.deepcopy(found[k]) for k in ("actor", "verb", "object", "result") if k in found
    }
    target = parts.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        parts["object"] = {k: target[k] for k in ("objectType", "actor", "verb", "object")}
    try:
        return Statement(parts)
    except Exception:
        return None

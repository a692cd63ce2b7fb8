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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tincan import Statement

from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import InvalidInputError, index, key
from attune.gateway.ingest.window import occurred_at
from attune.gateway.ingest.xapi_check import Family, check_statement
from attune.gateway.ingest.xapi_compare import fingerprint


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One valid statement. ``statement_id`` is lower-case (UUID case is not significant);
    ``typed`` is the tincan ``Statement`` of its actor, verb, object and result."""

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
) -> list[ParsedStatement]:
    """POST /statements: one statement or an array of them (1.0.3 Communication §2.1.2).
    A ``timestamp`` must lie in the engine's window around ``now`` (default: the clock)."""
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
    return parsed


def parse_put(
    body: Any, statement_id: str, family: Family, now: float | None = None
) -> ParsedStatement:
    """PUT /statements?statementId=...: one statement; an id in the body must match."""
    wanted = v.uuid_string(statement_id, "statementId")
    if isinstance(body, dict) and "id" in body:
        given = v.uuid_string(body["id"], "statement.id")
        if given != wanted:
            raise InvalidInputError("statement.id", f"differs from statementId {statement_id!r}")
    at = time.time() if now is None else now
    return _parse(body, "statement", family, lambda: statement_id, at)


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
        typed=_typed(found, path),
        occurred_at=occurred,
    )


def _typed(found: dict[str, Any], path: str) -> Any:
    """tincan's typed view of the parts a response is made of.

    Only actor, verb, object and result go in: the context may carry xAPI 2.0 properties
    tincan does not know, and the timestamp may lack the zone tincan insists on (both are
    read by our code instead). tincan changes the dicts it is given (it pops ``objectType``),
    hence the copy. It raises bare ``Exception`` in places, hence the broad catch; since this
    runs before anything is applied, a refusal here is still a clean 400.
    """
    parts = {
        k: copy.deepcopy(found[k]) for k in ("actor", "verb", "object", "result") if k in found
    }
    try:
        return Statement(parts)
    except Exception as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInputError(path, f"tincan cannot read it: {first_line}") from exc

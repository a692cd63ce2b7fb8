"""Reading the statements resource: one statement by id, and pages of a filtered query
with an opaque ``more`` cursor (xAPI 1.0.3 Communication §2.1.3 and §2.1.4 "StatementResult").

The cursor carries the query's parameters, the tenant, the ``seq`` where the next page
starts and an expiry, signed with HMAC-SHA256 under a key kept per tenant in the gateway's
key/value store (so every gateway process behind a balancer honours it, and a cursor of one
tenant is worthless to another). A page scans at most ``SCAN_BUDGET`` statements: a query
that matches rarely gets a short (even empty) page with a ``more`` link rather than a long
request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from attune.gateway.ports import KeyValueStore
from attune.gateway.xapi_store.ports import QueryError, StatementStore, StoredStatement
from attune.gateway.xapi_store.query import StatementQuery, in_window, matches

MORE_TTL_SECONDS = 3600.0  # how long a ``more`` link works
SCAN_BUDGET = 5000  # statements looked at for one page
_CHUNK = 500
_KEY = "xapi:more-key"
_KEY_KEEP = 100 * 365 * 86400.0


@dataclass(frozen=True, slots=True)
class Page:
    """One page: the statements, and where the next one starts (``None``: the end)."""

    statements: list[StoredStatement]
    next_after: int | None


def cursor_key(store: KeyValueStore, tenant: str) -> bytes:
    """The tenant's cursor-signing key, made on first use (one wins a race)."""
    store.add(tenant, _KEY, secrets.token_hex(32), _KEY_KEEP)
    found = store.get(tenant, _KEY)
    return bytes.fromhex(str(found))


def more_token(key: bytes, tenant: str, args: Mapping[str, str], after: int, now: float) -> str:
    """The opaque ``more`` token of the page after ``after``."""
    body = {"t": tenant, "q": dict(args), "a": after, "x": round(now + MORE_TTL_SECONDS)}
    raw = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
    mac = hmac.new(key, raw, hashlib.sha256).hexdigest()[:32]
    return f"{raw.decode().rstrip('=')}.{mac}"


def read_more(key: bytes, tenant: str, token: str, now: float) -> tuple[dict[str, str], int]:
    """The query parameters and the start of the page a ``more`` token names;
    :class:`QueryError` for a token that is forged, another tenant's or expired."""
    raw, _, mac = token.partition(".")
    expected = hmac.new(key, (raw + "=" * (-len(raw) % 4)).encode(), hashlib.sha256)
    if not mac or not hmac.compare_digest(mac, expected.hexdigest()[:32]):
        raise QueryError("more", "is not a link this LRS gave to this credential")
    body: dict[str, Any] = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if body["t"] != tenant:
        raise QueryError("more", "is not a link this LRS gave to this credential")
    if body["x"] < now:
        raise QueryError("more", "has expired; run the query again")
    return {str(k): str(v) for k, v in body["q"].items()}, int(body["a"])


class StatementReader:
    """Reads one tenant's accepted statements."""

    def __init__(self, store: StatementStore, tenant: str) -> None:
        self._store = store
        self._tenant = tenant

    def one(self, statement_id: str, voided: bool) -> StoredStatement | None:
        """The statement by ``statementId`` (``voided`` False: a voided one is not found) or
        by ``voidedStatementId`` (``voided`` True: only a voided one is found)."""
        found = self._store.get_statement(self._tenant, statement_id.lower())
        if found is None or found.voided != voided:
            return None
        return found

    def page(self, q: StatementQuery, after: int) -> Page:
        """The statements matching ``q`` after ``after``, newest first unless ascending.
        Voided statements are never in a page (Communication §2.1.3)."""
        picked: list[StoredStatement] = []
        scanned = 0
        position = after
        while scanned < SCAN_BUDGET:
            chunk = self._store.scan_statements(self._tenant, position, q.ascending, _CHUNK)
            for record in chunk:
                scanned += 1
                position = record.seq
                if not record.voided and in_window(record, q) and self._matches(record, q):
                    picked.append(record)
                    if len(picked) == q.limit:
                        return Page(picked, position)
            if len(chunk) < _CHUNK:
                return Page(picked, None)
        return Page(picked, position)

    def _matches(self, record: StoredStatement, q: StatementQuery) -> bool:
        return matches(record.statement, q, self._resolve)

    def _resolve(self, statement_id: str) -> dict[str, Any] | None:
        found = self._store.get_statement(self._tenant, statement_id)
        return None if found is None else found.statement

"""Accepted statements on Redis, under the tenant's hash tag (one cluster slot per tenant):

- ``...:xapi:seq``: the tenant's counter;
- ``...:xapi:by-id``: hash, statement id -> record JSON (as written, never re-encoded by Lua:
  cjson would turn ``{}`` into ``[]`` and round floats);
- ``...:xapi:order``: sorted set, statement id scored by ``seq``;
- ``...:xapi:voided``: set of voided ids.

Adding is one Lua script (check the id, take the next number, write both), so two gateways
storing the same id at once store it once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from attune.gateway.xapi_store.ports import (
    StoredStatement,
    record_from_json,
    record_to_json,
)

_ADD = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
return seq
"""
_VOID = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
return redis.call('SADD', KEYS[2], ARGV[1])
"""


class RedisStatements:
    """:class:`~gateway.xapi_store.ports.StatementStore` on a Redis client (mixed
    into the gateway's Redis store)."""

    _r: Any
    _tag: Callable[[str], str]

    def _xapi(self, tenant: str, part: str) -> str:
        return f"{self._tag(tenant)}:xapi:{part}"

    def add_statement(self, tenant: str, record: StoredStatement) -> bool:
        keys = [self._xapi(tenant, p) for p in ("seq", "by-id", "order")]
        body = json.dumps(record_to_json(replace(record, voided=False, seq=0)))
        return bool(self._r.eval(_ADD, 3, *keys, record.statement_id, body))

    def get_statement(self, tenant: str, statement_id: str) -> StoredStatement | None:
        found = self._read(tenant, [statement_id])
        return found[0] if found else None

    def erase_statements(self, tenant: str, statement_ids: Sequence[str]) -> int:
        if not statement_ids:
            return 0
        pipe = self._r.pipeline(transaction=True)  # one slot: the tenant's hash tag
        pipe.hdel(self._xapi(tenant, "by-id"), *statement_ids)
        pipe.zrem(self._xapi(tenant, "order"), *statement_ids)
        pipe.srem(self._xapi(tenant, "voided"), *statement_ids)
        return int(pipe.execute()[0])

    def void_statement(self, tenant: str, statement_id: str) -> bool:
        keys = (self._xapi(tenant, "by-id"), self._xapi(tenant, "voided"))
        return bool(self._r.eval(_VOID, 2, *keys, statement_id))

    def scan_statements(
        self, tenant: str, after: int, ascending: bool, limit: int
    ) -> Sequence[StoredStatement]:
        order = self._xapi(tenant, "order")
        if ascending:
            scored = self._r.zrangebyscore(
                order, f"({after}", "+inf", start=0, num=limit, withscores=True
            )
        else:
            top = f"({after}" if after else "+inf"
            scored = self._r.zrevrangebyscore(
                order, top, "-inf", start=0, num=limit, withscores=True
            )
        if not scored:
            return []
        ids = [one for one, _ in scored]
        pipe = self._r.pipeline(transaction=False)
        pipe.hmget(self._xapi(tenant, "by-id"), ids)
        pipe.smismember(self._xapi(tenant, "voided"), ids)
        raws, voided = pipe.execute()
        return [
            _record(raw, int(seq), bool(gone))
            for (_, seq), raw, gone in zip(scored, raws, voided, strict=True)
            if raw is not None
        ]

    def _read(self, tenant: str, ids: list[str]) -> list[StoredStatement]:
        """The records of ``ids`` (in that order; unknown ones left out)."""
        pipe = self._r.pipeline(transaction=False)
        pipe.hmget(self._xapi(tenant, "by-id"), ids)
        for one in ids:
            pipe.zscore(self._xapi(tenant, "order"), one)
        pipe.smismember(self._xapi(tenant, "voided"), ids)
        replies = pipe.execute()
        raws, seqs, voided = replies[0], replies[1:-1], replies[-1]
        return [
            _record(raw, int(seq), bool(gone))
            for raw, seq, gone in zip(raws, seqs, voided, strict=True)
            if raw is not None and seq is not None
        ]


def _record(raw: str, seq: int, voided: bool) -> StoredStatement:
    return record_from_json({**json.loads(raw), "seq": seq, "voided": voided})

"""A tenant's keys in one Redis (standalone; a cluster is scanned node by node by redis-py's
``scan_iter``). Every key of a tenant carries its hash tag (engine: ``attune:{t=<tenant>}``
and ``attune:{t=<tenant>:l=<learner>}``, gateway: ``attune:gw:{t=<tenant>}``); more places
name it: the engine's dirty sets (members ``<tenant>:<learner>``), the gateway's token
indexes in the ``""`` namespace (``attune:gw:{t=}:kv:<prefix><token>``: ``session-tenant:``,
``sso-session-tenant:``, ``dynreg:``, ...; one rule: every such key whose value is the
tenant, as stored: JSON, belongs to it), and the gateway's shared registries
(``attune:gw:{<name>}``, not a tenant tag): hashes whose JSON values carry a ``tenant``
(registrations, LRS targets, OAuth clients) and sets whose members are the tenant or a JSON
``[tenant, ...]`` (the outboxes' queue lists). Audit keys (``attune:audit:``) are left to
the audit port.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from attune.infra.redis import escape

_GLOB = re.compile(r"([*?\[\]\\])")
INDEXES = "attune:gw:{t=}:kv:*"  # the gateway's "" namespace


def _glob(text: str) -> str:
    return _GLOB.sub(r"\\\1", text)


ALL, ENGINE, GATEWAY = "all", "engine", "gateway"  # which deployable's keys a sweep covers


def tenant_patterns(tenant: str, part: str = ALL) -> tuple[str, ...]:
    """The SCAN patterns of every key the tenant owns (of one deployable's, with ``part``)."""
    t = _glob(escape(tenant))
    engine = (f"attune:{{t={t}}}:*", f"attune:{{t={t}:l=*")
    gateway = (f"attune:gw:{{t={t}}}:*",)
    return {ENGINE: engine, GATEWAY: gateway}.get(part, engine + gateway)


def dump_key(client: Any, key: str) -> dict[str, Any]:
    """One key as JSON: its type, its TTL (ms, -1: none) and its value."""
    kind = client.type(key)
    value: Any
    if kind == "string":
        value = client.get(key)
    elif kind == "hash":
        value = client.hgetall(key)
    elif kind == "list":
        value = client.lrange(key, 0, -1)
    elif kind == "set":
        value = sorted(client.smembers(key))
    elif kind == "zset":
        value = client.zrange(key, 0, -1, withscores=True)
    elif kind == "stream":
        value = [[entry_id, fields] for entry_id, fields in client.xrange(key)]
    else:
        value = None
    return {"key": key, "type": kind, "ttl_ms": client.pttl(key), "value": value}


class RedisSweep:
    """Read or drop one tenant's keys (client: ``decode_responses=True``): every deployable's
    (``part`` "all", the command on a shared Redis), or the engine's or the gateway's only
    (the live routes: each deployable sweeps its own)."""

    def __init__(self, client: Any, part: str = ALL) -> None:
        self._r = client
        self._engine = part in (ALL, ENGINE)
        self._gateway = part in (ALL, GATEWAY)
        self._part = part

    def keys(self, tenant: str) -> list[str]:
        """Every key the tenant owns, sorted, the ``""``-namespace entries naming it included."""
        found: set[str] = set()
        for pattern in tenant_patterns(tenant, self._part):
            found.update(self._r.scan_iter(match=pattern, count=1000))
        if not self._gateway:
            return sorted(found)
        for key in self._r.scan_iter(match=INDEXES, count=1000):
            if self._r.type(key) != "string":
                continue
            raw = self._r.get(key)
            if raw is not None and raw == json.dumps(tenant):
                found.add(key)
        return sorted(found)

    def _dirty(self, tenant: str) -> Iterator[tuple[str, list[str]]]:
        if not self._engine:
            return
        prefix = escape(tenant) + ":"
        for key in sorted(set(self._r.scan_iter(match="attune:{*}:dirty", count=1000))):
            if self._r.type(key) != "set":
                continue
            members = sorted(m for m in self._r.smembers(key) if m.startswith(prefix))
            if members:
                yield key, members

    def _shared(self, tenant: str) -> Iterator[tuple[str, str, dict[str, str] | list[str]]]:
        """The tenant's entries in the gateway's shared registries: (key, "hash-fields" or
        "set-members", the fields with their values or the members)."""
        if not self._gateway:
            return
        for key in sorted(set(self._r.scan_iter(match="attune:gw:{*}", count=1000))):
            if key.startswith("attune:gw:{t="):
                continue
            kind = self._r.type(key)
            if kind == "hash":
                fields = {
                    f: v for f, v in self._r.hgetall(key).items() if _names(_decoded(v), tenant)
                }
                if fields:
                    yield key, "hash-fields", fields
            elif kind == "set":
                members = sorted(m for m in self._r.smembers(key) if _member(m, tenant))
                if members:
                    yield key, "set-members", members

    def export(self, tenant: str) -> Iterator[dict[str, Any]]:
        """The tenant's keys as JSON lines, then its entries in shared keys (``type``
        ``set-members`` or ``hash-fields``: only those members or fields)."""
        for key in self.keys(tenant):
            yield dump_key(self._r, key)
        for key, members in self._dirty(tenant):
            yield {"key": key, "type": "set-members", "ttl_ms": -1, "value": members}
        for key, kind, value in self._shared(tenant):
            yield {"key": key, "type": kind, "ttl_ms": -1, "value": value}

    def delete(self, tenant: str) -> int:
        """Drop the tenant's keys and dirty-set members; how many keys (and members)."""
        gone = 0
        for key in self.keys(tenant):
            gone += int(self._r.delete(key))
        for key, members in list(self._dirty(tenant)):
            gone += int(self._r.srem(key, *members))
        for key, kind, value in list(self._shared(tenant)):
            if kind == "hash-fields":
                gone += int(self._r.hdel(key, *value))
            else:
                gone += int(self._r.srem(key, *value))
        return gone


def _names(value: Any, tenant: str) -> bool:
    return isinstance(value, dict) and value.get("tenant") == tenant


def _member(raw: str, tenant: str) -> bool:
    if raw == tenant:
        return True
    value = _decoded(raw)
    return isinstance(value, list) and bool(value) and value[0] == tenant


def _decoded(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw

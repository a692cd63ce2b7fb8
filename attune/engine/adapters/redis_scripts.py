"""The Lua scripts of the Redis store, and how they are called.

Each script touches the keys of ONE hash tag (a learner's or a tenant's), so it is atomic on
a standalone server and on a cluster alike, and with AOF it is persisted as one transaction.
Scripts run by EVALSHA: one round trip. A server that does not know a script yet (after a
restart or a failover) answers NOSCRIPT, and the call is repeated once with EVAL.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError

Client = Any  # redis.asyncio.Redis or redis.asyncio.cluster.RedisCluster


class Script:
    """One Lua script, called by its SHA1 with a fallback to its source."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, client: Client, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run the script on the node that owns ``keys``."""
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)

    async def on_node(
        self, client: Client, node: Any, keys: Sequence[str], args: Sequence[Any]
    ) -> Any:
        """Run the script on one cluster node (for scripts allowed to cross slots)."""
        try:
            return await client.execute_command(
                "EVALSHA", self.sha, len(keys), *keys, *args, target_nodes=node
            )
        except NoScriptError:
            return await client.execute_command(
                "EVAL", self.source, len(keys), *keys, *args, target_nodes=node
            )


Call = tuple[Script, Sequence[str], Sequence[Any]]


async def run_pipelined(client: Client, calls: Sequence[Call]) -> list[Any]:
    """Run several scripts in one pipeline (one round trip); results in order.

    A call answered NOSCRIPT is repeated on its own with EVAL; any other error is raised.
    redis-py refuses scripts in a cluster pipeline, so on a cluster the calls go out
    concurrently instead (one round trip of wall time, on several connections).
    """
    if not calls:
        return []
    if isinstance(client, RedisCluster):
        return list(await asyncio.gather(*(script(client, k, a) for script, k, a in calls)))
    async with client.pipeline(transaction=False) as pipe:
        for script, keys, args in calls:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        results = list(await pipe.execute(raise_on_error=False))
    for i, result in enumerate(results):
        if isinstance(result, NoScriptError):
            script, keys, args = calls[i]
            results[i] = await client.eval(script.source, len(keys), *keys, *args)
        elif isinstance(result, Exception):
            raise result
    return results


# -- learner slot ------------------------------------------------------------------------

# KEYS: state, events, sequence, meta, outbox, dirty
# ARGV: event_id, event JSON, expected version, state JSON, dirty member, new gen,
#       course field ("c:<course>"), how many outbox entries to return
# -> {"dup", stored event} | {"conflict", version} |
#    {"ok", version, gen, entry, event JSON ("" for this event), entry, event JSON, ...}
COMMIT = Script(
    """
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if stored then return {'dup', stored} end
local current = redis.call('GET', KEYS[1])
local version = 0
if current then
  version = tonumber(string.sub(current, 1, string.find(current, '|', 1, true) - 1))
end
if version ~= tonumber(ARGV[3]) then return {'conflict', version} end
version = version + 1
redis.call('SET', KEYS[1], version .. '|' .. ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[1])
local gen = redis.call('HGET', KEYS[4], 'gen')
if not gen then
  gen = ARGV[6]
  redis.call('HSET', KEYS[4], 'gen', gen)
end
redis.call('HSET', KEYS[4], ARGV[7], 1)
local n = redis.call('HINCRBY', KEYS[4], 'n', 1)
redis.call('RPUSH', KEYS[5], n .. '|' .. ARGV[1])
redis.call('SADD', KEYS[6], ARGV[5])
local reply = {'ok', version, gen}
for _, entry in ipairs(redis.call('LRANGE', KEYS[5], 0, tonumber(ARGV[8]) - 1)) do
  local eid = string.sub(entry, string.find(entry, '|', 1, true) + 1)
  reply[#reply + 1] = entry
  if eid == ARGV[1] then
    reply[#reply + 1] = ''
  else
    reply[#reply + 1] = redis.call('HGET', KEYS[2], eid) or ''
  end
end
return reply
"""
)

# KEYS: meta, outbox, events, dirty    ARGV: how many entries, dirty member
# -> {} (nothing pending; the learner leaves the dirty set) | {gen, entry, JSON, ...}
FETCH_OUTBOX = Script(
    """
local entries = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1)
if #entries == 0 then
  redis.call('SREM', KEYS[4], ARGV[2])
  return {}
end
local reply = {redis.call('HGET', KEYS[1], 'gen') or ''}
for _, entry in ipairs(entries) do
  local eid = string.sub(entry, string.find(entry, '|', 1, true) + 1)
  reply[#reply + 1] = entry
  reply[#reply + 1] = redis.call('HGET', KEYS[3], eid) or ''
end
return reply
"""
)

# KEYS: meta, outbox, dirty    ARGV: gen, last entry on the stream, dirty member
# -> entries removed from the outbox
ACK_OUTBOX = Script(
    """
if redis.call('HGET', KEYS[1], 'gen') ~= ARGV[1] then return 0 end
local acked = tonumber(ARGV[2])
local removed = 0
while true do
  local head = redis.call('LINDEX', KEYS[2], 0)
  if not head then break end
  if tonumber(string.sub(head, 1, string.find(head, '|', 1, true) - 1)) > acked then break end
  redis.call('LPOP', KEYS[2])
  removed = removed + 1
end
if redis.call('LLEN', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], ARGV[3]) end
return removed
"""
)

# KEYS: sequence, events -> the course's logged events in accepted order
LEARNER_EVENTS = Script(
    """
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local out = {}
for i = 1, #ids, 1000 do
  local part = redis.call('HMGET', KEYS[2], unpack(ids, i, math.min(i + 999, #ids)))
  for _, event in ipairs(part) do out[#out + 1] = event end
end
return out
"""
)

# KEYS: meta, events, outbox, dirty, interventions, then (state, sequence, intervention ids)
#       per course
# ARGV: dirty member, then the course field of each (state, sequence, ids) triple
# -> {"retry"} when the learner's courses changed meanwhile | {"ok", courses, events}
DELETE_LEARNER = Script(
    """
local known = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 2) == 'c:' then known = known + 1 end
end
if known ~= #ARGV - 1 then return {'retry'} end
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then return {'retry'} end
end
local events = redis.call('HLEN', KEYS[2])
local courses = 0
for i = 6, #KEYS, 3 do courses = courses + redis.call('EXISTS', KEYS[i]) end
for i = 1, #KEYS do
  if i ~= 4 then redis.call('DEL', KEYS[i]) end
end
redis.call('SREM', KEYS[4], ARGV[1])
return {'ok', courses, events}
"""
)

# ARGV: members to take from each set, then the dirty sets of slots this node serves
# -> members of the non-empty sets. Redis 7's allow-cross-slot-keys lets one call look at
# every dirty set a cluster node holds, instead of one command per slot. The sets are
# passed as arguments, not keys: Redis refuses declared keys of several slots outright.
SAMPLE_DIRTY = Script(
    """#!lua flags=no-writes,allow-cross-slot-keys
local out = {}
for i = 2, #ARGV do
  for _, member in ipairs(redis.call('SRANDMEMBER', ARGV[i], tonumber(ARGV[1]))) do
    out[#out + 1] = member
  end
end
return out
"""
)

# -- tenant slot -------------------------------------------------------------------------

# KEYS: log, marks, then (stream ids, tombstone) per learner
# ARGV: L learners, then per learner: member, gen, learner_id; then the entries, each as
#       (learner index, n, event_id, course_id, event JSON), each learner's in outbox order
# -> per learner, the last outbox entry now on the stream (-1: the learner was erased)
#
# Entries get explicit ids, each the one right after the stream's last id ever generated
# (its sequence + 1, carried into the milliseconds at 2**20, the log id's sequence bits):
# the tenant's log ids run 1, 2, 3, ... whatever other tenants write, and a stream written
# with time-based ids by an older version simply continues above them.
RELAY = Script(
    """
local last_ms, last_seq = '0', 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local id = info[i + 1]
      local dash = string.find(id, '-', 1, true)
      last_ms, last_seq = string.sub(id, 1, dash - 1), tonumber(string.sub(id, dash + 1))
    end
  end
end
local function next_id()
  if last_seq >= 1048575 then
    last_ms, last_seq = string.format('%.0f', tonumber(last_ms) + 1), 0
  else
    last_seq = last_seq + 1
  end
  return last_ms .. '-' .. string.format('%.0f', last_seq)
end
local learners = tonumber(ARGV[1])
local last = {}
for g = 1, learners do
  local base = 2 + 3 * (g - 1)
  if redis.call('EXISTS', KEYS[2 + 2 * g]) == 1 then
    last[g] = -1
  else
    last[g] = 0
    local mark = redis.call('HGET', KEYS[2], ARGV[base])
    if mark then
      local bar = string.find(mark, '|', 1, true)
      if string.sub(mark, 1, bar - 1) == ARGV[base + 1] then
        last[g] = tonumber(string.sub(mark, bar + 1))
      end
    end
  end
end
for a = 2 + 3 * learners, #ARGV, 5 do
  local g = tonumber(ARGV[a])
  local n = tonumber(ARGV[a + 1])
  if last[g] >= 0 and n > last[g] then
    local id = redis.call('XADD', KEYS[1], next_id(), 'event_id', ARGV[a + 2],
      'learner_id', ARGV[2 + 3 * (g - 1) + 2], 'course_id', ARGV[a + 3], 'event', ARGV[a + 4])
    redis.call('RPUSH', KEYS[1 + 2 * g], id)
    last[g] = n
  end
end
for g = 1, learners do
  if last[g] >= 0 then
    local base = 2 + 3 * (g - 1)
    redis.call('HSET', KEYS[2], ARGV[base], ARGV[base + 1] .. '|' .. last[g])
  end
end
return last
"""
)

# KEYS: log, marks, stream ids, tombstone    ARGV: member, tombstone TTL (s)
# -> stream entries deleted
ERASE_FROM_LOG = Script(
    """
local ids = redis.call('LRANGE', KEYS[3], 0, -1)
local removed = 0
for i = 1, #ids, 1000 do
  removed = removed + redis.call('XDEL', KEYS[1], unpack(ids, i, math.min(i + 999, #ids)))
end
redis.call('DEL', KEYS[3])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SET', KEYS[4], '1', 'EX', tonumber(ARGV[2]))
return removed
"""
)

# KEYS: courses, course ids    ARGV: course id, course JSON, channel, invalidation message,
#       the tenant's course quota (0: none)    -> 1 stored, 0 refused (a new course over quota)
# The write and its announcement go together: no process can miss a change that was made.
# The quota check and the write are one step too, so engine processes sharing the Redis never
# admit more new courses than the quota between them.
PUT_COURSE = Script(
    """
local limit = tonumber(ARGV[5])
if limit > 0 and not redis.call('ZSCORE', KEYS[2], ARGV[1])
    and redis.call('ZCARD', KEYS[2]) >= limit then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
"""
)

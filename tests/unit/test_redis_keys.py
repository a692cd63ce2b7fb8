"""Redis key names, store URLs and stream ids: pure functions, no server."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from attune.engine.adapters.codec import decode_event, encode_event, encode_result
from attune.engine.adapters.redis_keys import LearnerKeys, dirty_key
from attune.engine.adapters.redis_log import log_id_of, stream_id_of
from attune.engine.domain.learner import SkillOutcome
from attune.engine.domain.records import LoggedEvent
from attune.infra.redis import RedisUrlError, escape, parse_url, redact, unescape
from tests.support.stores import reply as stored_reply

ids = st.text(min_size=1, max_size=12)


@given(ids)
def test_escape_round_trips_and_leaves_no_key_syntax(text: str) -> None:
    coded = escape(text)
    assert unescape(coded) == text
    assert not set("{}:") & set(coded)


@given(ids, ids, ids, ids)
def test_distinct_learners_get_distinct_hash_tags(t1: str, l1: str, t2: str, l2: str) -> None:
    a, b = LearnerKeys(t1, l1), LearnerKeys(t2, l2)
    assert (a.tag == b.tag) == ((t1, l1) == (t2, l2))
    assert LearnerKeys.from_member(a.member) == a


@given(ids, ids)
def test_every_key_of_a_learner_is_in_its_slot(tenant: str, learner: str) -> None:
    keys = LearnerKeys(tenant, learner)
    names = [keys.state("c}"), keys.sequence("x"), keys.events, keys.meta, keys.outbox]
    names.append(dirty_key(keys.slot()))
    assert {key_slot(n.encode()) for n in names} == {keys.slot()}


@given(st.integers(0, 2**44), st.integers(0, 2**20 - 1))
def test_log_ids_order_like_stream_ids(ms: int, seq: int) -> None:
    stream_id = f"{ms}-{seq}"
    assert stream_id_of(log_id_of(stream_id)) == stream_id
    assert log_id_of(f"{ms}-{seq}") < log_id_of(f"{ms + 1}-0")


def test_store_urls() -> None:
    one = parse_url("redis://u:p%40ss@db.example:6380/2")
    assert (one.cluster, one.nodes, one.username, one.password) == (
        False,
        (("db.example", 6380),),
        "u",
        "p@ss",
    )
    many = parse_url("rediss+cluster://:pw@a:7000,b:7001,c")
    assert many.cluster and many.tls
    assert many.nodes == (("a", 7000), ("b", 7001), ("c", 6379))
    assert redact("redis://u:secret@h:1/0") == "redis://u:***@h:1/0"
    assert redact("redis://h:1/0") == "redis://h:1/0"
    for bad in ("redis://h:x/0", "redis://a:1,b:2/0", "http://h:1"):
        with pytest.raises(RedisUrlError):
            parse_url(bad)


def test_event_encoding_keeps_the_reply_exactly() -> None:
    reply = replace(
        stored_reply("x", 3),
        skills=(SkillOutcome("a", 0.1, 0.30000000000000004, 1 / 3, 3, True, "mastered"),),
        theta=-1e-300,
        predictor_note="DKT model toy is not loaded",
    )
    e = LoggedEvent("t", "x", "l", "c", "i", 1 / 3, 7, 1.5, 2.5, 3, reply, 0, 0.2, -1e-300)
    text = encode_event(e)
    assert decode_event(text, log_id=9) == LoggedEvent(
        "t", "x", "l", "c", "i", 1 / 3, 7, 1.5, 2.5, 3, reply, 9, 0.2, -1e-300
    )
    # The reply is embedded as the JSON object the embedded store keeps as text.
    assert text.endswith(',"p":' + encode_result(reply) + "}")


def test_a_relay_carries_the_outbox_head_only_up_to_a_gap() -> None:
    from attune.engine.adapters.redis_relay import head_of, parse_entries

    flat = ["1|a", "{}", "2|b|with|bars", "{}", "3|c", "", "4|d", "{}"]
    assert parse_entries(flat)[1] == (2, "b|with|bars", "{}")
    assert [n for n, _, _ in head_of(parse_entries(flat))] == [1, 2]

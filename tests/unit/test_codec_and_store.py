"""The state codec is exact; the SQLite store commits atomically and idempotently."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.adapters.codec import decode_state, encode_state
from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.errors import ConflictError, UnavailableError
from attune.engine.domain.learner import LearnerState, SkillState
from attune.engine.domain.records import LoggedEvent
from attune.engine.ports import DuplicateEventError
from tests.support.stores import reply

floats = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.tuples(floats, st.integers(0, 999))))
def test_state_round_trip_is_bit_exact(skills: dict[str, tuple[float, int]]) -> None:
    state = LearnerState(
        "l",
        "c",
        skills={k: SkillState(p, n, n // 2, n % 2 == 0, 1.5e9 + n) for k, (p, n) in skills.items()},
        recent_items=("i1", "i2"),
        last_skill=next(iter(skills), None),
        responses=7,
    )
    assert decode_state(encode_state(state)) == state


def _event(eid: str, learner: str = "l", seq: int = 1) -> LoggedEvent:
    return LoggedEvent("t", eid, learner, "c", "i", 1.0, 100, 1.0, 2.0, seq, reply(eid, seq))


async def test_commit_load_duplicate_conflict(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "s.db")
    try:
        state = LearnerState("l", "c", responses=1)
        assert await store.commit(_event("e1"), state, 0) == 1
        snap = await store.load("t", "l", "c")
        assert snap is not None and snap.version == 1 and snap.state == state
        with pytest.raises(DuplicateEventError):
            await store.commit(_event("e1"), state, 1)
        with pytest.raises(ConflictError):
            await store.commit(_event("e2"), state, 0)
        # Neither failed commit changed anything.
        assert (await store.load("t", "l", "c")).version == 1
        assert [e.event_id for e in await store.read_events("t", 0, 10)] == ["e1"]
        assert await store.get_event("other-tenant", "e1", "l") is None
    finally:
        await store.close()


async def test_event_log_is_append_only(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "s.db")
    await store.commit(_event("e1"), LearnerState("l", "c"), 0)
    await store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET score = 0")
    conn.close()


async def test_concurrent_commits_share_transactions(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "s.db")
    try:
        await asyncio.gather(
            *[
                store.commit(_event(f"e{n}", learner=f"l{n}"), LearnerState(f"l{n}", "c"), 0)
                for n in range(200)
            ]
        )
        assert store.committer.writes == 200
        assert store.committer.transactions < 200  # group commit batched them
        assert len(await store.read_events("t", 0, 1000)) == 200
    finally:
        await store.close()


async def test_one_process_owns_a_data_dir(tmp_path: Path) -> None:
    first = SqliteStore.open(tmp_path / "s.db")
    try:
        with pytest.raises(UnavailableError, match="another engine process"):
            SqliteStore.open(tmp_path / "s.db")
    finally:
        await first.close()
    SqliteStore.open(tmp_path / "s.db")  # released on close


async def test_a_batch_settles_each_write_with_its_own_outcome(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "s.db")
    try:
        await store.commit(_event("dup", learner="x"), LearnerState("x", "c", responses=1), 0)
        outcomes = await asyncio.gather(
            *[
                store.commit(
                    _event("dup" if n == 7 else f"b{n}", learner=f"m{n}"),
                    LearnerState(f"m{n}", "c", responses=1),
                    0,
                )
                for n in range(20)
            ],
            return_exceptions=True,
        )
        assert isinstance(outcomes[7], DuplicateEventError)
        assert [o for n, o in enumerate(outcomes) if n != 7] == [1] * 19
        assert len(await store.read_events("t", 0, 100)) == 20
    finally:
        await store.close()

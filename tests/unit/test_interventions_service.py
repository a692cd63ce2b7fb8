"""The interventions use case over the in-memory store: exactly once per request id, nothing
changed by a refusal, a concurrent response never lost, pins in recommendations (the class's
cache dropped by a pin made here), the trail paged newest first, erasure."""

from __future__ import annotations

import pytest

from attune.engine.adapters.memory_store import MemoryStore
from attune.engine.domain.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from attune.engine.domain.interventions import InterventionEntry, InterventionRequest, Kind, Scope
from attune.engine.domain.learner import LearnerState, Response
from attune.engine.grpc.convert import course_from_pb
from attune.engine.service import Engine
from tests.support.courses import chain_course
from tests.support.engine_server import ManualClock

T = "tenant-a"
START = 1_800_000_000.0


def _req(**kw: object) -> InterventionRequest:
    base: dict[str, object] = {
        "course_id": "chain",
        "scope": Scope.LEARNER,
        "learner_id": "lea",
        "kind": Kind.GRANT_MASTERY,
        "skill_id": "a",
        "actor": "instructor:p1",
        "reason": "showed it in class",
        "request_id": "r1",
    }
    base.update(kw)
    return InterventionRequest(**base)  # type: ignore[arg-type]


async def _engine(store: MemoryStore | None = None) -> tuple[Engine, MemoryStore, ManualClock]:
    store = store or MemoryStore()
    clock = ManualClock(START)
    engine = Engine(store, clock=clock)
    await engine.put_course(T, course_from_pb(chain_course()))
    return engine, store, clock


async def _answer(engine: Engine, eid: str, item: str = "a1", right: bool = True) -> None:
    response = Response(eid, "lea", "chain", item, 1.0 if right else 0.0, 9000, engine.now())
    await engine.record(T, response)


async def _everything(store: MemoryStore) -> tuple[object, ...]:
    snap = await store.load(T, "lea", "chain")
    trail = await store.list_interventions(T, "chain", "", 0, 100)
    return snap, tuple(trail), await store.class_pins(T, "chain")


async def test_an_intervention_applies_once_and_a_retry_gets_the_original() -> None:
    engine, store, clock = await _engine()
    await _answer(engine, "e1")
    first = await engine.interventions.intervene(T, _req())
    assert not first.duplicate and first.entry.intervention_id == 1
    assert first.entry.recorded_at == START and first.entry.change is not None
    snap = await store.load(T, "lea", "chain")
    assert snap is not None and snap.version == 2 and snap.state.skills["a"].mastered
    clock.t += 60
    again = await engine.interventions.intervene(T, _req())
    assert again.duplicate and again.entry == first.entry  # the original, time included
    assert await store.load(T, "lea", "chain") == snap  # nothing applied again
    with pytest.raises(AlreadyExistsError):
        await engine.interventions.intervene(T, _req(kind=Kind.REVOKE_MASTERY))


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"course_id": "nope"}, NotFoundError, "course"),
        ({"learner_id": "nobody"}, NotFoundError, "learner"),
        ({"skill_id": "zz"}, NotFoundError, "skill"),
        ({"reason": ""}, InvalidInputError, "reason"),
        ({"scope": Scope.CLASS, "learner_id": "", "kind": Kind.RESET_SKILL}, InvalidInputError,
         "kind"),
        ({"request_id": "r0", "kind": Kind.RESET_SKILL}, AlreadyExistsError, "request_id"),
    ],
)  # fmt: skip
async def test_a_refusal_changes_nothing(
    changes: dict[str, object], error: type[Exception], field: str
) -> None:
    engine, store, _ = await _engine()
    await _answer(engine, "e1")
    await engine.interventions.intervene(T, _req(request_id="r0", kind=Kind.PIN_SKILL))
    before = await _everything(store)
    with pytest.raises(error) as err:
        await engine.interventions.intervene(T, _req(**changes))
    named = getattr(err.value, "field", None) or getattr(err.value, "kind", None)
    assert named == field
    assert await _everything(store) == before


class RacingStore(MemoryStore):
    """A memory store where a response of the learner lands between the intervention's read
    and its commit, once."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self.raced = False

    async def commit_intervention(
        self, entry: InterventionEntry, state: LearnerState, expected_version: int
    ) -> InterventionEntry:
        if not self.raced and self.engine is not None:
            self.raced = True
            snap = await self.load(entry.tenant, entry.learner_id, entry.course_id)
            assert snap is not None
            # What another engine process would do: a response, committed meanwhile.
            from attune.engine.domain.update import apply_response

            course = await self.get_course(entry.tenant, entry.course_id)
            assert course is not None
            r = Response("race", "lea", "chain", "b1", 0.0, 9000, START)
            out = apply_response(course, snap.state, r)
            from tests.support.stores import event

            await self.commit(event("race", "lea", 2, T, "chain", "b1"), out.state, snap.version)
        return await super().commit_intervention(entry, state, expected_version)


async def test_a_response_committed_meanwhile_is_kept_and_the_intervention_recomputed() -> None:
    store = RacingStore()
    engine, _, _ = await _engine(store)
    store.engine = engine
    await _answer(engine, "e1")
    applied = await engine.interventions.intervene(T, _req(kind=Kind.RESET_SKILL))
    assert store.raced and not applied.duplicate
    snap = await store.load(T, "lea", "chain")
    assert snap is not None and snap.version == 3
    assert "a" not in snap.state.skills  # the reset
    assert snap.state.skills["b"].attempts == 1 and snap.state.responses == 2  # the race
    assert len(await store.list_interventions(T, "chain", "", 0, 10)) == 1


async def test_pins_order_recommendations_and_a_class_pin_takes_effect_at_once() -> None:
    engine, _, _ = await _engine()
    await _answer(engine, "e1")
    recs, _ = await engine.recommend(T, "lea", "chain", 3)
    assert recs[0].skill_id == "a"
    await engine.interventions.intervene(
        T, _req(scope=Scope.CLASS, learner_id="", kind=Kind.PIN_SKILL, skill_id="c")
    )
    recs, _ = await engine.recommend(T, "lea", "chain", 3)
    assert recs[0].skill_id == "c"
    newcomer, _ = await engine.recommend(T, "new", "chain", 1)
    assert newcomer[0].skill_id == "c"  # a learner who arrives later gets the class pin
    await engine.interventions.intervene(T, _req(kind=Kind.PIN_SKILL, skill_id="b"))
    recs, _ = await engine.recommend(T, "lea", "chain", 3)
    assert {r.skill_id for r in recs[:2]} == {"b", "c"}
    await engine.interventions.intervene(
        T,
        _req(
            scope=Scope.CLASS, learner_id="", kind=Kind.UNPIN_SKILL, skill_id="c", request_id="r2"
        ),
    )
    recs, _ = await engine.recommend(T, "lea", "chain", 3)
    assert recs[0].skill_id == "b" and "c" not in [r.skill_id for r in recs[:2]]


async def test_the_trail_pages_newest_first_and_reports_pins_and_exemptions() -> None:
    engine, store, clock = await _engine()
    await _answer(engine, "e1")
    kinds = [Kind.PIN_SKILL, Kind.UNPIN_SKILL, Kind.RESET_SKILL, Kind.GRANT_MASTERY]
    for n, kind in enumerate(kinds):
        await engine.interventions.intervene(T, _req(kind=kind, request_id=f"r{n}"))
        clock.t += 1
    await engine.interventions.intervene(
        T, _req(kind=Kind.EXEMPT_LEARNER, skill_id="", request_id="r4")
    )
    await engine.interventions.intervene(
        T, _req(scope=Scope.CLASS, learner_id="", kind=Kind.PIN_SKILL, request_id="c1")
    )
    seen: list[int] = []
    token = ""
    while True:
        page = await engine.interventions.trail(T, "chain", "", 4, token)
        assert page.class_pins == ("a",) and page.exempt == ("lea",)
        seen += [e.intervention_id for e in page.entries]
        token = page.next_page_token
        if not token:
            break
    assert seen == [6, 5, 4, 3, 2, 1]
    mine = await engine.interventions.trail(T, "chain", "lea", 0, "")
    assert [e.intervention_id for e in mine.entries] == [5, 4, 3, 2, 1]
    assert [e.kind for e in mine.entries][-1] is Kind.PIN_SKILL
    other = await engine.interventions.trail(T, "chain", "someone", 0, "")
    assert other.entries == [] and other.exempt == ()
    for bad in ("x", "0", "-3", "9" * 30):
        with pytest.raises(InvalidInputError) as err:
            await engine.interventions.trail(T, "chain", "", 0, bad)
        assert err.value.field == "page_token"
    with pytest.raises(InvalidInputError):
        await engine.interventions.trail(T, "chain", "", 501, "")
    with pytest.raises(NotFoundError):
        await engine.interventions.trail(T, "nope", "", 0, "")
    assert len(await store.list_interventions("tenant-b", "chain", "", 0, 10)) == 0


async def test_erasing_a_learner_erases_their_interventions_only() -> None:
    engine, store, _ = await _engine()
    await _answer(engine, "e1")
    await engine.interventions.intervene(T, _req())
    await engine.interventions.intervene(
        T, _req(scope=Scope.CLASS, learner_id="", kind=Kind.PIN_SKILL, request_id="c1")
    )
    await engine.delete_learner(T, "lea")
    trail = await store.list_interventions(T, "chain", "", 0, 10)
    assert [e.learner_id for e in trail] == [""]
    assert await store.get_intervention(T, "chain", "lea", "r1") is None
    # The same learner id starting again starts with a clean slate: the old request id is
    # new again, and NOT_FOUND until they have answered.
    with pytest.raises(NotFoundError):
        await engine.interventions.intervene(T, _req())
    await _answer(engine, "e2")
    assert not (await engine.interventions.intervene(T, _req())).duplicate

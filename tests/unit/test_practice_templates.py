"""Template items on the practice page (issue 13): a variant per learner, session and
attempt, and only variants the evaluator accepts are shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from attune.content.generation import GeneratedItem, Verdict
from attune.engine.v1 import course_pb2
from attune.gateway.errors import BadRequestError
from attune.gateway.practice_templates import TRIES, TemplateQuestions
from attune.gateway.sessions import LaunchSession
from attune.gateway.sqlite_store import SqliteGatewayStore

ITEM = course_pb2.Item(item_id="i1", skill_ids=["s"], content="template:frac-add-unlike?level=2")


def _session(learner: str) -> LaunchSession:
    return LaunchSession("t", "iss", "c", "d", "sub", learner, "course", (), False)


class Refusing:
    """An evaluator refusing the first ``refusals`` items it sees (a unit-test fake)."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.seen: list[int] = []

    def evaluate(self, generated: GeneratedItem) -> Verdict:
        self.seen.append(generated.provenance.seed)
        if len(self.seen) <= self.refusals:
            return Verdict(False, ("refused by the test",))
        return Verdict(True, verified_by=("test",))


@pytest.fixture
def store(tmp_path: Path) -> SqliteGatewayStore:
    return SqliteGatewayStore(tmp_path / "g.db")


def test_learners_sessions_and_attempts_get_different_variants(store: SqliteGatewayStore) -> None:
    questions = TemplateQuestions(store)
    seeds = {questions.seed(_session(f"l{n}"), "token-a", ITEM) for n in range(20)}
    assert len(seeds) == 20  # twenty learners, twenty variants
    again = TemplateQuestions(store)
    first = again.seed(_session("solo"), "token-a", ITEM)
    second = again.seed(_session("solo"), "token-a", ITEM)
    other_session = again.seed(_session("solo"), "token-b", ITEM)
    assert len({first, second, other_session}) == 3


def test_the_same_attempt_gives_the_same_variant_in_another_process(tmp_path: Path) -> None:
    a = TemplateQuestions(SqliteGatewayStore(tmp_path / "a.db"))
    b = TemplateQuestions(SqliteGatewayStore(tmp_path / "b.db"))
    assert a.seed(_session("l"), "tok", ITEM) == b.seed(_session("l"), "tok", ITEM)


def test_a_refused_variant_is_never_shown(store: SqliteGatewayStore) -> None:
    evaluator = Refusing(refusals=1)
    seed = TemplateQuestions(store, evaluator).seed(_session("l"), "tok", ITEM)
    assert len(evaluator.seen) == 2 and seed == evaluator.seen[1] != evaluator.seen[0]


def test_an_item_whose_variants_all_fail_is_refused_with_a_reason(
    store: SqliteGatewayStore,
) -> None:
    evaluator = Refusing(refusals=TRIES)
    with pytest.raises(BadRequestError, match="no variant passed the evaluator"):
        TemplateQuestions(store, evaluator).seed(_session("l"), "tok", ITEM)
    assert len(evaluator.seen) == TRIES


def test_a_malformed_template_reference_is_a_bad_request(store: SqliteGatewayStore) -> None:
    broken = course_pb2.Item(item_id="x", skill_ids=["s"], content="template:nope?level=9")
    with pytest.raises(BadRequestError, match="cannot be shown"):
        TemplateQuestions(store).seed(_session("l"), "tok", broken)

"""A real LRS for the gateway's tests: Ralph's API server, started here on loopback.

Ralph runs over ``tests.support.ralph_append_backend``, not its own ``fs`` backend: on
ralph-malph 4.2.0 and 5.1.0 that one writes each POST into one file with operation type
CREATE, so every POST after the first answers 500. The first test shows the bug is still
there; the rest show what exactly-once delivery will rely on: statements come back as sent,
a statement id is stored once however often it is posted, and data survives a crash.

Every statement carries a ``timestamp``: without one Ralph stamps its own, and the retry of
the same statement then differs and gets 409 (shown below).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.ralph_lrs import XAPI_VERSION_HEADER, RalphLRS

pytestmark = pytest.mark.integration

HOME = "https://lms.example.edu"


@pytest.fixture(scope="module")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    """One LRS for the read/write tests; each test uses its own statement ids."""
    with RalphLRS(tmp_path_factory.mktemp("ralph")) as server:
        yield server


@pytest.fixture(scope="module")
def outage_lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    """An LRS of its own for the tests that kill it."""
    with RalphLRS(tmp_path_factory.mktemp("ralph-outage")) as server:
        yield server


def statement(**changes: Any) -> dict[str, Any]:
    """A full xAPI 1.0.3 statement with a fresh id and a fixed timestamp."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "timestamp": "2025-03-04T10:15:30.250Z",
        "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": "p-7f3a"}},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/answered",
            "display": {"en-US": "answered"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"{HOME}/courses/chem101/items/q17",
            "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction"},
        },
        "result": {"success": True, "score": {"scaled": 0.8}, "duration": "PT42.5S"},
        "context": {
            "registration": str(uuid.uuid4()),
            "platform": "Attune",
            "contextActivities": {"parent": [{"id": f"{HOME}/courses/chem101"}]},
            "extensions": {"https://attune.example.org/xapi/mastery": 0.62},
        },
        "version": "1.0.3",
    }
    body.update(changes)
    return body


def post(lrs: RalphLRS, body: Any, auth: tuple[str, str] | None = None) -> requests.Response:
    return requests.post(
        lrs.statements_url,
        json=body,
        auth=auth or lrs.auth,
        headers=XAPI_VERSION_HEADER,
        timeout=10,
    )


def copies(lrs: RalphLRS, *ids: str) -> dict[str, int]:
    stored = Counter(s["id"] for s in lrs.all_statements())
    return {i: stored[i] for i in ids}


def test_ralphs_own_fs_backend_still_fails_the_second_post(tmp_path: Path) -> None:
    """Why ralph_append_backend exists. If this fails, Ralph fixed its fs backend."""
    with RalphLRS(tmp_path, backend="fs") as stock:
        assert post(stock, statement()).status_code == 200
        second = post(stock, statement())
    assert second.status_code == 500, second.text


def test_several_posts_in_a_row_all_succeed(lrs: RalphLRS) -> None:
    sent = [statement() for _ in range(6)]
    for body in sent:
        response = post(lrs, body)
        assert response.status_code == 200, response.text
        assert response.json() == [body["id"]]
    assert copies(lrs, *(s["id"] for s in sent)) == {s["id"]: 1 for s in sent}


def test_a_batch_post_stores_every_statement(lrs: RalphLRS) -> None:
    batch = [statement() for _ in range(5)]
    response = post(lrs, batch)
    assert response.status_code == 200, response.text
    assert response.json() == [s["id"] for s in batch]
    for body in batch:
        assert lrs.get(body["id"]) is not None


def test_a_statement_reads_back_as_sent(lrs: RalphLRS) -> None:
    sent = statement()
    assert post(lrs, sent).status_code == 200
    stored = lrs.get(sent["id"])
    assert stored is not None
    assert {k: stored[k] for k in sent} == sent
    # What the LRS adds (xAPI Data 2.4.8, 2.4.9): when it stored it, and on whose authority.
    assert set(stored) - set(sent) == {"stored", "authority"}
    assert stored["authority"]["account"]["name"] == lrs.username


def test_an_unknown_id_reads_as_none(lrs: RalphLRS) -> None:
    assert lrs.get(str(uuid.uuid4())) is None


def test_the_same_id_again_is_stored_once(lrs: RalphLRS) -> None:
    sent = statement()
    assert post(lrs, sent).status_code == 200
    again = post(lrs, sent)
    # xAPI Communication 2.1.2: the LRS must not store a second copy; Ralph answers 204.
    assert again.status_code == 204, again.text
    other = post(lrs, {**sent, "result": {"success": False}})
    # ... and a different statement under the same id is a conflict.
    assert other.status_code == 409, other.text
    assert copies(lrs, sent["id"]) == {sent["id"]: 1}
    stored = lrs.get(sent["id"])
    assert stored is not None
    assert stored["result"] == sent["result"]


def test_a_retried_batch_stores_only_what_was_missing(lrs: RalphLRS) -> None:
    delivered, missing = statement(), statement()
    assert post(lrs, [delivered]).status_code == 200
    retry = post(lrs, [delivered, missing])
    assert retry.status_code == 200, retry.text
    assert retry.json() == [missing["id"]]
    assert copies(lrs, delivered["id"], missing["id"]) == {delivered["id"]: 1, missing["id"]: 1}


def test_concurrent_posts_of_one_statement_store_one_copy(lrs: RalphLRS) -> None:
    sent = statement()
    with ThreadPoolExecutor(8) as pool:
        codes = sorted(r.status_code for r in pool.map(lambda _: post(lrs, sent), range(8)))
    assert codes == [200] + [204] * 7
    assert copies(lrs, sent["id"]) == {sent["id"]: 1}


def test_without_a_timestamp_a_retry_conflicts(lrs: RalphLRS) -> None:
    """Why every statement we produce carries its own timestamp."""
    sent = statement()
    del sent["timestamp"]
    assert post(lrs, sent).status_code == 200
    assert post(lrs, sent).status_code == 409


@pytest.mark.parametrize("auth", [("attune", "wrong-pw"), ("nobody", "secret-pw"), None], ids=str)
def test_bad_credentials_get_401(lrs: RalphLRS, auth: tuple[str, str] | None) -> None:
    sent = statement()
    response = requests.post(
        lrs.statements_url, json=sent, auth=auth, headers=XAPI_VERSION_HEADER, timeout=10
    )
    assert response.status_code == 401, response.text
    read = requests.get(lrs.statements_url, auth=auth, timeout=10)
    assert read.status_code == 401
    assert lrs.get(sent["id"]) is None


def test_the_xapi_version_header_is_accepted(lrs: RalphLRS) -> None:
    sent = statement()
    headers = {"X-Experience-API-Version": "1.0.3"}
    response = requests.post(
        lrs.statements_url, json=sent, auth=lrs.auth, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    read = requests.get(
        lrs.statements_url,
        params={"statementId": sent["id"]},
        auth=lrs.auth,
        headers=headers,
        timeout=10,
    )
    assert read.status_code == 200
    assert [s["id"] for s in read.json()["statements"]] == [sent["id"]]


def test_all_statements_follows_more_links(lrs: RalphLRS) -> None:
    assert post(lrs, [statement() for _ in range(5)]).status_code == 200
    everything = lrs.all_statements()
    paged = lrs.all_statements(page_size=2)
    assert len(everything) >= 5
    assert [s["id"] for s in paged] == [s["id"] for s in everything]


def test_statements_survive_kill_and_restart(outage_lrs: RalphLRS) -> None:
    before = [statement() for _ in range(3)]
    assert post(outage_lrs, before).status_code == 200
    url = outage_lrs.url

    outage_lrs.kill()
    with pytest.raises(requests.ConnectionError):
        post(outage_lrs, statement())
    outage_lrs.restart()

    assert outage_lrs.url == url
    after = statement()
    assert post(outage_lrs, after).status_code == 200
    assert post(outage_lrs, before).status_code == 204  # a retry after the outage
    ids = [s["id"] for s in [*before, after]]
    assert copies(outage_lrs, *ids) == dict.fromkeys(ids, 1)


def test_a_write_torn_by_the_kill_is_dropped_on_restart(outage_lrs: RalphLRS) -> None:
    kept = statement()
    assert post(outage_lrs, kept).status_code == 200
    outage_lrs.kill()
    torn = statement()
    with outage_lrs.data_file.open("ab") as data:
        data.write(b'{"id": "' + torn["id"].encode() + b'", "actor": {"obj')
    outage_lrs.restart()

    assert outage_lrs.get(torn["id"]) is None
    assert post(outage_lrs, torn).status_code == 200  # the sender's retry
    assert copies(outage_lrs, kept["id"], torn["id"]) == {kept["id"]: 1, torn["id"]: 1}
    assert outage_lrs.data_file.read_bytes().endswith(b"\n")

"""Generated items through the real stack (issue 13, part 6): a real ``attune serve`` whose
default tenant has a model generator pointed at a local OpenAI-compatible server (started by
the test; nothing reaches the internet). Template and model items pass the evaluator into the
bank and the course; a wrong key is refused and never shown; a retired item leaves the course
for good; the terminology reaches the model; a learner answers a generated item."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.content_courses import Learner, course, imported, result, skill, stem_item
from tests.support.gateway_stack import Stack, running_stack
from tests.support.openai_server import OpenAIServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEY = "sk-local-test-key-0123456789"
TENANT = "default"
TERMS = b"""subject: Fractions
terms:
  numerator: the number above the line
  denominator: the number below the line
avoid:
  top number: numerator
"""


@pytest.fixture(scope="module")
def llm() -> Iterator[OpenAIServer]:
    with OpenAIServer(key=KEY) as server:
        yield server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, llm: OpenAIServer) -> Iterator[Stack]:
    generators = {
        TENANT: {"enabled": True, "base_url": llm.base_url, "model": "local-model", "api_key": KEY}
    }
    env = {"ATTUNE_GATEWAY__GENERATORS": json.dumps(generators)}
    with running_stack(tmp_path_factory.mktemp("gen"), env=env) as s:
        yield s


def _course(course_id: str) -> None:
    imported(
        stack_of[0],
        course(
            course_id,
            (skill("frac-add-unlike", "Adding fractions"),),
            (stem_item("seed-item", ("frac-add-unlike",)),),
        ),
    )


stack_of: list[Stack] = []


@pytest.fixture(autouse=True)
def _remember(stack: Stack) -> None:
    stack_of[:] = [stack]


def _generate(stack: Stack, course_id: str, **body: Any) -> requests.Response:
    return stack.admin(
        "POST",
        f"/admin/tenants/{TENANT}/content/{course_id}/generate",
        json={"skill_id": "frac-add-unlike", **body},
    )


def _items_of(stack: Stack, course_id: str) -> set[str]:
    reply = stack.admin("GET", f"/admin/tenants/{TENANT}/content/{course_id}/package")
    assert reply.status_code == 200, reply.text
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        names = [n for n in archive.namelist() if n.startswith("items/")]
        return {i["id"] for n in names for i in json.loads(archive.read(n))}


def test_template_items_are_verified_banked_and_join_the_course(stack: Stack) -> None:
    _course("gen-templates")
    reply = _generate(stack, "gen-templates", count=3, generator="template")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert len(body["admitted"]) == 3 and body["refused"] == []
    for entry in body["admitted"]:
        verdict = entry["provenance"]["verdict"]
        assert verdict["accepted"] and verdict["verified_by"]
        assert entry["status"] == "active"
    added = {e["item_id"] for e in body["admitted"]}
    assert set(body["report"]["items_added"]) == added
    assert _items_of(stack, "gen-templates") == added | {"seed-item"}
    listed = stack.admin("GET", f"/admin/tenants/{TENANT}/content/gen-templates/generated")
    assert {e["item_id"] for e in listed.json()["items"]} == added


def test_model_items_get_the_terminology_and_a_wrong_key_is_refused(
    stack: Stack, llm: OpenAIServer
) -> None:
    _course("gen-model")
    put = stack.admin("PUT", f"/admin/tenants/{TENANT}/terminology/Fractions", data=TERMS)
    assert put.status_code == 200, put.text
    mismatched = stack.admin("PUT", f"/admin/tenants/{TENANT}/terminology/Algebra", data=TERMS)
    assert mismatched.status_code == 400 and "Fractions" in mismatched.json()["reason"]
    assert stack.admin("GET", f"/admin/tenants/{TENANT}/terminology/Algebra").status_code == 404
    before = len(llm.requests)
    reply = _generate(stack, "gen-model", count=2, generator="model", subject="Fractions")
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["admitted"]) == 2
    sent = llm.requests[before:]
    assert len(sent) == 2
    assert all(r.headers.get("Authorization") == f"Bearer {KEY}" for r in sent)
    prompt = json.dumps(sent[0].body)
    assert "numerator" in prompt and "top number" in prompt  # the terms, and what to avoid
    llm.mode = "wrong_answer"
    try:
        wrong = _generate(stack, "gen-model", count=1, generator="model", subject="Fractions")
    finally:
        llm.mode = "ok"
    assert wrong.status_code == 200, wrong.text
    assert wrong.json()["admitted"] == [] and wrong.json()["report"] is None
    [refusal] = wrong.json()["refused"]
    assert "refused" in refusal["reason"]
    listed = stack.admin("GET", f"/admin/tenants/{TENANT}/content/gen-model/generated").json()
    assert len(listed["items"]) == 2  # the refused item was never banked
    assert KEY not in json.dumps(listed)


def test_generation_is_refused_with_a_reason_for_bad_requests(stack: Stack) -> None:
    _course("gen-bad")
    for body, reason in [
        ({"skill_id": "nope"}, "no skill"),
        ({"count": 50}, "count must be"),
        ({"generator": "magic"}, "generator must be"),
        ({"template": "no-such-template"}, "unknown templates"),
    ]:
        reply = stack.admin(
            "POST",
            f"/admin/tenants/{TENANT}/content/gen-bad/generate",
            json={"skill_id": "frac-add-unlike", **body},
        )
        assert reply.status_code == 400, (body, reply.text)
        assert reason in reply.json()["reason"], (body, reply.json())
    other = stack.admin(
        "POST",
        "/admin/tenants/other/content/gen-bad/generate",
        json={"skill_id": "frac-add-unlike", "generator": "model"},
    )
    assert other.status_code == 404, other.text
    assert "no engine credential" in other.json()["reason"]


def test_a_retired_item_leaves_the_course_for_good(stack: Stack) -> None:
    _course("gen-retire")
    admitted = _generate(stack, "gen-retire", count=2, generator="template").json()["admitted"]
    gone, kept = admitted[0]["item_id"], admitted[1]["item_id"]
    reply = stack.admin(
        "POST",
        f"/admin/tenants/{TENANT}/content/gen-retire/generated/{gone}/retire",
        json={"reason": "ambiguous wording"},
    )
    assert reply.status_code == 200, reply.text
    retired = reply.json()
    assert retired["status"] == "retired"
    assert retired["history"][-1]["reason"] == "ambiguous wording"
    assert retired["history"][-1]["by"] == "admin"
    assert _items_of(stack, "gen-retire") == {"seed-item", kept}
    again = stack.admin(
        "POST", f"/admin/tenants/{TENANT}/content/gen-retire/generated/{gone}/retire"
    )
    assert again.status_code == 400
    _course("gen-retire")  # a new import of the package keeps the bank's active items only
    assert _items_of(stack, "gen-retire") == {"seed-item", kept}


def test_a_learner_answers_a_generated_item_right(stack: Stack) -> None:
    _course("gen-learn")
    admitted = _generate(stack, "gen-learn", count=3, generator="template").json()["admitted"]
    keys = {e["item_id"]: e["item"] for e in admitted}
    learner = Learner.start(stack, "gen-learn")
    for _ in range(12):
        item_id = re.search(r'data-item="([^"]+)"', learner.page)
        assert item_id is not None, learner.page[:500]
        doc = keys.get(item_id.group(1))
        if doc is None:
            learner.answer("4")  # the seed item
            learner.refresh()
            continue
        answer = _key(doc)
        page = learner.answer(*answer)
        assert result(page) == "right", (doc, answer)
        return
    raise AssertionError("no generated item was shown in 12 questions")


def _key(doc: dict[str, Any]) -> tuple[str, ...]:
    if doc.get("choices"):
        return tuple(c["id"] for c in doc["choices"] if c.get("correct"))[:1]
    if doc.get("numeric_answers"):
        return (f"{doc['numeric_answers'][0]['value']:g}",)
    if doc.get("math_answer"):
        return (doc["math_answer"],)
    return (doc["text_answers"][0]["value"],)


def test_the_key_never_reaches_the_logs(stack: Stack) -> None:
    _course("gen-logs")
    assert _generate(stack, "gen-logs", generator="model").status_code == 200
    assert stack.engine.log_tail  # the child's log lines are captured
    assert KEY not in "\n".join(stack.engine.log_tail)

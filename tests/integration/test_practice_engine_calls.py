"""The practice loop's engine calls (issue 17): the answer asks RecordResponse for the next
picks and keeps the state it fetched, so the page that follows the answer makes no engine
call of its own, while a page opened fresh (no answer just before it) still asks the engine."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import requests

from tests.integration.test_observability import Stack, stack
from tests.support.gateway_stack import answer, data, field, right_answer

pytestmark = pytest.mark.integration
_SERVICE = "/attune.engine.v1.LearnerService/"


def _calls(s: Stack) -> dict[str, float]:
    assert s.obs.listener is not None
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"http://127.0.0.1:{s.obs.listener.port}/metrics", timeout=10).text
    calls = dict.fromkeys(("RecordResponse", "GetLearnerState", "Recommend"), 0.0)
    for family in text_string_to_metric_families(text):
        for x in family.samples:
            rpc = x.labels.get("method", "").removeprefix(_SERVICE)
            if x.name == "attune_engine_rpc_duration_seconds_count" and rpc in calls:
                calls[rpc] += x.value  # every status code (a first state is NOT_FOUND)
    return calls


def _loop(s: Stack) -> list[dict[str, float]]:
    http = requests.Session()
    page = http.get(s.url + "/demo", timeout=10)
    assert page.status_code == 200, page.text[:300]
    token = page.url.rsplit("/", 1)[-1]
    seen = [_calls(s)]
    store = s.app.extensions["attune"].store
    for _ in range(3):
        reply = answer(http, s.url, token, page.text, right_answer(page.text))
        assert reply.status_code == 200, reply.text[:300]
        assert 'id="next"' in reply.text
        seen.append(_calls(s))
        # The next question is chosen, but its response time starts when its page is shown.
        chosen = store.get("default", f"pending:{token}")
        assert chosen is not None and chosen["shown_at"] == 0
        before_page = time.time()
        nxt = http.get(f"{s.url}/practice/{token}", timeout=10)
        shown = store.get("default", f"pending:{token}")
        assert shown["event_id"] == chosen["event_id"] and shown["shown_at"] >= before_page
        assert nxt.status_code == 200
        # The next page shows a new question that can be answered.
        assert field(nxt.text, "event_id") and field(nxt.text, "event_id") != field(
            page.text, "event_id"
        )
        assert data(nxt.text, "item")
        page = nxt
        seen.append(_calls(s))
    # A reload (no answer just before it) asks the engine for the state again.
    again = http.get(f"{s.url}/practice/{token}", timeout=10)
    assert field(again.text, "event_id") == field(page.text, "event_id")
    seen.append(_calls(s))
    return seen


async def test_the_page_after_an_answer_makes_no_engine_call(tmp_path: Path) -> None:
    async with stack(tmp_path) as s:
        seen = await asyncio.to_thread(_loop, s)
    first = seen[0]
    assert first["GetLearnerState"] == 1 and first["Recommend"] >= 1
    for n in range(3):
        after_answer, after_page = seen[1 + 2 * n], seen[2 + 2 * n]
        assert after_answer["RecordResponse"] == n + 1
        assert after_answer["GetLearnerState"] == n + 2  # one per answer
        assert after_page == after_answer, (n, after_answer, after_page)
    assert seen[-1]["GetLearnerState"] == seen[-2]["GetLearnerState"] + 1
    assert seen[-1]["Recommend"] == seen[-2]["Recommend"]  # the question is still pending

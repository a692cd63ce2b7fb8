"""The class dashboard through the real stack (issue 14): an instructor launched from the LMS
emulator syncs the roster, two learners practise, and the dashboard shows the heatmap with
the roster's names, the struggling learner at risk, and CSV of every table; learners get 403;
the admin credential gets the whole course's report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from attune.gateway.drift_watch import DriftWatch
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.sessions import learner_pseudonym
from attune.gateway.sqlite_store import SqliteGatewayStore
from tests.support.gateway_stack import (
    Stack,
    answer,
    right_answer,
    running_stack,
    token_of,
    wait_for,
)
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import ROLE_INSTRUCTOR, ROLE_LEARNER

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LINK = "rl-class"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"ATTUNE_GATEWAY__DRIFT_POLL_SECONDS": "0.2"}
    with running_stack(tmp_path_factory.mktemp("class"), env=env) as s:
        yield s


@pytest.fixture(scope="module")
def lms(stack: Stack) -> Iterator[PlatformEmulator]:
    with PlatformEmulator() as platform:
        stack.connect(platform)
        yield platform


def _practise(stack: Stack, lms: PlatformEmulator, sub: str, right: bool, count: int) -> str:
    http = requests.Session()
    page = lms.launch(http, sub=sub, roles=[ROLE_LEARNER], resource_link_id=LINK)
    assert page.status_code == 200 and "/practice/" in page.url, page.text[:300]
    token = token_of(page)
    for _ in range(count):
        reply = answer(http, stack.url, token, page.text, right_answer(page.text) if right else "x")
        assert reply.status_code == 200
        page = http.get(f"{stack.url}/practice/{token}", timeout=20)
    return token


@pytest.fixture(scope="module")
def instructor(stack: Stack, lms: PlatformEmulator) -> Iterator[tuple[requests.Session, str]]:
    _practise(stack, lms, "learner-1", True, 6)  # Ada
    _practise(stack, lms, "learner-2", False, 16)  # Grace: wrong every time, past the diagnostic
    http = requests.Session()
    page = lms.launch(http, sub="instructor-1", roles=[ROLE_INSTRUCTOR], resource_link_id=LINK)
    assert page.status_code == 200 and "/instructor/" in page.url
    token = token_of(page)
    assert http.post(f"{stack.url}/instructor/{token}/sync", timeout=10).status_code == 200
    with http:  # closed after: an open keep-alive connection holds up the server's stop
        yield http, token


def test_the_dashboard_shows_the_class_with_names_and_who_is_at_risk(
    stack: Stack, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    page = http.get(f"{stack.url}/instructor/{token}/class", timeout=20)
    assert page.status_code == 200, page.text[:500]
    assert "<svg" in page.text and 'role="img"' in page.text
    assert "Ada Lovelace" in page.text and "Grace Hopper" in page.text
    risk = page.text[page.text.index('id="at-risk"') :]
    risk = risk[: risk.index("</ul>\n")]
    assert "Grace Hopper" in risk and "Ada Lovelace" not in risk
    assert "Repeated failures" in risk
    assert "Content-Security-Policy" in page.headers


def test_sorting_and_filtering_happen_on_the_server(
    stack: Stack, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    by_mastery = http.get(
        f"{stack.url}/instructor/{token}/class", params={"sort": "mean", "desc": "1"}, timeout=20
    ).text
    heat = by_mastery[by_mastery.index('id="heatmap"') :]
    assert heat.index("Ada Lovelace") < heat.index("Grace Hopper")
    bad = http.get(f"{stack.url}/instructor/{token}/class", params={"sort": "x"}, timeout=20)
    assert bad.status_code == 400 and "sort must be one of" in bad.text


def test_every_table_downloads_as_csv(
    stack: Stack, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    for table in ("heatmap", "at_risk", "items", "mastery_time", "drift", "gaps", "retention"):
        reply = http.get(
            f"{stack.url}/instructor/{token}/class.csv", params={"table": table}, timeout=20
        )
        assert reply.status_code == 200, (table, reply.text[:200])
        assert reply.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in reply.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
        assert rows and rows[0], table
    heat = http.get(
        f"{stack.url}/instructor/{token}/class.csv", params={"table": "heatmap"}, timeout=20
    )
    learners = {row[0] for row in csv.reader(io.StringIO(heat.content.decode("utf-8-sig")))}
    assert {"Ada Lovelace", "Grace Hopper"} <= learners
    bad = http.get(f"{stack.url}/instructor/{token}/class.csv", params={"table": "x"}, timeout=20)
    assert bad.status_code == 400


def test_a_learner_gets_403_and_the_admin_gets_the_whole_course(
    stack: Stack, lms: PlatformEmulator, instructor: tuple[requests.Session, str]
) -> None:
    token = _practise(stack, lms, "learner-1", True, 0)
    for path in ("class", "class.csv"):
        refused = requests.get(f"{stack.url}/instructor/{token}/{path}", timeout=10)
        assert refused.status_code == 403, path
    report = stack.admin("GET", "/admin/tenants/default/courses/demo/class-report")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["course_id"] == "demo" and len(body["heatmap"]) >= 2
    assert stack.admin("GET", "/admin/tenants/nope/courses/demo/class-report").status_code == 404
    anonymous = requests.get(f"{stack.url}/admin/tenants/default/courses/demo/class-report")
    assert anonymous.status_code == 401


def _learner_page(stack: Stack, http: requests.Session, token: str, learner: str) -> str:
    page = http.get(f"{stack.url}/instructor/{token}/learners/{learner}", timeout=20)
    assert page.status_code == 200, page.text[:300]
    return page.text


def _intervene(
    stack: Stack, http: requests.Session, token: str, learner: str, page: str, **form: str
) -> requests.Response:
    request_id = re.search(r'name="request_id" value="([^"]+)"', page)
    assert request_id is not None
    return http.post(
        f"{stack.url}/instructor/{token}/learners/{learner}/interventions",
        data={"request_id": request_id.group(1), **form},
        timeout=20,
    )


def test_an_exemption_is_audited_leaves_the_at_risk_list_and_sends_full_marks(
    stack: Stack, lms: PlatformEmulator, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    grace = learner_pseudonym(lms.issuer, "learner-2")
    page = _learner_page(stack, http, token, grace)
    missing = _intervene(stack, http, token, grace, page, kind="exempt", reason=" ")
    assert missing.status_code == 400 and "reason" in missing.text
    done = _intervene(stack, http, token, grace, page, kind="exempt", reason="medical leave")
    assert done.status_code == 200 and "#interventions" not in done.text  # followed the 303
    assert "is <strong>exempt</strong>" in done.text
    assert "medical leave" in done.text and "exempted the learner" in done.text
    again = _intervene(stack, http, token, grace, page, kind="exempt", reason="medical leave")
    assert again.status_code == 200
    assert again.text.count("medical leave") == done.text.count("medical leave")  # once
    wait_for(
        lambda: any(
            s["body"]["userId"] == "learner-2"
            and s["body"].get("scoreGiven") == 100.0
            and s["body"]["activityProgress"] == "Completed"
            for s in lms.scores
        )
    )
    board = http.get(f"{stack.url}/instructor/{token}/class", timeout=20).text
    assert (
        "Grace Hopper" not in board[board.index('id="risk-title"') : board.index('id="heat-title"')]
    )
    undone = _intervene(stack, http, token, grace, done.text, kind="unexempt", reason="back")
    assert "is not exempt" in undone.text


def test_granting_mastery_and_pinning_for_the_class_are_recorded(
    stack: Stack, lms: PlatformEmulator, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    ada = learner_pseudonym(lms.issuer, "learner-1")
    page = _learner_page(stack, http, token, ada)
    granted = _intervene(
        stack, http, token, ada, page, kind="grant", skill_id="whole-add", reason="tested in class"
    )
    assert granted.status_code == 200
    assert "granted mastery" in granted.text and "tested in class" in granted.text
    board = http.get(f"{stack.url}/instructor/{token}/class", timeout=20).text
    request_id = re.search(r'name="request_id" value="([^"]+)"', board)
    assert request_id is not None
    pinned = http.post(
        f"{stack.url}/instructor/{token}/class/pins",
        data={
            "request_id": request_id.group(1),
            "kind": "pin",
            "skill_id": "fractions-x",
            "reason": "unit test",
        },
        timeout=20,
    )
    assert pinned.status_code in (400, 404)  # no such skill: refused, named
    pinned = http.post(
        f"{stack.url}/instructor/{token}/class/pins",
        data={
            "request_id": request_id.group(1),
            "kind": "pin",
            "skill_id": "frac-equiv",
            "reason": "unit test next week",
        },
        timeout=20,
    )
    assert pinned.status_code == 200, pinned.text[:300]
    pins = pinned.text[pinned.text.index('id="class-pins"') :]
    assert "Equivalent fractions" in pins[: pins.index("</p>")]


def test_a_learner_cannot_intervene(
    stack: Stack, lms: PlatformEmulator, instructor: tuple[requests.Session, str]
) -> None:
    token = _practise(stack, lms, "learner-1", True, 0)
    ada = learner_pseudonym(lms.issuer, "learner-1")
    refused = requests.post(
        f"{stack.url}/instructor/{token}/learners/{ada}/interventions",
        data={"request_id": "r1", "kind": "exempt", "reason": "me"},
        timeout=10,
    )
    assert refused.status_code == 403


def test_the_drift_check_runs_once_a_period_and_shows_on_the_page(
    stack: Stack, instructor: tuple[requests.Session, str], tmp_path: Path
) -> None:
    # The stack's own watch checked the demo course when it started (polls are fast here).
    wait_for(
        lambda: bool(
            stack.admin("GET", "/admin/tenants/default/courses/demo/drift-checks").json()["checks"]
        )
    )
    http, token = instructor
    page = http.get(f"{stack.url}/instructor/{token}/class", timeout=20).text
    assert "The monthly drift check last ran" in page
    # A watch of our own, on its own store, with a clock we move: once per period.
    now = [2_000_000_000.0]
    store = SqliteGatewayStore(tmp_path / "gateway.db")
    engine = GrpcEngineClient(stack.engine.target, {"default": "dev-token"})
    try:
        watch = DriftWatch(engine, store, ["default"], 30 * 86400.0, 3600.0, lambda: now[0])
        assert watch.run_once() == 1
        assert watch.run_once() == 0
        now[0] += 29 * 86400.0
        assert watch.run_once() == 0
        now[0] += 2 * 86400.0
        assert watch.run_once() == 1
        checks = store.read_content_log("default", "demo", "drift")
        assert [c["at"] for c in checks] == [now[0], now[0] - 31 * 86400.0]
        assert all(c["skills_checked"] > 0 and c["flagged"] == [] for c in checks)
    finally:
        engine.close()
        store.close()

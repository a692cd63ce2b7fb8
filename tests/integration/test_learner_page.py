"""One learner's page through the real stack (issue 14, part 2): an instructor launched from
the LMS emulator syncs the roster and opens a struggling learner's timeline (every answer
anchored by its log id, the targets of the class dashboard's evidence links), gaps, P(L)
charts and P(L) beside DKT's prediction, and downloads it as CSV; a learner's token, a
learner outside the roster and an instructor of another context get 403."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
import requests

from attune.gateway.sessions import learner_pseudonym
from tests.support.gateway_stack import Stack, answer, right_answer, running_stack, token_of
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import ROLE_INSTRUCTOR, ROLE_LEARNER

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LINK = "rl-learner-page"
GRACE_ANSWERS = 16


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("learner")) as s:
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


def _instructor(
    stack: Stack, lms: PlatformEmulator, sub: str, **launch: str
) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = lms.launch(http, sub=sub, roles=[ROLE_INSTRUCTOR], **launch)
    assert page.status_code == 200 and "/instructor/" in page.url, page.text[:300]
    token = token_of(page)
    assert http.post(f"{stack.url}/instructor/{token}/sync", timeout=10).status_code == 200
    return http, token


@pytest.fixture(scope="module")
def instructor(stack: Stack, lms: PlatformEmulator) -> Iterator[tuple[requests.Session, str]]:
    _practise(stack, lms, "learner-1", True, 3)  # Ada
    _practise(stack, lms, "learner-2", False, GRACE_ANSWERS)  # Grace: wrong every time
    http, token = _instructor(stack, lms, "instructor-1", resource_link_id=LINK)
    with http:  # closed after: an open keep-alive connection holds up the server's stop
        yield http, token


def _grace(lms: PlatformEmulator) -> str:
    return learner_pseudonym(lms.issuer, "learner-2")


def test_the_instructor_sees_a_roster_learners_timeline(
    stack: Stack, lms: PlatformEmulator, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    page = http.get(f"{stack.url}/instructor/{token}/learners/{_grace(lms)}", timeout=20)
    assert page.status_code == 200, page.text[:500]
    assert "Content-Security-Policy" in page.headers
    text = page.text
    assert "<h1>Grace Hopper</h1>" in text
    rows = re.findall(r'<tr id="log-(\d+)">', text)
    assert len(rows) == GRACE_ANSWERS and rows == sorted(rows, key=int)
    timeline = text[text.index('id="timeline"') :]
    assert timeline.count('<span class="wrong">wrong</span>') == GRACE_ANSWERS
    assert "→" in timeline  # P(L) before and after
    assert "P(L) and DKT&#39;s prediction" in text or "P(L) and DKT's prediction" in text
    assert 'id="why-differ"' in text and "whole sequence" in text and 'id="no-dkt"' in text
    beliefs = text[text.index('id="beliefs"') : text.index('id="why-differ"')]
    assert beliefs.count('<th scope="row">') >= 2
    assert 'id="beliefs-untouched"' in beliefs  # the demo course's skills Grace never saw
    assert "<svg" in text and 'role="img"' in text and "mastery threshold" in text
    # The class dashboard's at-risk evidence links here, to rows that exist.
    board = http.get(f"{stack.url}/instructor/{token}/class", timeout=20).text
    risk = board[board.index('id="at-risk"') :]
    links = re.findall(rf"/instructor/{token}/learners/{_grace(lms)}#log-(\d+)", risk)
    assert links and set(links) <= set(rows)


def test_the_timeline_downloads_as_csv(
    stack: Stack, lms: PlatformEmulator, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    page = http.get(f"{stack.url}/instructor/{token}/learners/{_grace(lms)}", timeout=20).text
    reply = http.get(f"{stack.url}/instructor/{token}/learners/{_grace(lms)}.csv", timeout=20)
    assert reply.status_code == 200, reply.text[:300]
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in reply.headers["Content-Disposition"]
    assert "Grace" in reply.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert len(rows) == GRACE_ANSWERS
    assert [r["log_id"] for r in rows] == re.findall(r'<tr id="log-(\d+)">', page)
    assert {r["correct"] for r in rows} == {"false"}
    assert all(r["recommended_next"] and r["p_known_after"] for r in rows)


def test_a_roster_member_without_answers_has_an_empty_page_and_no_csv(
    stack: Stack, lms: PlatformEmulator, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    teacher = learner_pseudonym(lms.issuer, "instructor-1")  # in the roster, never answered
    page = http.get(f"{stack.url}/instructor/{token}/learners/{teacher}", timeout=20)
    assert page.status_code == 200 and 'id="no-answers"' in page.text
    assert http.get(f"{stack.url}/instructor/{token}/learners/{teacher}.csv").status_code == 404


def test_learners_outsiders_and_other_contexts_get_403(
    stack: Stack, lms: PlatformEmulator, instructor: tuple[requests.Session, str]
) -> None:
    http, token = instructor
    grace = _grace(lms)
    # A learner's own token, even for their own timeline.
    learner = _practise(stack, lms, "learner-2", False, 0)
    for path in (grace, f"{grace}.csv"):
        refused = requests.get(f"{stack.url}/instructor/{learner}/learners/{path}", timeout=10)
        assert refused.status_code == 403, path
    # A learner who answered but is not in the synced roster.
    _practise(stack, lms, "learner-9", False, 1)
    outsider = learner_pseudonym(lms.issuer, "learner-9")
    for path in (outsider, f"{outsider}.csv", "lti-made-up"):
        refused = http.get(f"{stack.url}/instructor/{token}/learners/{path}", timeout=10)
        assert refused.status_code == 403, path
    # An instructor of another context, whose roster does not hold Grace.
    with lms.lock:
        everyone = lms.members
        lms.members = [m for m in everyone if m["user_id"] != "learner-2"]
    try:
        other, other_token = _instructor(
            stack, lms, "instructor-1", context_id="course-2", resource_link_id="rl-other"
        )
    finally:
        with lms.lock:
            lms.members = everyone
    for path in (grace, f"{grace}.csv"):
        refused = other.get(f"{stack.url}/instructor/{other_token}/learners/{path}", timeout=10)
        assert refused.status_code == 403, path
    assert http.get(f"{stack.url}/instructor/{token}/learners/{grace}").status_code == 200

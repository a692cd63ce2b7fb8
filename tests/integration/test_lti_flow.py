"""The LTI tool end to end over real HTTP: a platform emulator, a real ``attune serve`` (engine
and gateway), deep linking, launches, practice to mastery, and the score arriving at the
platform's AGS endpoint with the right progress values; the roster; dynamic registration;
and the LMS being down while grades flow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from attune.engine.demo.course import demo_course
from attune.gateway.sessions import learner_pseudonym
from tests.support.gateway_stack import (
    Stack,
    answer,
    deep_link_activity,
    practise_until_done,
    right_answer,
    running_stack,
    token_of,
    wait_for,
)
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import (
    MESSAGE_DEEP_LINKING,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as s:
        yield s


@pytest.fixture
def lms(stack: Stack) -> Iterator[PlatformEmulator]:
    with PlatformEmulator() as platform:
        stack.connect(platform)
        yield platform


def test_deep_link_launch_practice_mastery_and_the_score_arrives(
    stack: Stack, lms: PlatformEmulator
) -> None:
    skill = demo_course().order[0]
    activity = deep_link_activity(stack, lms, [skill], "Counting practice")
    # The platform creates the line item the deep link asked for, on the new resource link.
    lineitem = lms.add_lineitem(
        label="Counting practice",
        score_maximum=100,
        resource_link_id="rl-counting",
        resource_id=activity,
        tag="attune-mastery",
    )
    http = requests.Session()
    page = lms.launch(
        http,
        sub="learner-ada",
        roles=[ROLE_LEARNER],
        resource_link_id="rl-counting",
        custom={"activity_id": activity},
    )
    assert page.status_code == 200 and "/practice/" in page.url
    assert "Counting practice" in page.text and 'id="answer"' in page.text
    assert "Why this question?" in page.text
    token = token_of(page)
    # The first launch tells the platform the learner started (no score yet).
    wait_for(lambda: len(lms.scores) >= 1)
    first = lms.scores[0]["body"]
    assert first["activityProgress"] == "Started" and first["gradingProgress"] == "NotReady"
    assert first["userId"] == "learner-ada" and "scoreGiven" not in first

    # One wrong answer first: the feedback shows the worked answer.
    wrong = answer(http, stack.url, token, page.text, "not a number")
    assert wrong.status_code == 200 and 'data-result="wrong"' in wrong.text
    assert right_answer(page.text) in wrong.text

    answers = practise_until_done(http, stack.url, token, lambda p, n: right_answer(p))
    assert answers + 1 >= 3  # the mastery rule needs 3 attempts, the wrong one included
    wait_for(lambda: lms.scores[-1]["body"]["activityProgress"] == "Completed")
    final = lms.scores[-1]
    assert final["lineitem"] == lineitem
    assert final["body"]["gradingProgress"] == "FullyGraded"
    assert final["body"]["scoreGiven"] == 100.0 and final["body"]["scoreMaximum"] == 100.0
    assert final["body"]["userId"] == "learner-ada"
    # Scores only ever move forward in time, and the in-progress ones were FullyGraded too.
    stamps = [s["body"]["timestamp"] for s in lms.scores]
    assert stamps == sorted(stamps)
    # One service token served every score (cached until it nearly expires).
    accepted = [t for t in lms.token_requests if t.get("accepted")]
    assert len(accepted) == 1


def test_a_resubmitted_answer_is_recorded_once(stack: Stack, lms: PlatformEmulator) -> None:
    http = requests.Session()
    page = lms.launch(http, sub="learner-twice", roles=[ROLE_LEARNER], resource_link_id="rl-2")
    token = token_of(page)
    first = answer(http, stack.url, token, page.text, right_answer(page.text))
    again = answer(http, stack.url, token, page.text, right_answer(page.text))
    assert first.status_code == again.status_code == 200
    assert first.text == again.text
    progress = http.get(f"{stack.url}/practice/{token}", timeout=10)
    assert progress.status_code == 200
    learner = learner_pseudonym(lms.issuer, "learner-twice")
    state = http.get(
        f"{stack.url}/api/learners/{learner}/progress",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    attempts = {s["skill_id"]: s for s in state["skills"]}
    assert len(attempts) == len(demo_course().skills)


def test_scores_wait_out_an_lms_outage_and_arrive_once(stack: Stack, lms: PlatformEmulator) -> None:
    activity = deep_link_activity(stack, lms, [demo_course().order[0]], "Outage")
    lineitem = lms.add_lineitem(label="Outage", score_maximum=100, resource_link_id="rl-out")
    http = requests.Session()
    page = lms.launch(
        http,
        sub="learner-out",
        roles=[ROLE_LEARNER],
        resource_link_id="rl-out",
        custom={"activity_id": activity},
    )
    token = token_of(page)
    wait_for(lambda: any(s["lineitem"] == lineitem for s in lms.scores))
    lms.set_down(True)
    practise_until_done(http, stack.url, token, lambda p, n: right_answer(p))
    pending = stack.admin("GET", "/admin/tenants/default/outbox?status=pending").json()["items"]
    mine = [i for i in pending if i["payload"]["lineitem"] == lineitem]
    wait_for(lambda: _attempts(stack, lineitem) >= 2)
    assert mine, "the score waits in the outbox while the LMS is down"
    before = len([s for s in lms.scores if s["lineitem"] == lineitem])
    lms.set_down(False)
    wait_for(lambda: _completed(lms, lineitem))
    delivered = [s for s in lms.scores if s["lineitem"] == lineitem][before:]
    # Only the latest grade is sent after the outage: older undelivered ones were superseded.
    assert [s["body"]["activityProgress"] for s in delivered] == ["Completed"]
    left = stack.admin("GET", "/admin/tenants/default/outbox?status=pending").json()["items"]
    assert not [i for i in left if i["payload"]["lineitem"] == lineitem]


def _attempts(stack: Stack, lineitem: str) -> int:
    items = stack.admin("GET", "/admin/tenants/default/outbox?status=pending").json()["items"]
    return max((i["attempts"] for i in items if i["payload"]["lineitem"] == lineitem), default=0)


def _completed(lms: PlatformEmulator, lineitem: str) -> bool:
    return any(
        s["lineitem"] == lineitem and s["body"]["activityProgress"] == "Completed"
        for s in lms.scores
    )


def test_instructors_sync_the_roster_and_see_progress(stack: Stack, lms: PlatformEmulator) -> None:
    http = requests.Session()
    page = lms.launch(http, sub="teacher-2", roles=[ROLE_INSTRUCTOR], resource_link_id="rl-3")
    assert page.status_code == 200 and "/instructor/" in page.url
    assert "No roster yet" in page.text
    token = token_of(page)
    synced = http.post(f"{stack.url}/instructor/{token}/sync", timeout=10)
    assert synced.status_code == 200
    learners = [m for m in lms.members if any(r.endswith("#Learner") for r in m["roles"])]
    assert learners
    for member in learners:
        assert f'data-user="{member["user_id"]}"' in synced.text


def test_dynamic_registration_registers_a_platform_with_one_url(stack: Stack) -> None:
    with PlatformEmulator(client_id="unused") as lms:
        url = stack.admin("POST", "/admin/tenants/default/registration-urls").json()["url"]
        page = requests.get(lms.dynamic_registration_url(url), timeout=10)
        assert page.status_code == 200, page.text
        assert "org.imsglobal.lti.close" in page.text
        [sent] = lms.registrations
        assert sent["initiate_login_uri"] == stack.url + "/lti/login"
        regs = stack.admin("GET", "/admin/tenants/default/registrations").json()
        mine = [r for r in regs["registrations"] if r["issuer"] == lms.issuer]
        assert len(mine) == 1 and mine[0]["deployment_ids"]
        # The URL works once.
        again = requests.get(lms.dynamic_registration_url(url), timeout=10)
        assert again.status_code == 401 and "already used" in again.text


def test_the_demo_page_practises_without_an_lms(stack: Stack) -> None:
    http = requests.Session()
    page = http.get(stack.url + "/demo", timeout=10)
    assert page.status_code == 200 and "/practice/" in page.url
    assert 'id="answer"' in page.text and '<label for="answer">' in page.text
    right = answer(http, stack.url, token_of(page), page.text, right_answer(page.text))
    assert 'data-result="right"' in right.text
    other = http.get(stack.url + "/demo?course=no-such-course", timeout=10)
    assert other.status_code == 404 and "no-such-course" in other.text


def test_service_tokens_are_reused_only_until_shortly_before_they_expire(
    stack: Stack, lms: PlatformEmulator
) -> None:
    # The token expires within the margin (60 s), so the gateway never reuses it; the cache
    # window itself runs on an injected clock in tests/unit/test_service_tokens.py.
    lms.token_lifetime = 60
    lms.add_lineitem(label="Tokens", score_maximum=100, resource_link_id="rl-tok")
    http = requests.Session()
    page = lms.launch(http, sub="learner-tok", roles=[ROLE_LEARNER], resource_link_id="rl-tok")
    wait_for(lambda: len(lms.scores) == 1)
    answer(http, stack.url, token_of(page), page.text, right_answer(page.text))
    wait_for(lambda: len(lms.scores) == 2)
    accepted = [t for t in lms.token_requests if t.get("accepted")]
    assert len(accepted) == 2  # the first token had expired (by our margin) and was renewed


def test_a_bad_activity_choice_is_refused_and_nothing_is_sent(
    stack: Stack, lms: PlatformEmulator
) -> None:
    http = requests.Session()
    picker = lms.launch(
        http, message_type=MESSAGE_DEEP_LINKING, roles=[ROLE_INSTRUCTOR], sub="teacher-bad"
    )
    token = token_of(picker)
    for data, reason in (
        ({"course_id": "no-such-course"}, "no-such-course"),
        ({"course_id": "demo", "skill_ids": ["not-a-skill"]}, "not-a-skill"),
    ):
        refused = http.post(f"{stack.url}/lti/deep-link/{token}", data=data, timeout=10)
        assert refused.status_code == 400 and reason in refused.text
    assert lms.deep_link_responses == []
    # A learner's session cannot pick activities.
    learner = token_of(lms.launch(http, sub="learner-dl", roles=[ROLE_LEARNER]))
    forbidden = http.post(
        f"{stack.url}/lti/deep-link/{learner}", data={"course_id": "demo"}, timeout=10
    )
    assert forbidden.status_code == 403


def test_the_canvas_developer_key_names_the_gateways_urls(stack: Stack) -> None:
    key = requests.get(f"{stack.url}/lti/config/canvas.json", timeout=10).json()
    assert key["oidc_initiation_url"] == f"{stack.url}/lti/login"
    assert key["target_link_uri"] == f"{stack.url}/lti/launch"
    assert key["public_jwk_url"] == f"{stack.url}/lti/jwks"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in key["scopes"]
    [canvas] = key["extensions"]
    assert {p["placement"] for p in canvas["settings"]["placements"]} == {
        "assignment_selection",
        "link_selection",
    }
    jwks = requests.get(key["public_jwk_url"], timeout=10).json()
    assert jwks["keys"] and all(k["kty"] == "RSA" and "d" not in k for k in jwks["keys"])

"""Launches and practice pages under attack (issue 11, items 8, 10 and 11), over real HTTP: a
real ``attune serve`` and the platform emulator.

- 8: a launch signed by the registered platform with a wrongly typed claim is refused with 400
  naming the claim, and its state and nonce still complete the real launch.
- 10: a learner posting another learner's ``event_id`` learns nothing about that answer.
- 11: a login's state completes only that login's launch (its nonce, its platform).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from attune.gateway.lti import claims as c
from tests.integration.test_lti_security import Login
from tests.support.gateway_stack import Stack, field, running_stack, token_of
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import MESSAGE_DEEP_LINKING, ROLE_LEARNER

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as s:
        yield s


@pytest.fixture(scope="module")
def lms(stack: Stack) -> Iterator[PlatformEmulator]:
    with PlatformEmulator() as platform:
        stack.connect(platform)
        yield platform


AGS = {"scope": [c.SCOPE_SCORE], "lineitems": "https://lms.example/ags/course-1/lineitems"}
DEEP = {"message_type": MESSAGE_DEEP_LINKING}
# case -> (claims replaced in the signed id_token, the claim the refusal names)
BAD_CLAIMS: dict[str, tuple[dict[str, Any], str]] = {
    "custom as a list": ({c.CUSTOM: ["activity_id", "x"]}, "claim custom must be a JSON object"),
    "custom.course_id a number": ({c.CUSTOM: {"course_id": 1}}, "custom.course_id"),
    "context as a string": ({c.CONTEXT: "course-1"}, "claim context must be a JSON object"),
    "context.id an object": ({c.CONTEXT: {"id": {"x": 1}}}, "context.id must be a string"),
    "roles not strings": ({c.ROLES: [1, None]}, "claim roles must be a list of strings"),
    "roles as a string": ({c.ROLES: ROLE_LEARNER}, "claim roles must be a list of strings"),
    "roles as an object": ({c.ROLES: {"a": 1}}, "claim roles must be a list of strings"),
    "resource_link as a list": ({c.RESOURCE_LINK: ["rl-1"]}, "claim resource_link must be"),
    "resource_link.id a number": ({c.RESOURCE_LINK: {"id": 7}}, "resource_link.id"),
    "ags as a string": ({c.AGS_ENDPOINT: "https://x"}, "claim lti-ags endpoint must be"),
    "ags scope a string": ({c.AGS_ENDPOINT: {**AGS, "scope": c.SCOPE_SCORE}}, "scope"),
    "ags lineitem a number": ({c.AGS_ENDPOINT: {**AGS, "lineitem": 3}}, "lineitem must"),
    "nrps as a list": ({c.NRPS: ["https://x"]}, "claim lti-nrps namesroleservice must be"),
    "nrps url a list": ({c.NRPS: {"context_memberships_url": []}}, "context_memberships_url"),
    "deep linking settings as a list": (
        {**DEEP, c.DL_SETTINGS: ["https://x"]},
        "claim deep_linking_settings must be a JSON object",
    ),
    "deep linking accept_types a string": (
        {**DEEP, c.DL_SETTINGS: {"deep_link_return_url": "https://x", "accept_types": "x"}},
        "deep_linking_settings.accept_types",
    ),
    "deployment_id a number": ({c.DEPLOYMENT_ID: 1}, "claim deployment_id must be a string"),
    "given_name a list": ({"given_name": ["Ada"]}, "claim given_name must be a string"),
}


@pytest.mark.parametrize("case", list(BAD_CLAIMS))
def test_a_wrongly_typed_claim_is_refused_naming_it_and_consumes_nothing(
    stack: Stack, lms: PlatformEmulator, case: str
) -> None:
    overrides, named = BAD_CLAIMS[case]
    login = Login(stack, lms, sub=f"learner-types-{case.replace(' ', '-')}")
    refused = login.post(lms.sign(login.claims(**overrides)))
    assert refused.status_code == 400, refused.text
    assert named in refused.text
    assert "/practice/" not in refused.url
    # The state and the nonce were not consumed: the same login's real launch goes through.
    good = login.good()
    assert good.status_code == 200 and "/practice/" in good.url


def test_a_state_completes_only_its_own_logins_launch(stack: Stack, lms: PlatformEmulator) -> None:
    first = Login(stack, lms, sub="learner-state-1")
    second = Login(stack, lms, sub="learner-state-2")
    # The second login's id_token (its nonce) with the first login's state.
    crossed = first.post(lms.sign(second.claims()), state=first.state)
    assert crossed.status_code == 401, crossed.text
    assert "nonce was not issued with this state" in crossed.text
    assert "/practice/" not in crossed.url
    # Nothing was consumed: each login still completes its own launch.
    assert "/practice/" in first.good().url
    assert "/practice/" in second.good().url


def test_a_state_issued_for_another_platform_is_refused(
    stack: Stack, lms: PlatformEmulator
) -> None:
    with PlatformEmulator(client_id="other-client") as other:
        stack.connect(other)
        theirs = Login(stack, other, sub="learner-other")
        # Our platform's id_token carrying the other login's nonce, with its state.
        forged = theirs.post(lms.sign(lms.id_token_claims(nonce=theirs.nonce, sub="x")))
        assert forged.status_code == 401, forged.text
        assert "state belongs to another platform" in forged.text
        assert "/practice/" in theirs.good().url


def _question(http: requests.Session, lms: PlatformEmulator, sub: str) -> tuple[str, str]:
    page = lms.launch(http, sub=sub, roles=[ROLE_LEARNER], resource_link_id=f"rl-{sub}")
    assert page.status_code == 200 and 'id="answer"' in page.text, page.text
    return token_of(page), field(page.text, "event_id")


def test_a_learner_cannot_read_another_learners_feedback(
    stack: Stack, lms: PlatformEmulator
) -> None:
    ada, bob = requests.Session(), requests.Session()
    ada_token, ada_event = _question(ada, lms, "ada-feedback")
    bob_token, bob_event = _question(bob, lms, "bob-feedback")
    secret = "ada-wrote-this-7731"
    answered = ada.post(
        f"{stack.url}/practice/{ada_token}/answer",
        data={"event_id": ada_event, "answer": secret},
        timeout=20,
    )
    assert answered.status_code == 200 and secret in answered.text

    def post(token: str, event_id: str) -> requests.Response:
        data = {"event_id": event_id, "answer": "1"}
        return bob.post(f"{stack.url}/practice/{token}/answer", data=data, timeout=20)

    foreign = post(bob_token, ada_event)
    unknown = post(bob_token, "00000000-0000-4000-8000-000000000000")
    assert foreign.status_code == unknown.status_code == 400
    assert secret not in foreign.text and "data-result" not in foreign.text
    assert "no longer waiting" in foreign.text
    assert foreign.text.count("no longer waiting") == unknown.text.count("no longer waiting")
    # Ada's own retry still shows her feedback, and Bob's question still waits for him.
    retried = ada.post(
        f"{stack.url}/practice/{ada_token}/answer",
        data={"event_id": ada_event, "answer": secret},
        timeout=20,
    )
    assert retried.status_code == 200 and secret in retried.text
    own = post(bob_token, bob_event)
    assert own.status_code == 200 and 'data-result="' in own.text

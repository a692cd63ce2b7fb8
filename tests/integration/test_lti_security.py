"""Launches that must be refused, each with a 4xx naming the reason and nothing stored; the
gaps of pylti1p3 that Attune closes (replays, clock skew, platform key rotation); and a
learner's session reaching for another learner's page."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from attune.gateway.lti import claims as c
from attune.gateway.sessions import learner_pseudonym
from tests.support.gateway_stack import Stack, running_stack, token_of
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import ROLE_INSTRUCTOR, ROLE_LEARNER

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


class Login:
    """A login initiation the tool answered: the state and nonce it issued."""

    def __init__(self, stack: Stack, lms: PlatformEmulator, sub: str) -> None:
        self.stack, self.lms, self.sub = stack, lms, sub
        self.http = requests.Session()
        redirect = self.http.get(lms.prepare_launch(sub=sub), allow_redirects=False, timeout=10)
        assert redirect.status_code == 302, redirect.text
        query = parse_qs(urlsplit(redirect.headers["Location"]).query)
        self.state, self.nonce = query["state"][0], query["nonce"][0]

    def claims(self, **overrides: Any) -> dict[str, Any]:
        return self.lms.id_token_claims(nonce=self.nonce, sub=self.sub, **overrides)

    def post(self, id_token: str, state: str | None = None) -> requests.Response:
        return self.http.post(
            self.stack.url + "/lti/launch",
            data={"id_token": id_token, "state": state or self.state},
            timeout=10,
        )

    def good(self) -> requests.Response:
        return self.post(self.lms.sign(self.claims()))


def _foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _expired(login: Login) -> str:
    now = time.time()
    return login.lms.sign(login.claims(now=now - 4000, exp=int(now - 3600)))


def _without(*names: str) -> Callable[[Login], str]:
    def build(login: Login) -> str:
        body = login.claims()
        for name in names:
            body.pop(name, None)
        return login.lms.sign(body)

    return build


def _deployment(login: Login) -> str:
    body = login.claims()
    body[c.DEPLOYMENT_ID] = "dep-nobody-installed"
    return login.lms.sign(body)


REFUSALS: dict[str, tuple[Callable[[Login], str], str]] = {
    "wrong signature": (lambda lg: lg.lms.sign(lg.claims(), key=_foreign_key()), "Signature"),
    "expired": (_expired, "expired"),
    "wrong aud": (
        lambda lg: lg.lms.sign(lg.claims(aud="another-tool")),
        "aud &#39;another-tool&#39; does not include our client id",
    ),
    "several audiences, no azp": (
        lambda lg: lg.lms.sign(lg.claims(aud=[lg.lms.client_id, "x"], azp=None)),
        "azp",
    ),
    "unknown deployment": (_deployment, "deployment"),
    "missing sub": (_without("sub"), "sub"),
    "missing roles and version": (_without(c.ROLES, c.VERSION), "version, roles"),
    "iat far in the future": (
        lambda lg: lg.lms.sign(lg.claims(now=time.time() + 600)),
        "not yet valid",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_bad_launch_is_refused_with_the_reason_and_changes_nothing(
    stack: Stack, lms: PlatformEmulator, case: str
) -> None:
    build, reason = REFUSALS[case]
    login = Login(stack, lms, sub=f"learner-{case.replace(' ', '-')}")
    refused = login.post(build(login))
    assert refused.status_code == 401, refused.text
    assert reason in refused.text
    assert "/practice/" not in refused.url
    # Nothing was consumed: the same login's real launch still goes through.
    good = login.good()
    assert good.status_code == 200 and "/practice/" in good.url


def test_a_replayed_launch_is_refused(stack: Stack, lms: PlatformEmulator) -> None:
    login = Login(stack, lms, sub="learner-replay")
    token = lms.sign(login.claims())
    assert "/practice/" in login.post(token).url
    same = login.post(token)
    assert same.status_code == 401 and "already used" in same.text
    # A fresh login (fresh state) with the captured id_token: its nonce was used.
    other = Login(stack, lms, sub="learner-replay")
    again = other.post(token)
    assert again.status_code == 401 and "nonce was already used" in again.text
    assert "/practice/" in other.good().url  # the fresh login itself still works


def test_a_platform_clock_a_little_ahead_is_allowed(stack: Stack, lms: PlatformEmulator) -> None:
    login = Login(stack, lms, sub="learner-skew")
    ahead = login.post(lms.sign(login.claims(now=time.time() + 30)))
    assert ahead.status_code == 200 and "/practice/" in ahead.url


def test_platform_keys_are_cached_and_refetched_on_a_kid_miss(
    stack: Stack, lms: PlatformEmulator
) -> None:
    assert "/practice/" in Login(stack, lms, sub="learner-k1").good().url  # JWKS now cached
    fetched = lms.jwks_fetches
    for n in range(3):
        assert "/practice/" in Login(stack, lms, sub=f"learner-k1-{n}").good().url
    assert lms.jwks_fetches == fetched  # three launches, no fetch: the keys were cached
    # No wait: the refetch rate limit starts at a kid miss, and this platform has had none.
    new_kid = lms.rotate_keys()
    login = Login(stack, lms, sub="learner-k2")
    launched = login.post(lms.sign(login.claims(), kid=new_kid))
    assert launched.status_code == 200 and "/practice/" in launched.url
    assert lms.jwks_fetches == fetched + 1  # one refetch for the unknown kid
    # A made-up kid right after: refused, and no second refetch inside the rate limit.
    other = Login(stack, lms, sub="learner-k3")
    forged = other.post(lms.sign(other.claims(), kid="made-up-kid", key=_foreign_key()))
    assert forged.status_code == 401 and "made-up-kid" in forged.text
    assert lms.jwks_fetches == fetched + 1


def test_login_from_an_unknown_platform_is_refused(stack: Stack) -> None:
    reply = requests.get(
        stack.url + "/lti/login",
        params={"iss": "https://unknown.example", "login_hint": "u", "target_link_uri": "x"},
        timeout=10,
    )
    assert reply.status_code == 400 and "no registration for issuer" in reply.text


def test_a_learner_cannot_reach_another_learners_page(
    stack: Stack, lms: PlatformEmulator, tmp_path: Path
) -> None:
    http = requests.Session()
    ada = token_of(lms.launch(http, sub="ada", roles=[ROLE_LEARNER]))
    bob = learner_pseudonym(lms.issuer, "bob")
    mine = learner_pseudonym(lms.issuer, "ada")
    own = http.get(
        f"{stack.url}/api/learners/{mine}/progress",
        headers={"Authorization": f"Bearer {ada}"},
        timeout=10,
    )
    assert own.status_code == 200 and own.json()["learner_id"] == mine
    other = http.get(
        f"{stack.url}/api/learners/{bob}/progress",
        headers={"Authorization": f"Bearer {ada}"},
        timeout=10,
    )
    assert other.status_code == 403 and "own learner" in other.json()["reason"]
    staff_page = http.get(f"{stack.url}/instructor/{ada}", timeout=10)
    assert staff_page.status_code == 403 and "instructors" in staff_page.text
    forged = http.get(f"{stack.url}/practice/{ada[:-2]}xx", timeout=10)
    assert forged.status_code == 401 and "session" in forged.text
    # An instructor of the context may read a learner once the roster is synced.
    teacher = token_of(lms.launch(http, sub="teacher-x", roles=[ROLE_INSTRUCTOR]))
    member = lms.members[0]["user_id"]
    learner = learner_pseudonym(lms.issuer, member)
    assert (
        http.get(
            f"{stack.url}/api/learners/{learner}/progress",
            headers={"Authorization": f"Bearer {teacher}"},
            timeout=10,
        ).status_code
        == 403
    )
    http.post(f"{stack.url}/instructor/{teacher}/sync", timeout=10)
    assert (
        http.get(
            f"{stack.url}/api/learners/{learner}/progress",
            headers={"Authorization": f"Bearer {teacher}"},
            timeout=10,
        ).status_code
        == 200
    )

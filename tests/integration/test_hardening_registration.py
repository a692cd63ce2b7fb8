"""Dynamic Registration under attack (issue 11, item 1), over real HTTP: a real ``attune serve``
with two tenants, and platform emulators that lie about their issuer, hand out a client id
another tenant owns, or answer with internal error pages.

- The takeover: a URL minted for tenant B, an ``openid_configuration`` of
  ``http://lms.victim.example@127.0.0.1:PORT/...`` and a discovery document claiming tenant A's
  issuer. Refused; A's registration and A's logins are unchanged; B's URL still works.
- An issuer and client id registered in another tenant are refused.
- A failed fetch leaves the URL usable, and the refusal repeats nothing the remote sent.
- Without ``allow_private_registration_targets`` a loopback target is refused before any fetch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from attune.gateway.errors import BadRequestError
from attune.gateway.lti.dynamic import mint_url, register
from attune.gateway.sqlite_store import SqliteGatewayStore
from tests.support.gateway_stack import Stack, running_stack
from tests.support.lti_platform import PlatformEmulator

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VICTIM = "http://lms.victim.example"
TWO_TENANTS = {
    "ATTUNE_AUTH__TOKENS": '{"dev-token": "default", "b-token": "tenant-b"}',
    "ATTUNE_GATEWAY__ENGINE_TOKENS": '{"default": "dev-token", "tenant-b": "b-token"}',
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack"), env=TWO_TENANTS) as s:
        yield s


def _registrations(stack: Stack, tenant: str) -> list[dict[str, Any]]:
    reply = stack.admin("GET", f"/admin/tenants/{tenant}/registrations")
    assert reply.status_code == 200, reply.text
    return list(reply.json()["registrations"])


def _mint(stack: Stack, tenant: str) -> str:
    reply = stack.admin("POST", f"/admin/tenants/{tenant}/registration-urls")
    assert reply.status_code == 200, reply.text
    return str(reply.json()["url"])


def _open(url: str, openid_configuration: str, token: str) -> requests.Response:
    """The platform opening the tool's registration URL (LTI-DR §3.3); refusals as JSON."""
    params = {"openid_configuration": openid_configuration, "registration_token": token}
    return requests.get(url, params=params, headers={"Accept": "application/json"}, timeout=20)


def _token(lms: PlatformEmulator) -> str:
    token = f"reg-{len(lms.registration_tokens)}-{id(lms)}"
    with lms.lock:
        lms.registration_tokens.add(token)
    return token


def _login_location(stack: Stack, issuer: str, client_id: str) -> str:
    reply = requests.get(
        stack.url + "/lti/login",
        params={
            "iss": issuer,
            "client_id": client_id,
            "login_hint": "u",
            "target_link_uri": stack.url + "/lti/launch",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert reply.status_code == 302, reply.text
    return str(reply.headers["Location"])


def test_the_registration_takeover_is_refused_and_tenant_a_is_unchanged(stack: Stack) -> None:
    victim = {
        "issuer": VICTIM,
        "client_id": "victim-client",
        "auth_login_url": VICTIM + "/auth",
        "auth_token_url": VICTIM + "/token",
        "key_set_url": VICTIM + "/jwks",
        "deployment_ids": ["dep-v"],
    }
    assert stack.admin("PUT", "/admin/tenants/default/registrations", json=victim).ok
    before = _registrations(stack, "default")
    assert _login_location(stack, VICTIM, "victim-client").startswith(VICTIM + "/auth?")
    url_b = _mint(stack, "tenant-b")
    with PlatformEmulator() as attacker:
        attacker.discovery_issuer = VICTIM
        attacker.registered_client_id = "victim-client"
        port = urlsplit(attacker.issuer).port
        attack = f"{VICTIM}@127.0.0.1:{port}/.well-known/openid-configuration"
        refused = _open(url_b, attack, _token(attacker))
        assert refused.status_code == 400, refused.text
        assert "must not carry a user name" in refused.text
        # Without the userinfo trick: the discovery document names an issuer on another
        # origin than the URL it came from.
        own = attacker.issuer + "/.well-known/openid-configuration"
        refused = _open(url_b, own, _token(attacker))
        assert refused.status_code == 400, refused.text
        assert "not on the origin" in refused.text
        assert attacker.registrations == []  # the attacker's /register was never called
    assert _registrations(stack, "default") == before
    assert _registrations(stack, "tenant-b") == []
    assert _login_location(stack, VICTIM, "victim-client").startswith(VICTIM + "/auth?")
    # B's one-time URL was not used up: a real platform registers with it.
    with PlatformEmulator() as honest:
        page = requests.get(honest.dynamic_registration_url(url_b), timeout=20)
        assert page.status_code == 200, page.text
        [mine] = _registrations(stack, "tenant-b")
        assert mine["issuer"] == honest.issuer and mine["tenant"] == "tenant-b"


def test_an_issuer_and_client_id_of_another_tenant_are_refused(stack: Stack) -> None:
    with PlatformEmulator(client_id="shared-client") as lms:
        stack.connect(lms, tenant="default")
        before = _registrations(stack, "default")
        lms.registered_client_id = "shared-client"
        url_b = _mint(stack, "tenant-b")
        refused = requests.get(lms.dynamic_registration_url(url_b), timeout=20)
        assert refused.status_code == 400, refused.text
        assert "already registered" in refused.text
        assert _registrations(stack, "default") == before
        assert all(r["issuer"] != lms.issuer for r in _registrations(stack, "tenant-b"))
        assert _login_location(stack, lms.issuer, "shared-client").startswith(lms.auth_login_url)
        # The same platform registering into the tenant that owns it is an update.
        again = requests.get(lms.dynamic_registration_url(_mint(stack, "default")), timeout=20)
        assert again.status_code == 200, again.text


def test_a_failed_fetch_keeps_the_url_and_repeats_nothing(stack: Stack) -> None:
    url = _mint(stack, "default")
    with PlatformEmulator() as lms:
        config = lms.issuer + "/.well-known/openid-configuration"
        reasons = set()
        for reply in [(500, "internal-secret-1 Traceback"), (200, "internal-secret-2 <html>")]:
            lms.discovery_reply = reply
            refused = _open(url, config, _token(lms))
            assert refused.status_code == 400, refused.text
            assert "internal-secret" not in refused.text and "Traceback" not in refused.text
            reasons.add(refused.json()["reason"])
        closed = _open(url, "http://127.0.0.1:9/.well-known/openid-configuration", "t")
        assert closed.status_code == 400
        reasons.add(closed.json()["reason"])
        assert len(reasons) == 1  # an error page, a non-JSON body, a closed port: one sentence
        lms.discovery_reply = None
        # The platform refuses our registration (a token it never issued): its error
        # description is not repeated either.
        refused = _open(url, config, "not-a-token-of-this-platform")
        assert refused.status_code == 502, refused.text
        assert "refused the registration" in refused.text
        assert "registration_token from this platform" not in refused.text
        # After all that the URL still works, once.
        assert requests.get(lms.dynamic_registration_url(url), timeout=20).status_code == 200
        used = requests.get(lms.dynamic_registration_url(url), timeout=20)
        assert used.status_code == 401 and "already used" in used.text


def test_a_loopback_target_is_refused_without_the_setting(tmp_path: Path) -> None:
    store = SqliteGatewayStore(tmp_path / "gateway.db")
    url = mint_url(store, "default", "http://tool.example")
    enrollment = url.rsplit("/", 1)[-1]
    with PlatformEmulator() as lms:
        config = lms.issuer + "/.well-known/openid-configuration"
        with pytest.raises(BadRequestError, match="loopback, private or link-local"):
            register(store, store, enrollment, config, _token(lms), "http://tool.example")
        assert lms.registrations == []
        assert store.get("", f"dynreg:{enrollment}") == "default"  # still usable
        registered = register(
            store, store, enrollment, config, _token(lms), "http://tool.example", allow_private=True
        )
    assert registered.issuer == lms.issuer and registered.tenant == "default"
    assert store.get("", f"dynreg:{enrollment}") is None

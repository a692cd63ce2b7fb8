"""Staff sign-in with OIDC against a real provider (oidc-provider-mock, from PyPI) started
here: discovery, code + PKCE, state and nonce bound to the browser, the ID token verified by
the provider's JWKS; roles mapped per tenant; forged, expired and replayed answers and
providers off the allow-list refused; the signed-in tenant admin on the admin surface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.sso_idps import OidcProvider, authorize, oidc_provider
from tests.support.sso_stack import SsoGateway, sso_gateway

pytestmark = pytest.mark.integration

TOKEN_SECONDS = 60
SKEW = 120
ROLES = {"teachers": "instructor", "it-admins": "tenant_admin"}


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with oidc_provider(token_seconds=TOKEN_SECONDS) as running:
        running.set_user(
            "alice", {"name": "Alice Doe", "email": "alice@uni.test", "groups": ["teachers"]}
        )
        running.set_user("root", {"name": "Ro Ot", "email": "it@uni.test", "groups": ["it-admins"]})
        running.set_user("stu", {"name": "Stu Dent", "groups": ["students"]})
        running.set_user("other", {"name": "O", "groups": ["teachers"], "tenant": "elsewhere"})
        yield running


@pytest.fixture
def gw(tmp_path: Path, provider: OidcProvider) -> Iterator[SsoGateway]:
    provider.forge = False
    with sso_gateway(tmp_path, clock_skew_seconds=SKEW) as running:
        running.add_provider(
            "uni",
            "campus",
            {
                "protocol": "oidc",
                "issuer": provider.issuer,
                "client_id": "attune",
                "client_secret": "s3cret",
                "mapping": {"role": "groups", "roles": ROLES},
            },
        )
        yield running


def _start(gw: SsoGateway, http: requests.Session, tenant: str = "uni") -> requests.Response:
    return http.get(f"{gw.url}/sso/{tenant}/login/campus?next=/sso/me", timeout=10)


def test_an_instructor_signs_in(gw: SsoGateway) -> None:
    http = requests.Session()
    page = _start(gw, http)
    query = parse_qs(urlsplit(page.url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["client_id"] == ["attune"] and query["nonce"][0] and query["state"][0]
    assert query["redirect_uri"] == [f"{gw.url}/sso/uni/oidc/callback"]
    me = authorize(http, page, "alice")
    assert me.status_code == 200, me.text
    assert me.url == f"{gw.url}/sso/me"
    principal = me.json()
    assert principal["tenant"] == "uni" and principal["subject"] == "alice"
    assert principal["roles"] == ["instructor"] and principal["via"] == "oidc:campus"
    assert principal["name"] == "Alice Doe" and principal["email"] == "alice@uni.test"
    callback = next(r for r in me.history if "/oidc/callback" in r.url)
    cookie = callback.headers["Set-Cookie"]
    assert "attune_staff=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_roles_map_and_a_tenant_admin_uses_the_admin_routes(gw: SsoGateway) -> None:
    admin, teacher = requests.Session(), requests.Session()
    assert authorize(admin, _start(gw, admin), "root").json()["roles"] == ["tenant_admin"]
    assert authorize(teacher, _start(gw, teacher), "alice").status_code == 200
    listing = f"{gw.url}/admin/tenants/uni/sso/providers"
    reply = admin.get(listing, timeout=10)
    assert reply.status_code == 200 and reply.json()["providers"][0]["id"] == "campus"
    assert "s3cret" not in reply.text
    # RBAC (issue 16 part 3): a signed-in instructor is authenticated, without the role.
    refused = teacher.get(listing, timeout=10)
    assert refused.status_code == 403 and "tenant_admin" in refused.text
    # The existing admin routes take the signed-in tenant admin where they take the token.
    registrations = admin.get(f"{gw.url}/admin/tenants/uni/registrations", timeout=10)
    assert registrations.status_code == 200, registrations.text
    forged = requests.get(listing, cookies={"attune_staff": "forged"}, timeout=10)
    assert forged.status_code == 401
    assert admin.get(f"{gw.url}/admin/tenants/other/sso/providers", timeout=10).status_code == 403
    # A change by cookie must come from the gateway's own origin (CSRF).
    revoke = f"{gw.url}/admin/tenants/uni/sso/sessions/revoke"
    assert admin.post(revoke, json={"subject": "alice"}, timeout=10).status_code == 403
    assert teacher.get(f"{gw.url}/sso/me", timeout=10).status_code == 200
    done = admin.post(revoke, json={"subject": "alice"}, headers={"Origin": gw.url}, timeout=10)
    assert done.status_code == 200, done.text
    assert teacher.get(f"{gw.url}/sso/me", timeout=10).status_code == 401


def test_a_person_without_a_staff_role_is_refused(gw: SsoGateway) -> None:
    http = requests.Session()
    reply = authorize(http, _start(gw, http), "stu")
    assert reply.status_code == 403 and "no staff role" in reply.text
    assert http.get(f"{gw.url}/sso/me", timeout=10).status_code == 401


def test_a_forged_id_token_is_refused(gw: SsoGateway, provider: OidcProvider) -> None:
    http = requests.Session()
    page = _start(gw, http)
    provider.forge = True
    reply = authorize(http, page, "alice")
    assert reply.status_code == 401 and "signature" in reply.text
    assert http.get(f"{gw.url}/sso/me", timeout=10).status_code == 401


def test_an_expired_id_token_is_refused(gw: SsoGateway) -> None:
    http = requests.Session()
    page = _start(gw, http)
    gw.clock.t += TOKEN_SECONDS + SKEW + 5  # still within the sign-in's 600 s
    reply = authorize(http, page, "alice")
    assert reply.status_code == 401 and "expired" in reply.text.lower()


def test_a_token_within_the_clock_skew_is_accepted(gw: SsoGateway) -> None:
    http = requests.Session()
    page = _start(gw, http)
    gw.clock.t += TOKEN_SECONDS + SKEW - 30
    assert authorize(http, page, "alice").status_code == 200


def test_a_replayed_state_is_refused(gw: SsoGateway) -> None:
    http = requests.Session()
    me = authorize(http, _start(gw, http), "alice")
    assert me.status_code == 200
    callback = next(r for r in me.history if "/oidc/callback" in r.url)
    again = http.get(callback.url, timeout=10)
    assert again.status_code == 401 and "already used" in again.text


def test_another_browser_cannot_finish_a_sign_in(gw: SsoGateway) -> None:
    victim, attacker = requests.Session(), requests.Session()
    page = _start(gw, attacker)
    answer = victim.post(page.url, data={"sub": "alice"}, timeout=10, allow_redirects=False)
    landed = victim.get(answer.headers["Location"], timeout=10)
    assert landed.status_code == 401 and "another browser" in landed.text


def test_an_id_token_of_another_sign_in_fails_the_nonce(
    gw: SsoGateway, provider: OidcProvider
) -> None:
    first, second = requests.Session(), requests.Session()
    assert authorize(first, _start(gw, first), "alice").status_code == 200
    stolen = provider.tokens[-1]
    page = _start(gw, second)
    provider.replace_with = stolen
    try:
        reply = authorize(second, page, "alice")
    finally:
        provider.replace_with = ""
    assert reply.status_code == 401 and "nonce" in reply.text


def test_providers_off_the_allow_list_are_refused(gw: SsoGateway, provider: OidcProvider) -> None:
    http = requests.Session()
    reply = _start(gw, http, tenant="elsewhere")
    assert reply.status_code == 403 and "not allowed for tenant" in reply.text
    # A campus IdP serving several tenants: the tenant claim must name this one.
    gw.add_provider(
        "uni",
        "campus",
        {
            "protocol": "oidc",
            "issuer": provider.issuer,
            "client_id": "attune",
            "client_secret": "s3cret",
            "mapping": {"role": "groups", "roles": ROLES, "tenant": "tenant"},
        },
    )
    refused = authorize(http, _start(gw, http), "other")
    assert refused.status_code == 403 and "does not name tenant" in refused.text


def test_sign_out_ends_the_session(gw: SsoGateway) -> None:
    http = requests.Session()
    assert authorize(http, _start(gw, http), "alice").status_code == 200
    out = http.post(f"{gw.url}/sso/logout", timeout=10)
    assert out.status_code == 200 and out.json() == {"signed_out": True}
    assert http.get(f"{gw.url}/sso/me", timeout=10).status_code == 401

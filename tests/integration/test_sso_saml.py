"""Staff sign-in with SAML 2.0 against pysaml2's own IdP started here (fresh keys): SP
metadata, the AuthnRequest on the redirect binding, the signed assertion posted to the ACS;
roles mapped from eduPersonAffiliation; a forged (wrong key), an expired (injected clock), a
replayed or mismatched (InResponseTo) answer and an IdP off the allow-list refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.sso_idps import SamlIdp, post_form, saml_idp
from tests.support.sso_stack import SsoGateway, sso_gateway

pytestmark = pytest.mark.integration

SKEW = 120
BOB = (
    "bob-7f3a",
    {"displayName": ["Bob Ray"], "mail": ["bob@uni.test"], "eduPersonAffiliation": ["faculty"]},
)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[SsoGateway, SamlIdp]]:
    (tmp_path / "idp").mkdir()
    with sso_gateway(tmp_path, clock_skew_seconds=SKEW) as gw, saml_idp(tmp_path / "idp") as idp:
        sp = requests.get(f"{gw.url}/sso/uni/saml/metadata", timeout=10)
        assert sp.status_code == 200
        assert sp.headers["Content-Type"].startswith("application/samlmetadata+xml")
        assert f'entityID="{gw.url}/sso/uni/saml/metadata"' in sp.text
        assert 'WantAssertionsSigned="true"' in sp.text
        idp.trust_sp(sp.text)
        idp.lifetime_minutes = 1
        idp.user = BOB
        gw.add_provider(
            "uni",
            "campus-saml",
            {
                "protocol": "saml",
                "entity_id": idp.entity_id,
                "metadata_xml": requests.get(f"{idp.url}/metadata", timeout=10).text,
                "mapping": {
                    "name": "displayName",
                    "email": "mail",
                    "role": "eduPersonAffiliation",
                    "roles": {"faculty": "instructor", "it-admin": "tenant_admin"},
                },
            },
        )
        yield gw, idp


def _to_idp(gw: SsoGateway, http: requests.Session, tenant: str = "uni") -> requests.Response:
    """Start a sign-in; the IdP's answer page (the auto-posting form)."""
    page = http.get(f"{gw.url}/sso/{tenant}/login/campus-saml?next=/sso/me", timeout=10)
    return page


def test_staff_sign_in_with_saml(stack: tuple[SsoGateway, SamlIdp]) -> None:
    gw, idp = stack
    http = requests.Session()
    form = _to_idp(gw, http)
    assert form.status_code == 200 and "SAMLResponse" in form.text
    assert form.history[0].headers["Location"].startswith(f"{idp.url}/sso?SAMLRequest=")
    me = post_form(http, form)
    assert me.status_code == 200, me.text
    principal = me.json()
    # pysaml2's IdP sends a persistent (pairwise) NameID for its user, not the user id.
    assert re.fullmatch(r"[0-9a-f]{64}", principal["subject"])
    assert principal["via"] == "saml:campus-saml"
    assert principal["roles"] == ["instructor"] and principal["tenant"] == "uni"
    assert principal["name"] == "Bob Ray" and principal["email"] == "bob@uni.test"
    acs = me.history[0]
    assert acs.url == f"{gw.url}/sso/uni/saml/acs" and acs.status_code == 303
    assert "HttpOnly" in acs.headers["Set-Cookie"] and "SameSite=Lax" in acs.headers["Set-Cookie"]


def test_a_tenant_admin_by_saml(stack: tuple[SsoGateway, SamlIdp]) -> None:
    gw, idp = stack
    idp.user = ("ann", {"displayName": ["Ann"], "eduPersonAffiliation": ["staff", "it-admin"]})
    http = requests.Session()
    assert post_form(http, _to_idp(gw, http)).json()["roles"] == ["tenant_admin"]
    reply = http.get(f"{gw.url}/admin/tenants/uni/sso/providers", timeout=10)
    assert reply.status_code == 200 and reply.json()["providers"][0]["protocol"] == "saml"


def test_an_assertion_signed_with_another_key_is_refused(
    stack: tuple[SsoGateway, SamlIdp],
) -> None:
    gw, idp = stack
    idp.forge = True
    http = requests.Session()
    reply = post_form(http, _to_idp(gw, http))
    assert reply.status_code == 401 and "refused" in reply.text
    assert http.get(f"{gw.url}/sso/me", timeout=10).status_code == 401


def test_an_expired_assertion_is_refused(stack: tuple[SsoGateway, SamlIdp]) -> None:
    gw, _ = stack
    http = requests.Session()
    form = _to_idp(gw, http)
    gw.clock.t += 60 + SKEW + 5  # the assertion lives a minute; the sign-in 10
    reply = post_form(http, form)
    assert reply.status_code == 401 and "expired" in reply.text


def test_an_assertion_within_the_skew_is_accepted(stack: tuple[SsoGateway, SamlIdp]) -> None:
    gw, _ = stack
    http = requests.Session()
    form = _to_idp(gw, http)
    gw.clock.t += 60 + SKEW - 30
    assert post_form(http, form).status_code == 200


def test_a_replayed_response_is_refused(stack: tuple[SsoGateway, SamlIdp]) -> None:
    gw, _ = stack
    http = requests.Session()
    form = _to_idp(gw, http)
    assert post_form(http, form).status_code == 200
    again = post_form(http, form)
    assert again.status_code == 401 and "already used" in again.text


def test_a_response_to_another_request_is_refused(stack: tuple[SsoGateway, SamlIdp]) -> None:
    gw, _ = stack
    http = requests.Session()
    first, second = _to_idp(gw, http), _to_idp(gw, http)
    # The first answer delivered with the second flow's RelayState: InResponseTo differs.
    relay = second.text.split('name="RelayState" value="')[1].split('"')[0]
    swapped = first.text.replace(
        first.text.split('name="RelayState" value="')[1].split('"')[0], relay
    )
    reply = post_form(http, _page(first, swapped))
    assert reply.status_code == 401 and "refused" in reply.text


def _page(template: requests.Response, text: str) -> requests.Response:
    page = requests.Response()
    page._content = text.encode()
    page.url = template.url
    return page


def test_an_idp_off_the_allow_list_is_refused(stack: tuple[SsoGateway, SamlIdp]) -> None:
    gw, _ = stack
    reply = _to_idp(gw, requests.Session(), tenant="elsewhere")
    assert reply.status_code == 403 and "not allowed for tenant" in reply.text


def test_a_person_without_a_staff_role_is_refused(stack: tuple[SsoGateway, SamlIdp]) -> None:
    gw, idp = stack
    idp.user = ("sam", {"displayName": ["Sam"], "eduPersonAffiliation": ["student"]})
    http = requests.Session()
    reply = post_form(http, _to_idp(gw, http))
    assert reply.status_code == 403 and "no staff role" in reply.text

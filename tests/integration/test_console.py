"""The admin console (issue 16 part 5) over real HTTP, signed in through a real local OIDC
provider: who may open each page (401 anonymous, 403 instructor, 200 tenant administrator
of the tenant and the admin token, 404 another tenant's administrator), the CSRF and
same-origin refusals of its forms (which change nothing), the secret shown once, and every
change and denied change in the audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.console_stack import ConsoleGateway, add_users, console_gateway, csrf_of
from tests.support.sso_idps import OidcProvider, oidc_provider

pytestmark = pytest.mark.integration

PAGES = (
    "/",
    "/registrations",
    "/lrs",
    "/oauth-clients",
    "/identity-providers",
    "/courses",
    "/audit",
)


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with oidc_provider() as running:
        add_users(running)
        yield running


@pytest.fixture
def gw(tmp_path: Path, provider: OidcProvider) -> Iterator[ConsoleGateway]:
    with console_gateway(tmp_path, provider) as running:
        yield running


@pytest.fixture
def root(gw: ConsoleGateway) -> requests.Session:
    return gw.sign_in("root")


def _clients(gw: ConsoleGateway) -> list[dict[str, object]]:
    reply = gw.admin("GET", "/admin/tenants/uni/oauth-clients")
    assert reply.status_code == 200
    clients: list[dict[str, object]] = reply.json()["clients"]
    return clients


def _records(gw: ConsoleGateway, action: str) -> list[dict[str, object]]:
    reply = gw.admin("GET", f"/admin/tenants/uni/audit?action={action}")
    assert reply.status_code == 200, reply.text
    records: list[dict[str, object]] = reply.json()["records"]
    return records


def test_each_page_is_for_the_tenants_administrators_only(gw: ConsoleGateway) -> None:
    admin, teacher = gw.sign_in("root"), gw.sign_in("alice")
    other_admin = gw.sign_in("root", tenant="other")
    for path in PAGES:
        url = f"{gw.url}/console/uni{path}"
        anonymous = requests.get(url, timeout=10)
        assert anonymous.status_code == 401, path
        assert "text/html" in anonymous.headers["Content-Type"]
        denied = teacher.get(url, timeout=10)
        assert denied.status_code == 403 and "tenant_admin" in denied.text, path
        # Refused by the RBAC hook (403) or, without it, by the console's guard (404).
        assert other_admin.get(url, timeout=10).status_code in (403, 404), path
        page = admin.get(url, timeout=10)
        assert page.status_code == 200, (path, page.text[:300])
        assert 'aria-current="page"' in page.text and "Ro Ot" in page.text
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert "script-src 'none'" in page.headers["Content-Security-Policy"]
        assert 'id="sign-out"' in page.text
        by_token = gw.admin("GET", f"/console/uni{path}")
        assert by_token.status_code == 200 and 'id="sign-out"' not in by_token.text, path
    forged = requests.get(f"{gw.url}/console/uni/", cookies={"attune_staff": "x"}, timeout=10)
    assert forged.status_code == 401
    # The other tenant's administrator uses their own console.
    assert other_admin.get(f"{gw.url}/console/other/", timeout=10).status_code == 200


def test_a_client_is_created_with_its_secret_shown_once_and_revoked(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    page = root.get(f"{gw.url}/console/uni/oauth-clients", timeout=10)
    csrf = csrf_of(page)
    made = gw.post_form(
        root,
        "/console/uni/oauth-clients",
        {"csrf_token": csrf, "name": "Partner X", "scopes": ["responses:write", "learners:read"]},
    )
    assert made.status_code == 201, made.text[:400]
    [client] = _clients(gw)
    assert client["name"] == "Partner X"
    assert client["scopes"] == ["responses:write", "learners:read"]
    assert 'id="made-secret"' in made.text and str(client["client_id"]) in made.text
    listing = root.get(f"{gw.url}/console/uni/oauth-clients", timeout=10)
    assert str(client["client_id"]) in listing.text and 'id="made-secret"' not in listing.text
    # The secret works at the token endpoint, once read off the page.
    secret = made.text.split('id="made-secret" readonly value="', 1)[1].split('"', 1)[0]
    token = requests.post(
        f"{gw.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "responses:write"},
        auth=(str(client["client_id"]), secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    revoked = gw.post_form(
        root, f"/console/uni/oauth-clients/{client['client_id']}/revoke", {"csrf_token": csrf}
    )
    assert revoked.status_code == 303
    assert revoked.headers["Location"].startswith("/console/uni/oauth-clients?done=")
    assert _clients(gw)[0]["revoked_at"] is not None
    again = gw.post_form(
        root, f"/console/uni/oauth-clients/{client['client_id']}/revoke", {"csrf_token": csrf}
    )
    assert again.status_code == 404
    [put] = _records(gw, "oauth_client.put")
    assert put["actor"] == "staff:oidc:campus:root" and put["target"] == "Partner X"
    [delete] = _records(gw, "oauth_client.delete")
    assert delete["target"] == client["client_id"] and delete["outcome"] == "ok"


def test_bad_input_names_the_field_and_changes_nothing(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    csrf = csrf_of(root.get(f"{gw.url}/console/uni/oauth-clients", timeout=10))
    bad = gw.post_form(root, "/console/uni/oauth-clients", {"csrf_token": csrf, "name": "X"})
    assert bad.status_code == 400 and 'role="alert"' in bad.text and "scopes" in bad.text
    bad = gw.post_form(
        root, "/console/uni/oauth-clients", {"csrf_token": csrf, "scopes": "root:all"}
    )
    assert bad.status_code == 400 and "unknown scope" in bad.text
    assert _clients(gw) == []
    idp = gw.post_form(
        root,
        "/console/uni/identity-providers",
        {"csrf_token": csrf, "provider_id": "x", "protocol": "oidc", "issuer": "ftp://x"},
    )
    assert idp.status_code == 400 and "issuer" in idp.text
    assert (
        gw.post_form(root, "/console/uni/statements/99/replay", {"csrf_token": csrf}).status_code
        == 404
    )
    assert (
        gw.post_form(root, "/console/uni/grades/99/replay", {"csrf_token": csrf}).status_code == 404
    )
    audit = root.get(f"{gw.url}/console/uni/audit?nope=1", timeout=10)
    assert audit.status_code == 400 and "nope" in audit.text


def test_changes_without_the_sessions_csrf_token_or_from_elsewhere_are_refused(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    csrf = csrf_of(root.get(f"{gw.url}/console/uni/oauth-clients", timeout=10))
    other = gw.sign_in("root")  # the same person in another browser: another token
    other_csrf = csrf_of(other.get(f"{gw.url}/console/uni/oauth-clients", timeout=10))
    assert other_csrf != csrf
    form = {"name": "Evil", "scopes": "learners:delete"}
    path = "/console/uni/oauth-clients"
    assert gw.post_form(root, path, form).status_code == 403  # no token
    assert gw.post_form(root, path, {**form, "csrf_token": other_csrf}).status_code == 403
    assert gw.post_form(root, path, {**form, "csrf_token": "0" * 64}).status_code == 403
    evil = gw.post_form(root, path, {**form, "csrf_token": csrf}, origin="http://evil.test")
    assert evil.status_code == 403 and "own pages" in evil.text
    assert gw.post_form(root, path, {**form, "csrf_token": csrf}, origin="null").status_code == 403
    assert gw.post_form(root, path, {**form, "csrf_token": csrf}, origin="").status_code == 403
    # The token of one tenant's console is not another's.
    elsewhere = gw.sign_in("root", "other").get(f"{gw.url}/console/other/registrations", timeout=10)
    assert csrf_of(elsewhere) not in (csrf, other_csrf)
    assert _clients(gw) == []
    denied = _records(gw, "oauth_client.put")
    assert len(denied) == 6 and {r["outcome"] for r in denied} == {"denied"}
    assert {r["actor"] for r in denied} == {"staff:oidc:campus:root"}
    # An instructor's attempt is refused before the form is read, and recorded as denied.
    teacher = gw.sign_in("alice")
    assert gw.post_form(teacher, path, {**form, "csrf_token": csrf}).status_code == 403
    assert _records(gw, "oauth_client.put")[-1]["outcome"] == "denied"
    # Scripts with the admin token need no CSRF token (no cookie rides along).
    made = gw.admin("POST", path, data={"name": "Script", "scopes": "events:read"})
    assert made.status_code == 201 and _clients(gw)[0]["name"] == "Script"


def test_identity_providers_are_added_and_removed(
    gw: ConsoleGateway, root: requests.Session, provider: OidcProvider
) -> None:
    page = root.get(f"{gw.url}/console/uni/identity-providers", timeout=10)
    assert "campus" in page.text and "s3cret" not in page.text
    csrf = csrf_of(page)
    added = gw.post_form(
        root,
        "/console/uni/identity-providers",
        {
            "csrf_token": csrf,
            "provider_id": "staff-idp",
            "protocol": "oidc",
            "issuer": provider.issuer,
            "client_id": "attune-2",
            "client_secret": "hush",
            "role_attribute": "groups",
            "admin_values": "it-admins",
            "instructor_values": "teachers, lecturers",
        },
    )
    assert added.status_code == 303, added.text[:300]
    listed = gw.admin("GET", "/admin/tenants/uni/sso/providers").json()["providers"]
    [new] = [p for p in listed if p["id"] == "staff-idp"]
    assert new["mapping"]["roles"] == {
        "teachers": "instructor",
        "lecturers": "instructor",
        "it-admins": "tenant_admin",
    }
    assert new["has_client_secret"] is True
    removed = gw.post_form(
        root, "/console/uni/identity-providers/staff-idp/remove", {"csrf_token": csrf}
    )
    assert removed.status_code == 303
    ids = [p["id"] for p in gw.admin("GET", "/admin/tenants/uni/sso/providers").json()["providers"]]
    assert ids == ["campus"]
    assert [r["target"] for r in _records(gw, "identity_provider.")] == [
        "campus", "staff-idp", "staff-idp"
    ]  # fmt: skip


def test_registrations_lrs_courses_and_the_audit_pages(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    page = root.get(f"{gw.url}/console/uni/registrations", timeout=10)
    assert 'id="no-registrations"' in page.text
    minted = gw.post_form(root, "/console/uni/registration-urls", {"csrf_token": csrf_of(page)})
    assert minted.status_code == 200 and f"{gw.url}/lti/register/" in minted.text
    assert _records(gw, "registration.url_issued")[0]["outcome"] == "ok"
    lrs = root.get(f"{gw.url}/console/uni/lrs", timeout=10)
    assert 'id="no-targets"' in lrs.text and "0 dead letters" in lrs.text
    put = gw.admin("PUT", "/admin/tenants/uni/lrs/campus-lrs", json={
        "url": "https://lrs.uni.test/xapi", "username": "k", "password": "secret-pw"})  # fmt: skip
    assert put.status_code == 200, put.text
    lrs = root.get(f"{gw.url}/console/uni/lrs", timeout=10)
    assert "campus-lrs" in lrs.text and "secret-pw" not in lrs.text
    assert _records(gw, "outbox.read")[-1]["actor"] == "staff:oidc:campus:root"
    courses = root.get(f"{gw.url}/console/uni/courses", timeout=10)
    assert 'id="courses"' in courses.text and "(demo)" in courses.text
    # The trail: search, one record a page, the next page, export links with the search.
    found = root.get(f"{gw.url}/console/uni/audit?action=outbox.&limit=1", timeout=10)
    assert found.status_code == 200 and found.text.count('data-action="outbox.read"') == 1
    assert 'id="next-page"' in found.text
    assert 'href="/admin/tenants/uni/audit.csv?action=outbox."' in found.text
    nxt = found.text.split('id="next-page" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = root.get(gw.url + nxt, timeout=10)
    assert second.status_code == 200 and 'data-action="outbox.read"' in second.text
    exported = root.get(f"{gw.url}/admin/tenants/uni/audit.csv?action=outbox.", timeout=10)
    assert exported.status_code == 200 and exported.text.count("outbox.read") == 2


def test_a_staff_change_through_the_admin_api_names_the_person_in_the_trail(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    """The audit trail takes the caller the role hook resolved: a signed-in tenant
    administrator using the JSON admin API is recorded by name, not as ``admin``."""
    made = root.post(
        f"{gw.url}/admin/tenants/uni/oauth-clients",
        json={"name": "Via API", "scopes": ["learners:read"]},
        headers={"Origin": gw.url},
        timeout=10,
    )
    assert made.status_code in (200, 201), made.text
    client_id = made.json()["client_id"]
    puts = [r for r in _records(gw, "oauth_client.put") if r["target"] == client_id]
    assert [r["actor"] for r in puts] == ["staff:oidc:campus:root"]

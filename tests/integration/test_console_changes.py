"""The console's changes to a tenant's plumbing over real HTTP, signed in through the local
OIDC provider: LRS targets created, replaced (a secret left empty is kept) and deleted
through the form, with secrets never echoed, bad fields named in the form and nothing
stored; an LTI registration deleted after its confirmation page; who may do each (401, 403,
404), CSRF and same-origin refusals that change nothing, and the audit trail's records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.console_stack import ConsoleGateway, add_users, console_gateway, csrf_of
from tests.support.sso_idps import OidcProvider, oidc_provider

pytestmark = pytest.mark.integration

TARGET = {
    "name": "campus-lrs",
    "url": "https://lrs.uni.test/xapi",
    "kind": "xapi",
    "auth": "basic",
    "username": "key-1",
    "password": "pw-hidden-1",
    "xapi_version": "2.0.0",
    "home_page": "https://uni.test",
    "activity_base": "https://uni.test/xapi",
    "enabled": "on",
}
REGISTRATION = {
    "issuer": "https://lms.uni.test",
    "client_id": "tool-7",
    "auth_login_url": "https://lms.uni.test/auth",
    "auth_token_url": "https://lms.uni.test/token",
    "key_set_url": "https://lms.uni.test/jwks",
    "name": "Campus LMS",
    "deployment_ids": ["d1"],
}


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


def _targets(gw: ConsoleGateway) -> dict[str, dict[str, Any]]:
    reply = gw.admin("GET", "/admin/tenants/uni/lrs")
    assert reply.status_code == 200, reply.text
    return {t["name"]: t for t in reply.json()["targets"]}


def _records(gw: ConsoleGateway, action: str) -> list[dict[str, Any]]:
    reply = gw.admin("GET", f"/admin/tenants/uni/audit?action={action}")
    assert reply.status_code == 200, reply.text
    records: list[dict[str, Any]] = reply.json()["records"]
    return records


def _stored(gw: ConsoleGateway, name: str) -> Any:
    [target] = [t for t in gw.gateway.statements.targets("uni") if t.name == name]
    return target


def test_a_target_is_created_replaced_and_deleted_with_secrets_never_shown(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    csrf = csrf_of(root.get(f"{gw.url}/console/uni/lrs", timeout=10))
    made = gw.post_form(root, "/console/uni/lrs/targets", {**TARGET, "csrf_token": csrf})
    assert made.status_code == 303, made.text[:400]
    assert made.headers["Location"].startswith("/console/uni/lrs?done=added")
    listed = _targets(gw)["campus-lrs"]
    assert listed["url"] == TARGET["url"] and listed["xapi_version"] == "2.0.0"
    assert listed["password"] == "***" and listed["username"] == "key-1"
    assert _stored(gw, "campus-lrs").password == "pw-hidden-1"
    page = root.get(f"{gw.url}/console/uni/lrs", timeout=10)
    assert 'data-target="campus-lrs"' in page.text and "pw-hidden-1" not in page.text
    assert ">password<" in page.text  # which secrets are stored, never their values
    edit = root.get(f"{gw.url}/console/uni/lrs?edit=campus-lrs", timeout=10)
    assert 'value="https://lrs.uni.test/xapi"' in edit.text and "pw-hidden-1" not in edit.text
    assert "***" not in edit.text
    # Replaced with the password left empty: the stored one is kept.
    moved = {**TARGET, "url": "https://lrs2.uni.test/xapi", "password": "", "csrf_token": csrf}
    replaced = gw.post_form(root, "/console/uni/lrs/targets", moved)
    assert replaced.status_code == 303 and "done=replaced" in replaced.headers["Location"]
    kept = _stored(gw, "campus-lrs")
    assert kept.url == "https://lrs2.uni.test/xapi" and kept.password == "pw-hidden-1"
    # Another auth kind does not inherit the basic password; it needs its own secret.
    bearer = {**moved, "auth": "bearer"}
    refused = gw.post_form(root, "/console/uni/lrs/targets", bearer)
    assert refused.status_code == 400 and "token is required" in refused.text
    assert _stored(gw, "campus-lrs").auth == "basic"
    deleted = gw.post_form(root, "/console/uni/lrs/targets/campus-lrs/delete", {"csrf_token": csrf})
    assert deleted.status_code == 303 and "done=deleted" in deleted.headers["Location"]
    assert _targets(gw) == {}
    again = gw.post_form(root, "/console/uni/lrs/targets/campus-lrs/delete", {"csrf_token": csrf})
    assert again.status_code == 404
    puts = _records(gw, "lrs_target.put")
    assert [r["outcome"] for r in puts] == ["ok", "ok"]  # bad input (400) is not recorded
    assert {r["target"] for r in puts} == {"campus-lrs"}
    assert all(r["actor"] == "staff:oidc:campus:root" for r in puts)
    removals = _records(gw, "lrs_target.delete")
    assert removals[0]["target"] == "campus-lrs" and removals[0]["outcome"] == "ok"


def test_bad_fields_are_named_in_the_form_and_nothing_is_stored(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    csrf = csrf_of(root.get(f"{gw.url}/console/uni/lrs", timeout=10))
    cases = {
        "url": ({"url": "ftp://lrs.uni.test"}, "url must be an http(s) URL"),
        "home_page": ({"home_page": "uni.test"}, "home_page must be an http(s) URL"),
        "activity_base": ({"activity_base": "urn:x"}, "activity_base must be"),
        "xapi_version": ({"xapi_version": "0.9"}, "xapi_version must be one of"),
        "auth": ({"auth": "magic"}, "auth must be one of"),
        "username": ({"username": ""}, "username is required"),
        "name": ({"name": "a b/c"}, "name must be 1 to 64"),
    }
    for field, (change, message) in cases.items():
        bad = gw.post_form(
            root, "/console/uni/lrs/targets", {**TARGET, **change, "csrf_token": csrf}
        )
        assert bad.status_code == 400, field
        assert 'role="alert"' in bad.text and message in bad.text, (field, bad.text[:300])
        assert "pw-hidden-1" not in bad.text, field  # the typed secret is not echoed
        assert 'id="target-form"' in bad.text, field
    kept = gw.post_form(
        root, "/console/uni/lrs/targets", {**TARGET, "url": "ftp://x", "csrf_token": csrf}
    )
    assert 'value="key-1"' in kept.text  # what was typed (no secret) is shown again
    assert _targets(gw) == {}


def test_target_changes_need_the_role_the_csrf_token_and_the_same_origin(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    csrf = csrf_of(root.get(f"{gw.url}/console/uni/lrs", timeout=10))
    path = "/console/uni/lrs/targets"
    anonymous = requests.post(gw.url + path, data=TARGET, timeout=10, allow_redirects=False)
    assert anonymous.status_code == 401
    teacher = gw.sign_in("alice")
    assert gw.post_form(teacher, path, {**TARGET, "csrf_token": csrf}).status_code == 403
    other = gw.sign_in("root", "other")
    assert gw.post_form(other, path, {**TARGET, "csrf_token": csrf}).status_code in (403, 404)
    assert gw.post_form(root, path, TARGET).status_code == 403  # no CSRF token
    assert gw.post_form(root, path, {**TARGET, "csrf_token": "0" * 64}).status_code == 403
    evil = gw.post_form(root, path, {**TARGET, "csrf_token": csrf}, origin="http://evil.test")
    assert evil.status_code == 403 and "own pages" in evil.text
    assert _targets(gw) == {}
    # Scripts with the admin token need no CSRF token; deletion is refused the same way.
    assert gw.admin("POST", path, data=TARGET, allow_redirects=False).status_code == 303
    delete = "/console/uni/lrs/targets/campus-lrs/delete"
    assert gw.post_form(root, delete, {}).status_code == 403
    assert gw.post_form(teacher, delete, {"csrf_token": csrf}).status_code == 403
    assert set(_targets(gw)) == {"campus-lrs"}
    denied = [r for r in _records(gw, "lrs_target.") if r["outcome"] == "denied"]
    assert len(denied) >= 5


def test_a_registration_is_deleted_after_its_confirmation_page(
    gw: ConsoleGateway, root: requests.Session
) -> None:
    put = gw.admin("PUT", "/admin/tenants/uni/registrations", json=REGISTRATION)
    assert put.status_code == 200, put.text
    page = root.get(f"{gw.url}/console/uni/registrations", timeout=10)
    csrf = csrf_of(page)
    link = page.text.split('<a href="/console/uni/registrations/delete?', 1)[1].split('"', 1)[0]
    link = link.replace("&amp;", "&")
    confirm = root.get(f"{gw.url}/console/uni/registrations/delete?{link}", timeout=10)
    assert confirm.status_code == 200 and 'id="confirm-delete"' in confirm.text
    assert "Campus LMS" in confirm.text and "tool-7" in confirm.text
    assert gw.admin("GET", "/admin/tenants/uni/registrations").json()["registrations"]
    missing = root.get(
        f"{gw.url}/console/uni/registrations/delete",
        params={"issuer": "https://nope.test", "client_id": "x"},
        timeout=10,
    )
    assert missing.status_code == 404
    teacher = gw.sign_in("alice")
    assert (
        teacher.get(f"{gw.url}/console/uni/registrations/delete?{link}", timeout=10).status_code
        == 403
    )
    path = "/console/uni/registrations/delete"
    form = {"issuer": REGISTRATION["issuer"], "client_id": "tool-7", "confirm": "yes"}
    assert gw.post_form(root, path, form).status_code == 403  # no CSRF token
    evil = gw.post_form(root, path, {**form, "csrf_token": csrf}, origin="http://evil.test")
    assert evil.status_code == 403
    unconfirmed = gw.post_form(root, path, {**form, "confirm": "", "csrf_token": csrf})
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.text
    assert len(gw.admin("GET", "/admin/tenants/uni/registrations").json()["registrations"]) == 1
    deleted = gw.post_form(root, path, {**form, "csrf_token": csrf})
    assert deleted.status_code == 303, deleted.text[:300]
    assert deleted.headers["Location"].startswith("/console/uni/registrations?done=deleted")
    assert gw.admin("GET", "/admin/tenants/uni/registrations").json()["registrations"] == []
    assert gw.post_form(root, path, {**form, "csrf_token": csrf}).status_code == 404
    records = _records(gw, "registration.delete")
    ok = [r for r in records if r["outcome"] == "ok"]
    assert len(ok) == 1 and "tool-7" in ok[0]["target"]
    assert ok[0]["actor"] == "staff:oidc:campus:root"

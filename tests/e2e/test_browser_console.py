"""The admin console in a real browser (issue 16 part 5): a tenant administrator signs in
through the local OIDC provider (oidc-provider-mock), opens the console, creates an OAuth
client with the keyboard (its secret shown once), sees it listed, revokes it, and finds both
changes in the audit trail under their name; and adds an LRS target through the form (its
password never on the page) and deletes it. Screenshots go to ``tests/e2e/artifacts/``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import PNG_SIGNATURE
from tests.support.console_stack import ConsoleGateway, add_users, console_gateway
from tests.support.sso_idps import OidcProvider, oidc_provider

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARTIFACTS = Path(__file__).parent / "artifacts"
_WAIT_S = 20


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with oidc_provider() as running:
        add_users(running)
        yield running


@pytest.fixture
def gw(tmp_path: Path, provider: OidcProvider) -> Iterator[ConsoleGateway]:
    with console_gateway(tmp_path / "gateway", provider) as running:
        yield running


def _shot(driver: WebDriver, name: str) -> None:
    png = driver.get_screenshot_as_png()
    assert png.startswith(PNG_SIGNATURE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"console-{name}.png").write_bytes(png)


def _wait_for(driver: WebDriver, css: str) -> None:
    WebDriverWait(driver, _WAIT_S).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def _then(driver: WebDriver, css: str, act: Callable[[], object]) -> None:
    """Do ``act`` (a submit that loads a page), wait until the old page is gone, then for
    ``css`` on the new one: an element of the same name on the old page must not count."""
    old = driver.find_element(By.TAG_NAME, "html")
    act()
    WebDriverWait(driver, _WAIT_S).until(lambda _d: _gone(old))
    _wait_for(driver, css)


def _gone(element: WebElement) -> bool:
    """Whether ``element``'s page has been replaced. ChromeDriver sometimes answers a stale
    node with an inspector error ("Node with given id does not belong to the document")
    instead of a stale-element error: both mean the old page is gone."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException is one of these
        return True
    return False


def test_a_tenant_admin_manages_an_oauth_client_and_finds_it_in_the_audit_trail(
    gw: ConsoleGateway, browser: WebDriver
) -> None:
    # Anonymous: the console refuses (401) until the person signs in.
    browser.get(f"{gw.url}/console/uni/")
    assert "401" in browser.find_element(By.TAG_NAME, "main").text
    # Sign in at the institution's provider, back to the console's clients page.
    browser.get(f"{gw.url}/sso/uni/login/campus?next=/console/uni/oauth-clients")
    _wait_for(browser, "input[name=sub]")
    _then(
        browser,
        "#new-client",
        lambda: browser.find_element(By.CSS_SELECTOR, "input[name=sub]").send_keys(
            "root", Keys.ENTER
        ),
    )
    assert browser.find_element(By.ID, "who").text == "Ro Ot"
    assert browser.find_element(By.ID, "no-clients")
    _shot(browser, "clients-empty")

    # Create a client, by keyboard: the name, two scopes (space ticks a box), then Enter.
    browser.find_element(By.ID, "client-name").send_keys("Partner X")
    for scope in ("responses:write", "learners:read"):
        box = browser.find_element(By.CSS_SELECTOR, f"input[name=scopes][value='{scope}']")
        box.send_keys(Keys.SPACE)
        assert box.is_selected()
    _then(
        browser,
        "#made-secret",
        lambda: browser.find_element(By.ID, "create-client").send_keys(Keys.ENTER),
    )
    client_id = str(browser.find_element(By.ID, "made-id").get_attribute("value"))
    secret = str(browser.find_element(By.ID, "made-secret").get_attribute("value"))
    assert client_id.startswith("atc_") and len(secret) >= 32
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-client='{client_id}']")
    assert "Partner X" in row.text and "responses:write learners:read" in row.text
    _shot(browser, "client-created")
    # The secret works, and is never shown again.
    token = requests.post(
        f"{gw.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "learners:read"},
        auth=(client_id, secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    browser.get(f"{gw.url}/console/uni/oauth-clients")
    _wait_for(browser, f"tr[data-client='{client_id}']")
    assert secret not in browser.page_source

    # Revoke it: the row then says so, and the client gets no more tokens.
    _then(
        browser,
        "#done",
        lambda: browser.find_element(By.ID, f"revoke-{client_id}").send_keys(Keys.ENTER),
    )
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-client='{client_id}']")
    assert "revoked" in row.text and not row.find_elements(By.TAG_NAME, "button")
    _shot(browser, "client-revoked")
    refused = requests.post(
        f"{gw.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=10,
    )
    assert refused.status_code in (400, 401), refused.text

    # Search the audit trail for the clients' changes, from the console's navigation.
    _then(
        browser,
        "#audit-search",
        lambda: browser.find_element(By.LINK_TEXT, "Audit trail").send_keys(Keys.ENTER),
    )
    _then(
        browser,
        "#records",
        lambda: browser.find_element(By.ID, "action").send_keys("oauth_client.", Keys.ENTER),
    )
    rows = browser.find_elements(By.CSS_SELECTOR, "#records tbody tr")
    actions = [str(r.get_attribute("data-action")) for r in rows]
    assert actions == ["oauth_client.put", "oauth_client.delete"]
    assert all("staff:oidc:campus:root" in r.text for r in rows)
    assert client_id in rows[1].text and "Partner X" in rows[0].text
    _shot(browser, "audit")
    export = browser.find_element(By.ID, "export-csv").get_attribute("href")
    assert str(export).endswith("/admin/tenants/uni/audit.csv?action=oauth_client.")


def test_a_tenant_admin_adds_and_deletes_an_lrs_target(
    gw: ConsoleGateway, browser: WebDriver
) -> None:
    browser.get(f"{gw.url}/sso/uni/login/campus?next=/console/uni/lrs")
    _wait_for(browser, "input[name=sub]")
    _then(
        browser,
        "#target-form",
        lambda: browser.find_element(By.CSS_SELECTOR, "input[name=sub]").send_keys(
            "root", Keys.ENTER
        ),
    )
    assert browser.find_element(By.ID, "no-targets")
    # Fill the form by keyboard (auth Basic is the default), then Enter on the button.
    browser.find_element(By.ID, "target-name").send_keys("campus-lrs")
    browser.find_element(By.ID, "target-url").send_keys("https://lrs.uni.test/xapi")
    browser.find_element(By.ID, "target-username").send_keys("key-1")
    browser.find_element(By.ID, "target-password").send_keys("pw-hidden-1")
    _then(
        browser,
        "tr[data-target='campus-lrs']",
        lambda: browser.find_element(By.ID, "save-target").send_keys(Keys.ENTER),
    )
    row = browser.find_element(By.CSS_SELECTOR, "tr[data-target='campus-lrs']")
    assert "https://lrs.uni.test/xapi" in row.text and "password" in row.text
    assert "pw-hidden-1" not in browser.page_source
    [stored] = gw.gateway.statements.targets("uni")
    assert stored.password == "pw-hidden-1"
    _shot(browser, "lrs-target-added")
    _then(
        browser,
        "#no-targets",
        lambda: browser.find_element(By.ID, "delete-campus-lrs").send_keys(Keys.ENTER),
    )
    assert gw.gateway.statements.targets("uni") == []

"""The class dashboard in a real browser (issue 14): two learners practise, an instructor is
launched from the emulated LMS into the tool's iframe (third-party cookies blocked), syncs the
roster, opens the class dashboard, sorts the heatmap with the keyboard, sees the struggling
learner at risk, follows the evidence to their timeline, pins a skill for them (audited)
and downloads a table as CSV.
Screenshots go to ``tests/e2e/artifacts/``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e.conftest import PNG_SIGNATURE, course_page
from tests.support.gateway_stack import Stack, answer, right_answer, token_of
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import ROLE_INSTRUCTOR, ROLE_LEARNER

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARTIFACTS = Path(__file__).parent / "artifacts"
LINK = "rl-dashboard"
_WAIT_S = 20


def _practise(stack: Stack, lms: PlatformEmulator, sub: str, right: bool, count: int) -> None:
    http = requests.Session()
    page = lms.launch(http, sub=sub, roles=[ROLE_LEARNER], resource_link_id=LINK)
    token = token_of(page)
    for _ in range(count):
        answer(http, stack.url, token, page.text, right_answer(page.text) if right else "x")
        page = http.get(f"{stack.url}/practice/{token}", timeout=20)


def _shot(driver: WebDriver, name: str) -> None:
    png = driver.get_screenshot_as_png()
    assert png.startswith(PNG_SIGNATURE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"dashboard-{name}.png").write_bytes(png)


def test_an_instructor_reads_the_class_dashboard_in_the_lms_frame(
    stack: Stack, lms: PlatformEmulator, browser: WebDriver
) -> None:
    _practise(stack, lms, "learner-1", True, 8)
    _practise(stack, lms, "learner-2", False, 16)
    login_url = lms.prepare_launch(
        sub="instructor-1", roles=[ROLE_INSTRUCTOR], resource_link_id=LINK
    )
    browser.get(course_page(lms, login_url))
    browser.find_element(By.ID, "launch-link").click()
    WebDriverWait(browser, _WAIT_S).until(
        ec.frame_to_be_available_and_switch_to_it((By.ID, "tool-frame"))
    )
    WebDriverWait(browser, _WAIT_S).until(ec.presence_of_element_located((By.ID, "sync")))
    browser.find_element(By.ID, "sync").send_keys(Keys.ENTER)
    WebDriverWait(browser, _WAIT_S).until(ec.presence_of_element_located((By.ID, "roster")))
    browser.find_element(By.ID, "class-dashboard").send_keys(Keys.ENTER)
    heatmap = WebDriverWait(browser, _WAIT_S).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#heatmap svg"))
    )
    assert heatmap.get_attribute("role") == "img"
    risk = browser.find_element(By.ID, "at-risk").text
    assert "Grace Hopper" in risk and "Ada Lovelace" not in risk
    _shot(browser, "class")

    # Sort by mean P(L), highest first, with the keyboard: Ada's row comes before Grace's.
    Select(browser.find_element(By.ID, "sort")).select_by_value("mean")
    browser.find_element(By.ID, "desc").send_keys(Keys.SPACE)
    browser.find_element(By.CSS_SELECTOR, "#heat-form button").send_keys(Keys.ENTER)
    # The frame's own URL shows the sort (staleness checks are unreliable across a
    # cross-site frame's navigation in chromedriver: "Node ... does not belong to the document").
    WebDriverWait(browser, _WAIT_S, ignored_exceptions=(WebDriverException,)).until(
        lambda d: "sort=mean" in str(d.execute_script("return location.search"))
    )
    sort = Select(browser.find_element(By.ID, "sort"))
    assert sort.first_selected_option.get_attribute("value") == "mean"
    table = browser.find_element(By.CSS_SELECTOR, "#heatmap + details table")
    rows = [
        str(r.get_attribute("textContent")).strip()
        for r in table.find_elements(By.CSS_SELECTOR, "tbody th")
    ]  # the table is inside a closed <details>: read its text, not what is shown
    assert rows.index("Ada Lovelace") < rows.index("Grace Hopper")
    _shot(browser, "sorted")

    # An at-risk reason's evidence opens the learner's timeline at that answer.
    evidence = browser.find_element(By.CSS_SELECTOR, "#at-risk a[href*='/learners/']")
    target = str(evidence.get_attribute("href")).rsplit("#", 1)[1]
    evidence.send_keys(Keys.ENTER)
    WebDriverWait(browser, _WAIT_S).until(ec.presence_of_element_located((By.ID, target)))
    assert "Grace Hopper" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.ID, "why-differ").text
    _shot(browser, "learner")

    # An intervention, by keyboard: pin a skill for Grace, with the reason; it is audited.
    Select(browser.find_element(By.ID, "kind")).select_by_value("pin")
    browser.find_element(By.ID, "reason").send_keys("practise place value first")
    browser.find_element(By.ID, "intervene").send_keys(Keys.ENTER)
    audit = WebDriverWait(browser, _WAIT_S).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#audit tbody tr[data-kind]"))
    )
    assert "pinned the skill" in audit.text and "practise place value first" in audit.text
    assert "Alan Turing" in audit.text  # the actor, named from the roster
    _shot(browser, "intervention")
    browser.find_element(By.ID, "class-dashboard").send_keys(Keys.ENTER)
    WebDriverWait(browser, _WAIT_S).until(ec.presence_of_element_located((By.ID, "at-risk")))

    # The CSV link downloads the heatmap's table (fetched with the page's own URL).
    link = browser.find_element(By.CSS_SELECTOR, "a[href$='class.csv?table=heatmap']")
    reply = requests.get(str(link.get_attribute("href")), timeout=20)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
    learners = {r[0] for r in csv.reader(io.StringIO(reply.content.decode("utf-8-sig")))}
    assert {"Ada Lovelace", "Grace Hopper"} <= learners

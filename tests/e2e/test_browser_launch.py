"""An LTI 1.3 launch in a real browser, to mastery: headless Chromium (Debian's package, driven
by its chromedriver) opens the emulated LMS's course page, launches Attune into the page's
iframe with third-party cookies blocked, answers every question with the keyboard, and the
platform receives the ``Completed``/``FullyGraded`` score (AGS 2.0 §3.4)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from attune.engine.demo.course import demo_course
from tests.e2e.conftest import PNG_SIGNATURE, course_page
from tests.support.gateway_stack import (
    Stack,
    deep_link_activity,
    right_answer,
    wait_for,
)
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import ROLE_LEARNER

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_ANSWERS = 60
_WAIT_S = 20
_ARTIFACT = Path(__file__).parent / "artifacts" / "practice-mastered.png"


def _question_or_done(driver: WebDriver) -> str:
    """Wait for the next page in the frame; ``"question"`` or ``"done"``."""
    WebDriverWait(driver, _WAIT_S).until(
        ec.any_of(
            ec.presence_of_element_located((By.ID, "answer")),
            ec.presence_of_element_located((By.ID, "done")),
        )
    )
    return "done" if driver.find_elements(By.ID, "done") else "question"


def _submit(driver: WebDriver, text: str) -> str:
    """Type ``text`` into the answer box and press Enter; the feedback's ``data-result``.

    Send Keys focuses the box first, as the learner's click or Tab would: ``autofocus`` never
    reaches into a cross-origin frame (HTML, "flush autofocus candidates").
    """
    driver.find_element(By.ID, "answer").send_keys(text, Keys.ENTER)
    verdict = WebDriverWait(driver, _WAIT_S).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[data-result]"))
    )
    return str(verdict.get_attribute("data-result"))


def _next_question(driver: WebDriver) -> None:
    """Activate "Next question" from the keyboard."""
    driver.find_element(By.ID, "next").send_keys(Keys.ENTER)


def _completed_for(lms: PlatformEmulator, lineitem: str, user: str) -> bool:
    with lms.lock:
        return any(
            s["lineitem"] == lineitem
            and s["body"]["userId"] == user
            and s["body"]["activityProgress"] == "Completed"
            for s in lms.scores
        )


def test_a_learner_launches_in_an_iframe_and_practises_to_mastery(
    stack: Stack, lms: PlatformEmulator, browser: WebDriver, tmp_path: Path
) -> None:
    title = "Counting in the browser"
    activity = deep_link_activity(stack, lms, [demo_course().order[0]], title)
    lineitem = lms.add_lineitem(
        label=title, score_maximum=100, resource_link_id="rl-browser", resource_id=activity
    )
    login_url = lms.prepare_launch(
        sub="learner-grace",
        roles=[ROLE_LEARNER],
        resource_link_id="rl-browser",
        custom={"activity_id": activity},
    )

    browser.get(course_page(lms, login_url))
    browser.find_element(By.ID, "launch-link").click()
    WebDriverWait(browser, _WAIT_S).until(
        ec.frame_to_be_available_and_switch_to_it((By.ID, "tool-frame"))
    )
    assert _question_or_done(browser) == "question"
    assert title in browser.find_element(By.TAG_NAME, "h1").text
    # The restriction is in force: an unpartitioned SameSite=None cookie set in the tool's
    # frame does not stick (with third-party cookies allowed, it does).
    assert "probe=1" not in browser.execute_script(
        "document.cookie = 'probe=1; SameSite=None; Secure; path=/'; return document.cookie;"
    )

    # Accessibility basics. The label is checked as the browser associates it (``labels``):
    # chromedriver's "Get Computed Label" answers "stale element" inside a cross-site iframe.
    box = browser.find_element(By.ID, "answer")
    assert browser.find_elements(By.CSS_SELECTOR, "label[for=answer]")
    labels = browser.execute_script(
        "return Array.from(arguments[0].labels, (l) => l.textContent.trim());", box
    )
    assert labels == ["Your answer"]
    bars = browser.find_elements(By.CSS_SELECTOR, "#progress progress")
    assert bars, "the progress table shows a bar per skill"
    for bar in bars:
        assert (bar.get_attribute("aria-label") or "").endswith("mastery"), bar.get_attribute(
            "outerHTML"
        )

    # One wrong answer first: the feedback says so and shows the worked answer.
    expected = right_answer(browser.page_source)
    assert _submit(browser, "not a number") == "wrong"
    assert browser.find_element(By.ID, "worked-answer").text == expected
    _next_question(browser)

    answers = 1
    while _question_or_done(browser) == "question":
        assert answers < MAX_ANSWERS, f"not mastered after {MAX_ANSWERS} answers"
        assert _submit(browser, right_answer(browser.page_source)) == "right"
        answers += 1
        _next_question(browser)
    assert answers >= 3  # the mastery rule needs 3 attempts, the wrong one included
    statuses = [
        row.get_attribute("data-status")
        for row in browser.find_elements(By.CSS_SELECTOR, "#progress tbody tr")
    ]
    assert statuses == ["mastered"]

    browser.switch_to.default_content()
    shot = tmp_path / "practice-mastered.png"
    assert browser.save_screenshot(str(shot))
    png = shot.read_bytes()
    assert len(png) > len(PNG_SIGNATURE) and png.startswith(PNG_SIGNATURE)
    if os.environ.get("ATTUNE_SAVE_SCREENSHOTS") == "1":
        _ARTIFACT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, _ARTIFACT)

    wait_for(lambda: _completed_for(lms, lineitem, "learner-grace"), timeout=15)
    with lms.lock:
        [final] = [
            s["body"]
            for s in lms.scores
            if s["lineitem"] == lineitem and s["body"]["activityProgress"] == "Completed"
        ]
    assert final["userId"] == "learner-grace"
    assert final["gradingProgress"] == "FullyGraded"
    assert final["scoreGiven"] == 100 and final["scoreMaximum"] == 100

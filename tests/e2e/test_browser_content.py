"""An institution's own questions in a real browser (issue 13): a QTI 3.0 package and a Moodle
XML file are imported through the admin API, an instructor places each as an activity with
deep linking, and a learner launched from the emulated LMS answers every item type of each,
once wrong and once right, with the keyboard, in headless Chromium. Each verdict, the chosen
option's feedback and the worked solution are checked on the page; a screenshot of each is
kept in ``tests/e2e/artifacts/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from attune.content.importers.convert import convert
from attune.content.model import CHOICE_TYPES, ContentItem, CoursePackage
from attune.content.render import dom_id
from attune.content.render.sanitise import plain_text
from tests.e2e.conftest import PNG_SIGNATURE, course_page
from tests.support.gateway_stack import Stack, deep_link_activity
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import ROLE_LEARNER
from tests.support.qti_samples import sample_zip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DATA = Path(__file__).parent.parent / "data"
ARTIFACTS = Path(__file__).parent / "artifacts"
MAX_ANSWERS = 80
_WAIT_S = 20


@dataclass(frozen=True)
class Source:
    name: str
    data: bytes
    fmt: str
    course_id: str


def _sources() -> list[Source]:
    return [
        Source("qti3", sample_zip("v3p0"), "qti", "qti-course"),
        Source(
            "moodle", (DATA / "moodle" / "practice.xml").read_bytes(), "moodle", "moodle-course"
        ),
    ]


def _import(stack: Stack, source: Source) -> CoursePackage:
    reply = stack.admin(
        "POST",
        "/admin/tenants/default/content",
        params={
            "format": source.fmt,
            "course_id": source.course_id,
            "title": source.name,
            "filename": source.name,
        },
        data=source.data,
    )
    assert reply.status_code == 200, reply.text
    result = convert(
        source.data,
        fmt=source.fmt,
        name=source.name,  # type: ignore[arg-type]
        course_id=source.course_id,
        title=source.name,
    )
    assert result.package is not None
    return result.package


def _fill(driver: WebDriver, item: ContentItem, right: bool) -> tuple[str, ...]:
    """Answer ``item`` in the form with the keyboard; the chosen choice ids."""
    base = dom_id(item.item_id)
    if item.type in ("choice", "multiple_response"):
        wanted = [c for c in item.choices if c.correct == right]
        if item.type == "choice":
            wanted = wanted[:1]
        for index, choice in enumerate(item.choices, 1):
            if choice in wanted:
                driver.find_element(By.ID, f"{base}-choice-{index}").send_keys(Keys.SPACE)
        return tuple(c.id for c in wanted)
    if item.type == "inline_choice":
        choice = next(c for c in item.choices if c.correct == right)
        Select(driver.find_element(By.NAME, "answer")).select_by_value(choice.id)
        return (choice.id,)
    box = driver.find_element(By.NAME, "answer")
    box.send_keys(_typed(item) if right else "9999 wrong")
    return ()


def _typed(item: ContentItem) -> str:
    if item.numeric_answers:
        best = max(item.numeric_answers, key=lambda a: a.score)
        return f"{best.value:g}" + (f" {best.units[0]}" if best.units else "")
    if item.math_answer is not None:
        return item.math_answer.expression
    return max(item.text_answers, key=lambda a: a.score).value


def _answer_each_type(driver: WebDriver, package: CoursePackage, label: str) -> set[str]:
    """Answer until every item type of ``package`` was answered right and wrong; the
    (type, verdict) pairs seen."""
    items = {i.item_id: i for i in package.items}
    wanted = {(i.type, v) for i in package.items for v in ("right", "wrong")}
    seen: set[tuple[str, str]] = set()
    for _ in range(MAX_ANSWERS):
        form = WebDriverWait(driver, _WAIT_S).until(
            ec.presence_of_element_located((By.ID, "answer-form"))
        )
        item = items[str(form.get_attribute("data-item"))]
        # Wrong first: the engine comes back to a skill it has just seen a wrong answer on.
        right = (item.type, "wrong") in seen
        chosen = _fill(driver, item, right)
        driver.find_element(By.ID, "submit").send_keys(Keys.ENTER)
        verdict = WebDriverWait(driver, _WAIT_S).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "[data-result]"))
        )
        result = str(verdict.get_attribute("data-result"))
        expected = "right" if right else "wrong"
        assert result == expected, (label, item.item_id, item.type, result)
        page = driver.find_element(By.TAG_NAME, "main").text
        for choice in item.choices:
            if choice.id in chosen and choice.feedback_html:
                assert plain_text(choice.feedback_html) in page, (item.item_id, choice.id)
        if item.solution_html:
            assert driver.find_elements(By.ID, "solution"), item.item_id
        if item.type in CHOICE_TYPES or item.text_answers or item.numeric_answers:
            assert driver.find_element(By.ID, "worked-answer").text.strip(), item.item_id
        if (item.type, expected) not in seen:
            seen.add((item.type, expected))
            png = driver.get_screenshot_as_png()
            assert png.startswith(PNG_SIGNATURE)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / f"content-{label}-{item.type}-{expected}.png").write_bytes(png)
        if wanted <= seen:
            return {f"{t}:{v}" for t, v in seen}
        driver.find_element(By.ID, "next").send_keys(Keys.ENTER)
    raise AssertionError(f"{label}: after {MAX_ANSWERS} answers, not seen: {wanted - seen}")


def test_imported_qti_and_moodle_items_are_answered_right_and_wrong_in_the_browser(
    stack: Stack, lms: PlatformEmulator, browser: WebDriver
) -> None:
    for n, source in enumerate(_sources()):
        package = _import(stack, source)
        types = {i.type for i in package.items}
        activity = deep_link_activity(stack, lms, [], source.name, course_id=source.course_id)
        login_url = lms.prepare_launch(
            sub=f"learner-{n}",
            roles=[ROLE_LEARNER],
            resource_link_id=f"rl-{source.name}",
            custom={"activity_id": activity},
        )
        browser.get(course_page(lms, login_url))
        browser.find_element(By.ID, "launch-link").click()
        WebDriverWait(browser, _WAIT_S).until(
            ec.frame_to_be_available_and_switch_to_it((By.ID, "tool-frame"))
        )
        seen = _answer_each_type(browser, package, source.name)
        assert {s.split(":")[0] for s in seen} == types
        browser.switch_to.default_content()

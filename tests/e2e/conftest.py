"""The browser the end-to-end tests drive: Debian's headless Chromium through its own
chromedriver (nothing downloaded), with a throwaway profile that blocks third-party cookies,
and the emulated LMS's course page that frames the tool."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.support.gateway_stack import Stack, running_stack
from tests.support.lti_platform import PlatformEmulator

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
# Block third-party cookies: the current pref (1 = block) and its older boolean form. A fresh
# Chromium 156 profile already blocks them; the prefs keep that so whatever the build's default.
_BLOCK_THIRD_PARTY_COOKIES = {
    "profile.cookie_controls_mode": 1,
    "profile.block_third_party_cookies": True,
}


def _require_chromium() -> None:
    """Fail in CI, skip elsewhere, when Debian's Chromium or its driver is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if not missing:
        return
    message = (
        f"the browser test needs {' and '.join(missing)} "
        "(Debian: apt-get install chromium chromium-driver, or make browser)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run this test", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    """Headless Chromium with a throwaway profile that blocks third-party cookies."""
    _require_chromium()
    # Both paths are given, so Selenium Manager has nothing to find; offline, it fetches nothing.
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", _BLOCK_THIRD_PARTY_COOKIES)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A real ``attune serve`` (engine and gateway) on free ports."""
    with running_stack(tmp_path / "stack") as s:
        yield s


@pytest.fixture
def lms(stack: Stack) -> Iterator[PlatformEmulator]:
    """The LMS emulator, registered with the stack's gateway."""
    with PlatformEmulator() as platform:
        stack.connect(platform)
        yield platform


def course_page(lms: PlatformEmulator, login_url: str) -> str:
    """The LMS course page for a prepared launch, addressed as ``localhost``.

    The issuer, its ``/auth`` and the tool all stay on 127.0.0.1, so the tool's iframe is
    cross-site to the top-level page (a different host, not merely a different port, which
    would still be same-site): its cookies are third-party and the profile blocks them.
    """
    [hint] = parse_qs(urlsplit(login_url).query)["lti_message_hint"]
    issuer = urlsplit(lms.issuer)
    assert issuer.hostname == "127.0.0.1"
    return f"http://localhost:{issuer.port}/course?hint={hint}"

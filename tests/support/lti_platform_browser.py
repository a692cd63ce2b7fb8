"""Just enough of a browser to walk an LTI 1.3 launch with ``requests``.

A launch is a chain of browser navigations (1EdTech Security Framework §5.1.1): the platform
sends the user agent to the tool's login initiation URL; the tool sends it to the platform's
authorization endpoint, by a 302 or by a page that posts a form or assigns ``location`` in
a script; the platform answers with a page that auto-posts ``id_token`` and ``state`` to the
tool. ``requests`` follows the 302s itself; this module reads the pages in between and does
what a browser with JavaScript on would do with them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

_TIMEOUT_S = 10.0
_MAX_HOPS = 8
# ``location = "..."``, ``window.location.href = '...'``, ``location.replace("...")``.
_JS_LOCATION = re.compile(
    r"""location(?:\.href)?\s*=\s*(["'])(?P<a>.*?)\1|location\.(?:replace|assign)\(\s*(["'])(?P<b>.*?)\3"""
)
_META_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\"]+)", re.IGNORECASE)
# Controls a browser leaves out of a form submitted by script (HTML §4.10.21.4).
_NOT_SUBMITTED = {"submit", "button", "image", "reset", "file"}


class LaunchDriverError(Exception):
    """The launch did not settle within a sane number of navigations."""


@dataclass
class HtmlForm:
    """A form as a browser would submit it."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class HtmlPage:
    """What a launch page asks the browser to do next."""

    forms: list[HtmlForm] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    meta_refresh: str | None = None


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = HtmlPage()
        self._form: HtmlForm | None = None
        self._textarea: str | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(a.get("action", ""), a.get("method", "get").lower())
            self.page.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            unchecked = kind in ("checkbox", "radio") and "checked" not in a
            if kind not in _NOT_SUBMITTED and not unchecked:
                self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._textarea = a["name"]
            self._form.fields[self._textarea] = ""
        elif tag == "script":
            self._in_script = True
            self.page.scripts.append("")
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            match = _META_REFRESH_URL.search(a.get("content", ""))
            self.page.meta_refresh = match.group(1).strip() if match else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.page.scripts[-1] += data
        elif self._textarea is not None and self._form is not None:
            self._form.fields[self._textarea] += data


def parse_page(html: str) -> HtmlPage:
    """The forms, scripts and meta refresh of an HTML page."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.page


def _js_string(raw: str) -> str:
    # JSON covers the escapes templating engines emit (\/, \u0026); anything else is literal.
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def next_navigation(page: HtmlPage, base_url: str) -> tuple[str, str, dict[str, str]] | None:
    """The (method, url, form data) a browser would go to by itself, or ``None`` if it stays."""
    script = "\n".join(page.scripts)
    if page.forms and ".submit()" in script:
        form = page.forms[0]
        return form.method.upper(), urljoin(base_url, form.action), dict(form.fields)
    match = _JS_LOCATION.search(script)
    if match:
        return "GET", urljoin(base_url, _js_string(match.group("a") or match.group("b"))), {}
    if page.meta_refresh:
        return "GET", urljoin(base_url, page.meta_refresh), {}
    return None


def _is_html(response: requests.Response) -> bool:
    return "html" in response.headers.get("Content-Type", "")


def _at(url: str, endpoint: str) -> bool:
    u, e = urlsplit(url), urlsplit(endpoint)
    return (u.scheme, u.netloc, u.path) == (e.scheme, e.netloc, e.path)


def _go(
    session: requests.Session, method: str, url: str, data: dict[str, str]
) -> requests.Response:
    if method == "POST":
        return session.post(url, data=data, timeout=_TIMEOUT_S)
    return session.get(url, params=data or None, timeout=_TIMEOUT_S)


def drive_launch(
    session: requests.Session, login_initiation_url: str, *, auth_url: str
) -> requests.Response:
    """Walk a launch from the tool's login initiation URL to the tool's final answer.

    Returns the first response that does not navigate on by itself: normally what the tool
    shows after the id_token arrives; an error page from the tool or from ``/auth`` otherwise.
    """
    response = session.get(login_initiation_url, timeout=_TIMEOUT_S)
    for _ in range(_MAX_HOPS):
        page = parse_page(response.text) if _is_html(response) else HtmlPage()
        if _at(response.url, auth_url):
            if response.status_code != 200 or not page.forms:
                return response
            # The form_post response (OIDC Form Post Response Mode): one navigation to the tool.
            form = page.forms[0]
            return _go(
                session, form.method.upper(), urljoin(response.url, form.action), form.fields
            )
        step = next_navigation(page, response.url) if response.status_code == 200 else None
        if step is None:
            return response
        response = _go(session, *step)
    raise LaunchDriverError(f"no answer after {_MAX_HOPS} navigations; last at {response.url}")

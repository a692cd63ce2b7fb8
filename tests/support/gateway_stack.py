"""The whole stack for LTI tests: a real ``attune serve`` (engine and gateway, embedded store)
as a child process, registered with a :class:`PlatformEmulator`; and a learner who answers
practice pages the way a person would (by reading the question)."""

from __future__ import annotations

import gc
import html
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import requests

from attune.gateway.settings import DEV_ADMIN_TOKEN
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import MESSAGE_DEEP_LINKING, ROLE_INSTRUCTOR
from tests.support.serve_proc import NO_DKT, EngineProcess, start_engine

_GATEWAY = re.compile(r"gateway listening on (\S+)")
FAST = {
    **NO_DKT,
    # Answers in a test come within milliseconds; count them at full weight.
    "ATTUNE_TUTOR__TOO_FAST_FLOOR_MS": "0",
    "ATTUNE_TUTOR__TOO_FAST_FRACTION": "0",
    "ATTUNE_GATEWAY__OUTBOX_POLL_SECONDS": "0.1",
    "ATTUNE_GATEWAY__OUTBOX_BASE_DELAY_SECONDS": "0.2",
    "ATTUNE_GATEWAY__OUTBOX_MAX_DELAY_SECONDS": "0.5",
    "ATTUNE_GATEWAY__JWKS_REFETCH_SECONDS": "0.5",
    # The platform emulator is on 127.0.0.1, which dynamic registration refuses by default.
    "ATTUNE_GATEWAY__ALLOW_PRIVATE_REGISTRATION_TARGETS": "true",
    # One test client launches far faster than a person: the limiter has tests of its own
    # (test_hardening_http.py); these stacks test everything else.
    "ATTUNE_GATEWAY__HTTP__RATE_LIMITS__ENABLED": "false",
}


@dataclass
class Stack:
    """A running engine + gateway."""

    engine: EngineProcess
    url: str

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def connect(self, lms: PlatformEmulator, tenant: str = "default") -> None:
        """Register the platform with the gateway (admin API) and the tool with the platform."""
        reply = self.admin(
            "PUT",
            f"/admin/tenants/{tenant}/registrations",
            json={
                "issuer": lms.issuer,
                "client_id": lms.client_id,
                "auth_login_url": lms.auth_login_url,
                "auth_token_url": lms.token_url,
                "key_set_url": lms.jwks_url,
                "deployment_ids": [lms.deployment_id],
            },
        )
        assert reply.status_code == 200, reply.text
        lms.set_tool(
            login_url=self.url + "/lti/login",
            launch_url=self.url + "/lti/launch",
            jwks_url=self.url + "/lti/jwks",
        )


@contextmanager
def running_stack(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """``attune serve`` with the gateway on free ports; stopped with SIGTERM after."""
    proc = start_engine(data_dir, env={**FAST, **(env or {})})
    try:
        assert proc.proc.stdout is not None
        url = ""
        deadline = time.monotonic() + 30
        while not url and time.monotonic() < deadline:
            found = _GATEWAY.search(proc.proc.stdout.readline())
            url = found.group(1) if found else ""
        assert url, "the gateway did not start:\n" + "\n".join(proc.log_tail)
        yield Stack(proc, url)
    finally:
        # A test's dropped requests.Session may still hold a keep-alive connection until the
        # collector frees it; the gateway's stop waits up to 5 s for open connections.
        gc.collect()
        if proc.proc.poll() is None:
            proc.terminate()


# -- reading pages -----------------------------------------------------------------------


def field(page: str, name: str) -> str:
    """The value of a hidden input, or ``""``."""
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def data(page: str, attribute: str) -> str:
    found = re.search(rf'data-{attribute}="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else ""


def token_of(response: requests.Response) -> str:
    """The session token in a page URL (``/practice/<token>``, ``/instructor/<token>``)."""
    return response.url.rstrip("/").rsplit("/", 1)[-1]


@cache
def _contents() -> dict[str, str]:
    from attune.engine.demo.course import demo_course

    return {item.item_id: item.content for item in demo_course().items.values()}


def right_answer(page: str) -> str:
    """What a learner who knows the skill types for the question on ``page``."""
    from attune.content.templates import render

    return render(_contents()[data(page, "item")], int(data(page, "seed"))).answer


def answer(
    http: requests.Session, base: str, token: str, page: str, text: str
) -> requests.Response:
    """Submit ``text`` to the question on ``page``."""
    return http.post(
        f"{base}/practice/{token}/answer",
        data={"event_id": field(page, "event_id"), "answer": text},
        timeout=20,
    )


def practise_until_done(
    http: requests.Session,
    base: str,
    token: str,
    choose: Callable[[str, int], str],
    limit: int = 80,
) -> int:
    """Answer until the page says every skill is mastered; the number of answers."""
    for n in range(limit):
        page = http.get(f"{base}/practice/{token}", timeout=20)
        assert page.status_code == 200, page.text
        if 'id="done"' in page.text:
            return n
        reply = answer(http, base, token, page.text, choose(page.text, n))
        assert reply.status_code == 200, reply.text
    raise AssertionError(f"not mastered after {limit} answers")


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def deep_link_activity(
    stack: Stack, lms: PlatformEmulator, skills: list[str], title: str, course_id: str = "demo"
) -> str:
    """An instructor picks an activity; the platform receives it; the activity id."""
    http = requests.Session()
    picker = lms.launch(
        http, message_type=MESSAGE_DEEP_LINKING, roles=[ROLE_INSTRUCTOR], sub="teacher-1"
    )
    assert picker.status_code == 200 and "Choose an adaptive activity" in picker.text
    token = token_of(picker)
    form = http.post(
        f"{stack.url}/lti/deep-link/{token}",
        data={"course_id": course_id, "title": title, "skill_ids": skills},
        timeout=10,
    )
    assert form.status_code == 200
    jwt_value = field(form.text, "JWT")
    action = re.search(r'action="([^"]+)"', form.text).group(1)
    back = http.post(action, data={"JWT": jwt_value}, timeout=10)
    assert back.status_code == 200, back.text
    response = lms.deep_link_responses[-1]
    [item] = response["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == stack.url + "/lti/launch"
    assert item["lineItem"]["scoreMaximum"] == 100.0
    assert item["lineItem"]["label"] == title
    return str(item["custom"]["activity_id"])

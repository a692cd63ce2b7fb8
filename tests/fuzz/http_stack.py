"""The whole stack for HTTP fuzzing (a real ``attune serve`` and an LMS emulator registered
with it), what a refused request must leave as it was, and one checked request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import requests

from attune.engine.v1 import (
    course_pb2,
    course_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
)
from tests.fuzz.fast_urls import fast_url_encoding
from tests.fuzz.tally import TALLY
from tests.support.gateway_stack import Stack, running_stack
from tests.support.lti_platform import PlatformEmulator
from tests.support.serve_proc import TOKEN_META

INGEST_TOKEN = "dev-ingest-token"
TENANTS = ("default", "other")
# The fuzzer sends many requests from one address: the rate limits would answer most of them
# with 429, which is a correct refusal but reaches no code behind it.
ENV = {"ATTUNE_GATEWAY__HTTP__RATE_LIMITS__ENABLED": "false"}


@dataclass
class FuzzStack:
    """A running stack, an HTTP session, the engine's stubs and a connected LMS."""

    stack: Stack
    http: requests.Session
    lms: PlatformEmulator
    courses: course_pb2_grpc.CourseServiceStub
    events: events_pb2_grpc.EventServiceStub
    # What observe() saw after the last checked request; None when it must be read again.
    last_seen: tuple[Any, ...] | None = None

    @property
    def url(self) -> str:
        return self.stack.url


@contextmanager
def fuzz_stack(data_dir: Path) -> Iterator[FuzzStack]:
    """Start ``attune serve`` and the LMS emulator, register the LMS; stop both after."""
    with (
        running_stack(data_dir, env=ENV) as stack,
        PlatformEmulator() as lms,
        grpc.insecure_channel(stack.engine.target) as channel,
        requests.Session() as http,
    ):
        stack.connect(lms)
        yield FuzzStack(
            stack,
            http,
            lms,
            course_pb2_grpc.CourseServiceStub(channel),
            events_pb2_grpc.EventServiceStub(channel),
        )


def observe(fs: FuzzStack) -> tuple[Any, ...]:
    """What an operator sees of the default tenant: registrations (of both tenants), the
    activity map, the LRS targets, the courses and the engine's event log."""
    seen: list[Any] = []
    for tenant in TENANTS:
        seen.append(fs.stack.admin("GET", f"/admin/tenants/{tenant}/registrations").json())
    seen.append(fs.stack.admin("GET", "/admin/tenants/default/activity-map").json())
    seen.append(fs.stack.admin("GET", "/admin/tenants/default/lrs").json()["targets"])
    listed = fs.courses.ListCourses(
        course_pb2.ListCoursesRequest(page_size=500), metadata=TOKEN_META
    )
    seen.append(listed.SerializeToString(deterministic=True))
    cursor, events = 0, 0
    while True:
        page = fs.events.ListEvents(
            events_pb2.ListEventsRequest(after_log_id=cursor, page_size=1000), metadata=TOKEN_META
        )
        if not page.events:
            break
        events += len(page.events)
        cursor = page.last_log_id
    seen.append((events, cursor))
    return tuple(seen)


def _short(value: Any) -> str:
    return repr(value)[:300]


def exercise(
    fs: FuzzStack,
    surface: str,
    method: str,
    path: str,
    example: Any,
    *,
    read_only: bool = False,
    **kwargs: Any,
) -> requests.Response:
    """One request: fail (and count) on a 5xx, or on a refusal (or a read) that changed what
    an operator sees."""
    surface = f"http:{surface}"
    # Only requests change what observe() reads, so the last request's "after" is this
    # one's "before": one observation per request instead of two.
    before = fs.last_seen if fs.last_seen is not None else observe(fs)
    fs.last_seen = None
    TALLY.tried(surface)
    kwargs.setdefault("allow_redirects", False)
    with fast_url_encoding():  # the same bytes; see fast_urls.py
        reply = fs.http.request(method, fs.url + path, timeout=30, **kwargs)
    if reply.status_code >= 500:
        TALLY.server_error(
            surface, str(reply.status_code), f"{_short(example)} -> {reply.text[:150]}"
        )
        raise AssertionError(
            f"{method} {path[:80]} answered {reply.status_code}: {reply.text[:300]}"
        )
    fs.last_seen = observe(fs)
    if (reply.status_code >= 400 or read_only) and fs.last_seen != before:
        TALLY.changed(surface, f"{reply.status_code}: {_short(example)}")
        raise AssertionError(f"{method} {path[:80]} answered {reply.status_code} but changed state")
    return reply

"""Course content for the stack tests: small packages built from the shared item model (one
course per item type, one skill and one item, so the practice page must show that item, with
the answers a learner gives to each), their import through the admin API, the engine seen
over gRPC, and a learner practising on the demo page."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
import requests

from attune.content.model import (
    Choice,
    ContentItem,
    ContentSkill,
    CoursePackage,
    MathAnswer,
    Media,
    NumericAnswer,
    Resource,
    TextAnswer,
)
from attune.content.package.write import package_zip
from attune.engine.v1 import (
    course_pb2,
    course_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
    learner_pb2,
    learner_pb2_grpc,
)
from tests.support.gateway_stack import Stack, data, token_of
from tests.support.gateway_stack import field as form_field
from tests.support.serve_proc import TOKEN_META

TENANT = "default"  # the demo page's tenant, and the engine token's (TOKEN_META)

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
    b'<rect width="4" height="4" fill="teal"/></svg>'
)


def tiny_png() -> bytes:
    """A valid 1x1 grey PNG (signature, IHDR, IDAT, IEND), made here rather than stored."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\x80")  # filter byte 0, one grey pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def skill(skill_id: str, name: str = "", resources: tuple[Resource, ...] = ()) -> ContentSkill:
    """A skill with the package defaults for BKT (the gateway fills them in)."""
    return ContentSkill(skill_id, name or skill_id.capitalize(), resources=resources)


def course(
    course_id: str,
    skills: tuple[ContentSkill, ...],
    items: tuple[ContentItem, ...],
    version: str = "1",
    media: Mapping[str, bytes] | None = None,
) -> CoursePackage:
    """A package whose title is its id with spaces."""
    title = course_id.replace("-", " ").capitalize()
    return CoursePackage(course_id, title, version, skills, items, media=dict(media or {}))


def zipped(package: CoursePackage) -> bytes:
    """The package as the zip the admin API takes."""
    return package_zip(package)


def one_item_course(course_id: str, item: ContentItem, **media: bytes) -> CoursePackage:
    """A course of one skill (``s``) and ``item`` alone."""
    return course(course_id, (skill("s", "The skill"),), (item,), media=media)


def stem_item(
    item_id: str, skill_ids: tuple[str, ...] = ("s",), stem: str = "", **fields: object
) -> ContentItem:
    """A numeric item (answer 4) unless ``fields`` say otherwise."""
    base: dict[str, object] = {
        "type": "numeric",
        "numeric_answers": (NumericAnswer(4.0),),
        "solution_html": f"<p>Solution of {item_id}.</p>",
    }
    base.update(fields)
    return ContentItem(
        item_id=item_id,
        stem_html=stem or f"<p>Question {item_id}: 2 + 2?</p>",
        skill_ids=skill_ids,
        **base,  # type: ignore[arg-type]
    )


def media_item(item_id: str, *files: tuple[str, str]) -> ContentItem:
    """An item whose stem shows each media file, given as (path, media type)."""
    images = "".join(f'<img src="{path}" alt="Picture {n}">' for n, (path, _) in enumerate(files))
    return stem_item(
        item_id,
        stem=f"<p>What do they show?</p>{images}",
        media=tuple(Media(path, kind, f"Picture {n}") for n, (path, kind) in enumerate(files)),
    )


@dataclass(frozen=True)
class TypeCase:
    """One item type: its one-item course, and answers with what the page must say.

    Each answer is the form's ``answer`` values (a checkbox group repeats the field); the
    ``*_feedback`` fragments are those of the chosen options (or the typed answer)."""

    kind: str
    item: ContentItem
    right: tuple[tuple[str, ...], ...]
    wrong: tuple[str, ...]
    partial: tuple[str, ...] = ()
    right_feedback: str = ""
    wrong_feedback: str = ""
    other_feedback: tuple[str, ...] = field(default=())  # never shown for ``wrong``

    @property
    def course_id(self) -> str:
        return f"type-{self.kind.replace('_', '-')}"

    @property
    def package(self) -> CoursePackage:
        return one_item_course(self.course_id, self.item)


def _item(kind: str, stem: str, **fields: object) -> ContentItem:
    return ContentItem(
        item_id=f"{kind.replace('_', '-')}-1",
        type=kind,  # type: ignore[arg-type]
        stem_html=stem,
        skill_ids=("s",),
        solution_html=f"<p>Worked solution for {kind}.</p>",
        **fields,  # type: ignore[arg-type]
    )


TYPE_CASES: tuple[TypeCase, ...] = (
    TypeCase(
        "choice",
        _item(
            "choice",
            "<p>The capital of France?</p>",
            choices=(
                Choice("a", "Paris", correct=True, feedback_html="<p>Yes: Paris.</p>"),
                Choice("b", "Lyon", feedback_html="<p>Lyon is the third city.</p>"),
                Choice("c", "Nice"),
            ),
        ),
        right=(("a",),),
        wrong=("b",),
        right_feedback="Yes: Paris.",
        wrong_feedback="Lyon is the third city.",
        other_feedback=("Yes: Paris.",),
    ),
    TypeCase(
        "multiple_response",
        _item(
            "multiple_response",
            "<p>Which are even?</p>",
            partial_credit=True,
            choices=(
                Choice("a", "2", correct=True, weight=0.5, feedback_html="<p>2 is even.</p>"),
                Choice("b", "4", correct=True, weight=0.5),
                Choice("c", "7", weight=-0.5, feedback_html="<p>7 is odd.</p>"),
            ),
        ),
        right=(("a", "b"),),
        wrong=("c",),
        partial=("a",),
        right_feedback="2 is even.",
        wrong_feedback="7 is odd.",
        other_feedback=("2 is even.",),
    ),
    TypeCase(
        "text_entry",
        _item(
            "text_entry",
            "<p>Name the capital of France.</p>",
            text_answers=(TextAnswer("Paris", feedback_html="<p>Well spelt.</p>"),),
        ),
        right=(("PARIS",), ("paris",)),
        wrong=("Lyon",),
        right_feedback="Well spelt.",
    ),
    TypeCase(
        "numeric",
        _item(
            "numeric",
            "<p>Gravity at the surface of the Earth?</p>",
            numeric_answers=(NumericAnswer(9.81, 0.05, "absolute", ("m/s^2",)),),
        ),
        right=(("9.8 m/s^2",), ("9.85 m/s^2",)),
        wrong=("12 m/s^2",),
    ),
    TypeCase(
        "inline_choice",
        _item(
            "inline_choice",
            "<p>2/4 is ___ 1/2.</p>",
            choices=(
                Choice("eq", "equal to", correct=True),
                Choice("gt", "greater than", feedback_html="<p>Draw both halves.</p>"),
                Choice("lt", "less than"),
            ),
        ),
        right=(("eq",),),
        wrong=("gt",),
        wrong_feedback="Draw both halves.",
    ),
    TypeCase(
        "math",
        _item("math", "<p>Expand 2(x + 1) - 1.</p>", math_answer=MathAnswer("2*x+1")),
        right=(("1+2x",), ("x*2+1",)),
        wrong=("2*x+2",),
    ),
    TypeCase(
        "extended_text",
        _item(
            "extended_text",
            "<p>How do plants make sugar from light?</p>",
            text_answers=(TextAnswer("photosynthesis"),),
        ),
        right=(("Photosynthesis",),),
        wrong=("respiration",),
    ),
)
# -- the admin API and the engine --------------------------------------------------------


def upload(stack: Stack, body: bytes, **params: str) -> requests.Response:
    """POST an upload to the tenant's content import."""
    return stack.admin("POST", f"/admin/tenants/{TENANT}/content", params=params, data=body)


def imported(stack: Stack, package: CoursePackage, dry_run: bool = False) -> dict[str, Any]:
    """Import ``package``; the import's JSON (asserting it was accepted)."""
    reply = upload(
        stack,
        zipped(package),
        format="package",
        filename=f"{package.course_id}.zip",
        dry_run=str(dry_run).lower(),
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def status(stack: Stack, course_id: str) -> requests.Response:
    """The course's content status (current version, imports, unscored answers)."""
    return stack.admin("GET", f"/admin/tenants/{TENANT}/content/{course_id}")


def engine_course(stack: Stack, course_id: str) -> course_pb2.Course:
    """The course as the engine holds it (gRPC, the default tenant's token)."""
    with grpc.insecure_channel(stack.engine.target) as channel:
        reply = course_pb2_grpc.CourseServiceStub(channel).GetCourse(
            course_pb2.GetCourseRequest(course_id=course_id), metadata=TOKEN_META, timeout=10
        )
    return reply.course


def put_engine_course(stack: Stack, course_pb: course_pb2.Course) -> None:
    """Give the engine a course directly, bypassing the content import."""
    with grpc.insecure_channel(stack.engine.target) as channel:
        course_pb2_grpc.CourseServiceStub(channel).PutCourse(
            course_pb2.PutCourseRequest(course=course_pb), metadata=TOKEN_META, timeout=10
        )


def engine_events(stack: Stack) -> list[events_pb2.LoggedResponse]:
    """The tenant's whole event log (every recorded answer)."""
    found: list[events_pb2.LoggedResponse] = []
    with grpc.insecure_channel(stack.engine.target) as channel:
        stub = events_pb2_grpc.EventServiceStub(channel)
        after = 0
        while True:
            reply = stub.ListEvents(
                events_pb2.ListEventsRequest(after_log_id=after, page_size=1000),
                metadata=TOKEN_META,
                timeout=10,
            )
            found.extend(reply.events)
            if not reply.events:
                return found
            after = reply.last_log_id


def learner_state(
    stack: Stack, learner_id: str, course_id: str
) -> learner_pb2.GetLearnerStateResponse | None:
    """The engine's state of a learner, or None when it has recorded nothing of them."""
    with grpc.insecure_channel(stack.engine.target) as channel:
        try:
            return learner_pb2_grpc.LearnerServiceStub(channel).GetLearnerState(
                learner_pb2.GetLearnerStateRequest(learner_id=learner_id, course_id=course_id),
                metadata=TOKEN_META,
                timeout=10,
            )
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND, exc
            return None


# -- a learner on the demo page -----------------------------------------------------------


@dataclasses.dataclass
class Learner:
    """A visitor of ``/demo?course=...``: a session token and the page last seen."""

    stack: Stack
    http: requests.Session
    token: str
    page: str
    last_event: str = ""

    @classmethod
    def start(cls, stack: Stack, course_id: str) -> Learner:
        http = requests.Session()
        page = http.get(f"{stack.url}/demo", params={"course": course_id}, timeout=10)
        assert page.status_code == 200 and "/practice/" in page.url, page.text
        return cls(stack, http, token_of(page), page.text)

    @property
    def base(self) -> str:
        return f"{self.stack.url}/practice/{self.token}"

    def refresh(self) -> str:
        reply = self.http.get(self.base, timeout=10)
        assert reply.status_code == 200, reply.text
        self.page = reply.text
        return self.page

    def answer(self, *values: str) -> str:
        """Answer the question on the page (each value one ``answer`` field); the feedback."""
        self.last_event = form_field(self.page, "event_id")
        reply = self.http.post(
            f"{self.base}/answer",
            data={"event_id": self.last_event, "answer": list(values)},
            timeout=20,
        )
        assert reply.status_code == 200, reply.text
        self.page = reply.text
        return self.page

    def hint(self, event_id: str | None = None) -> requests.Response:
        return self.http.post(
            f"{self.base}/hint",
            data={"event_id": form_field(self.page, "event_id") if event_id is None else event_id},
            timeout=10,
        )

    def learner_id(self) -> str:
        """The engine's id of this learner, from the event its last answer was recorded as."""
        [mine] = [
            e.response.learner_id
            for e in engine_events(self.stack)
            if e.response.event_id == self.last_event
        ]
        return mine

    def progress(self, learner_id: str) -> dict[str, dict[str, Any]]:
        """The progress API's rows by skill id (this session's token as the bearer)."""
        reply = self.http.get(
            f"{self.stack.url}/api/learners/{learner_id}/progress",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert reply.status_code == 200, reply.text
        return {row["skill_id"]: row for row in reply.json()["skills"]}


def result(page: str) -> str:
    """The feedback's verdict: right, wrong, partial or unscored."""
    return data(page, "result")

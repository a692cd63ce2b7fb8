"""Fuzzing the gRPC contract (attune.engine.v1) over a real server: every RPC, generated
requests and raw bytes. Properties: the status is never INTERNAL or UNKNOWN, and a refused
request (or any read) changes nothing tenant-a can observe (courses, the event log, learner
states)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from attune.engine.domain.limits import EARLIEST_OCCURRED_AT, MAX_FUTURE_SKEW_S
from attune.engine.v1 import course_pb2, erasures_pb2, erasures_pb2_grpc, events_pb2, learner_pb2
from tests.fuzz import strategies as s
from tests.fuzz.grpc_engine import BAD_CODES, SEEDED_LEARNER, SyncEngine, observe, threaded_engine
from tests.fuzz.profiles import fuzz_settings
from tests.fuzz.tally import TALLY
from tests.support.engine_server import META_A

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]

Pairs = tuple[tuple[str, str], ...]
_ids = st.one_of(st.sampled_from(["chain", "a", "b", "c", "a1", "bc", "nope"]), s.text)
_skill_ids = st.one_of(st.sampled_from(["a", "b", "c", "d"]), s.text)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncEngine]:
    with threaded_engine(tmp_path_factory.mktemp("fuzz-engine")) as running:
        yield running


def _short(value: Any) -> str:
    return repr(value)[:300]


def exercise(
    engine: SyncEngine,
    rpc: str,
    call: Callable[[], Any],
    example: Any,
    *,
    learners: Pairs = (),
    read_only: bool = False,
) -> grpc.StatusCode:
    """Make one call; fail (and count) on a server error, on a refusal (or a read) that
    changed something, or on an accepted event whose time is outside the documented window."""
    surface = f"grpc:{rpc}"
    before = observe(engine, learners)
    TALLY.tried(surface)
    code, details = grpc.StatusCode.OK, ""
    try:
        call()
    except grpc.RpcError as exc:
        code, details = exc.code(), exc.details() or ""  # type: ignore[attr-defined]
    if code in BAD_CODES:
        TALLY.server_error(surface, code.name, f"{_short(example)} -> {details[:200]}")
        raise AssertionError(f"{rpc} answered {code.name}: {details[:500]}")
    try:
        after = observe(engine, learners)
    except grpc.RpcError as exc:
        status = exc.code().name  # type: ignore[attr-defined]
        TALLY.server_error(f"{surface} (then reads)", status, _short(example))
        raise
    if (code != grpc.StatusCode.OK or read_only) and after != before:
        TALLY.changed(surface, _short(example))
        raise AssertionError(f"{rpc} answered {code.name} but changed what tenant-a sees")
    _check_window(surface, after[1][len(before[1]) :], example)
    return code


def _check_window(surface: str, new_events: tuple[bytes, ...], example: Any) -> None:
    """Every stored event's occurred_at lies in the documented window (README, limits):
    from 2000-01-01 to the clock skew past now."""
    now = time.time()
    for raw in new_events:
        at = events_pb2.LoggedResponse.FromString(raw).response.occurred_at.seconds
        if not EARLIEST_OCCURRED_AT <= at <= now + MAX_FUTURE_SKEW_S:
            TALLY.finding(surface, "stored an out-of-window occurred_at", _short(example))
            raise AssertionError(f"{surface} stored occurred_at={at}, outside the window")


def _timestamps() -> st.SearchStrategy[Timestamp | None]:
    stamp = st.builds(
        lambda sec, ns: Timestamp(seconds=sec, nanos=ns),
        s.mostly(s.recent_seconds, s.epoch_seconds),
        s.mostly(st.integers(0, 999_999_999), s.nanos),
    )
    return st.one_of(st.none(), stamp)


@st.composite
def record_requests(draw: st.DrawFn) -> learner_pb2.RecordResponseRequest:
    """A response that is valid but for a field or two."""
    request = learner_pb2.RecordResponseRequest(
        event_id=draw(s.mostly(st.uuids().map(str), s.text)),
        learner_id=draw(s.mostly(st.sampled_from([SEEDED_LEARNER, "fuzz-1", "fuzz-2"]), s.text)),
        course_id=draw(s.mostly(st.just("chain"), _ids)),
        item_id=draw(s.mostly(st.sampled_from(["a1", "a2", "b1", "bc"]), _ids)),
        response_time_ms=draw(s.mostly(st.integers(0, 60_000), s.int64)),
        max_recommendations=draw(s.mostly(st.integers(0, 50), s.int32)),
    )
    outcome = draw(s.mostly(st.sampled_from(["correct", "score"]), st.just("none")))
    if outcome == "correct":
        request.correct = draw(st.booleans())
    elif outcome == "score":
        request.score = draw(s.mostly(st.floats(0, 1), s.floats))
    stamp = draw(_timestamps())
    if stamp is not None:
        request.occurred_at.CopyFrom(stamp)
    return request


@st.composite
def courses(draw: st.DrawFn) -> course_pb2.Course:
    """A course like the chain course, with some fields perturbed."""
    p = s.mostly(s.probability, s.floats)

    def bkt() -> course_pb2.BktParams:
        return course_pb2.BktParams(
            prior=draw(p), learn=draw(p), guess=draw(p), slip=draw(p), forget=draw(p)
        )

    def mastery() -> course_pb2.MasteryPolicy:
        return course_pb2.MasteryPolicy(
            threshold=draw(s.mostly(st.floats(0.5, 0.99), s.floats)),
            min_attempts=draw(s.mostly(st.integers(1, 5), s.int32)),
            consecutive_correct=draw(s.mostly(st.integers(1, 3), s.int32)),
        )

    course = course_pb2.Course(
        course_id=draw(s.mostly(st.sampled_from(["fuzz-course", "fuzz-other"]), s.text)),
        title=draw(s.mostly(st.just("Fuzz"), s.text)),
        dkt_model=draw(s.mostly(st.just(""), s.text)),
    )
    skills = draw(st.lists(s.mostly(st.sampled_from(["a", "b", "c"]), _skill_ids), max_size=4))
    for n, skill_id in enumerate(skills):
        skill = course.skills.add(
            skill_id=skill_id,
            name=draw(s.mostly(st.just(skill_id.upper()), s.text)),
            bkt=bkt(),
            prerequisites=draw(
                s.mostly(st.just(skills[:n][-1:]), st.lists(_skill_ids, max_size=3))
            ),
        )
        if draw(st.booleans()):
            skill.mastery.CopyFrom(mastery())
    for n in range(draw(st.integers(0, 4))):
        course.items.add(
            item_id=draw(s.mostly(st.just(f"i{n}"), _ids)),
            skill_ids=draw(s.mostly(st.just(skills[:1]), st.lists(_skill_ids, max_size=3))),
            irt=course_pb2.IrtParams(
                a=draw(s.mostly(st.floats(0.1, 3), s.floats)),
                b=draw(s.mostly(st.floats(-3, 3), s.floats)),
                c=draw(s.mostly(st.floats(0, 0.3), s.floats)),
            ),
            content=draw(s.mostly(st.just(""), s.text)),
        )
    if draw(st.booleans()):
        course.mastery.CopyFrom(mastery())
    if draw(st.booleans()):
        course.diagnostic.CopyFrom(
            course_pb2.DiagnosticPolicy(
                disabled=draw(st.booleans()),
                min_items=draw(s.mostly(st.integers(1, 8), s.int32)),
                max_items=draw(s.mostly(st.integers(1, 50), s.int32)),
                target_se=draw(s.mostly(st.floats(0.1, 1), s.floats)),
            )
        )
    return course


@fuzz_settings(120)
@given(course=courses(), wrapped=st.booleans())
def test_put_course(engine: SyncEngine, course: course_pb2.Course, wrapped: bool) -> None:
    request = (
        course_pb2.PutCourseRequest(course=course) if wrapped else course_pb2.PutCourseRequest()
    )
    exercise(
        engine, "PutCourse", lambda: engine.courses.PutCourse(request, metadata=META_A), request
    )


@fuzz_settings(45)
@given(course_id=_ids)
def test_get_course(engine: SyncEngine, course_id: str) -> None:
    request = course_pb2.GetCourseRequest(course_id=course_id)
    call = lambda: engine.courses.GetCourse(request, metadata=META_A)  # noqa: E731
    exercise(engine, "GetCourse", call, request, read_only=True)


@fuzz_settings(45)
@given(page_size=s.int32, page_token=st.one_of(s.text, st.sampled_from(["1", "chain", "-1"])))
def test_list_courses(engine: SyncEngine, page_size: int, page_token: str) -> None:
    request = course_pb2.ListCoursesRequest(page_size=page_size, page_token=page_token)
    call = lambda: engine.courses.ListCourses(request, metadata=META_A)  # noqa: E731
    exercise(engine, "ListCourses", call, request, read_only=True)


@fuzz_settings(180)
@given(request=record_requests())
def test_record_response(engine: SyncEngine, request: learner_pb2.RecordResponseRequest) -> None:
    call = lambda: engine.learners.RecordResponse(request, metadata=META_A)  # noqa: E731
    learners = ((request.learner_id, request.course_id),)
    exercise(engine, "RecordResponse", call, request, learners=learners)


@fuzz_settings(60)
@given(requests=st.lists(record_requests(), max_size=4), wrap_empty=st.booleans())
def test_stream_responses(
    engine: SyncEngine, requests: list[learner_pb2.RecordResponseRequest], wrap_empty: bool
) -> None:
    """Every element gets a reply or an error reply; no element's error is a server error;
    a stream whose every element was refused changes nothing."""
    messages = [learner_pb2.StreamResponsesRequest(record=r) for r in requests]
    if wrap_empty:
        messages.append(learner_pb2.StreamResponsesRequest())  # no record at all
    replies: list[learner_pb2.StreamResponsesResponse] = []

    def call() -> None:
        replies.extend(engine.learners.StreamResponses(iter(messages), metadata=META_A))
        bad = [r.error for r in replies if r.WhichOneof("result") == "error"]
        if any(e.code in ("INTERNAL", "UNKNOWN") for e in bad):
            raise _StreamElementError(bad)
        if replies and all(r.WhichOneof("result") == "error" for r in replies):
            raise _AllRefused()

    learners = tuple((r.learner_id, r.course_id) for r in requests)
    exercise(engine, "StreamResponses", call, requests, learners=learners)


class _AllRefused(grpc.RpcError):
    """Every element was refused: treated as a refusal, so nothing may have changed."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.INVALID_ARGUMENT

    def details(self) -> str:
        return "every element refused"


class _StreamElementError(grpc.RpcError):
    def __init__(self, errors: list[learner_pb2.StreamError]) -> None:
        self.errors = errors

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.INTERNAL

    def details(self) -> str:
        return "; ".join(f"{e.code} {e.field}: {e.message[:100]}" for e in self.errors)


@fuzz_settings(45)
@given(learner=st.one_of(st.just(SEEDED_LEARNER), s.text), course=_ids, max_items=s.int32)
def test_recommend(engine: SyncEngine, learner: str, course: str, max_items: int) -> None:
    request = learner_pb2.RecommendRequest(
        learner_id=learner, course_id=course, max_items=max_items
    )
    call = lambda: engine.learners.Recommend(request, metadata=META_A)  # noqa: E731
    exercise(engine, "Recommend", call, request, learners=((learner, course),), read_only=True)


@fuzz_settings(45)
@given(learner=st.one_of(st.just(SEEDED_LEARNER), s.text), course=_ids)
def test_get_learner_state(engine: SyncEngine, learner: str, course: str) -> None:
    request = learner_pb2.GetLearnerStateRequest(learner_id=learner, course_id=course)
    call = lambda: engine.learners.GetLearnerState(request, metadata=META_A)  # noqa: E731
    exercise(engine, "GetLearnerState", call, request, read_only=True)


@fuzz_settings(45)
@given(learner=s.text.filter(lambda v: v != SEEDED_LEARNER))
def test_delete_learner(engine: SyncEngine, learner: str) -> None:
    request = learner_pb2.DeleteLearnerRequest(learner_id=learner)
    call = lambda: engine.learners.DeleteLearner(request, metadata=META_A)  # noqa: E731
    exercise(engine, "DeleteLearner", call, request)


@fuzz_settings(45)
@given(after=s.int64, page_size=s.int32)
def test_list_events(engine: SyncEngine, after: int, page_size: int) -> None:
    request = events_pb2.ListEventsRequest(after_log_id=after, page_size=page_size)
    call = lambda: engine.events.ListEvents(request, metadata=META_A)  # noqa: E731
    exercise(engine, "ListEvents", call, request, read_only=True)


@fuzz_settings(45)
@given(learner=s.mostly(st.just(""), s.text), page_size=s.int32)
def test_list_pending_erasures(engine: SyncEngine, learner: str, page_size: int) -> None:
    stub = erasures_pb2_grpc.ErasureServiceStub(engine.channel)
    request = erasures_pb2.ListPendingErasuresRequest(learner_id=learner, page_size=page_size)
    call = lambda: stub.ListPendingErasures(request, metadata=META_A)  # noqa: E731
    exercise(engine, "ListPendingErasures", call, request, read_only=True)


@fuzz_settings(45)
@given(learner=s.text, erasure_id=s.mostly(st.uuids().map(lambda u: u.hex), s.text))
def test_acknowledge_erasure(engine: SyncEngine, learner: str, erasure_id: str) -> None:
    stub = erasures_pb2_grpc.ErasureServiceStub(engine.channel)
    request = erasures_pb2.AcknowledgeErasureRequest(learner_id=learner, erasure_id=erasure_id)
    call = lambda: stub.AcknowledgeErasure(request, metadata=META_A)  # noqa: E731
    exercise(engine, "AcknowledgeErasure", call, request)


_UNARY = [
    "/attune.engine.v1.CourseService/PutCourse",
    "/attune.engine.v1.CourseService/GetCourse",
    "/attune.engine.v1.CourseService/ListCourses",
    "/attune.engine.v1.LearnerService/RecordResponse",
    "/attune.engine.v1.LearnerService/Recommend",
    "/attune.engine.v1.LearnerService/GetLearnerState",
    "/attune.engine.v1.LearnerService/DeleteLearner",
    "/attune.engine.v1.EventService/ListEvents",
    "/attune.engine.v1.ErasureService/ListPendingErasures",
    "/attune.engine.v1.ErasureService/AcknowledgeErasure",
    "/attune.engine.v1.TenantService/DeleteTenant",
]
_STREAM = "/attune.engine.v1.LearnerService/StreamResponses"
_metadata = st.one_of(
    st.just(META_A),
    st.just(()),
    st.sampled_from(
        ["Bearer ", "Bearer token-a ", "Basic token-a", "bearer token-a", "token-a"]
    ).map(lambda v: (("authorization", v),)),
)


@fuzz_settings(120)
@given(method=st.sampled_from([*_UNARY, _STREAM]), body=s.raw_bytes, metadata=_metadata)
def test_raw_bytes(
    engine: SyncEngine, method: str, body: bytes, metadata: tuple[tuple[str, str], ...]
) -> None:
    """A body that is not the method's message, or a bad credential: never a server error."""
    if method == _STREAM:
        stream = engine.channel.stream_stream(method)
        call = lambda: list(stream(iter([body, body]), metadata=metadata, timeout=10))  # noqa: E731
    else:
        unary = engine.channel.unary_unary(method)
        call = lambda: unary(body, metadata=metadata, timeout=10)  # noqa: E731
    exercise(engine, method.rsplit("/", 1)[1] + " (raw bytes)", call, (body, metadata))

"""Issue 11 on the gRPC edge: bad times, oversized ids, malformed bodies, reused event ids and
an exclusive port are refused with a clear status, and nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.domain.limits import MAX_ID_CHARS
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import PortUnavailableError, start_server
from attune.engine.service import Engine
from attune.engine.v1 import course_pb2, events_pb2, events_pb2_grpc, learner_pb2
from tests.support.courses import chain_course
from tests.support.engine_server import META_A, TOKENS, Client, ManualClock, engine_client

pytestmark = pytest.mark.integration

NOW = 1_800_000_000
LONG = "x" * (MAX_ID_CHARS + 1)
MEGABYTE = "m" * 1_000_000


@pytest.fixture
async def timed(tmp_path: Path) -> AsyncIterator[Client]:
    """An engine whose clock the test holds (NOW), with the chain course and one response."""
    async with engine_client(tmp_path, clock=ManualClock(NOW)) as c:
        await c.courses.PutCourse(
            course_pb2.PutCourseRequest(course=chain_course()), metadata=META_A
        )
        await c.learners.RecordResponse(_resp("first"), metadata=META_A)
        yield c


def _resp(event_id: str, at: Timestamp | None = None, **kw: object):
    if "score" not in kw:
        kw.setdefault("correct", True)
    fields: dict[str, object] = {
        "event_id": event_id,
        "learner_id": "l1",
        "course_id": "chain",
        "item_id": "a1",
        **kw,
    }
    req = learner_pb2.RecordResponseRequest(**fields)  # type: ignore[arg-type]
    if at is not None:
        req.occurred_at.CopyFrom(at)
    return req


async def _refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value


async def _unchanged(client: Client) -> None:
    """The tenant still reads fine and holds the one response of the fixture."""
    state = await client.learners.GetLearnerState(
        learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id="chain"), metadata=META_A
    )
    assert state.responses == 1
    events = await events_pb2_grpc.EventServiceStub(client.channel).ListEvents(
        events_pb2.ListEventsRequest(), metadata=META_A
    )
    assert [e.response.event_id for e in events.events] == ["first"]


BAD_TIMES = [
    pytest.param(Timestamp(seconds=2**63 - 1), "occurred_at", id="int64-max"),
    pytest.param(Timestamp(seconds=-1), "occurred_at", id="minus-one"),
    pytest.param(Timestamp(seconds=-15_000_000), "occurred_at", id="1969"),
    pytest.param(Timestamp(seconds=253_402_300_800), "occurred_at", id="year-10000"),
    pytest.param(Timestamp(seconds=NOW + 301), "occurred_at", id="beyond-skew"),
    pytest.param(Timestamp(seconds=NOW, nanos=-1), "occurred_at.nanos", id="nanos-negative"),
    pytest.param(Timestamp(seconds=NOW, nanos=10**9), "occurred_at.nanos", id="nanos-10e9"),
]


@pytest.mark.parametrize(("at", "field"), BAD_TIMES)
async def test_occurred_at_outside_the_window_is_refused_and_nothing_stored(
    timed: Client, at: Timestamp, field: str
) -> None:
    for _ in range(2):  # a retry gets the same refusal, not a stored reply
        err = await _refused(timed.learners.RecordResponse(_resp("bad", at), metadata=META_A))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.details().startswith(f"{field}:")
    await _unchanged(timed)
    # The id was not used up: the same event with a good time is recorded.
    ok = await timed.learners.RecordResponse(
        _resp("bad", Timestamp(seconds=NOW + 300)), metadata=META_A
    )
    assert not ok.duplicate and ok.sequence == 2


async def test_the_window_edges_are_accepted(timed: Client) -> None:
    for n, seconds in enumerate([946_684_800, NOW + 300]):
        reply = await timed.learners.RecordResponse(
            _resp(f"edge{n}", Timestamp(seconds=seconds)), metadata=META_A
        )
        assert reply.sequence == n + 2


async def test_a_stream_refuses_a_bad_time_inline_and_goes_on(timed: Client) -> None:
    times = [Timestamp(seconds=NOW - 10), Timestamp(seconds=2**63 - 1), Timestamp(seconds=NOW)]

    async def requests():
        for n, at in enumerate(times):
            yield learner_pb2.StreamResponsesRequest(record=_resp(f"s{n}", at))

    replies = [r async for r in timed.learners.StreamResponses(requests(), metadata=META_A)]
    assert [r.WhichOneof("result") for r in replies] == ["reply", "error", "reply"]
    assert replies[1].event_id == "s1"
    assert (replies[1].error.code, replies[1].error.field) == ("INVALID_ARGUMENT", "occurred_at")
    assert [replies[0].reply.sequence, replies[2].reply.sequence] == [2, 3]


def _id_requests(value: str) -> list[tuple[str, str, object]]:
    """(rpc, field, request) for every identifier of every learner, event or course read."""
    return [
        ("RecordResponse", "event_id", _resp(value)),
        ("RecordResponse", "learner_id", _resp("e", learner_id=value)),
        ("RecordResponse", "course_id", _resp("e", course_id=value)),
        ("RecordResponse", "item_id", _resp("e", item_id=value)),
        ("Recommend", "learner_id", learner_pb2.RecommendRequest(learner_id=value, course_id="c")),
        ("Recommend", "course_id", learner_pb2.RecommendRequest(learner_id="l", course_id=value)),
        (
            "GetLearnerState",
            "learner_id",
            learner_pb2.GetLearnerStateRequest(learner_id=value, course_id="chain"),
        ),
        (
            "GetLearnerState",
            "course_id",
            learner_pb2.GetLearnerStateRequest(learner_id="l1", course_id=value),
        ),
        ("DeleteLearner", "learner_id", learner_pb2.DeleteLearnerRequest(learner_id=value)),
        ("GetCourse", "course_id", course_pb2.GetCourseRequest(course_id=value)),
        ("ListCourses", "page_token", course_pb2.ListCoursesRequest(page_token=value)),
    ]


@pytest.mark.parametrize("value", [LONG, MEGABYTE], ids=["257-chars", "1MB"])
async def test_oversized_identifiers_are_refused_naming_the_field(
    timed: Client, value: str
) -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        for rpc, field, request in _id_requests(value):
            stub = timed.courses if rpc in ("GetCourse", "ListCourses") else timed.learners
            err = await _refused(getattr(stub, rpc)(request, metadata=META_A))
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (rpc, field, err.details())
            assert err.details() == f"{field}: is {len(value)} characters long; the limit is 256"
    refused = [e for e in logs if e["event"] == "rpc.refused"]
    assert len(refused) == len(_id_requests(value))
    assert max(len(repr(e)) for e in refused) < 1000  # the id itself is never logged
    await _unchanged(timed)


async def test_identifiers_at_the_limit_are_accepted(timed: Client) -> None:
    learner = "l" * MAX_ID_CHARS
    reply = await timed.learners.RecordResponse(
        _resp("e" * 200, learner_id=learner), metadata=META_A
    )
    assert reply.sequence == 1
    deleted = await timed.learners.DeleteLearner(
        learner_pb2.DeleteLearnerRequest(learner_id=learner), metadata=META_A
    )
    assert deleted.events == 1


async def test_not_found_repeats_only_the_head_of_an_id(timed: Client) -> None:
    err = await _refused(
        timed.courses.GetCourse(course_pb2.GetCourseRequest(course_id="c" * 256), metadata=META_A)
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert err.details() == f"course '{'c' * 64}… (256 chars)' not found"


async def test_a_long_request_id_is_replaced_not_repeated(timed: Client) -> None:
    call = timed.courses.ListCourses(
        course_pb2.ListCoursesRequest(), metadata=(*META_A, ("x-request-id", "r" * 4000))
    )
    await call
    given = dict(await call.trailing_metadata())["x-request-id"]
    assert len(given) == 32 and given != "r" * 32


RECORD = "/attune.engine.v1.LearnerService/RecordResponse"
STREAM = "/attune.engine.v1.LearnerService/StreamResponses"
NOT_PROTOBUF = [
    pytest.param(b"\xff\xff\xff\xff", id="bad-wire-type"),
    pytest.param(b"\x08", id="truncated-varint"),
    pytest.param(b"\x0a\x02\xff\xfe", id="string-not-utf8"),
]


@pytest.mark.parametrize("body", NOT_PROTOBUF)
async def test_a_body_that_is_not_protobuf_is_invalid_argument(timed: Client, body: bytes) -> None:
    raw = timed.channel.unary_unary(RECORD, request_serializer=None, response_deserializer=None)
    err = await _refused(raw(body, metadata=META_A))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == "request: is not a valid protobuf message for this method"
    unauthenticated = await _refused(raw(body))
    assert unauthenticated.code() == grpc.StatusCode.UNAUTHENTICATED
    health = timed.channel.unary_unary(
        "/grpc.health.v1.Health/Check", request_serializer=None, response_deserializer=None
    )
    assert (await _refused(health(body))).code() == grpc.StatusCode.INVALID_ARGUMENT
    good = await health(health_pb2.HealthCheckRequest().SerializeToString())
    assert health_pb2.HealthCheckResponse.FromString(good).status == 1  # SERVING
    await _unchanged(timed)


async def test_public_streams_refuse_a_malformed_body_and_still_serve(timed: Client) -> None:
    def raw_unary_stream(method: str):
        return timed.channel.unary_stream(
            method, request_serializer=None, response_deserializer=None
        )

    watch = "/grpc.health.v1.Health/Watch"
    refused = raw_unary_stream(watch)(b"\xff\xff")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await refused.read()
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    watching = raw_unary_stream(watch)(health_pb2.HealthCheckRequest().SerializeToString())
    first = health_pb2.HealthCheckResponse.FromString(await watching.read())
    assert first.status == health_pb2.HealthCheckResponse.SERVING
    watching.cancel()
    info = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
    reflect = timed.channel.stream_stream(info, request_serializer=None, response_deserializer=None)

    async def one(body: bytes):
        yield body

    with pytest.raises(grpc.aio.AioRpcError) as err:
        _ = [r async for r in reflect(one(b"\xff\xff"))]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    listing = reflection_pb2.ServerReflectionRequest(list_services="").SerializeToString()
    replies = [
        reflection_pb2.ServerReflectionResponse.FromString(r) async for r in reflect(one(listing))
    ]
    names = {s.name for s in replies[0].list_services_response.service}
    assert "attune.engine.v1.LearnerService" in names


async def test_a_stream_refuses_a_malformed_message_inline_and_goes_on(timed: Client) -> None:
    raw = timed.channel.stream_stream(STREAM, request_serializer=None, response_deserializer=None)

    def message(event_id: str) -> bytes:
        return learner_pb2.StreamResponsesRequest(record=_resp(event_id)).SerializeToString()

    async def bodies():
        for body in (message("m1"), b"\xff\xff", message("m2")):
            yield body

    replies = [
        learner_pb2.StreamResponsesResponse.FromString(r)
        async for r in raw(bodies(), metadata=META_A)
    ]
    assert [r.WhichOneof("result") for r in replies] == ["reply", "error", "reply"]
    assert (replies[1].error.code, replies[1].error.field) == ("INVALID_ARGUMENT", "request")
    assert [replies[0].reply.sequence, replies[2].reply.sequence] == [2, 3]


@pytest.mark.parametrize(
    ("retry", "code", "field"),
    [
        pytest.param({"score": 2.0}, grpc.StatusCode.INVALID_ARGUMENT, "score", id="bad-score"),
        pytest.param({"item_id": "zzz"}, grpc.StatusCode.NOT_FOUND, "item", id="unknown-item"),
        pytest.param(
            {"course_id": "nope"}, grpc.StatusCode.NOT_FOUND, "course", id="unknown-course"
        ),
        pytest.param(
            {"response_time_ms": -5},
            grpc.StatusCode.INVALID_ARGUMENT,
            "response_time_ms",
            id="negative-time",
        ),
        pytest.param(
            {"at": Timestamp(seconds=2**63 - 1)},
            grpc.StatusCode.INVALID_ARGUMENT,
            "occurred_at",
            id="bad-occurred-at",
        ),
        pytest.param(
            {"learner_id": LONG},
            grpc.StatusCode.INVALID_ARGUMENT,
            "learner_id",
            id="long-learner",
        ),
    ],
)
async def test_a_known_event_id_is_validated_before_it_is_replayed(
    timed: Client, retry: dict[str, object], code: grpc.StatusCode, field: str
) -> None:
    """Before issue 11, each of these got the stored reply of "first" back."""
    err = await _refused(timed.learners.RecordResponse(_resp("first", **retry), metadata=META_A))
    assert err.code() == code
    assert err.details().startswith(field)
    again = await timed.learners.RecordResponse(_resp("first"), metadata=META_A)
    assert again.duplicate and again.sequence == 1
    await _unchanged(timed)


async def _serve(data_dir: Path, port: int = 0):
    engine = Engine(SqliteStore.open(data_dir / "attune.db"))
    return await start_server(engine, StaticTokenAuthenticator(TOKENS), "127.0.0.1", port)


async def test_a_second_server_cannot_bind_a_port_in_use(tmp_path: Path) -> None:
    first = await _serve(tmp_path / "one")
    second_store = SqliteStore.open(tmp_path / "two" / "attune.db")
    try:
        with pytest.raises(PortUnavailableError, match=f"127.0.0.1:{first.port}"):
            await start_server(
                Engine(second_store), StaticTokenAuthenticator(TOKENS), "127.0.0.1", first.port
            )
        # Nor can a server that asks for SO_REUSEPORT (grpc's default) share it.
        squatter = grpc.aio.server()
        with pytest.raises(RuntimeError):
            squatter.add_insecure_port(f"127.0.0.1:{first.port}")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{first.port}") as channel:
            health = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckResponse.FromString,
            )
            assert (await health(health_pb2.HealthCheckRequest())).status == 1
    finally:
        await second_store.close()
        await first.stop(0)


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param({"learner_id": "l2"}, id="other-learner"),
        pytest.param({"item_id": "a2"}, id="other-item"),
        pytest.param({"correct": False}, id="other-outcome"),
        pytest.param({"score": 0.5}, id="other-score"),
    ],
)
async def test_a_reused_event_id_is_refused_naming_nobody(
    timed: Client, changed: dict[str, object]
) -> None:
    err = await _refused(timed.learners.RecordResponse(_resp("first", **changed), metadata=META_A))
    assert err.code() == grpc.StatusCode.ALREADY_EXISTS
    assert err.details() == "event_id: was already used for a different response"
    # The same words for an id that another learner's course never saw: nothing to tell apart.
    again = await timed.learners.RecordResponse(_resp("first"), metadata=META_A)
    assert again.duplicate and again.sequence == 1
    await _unchanged(timed)

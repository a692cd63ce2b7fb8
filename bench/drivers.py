"""Closed-loop load drivers: N concurrent unary calls, or pipelined bidi streams.

Both stop by themselves at a deadline or a message cap, whichever comes first, then let
the calls in flight finish (bounded by a per-call timeout) so every sent request is counted.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from grpc import aio

from bench.stats import Sample

# Classifies one stream reply: None when it is the expected outcome, else an error code.
ReplyCheck = Callable[[Any], str | None]
# Builds the i-th stream message and the event_id its reply must carry.
MessageFactory = Callable[[int], tuple[Any, str]]

CALL_TIMEOUT_S = 30.0
# Beyond the deadline, how long a stream may take to drain before it is abandoned.
DRAIN_TIMEOUT_S = 60.0


async def run_unary(
    call: Callable[[int], Awaitable[object]],
    concurrency: int,
    seconds: float,
    max_calls: int,
) -> Sample:
    """Keep ``concurrency`` calls in flight for ``seconds`` (at most ``max_calls`` in all).

    ``call(i)`` issues the i-th request. Latency is per call; throughput is completed
    successful calls over the wall time until the last worker returns.
    """
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> Sample:
        sample = Sample()
        while time.perf_counter() < deadline:
            i = next(counter)
            if i >= max_calls:
                break
            t0 = time.perf_counter()
            try:
                await call(i)
            except aio.AioRpcError as exc:
                sample.add_error(exc.code().name)
            else:
                sample.add_ok(time.perf_counter() - t0)
        return sample

    total = Sample()
    for part in await asyncio.gather(*(worker() for _ in range(concurrency))):
        total.merge(part)
    total.elapsed_s = time.perf_counter() - started
    return total


@dataclass(frozen=True)
class StreamPlan:
    """How one bidi stream is driven."""

    open_call: Callable[[], aio.StreamStreamCall[Any, Any]]  # a call with no request iterator
    make_message: MessageFactory
    check_reply: ReplyCheck
    window: int  # messages sent but not yet answered, at most
    max_messages: int


async def _drive_stream(plan: StreamPlan, deadline: float) -> Sample:
    """One stream: a writer bounded by the window, a reader matching replies in order."""
    sample = Sample()
    call = plan.open_call()
    window = asyncio.Semaphore(plan.window)
    pending: deque[tuple[str, float]] = deque()
    ended = False  # the server closed the stream

    async def writer() -> None:
        for i in range(plan.max_messages):
            await window.acquire()
            if ended or time.perf_counter() >= deadline:
                break
            message, event_id = plan.make_message(i)
            pending.append((event_id, time.perf_counter()))
            await call.write(message)
        if not ended:
            await call.done_writing()

    async def reader() -> None:
        nonlocal ended
        while True:
            # Any: grpc-stubs types read() as object | reply (its EOF type is object).
            reply: Any = await call.read()
            if reply is aio.EOF:
                ended = True
                window.release()  # wakes a writer waiting for room that will never come
                break
            if not pending:
                sample.add_error("UNSOLICITED_REPLY")
                continue
            event_id, sent = pending.popleft()
            latency = time.perf_counter() - sent
            window.release()
            # The API answers in request order; a reply for another event is a server bug.
            error = "REPLY_OUT_OF_ORDER" if reply.event_id != event_id else plan.check_reply(reply)
            if error is None:
                sample.add_ok(latency)
            else:
                sample.add_error(error)

    tasks = [asyncio.ensure_future(writer()), asyncio.ensure_future(reader())]
    try:
        await asyncio.gather(*tasks)
    except aio.AioRpcError as exc:
        sample.add_error(f"STREAM_{exc.code().name}")
    except Exception as exc:  # e.g. a write on a call the server already ended
        sample.add_error(f"STREAM_{type(exc).__name__}")
    finally:
        # When one side fails the other may wait forever (on the window, on a read).
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        call.cancel()  # a no-op on a finished call; frees it otherwise
    # Requests the server never answered (a broken stream) are errors too.
    if pending:
        sample.errors["UNANSWERED"] += len(pending)
    return sample


async def run_streams(plans: list[StreamPlan], seconds: float) -> Sample:
    """Drive every stream concurrently for ``seconds``; merge their observations."""
    started = time.perf_counter()
    deadline = started + seconds
    tasks = [asyncio.ensure_future(_drive_stream(p, deadline)) for p in plans]
    done, not_done = await asyncio.wait(tasks, timeout=seconds + DRAIN_TIMEOUT_S)
    total = Sample()
    for task in not_done:
        task.cancel()
        total.add_error("STREAM_DRAIN_TIMEOUT")
    if not_done:
        await asyncio.wait(not_done)
    for task in done:
        total.merge(task.result())
    total.elapsed_s = time.perf_counter() - started
    return total

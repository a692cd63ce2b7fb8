"""Observability (issue 17) over real servers: an engine on port 0 with its metrics listener
and health watch, and the real gateway app on the hardened HTTP server, one practice answer
through both: one trace (gateway span -> engine span, the trace id in the log line), metric
families that move, readiness that follows the engine."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import structlog
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.demo.course import demo_course
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.grpc.server import SERVICE_NAMES, RunningServer, build_engine, start_server
from attune.engine.observability.metrics import EngineMetrics
from attune.engine.observability.wiring import EngineObservability
from attune.gateway.app import build_gateway, create_app
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.http_server import create_hardened_server
from attune.gateway.http_settings import HttpSettings, RateLimits
from attune.gateway.settings import GatewaySettings
from attune.gateway.stores import open_stores
from attune.infra.tracing import add_trace_ids
from attune.integrations.edges import gateway_edges
from tests.support.gateway_stack import answer

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    engine: RunningServer
    obs: EngineObservability
    url: str
    spans: InMemorySpanExporter
    app: Any

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)


@asynccontextmanager
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    obs = EngineObservability(EngineMetrics.build(), provider.get_tracer("engine"))
    store = obs.measure(SqliteStore.open(tmp_path / "attune.db"))
    engine = build_engine(store)
    obs.attach(engine)
    await engine.put_course("default", demo_course())
    running = await start_server(
        engine, StaticTokenAuthenticator({"tok": "default"}), observe=obs.interceptor()
    )
    await obs.start(running.health, SERVICE_NAMES)
    settings = GatewaySettings(
        port=0,
        data_dir=tmp_path / "gw",
        engine_address=f"127.0.0.1:{running.port}",
        engine_tokens={"default": "tok"},
        http=HttpSettings(rate_limits=RateLimits(enabled=False)),
    )
    gw_store, statements = open_stores("", tmp_path / "gw")
    client = GrpcEngineClient(settings.engine_address, settings.engine_tokens)
    holder: dict[str, Any] = {}
    server = create_hardened_server(lambda e, s: holder["app"](e, s), settings)
    url = f"http://127.0.0.1:{int(server.effective_port)}"
    gateway = build_gateway(settings, gw_store, client, url, statements, gateway_edges())
    app = holder["app"] = create_app(gateway)
    app.extensions["attune.observability"].tracer = provider.get_tracer("gateway")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Stack(running, obs, url, spans, app)
    finally:
        for channel in list(server._map.values()):
            channel.close()
        server.close()
        server.task_dispatcher.shutdown()
        thread.join(5)
        app.extensions["attune.observability"].readiness.close()
        client.close()
        gw_store.close()
        statements.close()
        await obs.stop()
        await running.stop(0)


def practise_once(s: Stack) -> requests.Response:
    http = requests.Session()
    page = http.get(s.url + "/demo", timeout=10)
    assert page.status_code == 200, page.text[:300]
    token = page.url.rsplit("/", 1)[-1]
    return answer(http, s.url, token, page.text, "surely wrong")


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


async def test_an_answer_is_one_trace_and_moves_the_metrics(tmp_path: Path) -> None:
    async with stack(tmp_path) as s:
        assert s.obs.listener is not None
        engine_metrics = f"http://127.0.0.1:{s.obs.listener.port}/metrics"
        before = await asyncio.to_thread(requests.get, engine_metrics, timeout=10)
        record = "/attune.engine.v1.LearnerService/RecordResponse"
        assert sample(before.text, "attune_engine_rpc_duration_seconds_count", method=record) == 0
        s.spans.clear()
        with structlog.testing.capture_logs(processors=[add_trace_ids]) as logs:
            reply = await asyncio.to_thread(practise_once, s)
        assert reply.status_code in (200, 303), reply.text[:300]

        spans = s.spans.get_finished_spans()
        answer_span = next(x for x in spans if x.name == "POST /practice/<token>/answer")
        trace_id = answer_span.context.trace_id
        engine_span = next(x for x in spans if x.name == record.lstrip("/"))
        assert engine_span.context.trace_id == trace_id
        assert engine_span.parent is not None and engine_span.parent.span_id == (
            answer_span.context.span_id
        )
        assert any(line.get("trace_id") == format(trace_id, "032x") for line in logs), logs

        after = (await asyncio.to_thread(requests.get, engine_metrics, timeout=10)).text
        assert sample(after, "attune_engine_rpc_duration_seconds_count", method=record,
                      code="OK") == 1  # fmt: skip
        assert sample(after, "attune_engine_responses_total") == 1
        assert sample(after, "attune_engine_store_operation_duration_seconds_count",
                      operation="commit", outcome="ok") >= 1  # fmt: skip
        assert sample(after, "attune_engine_group_commit_batch_size_count") >= 1
        for family in ("attune_engine_mastery_events", "attune_engine_too_fast_answers",
                       "attune_engine_dkt_fallbacks", "attune_engine_dkt_batch_size"):  # fmt: skip
            assert f"# TYPE {family}" in after, family

        gw = (await asyncio.to_thread(s.get, "/metrics")).text
        assert sample(gw, "attune_gateway_http_request_duration_seconds_count",
                      route="pages.answer", method="POST") == 1  # fmt: skip
        for family in ("attune_gateway_outbox_pending", "attune_gateway_outbox_dead_letters",
                       "attune_gateway_outbox_oldest_pending_age_seconds"):  # fmt: skip
            assert f"# TYPE {family} gauge" in gw, family
        for family in ("attune_gateway_outbox_delivered", "attune_gateway_outbox_batches",
                       "attune_gateway_outbox_batched_statements"):  # fmt: skip
            assert f"\n{family}_total 0.0\n" in gw, family  # no LRS target: nothing sent


async def test_metrics_token_and_loopback(tmp_path: Path) -> None:
    async with stack(tmp_path) as s:
        settings = s.app.extensions["attune"].settings  # what the RBAC hook reads
        assert (await asyncio.to_thread(s.get, "/metrics")).status_code == 200  # loopback
        settings.metrics_token = "m-secret"
        refused = await asyncio.to_thread(s.get, "/metrics")
        assert refused.status_code == 401
        wrong = await asyncio.to_thread(
            s.get, "/metrics", headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        ok = await asyncio.to_thread(
            s.get, "/metrics", headers={"Authorization": "Bearer m-secret"}
        )
        assert ok.status_code == 200 and "attune_gateway_http_request" in ok.text


async def test_readiness_follows_the_engine(tmp_path: Path) -> None:
    async with stack(tmp_path) as s:
        assert (await asyncio.to_thread(s.get, "/livez")).json() == {"status": "ok"}
        ready = await asyncio.to_thread(s.get, "/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"store": "ok", "engine": "ok", "models": "ok"}
        assert (await asyncio.to_thread(s.get, "/healthz")).status_code == 200
        await s.obs.stop()
        await s.engine.server.stop(0)  # the engine goes away
        gone = await asyncio.to_thread(s.get, "/readyz")
        assert gone.status_code == 503
        assert gone.json()["checks"]["engine"].startswith("the engine does not answer")
        assert gone.json()["checks"]["store"] == "ok"
        assert (await asyncio.to_thread(s.get, "/livez")).status_code == 200

"""The engine's Prometheus families, in a registry of their own.

No tenant, learner or course ids as labels: their number is unbounded and they identify
people. Labels are the RPC method and status code, the store operation and its outcome, and
the kind of mastery event.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from attune.engine.domain.records import RecordResult
from attune.infra.metrics import BATCH_BUCKETS, LATENCY_BUCKETS, new_registry


@dataclass(frozen=True)
class EngineMetrics:
    """Every family the engine exposes; :meth:`build` registers them in a new registry."""

    registry: CollectorRegistry
    rpc_duration: Histogram
    store_duration: Histogram
    group_commit_batch: Histogram
    dkt_batch: Histogram
    dkt_fallbacks: Counter
    mastery_events: Counter
    too_fast: Counter
    responses: Counter
    store_up: Gauge
    erasures_recorded: Counter
    erasures_acknowledged: Counter
    erasure_oldest_age: Gauge
    shed: Counter
    in_flight: Gauge
    queued: Gauge

    @classmethod
    def build(cls) -> EngineMetrics:
        """The families, registered in a fresh registry."""
        r = new_registry()
        return cls(
            registry=r,
            rpc_duration=Histogram(
                "attune_engine_rpc_duration_seconds",
                "Time to handle a gRPC call (a stream: the whole stream), by method and code.",
                ("method", "code"),
                registry=r,
                buckets=LATENCY_BUCKETS,
            ),
            store_duration=Histogram(
                "attune_engine_store_operation_duration_seconds",
                "Time of one call to the engine store's port, by operation and outcome.",
                ("operation", "outcome"),
                registry=r,
                buckets=LATENCY_BUCKETS,
            ),
            group_commit_batch=Histogram(
                "attune_engine_group_commit_batch_size",
                "Writes committed together in one transaction of the embedded store.",
                registry=r,
                buckets=BATCH_BUCKETS,
            ),
            dkt_batch=Histogram(
                "attune_engine_dkt_batch_size",
                "LSTM steps run together in one ONNX Runtime call.",
                registry=r,
                buckets=BATCH_BUCKETS,
            ),
            dkt_fallbacks=Counter(
                "attune_engine_dkt_fallbacks",
                "Responses to a course with a DKT model answered from BKT instead.",
                registry=r,
            ),
            mastery_events=Counter(
                "attune_engine_mastery_events",
                "Mastery declared (kind=mastered) or withdrawn (kind=revoked).",
                ("kind",),
                registry=r,
            ),
            too_fast=Counter(
                "attune_engine_too_fast_answers",
                "Committed responses weighted down as answered too fast (credibility < 1).",
                registry=r,
            ),
            responses=Counter(
                "attune_engine_responses",
                "Responses applied and committed (retries of a known event not counted).",
                registry=r,
            ),
            store_up=Gauge(
                "attune_engine_store_up",
                "1 when the store answered the last periodic health check, else 0.",
                registry=r,
            ),
            erasures_recorded=Counter(
                "attune_engine_erasures_recorded",
                "Learners erased by DeleteLearner and recorded as pending for the gateway.",
                registry=r,
            ),
            erasures_acknowledged=Counter(
                "attune_engine_erasures_acknowledged",
                "Pending erasures the gateway acknowledged (and the engine then deleted).",
                registry=r,
            ),
            erasure_oldest_age=Gauge(
                "attune_engine_pending_erasure_oldest_age_seconds",
                "Age of the oldest erasure this process knows the gateway has not "
                "acknowledged (0: none); alert when it exceeds a few poll intervals.",
                registry=r,
            ),
            shed=Counter(
                "attune_engine_shed",
                "Calls refused by load shedding (UNAVAILABLE), by priority class and reason.",
                ("class", "reason"),
                registry=r,
            ),
            in_flight=Gauge(
                "attune_engine_in_flight",
                "Calls (stream messages) being handled now, by priority class.",
                ("class",),
                registry=r,
            ),
            queued=Gauge(
                "attune_engine_admission_queued",
                "Tutoring calls waiting for an in-flight slot.",
                registry=r,
            ),
        )

    def committed(self, result: RecordResult) -> None:
        """The engine's hook after a response is committed (Engine.on_committed)."""
        self.responses.inc()
        if result.mastery_events:
            self.mastery_events.labels("mastered").inc(len(result.mastery_events))
        if result.revoked:
            self.mastery_events.labels("revoked").inc(len(result.revoked))
        if result.credibility < 1.0:
            self.too_fast.inc()
        if result.predictor_note:
            self.dkt_fallbacks.inc()

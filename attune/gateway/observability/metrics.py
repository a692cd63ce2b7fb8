"""The gateway's Prometheus families, in a registry of its own.

HTTP latency is labelled by the Flask endpoint (the route's name, never the raw path, which
carries tenants and tokens), the method and the status class (2xx ... 5xx). The statement
outbox is read on scrape by a collector: totals over the tenants with LRS targets, never a
tenant label (their number is not bounded).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from attune.gateway.lrs.ports import StatementOutbox
from attune.gateway.lrs.relay import DeliveryStats
from attune.infra.metrics import LATENCY_BUCKETS, new_registry


@dataclass(frozen=True)
class GatewayMetrics:
    """Every family the gateway exposes."""

    registry: CollectorRegistry
    http_duration: Histogram

    @classmethod
    def build(
        cls,
        outbox: StatementOutbox | None = None,
        clock: Callable[[], float] = time.time,
        delivery: DeliveryStats | None = None,
    ) -> GatewayMetrics:
        """The families in a fresh registry, with the outbox collector when given one (and
        the relay's delivery counts when given them)."""
        r = new_registry()
        http = Histogram(
            "attune_gateway_http_request_duration_seconds",
            "Time to answer an HTTP request, by route (endpoint), method and status class.",
            ("route", "method", "status_class"),
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        if outbox is not None:
            r.register(OutboxCollector(outbox, clock))
        if delivery is not None:
            r.register(DeliveryCollector(delivery))
        return cls(registry=r, http_duration=http)


class OutboxCollector(Collector):
    """Statement outbox depth (pending), dead letters, and how long the oldest pending
    statement has been due, read from the outbox store at each scrape: one ``counts`` and
    one one-row listing per tenant with an LRS target."""

    def __init__(self, outbox: StatementOutbox, clock: Callable[[], float]) -> None:
        self._outbox = outbox
        self._clock = clock

    def describe(self) -> list[GaugeMetricFamily]:
        return list(self._families())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth, dead, oldest_due = 0, 0, None
        tenants = sorted({t.tenant for t in self._outbox.targets()})
        for tenant in tenants:
            counts = self._outbox.counts(tenant)
            depth += counts.get("pending", 0)
            dead += counts.get("dead", 0)
            queue = getattr(self._outbox, "_queue", None)  # the leased queue knows next_at
            if counts.get("pending", 0) and queue is not None:
                first = queue.items(tenant, "pending", 1)
                if first and (oldest_due is None or first[0].next_at < oldest_due):
                    oldest_due = first[0].next_at
        age = max(0.0, self._clock() - oldest_due) if oldest_due is not None else 0.0
        yield from self._families(float(depth), float(dead), age)

    def _families(
        self, depth: float = 0.0, dead: float = 0.0, age: float = 0.0
    ) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "attune_gateway_outbox_pending",
            "Statements waiting in the outbox (all tenants).",
            value=depth,
        )
        yield GaugeMetricFamily(
            "attune_gateway_outbox_dead_letters",
            "Statements dead-lettered and not replayed (all tenants).",
            value=dead,
        )
        yield GaugeMetricFamily(
            "attune_gateway_outbox_oldest_pending_age_seconds",
            "Seconds since the oldest pending statement became due (0: none pending).",
            value=age,
        )


class DeliveryCollector(Collector):
    """What this gateway's relay has delivered since it started, and its POSTs of a batch:
    ``batched_statements / batches`` is the mean batch size (statements sent alone after a
    batch was refused count as delivered, not as batches)."""

    def __init__(self, stats: DeliveryStats) -> None:
        self._stats = stats

    def describe(self) -> list[CounterMetricFamily]:
        return list(self._families(0, 0, 0))

    def collect(self) -> Iterator[CounterMetricFamily]:
        s = self._stats
        yield from self._families(s.delivered, s.batches, s.batched)

    def _families(
        self, delivered: int, batches: int, batched: int
    ) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(
            "attune_gateway_outbox_delivered",
            "Statements this gateway delivered to LRS targets (all tenants).",
            value=delivered,
        )
        yield CounterMetricFamily(
            "attune_gateway_outbox_batches",
            "Batches this gateway posted to LRS targets, whatever the answer.",
            value=batches,
        )
        yield CounterMetricFamily(
            "attune_gateway_outbox_batched_statements",
            "Statements in those batches: divided by the batches, the mean batch size.",
            value=batched,
        )

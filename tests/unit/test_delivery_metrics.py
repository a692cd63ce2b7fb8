"""The relay's delivery counts as the gateway's /metrics shows them: statements delivered,
batches posted and the statements in them (their quotient is the mean batch size)."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from attune.gateway.lrs.relay import DeliveryStats
from attune.gateway.observability.metrics import GatewayMetrics


def _samples(metrics: GatewayMetrics) -> dict[str, float]:
    text = generate_latest(metrics.registry).decode()
    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("attune_gateway_outbox_")
    }


def test_delivery_counts_are_exposed_as_counters() -> None:
    stats = DeliveryStats()
    metrics = GatewayMetrics.build(delivery=stats)
    assert _samples(metrics) == {
        "attune_gateway_outbox_delivered_total": 0.0,
        "attune_gateway_outbox_batches_total": 0.0,
        "attune_gateway_outbox_batched_statements_total": 0.0,
    }
    stats.count(50, 50)  # a batch delivered
    stats.count(20, 0)  # a batch refused: its statements then went alone
    for _ in range(19):
        stats.count(0, 1)
    found = _samples(metrics)
    assert found["attune_gateway_outbox_delivered_total"] == 69
    assert found["attune_gateway_outbox_batches_total"] == 2
    assert found["attune_gateway_outbox_batched_statements_total"] == 70


def test_without_a_relay_there_are_no_delivery_counters() -> None:
    assert _samples(GatewayMetrics.build()) == {}

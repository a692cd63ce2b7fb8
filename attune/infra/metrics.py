"""Prometheus plumbing shared by both deployables: a registry per deployable (never the
process-global default, so ``attune serve`` keeps the engine's and the gateway's families
apart and tests build as many as they like), the exposition, and the engine's listener.

Naming follows the Prometheus conventions: base units (``_seconds``), ``_total`` for
counters, bounded labels only (no tenant or learner ids: cardinality and privacy).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.exposition import choose_encoder

# Latency buckets (seconds) for RPCs, HTTP requests and store calls: the goals are in the
# 1-100 ms range, with a tail to 10 s.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
# Batch sizes: powers of two up to the largest batch either batcher forms (256).
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def new_registry() -> CollectorRegistry:
    """An empty registry (no process/platform collectors: one deployable's own families)."""
    return CollectorRegistry(auto_describe=True)


def exposition(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The registry's samples in the format ``accept`` asks for (text or OpenMetrics)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


@dataclass
class MetricsListener:
    """prometheus_client's HTTP server in its own daemon thread (see :func:`listen`)."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()


def listen(registry: CollectorRegistry, host: str, port: int) -> MetricsListener:
    """Serve ``registry`` at ``http://host:port/metrics`` from a thread. A thread rather than
    a route on the event loop: a scrape never waits behind RPCs on a busy loop, and never
    delays them; the metrics it reads are thread-safe."""
    server, thread = start_http_server(port, host, registry)
    return MetricsListener(server, thread)

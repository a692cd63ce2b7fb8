"""The image's HEALTHCHECK: is this container's ``attune`` process answering?

PID 1 is ``attune engine`` or ``attune gateway`` (the image's entrypoint). The gateway is
alive when ``GET /livez`` answers 200; the engine when its gRPC health service answers at
all (SERVING or NOT_SERVING: a store outage makes the engine unready, not dead). Exit 0:
healthy, 1: not. Standard library and grpcio only, as installed in the image.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

TIMEOUT_S = 4.0


COMMANDS = ("engine", "gateway", "serve")


def role(cmdline: bytes) -> str:
    """``gateway`` when PID 1's ``cmdline`` runs ``attune gateway``, else ``engine`` (the
    console script runs as ``python .../attune gateway``: the first command word counts)."""
    words = [a.decode(errors="replace") for a in cmdline.split(b"\0") if a]
    command = next((w for w in words if w in COMMANDS), "engine")
    return "gateway" if command == "gateway" else "engine"


def gateway_alive() -> bool:
    port = os.environ.get("ATTUNE_GATEWAY__PORT", "8000")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=TIMEOUT_S) as reply:
        return bool(reply.status == 200)


def engine_alive() -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    port = os.environ.get("ATTUNE_PORT", "50051")
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        stub.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_S)
    return True


def main() -> int:
    try:
        command = role(Path("/proc/1/cmdline").read_bytes())
        alive = gateway_alive() if command == "gateway" else engine_alive()
    except Exception as exc:  # any failure to answer is "unhealthy", with the reason
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0 if alive else 1


if __name__ == "__main__":
    sys.exit(main())

"""The gateway's engine calls on minted access tokens against static tokens
(``python -m bench.engine_auth``): one engine (grpc.aio on a free loopback port, the embedded
store) that takes both, as ``attune serve`` does, and two of the gateway's engine clients,
one per credential, calling ``ListCourses`` (the cheapest authenticated RPC) one after
another, in alternating rounds so both see the same machine. The static-token call is the
same-run ceiling; the figure is the ratio. Also: minting one token (an RS256 signature) and
taking the cached one.

Nothing here is a test: it prints a table and writes ``bench/results/engine_auth.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.grpc.auth import ChainAuthenticator, StaticTokenAuthenticator
from attune.engine.grpc.server import build_engine, start_server
from attune.gateway.engine_auth import GATEWAY_SCOPES, ServiceTokens
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.keys import ToolKeys
from attune.gateway.oauth.access_tokens import sign_access_token
from attune.gateway.sqlite_store import SqliteGatewayStore
from attune.gateway_trust import GatewayTrust
from bench.stats import percentile

SCOPE = " ".join(GATEWAY_SCOPES)
RESULTS = Path(__file__).resolve().parent / "results"
TENANT, STATIC, ISSUER, AUDIENCE = "default", "bench-static-token", "http://gw.bench", "engine"


def _summary(took: list[float]) -> dict[str, float]:
    took = sorted(took)
    return {f"p{q}_ms": round(percentile(took, q) * 1000, 3) for q in (50, 90, 99)}


def _calls(client: GrpcEngineClient, n: int, into: list[float]) -> None:
    for _ in range(n):
        start = time.perf_counter()
        client.list_courses(TENANT)
        into.append(time.perf_counter() - start)


def run(rounds: int, per_round: int, root: Path) -> dict[str, Any]:
    store = SqliteGatewayStore(root / "gateway.db")
    keys = ToolKeys(store, 30, 7)
    trust = GatewayTrust()
    trust.install(keys, ISSUER, AUDIENCE, 30.0, 300.0)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def launch() -> Any:
        auth = ChainAuthenticator(StaticTokenAuthenticator({STATIC: TENANT}), [trust])
        return await start_server(build_engine(SqliteStore.open(root / "attune.db")), auth)

    running = asyncio.run_coroutine_threadsafe(launch(), loop).result(30)
    target = f"127.0.0.1:{running.port}"
    tokens = ServiceTokens(
        keys, issuer=ISSUER, audience=AUDIENCE, tenants=[TENANT], ttl_s=600, margin_s=60,
        clock=time.time,
    )  # fmt: skip
    static, minted = GrpcEngineClient(target, {TENANT: STATIC}), GrpcEngineClient(target, tokens)
    try:
        for client in (static, minted):
            _calls(client, 50, [])  # warm up: channels, the JWKS fetch, the first mint
        took: dict[str, list[float]] = {"static": [], "jwt": []}
        for _ in range(rounds):
            _calls(static, per_round, took["static"])
            _calls(minted, per_round, took["jwt"])
        mint, cached = [], []
        for _ in range(200):
            start = time.perf_counter()
            sign_access_token(keys, issuer=ISSUER, audience=AUDIENCE, client_id="gw",
                              tenant=TENANT, scope=SCOPE, now=time.time(), ttl_s=600)  # fmt: skip
            mint.append(time.perf_counter() - start)
            start = time.perf_counter()
            tokens.bearer(TENANT)
            cached.append(time.perf_counter() - start)
    finally:
        static.close()
        minted.close()
        asyncio.run_coroutine_threadsafe(running.stop(0), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        store.close()
    static_s, jwt_s = _summary(took["static"]), _summary(took["jwt"])
    return {
        "calls_each": rounds * per_round,
        "static_ceiling": static_s,
        "jwt": jwt_s,
        "ratio_p50": round(jwt_s["p50_ms"] / static_s["p50_ms"], 3),
        "ratio_p90": round(jwt_s["p90_ms"] / static_s["p90_ms"], 3),
        "mint": _summary(mint),
        "cached_bearer": _summary(cached),
        "mints_during_calls": tokens.mints,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.engine_auth", description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = run(max(1, args.rounds), max(1, min(args.per_round, 5000)), Path(folder))
    for name in ("static_ceiling", "jwt", "mint", "cached_bearer"):
        figures = result[name]
        print(f"{name:15} p50 {figures['p50_ms']:8.3f} ms  p90 {figures['p90_ms']:8.3f} ms")
    print(f"ratio jwt/static: p50 {result['ratio_p50']}  p90 {result['ratio_p90']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engine_auth.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

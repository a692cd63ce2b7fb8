"""The tenant gates (issue 16): while a tenant is closed (deleted), its new calls are refused
and the close waits for the running ones; other tenants pass; a close that cannot drain in
time is refused and leaves the tenant open. The engine's gate (asyncio) and the gateway's
(threads)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from attune.engine.domain.errors import UnavailableError
from attune.engine.service.tenant_gate import TenantGate as EngineGate
from attune.gateway.tenant_gate import TenantBusyError
from attune.gateway.tenant_gate import TenantGate as GatewayGate


async def test_the_engine_gate_waits_for_running_calls_and_refuses_new_ones() -> None:
    gate = EngineGate()
    order: list[str] = []
    release = asyncio.Event()

    async def call() -> None:
        async with gate.call("t"):
            order.append("call started")
            await release.wait()
            order.append("call ended")

    async def delete() -> None:
        async with gate.closed("t", "deleted"):
            order.append("deleting")

    running = asyncio.create_task(call())
    await asyncio.sleep(0)  # let the call enter
    closing = asyncio.create_task(delete())
    await asyncio.sleep(0)
    with pytest.raises(UnavailableError, match="being deleted"):
        async with gate.call("t"):
            pass
    async with gate.call("other"):  # another tenant is not held
        pass
    assert order == ["call started"]
    release.set()
    await asyncio.gather(running, closing)
    assert order == ["call started", "call ended", "deleting"]
    async with gate.call("t"):  # open again
        pass


async def test_the_engine_gate_refuses_a_close_that_cannot_drain() -> None:
    gate = EngineGate(drain_s=0.01)
    release = asyncio.Event()

    async def call() -> None:
        async with gate.call("t"):
            await release.wait()

    running = asyncio.create_task(call())
    await asyncio.sleep(0)
    with pytest.raises(UnavailableError, match="nothing was done"):
        async with gate.closed("t", "deleted"):
            pytest.fail("must not run")
    release.set()
    await running
    async with gate.call("t"):  # the refused close left the tenant open
        pass


def test_the_gateway_gate_waits_for_running_requests_and_refuses_new_ones() -> None:
    gate = GatewayGate()
    gate.enter("t")
    entered = threading.Event()
    done: list[str] = []

    def delete() -> None:
        with gate.closed("t", "deleted"):
            done.append("deleted")

    worker = threading.Thread(target=delete)
    worker.start()
    while not entered.is_set():  # wait until the close is registered
        try:
            gate.enter("t")
            gate.leave("t")
        except TenantBusyError:
            entered.set()
    with pytest.raises(TenantBusyError) as err:
        gate.enter("t")
    assert err.value.status == 409 and "being deleted" in err.value.reason
    gate.enter("other")
    gate.leave("other")
    assert done == []
    gate.leave("t")  # the running request ends: the delete proceeds
    worker.join(timeout=10)
    assert done == ["deleted"]
    gate.enter("t")
    gate.leave("t")


def test_the_gateway_gate_refuses_a_close_that_cannot_drain() -> None:
    gate = GatewayGate(drain_s=0.01)
    gate.enter("t")
    with pytest.raises(TenantBusyError, match="nothing was done"):
        with gate.closed("t", "deleted"):
            pytest.fail("must not run")
    gate.leave("t")
    with gate.closed("t", "deleted"):
        with pytest.raises(TenantBusyError):
            with gate.closed("t", "deleted"):  # one delete of a tenant at a time
                pass


def test_the_gateway_gate_check_refuses_only_a_closed_tenant() -> None:
    gate = GatewayGate()
    gate.check("t")
    with gate.closed("t", "deleted"):
        with pytest.raises(TenantBusyError, match="being deleted"):
            gate.check("t")
        gate.check("other")
    gate.check("t")
    # An export on SQLite holds the gate like a request: a delete waits for it.
    gate = GatewayGate(drain_s=0.01)
    gate.enter("t")
    with pytest.raises(TenantBusyError, match="nothing was done"):
        with gate.closed("t", "deleted"):
            pytest.fail("must not run")
    gate.leave("t")


def test_an_engine_export_path_outside_engine_is_a_502_and_writes_nothing(
    tmp_path: Path,
) -> None:
    from types import SimpleNamespace

    from attune.gateway.errors import EngineCallError
    from attune.gateway.tenant_ops import _engine_files

    for bad in ("../escape.jsonl", "engine/../../escape.jsonl", "gateway/x.jsonl", "engine/"):
        engine = SimpleNamespace(export_tenant=lambda tenant, rel=bad: iter([(rel, b"x")]))
        out = tmp_path / "out"
        with pytest.raises(EngineCallError) as err:
            _engine_files(SimpleNamespace(engine=engine), "t", out)  # type: ignore[arg-type]
        assert err.value.status == 502, bad
        assert not (tmp_path / "escape.jsonl").exists() and not out.exists()

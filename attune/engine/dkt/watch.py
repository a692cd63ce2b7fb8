"""Hot reload: rescan the model folder every few seconds and on SIGHUP."""

from __future__ import annotations

import asyncio
import signal

import structlog

from attune.engine.dkt.registry import ModelRegistry

log = structlog.get_logger("attune.dkt")


def reload_now(registry: ModelRegistry) -> None:
    """Rescan once and log what changed."""
    changes = registry.reload()
    if changes:
        log.info("dkt.reloaded", changes=dict(changes), loaded=registry.keys())


async def watch(registry: ModelRegistry, interval: float) -> None:
    """Reload on SIGHUP, and every ``interval`` seconds when it is positive. Runs until
    cancelled."""
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, reload_now, registry)
    try:
        while True:
            await asyncio.sleep(interval if interval > 0 else 3600)
            if interval > 0:
                reload_now(registry)
    finally:
        loop.remove_signal_handler(signal.SIGHUP)

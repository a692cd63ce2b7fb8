"""The live stack of the whole-tenant tests and benchmark (issue 16): a real engine on port 0
(TenantService and quotas on, over the embedded store or Redis) in its own event loop thread,
and the gateway's app in front of it on the matching store, sharing one audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.audit_stack import Live, gateway_over_engine

__all__ = ["Live", "live_stack"]


@contextmanager
def live_stack(tmp_path: Path, url: str = "") -> Iterator[Live]:
    """The stack over ``tmp_path`` (embedded stores) or the Redis at ``url``."""
    with gateway_over_engine(tmp_path, url, tenant_engine=True) as stack:
        yield stack

"""The engine's retry hint reaches HTTP clients (issue 17): an engine call refused
RESOURCE_EXHAUSTED with ``retry-after`` (the tenant's request budget, engine/grpc/
tenant_limits.py) is answered by the gateway with 429 and the same ``Retry-After``. A real
``attune serve`` (engine and gateway) with a tiny request budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gateway_stack import running_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# One request a minute after a burst of 40: the gateway's own calls (its start, its loops)
# take a few; the admin reads below take the rest, then the engine refuses.
TINY = {
    "ATTUNE_LIMITS__REQUESTS_PER_SECOND": str(1 / 60),
    "ATTUNE_LIMITS__REQUESTS_BURST": "40",
}
REPORT = "/admin/tenants/default/courses/demo/class-report"


def test_a_refused_engine_call_is_a_429_with_the_engines_retry_after(tmp_path: Path) -> None:
    with running_stack(tmp_path, env=TINY) as stack:
        first = stack.admin("GET", REPORT)
        assert first.status_code == 200, first.text
        assert "Retry-After" not in first.headers
        refused = None
        for _ in range(60):  # the budget is 40 calls
            reply = stack.admin("GET", REPORT)
            if reply.status_code != 200:
                refused = reply
                break
        assert refused is not None, "the engine never refused"
        assert refused.status_code == 429, refused.text
        body = refused.json()
        assert "RESOURCE_EXHAUSTED" in body["reason"] and "requests" in body["reason"]
        hint = refused.headers["Retry-After"]
        # One token at 1/60 per second: the engine says to wait up to a minute.
        assert hint.isdigit() and 1 <= int(hint) <= 60

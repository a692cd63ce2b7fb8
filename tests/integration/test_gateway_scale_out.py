"""Two gateways sharing one Redis (``ATTUNE_GATEWAY__STORE_URL``), each beside its own engine
on the same Redis: a login on one completes on the other, a session works on both, a replay
is refused by either, both publish the same keys, and each score reaches the LMS once."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.gateway_stack import Stack, running_stack, token_of, wait_for
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import ROLE_LEARNER

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_two_gateways_share_launches_sessions_keys_and_the_outbox(
    redis_standalone: Any, tmp_path: Path
) -> None:
    redis_standalone.flush()
    env = {
        "ATTUNE_STORE_URL": redis_standalone.url,
        "ATTUNE_GATEWAY__STORE_URL": redis_standalone.url,
    }
    with (
        running_stack(tmp_path / "a", env) as a,
        running_stack(tmp_path / "b", env) as b,
        PlatformEmulator() as lms,
    ):
        a.connect(lms)  # registered through A, stored in the shared Redis
        assert (
            requests.get(f"{a.url}/lti/jwks", timeout=10).json()
            == requests.get(f"{b.url}/lti/jwks", timeout=10).json()
        )
        lineitem = lms.add_lineitem(label="Shared", score_maximum=100, resource_link_id="rl-1")

        http = requests.Session()
        redirect = http.get(
            lms.prepare_launch(sub="learner-ab", roles=[ROLE_LEARNER]),
            allow_redirects=False,
            timeout=10,
        )
        query = parse_qs(urlsplit(redirect.headers["Location"]).query)
        state, nonce = query["state"][0], query["nonce"][0]
        id_token = lms.sign(lms.id_token_claims(nonce=nonce, sub="learner-ab"))
        # The platform posts back to another gateway than the one the login started on.
        launched = http.post(
            f"{b.url}/lti/launch", data={"id_token": id_token, "state": state}, timeout=10
        )
        assert launched.status_code == 200 and "/practice/" in launched.url, launched.text
        token = token_of(launched)
        assert http.get(f"{a.url}/practice/{token}", timeout=10).status_code == 200
        replay = http.post(
            f"{a.url}/lti/launch", data={"id_token": id_token, "state": state}, timeout=10
        )
        assert replay.status_code == 401

        wait_for(lambda: any(s["lineitem"] == lineitem for s in lms.scores))
        # Settled: the score's item is delivered in the shared outbox and nothing is pending,
        # so neither sender can lease it again and the count below is final.
        wait_for(lambda: bool(_outbox(a, "delivered")) and not _outbox(a, "pending"))
        mine = [s for s in lms.scores if s["lineitem"] == lineitem]
        assert len(mine) == 1 and mine[0]["body"]["activityProgress"] == "Started"


def _outbox(stack: Stack, status: str) -> list[dict[str, Any]]:
    """The tenant's grade outbox items with ``status`` (admin API; the outbox is shared)."""
    reply = stack.admin("GET", "/admin/tenants/default/outbox", params={"status": status})
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items

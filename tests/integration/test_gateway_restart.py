"""Nothing acknowledged is lost across a crash: scores and statements queued while the LMS and
the LRS are down survive a ``kill -9`` of ``attune serve`` and arrive, once, after a restart
on the same data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from attune.engine.demo.course import demo_course
from attune.gateway.lrs.sqlite_outbox import SqliteStatementOutbox
from tests.support.gateway_stack import (
    deep_link_activity,
    practise_until_done,
    right_answer,
    running_stack,
    token_of,
    wait_for,
)
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import ROLE_LEARNER
from tests.support.ralph_lrs import RalphLRS, require_ralph

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_queued_scores_and_statements_survive_kill_9(tmp_path: Path) -> None:
    require_ralph()
    data = tmp_path / "attune"
    with RalphLRS(tmp_path / "ralph") as ralph, PlatformEmulator() as lms:
        env = {
            "ATTUNE_LRS_URL": ralph.url,
            "ATTUNE_LRS_USERNAME": ralph.username,
            "ATTUNE_LRS_PASSWORD": ralph.password,
            "ATTUNE_GATEWAY__STATEMENT_POLL_SECONDS": "0.1",
            "ATTUNE_GATEWAY__STATEMENT_BASE_DELAY_SECONDS": "0.1",
            "ATTUNE_GATEWAY__STATEMENT_MAX_DELAY_SECONDS": "0.3",
        }
        with running_stack(data, env) as stack:
            stack.connect(lms)
            activity = deep_link_activity(stack, lms, [demo_course().order[0]], "Crash")
            lineitem = lms.add_lineitem(
                label="Crash", score_maximum=100, resource_link_id="rl-crash"
            )
            http = requests.Session()
            page = lms.launch(
                http,
                sub="learner-crash",
                roles=[ROLE_LEARNER],
                resource_link_id="rl-crash",
                custom={"activity_id": activity},
            )
            wait_for(lambda: any(s["lineitem"] == lineitem for s in lms.scores))
            lms.set_down(True)
            ralph.kill()
            practise_until_done(http, stack.url, token_of(page), lambda p, n: right_answer(p))
            stack.engine.kill()  # kill -9: no flush, no goodbye
        outbox = SqliteStatementOutbox(data / "gateway.db")
        try:
            waiting = outbox.counts("default").get("pending", 0)
        finally:
            outbox.close()
        assert not any(s["body"]["activityProgress"] == "Completed" for s in lms.scores)
        lms.set_down(False)
        ralph.restart()
        with running_stack(data, env):
            wait_for(
                lambda: any(
                    s["lineitem"] == lineitem and s["body"]["activityProgress"] == "Completed"
                    for s in lms.scores
                ),
                timeout=30,
            )
            outbox = SqliteStatementOutbox(data / "gateway.db")
            try:
                wait_for(lambda: not outbox.counts("default").get("pending"), timeout=30)
                delivered = outbox.list_statements("default", "delivered", 5000)
            finally:
                outbox.close()
        completed = [s for s in lms.scores if s["body"]["activityProgress"] == "Completed"]
        assert len(completed) == 1 and completed[0]["body"]["scoreGiven"] == 100.0
        stored = [s["id"] for s in ralph.all_statements()]
        assert len(stored) == len(set(stored))
        assert {q.statement_id for q in delivered} <= set(stored)
        assert waiting > 0  # statements were queued, undelivered, when the process died

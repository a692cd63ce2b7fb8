"""Fuzz fixtures: the run's tally, printed at the end (and written as JSON under make fuzz)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.fuzz.tally import TALLY

if TYPE_CHECKING:
    from tests.fuzz.http_stack import FuzzStack


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Requests tried, server errors (goal 0), refused requests that changed something (0)."""
    summary = TALLY.summary()
    if not summary["requests_tried"]:
        return
    terminalreporter.section("fuzz")
    terminalreporter.write_line(
        f"requests tried: {summary['requests_tried']}, server errors: "
        f"{summary['server_errors']}, refused requests that changed something: "
        f"{summary['refused_but_changed']}, other contract findings: "
        f"{sum(summary['other_findings'].values())} ({summary['distinct_findings']} distinct)"
    )
    for finding, example in summary["findings"].items():
        terminalreporter.write_line(f"  {finding}: {example}")
    report = os.environ.get("ATTUNE_FUZZ_REPORT", "")
    if report:
        TALLY.write(Path(report))
        terminalreporter.write_line(f"written to {report}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzStack]:
    """One ``attune serve`` and LMS emulator for every HTTP fuzz test of the run."""
    from tests.fuzz.http_stack import fuzz_stack

    with fuzz_stack(tmp_path_factory.mktemp("fuzz-stack")) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_observation(request: pytest.FixtureRequest) -> None:
    """Each test reads the stack's state afresh before its first request (another test, or
    schemathesis, may have changed it without going through ``exercise``)."""
    if "stack" in request.fixturenames:
        request.getfixturevalue("stack").last_seen = None

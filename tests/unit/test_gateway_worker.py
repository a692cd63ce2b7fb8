"""The gateway's polling worker: its one template method is abstract, so a worker that forgets
it fails when it is built, not later in its thread."""

from __future__ import annotations

import pytest

from attune.gateway.worker import PollingWorker


def test_a_worker_without_run_once_cannot_be_built() -> None:
    class Forgetful(PollingWorker):
        pass

    with pytest.raises(TypeError, match="run_once"):
        Forgetful(1.0)  # type: ignore[abstract]


def test_a_worker_with_run_once_runs_it() -> None:
    class Counting(PollingWorker):
        def run_once(self) -> int:
            return 7

    assert Counting(1.0).run_once() == 7

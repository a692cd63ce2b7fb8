"""The pure forward filter equals pyBKT 1.4.3's predict to 1e-9 on real data."""

from __future__ import annotations

import pytest

from attune.engine.domain import bkt
from tests.support.pybkt_reference import reference
from tests.support.shared_data import shared_data_dir

TOLERANCE = 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("forgets", [True, False], ids=["with-forget", "classic"])
def test_forward_filter_equals_pybkt_predict(forgets: bool) -> None:
    ref = reference(shared_data_dir(), forgets)
    worst_state = worst_correct = 0.0
    compared = 0
    for q in ref.sequences:
        belief: dict[str, float] = {}
        position: dict[str, int] = {}
        for skill, correct in zip(q.skills, q.correct, strict=True):
            sid = str(skill)
            params = ref.params[sid]
            p = belief.get(sid, params.prior)
            t = position.get(sid, 0)
            expected_state = ref.state[(q.learner, sid)][t]
            expected_correct = ref.correct[(q.learner, sid)][t]
            worst_state = max(worst_state, abs(p - expected_state))
            worst_correct = max(worst_correct, abs(bkt.p_correct(p, params) - expected_correct))
            belief[sid] = bkt.step(p, float(correct), params)
            position[sid] = t + 1
            compared += 1
    assert compared > 2000
    assert worst_state < TOLERANCE, worst_state
    assert worst_correct < TOLERANCE, worst_correct
    if forgets:
        assert any(p.forget > 0 for p in ref.params.values())

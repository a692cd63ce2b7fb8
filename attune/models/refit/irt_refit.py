"""IRT per item: calibrated on the fit learners (irt_em.py), judged on the held-out learners.

Each held-out response to an item is predicted from the learner's ability given their
*other* items' responses (the posterior on the engine's grid, under the old parameters of
those items, so the comparison isolates the item), once with the item's old parameters and
once with its new ones. The new ones are adopted when their held-out log-likelihood per
response beats the old by ``irt_margin``. The course-level figure predicts every held-out
response the same way with every item's old parameters, then with the adopted ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from attune.engine.domain.course import Course, IrtParams
from attune.models.refit.config import RefitConfig
from attune.models.refit.data import Answer
from attune.models.refit.irt_em import (
    LOG_PRIOR,
    Array,
    ItemParams,
    Responses,
    calibrate,
    grid_p,
    group_sum,
    posterior,
    response_loglik,
)
from attune.models.refit.metrics import Metrics, judge, metrics
from attune.models.refit.report import ItemDecision


def responses(answers: Sequence[Answer], item_index: dict[str, int]) -> tuple[Responses, list[str]]:
    """The answers as arrays (learners numbered in order of appearance) and the learner ids."""
    learners: dict[str, int] = {}
    for a in answers:
        learners.setdefault(a.learner_id, len(learners))
    data = Responses(
        learner=np.asarray([learners[a.learner_id] for a in answers], dtype=np.int64),
        item=np.asarray([item_index[a.item_id] for a in answers], dtype=np.int64),
        score=np.asarray([a.score for a in answers], dtype=np.float64),
        learners=len(learners),
        items=len(item_index),
    )
    return data, list(learners)


def course_params(course: Course) -> ItemParams:
    """The course's item parameters, in course order."""
    items = list(course.items.values())
    return ItemParams(
        np.asarray([i.irt.a for i in items], dtype=np.float64),
        np.asarray([i.irt.b for i in items], dtype=np.float64),
        np.asarray([i.irt.c for i in items], dtype=np.float64),
    )


def leave_item_out(data: Responses, ability: ItemParams) -> Array:
    """Each response's posterior over the ability grid, given the learner's responses to the
    other items (scored with ``ability``'s parameters): one row per response."""
    if len(data.score) == 0:
        return np.zeros((0, len(LOG_PRIOR)))
    ll = response_loglik(data, grid_p(ability))
    per_learner = group_sum(ll, data.learner, data.learners)
    pair_key = data.learner * data.items + data.item
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    per_pair = group_sum(ll, pair_of.astype(np.int64), len(pairs))
    post: Array = posterior(LOG_PRIOR[None, :] + per_learner[data.learner] - per_pair[pair_of])
    return post


def predict(data: Responses, post: Array, params: ItemParams) -> Array:
    """P(correct) of each response under ``params``, from its posterior (leave_item_out)."""
    if len(data.score) == 0:
        return np.zeros(0)
    result: Array = (post * grid_p(params)[data.item]).sum(axis=1)
    return result


def refit_irt(
    course: Course, fit: Sequence[Answer], held: Sequence[Answer], config: RefitConfig
) -> tuple[tuple[ItemDecision, ...], Metrics | None, Metrics | None, str]:
    """One decision per course item (course order), the held-out metrics of all old and of
    the adopted parameters, and a note."""
    ids = list(course.items)
    index = {item_id: n for n, item_id in enumerate(ids)}
    fit_data, _ = responses(fit, index)
    held_data, _ = responses(held, index)
    old = course_params(course)
    n_fit = np.bincount(fit_data.item, minlength=len(ids))
    n_held = np.bincount(held_data.item, minlength=len(ids))
    estimate = n_fit >= config.min_item_responses
    if not estimate.any():
        decisions = tuple(
            _kept(
                course,
                i,
                int(n_fit[n]),
                int(n_held[n]),
                f"{int(n_fit[n])} responses < {config.min_item_responses}: kept its parameters",
            )
            for n, i in enumerate(ids)
        )
        return decisions, None, None, "no item has enough responses to calibrate"
    cal = calibrate(fit_data, old, estimate)
    new = cal.params
    post = leave_item_out(held_data, old)
    p_old = predict(held_data, post, old)
    p_new = predict(held_data, post, new)
    adopted = np.zeros(len(ids), dtype=bool)
    decisions_list: list[ItemDecision] = []
    for n, item_id in enumerate(ids):
        if not estimate[n]:
            decisions_list.append(
                _kept(
                    course,
                    item_id,
                    int(n_fit[n]),
                    int(n_held[n]),
                    f"{int(n_fit[n])} responses < {config.min_item_responses}: kept its parameters",
                )
            )
            continue
        mine = held_data.item == n
        observed = held_data.score[mine].tolist()
        before = metrics(p_old[mine].tolist(), observed)
        after = metrics(p_new[mine].tolist(), observed)
        params = IrtParams(float(new.a[n]), float(new.b[n]), float(new.c[n]))
        ok, reason = judge(before, after, config.min_holdout_responses, config.irt_margin)
        adopted[n] = ok
        decisions_list.append(
            ItemDecision(
                item_id,
                int(n_fit[n]),
                int(n_held[n]),
                ok,
                reason,
                course.items[item_id].irt,
                params,
                before,
                after,
            )
        )
    chosen = ItemParams(
        np.where(adopted, new.a, old.a),
        np.where(adopted, new.b, old.b),
        np.where(adopted, new.c, old.c),
    )
    observed_all = held_data.score.tolist()
    all_old = metrics(p_old.tolist(), observed_all)
    p_chosen = predict(held_data, leave_item_out(held_data, chosen), chosen)
    all_new = metrics(p_chosen.tolist(), observed_all)
    note = (
        f"EM {'converged' if cal.converged else 'stopped'} after {cal.iterations} iterations; "
        f"{int(estimate.sum())} items calibrated, {int(adopted.sum())} adopted"
    )
    return tuple(decisions_list), all_old, all_new, note


def _kept(course: Course, item_id: str, n_fit: int, n_held: int, reason: str) -> ItemDecision:
    return ItemDecision(item_id, n_fit, n_held, False, reason, course.items[item_id].irt)

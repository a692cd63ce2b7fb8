"""Parameters that improve with use: BKT refitted per skill and IRT items calibrated from a
course's own event log, each compared with the old parameters on held-out learners before it
is adopted (issue 15, part 4).

- :mod:`~models.refit.data`: credible answers, the stable learner split, skill sequences;
- :mod:`~models.refit.bkt_refit`: pyBKT per skill (models/bkt/fit.py), judged one step ahead;
- :mod:`~models.refit.irt_em` and :mod:`~models.refit.irt_refit`: MML-EM on the engine's
  ability grid, judged by leave-item-out predictions;
- :mod:`~models.refit.core`: one course's refit, pure (:func:`refit_course`);
- :mod:`~models.refit.cli`: ``attune refit``; :mod:`~models.refit.worker`: the same refit
  over stdin/stdout, which the engine's background job runs in a child process (the serving
  process never imports pyBKT).
"""

from attune.models.refit.config import RefitConfig
from attune.models.refit.core import RefitResult, refit_course, with_adopted
from attune.models.refit.data import Answer, is_held_out, split
from attune.models.refit.report import ItemDecision, RefitReport, SkillDecision

__all__ = [
    "Answer",
    "ItemDecision",
    "RefitConfig",
    "RefitReport",
    "RefitResult",
    "SkillDecision",
    "is_held_out",
    "refit_course",
    "split",
    "with_adopted",
]

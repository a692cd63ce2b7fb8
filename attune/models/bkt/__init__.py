"""BKT fitting: per-skill parameters from pyBKT 1.4.3, written as an artifact a course loads.

``attune models fit-bkt`` is the command line (:mod:`models.bkt.cli`). The modules:

- :mod:`~models.bkt.table`: the rows pyBKT fits, from a DKT-format dataset or an event-log
  export (:mod:`models.event_export`) plus the course that maps items to skills;
- :mod:`~models.bkt.fit`: the sequence counts, the pyBKT fit and the checks on its result;
- :mod:`~models.bkt.artifact`: the parameter artifact and :func:`apply_params`, which loads
  it into a course's JSON.

pyBKT and pandas are imported only when a fit runs.
"""

from attune.models.bkt.artifact import SkillResult, apply_params, build_artifact, fitted_params
from attune.models.bkt.fit import count_sequences, fit_pybkt, fit_table
from attune.models.bkt.table import FitInputError, FitTable, Row, table_from_events, table_from_kt

__all__ = [
    "FitInputError",
    "FitTable",
    "Row",
    "SkillResult",
    "apply_params",
    "build_artifact",
    "count_sequences",
    "fit_pybkt",
    "fit_table",
    "fitted_params",
    "table_from_events",
    "table_from_kt",
]

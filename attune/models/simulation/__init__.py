"""Policy simulation: synthetic learners with hidden knowledge, tutored through a real engine
over gRPC by several item-selection policies, and the metrics that compare them.

``attune simulate`` is the command line (see :mod:`models.simulation.cli`). The modules:

- :mod:`~models.simulation.learners`: the cohort of synthetic learners;
- :mod:`~models.simulation.policies`: the client-side choosers (``ours``, ``static``,
  ``random``, ``alosi``);
- :mod:`~models.simulation.runner`: an in-process engine and the tutoring loop;
- :mod:`~models.simulation.metrics`: per-learner results and per-policy summaries;
- :mod:`~models.simulation.report`: the table and the JSON.

The realistic study (issue 15, ``attune simulate --realistic``, ``bench/efficacy.py``):

- :mod:`~models.simulation.hidden`: learners with their own rates, item-level guess and
  slip, prerequisite-gated learning, forgetting over time and rushing;
- :mod:`~models.simulation.graphs`: the demo course, a wide and a deep graph;
- :mod:`~models.simulation.oracle`: the policy that sees the hidden truth;
- :mod:`~models.simulation.realistic`: the tutoring loop judged against the truth;
- :mod:`~models.simulation.study` and :mod:`~models.simulation.study_report`: the metrics
  across seeds, the goals, the table and the JSON; :mod:`~models.simulation.realistic_cli`.
"""

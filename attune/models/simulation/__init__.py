"""Policy simulation: synthetic learners with hidden knowledge, tutored through a real engine
over gRPC by several item-selection policies, and the metrics that compare them.

``attune simulate`` is the command line (see :mod:`models.simulation.cli`). The modules:

- :mod:`~models.simulation.learners`: the cohort of synthetic learners;
- :mod:`~models.simulation.policies`: the client-side choosers (``ours``, ``static``,
  ``random``, ``alosi``);
- :mod:`~models.simulation.runner`: an in-process engine and the tutoring loop;
- :mod:`~models.simulation.metrics`: per-learner results and per-policy summaries;
- :mod:`~models.simulation.report`: the table and the JSON.
"""

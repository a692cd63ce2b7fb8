"""Skill-only reference tracers for issue 18: an attention model of the AKT family without
the Rasch question term (AKT-NR) and a recurrent tracer with cheap per-skill count features.

Both read the DKT-format datasets (skill ids only) and are scored like DKT: every response
after a learner's first is predicted from the responses before it. See
``models/reports/question_aware.md``.
"""

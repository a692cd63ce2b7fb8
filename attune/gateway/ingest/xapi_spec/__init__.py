"""xAPI statement validation written from the specifications, requirement by requirement
(issue 19): xAPI 1.0.3 and 2.0.0 (IEEE 9274.1.1), Part Two "Data".

``validate(statement, version)`` is pure and never raises on any JSON value: it returns every
:class:`Problem` found, each naming the JSON path, the rule (:data:`RULES`) and its section.
An empty list means the statement is valid. What a request adds (attachments' parts, the
fileUrl a JSON request needs, signatures) is checked by ``ingest.xapi_multipart``.

- ``report``: Problem and the collector; ``rules``: the requirements and their sections;
- ``actors``: agents, groups, identifiers, language maps, extensions;
- ``activities``: activities, definitions, interaction types and response patterns;
- ``context``: result, score, context, contextActivities, 2.0.0 context agents and groups;
- ``statement``: the statement, SubStatement, verb, object, authority, version, attachments.
"""

from __future__ import annotations

from typing import Any

from attune.gateway.ingest.xapi_spec.report import Problem, Report, Version
from attune.gateway.ingest.xapi_spec.rules import RULES, Rule, count
from attune.gateway.ingest.xapi_spec.statement import statement


def validate(value: Any, version: Version, path: str = "") -> list[Problem]:
    """Every problem of ``value`` as an xAPI ``version`` statement (empty: valid)."""
    report = Report(version)
    statement(report, value, path)
    return report.problems


__all__ = ["RULES", "Problem", "Rule", "Version", "count", "validate"]

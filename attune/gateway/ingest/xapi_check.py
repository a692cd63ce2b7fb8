"""One inbound xAPI statement against the specification of its request's version.

The decision is :func:`attune.gateway.ingest.xapi_spec.validate`'s, written from xAPI 1.0.3
and 2.0.0 requirement by requirement. tincan is not a validator (issue 19): its model is
narrower than the specification (a SubStatement with a ``result`` is valid xAPI and a tincan
error), and it coerces where the specification refuses (``mbox: "notmail"``, a score
``"0.5"``, snake_case keys). It still reads what it supports (see ``xapi_batch``).
"""

from __future__ import annotations

from typing import Any, Literal

from attune.gateway.ingest.problems import InvalidInputError
from attune.gateway.ingest.xapi_spec import Problem, Version, validate

Family = Literal["1.0", "2.0"]
VERSIONS: dict[Family, Version] = {"1.0": "1.0.3", "2.0": "2.0.0"}


def problems(value: Any, path: str, family: Family) -> list[Problem]:
    """Every problem of the statement at ``path`` under the request's version family."""
    return validate(value, VERSIONS[family], path)


def check_statement(value: Any, path: str, family: Family) -> dict[str, Any]:
    """The statement, unchanged, or :class:`InvalidInputError` naming the first problem's
    path, with its section (and how many more there are)."""
    found = problems(value, path, family)
    if found:
        first = found[0]
        more = f"; {len(found) - 1} more problem(s)" if len(found) > 1 else ""
        raise InvalidInputError(first.path, f"{first.message} ({first.section}){more}")
    if not isinstance(value, dict):  # unreachable: validate() refuses a non-object
        raise InvalidInputError(path, "must be a JSON object")
    return value

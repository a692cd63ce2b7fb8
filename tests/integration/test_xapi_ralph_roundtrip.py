"""What Attune's validator accepts, a real Ralph LRS accepts too (issue 19): every valid
1.0.3 case of the specification table, sent to Ralph (which speaks xAPI 1.0.3), then read
back. Cases where Ralph is stricter than the specification are listed with the reason; the
list is checked too, so that a Ralph change shows here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from attune.gateway.ingest.xapi_spec import validate
from tests.support.ralph_lrs import XAPI_VERSION_HEADER, RalphLRS, require_ralph
from tests.support.xapi_cases import CASES, Case

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VALID_1 = [c for c in CASES if c.expected is None and "1.0.3" in c.versions]
# Valid xAPI 1.0.3 that Ralph 5.1 refuses (its pydantic models are narrower than the spec).
# Each was measured against Ralph 5.1.0: its API requires ``object.id`` for every object,
# while an Agent, Group (1.0.3 Data §2.4.4.2) or SubStatement (§2.4.4.3) object has none.
_NO_OBJECT_ID = "Ralph requires object.id; the spec gives this object type no id"
RALPH_STRICTER: dict[str, str] = {
    "agent as object": _NO_OBJECT_ID,
    "group as object": _NO_OBJECT_ID,
    "substatement": _NO_OBJECT_ID,
    "substatement with a result": _NO_OBJECT_ID,
    "substatement with context and timestamp": _NO_OBJECT_ID,
}


@pytest.fixture(scope="module")
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    require_ralph()
    with RalphLRS(tmp_path_factory.mktemp("ralph-roundtrip")) as server:
        yield server


@pytest.mark.parametrize("case", VALID_1, ids=[c.name for c in VALID_1])
def test_ralph_accepts_what_attune_accepts(lrs: RalphLRS, case: Case) -> None:
    body = case.statement()
    body["id"] = str(uuid.uuid4())
    assert validate(body, "1.0.3") == []
    reply = requests.post(
        lrs.statements_url, json=body, auth=lrs.auth, headers=XAPI_VERSION_HEADER, timeout=10
    )
    if case.name in RALPH_STRICTER:
        assert reply.status_code in (400, 422), reply.text
        return
    assert reply.status_code == 200, reply.text
    assert reply.json() == [body["id"]]
    stored = lrs.get(body["id"])
    assert stored is not None and stored["verb"]["id"] == body["verb"]["id"]

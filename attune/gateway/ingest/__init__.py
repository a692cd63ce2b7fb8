"""Inbound statements (issue 7, part 3): xAPI statements and Caliper envelopes from other
tools, validated whole, then mapped to the engine's RecordResponse where they carry a learner's
response to one of our course items.

- ``xapi_spec``, ``values``, ``xapi_check``: validation from the specification, naming the path
  and the section of each problem;
- ``xapi_compare``: when two statements with one id are the same (for 409 Conflict);
- ``xapi_batch``: a request body as validated statements with ids and typed tincan objects;
- ``caliper_check``: Caliper 1.2 envelopes;
- ``activity_map``, ``actors``, ``mapping``: which item and learner, and the response;
- ``service``: applying each id once, in order, through the engine.

Everything but ``service`` is pure; the web layer is ``gateway.web.ingest_routes``.
"""

from attune.gateway.ingest.activity_map import ItemRef, parse_activity_map
from attune.gateway.ingest.caliper_check import parse_envelope
from attune.gateway.ingest.mapping import TenantView
from attune.gateway.ingest.problems import IdConflictError, InvalidInputError
from attune.gateway.ingest.service import Ingestor, Outcome
from attune.gateway.ingest.xapi_batch import parse_post, parse_put
from attune.gateway.ingest.xapi_check import Family

__all__ = [
    "Family",
    "IdConflictError",
    "Ingestor",
    "InvalidInputError",
    "ItemRef",
    "Outcome",
    "TenantView",
    "parse_activity_map",
    "parse_envelope",
    "parse_post",
    "parse_put",
]

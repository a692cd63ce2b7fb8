"""Pure builders of xAPI (1.0.3 and 2.0) statements and IMS Caliper 1.2 events (issue 7).

Nothing here does I/O or reads a clock: an engine event and a tenant profile go in, JSON-ready
dicts come out. Sending them is the outbox's job.
"""

from attune.gateway.statements.caliper import build_caliper, envelope
from attune.gateway.statements.events import Grade, LearningEvent, Person
from attune.gateway.statements.ids import caliper_event_id, xapi_statement_id
from attune.gateway.statements.logged import from_logged
from attune.gateway.statements.profile import TenantProfile
from attune.gateway.statements.xapi import build_xapi

__all__ = [
    "Grade",
    "LearningEvent",
    "Person",
    "TenantProfile",
    "build_caliper",
    "build_xapi",
    "caliper_event_id",
    "envelope",
    "from_logged",
    "xapi_statement_id",
]

"""The engine side of the role table, for documentation and the matrix test: which RPCs
each kind of caller may use. The engine enforces it with scopes (``engine/grpc/scopes.py``,
one per RPC, checked by its auth interceptor; the gateway never imports the engine, so the
method table is passed in, and a test checks that the gateway's scopes are the engine's):

- a partner app's JWT carries the scopes its OAuth client was granted; it may call exactly
  the RPCs whose scope it holds, in the token's tenant;
- the gateway's own engine credential (``ATTUNE_GATEWAY__ENGINE_TOKENS``, a static token at
  the engine) is a trusted service with every scope: learners, instructors and tenant
  administrators reach the engine only through the gateway, whose routes are governed by
  :mod:`.routes`;
- operators call no RPC: the engine's health checking and reflection are public.
"""

from __future__ import annotations

from collections.abc import Mapping

from attune.gateway.oauth.scopes import SCOPES
from attune.gateway.rbac.core import Role

# The engine scopes each gateway role reaches through the gateway's routes (documentation:
# the gateway calls with its service credential on their behalf, after the route's check).
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.LEARNER: frozenset({"responses:write", "learners:read", "courses:read"}),
    Role.INSTRUCTOR: frozenset(
        {"learners:read", "courses:read", "analytics:read", "interventions:write"}
    ),
    Role.TENANT_ADMIN: frozenset(SCOPES),
    Role.ADMIN: frozenset(SCOPES),
    Role.OPERATOR: frozenset(),
    Role.INGEST: frozenset({"responses:write", "courses:read"}),
}


def methods_for(scopes: frozenset[str] | None, table: Mapping[str, str]) -> frozenset[str]:
    """The RPCs (full method names) of ``table`` (method -> scope, the engine's) that a
    credential with ``scopes`` may call; ``None`` is the unscoped service credential, which
    may call every RPC of the table."""
    if scopes is None:
        return frozenset(table)
    return frozenset(m for m, s in table.items() if s in scopes)

"""The production adapters for a gateway, as the composition root passes them to
:func:`gateway.app.build_gateway`. Imported only by whoever composes a process."""

from __future__ import annotations

from attune.gateway.edges import GatewayEdges
from attune.integrations.lms.canvas import developer_key
from attune.integrations.lrs.http import HttpLrsClient


def gateway_edges() -> GatewayEdges:
    """Statements over HTTP (one client per gateway: it keeps a session per target) and the
    Canvas developer key."""
    return GatewayEdges(lrs_client=HttpLrsClient(), canvas_developer_key=developer_key)

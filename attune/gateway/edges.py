"""What the composition root plugs into the gateway: the vendor adapters of ``integrations/``.

The gateway never imports ``integrations``; the dependency points the other way. The
adapters implement the ports below (and :class:`gateway.lrs.client.LrsClient`), and whoever
composes the process (``attune``'s commands, or a test) hands them to
:func:`gateway.app.build_gateway`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from attune.gateway.lrs.client import LrsClient


class DeveloperKeyBuilder(Protocol):
    """An LMS vendor's tool configuration, built from our Dynamic Registration request."""

    def __call__(self, registration: dict[str, Any], launch_url: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class GatewayEdges:
    """The vendor adapters one gateway is built with."""

    lrs_client: LrsClient  # sends statement batches to LRSs and Caliper endpoints
    canvas_developer_key: DeveloperKeyBuilder  # GET /lti/config/canvas.json

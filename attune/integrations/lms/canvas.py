"""Canvas: the developer key JSON ("LTI Key", method "Paste JSON") for Attune.

Canvas reads its own shape rather than the Dynamic Registration request: ``oidc_initiation_url``,
``target_link_uri``, ``public_jwk_url``, ``scopes`` and an ``extensions`` entry for
``canvas.instructure.com`` with the placements. Both placements open Deep Linking so that an
instructor picks the activity; ``privacy_level: anonymous`` keeps names and emails out of
the launch, which Attune does not need.
"""

from __future__ import annotations

from typing import Any

from attune.gateway.lti import claims


def developer_key(registration: dict[str, Any], launch_url: str) -> dict[str, Any]:
    """The developer key for the tool described by a Dynamic Registration request."""
    placements = [
        {
            "placement": placement,
            "message_type": claims.DEEP_LINKING_REQUEST,
            "target_link_uri": launch_url,
        }
        for placement in ("assignment_selection", "link_selection")
    ]
    return {
        "title": "Attune",
        "description": registration[claims.TOOL_CONFIG]["description"],
        "oidc_initiation_url": registration["initiate_login_uri"],
        "target_link_uri": launch_url,
        "public_jwk_url": registration["jwks_uri"],
        "scopes": registration["scope"].split(),
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "privacy_level": "anonymous",
                "settings": {"placements": placements},
            }
        ],
        "custom_fields": {},
    }

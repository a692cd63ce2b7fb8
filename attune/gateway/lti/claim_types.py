"""The JSON types of the id_token claims the gateway reads (LTI 1.3 core §5.3-5.4, AGS 2.0
§3.1, NRPS 2.0 §3.6.1, Deep Linking 2.0 §4.4.1).

A platform that signs a launch is trusted to say who the user is, not to send well-formed
JSON: ``custom`` as a list or ``roles`` holding numbers must be refused with a reason naming
the claim, before the launch consumes its state and nonce, instead of failing later. Pure: it
only looks at the decoded body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attune.gateway.json_kind import json_kind
from attune.gateway.lti import claims

# Top-level claims that must be strings when present (null counts as absent).
STRINGS = {
    "sub": "sub",
    "azp": "azp",
    "nonce": "nonce",
    "given_name": "given_name",
    claims.MESSAGE_TYPE: "message_type",
    claims.VERSION: "version",
    claims.DEPLOYMENT_ID: "deployment_id",
    claims.TARGET_LINK_URI: "target_link_uri",
}
# Object claims (name for messages, string members, string-list members).
OBJECTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    claims.CUSTOM: ("custom", ("activity_id", "course_id"), ()),
    claims.CONTEXT: ("context", ("id", "title", "label"), ("type",)),
    claims.RESOURCE_LINK: ("resource_link", ("id", "title", "description"), ()),
    claims.LAUNCH_PRESENTATION: ("launch_presentation", ("document_target", "return_url"), ()),
    claims.AGS_ENDPOINT: ("lti-ags endpoint", ("lineitem", "lineitems"), ("scope",)),
    claims.NRPS: ("lti-nrps namesroleservice", ("context_memberships_url",), ("service_versions",)),
    claims.DL_SETTINGS: (
        "deep_linking_settings",
        ("deep_link_return_url", "data", "title", "text"),
        ("accept_types", "accept_presentation_document_targets"),
    ),
}


def claim_type_problem(body: Mapping[str, Any]) -> str | None:
    """What is wrongly typed in ``body``, naming the claim; ``None`` when nothing is."""
    for claim, name in STRINGS.items():
        if body.get(claim) is not None and not isinstance(body[claim], str):
            return f"claim {name} must be a string, not {json_kind(body[claim])}"
    if body.get(claims.ROLES) is not None:
        problem = _string_list(body[claims.ROLES], "roles")
        if problem:
            return problem
    for claim, (name, strings, lists) in OBJECTS.items():
        value = body.get(claim)
        if value is None:
            continue
        if not isinstance(value, dict):
            return f"claim {name} must be a JSON object, not {json_kind(value)}"
        for member in strings:
            if member in value and value[member] is not None and not isinstance(value[member], str):
                return f"claim {name}.{member} must be a string, not {json_kind(value[member])}"
        for member in lists:
            if member in value and value[member] is not None:
                problem = _string_list(value[member], f"{name}.{member}")
                if problem:
                    return problem
    return None


def _string_list(value: Any, name: str) -> str | None:
    if not isinstance(value, list):
        return f"claim {name} must be a list of strings, not {json_kind(value)}"
    if not all(isinstance(v, str) for v in value):
        return f"claim {name} must be a list of strings, and holds {json_kind(_first_bad(value))}"
    return None


def _first_bad(values: list[Any]) -> Any:
    return next(v for v in values if not isinstance(v, str))

"""LTI 1.3 claim names, scopes and role helpers (LTI 1.3 core §5.3-5.4, AGS 2.0 §3, NRPS 2.0
§3.6, Deep Linking 2.0 §4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
RESOURCE_LINK = LTI + "resource_link"
CUSTOM = LTI + "custom"
TARGET_LINK_URI = LTI + "target_link_uri"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
# The tool's configuration in a Dynamic Registration request and reply (LTI Dynamic
# Registration 1.0, "LTI Tool Configuration").
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"

# Claims a launch must carry, whatever its type (core §5.3); names for the refusal message.
REQUIRED = {
    "iss": "iss",
    "aud": "aud",
    "sub": "sub",
    "exp": "exp",
    "iat": "iat",
    "nonce": "nonce",
    MESSAGE_TYPE: "message_type",
    VERSION: "version",
    DEPLOYMENT_ID: "deployment_id",
    ROLES: "roles",
}

# Roles that see the instructor's side (context roles of LIS vocabulary, core §A.2.3), full
# IRIs or the short forms some platforms still send.
_STAFF = ("Instructor", "Administrator", "ContentDeveloper", "TeachingAssistant", "Mentor")


def missing_claims(body: Mapping[str, Any]) -> list[str]:
    """Names of the required claims absent from an id_token body."""
    missing = [name for claim, name in REQUIRED.items() if body.get(claim) in (None, "")]
    if body.get(MESSAGE_TYPE) == RESOURCE_LINK_REQUEST and _lacks(body, RESOURCE_LINK, "id"):
        missing.append("resource_link.id")
    if body.get(MESSAGE_TYPE) == DEEP_LINKING_REQUEST and _lacks(
        body, DL_SETTINGS, "deep_link_return_url"
    ):
        missing.append("deep_linking_settings.deep_link_return_url")
    return missing


def _lacks(body: Mapping[str, Any], claim: str, name: str) -> bool:
    """Whether the object claim lacks ``name``. A claim that is not an object is wrongly
    typed rather than missing: ``claim_types`` refuses it, naming it."""
    value = body.get(claim)
    if value is not None and not isinstance(value, dict):
        return False
    return not (value or {}).get(name)


def is_staff(roles: Iterable[str]) -> bool:
    """True for instructors, admins, designers and TAs of the context."""
    for role in roles:
        short = role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if short in _STAFF:
            return True
    return False

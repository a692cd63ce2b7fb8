"""Names from the 1EdTech LTI specs, and pure validators for what a tool sends a platform.

The emulator in ``lti_platform.py`` serves these; nothing here does I/O, so each rule can be
read next to the section of the spec it comes from. A validator returns ``None`` when the
payload is acceptable and a human-readable reason otherwise: the emulator puts that reason in
its 400 body, where a failing gateway test shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeGuard
from urllib.parse import urlsplit

# LTI 1.3 core §5.3 and §5.4: message claims.
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIM_MESSAGE_TYPE = LTI + "message_type"
CLAIM_VERSION = LTI + "version"
CLAIM_DEPLOYMENT_ID = LTI + "deployment_id"
CLAIM_TARGET_LINK_URI = LTI + "target_link_uri"
CLAIM_RESOURCE_LINK = LTI + "resource_link"
CLAIM_ROLES = LTI + "roles"
CLAIM_CONTEXT = LTI + "context"
CLAIM_TOOL_PLATFORM = LTI + "tool_platform"
CLAIM_LAUNCH_PRESENTATION = LTI + "launch_presentation"
CLAIM_CUSTOM = LTI + "custom"
LTI_VERSION = "1.3.0"

# LTI Advantage: AGS 2.0 §3.1, NRPS 2.0 §3.6.1, Deep Linking 2.0 §4.4 and §4.5.
CLAIM_AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
CLAIM_DL_SETTINGS = DL + "deep_linking_settings"
CLAIM_DL_CONTENT_ITEMS = DL + "content_items"
CLAIM_DL_DATA = DL + "data"

MESSAGE_RESOURCE_LINK = "LtiResourceLinkRequest"
MESSAGE_DEEP_LINKING = "LtiDeepLinkingRequest"
MESSAGE_DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"

ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
CONTEXT_COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
SERVICE_SCOPES = (*AGS_SCOPES, SCOPE_NRPS)

MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
MEDIA_MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

# RFC 7523 §2.2, as the 1EdTech Security Framework §4.1 uses it for service tokens.
ASSERTION_TYPE_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# LTI Dynamic Registration 1.0 §3.5 (platform) and §3.6 (tool).
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
# Not a spec name: this emulator's own, in tool_platform claims and its discovery document.
PRODUCT_FAMILY_CODE = "attune-test-lms"

# AGS 2.0 §3.4.6 and §3.4.7: the only progress values a score may carry.
ACTIVITY_PROGRESS = frozenset({"Initialized", "Started", "InProgress", "Submitted", "Completed"})
GRADING_PROGRESS = frozenset({"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"})


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int subclass; JSON true is never a score.
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 timestamp with a UTC offset, or ``None`` if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # A naive timestamp (Python's bare ``utcnow().isoformat()``) cannot be ordered against
    # other tools' scores, and the order is what AGS §3.4.5 relies on.
    return parsed if parsed.tzinfo is not None else None


def validate_score(body: object, *, allow_extra_credit: bool = False) -> str | None:
    """Check a score against AGS 2.0 §3.4 (the score publish service)."""
    if not isinstance(body, Mapping):
        return "score must be a JSON object"
    for field in ("userId", "activityProgress", "gradingProgress", "timestamp"):
        if field not in body:
            return f"score is missing the required field {field!r}"
    if not isinstance(body["userId"], str) or not body["userId"]:
        return "userId must be a non-empty string"
    if body["activityProgress"] not in ACTIVITY_PROGRESS:
        return f"activityProgress {body['activityProgress']!r} is not one of the AGS values"
    if body["gradingProgress"] not in GRADING_PROGRESS:
        return f"gradingProgress {body['gradingProgress']!r} is not one of the AGS values"
    if parse_timestamp(body["timestamp"]) is None:
        return "timestamp must be ISO 8601 with a UTC offset"
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    if given is None:
        return None
    if not _is_number(given) or given < 0:
        return "scoreGiven must be a number >= 0"
    if maximum is None:
        return "scoreMaximum is required when scoreGiven is present"
    if not _is_number(maximum) or maximum <= 0:
        return "scoreMaximum must be a number > 0"
    # AGS lets a platform accept extra credit; this one refuses it unless told otherwise, so a
    # gateway that scales scores wrongly is caught.
    if given > maximum and not allow_extra_credit:
        return f"scoreGiven {given} exceeds scoreMaximum {maximum}"
    return None


LINEITEM_FIELDS = (
    "label",
    "scoreMaximum",
    "resourceId",
    "resourceLinkId",
    "tag",
    "startDateTime",
    "endDateTime",
    "gradesReleased",
)


def validate_lineitem(body: object) -> str | None:
    """Check a line item a tool creates or replaces (AGS 2.0 §3.2)."""
    if not isinstance(body, Mapping):
        return "line item must be a JSON object"
    if not isinstance(body.get("label"), str) or not body["label"].strip():
        return "label is required and must be a non-empty string"
    maximum = body.get("scoreMaximum")
    if not _is_number(maximum) or maximum <= 0:
        return "scoreMaximum is required and must be a number > 0"
    for field in ("resourceId", "resourceLinkId", "tag"):
        if field in body and not isinstance(body[field], str):
            return f"{field} must be a string"
    return None


def _host_matches(url: object, domains: set[str]) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    # A tool may state its domain with or without the port.
    return parts.netloc in domains or parts.hostname in domains


def validate_registration(body: object) -> tuple[str, str] | None:
    """Check a client registration (LTI-DR 1.0 §3.5.1); returns (error code, reason) if bad.

    The codes are RFC 7591 §3.2.2's ``invalid_client_metadata`` and ``invalid_redirect_uri``.
    """
    meta = "invalid_client_metadata"
    if not isinstance(body, Mapping):
        return meta, "registration must be a JSON object"
    expected: dict[str, Any] = {
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
    }
    for field, value in expected.items():
        if body.get(field) != value:
            return meta, f"{field} must be {value!r}"
    if body.get("response_types") != ["id_token"]:
        return meta, "response_types must be ['id_token']"
    grants = body.get("grant_types")
    if not isinstance(grants, list) or not {"implicit", "client_credentials"} <= set(grants):
        return meta, "grant_types must include implicit and client_credentials"
    for field in ("initiate_login_uri", "jwks_uri"):
        if not isinstance(body.get(field), str) or not body[field].startswith("http"):
            return meta, f"{field} must be an http(s) URL"
    redirects = body.get("redirect_uris")
    if not isinstance(redirects, list) or not redirects:
        return "invalid_redirect_uri", "redirect_uris must be a non-empty list"
    tool = body.get(TOOL_CONFIGURATION)
    if not isinstance(tool, Mapping):
        return meta, f"the {TOOL_CONFIGURATION} object is required"
    for field in ("domain", "target_link_uri"):
        if not isinstance(tool.get(field), str) or not tool[field]:
            return meta, f"tool configuration needs {field}"
    if not isinstance(tool.get("claims"), list):
        return meta, "tool configuration needs a claims list"
    messages = tool.get("messages")
    if not isinstance(messages, list) or not all(
        isinstance(m, Mapping) and isinstance(m.get("type"), str) for m in messages
    ):
        return meta, "tool configuration needs a messages list of {type: ...} objects"
    # LTI-DR §3.6: the tool's URLs must live under its declared domain(s).
    domains = {tool["domain"], *tool.get("secondary_domains", [])}
    urls = [body["initiate_login_uri"], tool["target_link_uri"], *redirects]
    urls += [m["target_link_uri"] for m in messages if "target_link_uri" in m]
    for url in urls:
        if not _host_matches(url, domains):
            code = "invalid_redirect_uri" if url in redirects else meta
            return code, f"{url!r} is not under the tool's domain {tool['domain']!r}"
    return None

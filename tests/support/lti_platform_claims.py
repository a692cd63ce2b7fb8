"""The claims of the id_tokens the emulated platform signs, and its default roster.

One function builds a complete LTI 1.3 launch body (core §5.3 and §5.4), adding the
Advantage service claims (AGS 2.0 §3.1, NRPS 2.0 §3.6.1) and Deep Linking settings (Deep
Linking 2.0 §4.4.1) that a real LMS would send for the same launch.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tests.support.lti_platform_spec import (
    AGS_SCOPES,
    CLAIM_AGS_ENDPOINT,
    CLAIM_CONTEXT,
    CLAIM_CUSTOM,
    CLAIM_DEPLOYMENT_ID,
    CLAIM_DL_SETTINGS,
    CLAIM_LAUNCH_PRESENTATION,
    CLAIM_MESSAGE_TYPE,
    CLAIM_NRPS,
    CLAIM_RESOURCE_LINK,
    CLAIM_ROLES,
    CLAIM_TARGET_LINK_URI,
    CLAIM_TOOL_PLATFORM,
    CLAIM_VERSION,
    CONTEXT_COURSE_OFFERING,
    LTI_VERSION,
    MESSAGE_DEEP_LINKING,
    PRODUCT_FAMILY_CODE,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
)

if TYPE_CHECKING:
    from tests.support.lti_platform import PlatformEmulator


def _member(user_id: str, given: str, family: str, role: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "roles": [role],
        "name": f"{given} {family}",
        "given_name": given,
        "family_name": family,
        "email": f"{user_id}@example.edu",
        "status": "Active",
    }


def default_members() -> list[dict[str, Any]]:
    """The NRPS roster of a fresh platform: two learners and one instructor."""
    return [
        _member("learner-1", "Ada", "Lovelace", ROLE_LEARNER),
        _member("learner-2", "Grace", "Hopper", ROLE_LEARNER),
        _member("instructor-1", "Alan", "Turing", ROLE_INSTRUCTOR),
    ]


def _person(platform: PlatformEmulator, sub: str) -> dict[str, Any]:
    with platform.lock:
        for member in platform.members:
            if member.get("user_id") == sub:
                return member
    return {"name": f"User {sub}", "given_name": "User", "family_name": sub}


def deep_linking_settings(platform: PlatformEmulator) -> dict[str, Any]:
    """A fresh deep_linking_settings claim; its ``data`` is remembered to check the return."""
    data = f"opaque-{uuid.uuid4()}"
    with platform.lock:
        platform.issued_dl_data.add(data)
    return {
        "deep_link_return_url": platform.issuer + "/deep-link-return",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": False,
        "auto_create": True,
        "data": data,
    }


def ags_claim(
    platform: PlatformEmulator, context_id: str, resource_link_id: str | None
) -> dict[str, Any]:
    """The AGS endpoint claim; ``lineitem`` only when the link has exactly one (AGS §3.1)."""
    container = platform.lineitems_url(context_id)
    claim: dict[str, Any] = {"scope": list(AGS_SCOPES), "lineitems": container}
    if resource_link_id is not None:
        with platform.lock:
            linked = [
                url
                for url, item in platform.lineitems.items()
                if url.startswith(container + "/")
                and item.get("resourceLinkId") == resource_link_id
            ]
        if len(linked) == 1:
            claim["lineitem"] = linked[0]
    return claim


def launch_claims(
    platform: PlatformEmulator,
    *,
    nonce: str,
    sub: str,
    roles: list[str] | None,
    message_type: str,
    context_id: str,
    resource_link_id: str,
    custom: dict[str, Any] | None,
    ags: bool,
    nrps: bool,
    target_link_uri: str,
    issued_at: int,
) -> dict[str, Any]:
    """A complete id_token body; see ``PlatformEmulator.id_token_claims`` for the arguments."""
    person = _person(platform, sub)
    claims: dict[str, Any] = {
        "iss": platform.issuer,
        "aud": platform.client_id,
        "azp": platform.client_id,
        "sub": sub,
        "exp": issued_at + 300,
        "iat": issued_at,
        "nonce": nonce,
        "name": person["name"],
        "given_name": person["given_name"],
        "family_name": person["family_name"],
        "email": person.get("email", f"{sub}@example.edu"),
        CLAIM_MESSAGE_TYPE: message_type,
        CLAIM_VERSION: LTI_VERSION,
        CLAIM_DEPLOYMENT_ID: platform.deployment_id,
        CLAIM_TARGET_LINK_URI: target_link_uri,
        CLAIM_ROLES: list(roles) if roles is not None else [ROLE_LEARNER],
        CLAIM_CONTEXT: {
            "id": context_id,
            "label": context_id.upper(),
            "title": f"Course {context_id}",
            "type": [CONTEXT_COURSE_OFFERING],
        },
        CLAIM_TOOL_PLATFORM: {
            "guid": platform.guid,
            "name": "Attune Test LMS",
            "product_family_code": PRODUCT_FAMILY_CODE,
            "version": "1.0",
        },
        CLAIM_LAUNCH_PRESENTATION: {
            "document_target": "iframe",
            "return_url": platform.issuer + "/course",
            "locale": "en-US",
        },
        CLAIM_CUSTOM: dict(custom or {}),
    }
    deep_linking = message_type == MESSAGE_DEEP_LINKING
    if deep_linking:
        # Deep Linking 2.0 §4.4: a deep linking request has settings and no resource link.
        claims[CLAIM_DL_SETTINGS] = deep_linking_settings(platform)
    else:
        claims[CLAIM_RESOURCE_LINK] = {
            "id": resource_link_id,
            "title": f"Activity {resource_link_id}",
        }
    if ags:
        link = None if deep_linking else resource_link_id
        claims[CLAIM_AGS_ENDPOINT] = ags_claim(platform, context_id, link)
    if nrps:
        claims[CLAIM_NRPS] = {
            "context_memberships_url": platform.memberships_url(context_id),
            "service_versions": ["2.0"],
        }
    return claims

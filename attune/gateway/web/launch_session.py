"""From a validated id_token to a :class:`LaunchSession`: who, which activity, which line
item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from attune.gateway.errors import EngineCallError, NotFoundError, PlatformError
from attune.gateway.grades.grade import SCORE_MAXIMUM
from attune.gateway.lti import claims
from attune.gateway.lti.advantage import ensure_lineitem
from attune.gateway.ports import Registration
from attune.gateway.sessions import LaunchSession, learner_pseudonym

if TYPE_CHECKING:
    from attune.gateway.app import Gateway

log = structlog.get_logger("attune.gateway.lti")


def session_from_launch(
    gw: Gateway, registration: Registration, body: dict[str, Any]
) -> LaunchSession:
    """The session a launch opens. The activity comes from ``custom.activity_id`` (deep
    linking), else ``custom.course_id``, else the default course."""
    tenant = registration.tenant
    custom = body.get(claims.CUSTOM) or {}
    course_id, title = gw.settings.default_course_id, ""
    skills: tuple[str, ...] = ()
    if custom.get("activity_id"):
        activity = gw.store.get_activity(tenant, str(custom["activity_id"]))
        if activity is None:
            raise NotFoundError(f"activity {custom['activity_id']!r} does not exist here")
        course_id, skills, title = activity.course_id, activity.skill_ids, activity.title
    elif custom.get("course_id"):
        course_id = str(custom["course_id"])
    is_deep_link = body[claims.MESSAGE_TYPE] == claims.DEEP_LINKING_REQUEST
    if not is_deep_link:
        try:
            course = gw.courses.get(tenant, course_id)
        except EngineCallError as exc:
            if exc.transient:
                raise  # 503 or 429, with the engine's Retry-After
            raise NotFoundError(f"course {course_id!r}: {exc.reason}") from exc
        title = title or course.title or course_id
    context = body.get(claims.CONTEXT) or {}
    link = body.get(claims.RESOURCE_LINK) or {}
    session = LaunchSession(
        tenant=tenant,
        issuer=registration.issuer,
        client_id=registration.client_id,
        deployment_id=str(body[claims.DEPLOYMENT_ID]),
        sub=str(body["sub"]),
        learner_id=learner_pseudonym(registration.issuer, str(body["sub"])),
        course_id=course_id,
        skill_ids=tuple(skills),
        staff=claims.is_staff(body.get(claims.ROLES) or []),
        context_id=_text(context, "id"),
        context_title=_text(context, "title"),
        resource_link_id=_text(link, "id"),
        activity_title=title,
        ags=dict(body.get(claims.AGS_ENDPOINT) or {}),
        nrps_url=_text(body.get(claims.NRPS) or {}, "context_memberships_url"),
        deep_link=dict(body.get(claims.DL_SETTINGS) or {}) if is_deep_link else {},
        given_name=_text(body, "given_name"),
    )
    if session.ags and not is_deep_link:
        session = _with_lineitem(gw, registration, session)
    return session


def _text(claim: dict[str, Any], name: str) -> str:
    """A string member of a claim (its type was checked at launch); null counts as absent."""
    value = claim.get(name)
    return "" if value is None else str(value)


def _with_lineitem(
    gw: Gateway, registration: Registration, session: LaunchSession
) -> LaunchSession:
    from dataclasses import replace

    connector = gw.connector_for(registration.tenant, registration.issuer, registration.client_id)
    if connector is None:
        return session
    try:
        url = ensure_lineitem(
            connector, session.ags, session.resource_link_id, session.activity_title, SCORE_MAXIMUM
        )
    except PlatformError as exc:
        # The launch still works; grades cannot flow until a later launch finds a line item.
        log.warning("ags.no_lineitem", reason=exc.reason)
        return session
    return replace(session, lineitem=url)

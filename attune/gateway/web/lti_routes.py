"""LTI endpoints: login initiation, launch, the tool's JWKS, dynamic registration, deep
linking, and the Canvas developer-key JSON."""

from __future__ import annotations

import time
from typing import Any

import jwt
import structlog
from flask import Blueprint, Response, jsonify, redirect, render_template, request
from pylti1p3.contrib.flask.request import FlaskRequest

from attune.gateway.app import Gateway, current
from attune.gateway.errors import BadRequestError, EngineCallError, ForbiddenError, LaunchError
from attune.gateway.lti import claims
from attune.gateway.lti.deep_linking import create_activity, response_form
from attune.gateway.lti.dynamic import register, tool_registration
from attune.gateway.lti.launch import AttuneMessageLaunch
from attune.gateway.lti.login import login_redirect
from attune.gateway.lti.tool_conf import AttuneRegistration
from attune.gateway.statements import LearningEvent
from attune.gateway.tenant_gate import hold_tenant
from attune.gateway.web.launch_session import session_from_launch

lti = Blueprint("lti", __name__)
log = structlog.get_logger("attune.gateway.lti")


@lti.route("/lti/login", methods=["GET", "POST"])
def login() -> Any:
    """OIDC third-party initiated login (core §5.1.1)."""
    gw = current()
    source = request.args if request.method == "GET" else request.form
    params = {
        k: source.get(k, "")
        for k in (
            "iss",
            "login_hint",
            "target_link_uri",
            "lti_message_hint",
            "client_id",
            "lti_deployment_id",
        )
    }
    structlog.contextvars.bind_contextvars(issuer=params["iss"])
    flask_request = FlaskRequest()
    return login_redirect(flask_request, params, gw.tool_conf, gw.storage_for, gw.launch_url)


@lti.post("/lti/launch")
def launch() -> Any:
    """The launch (the OIDC redirect_uri): validate, open a session, go to the page."""
    gw = current()
    id_token = request.form.get("id_token", "")
    if not id_token:
        raise LaunchError("the launch has no id_token")
    try:
        unverified = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.DecodeError as exc:
        raise LaunchError(f"id_token is not a JWT: {exc}") from exc
    issuer = str(unverified.get("iss", ""))
    aud = unverified.get("aud")
    client_id = unverified.get("azp") or (aud[0] if isinstance(aud, list) and aud else aud)
    registration = gw.tool_conf.lookup(issuer, str(client_id or "") or None)
    if registration is None:
        raise LaunchError(f"no registration for issuer {issuer!r} and client {client_id!r}")
    tenant = registration.tenant
    structlog.contextvars.bind_contextvars(tenant=tenant, issuer=issuer)
    # Held out while the tenant is deleted; a delete that ended meanwhile took the
    # registration with it, so it is looked up again once held.
    hold_tenant(gw.tenant_gate, tenant)
    if gw.tool_conf.lookup(issuer, str(client_id or "") or None) is None:
        raise LaunchError(f"no registration for issuer {issuer!r} and client {client_id!r}")
    message = AttuneMessageLaunch(
        FlaskRequest(),
        gw.tool_conf,
        gw.storage_for(tenant),
        gw.platform_keys,
        tenant,
        gw.settings.clock_skew_seconds,
        gw.settings.nonce_ttl_seconds,
    )
    message.validate()
    body = message.body()
    session = session_from_launch(gw, registration, body)
    token = gw.sessions.create(session)
    log.info(
        "lti.launch",
        message_type=body[claims.MESSAGE_TYPE],
        staff=session.staff,
        course_id=session.course_id,
        learner_id=session.learner_id,
    )
    if body[claims.MESSAGE_TYPE] == claims.DEEP_LINKING_REQUEST:
        return redirect(f"/lti/deep-link/{token}", code=303)
    if session.staff:
        return redirect(f"/instructor/{token}", code=303)
    gw.practice.update_grade(
        session, gw.practice.state(session, session.learner_id), first_launch=True
    )
    gw.relay.emit(
        LearningEvent(
            kind="launched",
            event_id=f"launch:{body['nonce']}",
            tenant=tenant,
            learner_id=session.learner_id,
            course_id=session.course_id,
            occurred_at=time.time(),
            course_title=session.activity_title,
        )
    )
    return redirect(f"/practice/{token}", code=303)


@lti.get("/lti/jwks")
@lti.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The tool's public keys (current and recently retired)."""
    response = jsonify(current().keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@lti.get("/lti/register/<enrollment>")
def dynamic_registration(enrollment: str) -> Any:
    """LTI Dynamic Registration, opened by the platform in a window or iframe."""
    gw = current()
    config = request.args.get("openid_configuration", "")
    if not config:
        raise BadRequestError("openid_configuration is missing")
    registration = register(
        gw.store,
        gw.store,
        enrollment,
        config,
        request.args.get("registration_token", ""),
        gw.base_url,
        allow_private=gw.settings.allow_private_registration_targets,
    )
    structlog.contextvars.bind_contextvars(tenant=registration.tenant)
    log.info(
        "lti.registered",
        issuer=registration.issuer,
        client_id=registration.client_id,
        deployments=list(registration.deployment_ids),
    )
    return render_template("registered.html", registration=registration)


@lti.get("/lti/deep-link/<token>")
def deep_link_page(token: str) -> Any:
    """The instructor's activity picker."""
    gw, session = _deep_link_session(token)
    courses = gw.engine.list_courses(session.tenant)
    shown = [c for c in courses if gw.catalogue.renderable(session.tenant, c)]
    return render_template(
        "deep_link.html",
        token=token,
        courses=shown,
        hidden=len(courses) - len(shown),
        settings=session.deep_link,
    )


@lti.post("/lti/deep-link/<token>")
def deep_link_submit(token: str) -> Any:
    """Store the chosen activity and post the signed response back to the platform."""
    gw, session = _deep_link_session(token)
    course_id = request.form.get("course_id", "")
    try:
        course = gw.engine.get_course(session.tenant, course_id)
    except EngineCallError as exc:
        if exc.transient:
            raise  # 503 or 429, with the engine's Retry-After
        raise BadRequestError(f"course {course_id!r}: {exc.reason}") from exc
    if not gw.catalogue.renderable(session.tenant, course):
        raise BadRequestError(f"course {course_id!r} has items the practice page cannot show")
    known = {s.skill_id for s in course.skills}
    chosen = tuple(request.form.getlist("skill_ids"))
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise BadRequestError(f"skills not in course {course_id!r}: {', '.join(unknown)}")
    title = (request.form.get("title") or course.title or course_id).strip()[:200]
    activity = create_activity(gw.store, session, course_id, title, chosen)
    found = gw.tool_conf.lookup(session.issuer, session.client_id)
    if found is None:
        raise BadRequestError("the platform's registration was removed")
    log.info(
        "lti.deep_link", activity_id=activity.activity_id, course_id=course_id, skills=len(chosen)
    )
    return response_form(session, AttuneRegistration(found, gw.keys), activity, gw.launch_url)


def _deep_link_session(token: str) -> tuple[Gateway, Any]:
    from attune.gateway.web.page_sessions import page_session

    gw = current()
    session = page_session(token)  # a staff launch's: the RBAC hook refused any other
    if not session.deep_link:
        raise ForbiddenError("this session did not come from a deep-linking launch")
    return gw, session


@lti.get("/lti/config/canvas.json")
def canvas_config() -> Response:
    """A Canvas developer key (LTI key, "Paste JSON") for this gateway."""
    gw = current()
    key = gw.edges.canvas_developer_key(tool_registration(gw.base_url), gw.launch_url)
    return jsonify(key)

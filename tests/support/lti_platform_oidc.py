"""The emulated platform's browser-facing and OAuth2 endpoints.

``/jwks`` and ``/auth`` carry the launch (LTI 1.3 core §5.1, 1EdTech Security Framework
§5.1.1); ``/token`` issues service tokens for a signed client assertion (Security Framework
§4.1, RFC 7523); ``/deep-link-return`` takes a Deep Linking 2.0 response; ``/course`` is a
course page a headless browser can click through.
"""

from __future__ import annotations

import html
import secrets
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, jsonify, request

from tests.support.lti_platform_keys import ToolTokenError, verify_tool_jwt
from tests.support.lti_platform_spec import (
    ASSERTION_TYPE_JWT_BEARER,
    CLAIM_DEPLOYMENT_ID,
    CLAIM_DL_CONTENT_ITEMS,
    CLAIM_DL_DATA,
    CLAIM_MESSAGE_TYPE,
    CLAIM_VERSION,
    LTI_VERSION,
    MESSAGE_DEEP_LINKING_RESPONSE,
)

if TYPE_CHECKING:
    from tests.support.lti_platform import PlatformEmulator

_AUTH_FIXED = {
    "scope": "openid",
    "response_type": "id_token",
    "response_mode": "form_post",
    "prompt": "none",
}


def _page(title: str, body: str, status: int = 200) -> Response:
    document = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body>{body}</body></html>"
    )
    return Response(document, status=status, mimetype="text/html")


def _bad_request(reason: str) -> Response:
    return Response(reason, status=400, mimetype="text/plain")


def _oauth_error(error: str, description: str, status: int) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


def _check_auth_request(platform: PlatformEmulator, params: dict[str, str]) -> str | None:
    # Security Framework §5.1.1.2 lists the parameters; LTI 1.3 core §5.1.1.2 fixes their values.
    for name, value in _AUTH_FIXED.items():
        if params.get(name) != value:
            return f"{name} must be {value!r}, got {params.get(name)!r}"
    for name in ("client_id", "redirect_uri", "login_hint", "nonce", "lti_message_hint"):
        if not params.get(name):
            return f"{name} is required"
    if params["client_id"] != platform.client_id:
        return f"unknown client_id {params['client_id']!r}"
    tool = platform.tool
    if tool is None or params["redirect_uri"] not in tool.redirect_uris:
        return f"redirect_uri {params['redirect_uri']!r} is not registered for this tool"
    launch = platform.pending.get(params["lti_message_hint"])
    if launch is None:
        return "lti_message_hint does not refer to a launch this platform started"
    if params["login_hint"] != launch.id_token_kwargs.get("sub", "learner-1"):
        return "login_hint does not match the user of that launch"
    return None


def _auth() -> Response:
    platform: PlatformEmulator = current_platform()
    params = request.values.to_dict()
    with platform.lock:
        platform.auth_requests.append(dict(params))
    reason = _check_auth_request(platform, params)
    if reason is not None:
        return _bad_request(reason)
    id_token = platform.id_token_for(params["lti_message_hint"], params["nonce"])
    fields = {"id_token": id_token} | ({"state": params["state"]} if "state" in params else {})
    inputs = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in fields.items()
    )
    # OAuth 2.0 Form Post Response Mode: the browser carries the token, never the URL.
    body = (
        f'<form id="lti-launch" method="post" action="{html.escape(params["redirect_uri"])}">'
        f'{inputs}<noscript><button type="submit">Continue</button></noscript></form>'
        '<script>document.getElementById("lti-launch").submit();</script>'
    )
    return _page("Launching tool", body)


def _token() -> Response:
    platform: PlatformEmulator = current_platform()
    if platform.down:
        return _oauth_error("temporarily_unavailable", "the LMS is down", 503)
    form = request.form
    record: dict[str, Any] = {"scope": form.get("scope", ""), "accepted": False}
    with platform.lock:
        platform.token_requests.append(record)
    if form.get("grant_type") != "client_credentials":
        record["error"] = "unsupported_grant_type"
        return _oauth_error("unsupported_grant_type", "grant_type must be client_credentials", 400)
    assertion = form.get("client_assertion", "")
    if form.get("client_assertion_type") != ASSERTION_TYPE_JWT_BEARER or not assertion:
        record["error"] = "invalid_request"
        return _oauth_error("invalid_request", "a jwt-bearer client_assertion is required", 400)
    tool = platform.tool
    try:
        if tool is None:
            raise ToolTokenError("no tool is registered")
        claims = verify_tool_jwt(
            assertion,
            jwks_url=tool.jwks_url,
            audience=platform.token_url,
            issuer=platform.client_id,
            required=("iss", "sub", "aud", "exp", "iat", "jti"),
        )
        record["assertion"] = claims
        if claims["sub"] != platform.client_id:
            raise ToolTokenError("sub must equal the client_id")
        with platform.lock:
            # RFC 7523 §3: a jti is good once, so a captured assertion cannot be replayed.
            if claims["jti"] in platform.seen_jtis:
                raise ToolTokenError(f"jti {claims['jti']!r} was already used")
            platform.seen_jtis.add(claims["jti"])
    except ToolTokenError as exc:
        record["error"] = f"invalid_client: {exc}"
        return _oauth_error("invalid_client", str(exc), 401)
    requested = set(record["scope"].split())
    granted = sorted(requested & platform.allowed_scopes)
    if not granted:
        record["error"] = "invalid_scope"
        return _oauth_error("invalid_scope", f"none of {sorted(requested)} can be granted", 400)
    token = secrets.token_urlsafe(32)
    with platform.lock:
        platform.grants[token] = platform.new_grant(granted)
    record.update(accepted=True, granted=granted)
    return jsonify(
        access_token=token,
        token_type="Bearer",
        expires_in=platform.token_lifetime,
        scope=" ".join(granted),
    )


def _deep_link_return() -> Response:
    # Deep Linking 2.0 §4.5: the tool posts an LtiDeepLinkingResponse JWT in the ``JWT`` field.
    platform: PlatformEmulator = current_platform()
    token, tool = request.form.get("JWT", ""), platform.tool
    if not token or tool is None:
        return _bad_request("a JWT form field from a registered tool is required")
    try:
        claims = verify_tool_jwt(
            token,
            jwks_url=tool.jwks_url,
            audience=platform.issuer,
            issuer=platform.client_id,
            required=("iss", "aud", "exp", "iat", "nonce"),
        )
    except ToolTokenError as exc:
        return _bad_request(f"deep linking response refused: {exc}")
    expected = {
        CLAIM_MESSAGE_TYPE: MESSAGE_DEEP_LINKING_RESPONSE,
        CLAIM_VERSION: LTI_VERSION,
        CLAIM_DEPLOYMENT_ID: platform.deployment_id,
    }
    for claim, value in expected.items():
        if claims.get(claim) != value:
            return _bad_request(f"{claim} must be {value!r}, got {claims.get(claim)!r}")
    if claims.get(CLAIM_DL_DATA) not in platform.issued_dl_data:
        return _bad_request(f"{CLAIM_DL_DATA} must echo the data of the deep linking request")
    items = claims.get(CLAIM_DL_CONTENT_ITEMS, [])
    if not isinstance(items, list):
        return _bad_request(f"{CLAIM_DL_CONTENT_ITEMS} must be a list")
    with platform.lock:
        platform.deep_link_responses.append(claims)
    titles = "".join(f"<li>{html.escape(str(i.get('title', i.get('type'))))}</li>" for i in items)
    return _page("Content added", f"<h1>{len(items)} item(s) added</h1><ul>{titles}</ul>")


def _course() -> Response:
    platform: PlatformEmulator = current_platform()
    with platform.lock:
        # Without a hint, the page shows the launch prepared last.
        hint = request.args.get("hint") or next(reversed(platform.pending), "")
        launch = platform.pending.get(hint)
    if launch is None or platform.tool is None:
        return _page("No launch", "<p>No such launch; call prepare_launch() first.</p>", 404)
    url = platform.login_url_for(hint)
    # A click sets the iframe's src to the login initiation URL, so the tool launches embedded
    # as in an LMS; without script, the link's target does the same navigation.
    course = html.escape(str(launch.id_token_kwargs.get("context_id", "course-1")))
    body = (
        f'<h1>Course {course}</h1><a id="launch-link" href="{html.escape(url)}"'
        ' target="tool-frame">Open Attune</a>'
        '<iframe id="tool-frame" name="tool-frame" title="Attune" width="100%" height="600"'
        ' src="about:blank"></iframe>'
        '<script>document.getElementById("launch-link").addEventListener("click", (e) => {'
        ' e.preventDefault(); document.getElementById("tool-frame").src = e.currentTarget.href;'
        " });</script>"
    )
    return _page("Course", body)


def current_platform() -> PlatformEmulator:
    """The emulator serving the current request."""
    return current_app.config["LTI_PLATFORM"]  # type: ignore[no-any-return]


def register(app: Flask, platform: PlatformEmulator) -> None:
    """Add the OIDC, token, deep linking and course routes to ``app``."""
    app.config["LTI_PLATFORM"] = platform

    def jwks() -> Any:
        with platform.lock:
            platform.jwks_fetches += 1
        return jsonify(platform.keys.jwks())

    app.add_url_rule("/jwks", "jwks", jwks)
    app.add_url_rule("/auth", "auth", _auth, methods=["GET", "POST"])
    app.add_url_rule("/token", "token", _token, methods=["POST"])
    app.add_url_rule("/deep-link-return", "deep_link_return", _deep_link_return, methods=["POST"])
    app.add_url_rule("/course", "course", _course)

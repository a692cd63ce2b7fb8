"""What a request may send, decided from its request line and headers alone, before a byte of
its body is read: the credential of the routes that need one (401), a declared length on the
routes whose body is required (411), and each route class's body cap (413).

The HTTP server (:mod:`gateway.http_server`) asks :func:`check_before_body` as soon as the
headers are in, so an unauthenticated 1 GiB upload costs only its headers. :class:`BodyGate`
asks the same of every WSGI request, for servers other than ours and the test client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from attune.gateway.http_settings import BodyLimits
from attune.gateway.settings import GatewaySettings
from attune.gateway.web.credentials import ingest_tenant, is_admin

RouteClass = Literal["xapi", "caliper", "lti", "content", "admin", "practice", "other"]
_CONTENT_IMPORT = re.compile(r"/admin/tenants/[^/]+/content/?")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_INGEST_PATHS = {"/xapi/statements": "xapi", "/caliper": "caliper"}
_PAGE_PREFIXES = ("/practice/", "/instructor/", "/api/")

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@dataclass(frozen=True)
class Refusal:
    """An HTTP refusal: status, the API's error code and a reason."""

    status: int
    error: str
    reason: str
    # Under /xapi: the X-Experience-API-Version the refusal carries (Communication §3.3:
    # every response of the LRS names its version, errors included).
    xapi_version: str = ""

    @property
    def status_line(self) -> str:
        return f"{self.status} {_PHRASES[self.status]}"

    def json_body(self) -> bytes:
        return json.dumps({"error": self.error, "reason": self.reason}).encode()


_PHRASES = {401: "Unauthorized", 411: "Length Required", 413: "Content Too Large"}


def route_class(path: str) -> RouteClass:
    """The class of a route, which decides its body cap and its rate limits."""
    found = _INGEST_PATHS.get(path.rstrip("/") or "/")
    if found == "xapi":
        return "xapi"
    if found == "caliper":
        return "caliper"
    if _CONTENT_IMPORT.fullmatch(path):
        return "content"
    if path == "/admin" or path.startswith("/admin/"):
        return "admin"
    if path.startswith(("/lti/", "/sso/")):  # sign-in posts: id_token, SAMLResponse
        return "lti"
    if path.startswith(_PAGE_PREFIXES):
        return "practice"
    return "other"


def body_limit(limits: BodyLimits, cls: RouteClass) -> int:
    """The largest body a route class takes, in bytes."""
    limit: int = getattr(limits, cls)
    return limit


def check_before_body(
    settings: GatewaySettings,
    method: str,
    path: str,
    authorization: str,
    content_length: int | None,
    chunked: bool,
    cookie: str = "",
    xapi_version: str = "",
) -> Refusal | None:
    """The refusal a request gets before its body is read, or ``None`` to go on.

    The credential comes first: without one, not even the declared length is discussed.
    ``xapi_version`` is the request's X-Experience-API-Version header."""
    refusal = _refusal(settings, method, path, authorization, content_length, chunked, cookie)
    if refusal is not None and path.startswith("/xapi"):
        answered = "2.0.0" if xapi_version.strip() == "2.0.0" else "1.0.3"
        return replace(refusal, xapi_version=answered)
    return refusal


def _refusal(
    settings: GatewaySettings,
    method: str,
    path: str,
    authorization: str,
    content_length: int | None,
    chunked: bool,
    cookie: str,
) -> Refusal | None:
    cls = route_class(path)
    if cls in ("xapi", "caliper") and ingest_tenant(authorization, settings.ingest_tokens) is None:
        return Refusal(
            401,
            "unauthorized",
            "ingestion needs 'Authorization: Bearer <ingest token>' (or Basic with the token "
            "as the password)",
        )
    # A staff session cookie (issue 16 part 2) passes here; the route checks the session
    # before it reads any body (gateway.web.credentials), so a forged one still gets a 401.
    staff = "attune_staff=" in cookie
    if (
        cls in ("admin", "content")
        and not staff
        and not is_admin(authorization, settings.admin_token)
    ):
        return Refusal(
            401, "unauthorized", "admin calls need 'Authorization: Bearer <admin token>'"
        )
    if method not in _BODY_METHODS:
        return None
    if cls in ("xapi", "caliper") and content_length is None and not chunked:
        return Refusal(411, "length_required", f"{method} {path} needs a Content-Length header")
    limit = body_limit(settings.http.body_limits, cls)
    if content_length is not None and content_length > limit:
        return too_large(method, path, limit, content_length)
    return None


def too_large(method: str, path: str, limit: int, size: int | None = None) -> Refusal:
    """The 413 of a body over its route's cap."""
    told = f" is {size} bytes;" if size is not None else " is too large:"
    return Refusal(
        413, "payload_too_large", f"the body of {method} {path}{told} the limit is {limit} bytes"
    )


class BodyGate:
    """WSGI middleware running :func:`check_before_body` in front of the Flask app."""

    def __init__(self, app: WSGIApplication, settings: GatewaySettings) -> None:
        self._app = app
        self._settings = settings

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        declared = str(environ.get("CONTENT_LENGTH") or "").strip()
        refusal = check_before_body(
            self._settings,
            str(environ.get("REQUEST_METHOD", "GET")).upper(),
            str(environ.get("PATH_INFO", "")),
            str(environ.get("HTTP_AUTHORIZATION", "")),
            int(declared) if declared.isdigit() else None,
            "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower()
            or bool(environ.get("wsgi.input_terminated")),
            str(environ.get("HTTP_COOKIE", "")),
            str(environ.get("HTTP_X_EXPERIENCE_API_VERSION", "")),
        )
        if refusal is None:
            return self._app(environ, start_response)
        body = refusal.json_body()
        start_response(refusal.status_line, refusal_headers(refusal, len(body)))
        return [body]


def refusal_headers(refusal: Refusal, length: int) -> list[tuple[str, str]]:
    """The headers of a refusal's JSON response; it closes the connection (the body that
    may follow is never read)."""
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(length)),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Connection", "close"),
    ]
    if refusal.status == 401:
        headers.append(("WWW-Authenticate", 'Bearer realm="attune"'))
    if refusal.xapi_version:
        headers.append(("X-Experience-API-Version", refusal.xapi_version))
    return headers

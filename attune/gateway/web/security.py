"""App-wide request hooks: rate limits before anything is done (429 with Retry-After), and the
security headers of every response: no referrer, no caching, no MIME sniffing, and on HTML pages
a CSP that allows exactly the page's own inline style and script, by hash (CSP3 §8.3,
"hash-source"), framed by the LMSs (``ATTUNE_GATEWAY__HTTP__FRAME_ANCESTORS``).

Hashes, not nonces: a replayed answer renders the same page byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask, Response, request

from attune.gateway.app import current
from attune.gateway.errors import GatewayError, RateLimitedError
from attune.gateway.web.credentials import ingest_tenant
from attune.gateway.web.limit_keys import claimed_client_id, client_tenant
from attune.gateway.web.rate_limit import retry_after

# Which limit class an endpoint counts against.
# sso.*: staff sign-ins (issue 16 part 2) start and finish sessions too.
_SESSION_ENDPOINTS = frozenset(
    {
        "pages.demo",
        "lti.login",
        "lti.launch",
        "sso.login",
        "sso.oidc_callback",
        "sso.saml_acs",
    }
)
_INGEST_ENDPOINTS = frozenset(
    {"ingest.post_statements", "ingest.put_statement", "ingest.post_caliper"}
)
# Partner apps' reads of statements (with their attachments) and of the xAPI/Caliper
# descriptions: per client address and per ingest tenant.
_READ_ENDPOINTS = frozenset(
    {"statement_reads.get_statements", "statement_reads.caliper_configuration", "ingest.about"}
)
# The OAuth token endpoint: each attempt costs a slow secret hash. Per client address, per
# claimed client id, and per that client's tenant.
_TOKEN_ENDPOINT = "oauth.token"
_ADMIN_BLUEPRINTS = frozenset(
    {
        "admin",
        "ingest_admin",
        "content_admin",
        "generation_admin",
        "dashboard_admin",
        "oauth_admin",
        "sso_admin",
        "audit_admin",
        "experiment_admin",
        "console",
        "tenant_admin",
    }
)
# The one inline script of the deep-linking response (gateway.lti.deep_linking.response_form),
# which posts the signed form back to the platform.
DEEP_LINK_SCRIPT = "document.getElementById('dl').submit()"
# Endpoints whose page runs an inline script: the template it comes from, or None for the
# deep-linking response above. Every other page runs no script at all.
_SCRIPTED = {"lti.dynamic_registration": "registered.html", "lti.deep_link_submit": None}
POLICIES_KEPT = 1024  # one per endpoint (and frame-ancestors setting): a bound, not a limit
_INLINE = re.compile(r"<(style|script)>(.*?)</\1>", re.S)


@dataclass(frozen=True)
class PageHashes:
    """The CSP hash-sources of the templates' inline blocks, computed once per app, and the
    policies composed from them (by endpoint and frame ancestors)."""

    styles: str
    scripts: dict[str, str]  # endpoint -> hash-sources
    policies: dict[tuple[str, str], str] = field(default_factory=dict)


def hash_source(text: str) -> str:
    """A CSP hash-source for an inline block's exact text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _inline(app: Flask, template: str, tag: str) -> list[str]:
    """The hash-sources of ``template``'s inline ``tag`` blocks, which must be static text."""
    assert app.jinja_loader is not None
    source = app.jinja_loader.get_source(app.jinja_env, template)[0]
    found = [body for kind, body in _INLINE.findall(source) if kind == tag]
    if any("{{" in body or "{%" in body for body in found):
        raise ValueError(f"{template}: an inline <{tag}> must be static for its CSP hash")
    return [hash_source(body) for body in found]


def install(app: Flask) -> None:
    """Register the rate limit, the roles' enforcement and the security headers on ``app``."""
    scripts = {
        endpoint: " ".join(
            _inline(app, template, "script") if template else [hash_source(DEEP_LINK_SCRIPT)]
        )
        for endpoint, template in _SCRIPTED.items()
    }
    app.extensions["attune.csp"] = PageHashes(" ".join(_inline(app, "base.html", "style")), scripts)
    app.before_request(_rate_limit)
    # Roles, in one place (gateway.rbac), after the rate limit: a refused credential still
    # counts, and the refusal comes before any body is parsed.
    from attune.gateway.rbac.hook import install_rbac

    install_rbac(app)
    app.after_request(_security_headers)


def _rate_limit() -> None:
    gw = current()
    endpoint = request.endpoint or ""
    tenant: str | None = None
    client_id: str | None = None
    if endpoint == _TOKEN_ENDPOINT:
        cls = "token"
        client_id = claimed_client_id()
        tenant = client_tenant(gw.store, client_id)
    elif endpoint in _SESSION_ENDPOINTS:
        cls = "sessions"
        if endpoint == "pages.demo":
            tenant = gw.settings.default_tenant
        elif endpoint == "lti.login":
            tenant = _login_tenant()
    elif endpoint in _INGEST_ENDPOINTS or endpoint in _READ_ENDPOINTS:
        cls = "ingest" if endpoint in _INGEST_ENDPOINTS else "reads"
        tenant = ingest_tenant(request.headers.get("Authorization", ""), gw.settings.ingest_tokens)
    elif request.blueprint in _ADMIN_BLUEPRINTS:
        cls = "admin"
    else:
        return
    wait, scope = gw.limiter.check(cls, request.remote_addr or "", tenant, client_id)
    if wait > 0:
        who = {
            "client": "this client address",
            "tenant": f"tenant {tenant!r}",
            "client_id": f"OAuth client {client_id!r}",
        }.get(scope or "client", "this client")
        raise RateLimitedError(
            f"too many {cls} requests from {who}; retry in {retry_after(wait)} s",
            retry_after(wait),
        )


def _login_tenant() -> str | None:
    """The tenant an OIDC login initiation is for (its registration's), if any."""
    source = request.args if request.method == "GET" else request.form
    issuer = source.get("iss", "")
    if not issuer:
        return None
    found = current().tool_conf.lookup(issuer, source.get("client_id") or None)
    return found.tenant if found is not None else None


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Page URLs carry session tokens: never send them on as a Referer.
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html":
        headers["Content-Security-Policy"] = _policy()
    return response


def _policy() -> str:
    """The page's CSP: its own inline style and script only, forms to ourselves (the
    deep-linking response: to the platform), framed by the LMSs."""
    from flask import current_app

    hashes: PageHashes = current_app.extensions["attune.csp"]
    endpoint = request.endpoint or ""
    ancestors = current().settings.http.frame_ancestors
    if endpoint == "lti.deep_link_submit":
        return _compose(hashes, endpoint, _deep_link_return_origin(), ancestors)
    # Every other page's policy depends on its endpoint and the settings only.
    key = (endpoint, ancestors)
    policy = hashes.policies.get(key)
    if policy is None:
        policy = _compose(hashes, endpoint, "'self'", ancestors)
        if len(hashes.policies) < POLICIES_KEPT:
            hashes.policies[key] = policy
    return policy


def _compose(hashes: PageHashes, endpoint: str, forms: str, ancestors: str) -> str:
    scripts = hashes.scripts.get(endpoint, "'none'")
    return (
        f"default-src 'none'; style-src 'self' {hashes.styles}; script-src {scripts}; "
        f"img-src 'self' data:; media-src 'self'; form-action {forms}; "
        f"frame-ancestors {ancestors}; base-uri 'none'"
    )


def _deep_link_return_origin() -> str:
    """The platform origin the deep-linking response form posts to (LTI DL 2.0 §4.4.1,
    ``deep_link_return_url``), or ``'none'``."""
    token = (request.view_args or {}).get("token", "")
    try:
        session = current().sessions.load(str(token))
    except GatewayError:
        return "'none'"
    url = urlsplit(str(session.deep_link.get("deep_link_return_url", "")))
    if url.scheme not in ("http", "https") or not url.netloc:
        return "'none'"
    return f"{url.scheme}://{url.netloc}"

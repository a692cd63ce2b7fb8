"""An LTI 1.3 platform (the LMS side: Canvas, Moodle) on a real socket, for the gateway's tests.

``PlatformEmulator`` serves the OIDC authorization endpoint, its JWKS, an OAuth2 token
endpoint, AGS 2.0 line items and scores, NRPS 2.0 memberships, Deep Linking 2.0 returns and
Dynamic Registration 1.0, and records what the tool sends so tests can assert on it. The
HTTP handlers live in ``lti_platform_oidc``, ``lti_platform_services`` and
``lti_platform_registration``; the rules they check are in ``lti_platform_spec``; the
id_token body is built in ``lti_platform_claims``.

Usage::

    with PlatformEmulator() as lms:
        lms.set_tool(login_url=..., launch_url=..., jwks_url=...)
        response = lms.launch(requests.Session(), roles=[ROLE_INSTRUCTOR])
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.support import lti_platform_oidc, lti_platform_registration, lti_platform_services
from tests.support.lti_platform_browser import drive_launch
from tests.support.lti_platform_claims import default_members, launch_claims
from tests.support.lti_platform_keys import KeyRing
from tests.support.lti_platform_spec import (
    MESSAGE_DEEP_LINKING,
    MESSAGE_RESOURCE_LINK,
    SERVICE_SCOPES,
)


@dataclass
class ToolConfig:
    """Where the tool lives, as the platform has it registered."""

    login_url: str
    launch_url: str
    jwks_url: str
    deep_link_url: str | None = None
    redirect_uris: set[str] = field(default_factory=set)


@dataclass
class AccessGrant:
    """A bearer token the token endpoint issued."""

    scopes: frozenset[str]
    expires_at: float


@dataclass
class PendingLaunch:
    """A launch the platform has started and ``/auth`` will complete."""

    id_token_kwargs: dict[str, Any]
    signing_kid: str | None = None
    signing_key: Any = None


class PlatformEmulator:
    """An LMS that speaks LTI 1.3 and LTI Advantage over real HTTP on 127.0.0.1."""

    def __init__(self, *, client_id: str = "attune-client", deployment_id: str = "dep-1") -> None:
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.token_lifetime = 3600
        self.jwks_fetches = 0  # how often anyone read /jwks
        self.allow_extra_credit = False
        self.keys = KeyRing()
        self.lock = threading.RLock()
        # Recorders, appended to under ``lock`` by the request threads.
        self.scores: list[dict[str, Any]] = []
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.deep_link_responses: list[dict[str, Any]] = []
        self.registrations: list[dict[str, Any]] = []
        self.auth_requests: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = default_members()
        # State the handlers share.
        self.tool: ToolConfig | None = None
        self.pending: dict[str, PendingLaunch] = {}
        self.grants: dict[str, AccessGrant] = {}
        self.seen_jtis: set[str] = set()
        self.registration_tokens: set[str] = set()
        self.issued_dl_data: set[str] = set()
        self.results: dict[str, dict[str, dict[str, Any]]] = {}
        self.last_score_at: dict[tuple[str, str], datetime] = {}
        self.allowed_scopes: frozenset[str] = frozenset(SERVICE_SCOPES)
        self.down = False
        # Dynamic Registration misbehaviour, for the tool's refusals: the issuer the discovery
        # document claims (None: its own URL), the client id /register hands out (None: a
        # fresh one), and a canned (status, body) the discovery document is replaced with.
        self.discovery_issuer: str | None = None
        self.registered_client_id: str | None = None
        self.discovery_reply: tuple[int, str] | None = None
        self.guid = str(uuid.uuid4())
        self._lineitem_seq = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._base: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> PlatformEmulator:
        """Bind a free port on 127.0.0.1 and serve from a daemon thread."""
        if self._server is None:
            server = make_server("127.0.0.1", 0, self._build_app(), threaded=True)
            self._server, self._base = server, f"http://127.0.0.1:{server.server_port}"
            # A short poll keeps stop() quick: shutdown() waits for the loop to notice.
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> PlatformEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _build_app(self) -> Flask:
        app = Flask("lti_platform_emulator")
        lti_platform_oidc.register(app, self)
        lti_platform_services.register(app, self)
        lti_platform_registration.register(app, self)
        return app

    # -- addresses -------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """The base URL, which is also the ``iss`` of everything the platform signs."""
        if self._base is None:
            raise RuntimeError("PlatformEmulator.start() first: the issuer is its URL")
        return self._base

    @property
    def auth_login_url(self) -> str:
        return self.issuer + "/auth"

    @property
    def token_url(self) -> str:
        return self.issuer + "/token"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks"

    def lineitems_url(self, context_id: str) -> str:
        """The AGS line item container of a context."""
        return f"{self.issuer}/ags/{context_id}/lineitems"

    def memberships_url(self, context_id: str) -> str:
        """The NRPS membership container of a context."""
        return f"{self.issuer}/nrps/{context_id}/memberships"

    # -- configuration ---------------------------------------------------------------------

    def set_tool(
        self, *, login_url: str, launch_url: str, jwks_url: str, deep_link_url: str | None = None
    ) -> None:
        """Register the tool; ``/auth`` redirects only to its launch or deep link URL."""
        redirects = {launch_url} | ({deep_link_url} if deep_link_url else set())
        with self.lock:
            self.tool = ToolConfig(login_url, launch_url, jwks_url, deep_link_url, redirects)

    def rotate_keys(self) -> str:
        """Make a new signing key current; old kids stay in ``/jwks``. Returns the new kid."""
        return self.keys.rotate()

    def sign(
        self, claims: dict[str, Any], *, kid: str | None = None, key: Any = None, alg: str = "RS256"
    ) -> str:
        """Sign arbitrary claims; pass a foreign ``key`` to forge a bad signature."""
        return self.keys.sign(claims, kid=kid, key=key, alg=alg)

    def new_grant(self, scopes: list[str]) -> AccessGrant:
        """A grant for a token issued now, living ``token_lifetime`` seconds."""
        return AccessGrant(frozenset(scopes), time.time() + self.token_lifetime)

    def set_down(self, down: bool) -> None:
        """While down, the token, AGS and NRPS endpoints answer 503, as in an LMS outage."""
        self.down = down

    def add_lineitem(
        self,
        *,
        label: str,
        score_maximum: float,
        context_id: str = "course-1",
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
    ) -> str:
        """Pre-create a line item (as an instructor would); returns its URL."""
        body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
        extra = {"resourceLinkId": resource_link_id, "resourceId": resource_id, "tag": tag}
        body.update({k: v for k, v in extra.items() if v is not None})
        return str(self.store_lineitem(context_id, body)["id"])

    def store_lineitem(self, context_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Give a validated line item an id under its context and keep it."""
        with self.lock:
            self._lineitem_seq += 1
            item = {"id": f"{self.lineitems_url(context_id)}/{self._lineitem_seq}", **body}
            self.lineitems[item["id"]] = item
            return item

    def dynamic_registration_url(self, tool_register_url: str) -> str:
        """The URL an admin opens to start Dynamic Registration (LTI-DR 1.0 §3.3)."""
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.registration_tokens.add(token)
        query = urlencode(
            {
                "openid_configuration": self.issuer + "/.well-known/openid-configuration",
                "registration_token": token,
            }
        )
        separator = "&" if "?" in tool_register_url else "?"
        return f"{tool_register_url}{separator}{query}"

    # -- launches --------------------------------------------------------------------------

    def _default_target(self, message_type: str) -> str:
        if self.tool is None:
            return self.issuer + "/no-tool-registered"
        if message_type == MESSAGE_DEEP_LINKING and self.tool.deep_link_url:
            return self.tool.deep_link_url
        return self.tool.launch_url

    def id_token_claims(
        self,
        *,
        nonce: str,
        sub: str = "learner-1",
        roles: list[str] | None = None,
        message_type: str = MESSAGE_RESOURCE_LINK,
        context_id: str = "course-1",
        resource_link_id: str = "rl-1",
        custom: dict[str, Any] | None = None,
        ags: bool = True,
        nrps: bool = True,
        target_link_uri: str | None = None,
        now: float | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A complete, valid id_token body (LTI 1.3 core §5.3; Advantage claims when asked).

        ``overrides`` replace top-level claims; an override of ``None`` removes the claim.
        """
        claims = launch_claims(
            self,
            nonce=nonce,
            sub=sub,
            roles=roles,
            message_type=message_type,
            context_id=context_id,
            resource_link_id=resource_link_id,
            custom=custom,
            ags=ags,
            nrps=nrps,
            target_link_uri=target_link_uri or self._default_target(message_type),
            issued_at=int(time.time() if now is None else now),
        )
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def prepare_launch(
        self, *, signing_kid: str | None = None, signing_key: Any = None, **id_token_kwargs: Any
    ) -> str:
        """Start a launch; returns the tool's OIDC login initiation URL (Security Fw §5.1.1.1).

        ``id_token_kwargs`` go to :meth:`id_token_claims` when ``/auth`` completes the launch;
        a ``nonce`` among them replaces the tool's (to test nonce checks). ``signing_kid`` and
        ``signing_key`` choose how that id_token is signed, as in :meth:`sign`.
        """
        if self.tool is None:
            raise RuntimeError("set_tool() (or dynamic registration) before launching")
        message_type = id_token_kwargs.get("message_type", MESSAGE_RESOURCE_LINK)
        id_token_kwargs.setdefault("target_link_uri", self._default_target(message_type))
        hint = "hint-" + secrets.token_urlsafe(16)
        with self.lock:
            self.pending[hint] = PendingLaunch(dict(id_token_kwargs), signing_kid, signing_key)
        return self.login_url_for(hint)

    def login_url_for(self, hint: str) -> str:
        """The tool's login initiation URL for a pending launch."""
        with self.lock:
            kwargs, tool = self.pending[hint].id_token_kwargs, self.tool
        if tool is None:
            raise RuntimeError("no tool is registered")
        query = {
            "iss": self.issuer,
            "login_hint": kwargs.get("sub", "learner-1"),
            "target_link_uri": kwargs["target_link_uri"],
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        return f"{tool.login_url}?{urlencode(query)}"

    def launch(self, session: requests.Session, **id_token_kwargs: Any) -> requests.Response:
        """Drive a whole launch as a browser would; returns the tool's final response."""
        url = self.prepare_launch(**id_token_kwargs)
        return drive_launch(session, url, auth_url=self.auth_login_url)

    def id_token_for(self, hint: str, nonce: str) -> str:
        """Complete a pending launch: the signed id_token carrying the tool's nonce."""
        with self.lock:
            launch = self.pending[hint]
        kwargs = dict(launch.id_token_kwargs)
        nonce = kwargs.pop("nonce", nonce)
        claims = self.id_token_claims(nonce=nonce, **kwargs)
        return self.sign(claims, kid=launch.signing_kid, key=launch.signing_key)

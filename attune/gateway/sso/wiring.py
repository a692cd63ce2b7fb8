"""The sign-in's parts, built once per app from the gateway (no work at import time)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from attune.gateway.app import Gateway
from attune.gateway.sso.flows import SignInFlows
from attune.gateway.sso.oidc import OidcClient
from attune.gateway.sso.providers import ProviderRegistry
from attune.gateway.sso.saml import SamlServiceProvider
from attune.gateway.sso.sessions import StaffSessions
from attune.gateway.sso.settings import SsoSettings

_KEY = "attune_sso"


@dataclass
class Sso:
    """Everything the sign-in routes need."""

    settings: SsoSettings
    base_url: str
    providers: ProviderRegistry
    sessions: StaffSessions
    flows: SignInFlows
    oidc: OidcClient
    saml: SamlServiceProvider

    @property
    def session_cookie(self) -> str:
        # The __Host- prefix pins a Secure cookie to this host and path / (RFC 6265bis §4.1.3.2).
        return "__Host-attune_staff" if self.settings.cookie_secure else "attune_staff"

    @property
    def flow_cookie(self) -> str:
        return "__Host-attune_sso_flow" if self.settings.cookie_secure else "attune_sso_flow"


def install_sso(app: Flask, gateway: Gateway) -> None:
    """Build the sign-in's parts over the gateway's store and clock (``gateway.wall_clock``,
    read at each use, so tests can move it) and register its routes."""
    from attune.gateway.sso.admin_routes import sso_admin
    from attune.gateway.sso.routes import sso_pages

    settings = gateway.settings.sso

    def clock() -> float:
        return gateway.wall_clock()

    app.extensions[_KEY] = Sso(
        settings=settings,
        base_url=gateway.base_url,
        providers=ProviderRegistry(gateway.store, settings),
        sessions=StaffSessions(gateway.store, settings, clock),
        flows=SignInFlows(gateway.store, float(settings.flow_seconds), clock),
        oidc=OidcClient(settings, clock),
        saml=SamlServiceProvider(settings, clock),
    )
    app.register_blueprint(sso_pages)
    app.register_blueprint(sso_admin)


def current_sso() -> Sso:
    """The sign-in of the app serving this request."""
    found: Sso = current_app.extensions[_KEY]
    return found

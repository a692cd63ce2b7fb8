"""The token endpoint (RFC 6749 §3.2) on authlib: the client-credentials grant (§4.4), client
authentication by ``client_secret_basic``/``client_secret_post`` (§2.3.1) or
``private_key_jwt`` (RFC 7523 §2.2, OIDC Core §9), and JWT access tokens (RFC 9068) signed
with the tool's current key. Errors are RFC 6749 §5.2's: ``invalid_client`` (401),
``invalid_scope``, ``unsupported_grant_type``, ``invalid_request`` (400)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion

from attune.gateway.keys import ToolKeys
from attune.gateway.oauth.access_tokens import sign_access_token
from attune.gateway.oauth.clients import JWT_METHOD, OAuthClient, verify_secret
from attune.gateway.oauth.scopes import SCOPES
from attune.gateway.oauth.settings import OAuthSettings
from attune.gateway.ports import GatewayStore

TOKEN_PATH = "/oauth/token"
AUTH_METHODS = ("client_secret_basic", "client_secret_post", JWT_METHOD)


class AuthlibClient(ClientMixin):
    """An :class:`OAuthClient` as authlib's client model."""

    def __init__(self, client: OAuthClient) -> None:
        self.client = client

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: Collection[str] | str | None) -> str:
        """The requested scopes (all of the client's when none are asked for), grantable
        ones only: a client stored before a scope became reserved does not get it."""
        held = [s for s in self.client.scopes if s in SCOPES]
        if not scope:
            return " ".join(held)
        asked = scope.split() if isinstance(scope, str) else list(scope)
        return " ".join(s for s in held if s in asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.client.secret_hash) and verify_secret(
            client_secret, self.client.secret_hash
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in self.client.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class PartnerCredentialsGrant(ClientCredentialsGrant):
    """The client-credentials grant; a scope the client was not given is ``invalid_scope``
    (RFC 6749 §5.2), not silently dropped."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def validate_requested_scope(self) -> None:
        super().validate_requested_scope()
        scope = self.request.payload.scope if self.request.payload is not None else None
        client = self.request.client
        assert isinstance(client, AuthlibClient)
        if scope and not set(scope.split()) <= set(client.client.scopes) & set(SCOPES):
            raise InvalidScopeError(description="a requested scope is not granted to the client")


class PrivateKeyJwt(JWTBearerClientAssertion):
    """``private_key_jwt``: a JWT signed with the client's key, for this token endpoint, used
    once (its ``jti`` is remembered until it expires)."""

    CLIENT_AUTH_METHOD = JWT_METHOD  # type: ignore[misc]

    def __init__(self, store: GatewayStore, audiences: list[str], leeway: int) -> None:
        super().__init__(validate_jti=True, leeway=leeway)
        self._store = store
        self._audiences = audiences

    def get_audiences(self) -> list[str]:
        return self._audiences

    def resolve_client_public_key(self, client: AuthlibClient) -> Any:
        from joserfc.jwk import KeySet

        return KeySet.import_key_set(dict(client.client.jwks or {"keys": []}))  # type: ignore[arg-type]

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        found = self._store.get_oauth_client(str(claims["sub"]))
        if found is None or not isinstance(jti, str) or len(jti) > 200:
            return False
        exp = claims.get("exp")
        ttl = 3600.0 if not isinstance(exp, int | float) else max(60.0, exp - _now() + 120.0)
        return self._store.add(found.tenant, f"oauth-jti:{found.client_id}:{jti}", 1, ttl)


def _now() -> float:
    import time

    return time.time()


class JwtAccessTokens:
    """authlib's token generator: an RFC 9068 access token signed with the tool's key."""

    def __init__(
        self,
        keys: ToolKeys,
        issuer: str,
        audience: str,
        ttl_s: int,
        clock: Callable[[], float],
    ) -> None:
        self._keys, self._issuer, self._audience = keys, issuer, audience
        self._ttl, self._clock = ttl_s, clock

    def __call__(
        self,
        grant_type: str,
        client: AuthlibClient,
        user: object = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        granted = client.get_allowed_scope(scope)
        token = sign_access_token(
            self._keys,
            issuer=self._issuer,
            audience=self._audience,
            client_id=client.client.client_id,
            tenant=client.client.tenant,
            scope=granted,
            now=self._clock(),
            ttl_s=self._ttl,
        ).token
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self._ttl,
            "scope": granted,
        }


class PartnerAuthorizationServer(AuthorizationServer):
    """authlib's Flask authorization server over the gateway's store; nothing is saved per
    token (they are self-contained and short-lived)."""

    def handle_error_response(self, request: Any, error: OAuth2Error) -> Any:
        if error.error == "invalid_client":
            error.status_code = 401  # RFC 6749 §5.2: MAY 401; the brief asks for it always
        return super().handle_error_response(request, error)


def build_authorization_server(
    store: GatewayStore,
    keys: ToolKeys,
    settings: OAuthSettings,
    base_url: str,
    clock: Callable[[], float],
) -> PartnerAuthorizationServer:
    """The token endpoint's server for the gateway at ``base_url``."""
    issuer = settings.issuer or base_url

    def query_client(client_id: str) -> AuthlibClient | None:
        found = store.get_oauth_client(client_id) if isinstance(client_id, str) else None
        return AuthlibClient(found) if found is not None and found.active else None

    server = PartnerAuthorizationServer(query_client=query_client, save_token=lambda t, r: None)
    server.scopes_supported = list(SCOPES)
    # authlib calls any generator of BearerTokenGenerator's signature.
    generator: Any = JwtAccessTokens(
        keys, issuer, settings.audience, settings.token_ttl_seconds, clock
    )
    server.register_token_generator("default", generator)
    server.register_grant(PartnerCredentialsGrant)
    audiences = [f"{base_url}{TOKEN_PATH}", issuer]
    server.register_client_auth_method(
        JWT_METHOD, PrivateKeyJwt(store, audiences, settings.assertion_leeway_seconds)
    )
    return server

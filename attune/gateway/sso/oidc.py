"""OpenID Connect sign-in as a relying party (OIDC Core 1.0, authorization code flow) with
authlib's client, and the ID token checked with joserfc (authlib's JOSE library).

- Discovery (OIDC Discovery 1.0 §4): the provider's ``issuer`` must equal the configured one
  (§4.3); the document and the JWKS are cached, and an unknown ``kid`` refetches the JWKS.
- The authorization request carries PKCE (RFC 7636, ``S256``), ``state`` and ``nonce``; the
  caller stores them together, bound to the browser (:mod:`attune.gateway.sso.flows`).
- The ID token (Core §3.1.3.7): signature by a key of the provider's JWKS (no ``none``, no
  HMAC), ``iss``, ``aud`` (and ``azp`` when several audiences), ``exp``/``iat``/``nbf`` with a
  bounded leeway on the injected clock, and ``nonce`` equal to the one sent.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from attune.gateway.sso.errors import IdentityProviderError, SignInError
from attune.gateway.sso.settings import IdentityProvider, SsoSettings

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
_MAX_DOCUMENT = 512 * 1024


class OidcClient:
    """The relying party for every OIDC provider of every tenant (caches per issuer)."""

    def __init__(self, settings: SsoSettings, clock: Callable[[], float]) -> None:
        self._timeout = settings.http_timeout_seconds
        self._cache_s = float(settings.metadata_cache_seconds)
        self._leeway = settings.clock_skew_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._documents: dict[str, tuple[float, dict[str, Any]]] = {}

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            reply = requests.get(url, timeout=self._timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise IdentityProviderError(f"identity provider unreachable at {url}") from exc
        if reply.status_code != 200 or len(reply.content) > _MAX_DOCUMENT:
            raise IdentityProviderError(f"{url} answered {reply.status_code}")
        try:
            body = reply.json()
        except ValueError as exc:
            raise IdentityProviderError(f"{url} did not answer JSON") from exc
        if not isinstance(body, dict):
            raise IdentityProviderError(f"{url} did not answer a JSON object")
        return body

    def _cached(self, url: str, refresh: bool = False) -> dict[str, Any]:
        now = self._clock()
        with self._lock:
            found = self._documents.get(url)
        if found is not None and not refresh and now - found[0] < self._cache_s:
            return found[1]
        body = self._fetch(url)
        with self._lock:
            self._documents[url] = (now, body)
        return body

    def metadata(self, provider: IdentityProvider) -> dict[str, Any]:
        """The provider's discovery document, its issuer checked (Discovery §4.3)."""
        issuer = provider.issuer.rstrip("/")
        document = self._cached(issuer + "/.well-known/openid-configuration")
        if document.get("issuer") != provider.issuer:
            raise IdentityProviderError(
                f"the discovery document names issuer {str(document.get('issuer'))[:200]!r}, "
                f"not {provider.issuer!r}"
            )
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(needed), str):
                raise IdentityProviderError(f"the discovery document has no {needed}")
        return document

    def _session(self, provider: IdentityProvider, redirect_uri: str) -> OAuth2Session:
        secret = provider.client_secret.get_secret_value()
        return OAuth2Session(
            client_id=provider.client_id,
            client_secret=secret or None,
            scope=provider.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
        )

    def authorization_url(
        self, provider: IdentityProvider, redirect_uri: str
    ) -> tuple[str, dict[str, str]]:
        """The URL to send the browser to, and what the callback needs: ``state``,
        ``nonce`` and the PKCE ``code_verifier``."""
        endpoint = str(self.metadata(provider)["authorization_endpoint"])
        flow = {
            "state": secrets.token_urlsafe(32),
            "nonce": secrets.token_urlsafe(32),
            "code_verifier": secrets.token_urlsafe(48),  # 64 characters (RFC 7636 §4.1)
        }
        with self._session(provider, redirect_uri) as session:
            url, _ = session.create_authorization_url(
                endpoint,
                state=flow["state"],
                code_verifier=flow["code_verifier"],
                nonce=flow["nonce"],
            )
        return str(url), flow

    def exchange(
        self, provider: IdentityProvider, redirect_uri: str, code: str, verifier: str
    ) -> dict[str, Any]:
        """The token response for an authorization code (Core §3.1.3.1)."""
        endpoint = str(self.metadata(provider)["token_endpoint"])
        with self._session(provider, redirect_uri) as session:
            try:
                token = session.fetch_token(
                    endpoint, code=code, code_verifier=verifier, timeout=self._timeout
                )
            except AuthlibBaseError as exc:
                raise SignInError(f"the provider refused the code: {exc.error}") from exc
            except (requests.RequestException, ValueError) as exc:
                raise IdentityProviderError("the provider's token endpoint failed") from exc
        return dict(token)

    def _keys(self, provider: IdentityProvider, refresh: bool) -> KeySet:
        uri = str(self.metadata(provider)["jwks_uri"])
        try:
            return KeySet.import_key_set(self._cached(uri, refresh))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise IdentityProviderError("the provider's JWKS is not a key set") from exc

    def verify_id_token(
        self, provider: IdentityProvider, id_token: str, nonce: str
    ) -> dict[str, Any]:
        """The ID token's claims, every check of Core §3.1.3.7 passed; :class:`SignInError`
        naming the first that fails."""
        keys = self._keys(provider, refresh=False)
        try:
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as exc:
            # A key the cached set lacks: the provider may have rotated; refetch once.
            try:
                token = jwt.decode(id_token, self._keys(provider, True), algorithms=ALGORITHMS)
            except (JoseError, ValueError):
                raise SignInError("the ID token's signature does not verify") from exc
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=self._leeway,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            raise SignInError(f"the ID token is not valid: {exc.description}") from exc
        audiences = token.claims["aud"]
        several = isinstance(audiences, list) and len(audiences) > 1
        if several and token.claims.get("azp") != provider.client_id:
            raise SignInError("the ID token has several audiences and another azp")
        return dict(token.claims)

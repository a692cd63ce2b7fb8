"""The engine's credentials, built from :class:`~engine.settings.AuthSettings`: who may call
(static development tokens, JWT access tokens from the gateway, or both) and, optionally, the
server's TLS credentials with client certificates required (mTLS)."""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc
import structlog

from attune.engine.grpc.auth import Authenticator, ChainAuthenticator, StaticTokenAuthenticator
from attune.engine.grpc.jwt_auth import HttpJwksFetcher, JwksCache, JwtAuthenticator, JwtPolicy
from attune.engine.settings import AuthSettings

log = structlog.get_logger("attune.auth")


def build_authenticator(
    auth: AuthSettings,
    clock: Callable[[], float] = time.time,
    trusted: Authenticator | None = None,
) -> Authenticator:
    """Static tokens when configured, checked first; then ``trusted`` (``attune serve``: the
    JWTs of the gateway it started, checked against its keys in process); then JWTs when
    ``jwks_url`` is set."""
    static = StaticTokenAuthenticator(auth.tokens) if auth.tokens else None
    others = [trusted] if trusted is not None else []
    if not auth.jwks_url:
        if not others:
            assert static is not None  # AuthSettings refuses neither
            return static
        return ChainAuthenticator(static, others)
    cache = JwksCache(
        auth.jwks_url,
        HttpJwksFetcher(auth.jwks_timeout_seconds),
        clock,
        ttl_s=auth.jwks_cache_seconds,
        min_refetch_s=auth.jwks_min_refetch_seconds,
    )
    jwt_auth = JwtAuthenticator(
        cache, JwtPolicy(auth.issuer, auth.audience, auth.leeway_seconds), clock
    )
    log.info("auth.jwt", jwks_url=auth.jwks_url, issuer=auth.issuer, audience=auth.audience)
    return ChainAuthenticator(static, [*others, jwt_auth])


def server_credentials(auth: AuthSettings) -> grpc.ServerCredentials | None:
    """TLS credentials for the server when a certificate is configured (client certificates
    signed by ``tls_client_ca_file`` required when it is set), else ``None`` (plaintext)."""
    if auth.tls_cert_file is None or auth.tls_key_file is None:
        return None
    pair = (auth.tls_key_file.read_bytes(), auth.tls_cert_file.read_bytes())
    if auth.tls_client_ca_file is None:
        return grpc.ssl_server_credentials([pair])
    return grpc.ssl_server_credentials(
        [pair],
        root_certificates=auth.tls_client_ca_file.read_bytes(),
        require_client_auth=True,
    )

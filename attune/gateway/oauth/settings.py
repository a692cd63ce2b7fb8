"""The authorization server's settings (``ATTUNE_GATEWAY__OAUTH__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


class OAuthSettings(BaseModel):
    """Partner apps' access tokens, e.g. ``ATTUNE_GATEWAY__OAUTH__AUDIENCE=attune-engine``.

    The engine must be configured to match: ``ATTUNE_AUTH__JWKS_URL=<gateway>/lti/jwks``,
    ``ATTUNE_AUTH__ISSUER=<issuer>`` and ``ATTUNE_AUTH__AUDIENCE=<audience>``.
    """

    enabled: bool = True  # POST /oauth/token (the admin routes stay, to revoke clients)
    issuer: str = ""  # the tokens' iss; empty: the gateway's public base URL
    audience: str = "attune-engine"  # the tokens' aud: the engine's name for itself
    token_ttl_seconds: int = Field(default=600, ge=30, le=3600)
    # Clock skew allowed on a private_key_jwt client assertion's exp (RFC 7523 §3).
    assertion_leeway_seconds: int = Field(default=60, ge=0, le=600)

    @field_validator("issuer")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

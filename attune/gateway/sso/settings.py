"""Staff sign-in settings (issue 16 part 2): ``ATTUNE_GATEWAY__SSO__*``.

Identity providers can be given here (read-only, per tenant) or added through the admin API
(kept in the gateway store); a tenant's allow-list is the union of both. Example::

    ATTUNE_GATEWAY__SSO__PROVIDERS='{"uni": [{"id": "campus", "protocol": "oidc",
      "issuer": "https://login.uni.example.edu", "client_id": "attune",
      "client_secret": "...", "mapping": {"role": "groups",
      "roles": {"staff-teaching": "instructor", "it-admins": "tenant_admin"}}}]}'
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

ROLES = ("instructor", "tenant_admin")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class AttributeMapping(BaseModel):
    """Which claim (OIDC) or attribute (SAML, by its friendly name or its URI) carries each
    of a staff member's properties, and how the role values map to Attune's roles."""

    model_config = {"extra": "forbid"}

    name: str = "name"
    email: str = "email"
    role: str = "roles"
    # The IdP's role values -> Attune's roles; values not listed give no role, and a person
    # with no role is refused (only staff sign in here).
    roles: dict[str, Literal["instructor", "tenant_admin"]] = Field(default_factory=dict)
    # Optional: the claim naming the person's tenant; when set, it must equal the tenant
    # signed into (a shared campus IdP serving several tenants).
    tenant: str = ""


class IdentityProvider(BaseModel):
    """One identity provider a tenant allows staff to sign in with."""

    model_config = {"extra": "forbid"}

    id: str
    protocol: Literal["oidc", "saml"]
    name: str = ""
    # OIDC: the issuer (discovery at <issuer>/.well-known/openid-configuration), the client
    # this tool is registered as, and the scopes asked for.
    issuer: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    scopes: str = "openid profile email"
    # SAML: the IdP's entity id and its metadata XML (its signing certificate and its
    # single sign-on endpoint come from there).
    entity_id: str = ""
    metadata_xml: str = ""
    mapping: AttributeMapping = Field(default_factory=AttributeMapping)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("id must be 1-64 letters, digits, '_', '.' or '-'")
        return value

    @model_validator(mode="after")
    def _complete(self) -> IdentityProvider:
        if self.protocol == "oidc":
            if not self.issuer.startswith(("https://", "http://")) or not self.client_id:
                raise ValueError("an oidc provider needs issuer (an http(s) URL) and client_id")
        elif not self.entity_id or "EntityDescriptor" not in self.metadata_xml:
            raise ValueError("a saml provider needs entity_id and metadata_xml")
        return self

    def public(self) -> dict[str, object]:
        """The configuration without its secret, for the admin API."""
        shown = self.model_dump(mode="json", exclude={"client_secret", "metadata_xml"})
        shown["has_client_secret"] = bool(self.client_secret.get_secret_value())
        shown["has_metadata"] = bool(self.metadata_xml)
        return shown


class SsoSettings(BaseModel):
    """Staff sessions and identity providers (``ATTUNE_GATEWAY__SSO__...``)."""

    # Secure cookies (the default). Only plain-http development and tests turn it off.
    cookie_secure: bool = True
    # A session ends after this long without a request, and after absolute_seconds at most.
    idle_seconds: int = Field(default=30 * 60, ge=60)
    absolute_seconds: int = Field(default=8 * 3600, ge=60)
    # How long a sign-in may take between the redirect to the IdP and its answer.
    flow_seconds: int = Field(default=600, ge=30, le=3600)
    # Allowed clock difference with identity providers (exp/iat/nbf, NotBefore/NotOnOrAfter).
    clock_skew_seconds: int = Field(default=120, ge=0, le=600)
    # Discovery documents and JWKS are cached this long (an unknown kid refetches).
    metadata_cache_seconds: int = Field(default=3600, ge=0)
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    providers: dict[str, list[IdentityProvider]] = Field(default_factory=dict)

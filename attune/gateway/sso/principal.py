"""Who a signed-in staff member is: the small object RBAC and the admin pages consume."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attune.gateway.sso.settings import ROLES, IdentityProvider


@dataclass(frozen=True, slots=True)
class Principal:
    """A staff member signed in through an identity provider, within one tenant."""

    tenant: str
    subject: str  # the IdP's stable id for the person (OIDC ``sub``, SAML NameID)
    name: str
    email: str
    roles: tuple[str, ...]  # among ROLES: "instructor", "tenant_admin"
    via: str  # "oidc:<provider id>" or "saml:<provider id>"
    session_id: str = ""  # the session's public id (not its cookie): what an admin revokes

    def public(self) -> dict[str, Any]:
        """The principal as JSON for ``/sso/me``."""
        return {
            "tenant": self.tenant,
            "subject": self.subject,
            "name": self.name,
            "email": self.email,
            "roles": list(self.roles),
            "via": self.via,
            "session_id": self.session_id,
        }


class MappingError(ValueError):
    """The identity's attributes do not let it into the tenant (no staff role, another
    tenant); the message says which, without personal data."""


def _values(claims: Mapping[str, Any], name: str) -> list[str]:
    """A claim as a list of strings: SAML attributes are lists, OIDC claims are either."""
    if not name:
        return []
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, str | int | float | bool):
        return [str(value)]
    if isinstance(value, Sequence):
        return [str(v) for v in value if isinstance(v, str | int | float)]
    return []


def map_identity(
    tenant: str,
    provider: IdentityProvider,
    subject: str,
    claims: Mapping[str, Any],
) -> Principal:
    """The principal the provider's claims describe, by the provider's attribute mapping;
    :class:`MappingError` when it names another tenant or maps to no staff role."""
    mapping = provider.mapping
    if mapping.tenant:
        named = _values(claims, mapping.tenant)
        if tenant not in named:
            raise MappingError(
                f"the identity's {mapping.tenant!r} attribute does not name tenant {tenant!r}"
            )
    given = _values(claims, mapping.role)
    roles = tuple(r for r in ROLES if any(mapping.roles.get(v) == r for v in given))
    if not roles:
        raise MappingError(
            f"no staff role: the {mapping.role!r} attribute maps to neither instructor nor "
            "tenant_admin"
        )
    if not subject:
        raise MappingError("the identity has no subject")
    names = _values(claims, mapping.name)
    emails = _values(claims, mapping.email)
    return Principal(
        tenant=tenant,
        subject=subject,
        name=names[0] if names else "",
        email=emails[0] if emails else "",
        roles=roles,
        via=f"{provider.protocol}:{provider.id}",
    )

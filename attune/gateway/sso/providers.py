"""Each tenant's allow-list of identity providers: the ones in the settings (read-only) and
the ones an admin added (kept in the gateway store, per tenant). A provider signs staff
into a tenant only if it is on that tenant's list."""

from __future__ import annotations

from typing import Any

from attune.gateway.errors import GatewayError
from attune.gateway.ports import KeyValueStore
from attune.gateway.sso.errors import NotAllowedError
from attune.gateway.sso.settings import IdentityProvider, SsoSettings

_KEY = "sso-providers"
_FOREVER = 100 * 365 * 86400.0  # a configuration, not a cache: the key/value store's "never"


class ProviderConflictError(GatewayError):
    status = 409
    error = "conflict"


def _stored(provider: IdentityProvider) -> dict[str, Any]:
    data = provider.model_dump(mode="json")
    data["client_secret"] = provider.client_secret.get_secret_value()
    return data


class ProviderRegistry:
    """The identity providers of every tenant."""

    def __init__(self, store: KeyValueStore, settings: SsoSettings) -> None:
        self._store = store
        self._configured = settings.providers

    def _added(self, tenant: str) -> dict[str, dict[str, Any]]:
        found = self._store.get(tenant, _KEY)
        return found if isinstance(found, dict) else {}

    def for_tenant(self, tenant: str) -> dict[str, IdentityProvider]:
        """The tenant's allowed providers by id."""
        providers = {
            key: IdentityProvider.model_validate(value)
            for key, value in self._added(tenant).items()
        }
        providers.update({p.id: p for p in self._configured.get(tenant, [])})
        return providers

    def get(self, tenant: str, provider_id: str) -> IdentityProvider:
        """The provider, if the tenant allows it; :class:`NotAllowedError` otherwise."""
        found = self.for_tenant(tenant).get(provider_id)
        if found is None:
            raise NotAllowedError(
                f"identity provider {provider_id[:64]!r} is not allowed for tenant {tenant!r}"
            )
        return found

    def put(self, tenant: str, provider: IdentityProvider) -> None:
        """Add or replace an admin-managed provider (409 for one from the settings)."""
        if any(p.id == provider.id for p in self._configured.get(tenant, [])):
            raise ProviderConflictError(
                f"provider {provider.id!r} is configured in the settings; change it there"
            )
        added = self._added(tenant)
        added[provider.id] = _stored(provider)
        self._store.put(tenant, _KEY, added, _FOREVER)

    def delete(self, tenant: str, provider_id: str) -> bool:
        """Remove an admin-managed provider; whether it was there."""
        added = self._added(tenant)
        if added.pop(provider_id, None) is None:
            return False
        self._store.put(tenant, _KEY, added, _FOREVER)
        return True

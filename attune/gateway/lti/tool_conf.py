"""pylti1p3's extension points, filled from the gateway's store.

Why pylti1p3's Flask adapter: it is the library's best-trodden path (its own demo app and most
issue reports use it), and its core objects (MessageLaunch, OIDCLogin, DeepLink, the AGS and
NRPS services) are framework-free underneath. Attune closes its gaps around it rather than
forking it: registrations come from our store (not a JSON file), launch data and OIDC state
live in our store scoped by tenant (no third-party cookie needed), and the launch subclass in
``launch.py`` consumes nonces, allows bounded clock skew and caches platform keys.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.request import Request
from pylti1p3.tool_config.abstract import ToolConfAbstract

from attune.gateway.keys import ToolKeys
from attune.gateway.ports import KeyValueStore, Registration, RegistrationStore


class AttuneRegistration(LtiRegistration):
    """A pylti1p3 registration that signs with the tool's current rotating key."""

    def __init__(self, registration: Registration, keys: ToolKeys) -> None:
        key = keys.current()
        self._kid = key.kid
        self.private_pem = key.private_pem
        self.attune = registration
        self.set_issuer(registration.issuer)
        self.set_client_id(registration.client_id)
        self.set_auth_login_url(registration.auth_login_url)
        self.set_auth_token_url(registration.auth_token_url)
        self.set_key_set_url(registration.key_set_url)
        if registration.auth_audience:
            self.set_auth_audience(registration.auth_audience)
        self.set_tool_private_key(key.private_pem)

    def get_kid(self) -> str:
        return self._kid


class StoreToolConf(ToolConfAbstract[Request]):
    """Registrations and deployments from the store; one issuer may have many client ids."""

    def __init__(self, registrations: RegistrationStore, keys: ToolKeys) -> None:
        super().__init__()
        self._registrations = registrations
        self._keys = keys

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def lookup(self, iss: str, client_id: str | None) -> Registration | None:
        """The stored registration (``client_id`` may be omitted when the issuer has one)."""
        return self._registrations.find_registration(iss, client_id)

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        found = self.lookup(iss, None)
        return AttuneRegistration(found, self._keys) if found else None

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Any:
        found = self.lookup(iss, client_id)
        return AttuneRegistration(found, self._keys) if found else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        found = self.lookup(iss, client_id or None)
        if found is None or deployment_id not in found.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


class TenantLaunchStorage(LaunchDataStorage[Any]):
    """pylti1p3's launch-data cache, OIDC state and nonces in the gateway store, under one
    tenant. It asks for no session cookie: inside an LMS iframe third-party cookies are often
    blocked (pylti1p3 #119), so the launch is tied to its server-side state instead."""

    def __init__(self, store: KeyValueStore, tenant: str, ttl: float) -> None:
        super().__init__()
        self._store = store
        self._tenant = tenant
        self._ttl = ttl

    def get_session_cookie_name(self) -> None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self._store.get(self._tenant, self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self._store.put(self._tenant, self._prepare_key(key), value, exp or self._ttl)

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def take_value(self, key: str) -> Any:
        """Remove and return, atomically (used to consume nonces and state)."""
        return self._store.take(self._tenant, self._prepare_key(key))

"""LTI service tokens are cached until ``margin`` seconds before the ``expires_in`` the
platform gave (1EdTech Security Framework §4.1), on an injected clock.

The end-to-end test (tests/integration/test_lti_flow.py) shows the wiring against the
platform emulator; here the cache window itself is checked without waiting for time to pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from attune.gateway.keys import ToolKeys
from attune.gateway.lti.services import CachedTokenConnector
from attune.gateway.lti.tool_conf import AttuneRegistration
from attune.gateway.ports import Registration, ToolKey

SCOPES = ("https://purl.imsglobal.org/spec/lti-ags/scope/score",)
MARGIN = 60


@dataclass
class ClockedStore:
    """The KeyValueStore and KeyRing ports in memory, expiring values on an injected clock."""

    now: float = 1_000_000.0
    values: dict[tuple[str, str], tuple[Any, float]] = field(default_factory=dict)
    keys: list[ToolKey] = field(default_factory=list)

    def put(self, tenant: str, key: str, value: Any, ttl: float) -> None:
        self.values[tenant, key] = (value, self.now + ttl)

    def get(self, tenant: str, key: str) -> Any | None:
        value, expires_at = self.values.get((tenant, key), (None, 0.0))
        return value if expires_at > self.now else None

    def add(self, tenant: str, key: str, value: Any, ttl: float) -> bool:
        if self.get(tenant, key) is not None:
            return False
        self.put(tenant, key, value, ttl)
        return True

    def take(self, tenant: str, key: str) -> Any | None:
        value = self.get(tenant, key)
        self.values.pop((tenant, key), None)
        return value

    def purge_expired(self) -> int:
        expired = [k for k, (_, at) in self.values.items() if at <= self.now]
        for k in expired:
            del self.values[k]
        return len(expired)

    def tool_keys(self) -> Sequence[ToolKey]:
        return list(self.keys)

    def add_key(self, key: ToolKey) -> None:
        self.keys.append(key)

    def retire_key(self, kid: str, at: float) -> None:
        self.keys = [k if k.kid != kid else _retired(k, at) for k in self.keys]


def _retired(key: ToolKey, at: float) -> ToolKey:
    return replace(key, retired_at=at)


class PlatformTokens(CachedTokenConnector):
    """The connector with the platform's token endpoint answered in memory: each request
    grants a new token that expires in ``expires_in`` seconds."""

    def __init__(self, store: ClockedStore, expires_in: float) -> None:
        registration = Registration(
            tenant="t",
            issuer="https://lms.example",
            client_id="client-1",
            auth_login_url="https://lms.example/auth",
            auth_token_url="https://lms.example/token",
            key_set_url="https://lms.example/jwks",
        )
        keys = ToolKeys(store, rotate_days=90, overlap_days=7)
        super().__init__(AttuneRegistration(registration, keys), store, MARGIN)
        self.expires_in = expires_in
        self.granted = 0

    def _request_token(self, scopes: Sequence[str]) -> tuple[str, float]:
        self.granted += 1
        return f"token-{self.granted}", self.expires_in


def test_a_token_is_reused_until_the_margin_before_it_expires() -> None:
    store = ClockedStore()
    platform = PlatformTokens(store, expires_in=MARGIN + 30)
    assert platform.get_access_token(SCOPES) == "token-1"
    store.now += 29.9
    assert platform.get_access_token(SCOPES) == "token-1"  # still inside its window
    store.now += 0.1
    assert platform.get_access_token(SCOPES) == "token-2"  # 30 s: within the margin, renewed
    assert platform.granted == 2


def test_a_token_that_expires_within_the_margin_is_never_reused() -> None:
    store = ClockedStore()
    platform = PlatformTokens(store, expires_in=MARGIN)
    assert platform.get_access_token(SCOPES) == "token-1"
    assert platform.get_access_token(SCOPES) == "token-2"
    assert platform.granted == 2


def test_a_forgotten_token_is_renewed() -> None:
    store = ClockedStore()
    platform = PlatformTokens(store, expires_in=3600)
    assert platform.get_access_token(SCOPES) == "token-1"
    platform.forget_token(SCOPES)  # the platform answered 401
    assert platform.get_access_token(SCOPES) == "token-2"

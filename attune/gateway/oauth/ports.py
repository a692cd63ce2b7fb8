"""Where partner apps' clients are kept: the gateway's store (SQLite or Redis) implements it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from attune.gateway.oauth.clients import OAuthClient


class OAuthClientStore(Protocol):
    """OAuth clients by id (looked up before the tenant is known) and by tenant."""

    def put_oauth_client(self, client: OAuthClient) -> None: ...

    def get_oauth_client(self, client_id: str) -> OAuthClient | None: ...

    def list_oauth_clients(self, tenant: str) -> Sequence[OAuthClient]: ...

    def revoke_oauth_client(self, tenant: str, client_id: str, at: float) -> bool:
        """Mark the client revoked (kept for the record); False if ``tenant`` has no such
        client or it was revoked already."""
        ...

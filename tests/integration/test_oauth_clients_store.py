"""OAuth clients in the gateway's store (issue 16 part 1): the same contract on the embedded
SQLite file and on a real Redis; and ``attune oauth-client`` on the embedded store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from attune.cli import main
from attune.gateway.oauth.clients import new_client, verify_secret
from attune.gateway.ports import GatewayStore
from attune.gateway.stores import open_stores
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GatewayStore]:
    url = ""
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_standalone")
        server.flush()
        url = server.url
    gateway_store, statements = open_stores(url, tmp_path)
    yield gateway_store
    statements.close()
    gateway_store.close()


def test_clients_are_kept_found_listed_and_revoked(store: GatewayStore) -> None:
    a1 = new_client("univ-a", "one", ["responses:write"], 1.0)
    a2 = new_client("univ-a", "two", ["learners:read"], 2.0)
    b1 = new_client("univ-b", "three", ["events:read"], 3.0)
    for made in (a1, a2, b1):
        store.put_oauth_client(made.client)
    found = store.get_oauth_client(a1.client.client_id)
    assert found == a1.client
    assert a1.secret is not None and verify_secret(a1.secret, found.secret_hash)
    assert store.get_oauth_client("atc_missing") is None
    assert [c.name for c in store.list_oauth_clients("univ-a")] == ["one", "two"]
    assert [c.name for c in store.list_oauth_clients("univ-c")] == []

    assert not store.revoke_oauth_client("univ-b", a1.client.client_id, 9.0)  # not b's
    assert store.revoke_oauth_client("univ-a", a1.client.client_id, 9.0)
    assert not store.revoke_oauth_client("univ-a", a1.client.client_id, 10.0)  # already
    assert not store.revoke_oauth_client("univ-a", "atc_missing", 9.0)
    revoked = store.get_oauth_client(a1.client.client_id)
    assert revoked is not None and revoked.revoked_at == 9.0 and not revoked.active
    assert store.get_oauth_client(b1.client.client_id) == b1.client


def test_the_command_creates_lists_and_revokes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    scopes = "responses:write,learners:read"
    assert main(["oauth-client", "create", "--tenant", "univ-a", "--scopes", scopes, *data]) == 0
    out, err = capsys.readouterr()
    made = json.loads(out)
    assert made["scopes"] == ["responses:write", "learners:read"] and made["client_secret"]
    assert "cannot be shown again" in err

    assert main(["oauth-client", "list", "--tenant", "univ-a", *data]) == 0
    [listed] = json.loads(capsys.readouterr().out)["clients"]
    assert listed["client_id"] == made["client_id"]
    assert "client_secret" not in listed and "secret_hash" not in listed

    store, statements = open_stores("", tmp_path)  # what a running gateway would read
    try:
        kept = store.get_oauth_client(made["client_id"])
        assert kept is not None and verify_secret(made["client_secret"], kept.secret_hash)
    finally:
        statements.close()
        store.close()

    revoke = ["oauth-client", "revoke", "--tenant", "univ-a", made["client_id"], *data]
    assert main(revoke) == 0
    assert json.loads(capsys.readouterr().out)["revoked"] is True
    assert main(revoke) == 2
    assert "no active OAuth client" in capsys.readouterr().err
    bad = ["oauth-client", "create", "--tenant", "univ-a", "--scopes", "root", *data]
    assert main(bad) == 2
    assert "scopes: unknown scope" in capsys.readouterr().err

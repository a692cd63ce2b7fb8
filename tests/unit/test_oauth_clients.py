"""OAuth clients (issue 16 part 1), the pure parts: secret hashing, scopes, client keys, the
stored form; and the engine's scope table against the gateway's scopes and the RPCs the
server registers."""

from __future__ import annotations

import json

import pytest

from attune.engine.grpc import scopes as engine_scopes
from attune.engine.grpc.auth import Principal
from attune.engine.grpc.server import SERVICE_NAMES
from attune.engine.v1 import (
    analytics_pb2,
    course_pb2,
    erasures_pb2,
    events_pb2,
    experiments_pb2,
    interventions_pb2,
    learner_pb2,
    tenants_pb2,
)
from attune.gateway.oauth.clients import (
    OAuthClient,
    check_jwks,
    client_from_json,
    client_to_json,
    hash_secret,
    new_client,
    verify_secret,
)
from attune.gateway.oauth.scopes import SCOPES, parse_scopes
from attune.gateway.oauth.server import AuthlibClient
from tests.support.oauth_stack import public_jwk, rsa_key

_FILES = (
    course_pb2,
    learner_pb2,
    events_pb2,
    analytics_pb2,
    interventions_pb2,
    experiments_pb2,
    erasures_pb2,
    tenants_pb2,
)


def test_a_secret_is_kept_as_a_salted_scrypt_hash() -> None:
    stored = hash_secret("s3cret")
    assert stored.startswith("scrypt$16384$8$1$") and "s3cret" not in stored
    assert verify_secret("s3cret", stored)
    assert not verify_secret("s3cret!", stored)
    assert hash_secret("s3cret") != stored  # a fresh salt each time
    for broken in ("", "plain", "scrypt$x$8$1$aa$bb", "md5$1$1$1$aa$bb", "scrypt$2$8$1$!!$??"):
        assert not verify_secret("s3cret", broken)


def test_scopes_are_checked_and_ordered() -> None:
    assert parse_scopes("learners:read responses:write") == ("responses:write", "learners:read")
    assert parse_scopes(["events:read"]) == ("events:read",)
    for bad in ("root", ["responses:write", "admin"], [], "", 3, [1]):
        with pytest.raises(ValueError, match="scopes"):
            parse_scopes(bad)


def test_a_new_client_names_each_bad_field() -> None:
    made = new_client("univ-a", "Partner", ["responses:write"], 100.0)
    assert made.secret and verify_secret(made.secret, made.client.secret_hash)
    assert made.client.client_id.startswith("atc_") and made.client.tenant == "univ-a"
    assert made.client.auth_methods == ("client_secret_basic", "client_secret_post")
    with pytest.raises(ValueError, match="tenant"):
        new_client("", "x", ["responses:write"], 0.0)
    with pytest.raises(ValueError, match="name"):
        new_client("t", "x" * 201, ["responses:write"], 0.0)
    with pytest.raises(ValueError, match="jwks"):
        new_client("t", "x", ["responses:write"], 0.0, with_secret=False)
    keyed = new_client(
        "t", "x", ["responses:write"], 0.0, jwks=public_jwk(rsa_key(), "k"), with_secret=False
    )
    assert keyed.secret is None and keyed.client.auth_methods == ("private_key_jwt",)
    assert keyed.client.jwks is not None and len(keyed.client.jwks["keys"]) == 1


def test_client_keys_must_be_public_rsa_or_ec() -> None:
    jwk = public_jwk(rsa_key(), "k")
    assert check_jwks({"keys": [jwk]}) == {"keys": [jwk]}
    for bad in (
        {"keys": []},
        {"keys": [{**jwk, "d": "AQAB"}]},
        {"keys": [{"kty": "oct", "k": "AAAA"}]},
        {"keys": [{"kty": "RSA", "n": "not base64!", "e": "AQAB"}]},
        "keys",
        {"keys": [jwk] * 11},
    ):
        with pytest.raises(ValueError, match="jwks"):
            check_jwks(bad)


def test_the_stored_form_round_trips_and_the_api_form_hides_the_hash() -> None:
    client = OAuthClient("atc_1", "t", "n", ("responses:write",), 5.0, hash_secret("x"))
    assert client_from_json(json.dumps(client_to_json(client, include_hash=True))) == client
    shown = client_to_json(client.revoked(9.0))
    assert "secret_hash" not in shown and shown["revoked_at"] == 9.0
    assert not client.revoked(9.0).active and client.active


def test_every_rpc_the_server_registers_declares_a_known_scope() -> None:
    methods = {
        f"/{service.full_name}/{method.name}"
        for file in _FILES
        for service in file.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }
    assert {m.split("/")[1] for m in methods} == set(SERVICE_NAMES)
    assert methods == set(engine_scopes.METHOD_SCOPES), "every RPC needs one entry, no more"
    known = {*engine_scopes.SCOPES, *engine_scopes.RESERVED_SCOPES}
    assert set(engine_scopes.METHOD_SCOPES.values()) <= known
    assert engine_scopes.SCOPES == SCOPES  # what the gateway grants is what the engine checks
    # The whole-tenant and erasure-sync scopes are reserved: no partner app can be granted
    # them (one holding erasures:sync could acknowledge erasures the gateway never applied).
    assert set(engine_scopes.RESERVED_SCOPES) == {"tenants:admin", "erasures:sync"}
    assert not set(engine_scopes.RESERVED_SCOPES) & set(SCOPES)
    for reserved in engine_scopes.RESERVED_SCOPES:
        with pytest.raises(ValueError, match="unknown scope"):
            parse_scopes([reserved])
    assert engine_scopes.required_scope("/grpc.health.v1.Health/Check") is None


def test_a_client_stored_with_a_scope_now_reserved_is_not_granted_it() -> None:
    stored = OAuthClient("atc_1", "t", "n", ("responses:write", "erasures:sync"), 5.0)
    client = AuthlibClient(stored)
    assert client.get_allowed_scope(None) == "responses:write"
    assert client.get_allowed_scope("erasures:sync responses:write") == "responses:write"
    assert client.get_allowed_scope(["erasures:sync"]) == ""


def test_a_principal_allows_only_its_scopes() -> None:
    partner = Principal("t", "atc_1", "jwt", frozenset({"responses:write"}))
    assert partner.allows("responses:write")
    assert not partner.allows("learners:delete")
    assert not partner.allows(None)  # a method the table does not know
    static = Principal("t", "static", "static")
    assert static.allows("learners:delete") and static.allows(None)

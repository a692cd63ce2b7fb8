"""Credentials scrubbed from tenant exports (attune/infra/tenancy/scrub.py): secret fields,
secrets inside JSON text, bearer tokens in keys (SQLite and Redis forms), the platform token
cache; everything else left as it is."""

from __future__ import annotations

import json

from attune.infra.tenancy.scrub import MASK, scrub_key, scrub_line


def test_secret_fields_are_masked_also_inside_json_text() -> None:
    row = {"tenant": "t", "name": "main", "password": "pw", "token": "", "url": "https://x"}
    assert scrub_line(row) == {**row, "password": MASK}
    body = json.dumps({"client_id": "atc_1", "secret_hash": "scrypt$...", "scopes": ["a"]})
    scrubbed = json.loads(scrub_line({"tenant": "t", "body": body})["body"])
    assert scrubbed == {"client_id": "atc_1", "secret_hash": MASK, "scopes": ["a"]}
    nested = {"key": "k", "value": {"f": json.dumps({"auth": {"client_secret": "s"}})}}
    assert json.loads(scrub_line(nested)["value"]["f"]) == {"auth": {"client_secret": MASK}}
    plain = {"tenant": "t", "value": "{not json", "n": 3}
    assert scrub_line(plain) == plain


def test_bearer_tokens_in_keys_become_their_hash_prefix() -> None:
    for key in ("session:TOKEN123", "dynreg:TOKEN123",
                "attune:gw:{t=t}:kv:session:TOKEN123",
                "attune:gw:{t=}:kv:session-tenant:TOKEN123"):  # fmt: skip
        scrubbed = scrub_key(key)
        assert "TOKEN123" not in scrubbed and ":sha256-" in scrubbed, key
        assert scrubbed.rsplit(":", 2)[0] == key.rsplit(":", 2)[0]
    assert scrub_key("session:A") == scrub_key("session:A") != scrub_key("session:B")
    for key in ("roster:https://lms:ctx-1", "sso-session:ab12", "attune:gw:{t=t}:kv:due:x"):
        assert scrub_key(key) == key


def test_the_platform_token_cache_is_dropped() -> None:
    line = {"tenant": "t", "key": "token:https://lms.example:client:abc", "value": '"tok"'}
    assert scrub_line(line)["value"] == MASK
    redis = {"key": "attune:gw:{t=t}:kv:token:https://lms:c:h", "type": "string", "value": "x"}
    assert scrub_line(redis)["value"] == MASK

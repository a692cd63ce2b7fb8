"""multipart/mixed statements with attachments and signed statements (xAPI 1.0.3
Communication §1.5.2, Data §2.4.11 and §2.6; issue 19), through the batch parser."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attune.gateway.ingest import InvalidInputError, parse_post, parse_put
from attune.gateway.ingest.attachments import check_sizes, keep, load
from attune.gateway.ingest.xapi_multipart import parse_multipart
from attune.gateway.library.ports import StoredMedia
from attune.gateway.xapi_attachment_settings import AttachmentSettings
from tests.support.xapi_cases import base
from tests.support.xapi_signed import (
    attachment_of,
    key_and_certificate,
    multipart,
    sha256,
    signed,
)

ESSAY = b"An essay about fractions.\n\x00\xff binary too\r\n--not-a-boundary"
NOW = 1368855154.0  # the table's timestamp


def parse(statements: Any, parts: list[tuple[str, bytes]], **kw: Any) -> Any:
    content_type, body = multipart(statements, parts, **kw)
    found = parse_multipart(content_type, body)
    return parse_post(found.statements, "1.0", now=NOW, parts=found.parts), found


def refusal(call: Any) -> str:
    with pytest.raises(InvalidInputError) as caught:
        call()
    return caught.value.reason


def with_essay() -> dict[str, Any]:
    return {**base(), "attachments": [attachment_of(ESSAY)]}


def test_a_good_attachment_is_taken_with_its_bytes_intact() -> None:
    parsed, found = parse([with_essay()], [("text/plain", ESSAY)])
    assert [p.statement_id for p in parsed] == [base()["id"]]
    assert found.parts[sha256(ESSAY)].data == ESSAY


def test_a_wrong_sha2_is_refused() -> None:
    statement = with_essay()
    statement["attachments"][0]["sha2"] = sha256(b"other")
    reason = refusal(lambda: parse([statement], [("text/plain", ESSAY)]))
    assert reason.startswith("statements[0].attachments[0].sha2: names no part")


def test_a_part_whose_bytes_do_not_match_its_hash_is_refused() -> None:
    reason = refusal(
        lambda: parse([with_essay()], [("text/plain", ESSAY)], hashes_=[sha256(b"other")])
    )
    assert reason == "part[1].X-Experience-API-Hash: does not match the part's bytes"


def test_a_missing_part_is_refused_and_a_stray_part_too() -> None:
    assert "names no part" in refusal(lambda: parse([with_essay()], []))
    assert "no attachment of the statements names this part" in refusal(
        lambda: parse([base()], [("text/plain", ESSAY)])
    )


def test_json_requests_need_a_file_url_for_each_attachment() -> None:
    reason = refusal(lambda: parse_post([with_essay()], "1.0", now=NOW))
    assert reason.startswith("statements[0].attachments[0].fileUrl: is required here")


def test_a_length_that_differs_from_the_part_is_refused() -> None:
    statement = with_essay()
    statement["attachments"][0]["length"] = 3
    assert "differs from its part's length" in refusal(
        lambda: parse([statement], [("text/plain", ESSAY)])
    )


def test_the_parts_must_be_well_formed() -> None:
    content_type, body = multipart([with_essay()], [("text/plain", ESSAY)])
    assert "boundary" in refusal(lambda: parse_multipart("multipart/mixed", body))
    assert "not closed" in refusal(lambda: parse_multipart(content_type, body[:-10]))
    plain = body.replace(b"Content-Transfer-Encoding: binary\r\n", b"")
    assert "Content-Transfer-Encoding" in refusal(lambda: parse_multipart(content_type, plain))
    nested: list[Any] = []
    for _ in range(100):
        nested = [nested]
    deep = multipart(nested, [])
    assert "nested deeper than 64" in refusal(lambda: parse_multipart(*deep))
    nan = multipart([{"n": float("nan")}], [])
    assert "not valid JSON" in refusal(lambda: parse_multipart(*nan))
    first = body.replace(b"application/json", b"text/plain", 1)
    assert "first part must be application/json" in refusal(
        lambda: parse_multipart(content_type, first)
    )


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_signed_statement_verifies_with_each_rs_algorithm(alg: str) -> None:
    key, certificate = key_and_certificate()
    statement, token = signed(base(), key, alg, certificate)
    parsed, _ = parse([statement], [("application/octet-stream", token)])
    assert parsed[0].body["attachments"][0]["usageType"].endswith("/signature")


def test_a_signature_without_x5c_is_checked_structurally() -> None:
    key, _ = key_and_certificate()
    statement, token = signed(base(), key, "RS256")
    parse([statement], [("application/octet-stream", token)])


def test_a_tampered_statement_is_refused() -> None:
    key, certificate = key_and_certificate()
    statement, token = signed(base(), key, "RS256", certificate)
    statement["verb"]["id"] = "http://adlnet.gov/expapi/verbs/failed"
    reason = refusal(lambda: parse([statement], [("application/octet-stream", token)]))
    assert reason.startswith("statements[0].attachments[0].JWS payload: differs from the statement")


def test_a_tampered_payload_fails_the_x5c_signature() -> None:
    key, certificate = key_and_certificate()
    statement, token = signed(base(), key, "RS384", certificate)
    header, payload, signature = token.split(b".")
    other_key, _ = key_and_certificate()
    _, forged = signed(base(), other_key, "RS384", None)
    forged_token = b".".join([header, forged.split(b".")[1], forged.split(b".")[2]])
    statement = copy.deepcopy(statement)
    statement["attachments"][0] = attachment_of(
        forged_token, "application/octet-stream", usageType=statement["attachments"][0]["usageType"]
    )
    statement["attachments"][0]["display"] = {"en-US": "Signature"}
    reason = refusal(lambda: parse([statement], [("application/octet-stream", forged_token)]))
    assert reason.endswith("the signature does not verify with the x5c key")
    assert payload and signature


def test_other_algorithms_and_garbage_are_refused() -> None:
    key, _ = key_and_certificate()
    pem_less = b"eyJhbGciOiJIUzI1NiJ9." + b"e30." + b"sig"
    statement, _ = signed(base(), key, "RS256")
    statement["attachments"][0] = attachment_of(
        pem_less, "application/octet-stream", usageType=statement["attachments"][0]["usageType"]
    )
    assert "must be RS256, RS384 or RS512" in refusal(
        lambda: parse([statement], [("application/octet-stream", pem_less)])
    )
    statement["attachments"][0] = attachment_of(
        b"not a jws", "application/octet-stream", usageType=statement["attachments"][0]["usageType"]
    )
    assert "not a JWS" in refusal(
        lambda: parse([statement], [("application/octet-stream", b"not a jws")])
    )


def test_put_takes_a_multipart_statement_too() -> None:
    content_type, body = multipart(with_essay(), [("text/plain", ESSAY)])
    found = parse_multipart(content_type, body)
    parsed = parse_put(found.statements, base()["id"], "2.0", now=NOW, parts=found.parts)
    assert parsed.statement_id == base()["id"]


class Media:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], StoredMedia] = {}

    def put_media(self, tenant: str, sha256: str, media_type: str, data: bytes) -> None:
        self.rows.setdefault((tenant, sha256), StoredMedia(media_type, data))

    def get_media(self, tenant: str, sha256: str) -> StoredMedia | None:
        return self.rows.get((tenant, sha256))


def test_attachments_are_kept_per_tenant_within_the_cap() -> None:
    _, found = parse([with_essay()], [("text/plain", ESSAY)])
    store = Media()
    assert keep(store, "acme", found.parts.values()) == 1
    kept = load(store, "acme", sha256(ESSAY).upper())
    assert kept is not None and kept.data == ESSAY and kept.content_type == "text/plain"
    assert load(store, "other", sha256(ESSAY)) is None
    check_sizes(found.parts.values(), AttachmentSettings(max_bytes=len(ESSAY)))
    assert "the cap is 10" in refusal(
        lambda: check_sizes(found.parts.values(), AttachmentSettings(max_bytes=10))
    )


def test_a_reply_built_for_get_parses_back() -> None:
    from attune.gateway.ingest.xapi_multipart import build_multipart

    _, found = parse([with_essay()], [("text/plain", ESSAY)])
    content_type, body = build_multipart(b'{"statements": []}', found.parts.values())
    again = parse_multipart(content_type, body)
    assert again.statements == {"statements": []}
    assert again.parts == found.parts


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["", "x", "abcABC0123'()+_,-./:=?"]))
def test_any_bytes_are_parsed_or_refused_never_crash(body: bytes, boundary: str) -> None:
    content_type = f'multipart/mixed; boundary="{boundary}"' if boundary else "multipart/mixed"
    framed = f"--{boundary}\r\n".encode() + body + f"\r\n--{boundary}--".encode()
    for data in (body, framed):
        try:
            found = parse_multipart(content_type, data)
        except InvalidInputError as exc:
            assert exc.path
        else:
            parse_post_or_refuse(found)


def parse_post_or_refuse(found: Any) -> None:
    try:
        parse_post(found.statements, "2.0", now=NOW, parts=found.parts)
    except InvalidInputError as exc:
        assert exc.reason

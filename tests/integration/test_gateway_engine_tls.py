"""The gateway's engine client over TLS and mTLS (issue 16 part 1): a real engine that
requires client certificates of its CA; the gateway's client reaches it with
``engine_tls`` settings and is refused without its certificate or with plaintext."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError

from attune.engine.adapters.sqlite_store import SqliteStore
from attune.engine.auth_setup import build_authenticator, server_credentials
from attune.engine.grpc.server import build_engine, start_server
from attune.engine.settings import AuthSettings
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.engine_tls import EngineTlsSettings
from attune.gateway.errors import EngineCallError
from attune.gateway.settings import GatewaySettings
from tests.integration.test_engine_mtls import _ca, _pair, _pem
from tests.support.courses import chain_course

pytestmark = pytest.mark.integration
TOKENS = {"default": "dev-token"}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def test_gateway_client_reaches_an_mtls_engine(tmp_path: Path) -> None:
    ca, other_ca = _ca("attune test CA"), _ca("other CA")
    server_key, server_cert = _pair("engine", ca)
    auth = AuthSettings(
        tls_cert_file=_write(tmp_path / "server.crt", server_cert),
        tls_key_file=_write(tmp_path / "server.key", server_key),
        tls_client_ca_file=_write(tmp_path / "ca.crt", _pem(ca[0])),
    )
    engine = build_engine(SqliteStore.open(tmp_path / "attune.db"))
    running = await start_server(
        engine, build_authenticator(auth), "127.0.0.1", 0, server_credentials(auth)
    )
    target = f"127.0.0.1:{running.port}"
    gw_key, gw_cert = _pair("gateway", ca)
    good = EngineTlsSettings(
        ca_file=tmp_path / "ca.crt",
        cert_file=_write(tmp_path / "gw.crt", gw_cert),
        key_file=_write(tmp_path / "gw.key", gw_key),
    )
    bad_key, bad_cert = _pair("intruder", other_ca)
    cases = {
        "no client certificate": EngineTlsSettings(ca_file=tmp_path / "ca.crt"),
        "another CA's certificate": EngineTlsSettings(
            ca_file=tmp_path / "ca.crt",
            cert_file=_write(tmp_path / "bad.crt", bad_cert),
            key_file=_write(tmp_path / "bad.key", bad_key),
        ),
        "plaintext": None,
    }
    try:
        client = GrpcEngineClient(target, TOKENS, good)
        try:
            stored = await asyncio.to_thread(client.put_course, "default", chain_course())
            assert stored.course_id == "chain"
            got = await asyncio.to_thread(client.get_course, "default", "chain")
            assert [s.skill_id for s in got.skills] == ["a", "b", "c"]
        finally:
            client.close()
        for why, tls in cases.items():
            refused = GrpcEngineClient(target, TOKENS, tls)
            try:
                with pytest.raises(EngineCallError) as err:
                    await asyncio.to_thread(refused.get_course, "default", "chain")
                assert err.value.code == "UNAVAILABLE", why
            finally:
                refused.close()
    finally:
        await running.stop(0.5)


def test_engine_tls_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not GatewaySettings().engine_tls.enabled  # plaintext by default
    monkeypatch.setenv("ATTUNE_GATEWAY__ENGINE_TLS__CA_FILE", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("ATTUNE_GATEWAY__ENGINE_TLS__SERVER_NAME", "engine.internal")
    settings = GatewaySettings()
    assert settings.engine_tls.enabled
    assert settings.engine_tls.server_name == "engine.internal"
    with pytest.raises(ValidationError, match="go together"):
        EngineTlsSettings(ca_file=tmp_path / "ca.pem", cert_file=tmp_path / "c.pem")
    with pytest.raises(ValidationError, match=r"needs engine_tls\.ca_file"):
        EngineTlsSettings(cert_file=tmp_path / "c.pem", key_file=tmp_path / "k.pem")

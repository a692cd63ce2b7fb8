"""One settings object: environment with the ATTUNE_ prefix, flags on top."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from attune.cli import build_parser
from attune.engine.adapters.factory import StoreConfigError, open_store
from attune.engine.domain.errors import UnauthenticatedError
from attune.engine.grpc.auth import StaticTokenAuthenticator
from attune.engine.settings import EngineSettings
from attune.settings import engine_settings


def test_environment_and_nested_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTUNE_PORT", "6000")
    monkeypatch.setenv("ATTUNE_AUTH__TOKENS", '{"s3cret": "univ-a"}')
    settings = EngineSettings()
    assert settings.port == 6000
    assert settings.auth.tokens == {"s3cret": "univ-a"}


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTUNE_PORT", "6000")
    args = build_parser().parse_args(["serve", "--port", "7000", "--no-demo"])
    settings = engine_settings(args)
    assert settings.port == 7000
    assert settings.demo_course is False


def test_bad_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTUNE_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        EngineSettings()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:notaport/0", "ftp://x", "sqlite://"])
async def test_unusable_store_urls_name_the_url(url: str) -> None:
    with pytest.raises(StoreConfigError, match=url.replace("/", ".")):
        await open_store(EngineSettings(store_url=url))


def test_static_tokens() -> None:
    auth = StaticTokenAuthenticator({"t1": "tenant-1", "t2": "tenant-2"})
    assert auth.authenticate({"authorization": "Bearer t2"}) == "tenant-2"
    assert auth.authenticate({"authorization": "bearer t1"}) == "tenant-1"
    for header in ({}, {"authorization": "Bearer nope"}, {"authorization": "t1"}):
        with pytest.raises(UnauthenticatedError):
            auth.authenticate(header)


def test_tutor_policy_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTUNE_TUTOR__TOO_FAST_FLOOR_MS", "3000")
    monkeypatch.setenv("ATTUNE_TUTOR__REVIEW_INTERVAL_HOURS", "24")
    policy = EngineSettings().tutor.policy()
    assert policy.credibility.floor_ms == 3000
    assert policy.review.interval_s == 24 * 3600


def test_bad_tutor_setting_exits_with_a_message(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from attune.cli import main

    monkeypatch.setenv("ATTUNE_TUTOR__TOO_FAST_WEIGHT", "1.5")
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "too_fast_weight" in err


# -- one settings object per deployable (issue 12) ------------------------------------------


def test_the_engine_settings_know_nothing_of_the_gateway() -> None:
    import subprocess
    import sys

    assert not {"gateway", "lrs_url", "lrs_username", "lrs_password"} & set(
        EngineSettings.model_fields
    )
    probe = (
        "import sys, attune.engine.settings\n"
        "print(sorted(m for m in sys.modules if m.startswith(('attune.gateway', 'attune.models'))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_lrs_keeps_its_names_from_before_the_split(monkeypatch: pytest.MonkeyPatch) -> None:
    from attune.gateway.settings import GatewaySettings

    monkeypatch.setenv("ATTUNE_LRS_URL", "https://lrs.example.edu/xapi")
    monkeypatch.setenv("ATTUNE_LRS_USERNAME", "attune")
    monkeypatch.setenv("ATTUNE_LRS_PASSWORD", "s3cret-lrs-password")
    monkeypatch.setenv("ATTUNE_LRS_XAPI_VERSION", "2.0.0")
    lrs = GatewaySettings().lrs
    assert lrs.url == "https://lrs.example.edu/xapi"
    assert lrs.username == "attune"
    assert lrs.password.get_secret_value() == "s3cret-lrs-password"
    assert lrs.xapi_version == "2.0.0"
    assert "s3cret-lrs-password" not in repr(GatewaySettings())  # a SecretStr


def test_the_gateways_own_names_win(monkeypatch: pytest.MonkeyPatch) -> None:
    from attune.gateway.settings import GatewaySettings

    monkeypatch.setenv("ATTUNE_LRS_URL", "https://old.example.edu/xapi")
    monkeypatch.setenv("ATTUNE_LRS_USERNAME", "old-user")
    monkeypatch.setenv("ATTUNE_GATEWAY__LRS__URL", "https://new.example.edu/xapi")
    monkeypatch.setenv("ATTUNE_DATA_DIR", "/srv/shared")
    monkeypatch.setenv("ATTUNE_LOG_LEVEL", "debug")
    settings = GatewaySettings()
    assert settings.lrs.url == "https://new.example.edu/xapi"
    assert settings.lrs.username == "old-user"  # merged field by field
    assert str(settings.data_dir) == "/srv/shared"  # shared with the engine
    assert settings.log_level == "debug"
    monkeypatch.setenv("ATTUNE_GATEWAY__DATA_DIR", "/srv/gateway")
    monkeypatch.setenv("ATTUNE_GATEWAY__LOG_LEVEL", "error")
    settings = GatewaySettings()
    assert str(settings.data_dir) == "/srv/gateway"
    assert settings.log_level == "error"
    assert GatewaySettings(data_dir="/x").data_dir.as_posix() == "/x"  # arguments win


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1:50051", "engine.internal:443", "[::1]:50051", "dns:///engine:50051", "unix:/s"],
)
def test_dialable_engine_addresses(address: str) -> None:
    from attune.gateway.settings import GatewaySettings

    assert GatewaySettings(engine_address=address).engine_address == address


@pytest.mark.parametrize(
    "address", ["", "engine", "engine:", ":50051", "engine:0", "engine:65536", "a b:1", "::1:1"]
)
def test_malformed_engine_addresses_are_refused_naming_them(address: str) -> None:
    from attune.gateway.settings import GatewaySettings

    named = f"(?s)engine_address.*{re.escape(repr(address))} is not an engine address"
    with pytest.raises(ValidationError, match=named):
        GatewaySettings(engine_address=address)


def test_serve_composes_both_from_one_set_of_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    from attune.settings import serve_settings

    monkeypatch.setenv("ATTUNE_GATEWAY__PUBLIC_URL", "https://attune.example.edu/")
    flags = ["serve", "--port", "0", "--data-dir", "/srv/a", "--gateway-port", "0"]
    settings = serve_settings(build_parser().parse_args([*flags, "--log-level", "error"]))
    assert (settings.engine.port, settings.gateway.port) == (0, 0)
    assert settings.engine.data_dir == settings.gateway.data_dir == Path("/srv/a")
    assert settings.gateway.public_url == "https://attune.example.edu"
    assert settings.gateway.enabled is True
    assert settings.log_level == settings.gateway.log_level == "error"
    alone = serve_settings(build_parser().parse_args(["serve", "--no-gateway"]))
    assert alone.gateway.enabled is False


def test_attune_gateway_flags_set_the_gateway_settings() -> None:
    from attune.settings import gateway_settings

    args = build_parser().parse_args(
        ["gateway", "--engine-address", "10.0.0.5:50051", "--port", "8080", "--store", "redis://r"]
    )
    settings = gateway_settings(args)
    assert settings.engine_address == "10.0.0.5:50051"
    assert settings.port == 8080
    assert settings.store_url == "redis://r"

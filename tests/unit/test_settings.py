"""One settings object: environment with the ATTUNE_ prefix, flags on top."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from attune.cli import build_parser
from attune.settings import engine_settings
from engine.adapters.factory import StoreConfigError, open_store
from engine.domain.errors import UnauthenticatedError
from engine.grpc.auth import StaticTokenAuthenticator
from engine.settings import EngineSettings


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

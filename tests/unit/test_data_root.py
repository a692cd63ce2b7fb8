"""The offline tools find the shared datasets beside the checkout by default."""

from __future__ import annotations

from pathlib import Path

import pytest

import attune
from attune.models.dkt.data import DATA_ENV, data_root


def test_the_default_data_root_is_shared_data_beside_the_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DATA_ENV, raising=False)
    checkout = Path(attune.__file__).resolve().parents[1]
    assert data_root() == checkout.parent / "shared" / "data"


def test_the_environment_overrides_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert data_root() == tmp_path

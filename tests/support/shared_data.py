"""Where the shared datasets live: ``../shared/data`` beside the checkout.

In CI (``CI`` set) a missing dataset is a failure, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_root() -> Path:
    """Where the shared data folder should be (it may be absent)."""
    return Path(os.environ.get("ATTUNE_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_data_dir() -> Path:
    """The shared data folder, or skip (locally) / fail (CI) when it is absent."""
    root = shared_root()
    if not (root / "kt").is_dir():
        message = f"shared datasets not found at {root} (set ATTUNE_SHARED_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return root

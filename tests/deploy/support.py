"""What the deploy tests share: the offline tools (installed by the dev extra into the same
environment as the tests) and the rendered Kubernetes manifests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUSTOMIZATIONS = ("base", "overlays/production")


def tool(name: str) -> str:
    """The path of a command-line tool of the dev extra (beside this Python, or on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[dev]' installs it"
    return found


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a tool with no network need; its completed process (not checked)."""
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@cache
def rendered_text(kustomization: str) -> str:
    """``kubectl kustomize`` of deploy/kubernetes/<kustomization> (offline: local files)."""
    done = run(tool("kubectl"), "kustomize", str(DEPLOY / "kubernetes" / kustomization))
    assert done.returncode == 0, done.stderr
    return done.stdout


def rendered(kustomization: str) -> list[dict[str, Any]]:
    """The rendered objects."""
    return [d for d in yaml.safe_load_all(rendered_text(kustomization)) if d]


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The objects of ``kind`` by name."""
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}

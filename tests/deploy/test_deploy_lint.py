"""deploy/ passes the linters, offline: hadolint (the Dockerfile), yamllint (every YAML file),
``kubectl kustomize`` (renders the manifests) and kubernetes-validate --strict (the rendered
objects against the bundled Kubernetes 1.37 schemas, unknown fields refused). The tools come
from PyPI with the dev extra; none needs a network or a cluster. The image is never built
here (its base image cannot be pulled offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.support import DEPLOY, KUSTOMIZATIONS, ROOT, rendered_text, run, tool

DOCKERFILE = DEPLOY / "Dockerfile"


def test_the_dockerfile_passes_hadolint() -> None:
    done = run(tool("hadolint"), "--no-color", str(DOCKERFILE))
    assert done.returncode == 0, done.stdout + done.stderr


def _stages() -> list[list[str]]:
    """The Dockerfile's stages, each as its instructions (continuations joined)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    stages: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_the_image_is_multi_stage_non_root_and_runtime_only() -> None:
    build, final = _stages()[0], _stages()[-1]
    assert len(_stages()) >= 2
    installs = [ln for ln in build if "pip install" in ln]
    assert installs and all(re.search(r"pip install [^\[]*\.( |$)", ln) for ln in installs)
    assert not any("[dev" in ln or "[train" in ln for ln in build + final)
    # No compiler or build tool reaches the final image, and it runs as a numeric non-root user.
    assert not any(re.search(r"\b(gcc|g\+\+|build-essential|make|git)\b", ln) for ln in final)
    (user,) = [ln for ln in final if ln.startswith("USER ")]
    assert user.split()[1].split(":")[0] not in ("0", "root")
    assert any(ln.startswith("HEALTHCHECK ") for ln in final)
    assert any(ln.startswith("ENTRYPOINT ") and '"attune"' in ln for ln in final)


def test_the_build_context_keeps_out_the_local_state() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    # Everything is out, then only what the Dockerfile copies is let back in.
    assert ignore.index("**") < min(i for i, ln in enumerate(ignore) if ln.startswith("!"))
    copied = {
        ln.split()[1]
        for s in _stages()
        for ln in s
        if ln.startswith("COPY ") and "--from" not in ln
    }
    allowed = {ln[1:].rstrip("/") for ln in ignore if ln.startswith("!")}
    assert {c for c in copied if c not in {"pyproject.toml", "README.md", "attune"}} == {
        "deploy/docker/healthcheck.py"
    }
    assert {"pyproject.toml", "README.md", "attune", "deploy/docker"} <= allowed


def test_every_yaml_file_passes_yamllint() -> None:
    done = run(tool("yamllint"), "--strict", "-c", str(DEPLOY / ".yamllint.yaml"), str(DEPLOY))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_the_rendered_manifests_validate_strictly(kustomization: str, tmp_path: Path) -> None:
    out = tmp_path / "rendered.yaml"
    out.write_text(rendered_text(kustomization))
    done = run(tool("kubernetes-validate"), "--strict", "--kubernetes-version", "1.37.0", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout + done.stderr
    assert "ERROR" not in report
    # Only the Prometheus Operator's CRD (no bundled schema) goes unchecked here; the
    # contract tests check its references.
    unchecked = [ln for ln in report.splitlines() if ln.startswith("WARN")]
    assert all("kind ServiceMonitor" in ln for ln in unchecked), unchecked
    assert report.count("passed for resource") >= 12


def test_the_validator_refuses_a_misspelt_field(tmp_path: Path) -> None:
    """The strict validation above can fail: a typo in a securityContext is refused."""
    bad = rendered_text("base").replace("readOnlyRootFilesystem", "readOnlyRootFileSystem", 1)
    out = tmp_path / "bad.yaml"
    out.write_text(bad)
    done = run(tool("kubernetes-validate"), "--strict", str(out))
    assert done.returncode != 0
    assert "readOnlyRootFileSystem" in done.stdout + done.stderr

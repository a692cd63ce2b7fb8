"""The distribution: what the wheel carries, and how the engine finds the shipped models.

The wheel installs the serving packages, the generated stubs and the offline side (models/,
whose code needs the ``train`` extra), with the shipped DKT artifacts as package data;
bench/ and tests/ stay out. The engine locates the artifacts without importing ``models``.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "models" / "artifacts"
# The wheel's top-level names: the composition root and the stubs share the PEP 420
# namespace `attune`; the rest are the folders of the design card (and content/).
TOP_LEVEL = {"attune", "content", "engine", "gateway", "integrations", "models"}
# Never in the runtime install.
LEFT_OUT = {"bench", "tests", "gen", "proto"}
TRAINING = {"torch", "onnx", "ml-dtypes", "pybkt", "pandas", "scikit-learn", "matplotlib", "tqdm"}
# Copying the tree to build it elsewhere: the repository's own build never touches it.
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".attune",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
)


def _setuptools_config() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        config: dict[str, Any] = tomllib.load(f)["tool"]["setuptools"]
    return config


def _package_folder(package: str, package_dir: dict[str, str]) -> Path:
    """The folder setuptools reads ``package`` from (its own rule: the longest mapped prefix)."""
    parts = package.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in package_dir:
            return ROOT / package_dir[prefix] / Path(*parts[n:])
    return ROOT / Path(*parts)


def _shipped_artifacts() -> list[Path]:
    files = sorted(ARTIFACTS.glob("*/*/model.onnx")) + sorted(ARTIFACTS.glob("*/*/manifest.json"))
    assert files, "the repository ships DKT artifacts"
    return files


def test_every_folder_of_python_code_is_a_listed_package() -> None:
    """The packages are listed by hand (attune spans two folders), so a new folder of code
    that is not listed would silently be missing from the wheel: name it."""
    config = _setuptools_config()
    packages = set(config["packages"])
    package_dir = dict(config.get("package-dir", {}))
    assert {p.split(".")[0] for p in packages} == TOP_LEVEL
    assert not {p for p in packages if p.split(".")[0] in LEFT_OUT}
    for package in packages:
        assert _package_folder(package, package_dir).is_dir(), f"{package}: no such folder"
    roots = [ROOT / top for top in TOP_LEVEL] + [ROOT / "gen" / "attune"]
    found = set()
    for root in roots:
        for source in root.rglob("*.py"):
            folder = source.parent.relative_to(root.parent)
            found.add(".".join(folder.parts))
    missing = sorted(found - packages)
    assert not missing, (
        f"folders of Python code not listed in [tool.setuptools] packages: {missing}"
    )


def test_the_engine_finds_the_shipped_artifacts_without_importing_models() -> None:
    script = (
        "import json, sys\n"
        "from engine.artifacts_path import shipped_models_dir\n"
        "from engine.settings import EngineSettings\n"
        "print(json.dumps([str(shipped_models_dir()), str(EngineSettings().models_dir),\n"
        "    sorted(m for m in sys.modules if m.split('.')[0] == 'models')]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTUNE_")}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found, default, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(found) == ARTIFACTS and Path(default) == ARTIFACTS
    assert imported == []  # located, never executed
    assert (ARTIFACTS / "demo-dkt" / "1.0.0" / "model.onnx").is_file()


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    out = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = out.glob("attune-*.whl")
    return wheel


def _requirements(metadata: str) -> list[str]:
    return email.parser.Parser().parsestr(metadata).get_all("Requires-Dist") or []


@pytest.mark.slow
def test_the_wheel_carries_the_serving_packages_and_the_artifacts(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        digests = {n: hashlib.sha256(z.read(n)).hexdigest() for n in names}
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        requirements = _requirements(z.read(metadata).decode())
    top = {n.split("/")[0] for n in names if ".dist-info/" not in n}
    assert top == TOP_LEVEL
    assert not [n for n in names if n.split("/")[0] in LEFT_OUT]
    # Every shipped artifact, byte for byte, and nothing else of models/' data.
    shipped = {
        f"models/artifacts/{p.relative_to(ARTIFACTS).as_posix()}": p for p in _shipped_artifacts()
    }
    for name, path in shipped.items():
        assert digests.get(name) == hashlib.sha256(path.read_bytes()).hexdigest(), name
    data = {n for n in names if n.startswith(("models/artifacts/", "models/reports/"))}
    assert data == set(shipped)
    # The composition root and the generated stubs share the namespace; templates and
    # markers travel with their packages.
    for expected in (
        "attune/engine/v1/learner_pb2.py",
        "attune/engine/v1/learner_pb2.pyi",
        "attune/engine/v1/learner_pb2_grpc.py",
        "engine/artifacts_path.py",
        "engine/domain/py.typed",
        "content/py.typed",
        "gateway/web/templates/practice.html",
    ):
        assert expected in names, expected
    assert "attune/__init__.py" not in names  # a regular package would end the namespace
    # Training needs the train extra; the runtime requires none of it.
    for line in requirements:
        match = re.match(r"[A-Za-z0-9._-]+", line)
        assert match is not None, line
        if match.group().lower().replace("_", "-") in TRAINING:
            assert 'extra == "train"' in line, line
    runtime = [line for line in requirements if "extra ==" not in line]
    assert any(line.startswith("onnxruntime") for line in runtime)


@pytest.mark.slow
def test_the_installed_wheel_serves_the_demo_course_with_dkt(tmp_path: Path) -> None:
    """Installed from the wheel alone (no checkout, no editable install on the path), the
    engine's default models folder is the shipped one and the demo course's model loads."""
    wheel = _build_wheel(tmp_path)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    script = (
        "import json, sys\n"
        "import engine\n"
        "from engine.demo.course import DEMO_DKT\n"
        "from engine.dkt.registry import ModelRegistry\n"
        "from engine.dkt.watch import reload_now\n"
        "from engine.settings import EngineSettings\n"
        "folder = EngineSettings().models_dir\n"
        "registry = ModelRegistry(folder)\n"
        "reload_now(registry)\n"
        "print(json.dumps([engine.__file__, str(folder), registry.keys(),\n"
        "    registry.resolve(DEMO_DKT) is not None,\n"
        "    sorted(m for m in sys.modules if m.split('.')[0] == 'models')]))\n"
    )
    # -S: no site processing, so the checkout's editable install is not on the path; the
    # environment's site-packages provide the dependencies, the target provides attune.
    paths = [str(target), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTUNE_", "PYTHON"))}
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    out = subprocess.run(
        [sys.executable, "-S", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = out.stdout.strip().splitlines()[-1]  # after the engine's own log lines
    engine_file, folder, loaded, demo_resolves, imported = json.loads(last)
    assert Path(engine_file).is_relative_to(target)
    assert Path(folder) == target / "models" / "artifacts"
    expected = {f"{p.parts[-3]}@{p.parts[-2]}" for p in ARTIFACTS.glob("*/*/model.onnx")}
    assert set(loaded) == expected
    assert demo_resolves
    assert imported == []

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
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "attune" / "models" / "artifacts"
# The wheel's one top-level name: every package lives in the `attune` namespace.
TOP_LEVEL = {"attune"}
# The design card's folders: under attune/, linked from the top level of the checkout.
CARD = ("engine", "gateway", "integrations", "models", "content")
# Never in the runtime install.
LEFT_OUT = {"bench", "tests", "proto"}
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


def _shipped_artifacts() -> list[Path]:
    files = sorted(ARTIFACTS.glob("*/*/model.onnx")) + sorted(ARTIFACTS.glob("*/*/manifest.json"))
    assert files, "the repository ships DKT artifacts"
    return files


def test_every_folder_of_python_code_is_a_package_of_the_one_namespace() -> None:
    """setuptools finds packages by their ``__init__.py``: a folder of code without one would
    silently be missing from the wheel. And the card's folders are links into ``attune/``."""
    for source in (ROOT / "attune").rglob("*.py"):
        assert (source.parent / "__init__.py").is_file(), f"{source.parent}: no __init__.py"
    for name in CARD:
        link = ROOT / name
        assert link.is_symlink() and link.resolve() == (ROOT / "attune" / name).resolve(), name


def test_the_engine_finds_the_shipped_artifacts_without_importing_models() -> None:
    script = (
        "import json, sys\n"
        "from attune.engine.artifacts_path import shipped_models_dir\n"
        "from attune.engine.settings import EngineSettings\n"
        "print(json.dumps([str(shipped_models_dir()), str(EngineSettings().models_dir),\n"
        "    sorted(m for m in sys.modules if m.startswith('attune.models'))]))\n"
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
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE, symlinks=True)
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
        f"attune/models/artifacts/{p.relative_to(ARTIFACTS).as_posix()}": p
        for p in _shipped_artifacts()
    }
    for name, path in shipped.items():
        assert digests.get(name) == hashlib.sha256(path.read_bytes()).hexdigest(), name
    data = {n for n in names if n.startswith(("attune/models/artifacts/", "attune/models/rep"))}
    assert data == set(shipped)
    # The generated stubs sit in their own folder of the namespace; templates and markers
    # travel with their packages.
    for expected in (
        "attune/engine/v1/learner_pb2.py",
        "attune/engine/v1/learner_pb2.pyi",
        "attune/engine/v1/learner_pb2_grpc.py",
        "attune/engine/artifacts_path.py",
        "attune/engine/domain/py.typed",
        "attune/content/py.typed",
        "attune/gateway/web/templates/practice.html",
        "attune/cli.py",
    ):
        assert expected in names, expected
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
        "import attune.engine as engine\n"
        "from attune.engine.demo.course import DEMO_DKT\n"
        "from attune.engine.dkt.registry import ModelRegistry\n"
        "from attune.engine.dkt.watch import reload_now\n"
        "from attune.engine.settings import EngineSettings\n"
        "folder = EngineSettings().models_dir\n"
        "registry = ModelRegistry(folder)\n"
        "reload_now(registry)\n"
        "print(json.dumps([engine.__file__, str(folder), registry.keys(),\n"
        "    registry.resolve(DEMO_DKT) is not None,\n"
        "    sorted(m for m in sys.modules if m.startswith('attune.models'))]))\n"
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
    assert Path(folder) == target / "attune" / "models" / "artifacts"
    expected = {f"{p.parts[-3]}@{p.parts[-2]}" for p in ARTIFACTS.glob("*/*/model.onnx")}
    assert set(loaded) == expected
    assert demo_resolves
    assert imported == []

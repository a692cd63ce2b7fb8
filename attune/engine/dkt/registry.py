"""Loaded DKT models, several versions at once, reloadable without a restart.

Artifacts live as ``<models_dir>/<name>/<version>/{model.onnx, manifest.json}``. A course
pins ``name@version`` or follows ``name`` (the newest loaded version). :meth:`reload` rescans
the folder: new versions come in, removed ones go, and a broken artifact is logged and
skipped while the versions already loaded keep serving. Rolling back is pinning the older
version (PutCourse) or removing the newer folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from attune.engine.dkt.manifest import DktManifest, ManifestError, parse_manifest

log = structlog.get_logger("attune.dkt")


@dataclass(frozen=True)
class LoadedModel:
    """A manifest and its ONNX Runtime session."""

    manifest: DktManifest
    session: Any  # onnxruntime.InferenceSession
    path: Path
    mtime: float


def _semver_key(version: str) -> tuple[int, int, int, str]:
    core, _, rest = version.partition("-")
    major, minor, patch = (int(x) for x in core.split("+")[0].split("."))
    # A pre-release sorts before its release.
    return major, minor, patch, rest or "~"


class ModelRegistry:
    """All loaded DKT models, by ``name@version``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._models: dict[str, LoadedModel] = {}

    def keys(self) -> list[str]:
        """The loaded ``name@version`` keys."""
        return sorted(self._models)

    def resolve(self, pin: str) -> LoadedModel | None:
        """The model a course pin names: exact ``name@version``, or the newest ``name``."""
        if not pin:
            return None
        if "@" in pin:
            return self._models.get(pin)
        versions = [m for m in self._models.values() if m.manifest.name == pin]
        if not versions:
            return None
        return max(versions, key=lambda m: _semver_key(m.manifest.version))

    def reload(self) -> Mapping[str, str]:
        """Rescan the folder; returns what changed (key -> "loaded", "reloaded", "removed",
        or the error of a refused artifact)."""
        changes: dict[str, str] = {}
        seen: set[str] = set()
        for manifest_path in sorted(self.root.glob("*/*/manifest.json")):
            folder = manifest_path.parent
            try:
                key, model = self._load_if_changed(folder)
            except (ManifestError, OSError, ValueError, RuntimeError) as exc:
                changes[str(folder)] = f"refused: {exc}"
                log.error("dkt.model_refused", path=str(folder), error=str(exc))
                continue
            seen.add(key)
            if model is not None:
                changes[key] = "reloaded" if key in self._models else "loaded"
                self._models[key] = model
                log.info("dkt.model_loaded", model=key, path=str(folder))
        for key in [k for k in self._models if k not in seen]:
            del self._models[key]
            changes[key] = "removed"
            log.info("dkt.model_removed", model=key)
        return changes

    def _load_if_changed(self, folder: Path) -> tuple[str, LoadedModel | None]:
        manifest = parse_manifest(json.loads((folder / "manifest.json").read_text()))
        if folder.name != manifest.version or folder.parent.name != manifest.name:
            raise ManifestError(
                "manifest.version",
                f"{folder} must be laid out as <name>/<version> = {manifest.name}/"
                f"{manifest.version}",
            )
        onnx_path = folder / "model.onnx"
        mtime = max(os.stat(onnx_path).st_mtime, os.stat(folder / "manifest.json").st_mtime)
        current = self._models.get(manifest.key)
        if current is not None and current.mtime == mtime:
            return manifest.key, None
        return manifest.key, LoadedModel(manifest, _session(onnx_path, manifest), folder, mtime)


def _session(path: Path, manifest: DktManifest) -> Any:
    import onnxruntime as ort  # serving dependency; imported only when a model exists

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one response is tiny; threads only add overhead
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names_in = {i.name for i in session.get_inputs()}
    names_out = {o.name for o in session.get_outputs()}
    missing = [n for n in manifest.inputs.values() if n not in names_in] + [
        n for n in manifest.outputs.values() if n not in names_out
    ]
    if missing:
        raise ManifestError("manifest.inputs", f"model.onnx has no tensors named {missing}")
    return session

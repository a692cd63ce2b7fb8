"""Where the shipped DKT artifacts live, found without importing the training code.

The distribution ships ``models/artifacts/<name>/<version>/{model.onnx, manifest.json}`` as
package data of the ``models`` package (the offline side). The engine depends only on those
files, never on ``models``' Python code: ``importlib.util.find_spec`` locates a top-level
package without executing it, so serving imports no ``models.*`` module (and none of the
training dependencies behind the ``train`` extra). The same lookup works from a checkout, an
editable install and an installed wheel.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SHIPPED_PACKAGE = "attune.models"
ARTIFACTS_FOLDER = "artifacts"


def shipped_models_dir() -> Path | None:
    """The folder of the shipped DKT artifacts, or ``None`` when none is installed."""
    try:
        spec = importlib.util.find_spec(SHIPPED_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.submodule_search_locations is None:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / ARTIFACTS_FOLDER
        if folder.is_dir():
            return folder
    return None

"""The DKT artifact contract: ``model.onnx`` plus ``manifest.json`` in one folder.

The ONNX graph is a *single step* of the LSTM, so serving a response costs the same whatever
the learner's history length:

=========  ==========  ===================  ================================================
role       dtype       shape                meaning
=========  ==========  ===================  ================================================
input      int64       [batch]              interaction = skill_index + num_skills * correct
input      float32     [batch, hidden]      h, the LSTM hidden state (zeros for a new learner)
input      float32     [batch, hidden]      c, the LSTM cell state (zeros for a new learner)
output     float32     [batch, num_skills]  P(correct) of the *next* answer on every skill
output     float32     [batch, hidden]      h after the step
output     float32     [batch, hidden]      c after the step
=========  ==========  ===================  ================================================

The tensor names are in the manifest (``inputs`` and ``outputs``). The manifest's other
fields: ``name``, ``version`` (semver), ``kind`` ("dkt-step"), ``num_skills``,
``hidden_size``, ``skill_index`` (skill id -> index), ``encoding`` (the formula above, as
text), ``training_data_sha256`` and ``metrics``. This module is pure: it parses and checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from attune.engine.domain.course import Course
from attune.engine.domain.errors import InvalidInputError

KIND = "dkt-step"
ENCODING = "skill_index + num_skills * correct"
INPUT_ROLES = ("interaction", "h", "c")
OUTPUT_ROLES = ("p_correct", "h", "c")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class ManifestError(InvalidInputError):
    """A manifest that cannot be served; ``field`` names the offending field."""


@dataclass(frozen=True, slots=True)
class DktManifest:
    """A parsed, checked manifest."""

    name: str
    version: str
    num_skills: int
    hidden_size: int
    skill_index: Mapping[str, int]
    inputs: Mapping[str, str]  # role -> tensor name
    outputs: Mapping[str, str]
    training_data_sha256: str
    metrics: Mapping[str, Any]

    @property
    def key(self) -> str:
        """``name@version``, the id a course pins."""
        return f"{self.name}@{self.version}"

    def interaction(self, skill_id: str, correct: bool) -> int:
        """The encoded interaction of one answer on one skill."""
        return self.skill_index[skill_id] + self.num_skills * int(correct)

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json``."""
        return {
            "name": self.name,
            "version": self.version,
            "kind": KIND,
            "num_skills": self.num_skills,
            "hidden_size": self.hidden_size,
            "skill_index": dict(self.skill_index),
            "encoding": ENCODING,
            "inputs": dict(self.inputs),
            "outputs": dict(self.outputs),
            "training_data_sha256": self.training_data_sha256,
            "metrics": dict(self.metrics),
        }


def parse_manifest(data: object) -> DktManifest:
    """Check and parse ``manifest.json`` data; raises :class:`ManifestError` naming the field."""
    if not isinstance(data, Mapping):
        raise ManifestError("manifest", "must be a JSON object")
    name = _get(data, "name", str)
    if not _NAME.match(name):
        raise ManifestError("manifest.name", "lowercase letters, digits, '.', '_' or '-'")
    version = _get(data, "version", str)
    if not _SEMVER.match(version):
        raise ManifestError("manifest.version", f"must be semver (1.2.3), got {version!r}")
    if _get(data, "kind", str) != KIND:
        raise ManifestError("manifest.kind", f"must be {KIND!r}")
    if _get(data, "encoding", str) != ENCODING:
        raise ManifestError("manifest.encoding", f"must be {ENCODING!r}")
    num_skills = _get(data, "num_skills", int)
    hidden = _get(data, "hidden_size", int)
    if num_skills < 1 or hidden < 1:
        raise ManifestError("manifest.num_skills", "num_skills and hidden_size must be >= 1")
    index = _get(data, "skill_index", Mapping)
    if sorted(index.values()) != list(range(num_skills)):
        raise ManifestError("manifest.skill_index", f"must map skills onto 0..{num_skills - 1}")
    inputs = _roles(_get(data, "inputs", Mapping), INPUT_ROLES, "manifest.inputs")
    outputs = _roles(_get(data, "outputs", Mapping), OUTPUT_ROLES, "manifest.outputs")
    return DktManifest(
        name=name,
        version=version,
        num_skills=num_skills,
        hidden_size=hidden,
        skill_index={str(k): int(v) for k, v in index.items()},
        inputs=inputs,
        outputs=outputs,
        training_data_sha256=_get(data, "training_data_sha256", str),
        metrics=dict(_get(data, "metrics", Mapping)),
    )


def check_course(manifest: DktManifest, course: Course) -> None:
    """Refuse a model that does not know every skill of the course, naming the missing ones."""
    missing = [s for s in course.skills if s not in manifest.skill_index]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise ManifestError(
            "course.dkt_model",
            f"model {manifest.key} does not know skills of course {course.course_id!r}: {shown}",
        )


def _get(data: Mapping[str, Any], key: str, kind: type) -> Any:
    if key not in data:
        raise ManifestError(f"manifest.{key}", "is required")
    value = data[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ManifestError(f"manifest.{key}", "must be an integer")
    if not isinstance(value, kind):
        raise ManifestError(f"manifest.{key}", f"must be a {kind.__name__}")
    return value


def _roles(raw: Mapping[str, Any], roles: tuple[str, ...], field: str) -> dict[str, str]:
    if set(raw) != set(roles) or not all(isinstance(v, str) and v for v in raw.values()):
        raise ManifestError(field, f"must name exactly the tensors {', '.join(roles)}")
    return {k: str(v) for k, v in raw.items()}

"""The DKT artifact contract, the registry (versions, pins, hot reload) and the tracer."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from attune.engine.dkt.manifest import ManifestError, check_course, parse_manifest
from attune.engine.dkt.registry import ModelRegistry
from attune.engine.dkt.tracer import OnnxTracer
from attune.engine.domain.course import Item, Skill, build_course
from tests.support.dkt_artifact import write_artifact

SKILLS = ["a", "b", "c"]


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


@pytest.fixture(scope="module")
def artifact_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    write_artifact(root, "toy", "1.0.0", SKILLS)
    write_artifact(root, "toy", "1.2.0", SKILLS, seed=1)
    write_artifact(root, "toy", "1.10.0-rc.1", SKILLS, seed=2)
    return root


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda m: m.pop("num_skills"), "manifest.num_skills"),
        (lambda m: m.update(version="v1"), "manifest.version"),
        (lambda m: m.update(kind="rnn"), "manifest.kind"),
        (lambda m: m.update(skill_index={"a": 0, "b": 0, "c": 2}), "manifest.skill_index"),
        (lambda m: m.update(outputs={"p_correct": "p"}), "manifest.outputs"),
        (lambda m: m.update(hidden_size=True), "manifest.hidden_size"),
    ],
)
def test_bad_manifests_name_the_field(artifact_root: Path, mutate, field: str) -> None:
    data = _manifest(artifact_root / "toy" / "1.0.0")
    mutate(data)
    with pytest.raises(ManifestError) as err:
        parse_manifest(data)
    assert err.value.field == field


def test_course_mismatch_names_the_missing_skills(artifact_root: Path) -> None:
    manifest = parse_manifest(_manifest(artifact_root / "toy" / "1.0.0"))
    course = build_course("k", [Skill("a"), Skill("zz"), Skill("yy")], [Item("i", ("a",))])
    with pytest.raises(ManifestError, match="zz, yy"):
        check_course(manifest, course)


def test_registry_resolves_pins_and_newest(artifact_root: Path) -> None:
    registry = ModelRegistry(artifact_root)
    changes = registry.reload()
    assert set(changes.values()) == {"loaded"}
    assert registry.keys() == ["toy@1.0.0", "toy@1.10.0-rc.1", "toy@1.2.0"]
    assert registry.resolve("toy@1.0.0").manifest.version == "1.0.0"
    assert registry.resolve("toy").manifest.version == "1.10.0-rc.1"  # semver, not text order
    assert registry.resolve("nope") is None and registry.resolve("") is None
    assert registry.reload() == {}  # nothing changed, nothing reloaded


def test_hot_reload_adds_removes_and_survives_a_broken_artifact(tmp_path: Path) -> None:
    write_artifact(tmp_path, "toy", "1.0.0", SKILLS)
    registry = ModelRegistry(tmp_path)
    registry.reload()
    write_artifact(tmp_path, "toy", "2.0.0", SKILLS, seed=3)
    broken = tmp_path / "toy" / "3.0.0"
    broken.mkdir()
    (broken / "manifest.json").write_text("{}")
    changes = registry.reload()
    assert changes["toy@2.0.0"] == "loaded"
    assert changes[str(broken)].startswith("refused")
    assert registry.resolve("toy").manifest.version == "2.0.0"
    shutil.rmtree(tmp_path / "toy" / "2.0.0")  # roll back by removing the new version
    assert registry.reload()["toy@2.0.0"] == "removed"
    assert registry.resolve("toy").manifest.version == "1.0.0"


def test_misplaced_artifact_is_refused(tmp_path: Path) -> None:
    folder = write_artifact(tmp_path, "toy", "1.0.0", SKILLS)
    folder.rename(tmp_path / "toy" / "9.9.9")
    registry = ModelRegistry(tmp_path)
    changes = registry.reload()
    assert registry.keys() == []
    assert "must be laid out" in next(iter(changes.values()))


async def test_batched_steps_equal_unbatched(artifact_root: Path) -> None:
    registry = ModelRegistry(artifact_root)
    registry.reload()
    model = registry.resolve("toy@1.0.0")
    batched, plain = OnnxTracer(registry, batching=True), OnnxTracer(registry, batching=False)
    xs = [0, 1, 2, 3, 4, 5] * 5
    together = await asyncio.gather(*[batched.step(model, x, None, None) for x in xs])
    alone = [await plain.step(model, x, None, None) for x in xs]
    for (p1, h1, _c1), (p2, h2, _c2) in zip(together, alone, strict=True):
        assert max(abs(a - b) for a, b in zip(p1, p2, strict=True)) < 1e-6
        assert max(abs(a - b) for a, b in zip(h1, h2, strict=True)) < 1e-6
    assert batched.steps == len(xs) and batched.batches < len(xs)
    assert plain.batches == len(xs)
    batched.close()
    plain.close()

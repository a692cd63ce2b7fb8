"""Attune's course package format (issue 13): loading, every problem with its place, hostile
zips, the skills CSV, the published schemas and ``attune content validate``."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from attune.content.model import ITEM_TYPES
from attune.content.package import PackageError, Problem, load_package, source, validate_package
from attune.content.package.schema import SCHEMA_FILES, load_schema
from attune.content.package.semantics import MAX_ID_CHARS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "tests" / "data" / "packages"
VALID = PACKAGES / "valid"


def _zip(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def _messages(path: Path) -> set[tuple[str, str, str, str]]:
    package, problems = validate_package(path)
    assert package is None
    return {(p.file, p.where, p.field, p.message) for p in problems}


def test_the_valid_package_loads_every_item_type_skill_and_media() -> None:
    package = load_package(VALID)
    assert (package.course_id, package.title, package.version) == (
        "fractions-101",
        "Fractions, first steps",
        "1.0",
    )
    assert [s.skill_id for s in package.skills] == ["halves", "equivalent", "adding", "algebra"]
    assert {item.type for item in package.items} == set(ITEM_TYPES)
    assert len(package.items) == 8
    assert (package.mastery_threshold, package.mastery_min_attempts) == (0.95, 3)
    assert package.mastery_consecutive_correct == 2
    halves = package.skill("halves")
    assert halves is not None and (halves.prior, halves.learn, halves.guess, halves.slip) == (
        0.2,
        0.15,
        0.2,
        0.1,
    )
    assert halves.resources[0].kind == "video"
    frac1 = package.item("frac-1")
    assert frac1 is not None and frac1.choices[0].correct and not frac1.choices[1].correct
    assert frac1.choices[1].feedback_html == "That is one quarter."
    assert (frac1.irt_a, frac1.irt_b, frac1.irt_c) == (1.2, -0.5, 0.25)
    assert frac1.media[0].alt == "A circle, half shaded"
    frac2 = package.item("frac-2")
    assert frac2 is not None and frac2.partial_credit and frac2.choices[2].weight == -0.5
    frac5 = package.item("frac-5")
    assert frac5 is not None and frac5.numeric_answers[1].tolerance_mode == "relative"
    assert frac5.numeric_answers[1].units == ("%", "percent")
    frac6 = package.item("frac-6")
    assert frac6 is not None and frac6.math_answer is not None
    assert frac6.math_answer.expression == "x" and frac6.skill_ids == ("algebra", "adding")
    assert package.media["media/half.png"].startswith(b"\x89PNG")


def test_a_zip_of_the_package_or_of_its_folder_loads_the_same(tmp_path: Path) -> None:
    flat = load_package(_zip(VALID, tmp_path / "flat.zip"))
    wrapped = load_package(_zip(VALID, tmp_path / "wrapped.zip", prefix="fractions/"))
    assert flat == wrapped == load_package(VALID)
    assert flat.media == load_package(VALID).media


def test_skills_from_a_csv_with_prerequisites_and_empty_cells() -> None:
    package = load_package(PACKAGES / "csv-skills")
    place, rounding, comparing = package.skills
    assert (place.skill_id, place.prior, place.forget) == ("place-value", 0.3, 0.0)
    assert rounding.prerequisites == ("place-value",) and rounding.prior is None
    assert comparing.prerequisites == ("place-value", "rounding") and comparing.forget == 0.02


BROKEN = {
    (
        "course.yaml",
        "course",
        "colour",
        "unknown field; known: description, format, id, mastery, skills, title, version",
    ),
    ("course.yaml", "course", "version", "1.0 is not text; quote it"),
    ("course.yaml", "skill a", "id", "duplicate skill id (first in course.yaml: skill a)"),
    ("course.yaml", "skill a", "prerequisites", "prerequisite cycle: a -> c -> b -> a"),
    (
        "course.yaml",
        "skill c",
        "guess",
        "guess + slip = 1.1; it must be below 1 (else a correct answer is no evidence of mastery)",
    ),
    ("course.yaml", "skill d", "prior", "1.5 is greater than the maximum of 1"),
    ("items/items.yaml", "item at [3]", "id", "required"),
    (
        "items/items.yaml",
        "item at [3]",
        "type",
        "'essay' is not one of ['choice', "
        "'multiple_response', 'text_entry', 'numeric', 'inline_choice', 'math', 'extended_text']",
    ),
    ("items/items.yaml", "item i-1", "choices", "no choice is correct"),
    ("items/items.yaml", "item i-1", "id", "duplicate item id (first in items/items.yaml)"),
    ("items/items.yaml", "item i-1", "skills[1]", "unknown skill 'ghost'"),
    ("items/items.yaml", "item i-1", "stem", "'media/missing.png' is not in the package"),
    ("items/items.yaml", "item i-2", "numeric_answers[0].value", "required"),
    ("items/long.json", "item " + "x" * 64 + "…", "id", "300 characters; the limit is 256"),
    (
        "items/long.json",
        "item " + "x" * 64 + "…",
        "media[0].path",
        "'media/nothere.png' is not in the package",
    ),
    ("items/notes.txt", "", "", "not an item file (.yaml, .yml or .json)"),
}


def test_the_broken_package_reports_every_problem_with_its_place_sorted() -> None:
    package, problems = validate_package(PACKAGES / "broken")
    assert package is None
    assert {(p.file, p.where, p.field, p.message) for p in problems} == BROKEN
    assert problems == sorted(problems, key=lambda p: (p.file, p.where, p.field, p.message))
    with pytest.raises(PackageError) as caught:
        load_package(PACKAGES / "broken")
    assert list(caught.value.problems) == problems


def test_csv_problems_name_the_row_and_column() -> None:
    assert _messages(PACKAGES / "cycle-csv") == {
        ("skills.csv", "row 2 (skill p)", "prerequisites", "prerequisite cycle: p -> r -> q -> p"),
        ("skills.csv", "row 3 (skill q)", "prior", "'lots' is not a number"),
    }
    assert _messages(PACKAGES / "broken-csv") == {
        (
            "skills.csv",
            "row 1",
            "colour",
            "unknown column; known: skill_id, name, "
            "prerequisites, prior, learn, guess, slip, forget",
        ),
        (
            "course.yaml",
            "course",
            "skills",
            "no skills (give them in the course file or skills.csv)",
        ),
        ("items/i.yaml", "item q", "skills[0]", "unknown skill 'p'"),
    }


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VALID, tmp_path / "pkg"))


def test_yaml_aliases_tags_and_non_json_values_are_refused(tmp_path: Path) -> None:
    pkg = _copy(tmp_path)
    (pkg / "items" / "frac-8.yaml").write_text("a: &x [1, 2]\nb: [*x, *x]\n", encoding="utf-8")
    (pkg / "items" / "frac-7.yaml").write_text("!!python/object:os.system {}\n")
    (pkg / "items" / "frac-6.yaml").write_text("id: frac-6\nwhen: 2024-01-01\n")
    found = _messages(pkg)
    assert ("items/frac-8.yaml", "line 2", "", "YAML aliases (*name) are not allowed") in found
    [tag] = [m for m in found if m[0] == "items/frac-7.yaml"]
    assert "not valid YAML" in tag[3] and "python/object" in tag[3]
    assert ("items/frac-6.yaml", "", "when", "a date is not allowed here; quote it as text") in (
        found
    )


def test_a_bad_choice_set_and_wrong_answer_kinds_are_named(tmp_path: Path) -> None:
    pkg = _copy(tmp_path)
    (pkg / "items" / "extra.json").write_text(
        json.dumps(
            [
                {
                    "id": "n1",
                    "type": "numeric",
                    "stem": "s",
                    "skills": ["halves"],
                    "choices": [{"id": "a", "html": "A", "correct": True}],
                },
                {
                    "id": "m1",
                    "type": "multiple_response",
                    "stem": "s",
                    "skills": ["halves"],
                    "partial_credit": True,
                    "choices": [
                        {"id": "a", "html": "A", "correct": True, "weight": 1},
                        {"id": "a", "html": "B"},
                    ],
                },
            ]
        )
    )
    assert _messages(pkg) == {
        ("items/extra.json", "item n1", "choices", "a numeric item takes no choices"),
        ("items/extra.json", "item n1", "numeric_answers", "a numeric item needs numeric_answers"),
        ("items/extra.json", "item m1", "choices[1].id", "duplicate choice id 'a'"),
        (
            "items/extra.json",
            "item m1",
            "choices[1].weight",
            "partial_credit needs a weight on every choice",
        ),
    }


def test_an_id_at_the_engine_limit_passes_and_one_over_is_refused(tmp_path: Path) -> None:
    pkg = _copy(tmp_path)
    item = {
        "id": "y" * MAX_ID_CHARS,
        "type": "math",
        "stem": "s",
        "skills": ["halves"],
        "math_answer": "x",
    }
    (pkg / "items" / "limit.json").write_text(json.dumps(item))
    assert validate_package(pkg)[1] == []
    item["id"] = "y" * (MAX_ID_CHARS + 1)
    (pkg / "items" / "limit.json").write_text(json.dumps(item))
    [problem] = validate_package(pkg)[1]
    assert (problem.field, problem.message) == ("id", "257 characters; the limit is 256")


def _hostile(tmp_path: Path, name: str, data: bytes = b"x", mode: int = 0o100644) -> Path:
    target = _zip(VALID, tmp_path / "hostile.zip")
    with zipfile.ZipFile(target, "a") as z:
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        z.writestr(info, data)
    return target


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("/etc/passwd", "an absolute path"),
        ("../escape.txt", "a path with '..'"),
        ("media/../../escape.txt", "a path with '..'"),
        ("C:/windows.txt", "an absolute path"),
        ("media\\x.png", "a path with a backslash"),
    ],
)
def test_zip_entries_outside_the_package_are_refused(
    tmp_path: Path, entry: str, message: str
) -> None:
    assert _messages(_hostile(tmp_path, entry)) == {(entry, "", "", message)}


def test_a_zip_symlink_is_refused(tmp_path: Path) -> None:
    target = _hostile(tmp_path, "media/link.png", b"/etc/passwd", stat.S_IFLNK | 0o777)
    assert _messages(target) == {
        ("media/link.png", "", "", "a symbolic link; packages hold files only")
    }


def test_a_folder_symlink_is_refused(tmp_path: Path) -> None:
    pkg = _copy(tmp_path)
    (pkg / "media" / "secret.png").symlink_to("/etc/passwd")
    assert _messages(pkg) == {
        ("media/secret.png", "", "", "a symbolic link; packages hold files only")
    }


def test_a_zip_bomb_stops_at_the_limit_whatever_sizes_it_declares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "MAX_TOTAL_BYTES", 1_000_000)
    monkeypatch.setattr(source, "MAX_FILE_BYTES", 10_000_000)
    target = _hostile(tmp_path, "media/bomb.bin", b"\0" * 2_000_000)
    assert _messages(target) == {
        ("hostile.zip", "", "", "larger than 1000000 bytes uncompressed in all")
    }
    monkeypatch.setattr(source, "MAX_FILE_BYTES", 500_000)
    assert _messages(target) == {
        ("media/bomb.bin", "", "", "larger than 500000 bytes uncompressed")
    }


def test_too_many_files_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "MAX_FILES", 5)
    assert _messages(_zip(VALID, tmp_path / "many.zip")) == {
        ("many.zip", "", "", "more than 5 files")
    }
    assert _messages(VALID) == {("valid", "", "", "more than 5 files")}


def test_not_a_package_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert _messages(tmp_path / "notes.txt") == {
        ("notes.txt", "", "", "not a folder or a zip file")
    }
    assert _messages(tmp_path / "nowhere") == {("nowhere", "", "", "no such folder or file")}
    (tmp_path / "empty").mkdir()
    assert _messages(tmp_path / "empty") == {
        ("course.yaml", "", "", "missing: a package needs course.yaml or course.json at its top"),
        (
            "course.yaml",
            "course",
            "skills",
            "no skills (give them in the course file or skills.csv)",
        ),
        ("items/", "", "", "no item files"),
    }


def test_the_published_schemas_are_valid_draft_2020_12_and_accept_the_sample() -> None:
    import yaml

    for name in SCHEMA_FILES:
        schema = load_schema(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    course = yaml.safe_load((VALID / "course.yaml").read_text())
    assert not list(Draft202012Validator(load_schema("course.schema.json")).iter_errors(course))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_as_an_item_file_give_problems_or_an_item_never_an_exception(
    data: bytes,
) -> None:
    from attune.content.package.loader import _items, _Run

    run = _Run({"items/fuzz.yaml": data})
    _items(run)
    assert all(isinstance(p, Problem) and p.file == "items/fuzz.yaml" for p in run.problems)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "attune", "content", "validate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cli_exits_0_with_a_summary_for_a_sound_package() -> None:
    done = _cli(str(VALID))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"{VALID}: course fractions-101 version 1.0: 4 skills, 8 items, 1 media file; no problems"
    )


def test_the_cli_prints_each_problem_with_its_place_and_exits_1() -> None:
    done = _cli(str(PACKAGES / "broken"))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == len(BROKEN)
    assert "items/items.yaml: item i-2: numeric_answers[0].value: required" in lines
    assert "items/notes.txt: not an item file (.yaml, .yml or .json)" in lines
    assert done.stderr.strip() == f"attune: {len(BROKEN)} problems in {PACKAGES / 'broken'}"


def test_the_copied_limits_equal_the_engines() -> None:
    from attune.content.package import semantics
    from attune.engine.domain import limits

    for name in (
        "MAX_ID_CHARS",
        "MAX_NAME_CHARS",
        "MAX_SKILLS_PER_COURSE",
        "MAX_ITEMS_PER_COURSE",
        "MAX_PREREQUISITES_PER_SKILL",
        "MAX_SKILLS_PER_ITEM",
    ):
        assert getattr(semantics, name) == getattr(limits, name), name

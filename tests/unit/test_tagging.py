"""Suggested skill tags, the pure parts: text extraction, which items and skills, ranking,
the mapping file and applying it. A tiny bag-of-words embedder stands in for the model (the
real one is tested in tests/integration/test_tagging_model.py)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from attune.content.model import (
    Choice,
    ContentItem,
    ContentSkill,
    CoursePackage,
    Resource,
    TextAnswer,
)
from attune.content.package.problems import Problem
from attune.content.package.semantics import Placed, check_items
from attune.content.tagging import (
    EmbedderUnavailableError,
    TagMappingRow,
    TagSuggestion,
    WordLlamaEmbedder,
    apply_tag_mapping,
    cli,
    embedder,
    is_placeholder_skill,
    load_tag_mapping,
    needs_tags,
    read_tag_mapping,
    suggest_tags,
    write_tag_mapping,
)
from attune.content.tagging.mapping import MAX_MAPPING_BYTES
from attune.content.tagging.text import MAX_TEXT_CHARS, item_text, plain_text, skill_text

ROOT = Path(__file__).resolve().parents[2]
WORDS = ("fraction", "plant", "light", "angle", "common")


class BagOfWords:
    """Counts of a few words: texts sharing words point the same way. Records its calls."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.calls.append(list(texts))
        return np.array(
            [[text.lower().count(word) for word in WORDS] for text in texts], dtype=np.float32
        ).reshape(len(texts), len(WORDS))


def _item(item_id: str, stem: str, *skills: str) -> ContentItem:
    return ContentItem(item_id, "extended_text", f"<p>{stem}</p>", tuple(skills))


def _package(*items: ContentItem, skills: Sequence[ContentSkill] = ()) -> CoursePackage:
    default = (
        ContentSkill("general", "General"),
        ContentSkill("fractions", "Fractions"),
        ContentSkill("plants", "Plant light"),
    )
    return CoursePackage("c", "Course", "1", tuple(skills) or default, items)


# Text --------------------------------------------------------------------------------------


def test_plain_text_keeps_words_and_alt_text_and_drops_markup_scripts_and_styles() -> None:
    html = (
        "<p>Which&nbsp;picture shows <b>one half</b>?</p>"
        '<img src="media/h.png" alt="A circle, half shaded">'
        "<script>alert('x')</script><style>p{color:red}</style><ul><li>a</li><li>b</li></ul>"
    )
    assert plain_text(html) == "Which picture shows one half? A circle, half shaded a b"


def test_plain_text_reads_latex_as_words() -> None:
    assert plain_text(r"<p>\(\frac{3}{4} \times 2\)</p>") == "3/4 times 2"
    assert plain_text(r"$$\dfrac{1}{2}$$ of \[x^{2}\]") == "1/2 of x^2"


def test_plain_text_is_capped() -> None:
    assert len(plain_text("<p>" + "word " * 10_000 + "</p>")) == MAX_TEXT_CHARS


def test_item_text_is_stem_choices_typed_answers_solution_and_feedback_not_hints() -> None:
    item = ContentItem(
        "i",
        "choice",
        "<p>Stem</p>",
        ("s",),
        choices=(Choice("a", "<i>First</i>"), Choice("b", "Second")),
        text_answers=(TextAnswer("typed"),),
        hints_html=("a hint",),
        solution_html="<p>Solved</p>",
        general_feedback_html="Feedback",
    )
    assert item_text(item) == "Stem First Second typed Solved Feedback"


def test_skill_text_is_the_name_then_the_resource_titles() -> None:
    skill = ContentSkill("s", "Halves", resources=(Resource("What is a half?", "https://x.test"),))
    assert skill_text(skill) == "Halves. What is a half?"


# Which items and skills -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skill_id", "placeholder"),
    [
        ("general", True),
        ("unsorted", True),
        ("uncategorised", True),
        ("uncategorized", True),
        ("default", True),
        ("top", True),
        ("default-for-maths-101", True),
        ("fractions", False),
        ("generalisation", False),
        ("my-default", False),
    ],
)
def test_placeholder_skills(skill_id: str, placeholder: bool) -> None:
    assert is_placeholder_skill(skill_id) is placeholder


def test_an_item_needs_tags_with_no_skill_or_only_placeholders() -> None:
    assert needs_tags(_item("a", "x"))
    assert needs_tags(_item("a", "x", "general", "default-for-course"))
    assert not needs_tags(_item("a", "x", "general", "fractions"))


# Suggesting --------------------------------------------------------------------------------


def test_untagged_items_get_real_skills_best_first_and_tagged_items_none() -> None:
    package = _package(
        _item("f", "Add the fraction to the other fraction", "general"),
        _item("p", "A plant needs light", "general"),
        _item("done", "A plant in the light", "plants"),
    )
    suggestions = suggest_tags(package, embedder=BagOfWords(), top_k=3, min_score=0.0)
    assert suggestions == (
        TagSuggestion("f", "fractions", 1.0, 1),
        TagSuggestion("f", "plants", 0.0, 2),
        TagSuggestion("p", "plants", 1.0, 1),
        TagSuggestion("p", "fractions", 0.0, 2),
    )


def test_top_k_and_min_score_limit_the_suggestions() -> None:
    package = _package(_item("f", "fraction plant plant light", "general"))
    every = suggest_tags(package, embedder=BagOfWords(), top_k=3, min_score=-1.0)
    assert [(s.skill_id, s.rank) for s in every] == [("plants", 1), ("fractions", 2)]
    assert every[0].score > every[1].score > 0
    assert [s.skill_id for s in suggest_tags(package, embedder=BagOfWords(), top_k=1)] == ["plants"]
    high = suggest_tags(package, embedder=BagOfWords(), min_score=every[0].score + 0.01)
    assert high == ()


def test_an_item_with_no_words_the_model_knows_gets_no_suggestion() -> None:
    package = _package(_item("x", "Nothing known here", "general"))
    assert suggest_tags(package, embedder=BagOfWords()) == ()


def test_equal_scores_keep_the_packages_skill_order() -> None:
    skills = (ContentSkill("b", "fraction"), ContentSkill("a", "fraction"))
    package = _package(_item("x", "fraction", "general"), skills=skills)
    assert [s.skill_id for s in suggest_tags(package, embedder=BagOfWords())] == ["b", "a"]


def test_nothing_is_embedded_without_untagged_items_or_real_skills() -> None:
    fake = BagOfWords()
    assert suggest_tags(_package(_item("x", "fraction", "fractions")), embedder=fake) == ()
    only_placeholders = _package(
        _item("x", "fraction", "general"), skills=(ContentSkill("general", "General"),)
    )
    assert suggest_tags(only_placeholders, embedder=fake) == ()
    assert fake.calls == []


def test_top_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="top_k"):
        suggest_tags(_package(_item("x", "fraction", "general")), embedder=BagOfWords(), top_k=0)


def _course_words_package(count: int) -> CoursePackage:
    # Every item says "common" three times, as a course's questions share their phrasing; the
    # "Fractions" skill's name says it too. Only the item to tag is about plants.
    skills = (ContentSkill("fractions", "fraction common"), ContentSkill("plants", "plant"))
    items = [_item(f"t{n}", "fraction common common common", "fractions") for n in range(count)]
    items.append(_item("x", "plant common common common", "general"))
    return _package(*items, skills=skills)


def test_from_ten_items_what_all_items_share_is_taken_away_before_comparing() -> None:
    few = suggest_tags(_course_words_package(8), embedder=BagOfWords(), top_k=1)
    many = suggest_tags(_course_words_package(9), embedder=BagOfWords(), top_k=1)
    assert [s.skill_id for s in few] == ["fractions"]  # 9 items: the shared words win
    assert [s.skill_id for s in many] == ["plants"]  # 10 items: the distinct word wins


# The mapping file --------------------------------------------------------------------------


def _read(text: str) -> tuple[tuple[TagMappingRow, ...], list[Problem]]:
    return read_tag_mapping(text.encode(), "tags.csv")


def test_a_written_suggestion_file_confirms_nothing_until_the_instructor_does() -> None:
    text = write_tag_mapping([TagSuggestion("f", "fractions", 0.61234, 1)])
    assert text == "item_id,skill_id,confirmed,score,rank\nf,fractions,,0.6123,1\n"
    rows, problems = _read(text)
    assert problems == [] and rows == (TagMappingRow("tags.csv", 2, "f", "fractions", False),)
    package = _package(_item("f", "fraction", "general"))
    assert apply_tag_mapping(package, rows) == (package, [])


@pytest.mark.parametrize(
    ("cell", "confirmed"),
    [
        ("yes", True),
        ("TRUE", True),
        ("1", True),
        (" Yes ", True),
        ("", False),
        ("no", False),
        ("False", False),
        ("0", False),
    ],
)
def test_confirmed_values(cell: str, confirmed: bool) -> None:
    rows, problems = _read(f"item_id,skill_id,confirmed\nf,fractions,{cell}\n")
    assert problems == [] and [row.confirmed for row in rows] == [confirmed]


def test_a_file_without_the_confirmed_column_confirms_nothing() -> None:
    rows, problems = _read("skill_id,item_id\nfractions,f\n")
    assert problems == [] and rows == (TagMappingRow("tags.csv", 2, "f", "fractions", False),)


def test_bad_rows_are_located_by_line_and_column_and_left_out() -> None:
    text = (
        "item_id,skill_id,confirmed\n"
        "a,fractions,maybe\n"
        "\n"
        ",fractions,yes\n"
        "c,plants,yes,extra\n"
        "d,plants,yes\n"
    )
    rows, problems = _read(text)
    assert [row.item_id for row in rows] == ["d"] and rows[0].line == 6
    assert problems == [
        Problem(
            "tags.csv",
            "line 2",
            "confirmed",
            "'maybe' is not yes, true or 1 (or empty, no, false or 0)",
        ),
        Problem("tags.csv", "line 4", "item_id", "empty"),
        Problem("tags.csv", "line 5", "", "more cells than columns"),
    ]


def test_unknown_and_missing_columns_are_refused() -> None:
    rows, problems = _read("item,skill_id,confirmd\nf,fractions,yes\n")
    assert rows == ()
    assert {(p.where, p.field, p.message.split(";")[0]) for p in problems} == {
        ("line 1", "item", "unknown column"),
        ("line 1", "confirmd", "unknown column"),
        ("line 1", "item_id", "missing column"),
    }


def test_unreadable_files_are_problems_not_exceptions() -> None:
    assert read_tag_mapping(b"item_id,skill_id\n\xff\n", "t.csv") == (
        (),
        [Problem("t.csv", "", "", "not UTF-8 text (byte 17)")],
    )
    too_big = b"item_id,skill_id\n" + b"a,b\n" * (MAX_MAPPING_BYTES // 4)
    assert read_tag_mapping(too_big, "t.csv")[1][0].message.startswith("larger than")
    huge_cell = ("item_id,skill_id\na,b\nc," + "x" * 200_000 + "\n").encode()
    rows, problems = read_tag_mapping(huge_cell, "t.csv")
    assert [row.item_id for row in rows] == ["a"]
    assert problems[0].where == "line 3" and "unreadable CSV" in problems[0].message
    assert read_tag_mapping(b"", "t.csv")[0] == ()


def test_a_mapping_file_is_loaded_by_path_and_a_missing_one_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_bytes(b"item_id,skill_id,confirmed\nf,fractions,yes\n")
    assert load_tag_mapping(path) == ((TagMappingRow("tags.csv", 2, "f", "fractions", True),), [])
    rows, problems = load_tag_mapping(tmp_path / "absent.csv")
    assert rows == () and [(p.file, p.message) for p in problems] == [
        ("absent.csv", "cannot be read: No such file or directory")
    ]
    path.write_bytes(b"item_id,skill_id\n" + b"a,b\n" * (MAX_MAPPING_BYTES // 4))
    assert load_tag_mapping(path)[1][0].message.startswith("larger than")


@given(st.binary(max_size=400))
def test_any_bytes_give_rows_and_problems_never_an_exception(data: bytes) -> None:
    rows, problems = read_tag_mapping(b"item_id,skill_id,confirmed\n" + data, "t.csv")
    assert all(row.item_id and row.skill_id for row in rows)
    assert all(p.file == "t.csv" for p in problems)


# Applying ----------------------------------------------------------------------------------


def _rows(*rows: tuple[int, str, str, bool]) -> list[TagMappingRow]:
    return [TagMappingRow("tags.csv", *row) for row in rows]


def test_confirmed_rows_replace_an_items_skills_in_file_order() -> None:
    package = replace(
        _package(_item("f", "x", "general"), _item("p", "y", "general")),
        media={"media/a.png": b"png"},
    )
    rows = _rows(
        (2, "f", "plants", True),
        (3, "f", "fractions", True),
        (4, "f", "plants", True),  # the same again: once
        (5, "p", "fractions", False),  # not confirmed: no change
    )
    tagged, problems = apply_tag_mapping(package, rows)
    assert problems == []
    assert [item.skill_ids for item in tagged.items] == [("plants", "fractions"), ("general",)]
    assert tagged.media == {"media/a.png": b"png"} and tagged.skills == package.skills
    placed = [Placed("items.yaml", f"item {i.item_id}", i) for i in tagged.items]
    assert list(check_items(placed, {s.skill_id for s in tagged.skills}, set())) == []


def test_unknown_items_and_skills_are_located_and_block_only_their_item() -> None:
    package = _package(_item("f", "x", "general"), _item("p", "y", "general"))
    rows = _rows(
        (2, "nope", "fractions", True),
        (3, "f", "fractions", True),
        (4, "f", "fractoins", True),  # a typo: f keeps its skills
        (5, "p", "plants", True),
        (6, "p", "gone", False),  # unconfirmed: reported, p still changes
    )
    tagged, problems = apply_tag_mapping(package, rows)
    assert [item.skill_ids for item in tagged.items] == [("general",), ("plants",)]
    assert problems == [
        Problem("tags.csv", "line 2", "item_id", "no item 'nope'"),
        Problem("tags.csv", "line 4", "skill_id", "no skill 'fractoins'"),
        Problem("tags.csv", "line 6", "skill_id", "no skill 'gone'"),
    ]


def test_more_skills_than_the_engine_allows_for_one_item_are_refused() -> None:
    skills = tuple(ContentSkill(f"s{n}", f"S{n}") for n in range(40))
    package = _package(_item("f", "x", "s0"), skills=skills)
    tagged, problems = apply_tag_mapping(
        package, _rows(*((n + 2, "f", f"s{n}", True) for n in range(40)))
    )
    assert tagged.items == package.items
    assert problems[0].where == "line 34" and "more than 32 skills" in problems[0].message


# The command -------------------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_the_command_line_parses_and_refuses_a_top_k_below_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _args("pkg", "--out", "t.csv")
    assert (args.source, args.out, args.format, args.top_k) == (
        Path("pkg"),
        Path("t.csv"),
        "attune",
        3,
    )
    with pytest.raises(SystemExit):
        _args("pkg", "--out", "t.csv", "--top-k", "0")
    assert "not at least 1" in capsys.readouterr().err


def test_suggest_to_csv_writes_the_mapping_file(tmp_path: Path) -> None:
    out = tmp_path / "tags.csv"
    package = _package(_item("f", "fraction", "general"))
    assert cli.suggest_to_csv(package, out, BagOfWords()) == 1
    assert out.read_text() == "item_id,skill_id,confirmed,score,rank\nf,fractions,,1.0000,1\n"


def test_a_broken_package_prints_its_problems_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tags.csv"
    args = _args(str(ROOT / "tests" / "data" / "packages" / "broken"), "--out", str(out))
    assert cli.run(args) == 1
    captured = capsys.readouterr()
    assert "items/" in captured.out and "problem" in captured.err and not out.exists()


# The packaged model, without loading it ----------------------------------------------------


def test_importing_and_constructing_load_nothing() -> None:
    script = (
        "import sys\n"
        "from attune.content.tagging import WordLlamaEmbedder, embedder\n"
        "WordLlamaEmbedder()\n"
        "loaded = [m for m in ('tokenizers', 'safetensors', 'wordllama') if m in sys.modules]\n"
        "print(loaded, embedder._load.cache_info().currsize)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[] 0"


def test_a_missing_model_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise embedder.importlib.metadata.PackageNotFoundError(name)

    embedder._load.cache_clear()
    monkeypatch.setattr(embedder.importlib.metadata, "distribution", missing)
    with pytest.raises(EmbedderUnavailableError, match="wordllama package is not installed"):
        WordLlamaEmbedder().embed(["x"])
    embedder._load.cache_clear()

"""The Canvas importer: each question type maps exactly, unsupported ones are reported, media,
skills, hostile zips and malformed XML."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attune.content.importers.canvas import import_canvas_qti
from attune.content.importers.result import ImportResult
from attune.content.model import (
    Choice,
    ContentItem,
    CoursePackage,
    Media,
    NumericAnswer,
    TextAnswer,
)
from attune.content.package import source
from attune.content.package.semantics import Placed, check_items, check_skills

DATA = Path(__file__).resolve().parents[1] / "data" / "canvas"
COURSE = DATA / "course"
QUIZ_ID = "g5d0b5c8e2a7f41e9b3c6d8a0f2e4b6c1"
BANK_ID = "g0e7a1c3b5d9f24687ace13579bdf0246"
QUIZ_FILE = f"non_cc_assessments/{QUIZ_ID}.xml.qti"
BANK_FILE = f"non_cc_assessments/{BANK_ID}.xml.qti"
PNG = COURSE / "web_resources" / "Uploaded Media" / "pie chart.png"


def _import(data: bytes, file: str = "course.imscc") -> ImportResult:
    return import_canvas_qti(data, course_id="y7-maths", title="Year 7 Maths", file=file)


def _course_files() -> dict[str, bytes]:
    return {
        path.relative_to(COURSE).as_posix(): path.read_bytes()
        for path in sorted(COURSE.rglob("*"))
        if path.is_file()
    }


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive_file:
        for name, data in files.items():
            archive_file.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return _import((DATA / "course.imscc").read_bytes())


@pytest.fixture(scope="module")
def package(result: ImportResult) -> CoursePackage:
    assert result.package is not None
    return result.package


def _item(package: CoursePackage, ident: str) -> ContentItem:
    item = package.item(ident)
    assert item is not None, ident
    return item


def test_the_imscc_sample_holds_exactly_the_course_folder() -> None:
    with zipfile.ZipFile(DATA / "course.imscc") as imscc:
        zipped = {name: imscc.read(name) for name in imscc.namelist()}
    assert zipped == _course_files()


def test_multiple_choice_maps_choices_feedback_and_the_image(package: CoursePackage) -> None:
    item = _item(package, "g1c4e7a2b5d8f0369cea147b258d036e9")
    assert item.type == "choice" and not item.partial_credit
    assert item.choices == (
        Choice("3281", "1/4", True, "<p>Yes: one slice of four.</p>"),
        Choice("7090", "1/3", False, "<p>There are four slices, not three.</p>"),
        Choice("1526", "3/4", False, "<p>That is the part that is not shaded.</p>"),
    )
    assert item.general_feedback_html == (
        "<p>A fraction counts shaded parts over <em>equal</em> parts.</p>"
        "<p><strong>If your answer is right:</strong></p><p>Well done.</p>"
        "<p><strong>If your answer is wrong:</strong></p>"
        '<p>Count the equal slices first. See the <a href="#">fractions recap</a>.</p>'
    )
    alt = "A pie chart cut into four equal slices, one shaded"
    assert f'<img src="media/pie-chart.png" alt="{alt}"' in item.stem_html
    assert "IMS-CC-FILEBASE" not in item.stem_html
    assert item.media == (Media("media/pie-chart.png", "image/png", alt),)
    assert package.media == {"media/pie-chart.png": PNG.read_bytes()}
    assert (item.irt_a, item.irt_b, item.irt_c) == (1.0, 0.0, 0.0)


def test_true_false_is_a_choice_with_its_feedback(package: CoursePackage) -> None:
    item = _item(package, "g2d5f8b3c6e9a147d0fb258c36e9a147b")
    assert item.type == "choice"
    assert item.choices == (
        Choice("8511", "True", True),
        Choice(
            "2042", "False", False, "<p>Compare tenths first: 5 tenths is more than 4 tenths.</p>"
        ),
    )
    assert item.stem_html == "<div><p>0.5 is greater than 0.45.</p></div>"


def test_multiple_answers_scores_by_equal_weights_as_canvas_does(package: CoursePackage) -> None:
    item = _item(package, "g3e6a9c4d7f0b258e1ac369d47f0b258c")
    assert item.type == "multiple_response" and item.partial_credit
    assert [(c.html, c.correct, c.weight) for c in item.choices] == [
        ("2/4", True, 0.5),
        ("0.5", True, 0.5),
        ("5/8", False, -0.5),
        ("0.2", False, -0.5),
    ]
    assert item.choices[2].feedback_html == "<p>5/8 is more than 4/8.</p>"


def test_short_answer_accepts_each_answer_ignoring_case(package: CoursePackage) -> None:
    item = _item(package, "g4f7b0d5e8a1c369f2bd47a0e58b1c369")
    assert item.type == "text_entry"
    assert item.text_answers == (
        TextAnswer("0.3"),
        TextAnswer(".3", feedback_html="<p>Right; we usually write a leading zero: 0.3.</p>"),
        TextAnswer("0.30"),
    )
    assert (
        item.general_feedback_html
        == "<p><strong>If your answer is right:</strong></p><p>Right.</p>"
    )


def test_numerical_exact_with_margin_and_range_answers(package: CoursePackage) -> None:
    item = _item(package, "g5a8c1e6f9b2d47a03ce58b1f69c2d47a")
    assert item.type == "numeric"
    assert item.numeric_answers == (
        NumericAnswer(0.125, 0.0005, feedback_html="<p>Exactly.</p>"),
        NumericAnswer(
            12.5,
            0.1,
            feedback_html="<p>That is the percentage; it is accepted, but 1/8 = 0.125.</p>",
        ),
    )


def test_numerical_precision_answers_read_canvas_bigdecimal_notation(
    package: CoursePackage,
) -> None:
    # Canvas writes 3.14 to 3 significant figures as 0.314e1 within (0.3135e1, 0.3145e1].
    item = _item(package, "g6b9d2f7a0c3e58b14df69c2a70d3e58b")
    assert item.numeric_answers == (NumericAnswer(3.14, 0.005), NumericAnswer(3.14, 0.0))
    assert item.stem_html == "<div><p>Give \\(\\pi\\) to three significant figures.</p></div>"


def test_one_dropdown_is_an_inline_choice_with_the_blank_in_the_stem(
    package: CoursePackage,
) -> None:
    item = _item(package, "g7c0e3a8b1d4f69c25ea70d3b81e4f69c")
    assert item.type == "inline_choice"
    assert item.stem_html == "<div><p>In lowest terms, 6/8 is _____.</p></div>"
    assert item.choices == (
        Choice("7351", "3/4", True, "<p>Divide both by 2.</p>"),
        Choice("2289", "6/8", False),
        Choice("9914", "2/3", False),
    )


def test_one_fill_in_blank_is_a_text_entry(package: CoursePackage) -> None:
    item = _item(package, "g8d1f4b9c2e5a70d36fb81e4c92f5a70d")
    assert item.type == "text_entry"
    assert item.stem_html == "<div><p>A tenth of 50 is _____.</p></div>"
    assert item.text_answers == (
        TextAnswer("5", feedback_html="<p>Yes: 50 / 10 = 5.</p>"),
        TextAnswer("five"),
    )


def test_unsupported_types_and_features_are_skipped_and_located(result: ImportResult) -> None:
    skipped = {(p.file, p.where.split(" (")[0], p.field, p.message) for p in result.skipped}
    meta = "itemmetadata/qtimetadata"
    blanks = ": an Attune item has one answer field"
    assert skipped == {
        (
            QUIZ_FILE,
            "item g1c4e7a2b5d8f0369cea147b258d036e9",
            "itemfeedback[3]/flow_mat/material/mattext",
            "a link to another part of the Canvas course "
            "($WIKI_REFERENCE$/pages/fractions-recap) is cut",
        ),
        (
            QUIZ_FILE,
            "item g9e2a5c0d3f6b81e47ac92f5d03a6b81e",
            "presentation",
            f"fill_in_multiple_blanks_question with 2 blanks{blanks}",
        ),
        (
            QUIZ_FILE,
            "item g0f3b6d1e4a7c92f58bd03a6e14b7c92f",
            "presentation",
            f"multiple_dropdowns_question with 2 blanks{blanks}",
        ),
        (
            QUIZ_FILE,
            "item g1a4c7e2f5b8d03a69ce14b7f25c8d03a",
            meta,
            "essay_question is not scored automatically",
        ),
        (
            QUIZ_FILE,
            "item g2b5d8f3a6c9e14b70df25c8a36d9e14b",
            meta,
            "matching_question has no Attune item type",
        ),
        (
            QUIZ_FILE,
            "item g3c6e9a4b7d0f25c81ea36d9b47e0f25c",
            meta,
            "calculated_question (a formula question) has no Attune item type",
        ),
        (
            QUIZ_FILE,
            "item g4d7f0b5c8e1a36d92fb47e0c58f1a36d",
            meta,
            "file_upload_question is not scored automatically",
        ),
        (
            QUIZ_FILE,
            "item g5e8a1c6d9f2b47ea03c58f1d69a2b47e",
            meta,
            "text_only_question asks no question",
        ),
    }
    assert "item g1a4c7e2f5b8d03a69ce14b7f25c8d03a (Explain equivalent fractions)" in {
        p.where for p in result.skipped
    }
    assert result.problems == ()


def test_skills_are_the_quiz_the_group_and_the_bank(package: CoursePackage) -> None:
    assert {(s.skill_id, s.name) for s in package.skills} == {
        ("fractions-and-decimals-check", "Fractions and Decimals Check"),
        ("comparing-decimals-warm-up", "Comparing decimals warm-up"),
        ("decimals-bank", "Decimals bank"),
    }
    assert _item(package, "g1c4e7a2b5d8f0369cea147b258d036e9").skill_ids == (
        "fractions-and-decimals-check",
    )
    assert _item(package, "g3d8e5a0c7f4b1629de58a3c0f7b4e169").skill_ids == ("decimals-bank",)


def test_a_bank_question_copied_into_a_quiz_is_one_item_with_both_skills(
    package: CoursePackage,
) -> None:
    # The group's item names the bank's question in assessment_question_identifierref.
    item = _item(package, "g6f9b2d7e0a3c58fb14d69a2e70b3c58f")
    assert item.skill_ids == ("comparing-decimals-warm-up", "decimals-bank")
    assert package.item("g2c7d4f9b6e3a0518cd47f2b9e6a3d058") is None
    assert len(package.items) == 10


def test_the_package_passes_the_validators_semantic_checks(package: CoursePackage) -> None:
    skills = [Placed("course", s.skill_id, s) for s in package.skills]
    items = [Placed("items", i.item_id, i) for i in package.items]
    skill_ids = {s.skill_id for s in package.skills}
    assert list(check_skills(skills, ())) == []
    assert list(check_items(items, skill_ids, set(package.media))) == []
    assert len({i.item_id for i in package.items}) == len(package.items)
    assert package.course_id == "y7-maths" and package.title == "Year 7 Maths"


def test_the_cc_profile_qti_is_read_when_there_is_no_canvas_qti() -> None:
    files = {k: v for k, v in _course_files().items() if not k.startswith("non_cc_assessments/")}
    result = _import(_zip(files))
    assert result.package is not None, result.problems
    assert [(i.item_id, i.type) for i in result.package.items] == [
        ("g1c4e7a2b5d8f0369cea147b258d036e9", "choice"),
        ("g2d5f8b3c6e9a147d0fb258c36e9a147b", "choice"),
    ]
    assert result.package.items[0].choices[0] == Choice(
        "3281", "1/4", True, "<p>Yes: one slice of four.</p>"
    )


def test_a_bare_qti_file_imports_with_the_quiz_as_skill() -> None:
    result = _import((DATA / "quiz.xml").read_bytes(), file="quiz.xml")
    assert result.package is not None and result.problems == ()
    assert [(i.type, i.skill_ids) for i in result.package.items] == [
        ("numeric", ("percentages-quiz",)),
        ("text_entry", ("percentages-quiz",)),
        ("choice", ("percentages-quiz",)),
    ]
    assert result.package.items[0].numeric_answers == (
        NumericAnswer(12.0, 0.0, feedback_html="<p>15% of 80 = 0.15 × 80 = 12.</p>"),
    )
    ((file, where, message),) = [(p.file, p.where, p.message) for p in result.skipped]
    assert (file, where) == ("quiz.xml", "item g9b4c1e6a3d0f7285bc14e9a6d3f0b725 (Why percentages)")
    assert message == "essay_question is not scored automatically"


def test_a_qti_export_zip_is_read_through_its_manifest() -> None:
    manifest = (
        '<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
        '<resource identifier="q1" type="imsqti_xmlv1p2"><file href="q1/q%201.xml"/>'
        '<dependency identifierref="q1meta"/></resource>'
        '<resource identifier="q1meta"'
        ' type="associatedcontent/imscc_xmlv1p1/learning-application-resource"'
        ' href="q1/assessment_meta.xml"><file href="q1/assessment_meta.xml"/></resource>'
        "</resources></manifest>"
    )
    files = {
        "imsmanifest.xml": manifest.encode(),
        "q1/q 1.xml": (DATA / "quiz.xml").read_bytes(),
        "q1/assessment_meta.xml": b"<quiz><title>Percentages Quiz</title></quiz>",
    }
    result = _import(_zip(files), file="export.zip")
    assert result.package is not None
    assert len(result.package.items) == 3
    assert {p.file for p in result.skipped} == {"q1/q 1.xml"}


def _qti(items: str, title: str = "Quiz") -> bytes:
    return (
        '<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2">'
        f'<assessment ident="a1" title="{title}"><section ident="root_section">{items}'
        "</section></assessment></questestinterop>"
    ).encode()


def _choice_item(ident: str = "q1", stem: str = "&lt;p&gt;Pick&lt;/p&gt;", extra: str = "") -> str:
    return (
        f'<item ident="{ident}" title="Pick"><itemmetadata><qtimetadata><qtimetadatafield>'
        "<fieldlabel>question_type</fieldlabel><fieldentry>multiple_choice_question</fieldentry>"
        "</qtimetadatafield></qtimetadata></itemmetadata>"
        f'<presentation><material><mattext texttype="text/html">{stem}</mattext></material>'
        '<response_lid ident="response1" rcardinality="Single"><render_choice>'
        '<response_label ident="1"><material><mattext>A</mattext></material></response_label>'
        '<response_label ident="2"><material><mattext>B</mattext></material></response_label>'
        "</render_choice></response_lid></presentation><resprocessing><outcomes>"
        '<decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/></outcomes>'
        '<respcondition continue="No"><conditionvar><varequal respident="response1">1</varequal>'
        f'</conditionvar><setvar action="Set" varname="SCORE">100</setvar></respcondition>{extra}'
        "</resprocessing></item>"
    )


def _numeric_item(conditionvar: str) -> str:
    return (
        '<item ident="n1" title="Number"><itemmetadata><qtimetadata><qtimetadatafield>'
        "<fieldlabel>question_type</fieldlabel><fieldentry>numerical_question</fieldentry>"
        "</qtimetadatafield></qtimetadata></itemmetadata>"
        "<presentation><material><mattext>How many?</mattext></material></presentation>"
        f"<resprocessing><respcondition><conditionvar>{conditionvar}</conditionvar>"
        '<setvar action="Set" varname="SCORE">100</setvar></respcondition></resprocessing></item>'
    )


def test_item_ids_are_slugged_unique_and_stable() -> None:
    data = _qti(_choice_item("Q 1") + _choice_item("q-1") + _choice_item(""))
    first, again = _import(data), _import(data)
    assert first.package is not None and again.package is not None
    ids = [item.item_id for item in first.package.items]
    assert ids == ["q-1", "q-1-2", "item"]
    assert ids == [item.item_id for item in again.package.items]


def test_a_link_to_a_file_not_in_the_export_leaves_the_item_out() -> None:
    stem = escape('<img src="$IMS-CC-FILEBASE$/gone.png" alt="Gone">')
    result = _import(_qti(_choice_item(stem=stem) + _choice_item("q2")))
    assert result.package is not None and [i.item_id for i in result.package.items] == ["q2"]
    ((where, field, message),) = [(p.where, p.field, p.message) for p in result.problems]
    assert (where, field) == ("item q1 (Pick)", "presentation/material/mattext")
    assert message == "'gone.png' is linked but not in the export"


def test_an_image_without_alt_text_leaves_the_item_out() -> None:
    files = _course_files()
    stem = escape('<img src="%24IMS-CC-FILEBASE%24/Uploaded%20Media/pie%20chart.png">')
    files[QUIZ_FILE] = _qti(_choice_item(stem=stem) + _choice_item("q2"))
    result = _import(_zip(files))
    assert any(
        p.message == "the image 'Uploaded Media/pie chart.png' has no alt text"
        for p in result.problems
    )
    assert result.package is not None and result.package.item("q1") is None


def test_an_inexpressible_numeric_answer_is_skipped_and_a_bad_number_is_a_problem() -> None:
    open_range = _numeric_item('<vargte respident="response1">3</vargte>')
    result = _import(_qti(open_range))
    assert result.package is None
    assert [(p.field, p.message) for p in result.skipped] == [
        ("resprocessing", "no answer is left, so the question is left out"),
        ("resprocessing/respcondition/conditionvar", "an answer with an open range is left out"),
    ]
    bad = _import(_qti(_numeric_item('<varequal respident="response1">three</varequal>')))
    assert ("resprocessing/respcondition/conditionvar/varequal", "'three' is not a number") in {
        (p.field, p.message) for p in bad.problems
    }


def test_a_group_drawing_from_a_bank_not_in_the_export_is_reported() -> None:
    section = (
        '<section ident="s1" title="Random"><selection_ordering><selection>'
        "<sourcebank_ref>12345</sourcebank_ref><selection_number>2</selection_number>"
        "</selection></selection_ordering></section>"
    )
    result = _import(_qti(_choice_item() + section))
    assert [(p.where, p.message) for p in result.skipped] == [
        (
            "question group Random",
            "the group draws from question bank '12345', which is not in the export",
        )
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("/etc/passwd", "an absolute path"),
        ("../../evil.xml", "a path with '..'"),
        ("web_resources\\a.png", "a path with a backslash"),
    ],
)
def test_a_hostile_zip_entry_is_refused(entry: str, message: str) -> None:
    files = _course_files() | {entry: b"x"}
    result = _import(_zip(files))
    assert result.package is None
    assert [(p.file, p.message) for p in result.problems] == [(entry, message)]


def test_a_symbolic_link_in_the_zip_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive_file:
        for name, data in _course_files().items():
            archive_file.writestr(name, data)
        link = zipfile.ZipInfo("web_resources/link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive_file.writestr(link, "/etc/passwd")
    result = _import(buffer.getvalue())
    assert result.package is None
    assert [p.message for p in result.problems] == ["a symbolic link; packages hold files only"]


def test_a_zip_bomb_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "MAX_FILE_BYTES", 100_000)
    files = _course_files() | {"web_resources/bomb.bin": b"\0" * 10_000_000}
    data = _zip(files)
    assert len(data) < 100_000
    result = _import(data)
    assert result.package is None
    assert [(p.file, p.message) for p in result.problems] == [
        ("web_resources/bomb.bin", "larger than 100000 bytes uncompressed")
    ]


def test_too_many_files_or_bytes_in_all_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "MAX_FILES", 3)
    result = _import((DATA / "course.imscc").read_bytes())
    assert [p.message for p in result.problems] == ["more than 3 files"]
    monkeypatch.setattr(source, "MAX_FILES", 5000)
    monkeypatch.setattr(source, "MAX_TOTAL_BYTES", 1000)
    result = _import((DATA / "course.imscc").read_bytes())
    assert result.package is None
    assert [p.message for p in result.problems] == [
        f"larger than {source.MAX_TOTAL_BYTES} bytes uncompressed in all"
    ]


def test_a_damaged_zip_is_a_problem() -> None:
    data = (DATA / "course.imscc").read_bytes()
    result = _import(data[: len(data) // 2])
    assert result.package is None
    assert result.problems[0].message.startswith("unreadable zip")


def test_malformed_xml_in_the_export_is_located_and_the_rest_imported() -> None:
    files = _course_files() | {BANK_FILE: b"<questestinterop><objectbank></questestinterop>"}
    result = _import(_zip(files))
    assert result.package is not None and len(result.package.items) == 9
    assert [(p.file, p.where, p.message) for p in result.problems] == [
        (BANK_FILE, "line 1, column 32", "not well-formed XML: mismatched tag")
    ]


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (
            b"<questestinterop><item></questestinterop>",
            "line 1, column 26",
            "not well-formed XML: mismatched tag",
        ),
        (b"", "line 1, column 1", "not well-formed XML: no element found"),
        (b"<quiz/>", "", "the root element is <quiz>, not <questestinterop>"),
    ],
)
def test_a_malformed_bare_file_is_a_problem_not_an_exception(
    data: bytes, where: str, message: str
) -> None:
    result = _import(data, file="quiz.xml")
    assert result.package is None and result.skipped == ()
    assert [(p.file, p.where, p.message) for p in result.problems] == [("quiz.xml", where, message)]


def test_a_billion_laughs_payload_is_refused_unexpanded() -> None:
    lol = b"".join(
        b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">'
        % ((i,) + (i - 1,) * 10)
        for i in range(1, 10)
    )
    data = (
        b'<?xml version="1.0"?><!DOCTYPE questestinterop [<!ENTITY l0 "lol">'
        + lol
        + b"]><questestinterop>&l9;</questestinterop>"
    )
    result = _import(data, file="quiz.xml")
    assert result.package is None
    (problem,) = result.problems
    assert "DTD" in problem.message


def test_an_external_entity_in_the_manifest_is_refused() -> None:
    files = {k: v for k, v in _course_files().items() if not k.startswith("non_cc_assessments/")}
    files["imsmanifest.xml"] = (
        b'<!DOCTYPE manifest [<!ENTITY x SYSTEM "file:///etc/passwd">]><manifest>&x;</manifest>'
    )
    result = _import(_zip(files))
    assert result.package is None
    assert [p.file for p in result.problems] == ["imsmanifest.xml"]


def test_a_bad_course_id_or_title_is_refused() -> None:
    result = import_canvas_qti((DATA / "quiz.xml").read_bytes(), course_id="a b", title=" ")
    assert result.package is None
    assert {p.field for p in result.problems} == {"course_id", "title"}


def test_a_zip_without_quizzes_is_a_problem() -> None:
    result = _import(_zip({"web_resources/a.txt": b"hello"}))
    assert result.package is None
    assert [p.message for p in result.problems] == [
        "no non_cc_assessments/*.xml.qti and no imsmanifest.xml: not a Canvas or QTI export"
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=400)
    | st.text(max_size=400).map(lambda t: f"<questestinterop>{t}</questestinterop>".encode())
)
def test_any_bytes_give_a_result_never_an_exception(data: bytes) -> None:
    result = _import(data)
    assert isinstance(result, ImportResult)
    assert result.package is not None or result.problems


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_export_gives_a_result_never_an_exception(data: st.DataObject) -> None:
    original = bytearray((DATA / "course.imscc").read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        original[data.draw(st.integers(0, len(original) - 1))] = data.draw(st.integers(0, 255))
    result = _import(bytes(original))
    assert result.package is not None or result.problems


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=200),
    st.sampled_from(["text/html", "text/plain", ""]),
    st.sampled_from(
        ["multiple_choice_question", "numerical_question", "short_answer_question", "x", ""]
    ),
    st.text(max_size=20),
)
def test_any_item_text_type_or_value_gives_a_result_never_an_exception(
    text: str, texttype: str, kind: str, value: str
) -> None:
    body = escape("".join(c for c in text if c.isprintable()))
    clean = escape("".join(c for c in value if c.isprintable()))
    item = (
        '<item ident="i"><itemmetadata><qtimetadata><qtimetadatafield>'
        f"<fieldlabel>question_type</fieldlabel><fieldentry>{kind}</fieldentry>"
        "</qtimetadatafield></qtimetadata></itemmetadata><presentation><material>"
        f'<mattext texttype="{texttype}">{body}</mattext></material>'
        '<response_lid ident="r"><render_choice><response_label ident="a"/>'
        f'<response_label ident="{clean or "b"}"/></render_choice></response_lid></presentation>'
        f'<resprocessing><respcondition><conditionvar><varequal respident="r">{clean}</varequal>'
        f"<vargte>{clean}</vargte><varlte>{clean}</varlte></conditionvar>"
        f"<setvar>{clean}</setvar></respcondition></resprocessing></item>"
    )
    result = _import(_qti(item), file="quiz.xml")
    assert result.package is not None or result.problems
    if result.package is not None:
        placed = [Placed("quiz.xml", i.item_id, i) for i in result.package.items]
        skill_ids = {s.skill_id for s in result.package.skills}
        assert list(check_items(placed, skill_ids, set(result.package.media))) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_elements_or_attributes_removed_give_a_result_never_an_exception(
    data: st.DataObject,
) -> None:
    # Structure-level damage: the readers meet every partial shape of Canvas's QTI.
    root = ElementTree.fromstring((COURSE / QUIZ_FILE).read_bytes())
    elements = list(root.iter())
    for _ in range(data.draw(st.integers(1, 12))):
        victim = elements[data.draw(st.integers(1, len(elements) - 1))]
        if victim.attrib and data.draw(st.booleans()):
            victim.attrib.pop(data.draw(st.sampled_from(sorted(victim.attrib))))
            continue
        for parent in root.iter():
            if victim in list(parent):
                parent.remove(victim)
                break
    files = _course_files() | {QUIZ_FILE: ElementTree.tostring(root)}
    result = _import(_zip(files))
    assert result.package is not None or result.problems
    if result.package is not None:
        placed = [Placed("export", i.item_id, i) for i in result.package.items]
        skill_ids = {s.skill_id for s in result.package.skills}
        assert list(check_items(placed, skill_ids, set(result.package.media))) == []

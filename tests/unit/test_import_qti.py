"""The QTI 2.1 / 3.0 importer: each interaction maps exactly (answers, tolerances, feedback,
partial credit), both versions give the same items, the unsupported is skipped and located,
hostile zips and XML are refused, and no input raises."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attune.content.importers.qti import import_qti
from attune.content.importers.result import ImportResult
from attune.content.model import (
    Choice,
    ContentItem,
    CoursePackage,
    Media,
    NumericAnswer,
    TextAnswer,
)
from attune.content.package.semantics import Placed, check_items, check_skills
from tests.support.qti_samples import (
    MAP_RESPONSE,
    QTI30,
    choices21,
    condition21,
    declaration21,
    else_if21,
    encrypted_zip,
    folder_files,
    item21,
    sample_zip,
    symlink_zip,
    zip_bytes,
)

PNG = folder_files("v2p1")["images/half.png"]
VARIABLE = '<variable identifier="RESPONSE"/>'
CORRECT = '<correct identifier="RESPONSE"/>'
COMPARED = VARIABLE + CORRECT
CORRECT_A = declaration21(correct=("a",))
TEXT_ENTRY = '<p>Answer: <textEntryInteraction responseIdentifier="RESPONSE"/></p>'


def _import(data: bytes, file: str = "package.zip") -> ImportResult:
    return import_qti(data, course_id="qti-1", title="QTI sample", file=file)


def _bare(data: bytes) -> ImportResult:
    return _import(data, file="q1.xml")


def _item(data: bytes) -> ContentItem:
    result = _bare(data)
    assert result.problems == () and result.skipped == ()
    assert result.package is not None
    (item,) = result.package.items
    return item


def _skip(data: bytes) -> tuple[str, str]:
    """The one skip of a bare item: (field, message); the item is left out."""
    result = _bare(data)
    assert result.package is None
    (skipped,) = result.skipped
    assert (skipped.file, skipped.where) == ("q1.xml", "item q1")
    return skipped.field, skipped.message


@pytest.fixture(scope="module")
def result21() -> ImportResult:
    return _import(sample_zip("v2p1"))


@pytest.fixture(scope="module")
def result30() -> ImportResult:
    return _import(sample_zip("v3p0"))


@pytest.fixture(scope="module")
def package21(result21: ImportResult) -> CoursePackage:
    assert result21.package is not None and result21.problems == ()
    return result21.package


def _by_id(package: CoursePackage, item_id: str) -> ContentItem:
    item = package.item(item_id)
    assert item is not None
    return item


def _passes_semantics(package: CoursePackage) -> None:
    skills = [Placed("course", f"skill {s.skill_id}", s) for s in package.skills]
    items = [Placed("items", f"item {i.item_id}", i) for i in package.items]
    assert list(check_skills(skills, ())) == []
    assert list(check_items(items, {s.skill_id for s in package.skills}, set(package.media))) == []
    assert len({i.item_id for i in package.items}) == len(package.items)
    linked = {m.path for i in package.items for m in i.media}
    assert linked <= set(package.media)


# The sample packages, item by item.


def test_single_choice_keeps_choice_feedback_solution_image_and_prompt(
    package21: CoursePackage,
) -> None:
    item = _by_id(package21, "half-circle")
    assert item.type == "choice" and not item.partial_credit
    assert item.choices == (
        Choice("ChoiceA", "2/4", True, "Yes: 2/4 is one half."),
        Choice("ChoiceB", "1/3", False, "The circle has two parts, not three."),
        Choice("ChoiceC", "3/4", False, ""),
    )
    alt = "A circle cut into two equal parts, one of them shaded"
    assert item.stem_html == (
        "<p>The circle below is cut into equal parts.</p> "
        f'<p><img src="media/half.png" alt="{alt}" width="64" height="64"></p> '
        "<p>Which fraction of the circle is <em>shaded</em>?</p>"
    )
    assert item.solution_html == (
        "<p>One of two equal parts is shaded: 1/2, which is the same as 2/4.</p>"
    )
    assert item.media == (Media("media/half.png", "image/png", alt),)
    assert package21.media == {"media/half.png": PNG}
    assert (item.irt_a, item.irt_b, item.irt_c) == (1.0, 0.0, 0.0)


def test_multiple_response_mapping_gives_weights_and_inline_feedback(
    package21: CoursePackage,
) -> None:
    item = _by_id(package21, "primes")
    assert item.type == "multiple_response" and item.partial_credit
    # mapped / upperBound 2, clamped to [-1, 1]; correct from the correct response.
    assert item.choices == (
        Choice("N2", "2", True, "", 0.5),
        Choice("N3", "3", True, "3 has no divisor but 1 and itself.", 0.5),
        Choice("N4", "4", False, "4 = 2 × 2.", -0.5),
        Choice("N9", "9", False, "", -1.0),
    )
    assert item.stem_html == "<p>Which of these numbers are prime?</p>"
    assert item.skill_ids == ("prime-numbers", "number-theory")


def test_text_entry_mapping_keeps_case_scores_and_correct_feedback(
    package21: CoursePackage,
) -> None:
    item = _by_id(package21, "capital-france")
    assert item.type == "text_entry"
    assert item.text_answers == (
        TextAnswer("Paris", True, False, 1.0, "Paris it is."),
        TextAnswer("paris", True, False, 0.5, ""),
    )
    assert item.stem_html == "<p>The capital of France is _____.</p>"
    assert item.general_feedback_html == "<p>Paris is also the largest city of France.</p>"


def test_numeric_keeps_the_tolerance_the_hint_and_mathml(package21: CoursePackage) -> None:
    item = _by_id(package21, "pi-estimate")
    assert item.type == "numeric"
    assert item.numeric_answers == (NumericAnswer(3.14, 0.01, "absolute"),)
    assert item.hints_html == ("<p>Divide 22 by 7.</p>",)
    assert item.stem_html == (
        "<p>Write <math><mfrac><mn>22</mn><mn>7</mn></mfrac></math> as a decimal "
        "to two places: _____</p>"
    )


def test_inline_choice_leaves_a_blank_and_takes_its_skill_from_the_label(
    package21: CoursePackage,
) -> None:
    item = _by_id(package21, "triangle-sides")
    assert item.type == "inline_choice"
    assert [(c.id, c.html, c.correct) for c in item.choices] == [
        ("three", "three", True),
        ("four", "four", False),
        ("five", "five", False),
    ]
    assert item.stem_html == "<p>A triangle has _____ sides.</p>"
    assert item.skill_ids == ("shapes",)


def test_scored_extended_text_has_its_answer_and_the_default_skill(
    package21: CoursePackage,
) -> None:
    item = _by_id(package21, "photosynthesis")
    assert item.type == "extended_text"
    assert item.text_answers == (TextAnswer("photosynthesis", False, False, 1.0),)
    assert item.stem_html == (
        "<p>Name the process by which green plants make their food from light.</p>"
    )
    assert item.skill_ids == ("qti-sample",)


def test_skills_come_from_keywords_classification_label_and_the_course(
    package21: CoursePackage,
) -> None:
    assert {(s.skill_id, s.name) for s in package21.skills} == {
        ("fractions", "Fractions"),
        ("prime-numbers", "Prime numbers"),
        ("number-theory", "Number theory"),
        ("geography", "Geography"),  # the last taxon of the classification's taxon path
        ("shapes", "Shapes"),
        ("qti-sample", "QTI sample"),
    }


def test_the_unsupported_and_the_left_out_are_located(
    result21: ImportResult, result30: ImportResult
) -> None:
    assert [(p.file, p.where, p.field, p.message) for p in result21.skipped] == [
        (
            "items/extended_text.xml",
            "item photosynthesis",
            "rubricBlock",
            "a rubric block for scorer is left out",
        ),
        (
            "items/hotspot.xml",
            "item right-angle",
            "hotspotInteraction",
            "unsupported interaction <hotspotInteraction>",
        ),
    ]
    # QTI 3.0 problems name the elements as the 3.0 file spells them.
    assert [p.field for p in result30.skipped] == ["qti-rubric-block", "qti-hotspot-interaction"]


def test_both_versions_give_equal_items_skills_and_media(
    result21: ImportResult, result30: ImportResult
) -> None:
    assert result21.package is not None and result30.package is not None
    assert len(result21.package.items) == 6
    assert result30.package.items == result21.package.items
    assert result30.package.skills == result21.package.skills
    assert result30.package.media == result21.package.media
    assert result30.problems == result21.problems == ()


@pytest.mark.parametrize("name", ["v2p1", "v3p0", "test-v3p0", "broken"])
def test_every_sample_package_passes_the_semantic_checks(name: str) -> None:
    package = _import(sample_zip(name)).package
    assert package is not None
    _passes_semantics(package)


def test_a_test_package_imports_its_items_with_section_titles_as_skills() -> None:
    result = _import(sample_zip("test-v3p0"))
    assert result.package is not None and result.problems == result.skipped == ()
    assert [(i.item_id, i.type, i.skill_ids) for i in result.package.items] == [
        ("double", "numeric", ("number-sense",)),
        ("halve", "choice", ("number-sense",)),
        ("square", "inline_choice", ("geometry",)),
        ("bonus", "choice", ("qti-sample",)),  # in the manifest, in no test
    ]
    assert result.package.items[0].numeric_answers == (NumericAnswer(42.0),)
    assert {s.name for s in result.package.skills} == {"Number sense", "Geometry", "QTI sample"}


def test_a_broken_package_locates_every_problem_and_keeps_the_good_item() -> None:
    result = _import(sample_zip("broken"))
    assert result.package is not None
    assert [i.item_id for i in result.package.items] == ["good"]
    assert [(p.file, p.where, p.field, p.message) for p in result.problems] == [
        ("imsmanifest.xml", "resource res-gone", "@href", "'items/gone.xml' is not in the package"),
        ("items/bad.xml", "line 12, column 5", "", "not well-formed XML: mismatched tag"),
        ("items/noalt.xml", "item noalt", "itemBody", "the image 'images/dot.png' has no alt text"),
        ("items/nopic.xml", "item nopic", "itemBody", "'images/missing.png' is not in the package"),
    ]
    assert [(p.where, p.field) for p in result.skipped] == [("resource res-old", "@type")]
    assert result.package.media == {}


def test_a_zipped_folder_is_read_as_the_package() -> None:
    result = _import(zip_bytes(folder_files("v3p0"), top="export"))
    assert result.package is not None and len(result.package.items) == 6


# Response processing and declarations, on bare items.


def test_a_bare_item_file_is_imported_and_located_by_its_name() -> None:
    data = item21(choices21("a", "b"), declaration21(correct=("b",)))
    result = _bare(data)
    assert result.package is not None
    (item,) = result.package.items
    assert (item.item_id, item.type, [c.correct for c in item.choices]) == (
        "q1",
        "choice",
        [False, True],
    )
    broken = _bare(data.replace(b"</itemBody>", b"</itemBod>"))
    assert broken.package is None
    assert {p.file for p in broken.problems} == {"q1.xml"}


def test_relative_tolerance_is_a_share_not_a_percentage() -> None:
    test = f'<equal toleranceMode="relative" tolerance="5">{VARIABLE}{CORRECT}</equal>'
    item = _item(item21(TEXT_ENTRY, declaration21("float", ("100",)), condition21(test)))
    assert item.numeric_answers == (NumericAnswer(100.0, 0.05, "relative"),)


def test_a_range_condition_is_a_midpoint_and_half_width() -> None:
    bounds = (
        f'<gte>{VARIABLE}<baseValue baseType="float">3.1</baseValue></gte>'
        f'<lte>{VARIABLE}<baseValue baseType="float">3.2</baseValue></lte>'
    )
    item = _item(item21(TEXT_ENTRY, declaration21("float"), condition21(f"<and>{bounds}</and>")))
    ((answer),) = item.numeric_answers
    assert answer.value == pytest.approx(3.15) and answer.tolerance == pytest.approx(0.05)


def test_numeric_map_response_scores_each_value() -> None:
    mapping = (
        '<mapping defaultValue="0"><mapEntry mapKey="12" mappedValue="2"/>'
        '<mapEntry mapKey="12.5" mappedValue="1"/></mapping>'
    )
    processing = f'<responseProcessing template="{MAP_RESPONSE}"/>'
    item = _item(item21(TEXT_ENTRY, declaration21("integer", mapping=mapping), processing))
    assert item.numeric_answers == (NumericAnswer(12.0), NumericAnswer(12.5, score=0.5))


def test_string_match_and_scored_branches_become_scored_text_answers() -> None:
    first = f'<stringMatch caseSensitive="false">{VARIABLE}{CORRECT}</stringMatch>'
    second = f'<match>{VARIABLE}<baseValue baseType="string">Lutetia</baseValue></match>'
    processing = condition21(first, "2", else_if21(second, "1"))
    item = _item(item21(TEXT_ENTRY, declaration21("string", ("Paris",)), processing))
    assert item.text_answers == (
        TextAnswer("Paris", False, False, 1.0),
        TextAnswer("Lutetia", True, False, 0.5),
    )


def test_a_missing_response_processing_scores_the_correct_response() -> None:
    item = _item(item21(choices21("a", "b"), declaration21(correct=("a",)), processing=""))
    assert [c.correct for c in item.choices] == [True, False]


def test_a_choice_matched_by_conditions_is_correct_at_full_score() -> None:
    test = f'<match>{VARIABLE}<baseValue baseType="identifier">b</baseValue></match>'
    item = _item(item21(choices21("a", "b"), declaration21(), condition21(test)))
    assert [c.correct for c in item.choices] == [False, True]


def test_multiple_response_with_match_correct_is_all_or_nothing() -> None:
    declaration = declaration21(correct=("a", "c"), cardinality="multiple")
    item = _item(item21(choices21("a", "b", "c", max_choices=0), declaration))
    assert item.type == "multiple_response" and not item.partial_credit
    assert [(c.correct, c.weight) for c in item.choices] == [
        (True, None),
        (False, None),
        (True, None),
    ]


def test_unscored_extended_text_is_imported_without_answers_and_not_skipped() -> None:
    body = (
        '<extendedTextInteraction responseIdentifier="RESPONSE">'
        "<prompt>Describe a triangle.</prompt></extendedTextInteraction>"
    )
    item = _item(item21(body, declaration21("string"), processing=""))
    assert (item.type, item.text_answers, item.stem_html) == (
        "extended_text",
        (),
        "<p>Describe a triangle.</p>",
    )


def test_feedback_for_wrong_choices_and_hidden_feedback_are_placed_or_reported() -> None:
    extra = (
        '<modalFeedback outcomeIdentifier="FEEDBACK" identifier="incorrect" showHide="show">'
        "Not quite.</modalFeedback>"
        '<modalFeedback outcomeIdentifier="FEEDBACK" identifier="correct" showHide="hide">'
        "Try again.</modalFeedback>"
    )
    item = _item(item21(choices21("a", "b"), declaration21(correct=("a",)), extra=extra))
    # showHide="hide" on "correct" shows when the answer is not correct.
    assert [(c.id, c.feedback_html) for c in item.choices] == [
        ("a", ""),
        ("b", "Not quite.Try again."),
    ]
    typed = item21(TEXT_ENTRY, declaration21("string", ("x",)), extra=extra)
    result = _bare(typed)
    assert result.package is not None
    assert [(p.field, p.message) for p in result.skipped] == [
        ("modalFeedback", "feedback on right or wrong answers that no answer can carry is left out")
    ]


def test_an_object_image_becomes_an_img_with_its_text_as_alt() -> None:
    body = '<p><object type="image/png" data="pic.png">A red dot</object></p>' + choices21("a", "b")
    files = {
        "imsmanifest.xml": _manifest("q.xml"),
        "q.xml": item21(body, declaration21(correct=("a",))),
        "pic.png": PNG,
    }
    result = _import(zip_bytes(files))
    assert result.package is not None, result.problems
    (item,) = result.package.items
    assert '<img src="media/pic.png" alt="A red dot">' in item.stem_html
    assert item.media == (Media("media/pic.png", "image/png", "A red dot"),)


def _manifest(*hrefs: str, kind: str = "imsqti_item_xmlv2p1") -> bytes:
    resources = "".join(
        f'<resource identifier="r{n}" type="{kind}" href="{href}"><file href="{href}"/></resource>'
        for n, href in enumerate(hrefs)
    )
    return (
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m">'
        f"<organizations/><resources>{resources}</resources></manifest>"
    ).encode()


def test_duplicate_identifiers_get_stable_distinct_ids() -> None:
    data = item21(choices21("a", "b"), declaration21(correct=("a",)))
    files = {
        "imsmanifest.xml": _manifest("one/q.xml", "two/q.xml"),
        "one/q.xml": data,
        "two/q.xml": data,
    }
    first, again = _import(zip_bytes(files)), _import(zip_bytes(files))
    assert first.package is not None and again.package is not None
    ids = [i.item_id for i in first.package.items]
    assert ids == [i.item_id for i in again.package.items]
    assert ids[0] == "q1" and ids[1].startswith("q1-") and len(set(ids)) == 2


def test_an_identifier_with_spaces_is_slugged() -> None:
    data = item21(choices21("a", "b"), declaration21(correct=("a",))).replace(
        b'"q1"', b'"Item one"', 1
    )
    result = _bare(data)
    assert result.package is not None
    assert re.fullmatch(r"item-one-[0-9a-f]{8}", result.package.items[0].item_id)


# What is skipped, and why.

UNSUPPORTED = [
    "hotspotInteraction", "orderInteraction", "matchInteraction", "gapMatchInteraction",
    "uploadInteraction", "drawingInteraction", "sliderInteraction", "associateInteraction",
    "graphicOrderInteraction", "graphicAssociateInteraction", "graphicGapMatchInteraction",
    "selectPointInteraction", "positionObjectInteraction", "mediaInteraction",
    "hottextInteraction", "customInteraction", "portableCustomInteraction",
    "endAttemptInteraction",
]  # fmt: skip


def _qti30(data: bytes) -> bytes:
    """A QTI 2.1 test item rewritten in QTI 3.0 names (kebab case, ``qti-`` prefix)."""
    text = data.decode()

    def kebab(name: str) -> str:
        return re.sub(r"(?<!^)([A-Z])", lambda m: "-" + m[1].lower(), name)

    html = {"p", "img", "em", "object", "math", "mfrac", "mn", "video"}
    text = re.sub(
        r"<(/?)([A-Za-z]+)",
        lambda m: m[0] if m[2] in html else f"<{m[1]}qti-{kebab(m[2])}",
        text,
    )
    text = re.sub(r' ([a-z]+[A-Z][A-Za-z]*)="', lambda m: f' {kebab(m[1])}="', text)
    return text.replace("http://www.imsglobal.org/xsd/imsqti_v2p1", QTI30).encode()


@pytest.mark.parametrize("interaction", UNSUPPORTED)
@pytest.mark.parametrize("version", ["2.1", "3.0"])
def test_each_unsupported_interaction_skips_its_item(interaction: str, version: str) -> None:
    body = f'<{interaction} responseIdentifier="RESPONSE"/>'
    data = item21(body, declaration21(correct=("a",)))
    name = interaction
    if version == "3.0":
        data = _qti30(data)
        name = "qti-" + re.sub(r"([A-Z])", lambda m: "-" + m[1].lower(), interaction)
    assert _skip(data) == (name, f"unsupported interaction <{name}>")


TWO_INLINE = (
    '<p><inlineChoiceInteraction responseIdentifier="RESPONSE">'
    '<inlineChoice identifier="a">a</inlineChoice></inlineChoiceInteraction> and '
    '<inlineChoiceInteraction responseIdentifier="R2">'
    '<inlineChoice identifier="b">b</inlineChoice></inlineChoiceInteraction></p>'
)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            item21(choices21("a", "b"), declaration21(correct=("a",)), attributes='label="x"')
            .replace(b'adaptive="false"', b'adaptive="true"'),
            "@adaptive",
            "adaptive items are not supported",
        ),
        (
            item21(
                choices21("a", "b"),
                '<templateDeclaration identifier="N" cardinality="single" baseType="integer"/>'
                + declaration21(correct=("a",)),
            ),
            "templateDeclaration",
            "cloned/template items are not supported",
        ),
        (
            item21(TWO_INLINE, declaration21(correct=("a",))),
            "inlineChoiceInteraction",
            "2 blanks (inline choices) in one item are not supported",
        ),
        (
            item21(choices21("a", "b") + TEXT_ENTRY, declaration21(correct=("a",))),
            "textEntryInteraction",
            "more than one interaction in one item is not supported",
        ),
        (
            item21('<p><video src="v.mp4"/></p>' + choices21("a", "b"), CORRECT_A),
            "video",
            "<video> media is not supported",
        ),
        (
            item21("<p>Read this.</p>"),
            "itemBody",
            "no interaction: nothing to answer",
        ),
        (
            item21(
                choices21("a", "b"),
                declaration21(mapping='<mapping><mapEntry mapKey="a" mappedValue="1"/>'
                              '<mapEntry mapKey="b" mappedValue="0.5"/></mapping>'),
                f'<responseProcessing template="{MAP_RESPONSE}"/>',
            ),
            "mapping",
            "partial credit for one choice of a single choice is not supported",
        ),
        (
            item21(
                TEXT_ENTRY,
                declaration21("float", ("1",)),
                condition21(f'<equal toleranceMode="absolute" tolerance="1 2">{COMPARED}</equal>'),
            ),
            "equal",
            "a different tolerance below and above is not supported",
        ),
        (
            item21(
                choices21("a", "b"),
                declaration21(correct=("a",)),
                '<responseProcessing template="http://example.com/rptemplates/vote"/>',
            ),
            "responseProcessing",
            "the response processing template 'http://example.com/rptemplates/vote' "
            "is not supported",
        ),
        (
            item21(
                choices21("a", "b"),
                declaration21(correct=("a",)),
                '<responseProcessing><exitResponse/></responseProcessing>',
            ),
            "exitResponse",
            "<exitResponse> is not supported here",
        ),
        (
            item21(
                choices21("a", "b"),
                declaration21(correct=("a",)),
                f'<responseProcessing template="{MAP_RESPONSE}_point"/>',
            ),
            "responseProcessing",
            "map_response_point scores a point on an image, which this interaction has not",
        ),
        (
            item21(
                TEXT_ENTRY,
                declaration21("string", ("x",)),
                '<responseProcessing><setOutcomeValue identifier="FEEDBACK">'
                f"{VARIABLE}</setOutcomeValue></responseProcessing>",
            ),
            "responseProcessing",
            "the item is not scored (no correct response, mapping or SCORE is set)",
        ),
    ],
    ids=[
        "adaptive", "template", "two-blanks", "two-interactions", "video", "no-interaction",
        "partial-single", "asymmetric-tolerance", "unknown-template", "exit-response",
        "map-response-point", "no-score",
    ],
)  # fmt: skip
def test_what_attune_cannot_score_or_show_skips_the_item(
    data: bytes, field: str, message: str
) -> None:
    assert _skip(data) == (field, message)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (item21(choices21("a", "b"), declaration21()), "correctResponse", "no correct response"),
        (
            item21(choices21("a", "b"), declaration21(correct=("z",))),
            "correctResponse",
            "'z' is not a choice",
        ),
        (
            item21(choices21("a", "b")),
            "choiceInteraction/@responseIdentifier",
            "no response declaration 'RESPONSE'",
        ),
        (
            item21(TEXT_ENTRY, declaration21("float", ("three",))),
            "correctResponse",
            "'three' is not a number",
        ),
    ],
)
def test_a_malformed_item_is_a_located_problem(data: bytes, field: str, message: str) -> None:
    result = _bare(data)
    assert result.package is None and result.skipped == ()
    assert [(p.file, p.where, p.field, p.message) for p in result.problems] == [
        ("q1.xml", "", "", "no item could be imported"),
        ("q1.xml", "item q1", field, message),
    ]


# Hostile and malformed input.


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (zip_bytes({"imsmanifest.xml": b"<manifest/>", "../evil.xml": b"x"}), "a path with '..'"),
        (zip_bytes({"imsmanifest.xml": b"<manifest/>", "/etc/evil.xml": b"x"}), "an absolute path"),
        (
            symlink_zip("imsmanifest.xml", "/etc/passwd"),
            "a symbolic link; packages hold files only",
        ),
        (encrypted_zip({"imsmanifest.xml": b"<manifest/>"}), "encrypted"),
        (b"PK\x03\x04 not really a zip", "unreadable zip: BadZipFile: File is not a zip file"),
        (
            zip_bytes({"items/q.xml": b"<x/>"}),
            "no imsmanifest.xml at the top of the zip: not an IMS content package",
        ),
    ],
    ids=["zip-slip", "absolute", "symlink", "encrypted", "not-a-zip", "no-manifest"],
)
def test_hostile_or_foreign_zips_are_refused(data: bytes, message: str) -> None:
    result = _import(data)
    assert result.package is None and result.skipped == ()
    assert message in {p.message for p in result.problems}


def test_a_zip_bomb_stops_at_the_size_limit() -> None:
    bomb = zip_bytes({"imsmanifest.xml": b"\0" * (50 * 1024 * 1024 + 1)})
    assert len(bomb) < 200_000
    result = _import(bomb)
    assert result.package is None
    assert [p.message for p in result.problems] == ["larger than 52428800 bytes uncompressed"]


LAUGHS = b"".join(
    b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((i,) + (i - 1,) * 10)
    for i in range(1, 10)
)


@pytest.mark.parametrize("where", ["item", "manifest"])
def test_dtds_and_entities_are_refused_unexpanded(where: str) -> None:
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY l0 "lol">' + LAUGHS + b"]><x>&l9;</x>"
    package = zip_bytes({"imsmanifest.xml": hostile})
    result = _bare(hostile) if where == "item" else _import(package)
    assert result.package is None
    assert any("DTD" in p.message for p in result.problems)
    external = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    assert _bare(external).package is None


def test_a_qti_1_item_or_a_foreign_root_is_a_problem() -> None:
    result = _bare(b'<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2"/>')
    assert result.package is None
    assert [(p.where, p.message) for p in result.problems] == [
        ("", "no item could be imported"),
        ("item", "<questestinterop> is not a QTI 2.1 or 3.0 assessment item"),
    ]


def test_a_bad_course_id_or_title_is_refused() -> None:
    result = import_qti(sample_zip("v2p1"), course_id="a b", title=" ")
    assert result.package is None
    assert {p.field for p in result.problems} == {"course_id", "title"}


SAMPLE_ITEM = folder_files("v2p1")["items/choice.xml"]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_give_a_result_never_an_exception(data: bytes) -> None:
    for file in ("package.zip", "item.xml"):
        result = _import(data, file=file)
        assert isinstance(result, ImportResult)
        assert result.package is not None or result.problems or result.skipped


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(SAMPLE_ITEM)),
            st.integers(0, 40),
            st.sampled_from([b"", b"<", b">", b'"', b"&", b"/", b"qti-", b"<p>", b"x", b"\xff"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_mutated_item_gives_a_result_never_an_exception(
    edits: list[tuple[int, int, bytes]],
) -> None:
    data = SAMPLE_ITEM
    for at, cut, insert in edits:
        data = data[:at] + insert + data[at + cut :]
    files = {
        "imsmanifest.xml": _manifest("items/choice.xml"),
        "items/choice.xml": data,
        "images/half.png": PNG,
    }
    for variant in (data, _qti30(data) if data.isascii() else data):
        result = _bare(variant)
        assert result.package is not None or result.problems or result.skipped
    packaged = _import(zip_bytes(files))
    assert packaged.package is not None or packaged.problems or packaged.skipped
    if packaged.package is not None:
        _passes_semantics(packaged.package)


def test_problems_in_a_qti_3_item_are_spelled_as_in_qti_3() -> None:
    bad_count = choices21("a", "b").replace('maxChoices="1"', 'maxChoices="one"')
    unknown = _bare(_qti30(item21(choices21("a", "b"), declaration21(correct=("z",)))))
    counted = _bare(_qti30(item21(bad_count, CORRECT_A)))
    assert [p.field for p in unknown.problems if p.where] == ["qti-correct-response"]
    assert [p.field for p in counted.problems if p.where] == ["qti-choice-interaction/@max-choices"]


TEST_PACKAGE = folder_files("test-v3p0")
EDITS = st.lists(
    st.tuples(
        st.sampled_from(["imsmanifest.xml", "tests/number-and-shape.xml"]),
        st.floats(0, 1),
        st.integers(0, 30),
        st.sampled_from([b"", b"<", b'"', b"../", b"qti-", b"href=", b"\x00"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(EDITS)
def test_a_mutated_manifest_or_test_gives_a_result_never_an_exception(
    edits: list[tuple[str, float, int, bytes]],
) -> None:
    files = dict(TEST_PACKAGE)
    for name, where, cut, insert in edits:
        at = int(where * len(files[name]))
        files[name] = files[name][:at] + insert + files[name][at + cut :]
    result = _import(zip_bytes(files))
    assert result.package is not None or result.problems
    if result.package is not None:
        _passes_semantics(result.package)

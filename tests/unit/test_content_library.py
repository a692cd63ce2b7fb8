"""The pure parts of course content in the gateway (issue 13): writing packages back, the
stored version and its digest, the engine's course, the change report, the hint credit and
format detection."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest

from attune.content.checking.result import CheckResult
from attune.content.importers.convert import convert, default_course_id, detect
from attune.content.importers.gift import import_gift
from attune.content.importers.moodle_xml import import_moodle_xml
from attune.content.model import ContentItem, CoursePackage, NumericAnswer
from attune.content.package import load_package, read_zip_bytes, validate_files
from attune.content.package.write import package_zip
from attune.gateway.library.course import DEFAULT_BKT, engine_course
from attune.gateway.library.report import change_report
from attune.gateway.library.versions import (
    content_ref,
    decode_version,
    digest_of,
    encode_version,
)
from attune.gateway.practice_content import answer_html, credit

DATA = Path(__file__).parent.parent / "data"


def _valid() -> CoursePackage:
    return load_package(DATA / "packages" / "valid")


def _packages() -> list[CoursePackage]:
    moodle = import_moodle_xml(
        (DATA / "moodle" / "quiz.xml").read_bytes(), course_id="m", title="Moodle"
    ).package
    gift = import_gift(
        (DATA / "gift" / "quiz.gift").read_text(), course_id="g", title="GIFT"
    ).package
    assert moodle is not None and gift is not None
    return [_valid(), moodle, gift]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["package", "moodle", "gift"])
def test_a_written_package_reads_back_equal_media_included(index: int) -> None:
    package = _packages()[index]
    back, problems = validate_files(read_zip_bytes(package_zip(package), "p.zip"))
    assert problems == []
    assert back == package
    assert back is not None and dict(back.media) == dict(package.media)


def test_the_digest_names_the_content_and_changes_with_any_of_it() -> None:
    package = _valid()
    encoded = encode_version(package)
    digest, document = encoded.digest, encoded.document
    assert encode_version(package).digest == digest
    assert digest_of(content_ref(digest)) == digest
    first = package.items[0]
    restemmed = dataclasses.replace(
        package,
        items=(dataclasses.replace(first, stem_html=first.stem_html + "!"), *package.items[1:]),
    )
    assert encode_version(restemmed).digest != digest
    path = next(iter(package.media))
    new_media = {**package.media, path: package.media[path] + b"\0"}
    assert encode_version(dataclasses.replace(package, media=new_media)).digest != digest
    stored = decode_version(document)
    assert stored.digest == digest
    assert stored.package == package  # equality leaves media bytes out
    assert set(stored.items) == {i.item_id for i in package.items}
    assert stored.media[path].sha256 and stored.media[path].media_type.startswith("image/")


@pytest.mark.parametrize(
    "content", ["template:frac-add?level=1", "content:xyz", "content:" + "A" * 32, "", "https://x"]
)
def test_only_a_well_formed_content_reference_names_a_version(content: str) -> None:
    assert digest_of(content) is None


def test_the_engine_course_keeps_ids_fills_bkt_defaults_and_points_at_the_version() -> None:
    package = _valid()
    course = engine_course(package, "d" * 32, None)
    assert [s.skill_id for s in course.skills] == [s.skill_id for s in package.skills]
    assert [i.item_id for i in course.items] == [i.item_id for i in package.items]
    assert {i.content for i in course.items} == {"content:" + "d" * 32}
    for skill, source in zip(course.skills, package.skills, strict=True):
        assert skill.bkt.prior == (DEFAULT_BKT["prior"] if source.prior is None else source.prior)
        assert list(skill.prerequisites) == list(source.prerequisites)
    assert course.dkt_model == ""


def test_a_reimport_keeps_the_diagnostic_and_the_dkt_model_only_when_it_knows_every_skill() -> None:
    package = _valid()
    previous = engine_course(package, "a" * 32, None)
    previous.dkt_model = "dkt@1"
    previous.diagnostic.max_items = 12
    same = engine_course(package, "b" * 32, previous)
    assert same.dkt_model == "dkt@1" and same.diagnostic.max_items == 12
    extra = dataclasses.replace(
        package,
        skills=(*package.skills, dataclasses.replace(package.skills[0], skill_id="new-skill")),
    )
    assert engine_course(extra, "c" * 32, previous).dkt_model == ""


def test_the_change_report_names_what_was_added_removed_and_changed() -> None:
    package = _valid()
    first_doc = encode_version(package).document
    old = engine_course(package, "a" * 32, None)
    assert change_report(None, old, {}, {}).new_course
    kept, changed, dropped = package.items[0], package.items[1], package.items[2]
    new_item = dataclasses.replace(kept, item_id="brand-new")
    newer = dataclasses.replace(
        package,
        skills=(*package.skills[:-1], dataclasses.replace(package.skills[-1], name="Renamed")),
        items=(
            kept,
            dataclasses.replace(changed, stem_html="<p>Another stem</p>"),
            new_item,
            *tuple(i for i in package.items[3:]),
        ),
    )
    second_doc = encode_version(newer).document
    new = engine_course(newer, "b" * 32, old)
    report = change_report(
        old,
        new,
        decode_version(first_doc).item_documents,
        decode_version(second_doc).item_documents,
    )
    assert not report.new_course and report.changed
    assert report.items_added == ("brand-new",)
    assert report.items_removed == (dropped.item_id,)
    assert report.items_changed == (changed.item_id,)
    assert report.items_unchanged == len(package.items) - 2
    assert report.skills_changed == (package.skills[-1].skill_id,)
    assert report.skills_added == () and report.skills_removed == ()
    assert any("keep their state" in n for n in report.notes)
    same = change_report(
        old, old, decode_version(first_doc).item_documents, decode_version(first_doc).item_documents
    )
    assert not same.changed and same.items_unchanged == len(package.items)


@pytest.mark.parametrize(
    ("score", "hints", "expected"),
    [(1.0, 0, 1.0), (1.0, 1, 0.5), (1.0, 2, 0.25), (0.5, 1, 0.25), (0.0, 3, 0.0), (None, 1, None)],
)
def test_each_hint_halves_the_credit_and_an_unchecked_answer_records_nothing(
    score: float | None, hints: int, expected: float | None
) -> None:
    result = CheckResult(score, score == 1.0)
    assert credit(result, hints) == expected


def test_the_numeric_answer_shows_its_tolerance_and_unit() -> None:
    item = ContentItem(
        "n",
        "numeric",
        "<p>g?</p>",
        ("s",),
        numeric_answers=(NumericAnswer(9.81, 0.05, "absolute", ("m/s^2",)),),
    )
    version = decode_version(
        encode_version(CoursePackage("c", "C", "1", (), (item,), media={})).document
    )
    assert answer_html(item, "t", version) == "9.81 (± 0.05) m/s^2"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (_zip({"course.yaml": b"id: x"}), "p.zip", "package"),
        (_zip({"top/course.json": b"{}"}), "p.zip", "package"),
        (b'<?xml version="1.0"?>\n<quiz><question type="category"/></quiz>', "q.xml", "moodle"),
        (b"::Q1:: 2+2 = {=4 ~5}", "q.gift", "gift"),
        (b'<questestinterop><assessment title="A"/></questestinterop>', "q.xml", "canvas"),
        (b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"/>', "i.xml", "qti"),
        (
            b'<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"/>',
            "i.xml",
            "qti",
        ),
        (
            _zip(
                {"imsmanifest.xml": b'<manifest><resource type="imsqti_item_xmlv2p1"/></manifest>'}
            ),
            "q.zip",
            "qti",
        ),
        (
            _zip({"imsmanifest.xml": b"<manifest/>", "non_cc_assessments/a.xml.qti": b"<x/>"}),
            "c.imscc",
            "canvas",
        ),
        (b"\x89PNG\r\n", "a.png", None),
        (_zip({"readme.txt": b"hi"}), "r.zip", None),
    ],
)
def test_the_format_is_detected_from_the_bytes(data: bytes, name: str, expected: str) -> None:
    assert detect(data, name) == expected


def test_an_unknown_format_is_a_located_problem_not_an_exception() -> None:
    result = convert(b"\x00\x01", fmt=None, name="blob.bin", course_id="c", title="C")
    assert result.package is None
    assert [p.field for p in result.problems] == ["format"]


def test_a_course_id_comes_from_the_file_name() -> None:
    assert default_course_id("Unit 3 Quiz (final).xml") == "unit-3-quiz-final"
    assert default_course_id("...") == "course"

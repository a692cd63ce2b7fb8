"""One entry point for every format a course can arrive in: Attune's own package (a zip),
Moodle XML, GIFT, QTI 2.1/3.0 and Canvas (QTI 1.2). :func:`detect` names the format from the
bytes; :func:`convert` returns the importer's :class:`ImportResult`.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Literal, get_args

from attune.content.importers.result import ImportResult
from attune.content.package.problems import Problem

Format = Literal["package", "moodle", "gift", "qti", "canvas"]
FORMATS: tuple[Format, ...] = get_args(Format)
_SNIFF = 64 * 1024


def _zip_names(data: bytes) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()[:10_000]
    except (zipfile.BadZipFile, OSError, NotImplementedError):
        return []


def _manifest_kind(data: bytes, names: list[str]) -> Format:
    manifest = next((n for n in names if n.rsplit("/", 1)[-1] == "imsmanifest.xml"), "")
    text = ""
    if manifest:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(manifest) as stream:
            text = stream.read(_SNIFF).decode("utf-8", "replace")
    if any(n.endswith(".xml.qti") or n.startswith("non_cc_assessments/") for n in names):
        return "canvas"
    if re.search(r"imsqti_(item|test)_xmlv(2p|3p)", text):
        return "qti"
    if "imsqti_xmlv1p2" in text or "imscc" in text.lower():
        return "canvas"
    return "qti"


def detect(data: bytes, name: str = "") -> Format | None:
    """The format of an upload, from its bytes (and its file name for GIFT), or None."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        names = _zip_names(data)
        bases = {n.rsplit("/", 1)[-1] for n in names}
        if bases & {"course.yaml", "course.json"}:
            return "package"
        if "imsmanifest.xml" in bases:
            return _manifest_kind(data, names)
        return None
    head = data[:_SNIFF].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        if re.search(r"<quiz[\s>]", head):
            return "moodle"
        if "questestinterop" in head:
            return "canvas"
        if re.search(r"<(qti-)?assessment-?[iI]tem|<manifest", head):
            return "qti"
        return None
    if name.lower().endswith((".gift", ".txt")) or re.search(r"\{[^{}]*\}", head):
        return "gift"
    return None


def convert(
    data: bytes,
    *,
    fmt: Format | None,
    name: str,
    course_id: str,
    title: str,
) -> ImportResult:
    """Import ``data`` as ``fmt`` (None: detect it). Never raises on bad input."""
    fmt = fmt or detect(data, name)
    if fmt is None:
        message = "unknown format: give format= package, moodle, gift, qti or canvas"
        return ImportResult(None, (Problem(name, "", "format", message),), ())
    if fmt == "package":
        from attune.content.package import read_zip_bytes, validate_files

        package, problems = validate_files(read_zip_bytes(data, name))
        return ImportResult(package, tuple(problems), ())
    if fmt == "moodle":
        from attune.content.importers.moodle_xml import import_moodle_xml

        return import_moodle_xml(data, course_id=course_id, title=title, file=name)
    if fmt == "gift":
        from attune.content.importers.gift import import_gift

        text = data.decode("utf-8", "replace").lstrip("\ufeff")
        return import_gift(text, course_id=course_id, title=title, file=name)
    if fmt == "qti":
        from attune.content.importers.qti import import_qti

        return import_qti(data, course_id=course_id, title=title, file=name)
    from attune.content.importers.canvas import import_canvas_qti

    return import_canvas_qti(data, course_id=course_id, title=title, file=name)


def default_course_id(name: str) -> str:
    """A course id from an upload's file name (``Unit 3 quiz.xml`` -> ``unit-3-quiz``)."""
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug[:64] or "course"

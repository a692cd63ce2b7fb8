"""The files of a Canvas export, and which of them are QTI quizzes and question banks.

A Canvas course export (``.imscc``, IMS Common Cartridge 1.1) is a zip with an
``imsmanifest.xml``. Each quiz is in it twice: ``<quiz id>/assessment_qti.xml`` holds the
Common Cartridge profile of QTI 1.2 (supported types only) and
``non_cc_assessments/<quiz id>.xml.qti`` the full Canvas QTI (every type, with
``question_type`` and ``points_possible`` metadata); ``<quiz id>/assessment_meta.xml`` holds
the quiz's settings. Question banks are ``non_cc_assessments/<bank id>.xml.qti``, and files the
HTML links are under ``web_resources/``. A Canvas "QTI export" zip lists each quiz in its
manifest as a resource of type ``imsqti_xmlv1p2``.

So the full Canvas files are read when there are any; otherwise every file of a QTI resource
of the manifest (``imsqti_xmlv1p2``, ``imsqti_xmlv1p2/imscc_xmlv1p1/assessment``,
``.../question-bank``). Anything that is not a zip is taken as one bare QTI 1.2 XML file.

The zip is untrusted and read as a course package is (attune/content/package/source.py):
absolute paths, ``..``, symbolic links, encrypted entries and duplicate names are refused, and
reading stops at that module's limits, counted on the bytes actually decompressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote

from attune.content.importers.canvas.qti_xml import parse_xml, text_of
from attune.content.package.problems import Problem
from attune.content.package.source import read_zip_bytes

MANIFEST = "imsmanifest.xml"
NON_CC_FOLDER = "non_cc_assessments/"
WEB_RESOURCES = "web_resources/"
QTI_RESOURCE = "imsqti_xmlv1p2"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass
class Export:
    """The files of an export by path, the QTI files to import in order, or why none."""

    files: dict[str, bytes] = field(default_factory=dict)
    qti: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def quiz_title(self, quiz_id: str) -> str:
        """The title in ``<quiz id>/assessment_meta.xml``, or an empty string."""
        meta = self.files.get(f"{quiz_id}/assessment_meta.xml")
        if meta is None:
            return ""
        root, _ = parse_xml(meta, f"{quiz_id}/assessment_meta.xml", ("quiz",))
        return text_of(root.find("title")) if root is not None else ""


def read_export(data: bytes, file: str) -> Export:
    """The export in ``data``: a zip (``.imscc`` or QTI export) or one bare QTI XML file."""
    if data[:4] not in _ZIP_MAGIC:
        return Export({file: data}, [file])
    read = read_zip_bytes(data, file)  # the package loader's rules and limits
    if read.problems:
        return Export(problems=read.problems)
    files = read.files
    non_cc = sorted(
        name for name in files if name.startswith(NON_CC_FOLDER) and name.endswith(".qti")
    )
    if non_cc:
        return Export(files, non_cc)
    if MANIFEST not in files:
        message = f"no {NON_CC_FOLDER}*.xml.qti and no {MANIFEST}: not a Canvas or QTI export"
        return Export(problems=[Problem(file, "", "", message)])
    qti, problems = _manifest_qti(files)
    if not qti and not problems:
        problems = [Problem(MANIFEST, "", "", f"no resource of type {QTI_RESOURCE}*")]
    return Export(files, qti, problems)


def _manifest_qti(files: dict[str, bytes]) -> tuple[list[str], list[Problem]]:
    """The files of the manifest's QTI resources, in the manifest's order."""
    root, problem = parse_xml(files[MANIFEST], MANIFEST, ("manifest",))
    if root is None:
        return [], [problem] if problem is not None else []
    found: list[str] = []
    problems: list[Problem] = []
    for number, resource in enumerate(root.iter("resource"), 1):
        if not resource.get("type", "").startswith(QTI_RESOURCE):
            continue
        hrefs = [f.get("href", "") for f in resource.findall("file")] or [resource.get("href", "")]
        where = f"resource {resource.get('identifier') or number}"
        for href in hrefs:
            path = _member(files, href)
            if path is None:
                problems.append(
                    Problem(MANIFEST, where, "file/@href", f"{href!r} is not in the zip")
                )
            elif path not in found and path.endswith((".xml", ".qti")):
                found.append(path)
    return found, problems


def _member(files: dict[str, bytes], href: str) -> str | None:
    """The zip path a manifest href names (hrefs are URIs: ``%20`` is a space), or None."""
    for candidate in (href, unquote(href)):
        if candidate in files and ".." not in PurePosixPath(candidate).parts:
            return candidate
    return None


def web_resource(files: dict[str, bytes], link: str) -> tuple[str, bytes] | None:
    """The ``web_resources/`` file a ``$IMS-CC-FILEBASE$/...`` link names, already unquoted."""
    path = WEB_RESOURCES + link.lstrip("/")
    if ".." in PurePosixPath(path).parts or path not in files:
        return None
    return path, files[path]

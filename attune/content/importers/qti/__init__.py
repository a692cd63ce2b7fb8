"""QTI 2.1 and QTI 3.0 items (1EdTech Question and Test Interoperability) into a
:class:`~attune.content.model.CoursePackage` (issue 13).

Input: an IMS content package zip with an ``imsmanifest.xml`` listing QTI 2.1 or 3.0 items
and tests (:mod:`.manifest`), or one bare item file (``data`` starting with ``<``). The zip is
read as a course package is (:func:`~attune.content.package.source.read_zip_bytes`): zip
slips, absolute paths, symbolic links and encrypted entries refused, entries and bytes capped. The
version comes from the namespace (``imsqti_v2p1``, ``imsqtiasi_v3p0``); both dialects are read
as one (:mod:`.xmltree`). Mapped, each item having exactly one interaction:

* ``choiceInteraction``: ``maxChoices="1"`` → ``choice``; otherwise ``multiple_response``,
  scored by weights (``partial_credit``) when a mapping gives per-choice values, else all or
  nothing. ``simpleChoice identifier`` → the choice id.
* ``inlineChoiceInteraction`` → ``inline_choice`` (one per item: more blanks are skipped).
* ``textEntryInteraction`` → ``text_entry`` (correct values and mapped values, their
  ``caseSensitive``), or ``numeric`` when the response's ``baseType`` is float or integer
  (tolerance from ``equal``, or a range, in the response processing).
* ``extendedTextInteraction`` → ``extended_text``: with the accepted answers when a correct
  response or mapping scores it. An essay nobody can score automatically is still imported,
  with no answers: the learner writes, the checker answers "not scored automatically". It is
  a usable item, so it is not listed in ``skipped``.

Scoring (:mod:`.scoring`, :mod:`.answers`), feedback, solution and hints (:mod:`.feedback`),
the stem (:mod:`.stem`) and images (:mod:`.markup`) are described where they are done. IRT
parameters are the defaults: QTI has none. Skills come from the manifest's metadata, else the
item's ``label``, else its test section, else one skill named after the course (its title).
The item ``class`` attribute is not used: in QTI 3.0 it carries presentation classes.

Everything unsupported (other interactions, several interactions, adaptive items, template
items, media, response processing Attune cannot reproduce) skips the item with a located
reason in ``skipped``; a malformed item is a located problem. The package holds the rest and
passes the package validator's semantic checks. Nothing here raises on bad input, fetches a
URL or expands an XML entity.
"""

from __future__ import annotations

import structlog

from attune.content.importers.moodle_text import MediaStore
from attune.content.importers.qti.build import build_package
from attune.content.importers.qti.item import ItemRead, ItemSource, read_item
from attune.content.importers.qti.manifest import MANIFEST, Contents, read_contents
from attune.content.importers.result import ImportResult
from attune.content.package.problems import Problem, sorted_problems
from attune.content.package.semantics import check_id
from attune.content.package.source import read_zip_bytes

__all__ = ["import_qti"]

log = structlog.get_logger("attune.content.importers.qti")

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _is_xml(data: bytes) -> bool:
    for bom in _BOMS:
        if data.startswith(bom):
            return True
    return data.lstrip().startswith(b"<")


def _course_problems(file: str, course_id: str, title: str) -> list[Problem]:
    problems = list(check_id(file, "", "course_id", course_id))
    if not course_id or any(c.isspace() or c == "/" for c in course_id):
        problems.append(Problem(file, "", "course_id", "an id has no spaces or slashes"))
    if not title.strip():
        problems.append(Problem(file, "", "title", "a title is needed"))
    return problems


def import_qti(
    data: bytes, *, course_id: str, title: str, file: str = "package.zip"
) -> ImportResult:
    """Import a QTI 2.1 / 3.0 content package (or one item file); never raises on bad input.

    ``file`` names the input in problems (and is the item's path for a bare item file).
    """
    problems = _course_problems(file, course_id, title)
    if problems:
        return ImportResult(None, tuple(sorted_problems(problems)), ())
    if _is_xml(data):
        files, contents = {file: data}, Contents(sources=[ItemSource(file)])
    else:
        read = read_zip_bytes(data, file)
        if read.problems:
            return ImportResult(None, tuple(sorted_problems(read.problems)), ())
        if MANIFEST not in read.files:
            message = f"no {MANIFEST} at the top of the zip: not an IMS content package"
            return ImportResult(None, (Problem(file, "", "", message),), ())
        files, contents = read.files, read_contents(read.files)
    store, taken = MediaStore(), set[str]()
    reads: list[tuple[str, ItemRead]] = [
        (source.path, read_item(source, files, store, taken, title.strip()))
        for source in contents.sources
    ]
    result = build_package(
        (course_id, title), file, data, reads, store, contents.problems, contents.skipped
    )
    log.info(
        "qti_imported",
        file=file,
        items=len(result.package.items) if result.package else 0,
        skipped=len(result.skipped),
        problems=len(result.problems),
    )
    return result

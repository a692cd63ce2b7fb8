"""QTI sample packages for the importer's tests: the folders in tests/data/qti zipped in
memory, bare items written from a few parts, and hostile zips."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "qti"
QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI30 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
MATCH_CORRECT = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"
MAP_RESPONSE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"


def folder_files(name: str) -> dict[str, bytes]:
    """The files of the sample folder ``tests/data/qti/<name>``, by their path inside it."""
    root = DATA / name
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def zip_bytes(files: dict[str, bytes], top: str = "") -> bytes:
    """A zip holding ``files`` (under the folder ``top`` when given)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{top}/{name}" if top else name, data)
    return buffer.getvalue()


def sample_zip(name: str) -> bytes:
    """The sample folder ``name`` as a content package zip."""
    return zip_bytes(folder_files(name))


def symlink_zip(name: str, target: str) -> bytes:
    """A zip whose one entry is a symbolic link ``name`` -> ``target``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return buffer.getvalue()


def encrypted_zip(files: dict[str, bytes]) -> bytes:
    """A zip whose entries claim to be encrypted (general purpose flag bit 0 set in every
    local and central header); zipfile cannot write encrypted entries itself."""
    data = bytearray(zip_bytes(files))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            data[at + offset] |= 0x1
            at = data.find(signature, at + 4)
    return bytes(data)


def item21(
    body: str,
    declaration: str = "",
    processing: str = f'<responseProcessing template="{MATCH_CORRECT}"/>',
    extra: str = "",
    attributes: str = "",
) -> bytes:
    """A QTI 2.1 item ``q1`` with this body, declaration, processing and trailing elements."""
    return (
        f'<assessmentItem xmlns="{QTI21}" xmlns:m="http://www.w3.org/1998/Math/MathML" '
        f'identifier="q1" title="Q1" adaptive="false" timeDependent="false" {attributes}>'
        f"{declaration}"
        '<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>'
        f"<itemBody>{body}</itemBody>{processing}{extra}</assessmentItem>"
    ).encode()


def declaration21(
    base_type: str = "identifier",
    correct: tuple[str, ...] = (),
    mapping: str = "",
    cardinality: str = "single",
) -> str:
    """A ``responseDeclaration`` for ``RESPONSE``."""
    values = "".join(f"<value>{value}</value>" for value in correct)
    correct_xml = f"<correctResponse>{values}</correctResponse>" if correct else ""
    return (
        f'<responseDeclaration identifier="RESPONSE" cardinality="{cardinality}" '
        f'baseType="{base_type}">{correct_xml}{mapping}</responseDeclaration>'
    )


def choices21(*ids: str, max_choices: int = 1, prompt: str = "Pick one.") -> str:
    """A ``choiceInteraction`` offering ``ids`` (each shown as its own text)."""
    options = "".join(f'<simpleChoice identifier="{i}">{i}</simpleChoice>' for i in ids)
    return (
        f'<choiceInteraction responseIdentifier="RESPONSE" maxChoices="{max_choices}">'
        f"<prompt>{prompt}</prompt>{options}</choiceInteraction>"
    )


def condition21(test: str, score: str = "1", branches: str = "") -> str:
    """A response processing: if ``test`` then SCORE = ``score`` (more ``branches``), else 0."""
    return (
        "<responseProcessing><responseCondition>"
        f'<responseIf>{test}<setOutcomeValue identifier="SCORE">'
        f'<baseValue baseType="float">{score}</baseValue></setOutcomeValue></responseIf>'
        f"{branches}"
        '<responseElse><setOutcomeValue identifier="SCORE">'
        '<baseValue baseType="float">0</baseValue></setOutcomeValue></responseElse>'
        "</responseCondition></responseProcessing>"
    )


def else_if21(test: str, score: str) -> str:
    """A ``responseElseIf`` branch setting SCORE to ``score``."""
    return (
        f'<responseElseIf>{test}<setOutcomeValue identifier="SCORE">'
        f'<baseValue baseType="float">{score}</baseValue></setOutcomeValue></responseElseIf>'
    )

"""Reading a package's files from a folder or a zip, within documented limits.

A package is untrusted: a zip entry with an absolute path, a ``..`` component or a symbolic
link is refused, and so is a folder holding a link; reading stops at the limits below, counted
on the bytes actually read (never on sizes an archive declares). Every refusal is a
:class:`Problem`; a package with any of them yields no files.
"""

from __future__ import annotations

import io
import lzma
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from attune.content.package.problems import Problem

MAX_FILES = 5_000  # entries in a package (files; folders are not counted)
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # all files together, uncompressed
MAX_FILE_BYTES = 50 * 1024 * 1024  # one file, uncompressed
_CHUNK = 64 * 1024
_IGNORED_PARTS = {"__MACOSX", ".DS_Store", "Thumbs.db"}
_UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
)


@dataclass
class PackageFiles:
    """A package's files by their path inside it (``items/a.yaml``), or why none were read."""

    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def read_package(path: Path) -> PackageFiles:
    """The files of the package folder or zip at ``path``."""
    if path.is_symlink():
        return _refused(path.name, "", "the package is a symbolic link")
    if path.is_dir():
        out = _read_folder(path)
    elif path.is_file() and zipfile.is_zipfile(path):
        out = _read_zip(path)
    elif path.exists():
        return _refused(path.name, "", "not a folder or a zip file")
    else:
        return _refused(path.name, "", "no such folder or file")
    if not out.problems:
        out.files = _unwrap(out.files)
    return out


def _refused(file: str, where: str, message: str) -> PackageFiles:
    return PackageFiles(problems=[Problem(file, where, "", message)])


def _ignored(name: str) -> bool:
    return any(part in _IGNORED_PARTS for part in name.split("/"))


def _unwrap(files: dict[str, bytes]) -> dict[str, bytes]:
    """A zip of the package's folder: its one top folder is the package."""
    if any("/" not in name for name in files):
        return files
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) != 1:
        return files
    return {name.split("/", 1)[1]: data for name, data in files.items()}


def _read_folder(root: Path) -> PackageFiles:
    out = PackageFiles()
    total = 0
    for entry in sorted(root.rglob("*")):
        name = entry.relative_to(root).as_posix()
        if _ignored(name):
            continue
        if entry.is_symlink():
            out.problems.append(Problem(name, "", "", "a symbolic link; packages hold files only"))
            continue
        if not entry.is_file():
            continue
        if len(out.files) >= MAX_FILES:
            return _refused(root.name, "", f"more than {MAX_FILES} files")
        size = entry.stat().st_size
        if size > MAX_FILE_BYTES:
            out.problems.append(Problem(name, "", "", f"larger than {MAX_FILE_BYTES} bytes"))
            continue
        total += size
        if total > MAX_TOTAL_BYTES:
            return _refused(root.name, "", f"larger than {MAX_TOTAL_BYTES} bytes in all")
        out.files[name] = entry.read_bytes()
    return out


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if "\\" in name:
        return "a path with a backslash"
    if ".." in PurePosixPath(name).parts:
        return "a path with '..'"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link; packages hold files only"
    if info.flag_bits & 0x1:
        return "encrypted"
    return None


def read_zip_bytes(data: bytes, name: str) -> PackageFiles:
    """The files of a zip held in memory (an upload), under the same rules and limits as a
    zip on disk; ``name`` is how problems name the archive."""
    out = _read_zip(io.BytesIO(data), name)
    if not out.problems:
        out.files = _unwrap(out.files)
    return out


def _read_zip(path: Path | BinaryIO, name: str = "") -> PackageFiles:
    name = name or (path.name if isinstance(path, Path) else "package.zip")
    out = PackageFiles()
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir() and not _ignored(i.filename)]
            if len(infos) > MAX_FILES:
                return _refused(name, "", f"more than {MAX_FILES} files")
            for info in infos:
                problem = _entry_problem(info)
                if problem is None and info.filename in out.files:
                    problem = "the same path twice"
                if problem is not None:
                    out.problems.append(Problem(info.filename, "", "", problem))
                    continue
                out.files[info.filename] = b""  # reserve the name for the duplicate check
            if out.problems:
                out.files = {}
                return out
            total = 0
            for info in infos:
                data, refusal = _read_entry(archive, info, MAX_TOTAL_BYTES - total, name)
                if refusal is not None:
                    return PackageFiles(problems=[refusal])
                total += len(data)
                out.files[info.filename] = data
    except _UNREADABLE as exc:  # a damaged archive, in any of the ways zipfile reports it
        return _refused(name, "", f"unreadable zip: {type(exc).__name__}: {exc}")
    return out


def _read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, room: int, archive_name: str
) -> tuple[bytes, Problem | None]:
    """An entry's bytes, read in chunks so that a bomb stops at the limit."""
    chunks: list[bytes] = []
    size = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                return b"", Problem(
                    info.filename, "", "", f"larger than {MAX_FILE_BYTES} bytes uncompressed"
                )
            if size > room:
                message = f"larger than {MAX_TOTAL_BYTES} bytes uncompressed in all"
                return b"", Problem(archive_name, "", "", message)
            chunks.append(chunk)
    return b"".join(chunks), None

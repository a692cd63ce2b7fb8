"""A QTI package's files, read from zip bytes with the course package loader's limits.

The zip goes through :func:`~attune.content.package.source.read_package`, so it is refused
exactly as a course package is: absolute paths, ``..``, symbolic links, encrypted entries,
the same path twice, more than 5,000 files, 50 MiB a file or 200 MiB in all (counted on the
bytes read, so a zip bomb stops at the limit); a zip of one folder is that folder. That
reader takes a path, so the bytes are written to a private temporary folder first.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path

from attune.content.package.problems import Problem
from attune.content.package.source import MAX_TOTAL_BYTES, PackageFiles, read_package

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def read_zip(data: bytes, file: str) -> PackageFiles:
    """The files of the zip in ``data``; problems about the whole zip are located at ``file``."""
    if len(data) > MAX_TOTAL_BYTES:
        return PackageFiles(
            problems=[Problem(file, "", "", f"larger than {MAX_TOTAL_BYTES} bytes")]
        )
    name = _UNSAFE.sub("-", Path(file).name).strip(".-") or "package.zip"
    try:
        with tempfile.TemporaryDirectory(prefix="attune-qti-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            out = read_package(path)
    except OSError as exc:
        return PackageFiles(problems=[Problem(file, "", "", f"could not be read: {exc.strerror}")])
    out.problems = [replace(p, file=file) if p.file == name else p for p in out.problems]
    return out

"""Attune's own course package format (issue 13): a folder or zip of ``course.yaml`` (or
``course.json``), an optional ``skills.csv``, ``items/`` and ``media/``.

:func:`validate_package` reads a package and returns every problem found, each with its
location; :func:`load_package` returns the :class:`~attune.content.model.CoursePackage` or
raises :class:`PackageError` carrying them all. The format is described in ``FORMAT.md`` and
by the JSON Schemas in ``schema/``. Content is untrusted input: nothing here runs code from a
package, follows a link out of it, or reads more than the documented limits.
"""

from attune.content.package.loader import load_package, validate_files, validate_package
from attune.content.package.problems import PackageError, Problem
from attune.content.package.source import read_zip_bytes

__all__ = [
    "PackageError",
    "Problem",
    "load_package",
    "read_zip_bytes",
    "validate_files",
    "validate_package",
]

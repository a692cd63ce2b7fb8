"""Importers of other formats into a :class:`~attune.content.model.CoursePackage` (issue 13).

Each importer reads untrusted bytes and returns an
:class:`~attune.content.importers.result.ImportResult`: the package (or None), the problems
that stopped or spoiled it, and what it skipped as unsupported, each located. Nothing here
raises on bad input, fetches a URL, or expands an XML entity.
"""

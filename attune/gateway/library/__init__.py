"""Course content in the gateway (issue 13): the tenant's content store, imports into it and
the engine, and the items the pages render.

The engine keeps what it tutors with (skills, item ids, tags, IRT); each of its items points
at its content with ``content:<digest>``, the digest of the package version it came from. The
pages read that version's documents from the content store, so the engine's PutCourse is the
one commit point of an import: a page never sees an item the engine does not know, nor
content of a version the engine has not taken.
"""

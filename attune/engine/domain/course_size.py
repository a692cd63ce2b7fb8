"""The size of a course, as the limits count it (see limits.MAX_COURSE_BYTES).

It is an upper bound of the course's size as a GetCourse reply with every default filled
in: each string counts its UTF-8 bytes plus a field header, and each skill, item and the
course itself a fixed allowance for their numbers (BKT and IRT parameters, policies) and
headers. A course within MAX_COURSE_BYTES therefore always fits gRPC's default 4 MiB message,
echoed by PutCourse or returned by GetCourse, and ListCourses can page by size without
encoding anything.
"""

from __future__ import annotations

from attune.engine.domain.errors import InvalidInputError

# A length-delimited field: one tag byte and a length of up to three bytes (every string is
# far below 2 MiB).
STRING_HEADER = 4
# A skill: its header, BKT (five doubles) and an optional mastery override (a double and
# two int32, ten bytes each when negative).
SKILL_FIXED = 5 + (2 + 5 * 9) + (2 + 9 + 11 + 11)
# An item: its header and IRT (three doubles).
ITEM_FIXED = 5 + (2 + 3 * 9)
# The course: its header in a reply, the mastery and diagnostic policies.
COURSE_FIXED = 5 + (2 + 9 + 11 + 11) + (2 + 2 + 11 + 11 + 9)


def text_size(field: str, value: str) -> int:
    """One string field: its UTF-8 bytes and header. A string that is not valid Unicode (a
    lone surrogate, possible in JSON) could never be sent back, so it is refused."""
    try:
        return len(value.encode("utf-8")) + STRING_HEADER
    except UnicodeEncodeError as exc:
        raise InvalidInputError(field, f"is not valid Unicode (at character {exc.start})") from exc

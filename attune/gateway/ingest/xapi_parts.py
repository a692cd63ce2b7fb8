"""The building blocks of an xAPI statement: agents and groups, language maps, extensions,
activities and their definitions (xAPI 1.0.3 Data §2.4.2, §2.4.4.1, §4.1; xAPI 2.0 the same).

Each check takes the JSON value and its path and raises :class:`InvalidInputError` at the
first problem. Unknown keys are refused at every level, which is what an LRS SHOULD* do
(1.0.3 Data §2.2.s4.b8).
"""

from __future__ import annotations

import re
from typing import Any

from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import InvalidInputError, index, key

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_KEYS = ("objectType", "name", *IFIS)
_GROUP_KEYS = (*_AGENT_KEYS, "member")
_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
# RFC 5646 tags, best effort (1.0.3 Data §2.2.s4.b7): subtags of 1-8 letters or digits.
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
INTERACTION_TYPES = frozenset(
    {
        "true-false",
        "choice",
        "fill-in",
        "long-fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
        "other",
    }
)
# Which component lists an interaction type may carry (1.0.3 Data §2.4.4.1, Interaction
# Components table).
_COMPONENTS = {
    "choices": ("choice", "sequencing"),
    "scale": ("likert",),
    "source": ("matching",),
    "target": ("matching",),
    "steps": ("performance",),
}
_DEFINITION_KEYS = (
    "name",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    *_COMPONENTS,
)


def language_tag(value: Any, path: str) -> str:
    """An RFC 5646 language tag, best effort."""
    if not _LANGUAGE_TAG.match(v.string(value, path)):
        raise InvalidInputError(path, f"is not an RFC 5646 language tag: {value!r}")
    return str(value)


def language_map(value: Any, path: str) -> dict[str, str]:
    """Language tag -> string (1.0.3 Data §4.1.4.1.2)."""
    if not isinstance(value, dict):
        raise InvalidInputError(path, "must be a language map (an object of tag -> string)")
    for tag, text in value.items():
        language_tag(tag, key(path, tag))
        v.string(text, key(path, tag))
    return value


def extensions(value: Any, path: str) -> dict[str, Any]:
    """IRI -> any JSON, nulls included (1.0.3 Data §4.1.5: the keys are IRIs)."""
    if not isinstance(value, dict):
        raise InvalidInputError(path, "must be an object of IRI -> value")
    for name in value:
        v.iri(name, key(path, name))
    return value


def agent_or_group(value: Any, path: str) -> dict[str, Any]:
    """An Agent, or a Group when ``objectType`` says so (1.0.3 Data §2.4.2)."""
    if isinstance(value, dict) and value.get("objectType") == "Group":
        return group(value, path)
    return agent(value, path)


def agent(value: Any, path: str) -> dict[str, Any]:
    """An Agent: exactly one inverse functional identifier (1.0.3 Data §2.4.2.1)."""
    if isinstance(value, dict) and value.get("objectType", "Agent") != "Agent":
        raise InvalidInputError(key(path, "objectType"), "must be Agent here")
    found = v.obj(value, path, _AGENT_KEYS)
    _name_and_ifis(found, path, needed=True)
    return found


def group(value: Any, path: str) -> dict[str, Any]:
    """A Group: identified (one IFI) or anonymous (members only) (1.0.3 Data §2.4.2.2)."""
    found = v.obj(value, path, _GROUP_KEYS, required=("objectType",))
    if found["objectType"] != "Group":
        raise InvalidInputError(key(path, "objectType"), "must be Group")
    identified = _name_and_ifis(found, path, needed=False)
    if "member" in found:
        members = v.array(found["member"], key(path, "member"))
        for n, member in enumerate(members):
            # Groups never nest (§2.4.2.2.s4.b2, §2.4.2.2.s5.b2).
            agent(member, index(key(path, "member"), n))
    elif not identified:
        raise InvalidInputError(key(path, "member"), "is required in a Group without an identifier")
    return found


def _name_and_ifis(found: dict[str, Any], path: str, *, needed: bool) -> bool:
    if "name" in found:
        v.string(found["name"], key(path, "name"))
    present = [name for name in IFIS if name in found]
    if len(present) > 1:
        raise InvalidInputError(
            path, f"has {len(present)} identifiers ({', '.join(present)}); exactly one is allowed"
        )
    if not present:
        if needed:
            raise InvalidInputError(path, "needs one of mbox, mbox_sha1sum, openid or account")
        return False
    name = present[0]
    where = key(path, name)
    if name == "mbox":
        # tincan would take "notmail" and quietly make it "mailto:notmail"; 1.0.3 Data §2.2
        # wants the non-format-following value refused instead.
        if not _MAILTO.match(v.string(found[name], where)):
            raise InvalidInputError(where, "must be a mailto IRI (mailto:name@example.edu)")
    elif name == "mbox_sha1sum":
        if not _SHA1.match(v.string(found[name], where)):
            raise InvalidInputError(where, "must be 40 hexadecimal digits (a SHA-1)")
    elif name == "openid":
        v.iri(found[name], where)
    else:
        account = v.obj(found[name], where, ("homePage", "name"), required=("homePage", "name"))
        v.iri(account["homePage"], key(where, "homePage"))
        v.string(account["name"], key(where, "name"), non_empty=True)
    return True


def activity(value: Any, path: str) -> dict[str, Any]:
    """An Activity (1.0.3 Data §2.4.4.1): an IRI id and an optional definition."""
    found = v.obj(value, path, ("objectType", "id", "definition"), required=("id",))
    if "objectType" in found and found["objectType"] != "Activity":
        raise InvalidInputError(key(path, "objectType"), "must be Activity here")
    v.iri(found["id"], key(path, "id"))
    if "definition" in found:
        definition(found["definition"], key(path, "definition"))
    return found


def definition(value: Any, path: str) -> dict[str, Any]:
    """An Activity Definition, interaction activities included."""
    found = v.obj(value, path, _DEFINITION_KEYS)
    for name in ("name", "description"):
        if name in found:
            language_map(found[name], key(path, name))
    if "type" in found:
        v.iri(found["type"], key(path, "type"))
    if "moreInfo" in found:
        v.iri(found["moreInfo"], key(path, "moreInfo"))
    if "extensions" in found:
        extensions(found["extensions"], key(path, "extensions"))
    kind = found.get("interactionType")
    if kind is not None and (not isinstance(kind, str) or kind not in INTERACTION_TYPES):
        raise InvalidInputError(
            key(path, "interactionType"), f"must be one of {', '.join(sorted(INTERACTION_TYPES))}"
        )
    if "correctResponsesPattern" in found:
        where = key(path, "correctResponsesPattern")
        for n, pattern in enumerate(v.array(found["correctResponsesPattern"], where)):
            v.string(pattern, index(where, n))
    for name, kinds in _COMPONENTS.items():
        if name in found:
            if kind not in kinds:
                raise InvalidInputError(
                    key(path, name), f"is only allowed with interactionType {' or '.join(kinds)}"
                )
            _components(found[name], key(path, name))
    return found


def _components(value: Any, path: str) -> None:
    seen: set[str] = set()
    for n, component in enumerate(v.array(value, path)):
        where = index(path, n)
        found = v.obj(component, where, ("id", "description"), required=("id",))
        ident = v.string(found["id"], key(where, "id"), non_empty=True)
        if ident in seen:  # ids are unique within one list (1.0.3 Data §2.4.4.1)
            raise InvalidInputError(key(where, "id"), f"repeats {ident!r}")
        seen.add(ident)
        if "description" in found:
            language_map(found["description"], key(where, "description"))

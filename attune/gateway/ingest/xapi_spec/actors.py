"""Agents, Groups and their identifiers, and the language maps and extensions every part of a
statement uses (xAPI 1.0.3 Data §2.4.2, §4.1, §4.2; 2.0.0 the same)."""

from __future__ import annotations

import re
from typing import Any

from attune.gateway.ingest import values as v
from attune.gateway.ingest.problems import index, key
from attune.gateway.ingest.xapi_spec.report import Report
from attune.gateway.xapi_store.ports import IFIS

_AGENT_KEYS = ("objectType", "name", *IFIS)
_GROUP_KEYS = (*_AGENT_KEYS, "member")
_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
# RFC 5646 §2.1 (ABNF), without the registry: language (2-3 letters with up to three extlang
# subtags, or 4-8 letters), script (4 letters), region (2 letters or 3 digits), variants
# (5-8 alphanumerics or a digit and 3), extensions (a singleton then 2-8), private use
# (x then 1-8); or a private-use tag alone; or one of the grandfathered tags.
_LANGTAG = re.compile(
    r"^(?:(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"
    r"(?:-[a-z]{4})?"
    r"(?:-(?:[a-z]{2}|\d{3}))?"
    r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*"
    r"(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?"
    r"|x(?:-[a-z\d]{1,8})+)$",
    re.IGNORECASE,
)
_GRANDFATHERED = frozenset(
    t.lower()
    for t in [
        "en-GB-oed",
        "i-ami",
        "i-bnn",
        "i-default",
        "i-enochian",
        "i-hak",
        "i-klingon",
        "i-lux",
        "i-mingo",
        "i-navajo",
        "i-pwn",
        "i-tao",
        "i-tay",
        "i-tsu",
        "sgn-BE-FR",
        "sgn-BE-NL",
        "sgn-CH-DE",
        "art-lojban",
        "cel-gaulish",
        "no-bok",
        "no-nyn",
        "zh-guoyu",
        "zh-hakka",
        "zh-min",
        "zh-min-nan",
        "zh-xiang",
    ]
)


def language_tag(r: Report, value: Any, path: str) -> None:
    """An RFC 5646 tag (1.0.3 Data §2.2.s4.b2: the sequence of subtag lengths is checked)."""
    if not isinstance(value, str):
        r.add(path, "language-tag", "must be a string")
    elif not (_LANGTAG.match(value) or value.lower() in _GRANDFATHERED):
        r.add(path, "language-tag", f"is not an RFC 5646 language tag: {value!r}")


def language_map(r: Report, value: Any, path: str) -> None:
    """Language tag -> string (1.0.3 Data §4.2)."""
    if not isinstance(value, dict):
        r.add(path, "language-map", "must be a language map (an object of tag -> string)")
        return
    for tag, text in value.items():
        if not _LANGTAG.match(tag) and tag.lower() not in _GRANDFATHERED:
            r.add(key(path, tag), "language-tag", f"is not an RFC 5646 language tag: {tag!r}")
        if not isinstance(text, str):
            r.add(key(path, tag), "language-map", "must be a string")


def extensions(r: Report, value: Any, path: str) -> None:
    """IRI -> any JSON, nulls included (1.0.3 Data §4.1)."""
    if not isinstance(value, dict):
        r.add(path, "extensions", "must be an object of IRI -> value")
        return
    for name in value:
        r.value("extensions", v.iri, name, key(path, name))


def actor(r: Report, value: Any, path: str) -> None:
    """An Agent, or a Group when ``objectType`` says so (1.0.3 Data §2.4.2)."""
    if isinstance(value, dict) and value.get("objectType") == "Group":
        group(r, value, path)
    else:
        agent(r, value, path)


def agent(r: Report, value: Any, path: str) -> None:
    """An Agent: exactly one inverse functional identifier (1.0.3 Data §2.4.2.1)."""
    found = r.fields(value, path, _AGENT_KEYS)
    if found is None:
        return
    if found.get("objectType", "Agent") != "Agent":
        r.add(key(path, "objectType"), "agent.objectType", "must be Agent here")
    _identifiers(r, found, path, needed=True)


def group(r: Report, value: Any, path: str) -> dict[str, Any] | None:
    """A Group, identified (one IFI) or anonymous (members only) (1.0.3 Data §2.4.2.2)."""
    found = r.fields(value, path, _GROUP_KEYS, required=("objectType",))
    if found is None:
        return None
    if "objectType" in found and found["objectType"] != "Group":
        r.add(key(path, "objectType"), "json.enum", "must be Group")
    identified = _identifiers(r, found, path, needed=False)
    if "member" in found:
        for n, member in enumerate(r.items(found["member"], key(path, "member"))):
            where = index(key(path, "member"), n)
            if isinstance(member, dict) and member.get("objectType") == "Group":
                r.add(
                    key(where, "objectType"),
                    "group.members",
                    "must be Agent (a Group's members are Agents)",
                )
            else:
                agent(r, member, where)
    elif not identified:
        r.add(
            key(path, "member"), "group.anonymous", "is required in a Group without an identifier"
        )
    return found


def _login(value: Any, path: str) -> str:
    """An account's name: "the unique id or name used to log in" (§2.4.2.4), so not empty."""
    return v.string(value, path, non_empty=True)


def _identifiers(r: Report, found: dict[str, Any], path: str, *, needed: bool) -> bool:
    if "name" in found and not isinstance(found["name"], str):
        r.add(key(path, "name"), "json.string", "must be a string")
    present = [name for name in IFIS if name in found]
    rule = "agent.ifi" if needed else "group.ifi"
    if len(present) > 1:
        r.add(path, rule, f"has {len(present)} identifiers ({', '.join(present)}); one is allowed")
    if not present:
        if needed:
            r.add(path, rule, "needs one of mbox, mbox_sha1sum, openid or account")
        return False
    for name in present:
        where, item = key(path, name), found[name]
        if name == "mbox":
            if not isinstance(item, str) or not _MAILTO.match(item):
                r.add(where, "ifi.mbox", "must be a mailto IRI (mailto:name@example.edu)")
        elif name == "mbox_sha1sum":
            if not isinstance(item, str) or not _SHA1.match(item):
                r.add(where, "ifi.sha1", "must be 40 hexadecimal digits (a SHA-1)")
        elif name == "openid":
            r.value("ifi.openid", v.iri, item, where)
        else:
            account = r.fields(item, where, ("homePage", "name"), required=("homePage", "name"))
            if account is None:
                continue
            if "homePage" in account:
                r.value("ifi.account", v.iri, account["homePage"], key(where, "homePage"))
            if "name" in account:
                r.value("ifi.account", _login, account["name"], key(where, "name"))
    return True

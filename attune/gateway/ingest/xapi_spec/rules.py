"""The requirements the validator checks, each with where the specification states it.

Sections: xAPI 1.0.3 (github.com/adlnet/xAPI-Spec, tag 1.0.3: "Data" is Part Two,
"Communication" Part Three, anchors like ``2.4.2.s2.b1``) and xAPI 2.0.0 (IEEE 9274.1.1-2023,
whose Part Two "Data" keeps 1.0.3's numbering for statements). A rule that exists in one
version only carries that version's section alone; :func:`count` gives the number per version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    """One requirement: what it says, and its section per version that has it."""

    text: str
    sections: dict[str, str]


def _both(section: str, text: str, v2: str | None = None) -> Rule:
    return Rule(
        text, {"1.0.3": f"xAPI 1.0.3 Data §{section}", "2.0.0": f"xAPI 2.0.0 Data §{v2 or section}"}
    )


def _v2(section: str, text: str) -> Rule:
    return Rule(text, {"2.0.0": f"xAPI 2.0.0 Data §{section}"})


RULES: dict[str, Rule] = {
    # JSON shape (§2.2 Formatting Requirements)
    "json.object": _both("2.2.s4.b1.b7", "a value the spec defines as an object is a JSON object"),
    "json.array": _both("2.2.s4.b1.b7", "a value the spec defines as an array is a JSON array"),
    "json.unknown": _both("2.2.s4.b8", "properties the spec does not allow are rejected"),
    "json.null": _both("2.2.s4.b1.b1", "no null values except inside extensions"),
    "json.required": _both("2.2.s2.b3", "required properties are present (actor, verb, object...)"),
    "json.string": _both("2.2.s4.b1.b4", "strings where the spec requires strings"),
    "json.number": _both("2.2.s4.b1.b2", "numbers, not strings, where numbers are required"),
    "json.boolean": _both("2.2.s4.b1.b3", "booleans, not strings, where booleans are required"),
    "json.enum": _both("2.2.s4.b1.b6", "enumerated values match the spec's case exactly"),
    # Special data types (§4)
    "uuid": _both("4.4", "UUIDs in the standard string form"),
    "language-map": _both("4.2", "a language map: RFC 5646 tag -> string (§2.2.s4.b2)"),
    "language-tag": _both("2.2.s4.b2", "language tags follow RFC 5646's subtag lengths"),
    "extensions": _both("4.1", "extension keys are IRIs; values any JSON"),
    "timestamp": _both("4.5", "timestamps are ISO 8601 date-times"),
    "timestamp.rfc3339": _v2("4.5", "timestamps are RFC 3339 date-times with an offset"),
    "duration": _both("4.6", "durations are ISO 8601 durations (PnYnMnDTnHnMnS or PnW)"),
    # Statement (§2.4)
    "statement.id": _both("2.4.1", "the statement id is a UUID"),
    "agent.ifi": _both("2.4.2.1", "an Agent has exactly one inverse functional identifier"),
    "agent.objectType": _both("2.4.2.1", "an Agent's objectType, when present, is Agent"),
    "group.anonymous": _both("2.4.2.2", "an anonymous Group lists its members"),
    "group.members": _both("2.4.2.2", "a Group's members are Agents, never Groups"),
    "group.ifi": _both("2.4.2.2", "an identified Group has exactly one identifier"),
    "ifi.mbox": _both("2.4.2.3", "mbox is a mailto IRI"),
    "ifi.sha1": _both("2.4.2.3", "mbox_sha1sum is the hex SHA-1 of a mailto IRI"),
    "ifi.openid": _both("2.4.2.3", "openid is a URI"),
    "ifi.account": _both("2.4.2.4", "account has homePage (IRL) and name"),
    "verb": _both("2.4.3", "a Verb has an IRI id and an optional display language map"),
    "object.type": _both(
        "2.4.4", "objectType is Activity, Agent, Group, StatementRef or SubStatement"
    ),
    "activity": _both("2.4.4.1", "an Activity has an IRI id and an optional definition"),
    "definition": _both(
        "2.4.4.1", "an Activity Definition: name, description, type, moreInfo, extensions"
    ),
    "interaction.type": _both("2.4.4.1", "interactionType is one of the ten CMI interaction types"),
    "interaction.needs-type": _both(
        "2.4.4.1",
        "interaction properties (correctResponsesPattern, components) need interactionType",
    ),
    "interaction.components": _both(
        "2.4.4.1", "choices/scale/source/target/steps only with their interaction types"
    ),
    "interaction.component-id": _both(
        "2.4.4.1", "interaction component ids are unique within a list"
    ),
    "interaction.pattern": _both(
        "2.4.4.1", "correctResponsesPattern is an array of response patterns"
    ),
    "object.agent": _both("2.4.4.2", "an Agent or Group as object states its objectType"),
    "statementref": _both("2.4.4.3", "a StatementRef has objectType StatementRef and a UUID id"),
    "substatement.forbidden": _both(
        "2.4.4.3", "a SubStatement has no id, stored, version or authority"
    ),
    "substatement.nested": _both("2.4.4.3", "a SubStatement does not contain a SubStatement"),
    "voiding": _both("2.3.2", "a voiding statement's object is a StatementRef"),
    "score.scaled": _both("2.4.5.1", "score.scaled is in [-1, 1]"),
    "score.range": _both("2.4.5.1", "score.min < score.max and raw within [min, max]"),
    "context.activity-only": _both(
        "2.4.6", "revision and platform only when the object is an Activity"
    ),
    "context.team": _both("2.4.6", "context.team is a Group"),
    "context.activities": _both(
        "2.4.6.2", "contextActivities: parent, grouping, category, other -> Activity or array"
    ),
    "context.agents": _v2("2.4.6", "contextAgents: contextAgent objects with an Agent"),
    "context.groups": _v2("2.4.6", "contextGroups: contextGroup objects with a Group"),
    "context.relevant-types": _v2("2.4.6", "relevantTypes is a non-empty array of IRIs"),
    "authority": _both(
        "2.4.9", "authority is an Agent, or an anonymous Group of exactly two Agents"
    ),
    "version": _both("2.4.10", "version is 1.0.x (and, under 2.0.0, 2.0.x)"),
    "attachment": _both("2.4.11", "attachment: usageType, display, contentType, length, sha2"),
    "attachment.length": _both("2.4.11", "attachment length is a non-negative integer"),
    "attachment.sha2": _both("2.4.11", "attachment sha2 is a hex SHA-2 digest"),
    "signature.contentType": _both("2.6", "a signature attachment is application/octet-stream"),
}


def count(version: str) -> int:
    """How many requirements the validator checks under ``version``."""
    return sum(version in rule.sections for rule in RULES.values())

"""Statement cases per requirement of xAPI 1.0.3 and 2.0.0 (Part Two "Data"), written from
the specification's text, valid and invalid (issue 19).

Each case is a change to a small valid statement, the versions it holds for, and what the
specification says: ``None`` for valid, or the path of the offending value and the rule
(a code of ``attune.gateway.ingest.xapi_spec.rules.RULES``). The same table drives the unit
test (every case), the HTTP test (a sample) and the Ralph round trip (the valid ones).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BOTH = ("1.0.3", "2.0.0")
V1 = ("1.0.3",)
V2 = ("2.0.0",)
UUID = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
ACT = "http://www.example.com/meetings/occurances/34534"
MBOX = "mailto:xapi@adlnet.gov"
SHA = "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"
SIG = "http://adlnet.gov/expapi/attachments/signature"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"


def base() -> dict[str, Any]:
    """The smallest valid statement, with a timestamp both versions accept."""
    return {
        "id": UUID,
        "actor": {"objectType": "Agent", "mbox": MBOX},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
        "object": {"objectType": "Activity", "id": ACT},
        "timestamp": "2013-05-18T05:32:34.804+00:00",
    }


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[dict[str, Any]], None]
    versions: tuple[str, ...]
    expected: tuple[str, str] | None  # (path, rule), None: valid

    def statement(self) -> dict[str, Any]:
        body = base()
        self.change(body)
        return body


def put(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with ``...``, delete) the value at a dotted path, creating objects."""

    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = body
        for name in parents:
            node = node.setdefault(name, {})
        if value is ...:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)

    return change


def both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        for one in changes:
            one(body)

    return change


def ok(
    name: str, change: Callable[[dict[str, Any]], None], versions: tuple[str, ...] = BOTH
) -> Case:
    return Case(name, change, versions, None)


def bad(
    name: str,
    change: Callable[[dict[str, Any]], None],
    path: str,
    rule: str,
    versions: tuple[str, ...] = BOTH,
) -> Case:
    return Case(name, change, versions, (path, rule))


def agent(**extra: Any) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": MBOX, **extra}


def group(members: int = 2, **extra: Any) -> dict[str, Any]:
    listed = [{"mbox": f"mailto:m{n}@example.com"} for n in range(members)]
    return {"objectType": "Group", "member": listed, **extra}


def interaction(kind: Any, **extra: Any) -> dict[str, Any]:
    return {"id": ACT, "definition": {"type": INTERACTION, "interactionType": kind, **extra}}


def choices(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "description": {"en-US": i}} for i in ids]


def attachment(**extra: Any) -> dict[str, Any]:
    return {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain; charset=ascii",
        "length": 27,
        "sha2": SHA,
        "fileUrl": "http://example.com/files/test.txt",
        **extra,
    }


def sub(**extra: Any) -> dict[str, Any]:
    return {
        "objectType": "SubStatement",
        "actor": agent(),
        "verb": {"id": "http://example.com/visited"},
        "object": {"id": ACT},
        **extra,
    }


CASES: list[Case] = [
    # §2.2 formatting; §2.4 required properties
    ok("minimal statement", lambda b: None),
    ok("no id (the LRS assigns one)", put("id", ...)),
    ok("no timestamp", put("timestamp", ...)),
    bad("actor missing", put("actor", ...), "actor", "json.required"),
    bad("verb missing", put("verb", ...), "verb", "json.required"),
    bad("object missing", put("object", ...), "object", "json.required"),
    bad("unknown top-level property", put("flavour", "x"), "flavour", "json.unknown"),
    bad("key in the wrong case", put("Actor", agent()), "Actor", "json.unknown"),
    bad("null value", put("result", None), "result", "json.null"),
    ok("null inside extensions", put("result.extensions", {"http://ex.com/e": None})),
    bad("statement is an array", lambda b: b.update(actor=[agent()]), "actor", "json.object"),
    # §2.4.1 id
    bad("id not a UUID", put("id", "not-a-uuid"), "id", "statement.id"),
    ok("id in upper case", put("id", UUID.upper())),
    bad("id a number", put("id", 7), "id", "statement.id"),
    # §2.4.2 actor: agents
    ok("agent without objectType", put("actor", {"mbox": MBOX})),
    ok(
        "agent by mbox_sha1sum",
        put("actor", {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}),
    ),
    ok("agent by openid", put("actor", {"openid": "http://toby.openid.example.org/"})),
    ok(
        "agent by account",
        put("actor", {"account": {"homePage": "http://www.example.com", "name": "13936749"}}),
    ),
    ok("agent with a name", put("actor", agent(name="Andrew Downes"))),
    bad(
        "agent without an identifier",
        put("actor", {"objectType": "Agent", "name": "x"}),
        "actor",
        "agent.ifi",
    ),
    bad(
        "agent with two identifiers",
        put("actor", agent(openid="http://a.example.org/")),
        "actor",
        "agent.ifi",
    ),
    bad("mbox without mailto", put("actor.mbox", "xapi@adlnet.gov"), "actor.mbox", "ifi.mbox"),
    bad(
        "mbox_sha1sum not hex",
        put("actor", {"mbox_sha1sum": "xyz"}),
        "actor.mbox_sha1sum",
        "ifi.sha1",
    ),
    bad("openid not a URI", put("actor", {"openid": "not a uri"}), "actor.openid", "ifi.openid"),
    bad(
        "account without homePage",
        put("actor", {"account": {"name": "x"}}),
        "actor.account.homePage",
        "json.required",
    ),
    bad(
        "account homePage not an IRL",
        put("actor", {"account": {"homePage": "nope", "name": "x"}}),
        "actor.account.homePage",
        "ifi.account",
    ),
    bad(
        "account with an extra key",
        put("actor", {"account": {"homePage": "http://e.com", "name": "x", "id": 1}}),
        "actor.account.id",
        "json.unknown",
    ),
    bad(
        "agent objectType in lower case",
        put("actor.objectType", "agent"),
        "actor.objectType",
        "agent.objectType",
    ),
    bad("agent name a number", put("actor.name", 5), "actor.name", "json.string"),
    bad("agent with members", put("actor.member", []), "actor.member", "json.unknown"),
    # §2.4.2.2 groups
    ok("anonymous group", put("actor", group(3))),
    ok("identified group without members", put("actor", {"objectType": "Group", "mbox": MBOX})),
    ok(
        "identified group with members",
        put("actor", group(2, account={"homePage": "http://e.com", "name": "g"})),
    ),
    bad(
        "anonymous group without members",
        put("actor", {"objectType": "Group", "name": "g"}),
        "actor.member",
        "group.anonymous",
    ),
    bad(
        "group in a group",
        put("actor", {"objectType": "Group", "member": [group(2)]}),
        "actor.member[0].objectType",
        "group.members",
    ),
    bad(
        "group member without identifier",
        put("actor", {"objectType": "Group", "member": [{"name": "x"}]}),
        "actor.member[0]",
        "agent.ifi",
    ),
    bad(
        "group member not an array",
        put("actor", {"objectType": "Group", "member": agent()}),
        "actor.member",
        "json.array",
    ),
    bad(
        "group with two identifiers",
        put(
            "actor",
            {"objectType": "Group", "mbox": MBOX, "openid": "http://o.example.org/", "member": []},
        ),
        "actor",
        "group.ifi",
    ),
    # §2.4.3 verb
    bad("verb without id", put("verb", {"display": {"en-US": "x"}}), "verb.id", "json.required"),
    bad("verb id not an IRI", put("verb.id", "attended"), "verb.id", "verb"),
    bad("verb id empty", put("verb.id", ""), "verb.id", "verb"),
    bad("verb display not a map", put("verb.display", "attended"), "verb.display", "language-map"),
    bad(
        "verb display bad tag",
        put("verb.display", {"en_US": "x"}),
        "verb.display.en_US",
        "language-tag",
    ),
    bad(
        "verb display value a number",
        put("verb.display", {"en": 1}),
        "verb.display.en",
        "language-map",
    ),
    ok(
        "verb display with script and region",
        put("verb.display", {"zh-Hans-CN": "x", "de-CH-1996": "y", "x-klingon": "z"}),
    ),
    bad(
        "verb with a description",
        put("verb.description", {"en": "x"}),
        "verb.description",
        "json.unknown",
    ),
    # §2.4.4 object
    ok("activity without objectType", put("object", {"id": ACT})),
    bad(
        "activity without id",
        put("object", {"objectType": "Activity"}),
        "object.id",
        "json.required",
    ),
    bad("activity id not an IRI", put("object.id", "meeting 34534"), "object.id", "activity"),
    bad(
        "object type unknown", put("object.objectType", "Thing"), "object.objectType", "object.type"
    ),
    bad(
        "object type in lower case",
        put("object.objectType", "activity"),
        "object.objectType",
        "object.type",
    ),
    ok("agent as object", put("object", agent())),
    ok("group as object", put("object", group(2))),
    bad(
        "agent as object without identifier",
        put("object", {"objectType": "Agent"}),
        "object",
        "agent.ifi",
    ),
    ok("statement ref", put("object", {"objectType": "StatementRef", "id": UUID})),
    bad(
        "statement ref without id",
        put("object", {"objectType": "StatementRef"}),
        "object.id",
        "json.required",
    ),
    bad(
        "statement ref id not a UUID",
        put("object", {"objectType": "StatementRef", "id": "x"}),
        "object.id",
        "uuid",
    ),
    bad(
        "statement ref with a definition",
        put("object", {"objectType": "StatementRef", "id": UUID, "definition": {}}),
        "object.definition",
        "json.unknown",
    ),
    # §2.4.4.1 definitions and interactions
    ok(
        "full definition",
        put(
            "object.definition",
            {
                "name": {"en-US": "m"},
                "description": {"en-US": "d"},
                "type": "http://adlnet.gov/expapi/activities/meeting",
                "moreInfo": "http://virtualmeeting.example.com/345256",
                "extensions": {"http://example.com/ext": {"a": 1}},
            },
        ),
    ),
    bad(
        "definition type not an IRI",
        put("object.definition", {"type": "meeting"}),
        "object.definition.type",
        "definition",
    ),
    bad(
        "definition unknown key",
        put("object.definition", {"flavour": 1}),
        "object.definition.flavour",
        "json.unknown",
    ),
    bad(
        "extension key not an IRI",
        put("object.definition", {"extensions": {"colour": "red"}}),
        "object.definition.extensions.colour",
        "extensions",
    ),
    ok("true-false", put("object", interaction("true-false", correctResponsesPattern=["true"]))),
    bad(
        "true-false pattern maybe",
        put("object", interaction("true-false", correctResponsesPattern=["maybe"])),
        "object.definition.correctResponsesPattern[0]",
        "interaction.pattern",
    ),
    ok(
        "choice",
        put(
            "object",
            interaction(
                "choice",
                choices=choices("golf", "tetris"),
                correctResponsesPattern=["golf[,]tetris"],
            ),
        ),
    ),
    bad(
        "choice pattern with an unknown id",
        put(
            "object",
            interaction("choice", choices=choices("golf"), correctResponsesPattern=["chess"]),
        ),
        "object.definition.correctResponsesPattern[0]",
        "interaction.pattern",
    ),
    bad(
        "choice ids repeated",
        put("object", interaction("choice", choices=choices("golf", "golf"))),
        "object.definition.choices[1].id",
        "interaction.component-id",
    ),
    bad(
        "choice without id",
        put("object", interaction("choice", choices=[{"description": {"en": "x"}}])),
        "object.definition.choices[0].id",
        "json.required",
    ),
    ok(
        "fill-in with parameters",
        put(
            "object",
            interaction(
                "fill-in", correctResponsesPattern=["{case_matters=false}Bob's your uncle"]
            ),
        ),
    ),
    ok(
        "long-fill-in",
        put(
            "object",
            interaction(
                "long-fill-in",
                correctResponsesPattern=[
                    "{lang=en}To store and provide access to learning experiences."
                ],
            ),
        ),
    ),
    ok(
        "matching",
        put(
            "object",
            interaction(
                "matching",
                source=choices("ben", "chris"),
                target=choices("1", "2"),
                correctResponsesPattern=["ben[.]1[,]chris[.]2"],
            ),
        ),
    ),
    bad(
        "matching pair without [.]",
        put(
            "object",
            interaction(
                "matching",
                source=choices("ben"),
                target=choices("1"),
                correctResponsesPattern=["ben-1"],
            ),
        ),
        "object.definition.correctResponsesPattern[0]",
        "interaction.pattern",
    ),
    ok(
        "performance",
        put(
            "object",
            interaction(
                "performance",
                steps=choices("pong", "dg"),
                correctResponsesPattern=["pong[.]1:[,]dg[.]:10"],
            ),
        ),
    ),
    ok(
        "sequencing",
        put(
            "object",
            interaction(
                "sequencing", choices=choices("tim", "ben"), correctResponsesPattern=["tim[,]ben"]
            ),
        ),
    ),
    ok(
        "likert",
        put(
            "object",
            interaction(
                "likert",
                scale=choices("likert_0", "likert_1"),
                correctResponsesPattern=["likert_1"],
            ),
        ),
    ),
    ok("numeric range", put("object", interaction("numeric", correctResponsesPattern=["4[:]"]))),
    bad(
        "numeric pattern a word",
        put("object", interaction("numeric", correctResponsesPattern=["four"])),
        "object.definition.correctResponsesPattern[0]",
        "interaction.pattern",
    ),
    ok(
        "other",
        put("object", interaction("other", correctResponsesPattern=["(35.937432,-86.868896)"])),
    ),
    bad(
        "interactionType unknown",
        put("object", interaction("essay")),
        "object.definition.interactionType",
        "interaction.type",
    ),
    bad(
        "interactionType in upper case",
        put("object", interaction("Choice")),
        "object.definition.interactionType",
        "interaction.type",
    ),
    bad(
        "interactionType an object",
        put("object", interaction({"type": "choice"})),
        "object.definition.interactionType",
        "interaction.type",
    ),
    bad(
        "correctResponsesPattern without interactionType",
        put("object.definition", {"correctResponsesPattern": ["true"]}),
        "object.definition.correctResponsesPattern",
        "interaction.needs-type",
    ),
    bad(
        "choices without interactionType",
        put("object.definition", {"choices": choices("a")}),
        "object.definition.choices",
        "interaction.needs-type",
    ),
    bad(
        "scale on a choice",
        put("object", interaction("choice", scale=choices("a"))),
        "object.definition.scale",
        "interaction.components",
    ),
    bad(
        "correctResponsesPattern not an array",
        put("object", interaction("fill-in", correctResponsesPattern="x")),
        "object.definition.correctResponsesPattern",
        "json.array",
    ),
    # §2.4.4.3 SubStatement
    ok("substatement", put("object", sub())),
    ok(
        "substatement with a result",
        put("object", sub(result={"success": True, "score": {"scaled": 0.5}})),
    ),
    ok(
        "substatement with context and timestamp",
        put(
            "object", sub(context={"registration": UUID}, timestamp="2013-05-18T05:32:34.804+00:00")
        ),
    ),
    ok(
        "substatement with contextAgents",
        put(
            "object",
            sub(context={"contextAgents": [{"objectType": "contextAgent", "agent": agent()}]}),
        ),
        V2,
    ),
    ok(
        "substatement with contextGroups",
        put(
            "object",
            sub(
                context={
                    "contextGroups": [
                        {
                            "objectType": "contextGroup",
                            "group": group(2),
                            "relevantTypes": ["http://example.com/t"],
                        }
                    ]
                }
            ),
        ),
        V2,
    ),
    bad(
        "substatement contextAgents under 1.0.3",
        put("object", sub(context={"contextAgents": []})),
        "object.context.contextAgents",
        "json.unknown",
        V1,
    ),
    bad(
        "substatement with an id",
        put("object", sub(id=UUID)),
        "object.id",
        "substatement.forbidden",
    ),
    bad(
        "substatement with stored",
        put("object", sub(stored="2013-05-18T05:32:34.804+00:00")),
        "object.stored",
        "substatement.forbidden",
    ),
    bad(
        "substatement with version",
        put("object", sub(version="1.0.0")),
        "object.version",
        "substatement.forbidden",
    ),
    bad(
        "substatement with authority",
        put("object", sub(authority=agent())),
        "object.authority",
        "substatement.forbidden",
    ),
    bad(
        "substatement in a substatement",
        put("object", sub(object=sub())),
        "object.object.objectType",
        "substatement.nested",
    ),
    bad(
        "substatement without verb",
        put("object", {"objectType": "SubStatement", "actor": agent(), "object": {"id": ACT}}),
        "object.verb",
        "json.required",
    ),
    bad(
        "substatement with a bad actor",
        put("object", sub(actor={"name": "x"})),
        "object.actor",
        "agent.ifi",
    ),
    # §2.3.2 voiding
    ok(
        "voiding a statement",
        both(
            put("verb.id", "http://adlnet.gov/expapi/verbs/voided"),
            put("object", {"objectType": "StatementRef", "id": UUID}),
        ),
    ),
    bad(
        "voiding an activity",
        put("verb.id", "http://adlnet.gov/expapi/verbs/voided"),
        "object.objectType",
        "voiding",
    ),
    # §2.4.5 result
    ok(
        "full result",
        put(
            "result",
            {
                "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
                "success": True,
                "completion": True,
                "response": "We agreed",
                "duration": "PT1H0M0S",
                "extensions": {"http://ex.com/e": 1},
            },
        ),
    ),
    bad(
        "scaled above 1",
        put("result.score", {"scaled": 1.5}),
        "result.score.scaled",
        "score.scaled",
    ),
    ok("scaled at -1", put("result.score", {"scaled": -1})),
    bad(
        "raw above max",
        put("result.score", {"raw": 101, "max": 100}),
        "result.score.raw",
        "score.range",
    ),
    bad(
        "raw below min",
        put("result.score", {"raw": -1, "min": 0}),
        "result.score.raw",
        "score.range",
    ),
    bad(
        "max not above min",
        put("result.score", {"min": 5, "max": 5}),
        "result.score.max",
        "score.range",
    ),
    bad("raw a string", put("result.score", {"raw": "95"}), "result.score.raw", "json.number"),
    bad("success a string", put("result.success", "true"), "result.success", "json.boolean"),
    bad("completion a number", put("result.completion", 1), "result.completion", "json.boolean"),
    bad("response a number", put("result.response", 4), "result.response", "json.string"),
    ok("duration in weeks", put("result.duration", "P2W")),
    ok("duration with fractions", put("result.duration", "PT4.25S")),
    bad("duration in minutes", put("result.duration", "90 minutes"), "result.duration", "duration"),
    bad(
        "duration alternative form",
        put("result.duration", "P0003-01-29T04:35:59"),
        "result.duration",
        "duration",
    ),
    bad("result unknown key", put("result.grade", "A"), "result.grade", "json.unknown"),
    # §2.4.6 context
    ok(
        "full context",
        put(
            "context",
            {
                "registration": UUID,
                "instructor": agent(name="I"),
                "team": group(2),
                "contextActivities": {
                    "parent": [{"id": ACT}],
                    "grouping": {"id": "http://example.com/g"},
                    "category": [
                        {
                            "id": "http://example.com/c",
                            "definition": {"type": "http://id.tincanapi.com/activitytype/source"},
                        }
                    ],
                    "other": [],
                },
                "revision": "r1",
                "platform": "p",
                "language": "en-US",
                "statement": {"objectType": "StatementRef", "id": UUID},
                "extensions": {"http://example.com/e": 1},
            },
        ),
    ),
    bad(
        "registration not a UUID", put("context.registration", "x"), "context.registration", "uuid"
    ),
    ok("instructor a group", put("context.instructor", group(2))),
    bad("team an agent", put("context.team", agent()), "context.team.objectType", "context.team"),
    bad(
        "contextActivities unknown kind",
        put("context.contextActivities", {"sibling": []}),
        "context.contextActivities.sibling",
        "json.unknown",
    ),
    bad(
        "contextActivities parent not an activity",
        put("context.contextActivities", {"parent": [{"name": "x"}]}),
        "context.contextActivities.parent[0].name",
        "json.unknown",
    ),
    bad(
        "contextActivities parent a string",
        put("context.contextActivities", {"parent": ACT}),
        "context.contextActivities.parent",
        "context.activities",
    ),
    bad(
        "contextActivities entry an agent",
        put("context.contextActivities", {"other": {"objectType": "Agent", "id": ACT}}),
        "context.contextActivities.other.objectType",
        "json.enum",
    ),
    bad(
        "context statement an activity",
        put("context.statement", {"objectType": "Activity", "id": UUID}),
        "context.statement.objectType",
        "statementref",
    ),
    bad(
        "contextGroup wrong objectType",
        put("context.contextGroups", [{"objectType": "Group", "group": group(2)}]),
        "context.contextGroups[0].objectType",
        "context.groups",
        V2,
    ),
    bad(
        "agent as object without objectType",
        put("object", {"mbox": MBOX}),
        "object.objectType",
        "object.agent",
    ),
    bad(
        "revision with an agent object",
        both(put("object", agent()), put("context.revision", "r")),
        "context.revision",
        "context.activity-only",
    ),
    bad(
        "platform with a statement ref",
        both(
            put("object", {"objectType": "StatementRef", "id": UUID}), put("context.platform", "p")
        ),
        "context.platform",
        "context.activity-only",
    ),
    bad(
        "language not a tag",
        put("context.language", "english please"),
        "context.language",
        "language-tag",
    ),
    bad(
        "context statement not a ref",
        put("context.statement", {"id": UUID}),
        "context.statement.objectType",
        "json.required",
    ),
    ok(
        "contextAgents",
        put(
            "context.contextAgents",
            [
                {
                    "objectType": "contextAgent",
                    "agent": agent(),
                    "relevantTypes": ["http://example.com/instructor"],
                }
            ],
        ),
        V2,
    ),
    ok(
        "contextGroups",
        put("context.contextGroups", [{"objectType": "contextGroup", "group": group(2)}]),
        V2,
    ),
    bad(
        "contextAgents under 1.0.3",
        put("context.contextAgents", []),
        "context.contextAgents",
        "json.unknown",
        V1,
    ),
    bad(
        "contextGroups under 1.0.3",
        put("context.contextGroups", []),
        "context.contextGroups",
        "json.unknown",
        V1,
    ),
    bad(
        "contextAgent wrong objectType",
        put("context.contextAgents", [{"objectType": "Agent", "agent": agent()}]),
        "context.contextAgents[0].objectType",
        "context.agents",
        V2,
    ),
    bad(
        "contextAgent with a group",
        put("context.contextAgents", [{"objectType": "contextAgent", "agent": group(2)}]),
        "context.contextAgents[0].agent.member",
        "json.unknown",
        V2,
    ),
    bad(
        "relevantTypes empty",
        put(
            "context.contextGroups",
            [{"objectType": "contextGroup", "group": group(2), "relevantTypes": []}],
        ),
        "context.contextGroups[0].relevantTypes",
        "json.array",
        V2,
    ),
    bad(
        "relevantTypes not IRIs",
        put(
            "context.contextAgents",
            [{"objectType": "contextAgent", "agent": agent(), "relevantTypes": ["teacher"]}],
        ),
        "context.contextAgents[0].relevantTypes[0]",
        "context.relevant-types",
        V2,
    ),
    # §2.4.7 timestamp, §2.4.8 stored, §4.5
    ok("timestamp in Z", put("timestamp", "2013-05-18T05:32:34.804Z")),
    ok(
        "timestamp without a zone (1.0.3: SHOULD only)", put("timestamp", "2013-05-18T05:32:34"), V1
    ),
    bad(
        "timestamp without a zone under 2.0.0",
        put("timestamp", "2013-05-18T05:32:34"),
        "timestamp",
        "timestamp.rfc3339",
        V2,
    ),
    ok("timestamp in ISO 8601 basic format", put("timestamp", "20130518T053234Z"), V1),
    bad(
        "timestamp in basic format under 2.0.0",
        put("timestamp", "20130518T053234Z"),
        "timestamp",
        "timestamp.rfc3339",
        V2,
    ),
    bad("timestamp a date only", put("timestamp", "yesterday"), "timestamp", "timestamp", V1),
    bad("timestamp a number", put("timestamp", 1368855154), "timestamp", "timestamp", V1),
    ok("stored", put("stored", "2013-05-18T05:32:35.000+00:00")),
    bad("stored not a timestamp", put("stored", "now"), "stored", "timestamp", V1),
    # §2.4.9 authority
    ok("authority an agent", put("authority", agent())),
    ok("authority a group of two agents (OAuth)", put("authority", group(2))),
    bad("authority a group of three", put("authority", group(3)), "authority.member", "authority"),
    bad("authority a group of one", put("authority", group(1)), "authority.member", "authority"),
    bad(
        "authority an identified group",
        put("authority", group(2, mbox=MBOX)),
        "authority",
        "authority",
    ),
    bad(
        "authority an agent without identifier",
        put("authority", {"name": "x"}),
        "authority",
        "agent.ifi",
    ),
    # §2.4.10 version
    ok("version 1.0.0", put("version", "1.0.0")),
    ok("version 1.0.3", put("version", "1.0.3")),
    ok("version 2.0.0 under 2.0.0", put("version", "2.0.0"), V2),
    bad("version 2.0.0 under 1.0.3", put("version", "2.0.0"), "version", "version", V1),
    bad("version 0.95", put("version", "0.95"), "version", "version"),
    bad("version a number", put("version", 1.0), "version", "version"),
    # §2.4.11 attachments, §2.6 signature
    ok("attachment by fileUrl", put("attachments", [attachment()])),
    ok(
        "attachment with a description",
        put("attachments", [attachment(description={"en-US": "d"})]),
    ),
    bad(
        "attachment without usageType",
        put("attachments", [attachment(usageType=...)]),
        "attachments[0].usageType",
        "json.required",
    ),
    bad(
        "attachment without display",
        put("attachments", [attachment(display=...)]),
        "attachments[0].display",
        "json.required",
    ),
    bad(
        "attachment without sha2",
        put("attachments", [attachment(sha2=...)]),
        "attachments[0].sha2",
        "json.required",
    ),
    bad(
        "attachment sha2 not hex",
        put("attachments", [attachment(sha2="abc")]),
        "attachments[0].sha2",
        "attachment.sha2",
    ),
    bad(
        "attachment length negative",
        put("attachments", [attachment(length=-1)]),
        "attachments[0].length",
        "attachment.length",
    ),
    bad(
        "attachment length a string",
        put("attachments", [attachment(length="27")]),
        "attachments[0].length",
        "attachment.length",
    ),
    bad(
        "attachment usageType not an IRI",
        put("attachments", [attachment(usageType="test")]),
        "attachments[0].usageType",
        "attachment",
    ),
    bad(
        "attachment contentType not a media type",
        put("attachments", [attachment(contentType="text")]),
        "attachments[0].contentType",
        "attachment",
    ),
    bad("attachments not an array", put("attachments", attachment()), "attachments", "json.array"),
    bad(
        "signature not octet-stream",
        put("attachments", [attachment(usageType=SIG, contentType="application/json")]),
        "attachments[0].contentType",
        "signature.contentType",
    ),
    ok(
        "signature as octet-stream",
        put("attachments", [attachment(usageType=SIG, contentType="application/octet-stream")]),
    ),
]


def _drop_ellipsis(cases: list[Case]) -> list[Case]:
    """``attachment(x=...)`` means "without x"."""

    def fix(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        def fixed(body: dict[str, Any]) -> None:
            change(body)
            for item in (
                body.get("attachments", []) if isinstance(body.get("attachments"), list) else []
            ):
                for name in [k for k, v in item.items() if v is ...]:
                    del item[name]

        return fixed

    return [Case(c.name, fix(c.change), c.versions, c.expected) for c in cases]


CASES = _drop_ellipsis(CASES)


def per_version() -> list[tuple[Case, str]]:
    """Every (case, version) pair the table holds."""
    return [(case, version) for case in CASES for version in case.versions]

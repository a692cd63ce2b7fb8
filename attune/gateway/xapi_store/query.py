"""The GET parameters of the statements resource and what they select (xAPI 1.0.3
Communication §2.1.3, "GET Statements"; the same in 2.0.0 Communication §2.1.3). Pure.

- ``agent`` matches by Inverse Functional Identifier (Data §2.4.2.3): the actor, or the
  object when it is an Agent or Group; ``related_agents=true`` widens that to the authority,
  the context's instructor and team (2.0.0: ``contextAgents``, ``contextGroups``) and the
  same places in a SubStatement, and to the members of a Group without an IFI.
- ``activity`` matches the object's id; ``related_activities=true`` adds the context
  activities and a SubStatement's object and context activities.
- Filters other than ``since``, ``until`` and ``limit`` also match a statement whose object
  is a StatementRef to a statement that matches them, recursively (Communication §2.1.3,
  "Filter Conditions for StatementRefs").
- ``since`` is exclusive and ``until`` inclusive, both on ``stored``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from attune.gateway.xapi_store.ports import IFIS, QueryError, StoredStatement

Format = Literal["exact", "ids", "canonical"]
Ifi = tuple[str, ...]
MAX_LIMIT = 500  # statements in one page; limit=0 asks for this
_REF_DEPTH = 10  # StatementRef chains followed when matching
QUERY_PARAMS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
SINGLE_PARAMS = frozenset({"statementId", "voidedStatementId"})
# Communication §2.1.3: with statementId / voidedStatementId only these may be given.
WITH_SINGLE = frozenset({"format", "attachments"})
_FORMATS: tuple[Format, ...] = ("exact", "ids", "canonical")
_CONTEXT_KINDS = ("parent", "grouping", "category", "other")


@dataclass(frozen=True, slots=True)
class StatementQuery:
    """A validated filtered query."""

    agent: Ifi | None = None
    verb: str = ""
    activity: str = ""
    registration: str = ""
    related_activities: bool = False
    related_agents: bool = False
    since: float | None = None
    until: float | None = None
    limit: int = MAX_LIMIT
    format: Format = "exact"
    ascending: bool = False
    attachments: bool = False


def parse_query(args: Mapping[str, str]) -> StatementQuery:
    """The query in ``args`` (the request's parameters without ``more``), or
    :class:`QueryError` naming the parameter."""
    for name in args:
        if name not in QUERY_PARAMS:
            raise QueryError(name, "is not a parameter of GET /xapi/statements")
    agent = None
    if "agent" in args:
        agent = _agent_param(args["agent"])
    registration = args.get("registration", "")
    if registration:
        try:
            registration = str(uuid.UUID(registration))
        except ValueError as exc:
            raise QueryError("registration", "must be a UUID") from exc
    return StatementQuery(
        agent=agent,
        verb=_iri(args, "verb"),
        activity=_iri(args, "activity"),
        registration=registration,
        related_activities=boolean(args, "related_activities"),
        related_agents=boolean(args, "related_agents"),
        since=timestamp(args, "since"),
        until=timestamp(args, "until"),
        limit=_limit(args.get("limit", "0")),
        format=format_of(args),
        ascending=boolean(args, "ascending"),
        attachments=boolean(args, "attachments"),
    )


def boolean(args: Mapping[str, str], name: str) -> bool:
    """A ``true``/``false`` parameter (default false)."""
    value = args.get(name, "false")
    if value not in ("true", "false"):
        raise QueryError(name, f"must be true or false, got {value!r}")
    return value == "true"


def format_of(args: Mapping[str, str]) -> Format:
    """The ``format`` parameter (default exact)."""
    value = args.get("format", "exact")
    for known in _FORMATS:
        if value == known:
            return known
    raise QueryError("format", f"must be ids, exact or canonical, got {value!r}")


def timestamp(args: Mapping[str, str], name: str) -> float | None:
    """An ISO 8601 timestamp parameter with a zone, as epoch seconds."""
    if name not in args:
        return None
    try:
        found = datetime.fromisoformat(args[name])
    except ValueError as exc:
        raise QueryError(name, "must be an ISO 8601 timestamp") from exc
    if found.tzinfo is None:
        raise QueryError(name, "must carry a time zone (Z or an offset)")
    return found.timestamp()


def _limit(value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise QueryError("limit", "must be a non-negative integer")
    wanted = int(value)
    return MAX_LIMIT if wanted == 0 else min(wanted, MAX_LIMIT)


def _iri(args: Mapping[str, str], name: str) -> str:
    value = args.get(name, "")
    if name in args and (not value or ":" not in value):
        raise QueryError(name, "must be an IRI")
    return value


def _agent_param(raw: str) -> Ifi:
    try:
        found = json.loads(raw)
    except ValueError as exc:
        raise QueryError("agent", "must be a JSON Agent or Group") from exc
    if not isinstance(found, dict):
        raise QueryError("agent", "must be a JSON Agent or Group")
    if found.get("objectType", "Agent") not in ("Agent", "Group"):
        raise QueryError("agent.objectType", "must be Agent or Group")
    ifis = [k for k in IFIS if k in found]
    if len(ifis) != 1:
        raise QueryError("agent", "must carry exactly one inverse functional identifier")
    key = ifi_of(found)
    if key is None:
        raise QueryError(f"agent.{ifis[0]}", "is not a valid identifier")
    return key


def ifi_of(actor: Any) -> Ifi | None:
    """The inverse functional identifier of an Agent or identified Group, or ``None``."""
    if not isinstance(actor, dict):
        return None
    for kind in ("mbox", "mbox_sha1sum", "openid"):
        if isinstance(actor.get(kind), str):
            return (kind, actor[kind])
    account = actor.get("account")
    if isinstance(account, dict):
        home, user = account.get("homePage"), account.get("name")
        if isinstance(home, str) and isinstance(user, str):
            return ("account", home, user)
    return None


# -- matching ---------------------------------------------------------------------------


def in_window(record: StoredStatement, q: StatementQuery) -> bool:
    """The time filters, which apply to the statement itself."""
    # In whole milliseconds: ``stored`` is returned with millisecond precision, and a
    # client's since/until are usually a ``stored`` it was given.
    stored = round(record.stored * 1000)
    if q.since is not None and stored <= round(q.since * 1000):
        return False
    return q.until is None or stored <= round(q.until * 1000)


def matches(
    statement: dict[str, Any],
    q: StatementQuery,
    resolve: Callable[[str], dict[str, Any] | None],
    depth: int = 0,
) -> bool:
    """Whether ``statement`` meets the non-time filters, directly or through the statement
    its StatementRef targets (``resolve`` reads one by id)."""
    if _direct(statement, q):
        return True
    target = statement.get("object")
    if depth >= _REF_DEPTH or not isinstance(target, dict):
        return False
    if target.get("objectType") != "StatementRef" or not isinstance(target.get("id"), str):
        return False
    found = resolve(target["id"].lower())
    return found is not None and matches(found, q, resolve, depth + 1)


def _direct(statement: dict[str, Any], q: StatementQuery) -> bool:
    if q.verb and (statement.get("verb") or {}).get("id") != q.verb:
        return False
    if q.registration and _registration(statement) != q.registration:
        return False
    if q.activity and q.activity not in set(_activities(statement, q.related_activities)):
        return False
    return q.agent is None or q.agent in set(_agents(statement, q.related_agents))


def _registration(statement: dict[str, Any]) -> str:
    value = (statement.get("context") or {}).get("registration")
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else ""
    except ValueError:
        return ""


def _activities(statement: dict[str, Any], related: bool) -> Iterator[str]:
    target = statement.get("object")
    if isinstance(target, dict):
        if target.get("objectType", "Activity") == "Activity" and "id" in target:
            yield target["id"]
        if related and target.get("objectType") == "SubStatement":
            yield from _activities(target, related)
    if related:
        context = statement.get("context") or {}
        for kind in _CONTEXT_KINDS:
            found = (context.get("contextActivities") or {}).get(kind) or []
            for activity in found if isinstance(found, list) else [found]:
                if isinstance(activity, dict) and "id" in activity:
                    yield activity["id"]


def _agents(statement: dict[str, Any], related: bool) -> Iterator[Ifi]:
    actors: list[Any] = [statement.get("actor")]
    target = statement.get("object")
    if isinstance(target, dict) and target.get("objectType") in ("Agent", "Group"):
        actors.append(target)
    if related:
        context = statement.get("context") or {}
        actors += [statement.get("authority"), context.get("instructor"), context.get("team")]
        actors += [a.get("agent") for a in context.get("contextAgents") or [] if a]
        actors += [g.get("group") for g in context.get("contextGroups") or [] if g]
    for actor in actors:
        key = ifi_of(actor)
        if key is not None:
            yield key
        elif related and isinstance(actor, dict):
            # A Group without an IFI is known by its members.
            for member in actor.get("member") or []:
                found = ifi_of(member)
                if found is not None:
                    yield found
    if related and isinstance(target, dict) and target.get("objectType") == "SubStatement":
        yield from _agents(target, related)

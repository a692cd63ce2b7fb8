"""Engine events as xAPI statements that are valid under both xAPI 1.0.3 and xAPI 2.0.

One builder serves both versions. The 1.0.3 statement uses nothing 2.0 removed or
restricted: timestamps are RFC 3339 in UTC with upper-case ``T`` and ``Z``, durations use
only the ``PT..H..M..S`` form, ``contextActivities`` values are always arrays. A tenant on
2.0.0 additionally gets the 2.0-only ``contextAgents`` and ``contextGroups``; a tenant on
1.0.3 never sees them, because a 1.0.3 LRS must reject unknown properties (xAPI 1.0.3 Data
§2.2). ``version`` is never set: Learning Record Providers SHOULD NOT set it (xAPI 1.0.3
Data §2.4.10), and leaving it out lets the same statement go to either LRS; the outbox
names the version in the ``X-Experience-API-Version`` header instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attune.gateway.statements import iris
from attune.gateway.statements.events import EventKind, LearningEvent
from attune.gateway.statements.ids import xapi_statement_id
from attune.gateway.statements.profile import TenantProfile
from attune.gateway.statements.timefmt import iso_duration, iso_timestamp

JsonObject = dict[str, Any]

_VERBS: Mapping[EventKind, tuple[str, str]] = {
    "answered": (iris.VERB_ANSWERED, "answered"),
    "mastered": (iris.VERB_MASTERED, "mastered"),
    "recommended": (iris.VERB_RECOMMENDED, "was recommended"),
    "launched": (iris.VERB_LAUNCHED, "launched"),
    "grade_changed": (iris.VERB_SCORED, "scored"),
}


def build_xapi(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    """One JSON-ready xAPI statement for ``event``, shaped for ``profile``'s LRS."""
    if event.tenant != profile.tenant:
        # A statement built with another tenant's profile would land in the wrong LRS.
        raise ValueError(
            f"event of tenant {event.tenant!r} given the profile of {profile.tenant!r}"
        )
    verb_id, verb_display = _VERBS[event.kind]
    statement: JsonObject = {
        "id": xapi_statement_id(event),
        "actor": actor(event, profile),
        "verb": {"id": verb_id, "display": {profile.language: verb_display}},
        "object": _object(event, profile),
        # Always set: an LRS stamps its own time on a statement without one, and then a
        # retried statement differs from the stored one and is refused with 409.
        "timestamp": iso_timestamp(event.occurred_at),
        "context": _context(event, profile),
    }
    result = _result(event)
    if result:
        statement["result"] = result
    return statement


def actor(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    """The learner as an Agent identified by a pseudonymous account.

    The account (xAPI 1.0.3 Data §2.4.2.4: "SHOULD use an opaque account name") is the
    engine's learner id under the tenant's home page: the id is already a pseudonym, and
    using it unchanged lets inbound statements find the learner again. It is the only
    Inverse Functional Identifier, on every statement, whatever the tenant shares: an Agent
    carries exactly one (§2.4.2.1), and switching to ``mbox`` whenever an event happens to
    carry an email would split one learner into two agents. A tenant with
    ``share_identity`` gets the learner's ``name`` added, which is not an identifier.
    """
    agent: JsonObject = {
        "objectType": "Agent",
        "account": {"homePage": profile.home_page, "name": event.learner_id},
    }
    if profile.share_identity and event.person is not None and event.person.name:
        agent["name"] = event.person.name
    return agent


def _course_activity(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    definition: JsonObject = {"type": iris.TYPE_COURSE}
    if event.course_title:
        definition["name"] = {profile.language: event.course_title}
    return {
        "objectType": "Activity",
        "id": iris.course_iri(profile, event.course_id),
        "definition": definition,
    }


def _item_activity(event: LearningEvent, profile: TenantProfile, item_id: str) -> JsonObject:
    # The engine does not know how an item is presented, so the interaction type is "other"
    # (xAPI 1.0.3 Data §2.4.4.1, interaction activities).
    return {
        "objectType": "Activity",
        "id": iris.item_iri(profile, event.course_id, item_id),
        "definition": {"type": iris.TYPE_INTERACTION, "interactionType": "other"},
    }


def _skill_activity(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    return {
        "objectType": "Activity",
        "id": iris.skill_iri(profile, event.course_id, event.mastered_skill),
        "definition": {"type": iris.TYPE_OBJECTIVE},
    }


def _object(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    if event.kind == "answered":
        return _item_activity(event, profile, event.item_id)
    if event.kind == "mastered":
        return _skill_activity(event, profile)
    if event.kind == "recommended":
        # The object is the first (best) recommendation; the full ordered list is in the
        # context extension, because a statement has exactly one object.
        return _item_activity(event, profile, event.recommended_item_ids[0])
    return _course_activity(event, profile)  # launched, grade_changed


def _result(event: LearningEvent) -> JsonObject:
    result: JsonObject = {}
    if event.kind == "answered":
        if event.success is not None:
            result["success"] = event.success
        if event.score is not None:
            result["score"] = {"scaled": event.score}
        if event.response_time_ms is not None:
            result["duration"] = iso_duration(event.response_time_ms)
    elif event.kind == "mastered":
        result["success"] = True
    elif event.kind == "grade_changed" and event.grade is not None:
        grade = event.grade
        result["score"] = {
            "scaled": grade.scaled,
            "raw": grade.score_given,
            "min": 0.0,
            "max": grade.score_maximum,
        }
    return result


def _context(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    context: JsonObject = {}
    if event.registration is not None:
        context["registration"] = event.registration
    activities: JsonObject = {}
    if event.kind not in ("launched", "grade_changed"):  # there the object is the course
        activities["parent"] = [_course_activity(event, profile)]
    if event.kind == "mastered" and event.item_id:
        # The item whose answer completed the mastery.
        activities["other"] = [_item_activity(event, profile, event.item_id)]
    if activities:
        context["contextActivities"] = activities
    context["platform"] = profile.platform
    extensions = _extensions(event, profile)
    if extensions:
        context["extensions"] = extensions
    if profile.is_xapi2:
        context.update(_xapi2_context(event, profile))
    return context


def _extensions(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    return iris.learner_model_extensions(event, profile)


def _xapi2_context(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    """The xAPI 2.0 (IEEE 9274.1.1) context properties: who else and which group took part.

    The engine is a context agent wherever it judged something (scored, declared mastery,
    recommended, graded); a launch is the learner's alone. The course cohort is the
    context group of every statement.
    """
    extra: JsonObject = {}
    if event.kind != "launched":
        engine: JsonObject = {
            "objectType": "Agent",
            "name": profile.platform,
            "account": iris.engine_account(profile),
        }
        extra["contextAgents"] = [
            {
                "objectType": "contextAgent",
                "agent": engine,
                "relevantTypes": [iris.AGENT_TYPE_ENGINE],
            }
        ]
    group: JsonObject = {
        "objectType": "Group",
        "account": {"homePage": profile.activity_base, "name": f"courses/{event.course_id}"},
    }
    if event.course_title:
        group["name"] = event.course_title
    extra["contextGroups"] = [
        {"objectType": "contextGroup", "group": group, "relevantTypes": [iris.GROUP_TYPE_COURSE]}
    ]
    return extra

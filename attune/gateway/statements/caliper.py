"""Engine events as IMS Caliper 1.2 events, and the envelope that carries them.

Which Caliper event says what the engine saw (Caliper 1.2 Appendix B, event subtypes):

==============  ===================  ===========  ========================================
engine event    Caliper event        action       object
==============  ===================  ===========  ========================================
answered        AssessmentItemEvent  Completed    the AssessmentItem; generated: Response
mastered        GradeEvent           Graded       the learner's Attempt at the skill;
                                                  generated: Score (scoreGiven = P(L))
grade_changed   GradeEvent           Graded       the learner's Attempt at the practice;
                                                  generated: Score (given / maximum)
launched        NavigationEvent      NavigatedTo  the course's practice WebPage
recommended     ViewEvent            Viewed       the first recommended AssessmentItem
==============  ===================  ===========  ========================================

The two GradeEvents follow the spec's autograder example: the engine (the ``edApp``) is the
actor and the learner is the Attempt's assignee. A recommendation is what the practice page
shows next, hence a ViewEvent of it; the full ordered list rides in an extension. Skill ids
and P(L) ride in ``extensions`` under the same IRIs as in the xAPI statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attune.gateway.statements import iris
from attune.gateway.statements.events import LearningEvent
from attune.gateway.statements.ids import caliper_event_id
from attune.gateway.statements.profile import TenantProfile
from attune.gateway.statements.timefmt import iso_duration, iso_timestamp

JsonObject = dict[str, Any]

CALIPER_CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"


def build_caliper(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    """One JSON-ready Caliper 1.2 event for ``event``."""
    if event.tenant != profile.tenant:
        raise ValueError(
            f"event of tenant {event.tenant!r} given the profile of {profile.tenant!r}"
        )
    body = _BODIES[event.kind](event, profile)
    caliper: JsonObject = {
        "@context": CALIPER_CONTEXT,
        "id": caliper_event_id(event),
        **body,
        # Caliper 1.2 §2.1: eventTime with millisecond precision; we always send UTC.
        "eventTime": iso_timestamp(event.occurred_at),
        "edApp": edapp(profile),
        "group": _course_section(event, profile),
    }
    if event.registration is not None:
        caliper["session"] = {"id": f"urn:uuid:{event.registration}", "type": "Session"}
    extensions = _extensions(event, profile)
    if extensions:
        caliper["extensions"] = extensions
    return caliper


def envelope(events: Iterable[Mapping[str, Any]], sensor: str, send_time: float) -> JsonObject:
    """A Caliper 1.2 envelope (§5.2): the sensor, when it sends, the data version, the events.

    ``send_time`` is epoch seconds, passed in by the sender: this package reads no clock.
    """
    data = [dict(event) for event in events]
    if not data:
        raise ValueError("an envelope carries at least one event")
    if not sensor:
        raise ValueError("sensor must not be empty")
    return {
        "sensor": sensor,
        "sendTime": iso_timestamp(send_time),
        "dataVersion": CALIPER_CONTEXT,
        "data": data,
    }


def edapp(profile: TenantProfile) -> JsonObject:
    """The engine as the SoftwareApplication in which events happen."""
    return {"id": profile.activity_base, "type": "SoftwareApplication", "name": profile.platform}


def person(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    """The learner: a Person whose id is built from the pseudonymous learner id only.

    A name is added for tenants with ``share_identity``. An email address never is: a 1.2
    Person has no email property, and the 1.2 JSON Schema's SystemIdentifier admits only
    ``LtiUserId``, so an ``EmailAddress`` identifier would not validate.
    """
    entity: JsonObject = {"id": iris.learner_iri(profile, event.learner_id), "type": "Person"}
    if profile.share_identity and event.person is not None and event.person.name:
        entity["name"] = event.person.name
    return entity


def _course_section(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    section: JsonObject = {"id": iris.course_iri(profile, event.course_id), "type": "CourseSection"}
    if event.course_title:
        section["name"] = event.course_title
    return section


def _assessment_item(event: LearningEvent, profile: TenantProfile, item_id: str) -> JsonObject:
    return {
        "id": iris.item_iri(profile, event.course_id, item_id),
        "type": "AssessmentItem",
        "isPartOf": iris.course_iri(profile, event.course_id),
    }


def _answered(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    item = _assessment_item(event, profile, event.item_id)
    learner = iris.learner_iri(profile, event.learner_id)
    base = f"{item['id']}/learners/{iris.segment(event.learner_id)}"
    # Responses and attempts are per answer: the engine's event id names them.
    answer = iris.segment(event.event_id)
    attempt: JsonObject = {
        "id": f"{base}/attempts/{answer}",
        "type": "Attempt",
        "assignee": learner,
        "assignable": item["id"],
    }
    response: JsonObject = {"id": f"{base}/responses/{answer}", "type": "Response"}
    ended = iso_timestamp(event.occurred_at)
    if event.response_time_ms is not None:
        started = iso_timestamp(event.occurred_at - event.response_time_ms / 1000)
        duration = iso_duration(event.response_time_ms)
        for entity in (attempt, response):
            entity.update(startedAtTime=started, endedAtTime=ended, duration=duration)
    response["attempt"] = attempt
    return {
        "type": "AssessmentItemEvent",
        "profile": "AssessmentProfile",
        "actor": person(event, profile),
        "action": "Completed",
        "object": item,
        "generated": response,
    }


def _graded(
    event: LearningEvent,
    profile: TenantProfile,
    assignable: JsonObject,
    score_given: float,
    max_score: float,
) -> JsonObject:
    attempt_id = f"{assignable['id']}/learners/{iris.segment(event.learner_id)}/attempt"
    score: JsonObject = {
        # One Score per grading: the same attempt is graded again on every change.
        "id": f"{attempt_id}/scores/{iris.segment(event.event_id)}",
        "type": "Score",
        "attempt": attempt_id,
        "scoreGiven": score_given,
        "maxScore": max_score,
        "scoredBy": profile.activity_base,
        "dateCreated": iso_timestamp(event.occurred_at),
    }
    return {
        "type": "GradeEvent",
        "profile": "GradingProfile",
        "actor": edapp(profile),
        "action": "Graded",
        "object": {
            "id": attempt_id,
            "type": "Attempt",
            "assignee": person(event, profile),
            "assignable": assignable,
        },
        "generated": score,
    }


def _mastered(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    skill = event.mastered_skill
    objective: JsonObject = {
        "id": iris.skill_iri(profile, event.course_id, skill),
        "type": "LearningObjective",
        "name": skill,
    }
    # The mastery check of a skill is what the learner was graded on; it is aligned with
    # the skill, which Caliper models as a LearningObjective.
    check: JsonObject = {
        "id": f"{objective['id']}/mastery",
        "type": "AssignableDigitalResource",
        "learningObjectives": [objective],
        "isPartOf": iris.course_iri(profile, event.course_id),
    }
    return _graded(event, profile, check, event.p_mastery.get(skill, 1.0), 1.0)


def _grade_changed(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    if event.grade is None:  # LearningEvent refuses this; checked again for the type
        raise ValueError("a grade_changed event needs grade")
    practice: JsonObject = {
        "id": f"{iris.practice_iri(profile, event.course_id)}/assignment",
        "type": "AssignableDigitalResource",
        "maxScore": event.grade.score_maximum,
        "isPartOf": iris.course_iri(profile, event.course_id),
    }
    if event.course_title:
        practice["name"] = event.course_title
    return _graded(event, profile, practice, event.grade.score_given, event.grade.score_maximum)


def _launched(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    page: JsonObject = {"id": iris.practice_iri(profile, event.course_id), "type": "WebPage"}
    if event.course_title:
        page["name"] = event.course_title
    return {
        "type": "NavigationEvent",
        # The Reading Profile is where Caliper 1.2 defines NavigatedTo a WebPage.
        "profile": "ReadingProfile",
        "actor": person(event, profile),
        "action": "NavigatedTo",
        "object": page,
    }


def _recommended(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    return {
        "type": "ViewEvent",
        "profile": "ReadingProfile",
        "actor": person(event, profile),
        "action": "Viewed",
        "object": _assessment_item(event, profile, event.recommended_item_ids[0]),
    }


_BODIES = {
    "answered": _answered,
    "mastered": _mastered,
    "grade_changed": _grade_changed,
    "launched": _launched,
    "recommended": _recommended,
}


def _extensions(event: LearningEvent, profile: TenantProfile) -> JsonObject:
    extensions: JsonObject = {}
    if event.kind == "answered":
        # Caliper 1.2 has no success flag or scaled score on a Response; xAPI carries both
        # in result, so they get the same meaning here under our IRIs.
        if event.success is not None:
            extensions[iris.EXT_SUCCESS] = event.success
        if event.score is not None:
            extensions[iris.EXT_SCORE_SCALED] = event.score
    return {**extensions, **iris.learner_model_extensions(event, profile)}

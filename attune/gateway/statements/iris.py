"""The IRIs statements are made of: published vocabulary, our own terms, and per-tenant names.

Published terms come first. The ADL verbs and activity types are the ones xAPI 1.0.3 users
already query for (ADL vocabulary, http://adlnet.gov/expapi/). Where no published term says
what the engine means (a recommendation, a skill's mastery estimate), we mint one under
``VOCABULARY``, one namespace for every tenant so that a query written for one LRS works on
the next; the namespace is to be registered with w3id.org, which redirects permanent
identifiers and was made for vocabularies like this one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from attune.gateway.statements.events import LearningEvent
from attune.gateway.statements.profile import TenantProfile

VOCABULARY = "https://w3id.org/attune/xapi"

# ADL verbs (http://adlnet.gov/expapi/verbs/).
VERB_ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
VERB_MASTERED = "http://adlnet.gov/expapi/verbs/mastered"
VERB_LAUNCHED = "http://adlnet.gov/expapi/verbs/launched"
VERB_SCORED = "http://adlnet.gov/expapi/verbs/scored"
# No published verb says "the system put this item in front of the learner".
VERB_RECOMMENDED = f"{VOCABULARY}/verbs/recommended"

# ADL activity types (http://adlnet.gov/expapi/activities/).
TYPE_INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
TYPE_COURSE = "http://adlnet.gov/expapi/activities/course"
TYPE_OBJECTIVE = "http://adlnet.gov/expapi/activities/objective"

# Extension keys (xAPI 1.0.3 Data §4.1: keys are IRIs). The Caliper events reuse them, so a
# warehouse joining both streams reads one name per fact.
EXT_SKILLS = f"{VOCABULARY}/extensions/skills"  # list of the engine's skill ids
EXT_MASTERY = f"{VOCABULARY}/extensions/mastery"  # {skill id: P(L) in [0, 1]}
EXT_RECOMMENDED_ITEMS = f"{VOCABULARY}/extensions/recommended-items"  # item IRIs, best first
EXT_SUCCESS = f"{VOCABULARY}/extensions/success"  # Caliper only: xAPI has result.success
EXT_SCORE_SCALED = f"{VOCABULARY}/extensions/score-scaled"  # Caliper only: xAPI has result.score

# xAPI 2.0 relevant types for contextAgents / contextGroups.
AGENT_TYPE_ENGINE = f"{VOCABULARY}/agent-types/adaptive-engine"
GROUP_TYPE_COURSE = f"{VOCABULARY}/group-types/course-cohort"

_ENGINE_ACCOUNT = "attune-engine"


def segment(value: str) -> str:
    """Percent-encode one path segment (RFC 3986 §2.1), so an id with ``/``, ``?``, ``#``,
    spaces or non-ASCII letters names exactly one resource and never escapes its parent."""
    if not value:
        raise ValueError("an IRI path segment must not be empty")
    return quote(value, safe="")


def course_iri(profile: TenantProfile, course_id: str) -> str:
    """The course: an xAPI parent activity and the Caliper CourseSection."""
    return f"{profile.activity_base}/courses/{segment(course_id)}"


def item_iri(profile: TenantProfile, course_id: str, item_id: str) -> str:
    """One item (question) of a course."""
    return f"{course_iri(profile, course_id)}/items/{segment(item_id)}"


def skill_iri(profile: TenantProfile, course_id: str, skill_id: str) -> str:
    """One skill (learning objective) of a course. Skill ids are per course in the engine."""
    return f"{course_iri(profile, course_id)}/skills/{segment(skill_id)}"


def practice_iri(profile: TenantProfile, course_id: str) -> str:
    """The course's adaptive practice page, the thing a launch opens."""
    return f"{course_iri(profile, course_id)}/practice"


def learner_iri(profile: TenantProfile, learner_id: str) -> str:
    """The Caliper Person id: built from the pseudonymous learner id and nothing else."""
    return f"{profile.activity_base}/learners/{segment(learner_id)}"


def engine_account(profile: TenantProfile) -> dict[str, str]:
    """The xAPI account that identifies the engine itself as an agent (a system persona,
    xAPI 1.0.3 Data §2.4.2.1)."""
    return {"homePage": profile.activity_base, "name": _ENGINE_ACCOUNT}


def learner_model_extensions(event: LearningEvent, profile: TenantProfile) -> dict[str, Any]:
    """The extensions both formats carry: the skills, their mastery estimates, and the
    recommended items, under our IRIs."""
    extensions: dict[str, Any] = {}
    if event.skill_ids:
        extensions[EXT_SKILLS] = list(event.skill_ids)
    if event.p_mastery:
        extensions[EXT_MASTERY] = dict(sorted(event.p_mastery.items()))
    if event.recommended_item_ids:
        extensions[EXT_RECOMMENDED_ITEMS] = [
            item_iri(profile, event.course_id, item) for item in event.recommended_item_ids
        ]
    return extensions

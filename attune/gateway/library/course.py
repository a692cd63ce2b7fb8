"""A course package as the engine's course: what the engine tutors with, and no more.

Skills keep their ids (so learners keep their state), BKT parameters the package leaves out
take :data:`DEFAULT_BKT`, and each item points at its content by the version's digest.
"""

from __future__ import annotations

from attune.content.model import ContentSkill, CoursePackage
from attune.engine.v1 import course_pb2
from attune.gateway.library.versions import content_ref

DEFAULT_BKT = {"prior": 0.2, "learn": 0.15, "guess": 0.2, "slip": 0.1}
"""BKT parameters for a skill the package gives none for: a cautious start that
``attune models fit-bkt`` replaces once there are responses."""


def _bkt(skill: ContentSkill) -> course_pb2.BktParams:
    return course_pb2.BktParams(
        prior=DEFAULT_BKT["prior"] if skill.prior is None else skill.prior,
        learn=DEFAULT_BKT["learn"] if skill.learn is None else skill.learn,
        guess=DEFAULT_BKT["guess"] if skill.guess is None else skill.guess,
        slip=DEFAULT_BKT["slip"] if skill.slip is None else skill.slip,
        forget=skill.forget,
    )


def engine_course(
    package: CoursePackage, digest: str, previous: course_pb2.Course | None
) -> course_pb2.Course:
    """The course the engine gets for ``package``'s version ``digest``.

    From a ``previous`` course it keeps the diagnostic policy, and the DKT model when the
    new version adds no skill the model could not know.
    """
    course = course_pb2.Course(
        course_id=package.course_id,
        title=package.title,
        skills=[
            course_pb2.Skill(
                skill_id=s.skill_id,
                name=s.name,
                bkt=_bkt(s),
                prerequisites=list(s.prerequisites),
            )
            for s in package.skills
        ],
        items=[
            course_pb2.Item(
                item_id=i.item_id,
                skill_ids=list(i.skill_ids),
                irt=course_pb2.IrtParams(a=i.irt_a, b=i.irt_b, c=i.irt_c),
                content=content_ref(digest),
            )
            for i in package.items
        ],
    )
    if package.mastery_threshold is not None:
        course.mastery.threshold = package.mastery_threshold
    if package.mastery_min_attempts is not None:
        course.mastery.min_attempts = package.mastery_min_attempts
    if package.mastery_consecutive_correct is not None:
        course.mastery.consecutive_correct = package.mastery_consecutive_correct
    if previous is not None:
        course.diagnostic.CopyFrom(previous.diagnostic)
        old_skills = {s.skill_id for s in previous.skills}
        if previous.dkt_model and {s.skill_id for s in package.skills} <= old_skills:
            course.dkt_model = previous.dkt_model
    return course

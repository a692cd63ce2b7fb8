"""Small courses for tests, as protobuf messages."""

from __future__ import annotations

from attune.engine.v1 import course_pb2


def chain_course(course_id: str = "chain", diagnostic: bool = False) -> course_pb2.Course:
    """Three skills in a chain (a -> b -> c) plus one item tagged with b and c.

    The cold-start diagnostic is off unless asked for, so that tests see plain BKT practice.
    """
    bkt = course_pb2.BktParams(prior=0.2, learn=0.2, guess=0.2, slip=0.1)
    course = course_pb2.Course(
        course_id=course_id,
        title="Chain",
        mastery=course_pb2.MasteryPolicy(threshold=0.95, min_attempts=3, consecutive_correct=2),
        diagnostic=course_pb2.DiagnosticPolicy(disabled=not diagnostic),
    )
    course.skills.add(skill_id="a", name="A", bkt=bkt)
    course.skills.add(skill_id="b", name="B", bkt=bkt, prerequisites=["a"])
    course.skills.add(skill_id="c", name="C", bkt=bkt, prerequisites=["b"])
    for sid in ("a", "b", "c"):
        for level in (1, 2):
            course.items.add(
                item_id=f"{sid}{level}",
                skill_ids=[sid],
                irt=course_pb2.IrtParams(a=1.0, b=level - 1.5),
            )
    course.items.add(item_id="bc", skill_ids=["b", "c"], irt=course_pb2.IrtParams(a=1.0))
    return course

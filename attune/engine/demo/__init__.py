"""The bundled demo course (arithmetic to algebra) and simulated learners. Its items are
rendered by the question templates of :mod:`content.templates`."""

from attune.engine.demo.course import course_from_json, demo_course, demo_course_json

__all__ = ["course_from_json", "demo_course", "demo_course_json"]

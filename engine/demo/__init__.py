"""The bundled demo course (arithmetic to algebra) and the question templates behind it."""

from engine.demo.course import course_from_json, demo_course, demo_course_json
from engine.demo.question import Question
from engine.demo.templates import render

__all__ = ["Question", "course_from_json", "demo_course", "demo_course_json", "render"]

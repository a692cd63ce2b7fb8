"""The chat messages that ask a model for one item, and the request body around them.

The system message fixes the JSON shape (:mod:`.llm_item`) and asks for the evidence the
evaluator will check; the user message says what is wanted: subject, skill, level, type,
the course's terminology ("use these terms") and up to three of the skill's items as
examples not to copy. The seed is both in the text (so a server that ignores ``seed`` still
varies) and in the body (OpenAI Chat Completions ``seed``, best-effort determinism).
"""

from __future__ import annotations

import json
from typing import Any

from attune.content.generation.key_checks import text_of
from attune.content.generation.llm_item import GENERATED_TYPES
from attune.content.generation.records import GenerationRequest
from attune.content.model import ContentItem

TEMPERATURE = 0.7
"""Varied enough that seeds give different items; the evaluator catches what goes wrong."""

SYSTEM = """\
You write one practice item for a learner. Reply with a single JSON object and nothing else.
Always give: "type"; "stem" (plain text; maths in \\( \\) if needed); "answer"; "hints" (a list
of up to 5 short hints, easiest first); "solution" (a worked solution); "terminology_used" (the
listed terms you used).
By type:
- "numeric": "answer" is a JSON number; optional "tolerance" (absolute) and "units" (list);
  "computation": the arithmetic that gives the answer (e.g. "3/4 + 1/8"), or "equation" and
  "variable" that the answer solves (e.g. "2x + 3 = 7", "x").
- "math": "answer" is an expression (use * for products, ^ for powers); "check_expression":
  the expression from the question that the answer must equal (e.g. "2(x + 3)").
- "text_entry": "answer" and optional "accepted_answers"; "check_expression" as for math.
- "choice": "choices": a list of 2 to 8 objects {"text", "correct", "feedback"}, exactly one
  correct; "answer": the correct option's text; when options are numbers or expressions,
  also "computation" or "check_expression" that the correct option equals and no other does.
- "multiple_response": as choice, one or more correct, "answer" a list of their texts.
Use no other fields. Every answer must be right: it is checked before any learner sees it."""


def _key(item: ContentItem) -> str:
    if item.choices:
        return "; ".join(text_of(c.html) for c in item.choices if c.correct)
    if item.math_answer is not None:
        return item.math_answer.expression
    if item.numeric_answers:
        return f"{item.numeric_answers[0].value:g}"
    if item.text_answers:
        return item.text_answers[0].value
    return ""


def user_message(request: GenerationRequest) -> str:
    """What is wanted, as the user turn."""
    kind = request.item_type or f"your choice of {', '.join(GENERATED_TYPES)}"
    lines = [
        f"Subject: {request.subject}",
        f"Skill: {request.skill.name} (id {request.skill.skill_id})",
        f"Difficulty: level {request.level} of 3 (1 easy, 3 hard)",
        f"Item type: {kind}",
        f"Variation seed: {request.seed} (each seed gets a different item)",
    ]
    if request.terminology is not None and request.terminology.terms:
        lines += ["Use these terms:", *request.terminology.prompt_lines()]
    if request.examples:
        lines.append("Items of this skill, for style and level (do not copy them):")
        for number, example in enumerate(request.examples, 1):
            stem = text_of(example.stem_html)
            lines.append(f"{number}. [{example.type}] {stem} -- answer: {_key(example)}")
    return "\n".join(lines)


def chat_body(request: GenerationRequest, model: str) -> dict[str, Any]:
    """The Chat Completions request body (OpenAI API reference, "Create chat completion"):
    model, messages, temperature, seed and JSON mode (``response_format`` ``json_object``)."""
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user_message(request)},
        ],
        "temperature": TEMPERATURE,
        "seed": request.seed,
        "response_format": {"type": "json_object"},
    }


def prompt_text(body: dict[str, Any]) -> str:
    """The prompt as the provenance digests it: the messages, canonical JSON (the key is in a
    header, never in the body)."""
    return json.dumps(body["messages"], sort_keys=True, ensure_ascii=False)

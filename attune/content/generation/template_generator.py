"""The template generator: Attune's own question templates behind the generator port.

Deterministic: the same request (skill, level, seed) always gives the same item with the same
id, so a page can show again the item it showed. The template is the skill's own name when
it is one (the demo course's skill ids are template names) or the one ``templates`` maps the
skill to. Each item carries a :class:`TemplateSource` (the evaluator renders it again) and
whatever its prompt lets sympy check on its own (:mod:`.template_evidence`).
"""

from __future__ import annotations

from collections.abc import Mapping

from attune.content.generation.records import (
    Clock,
    GeneratedItem,
    GenerationError,
    GenerationRequest,
    Provenance,
    TemplateSource,
    generated_item_id,
    sha256_hex,
    utc_now,
)
from attune.content.generation.template_evidence import prompt_evidence
from attune.content.generation.template_items import question_item
from attune.content.templates import content_ref, render, template_names


class TemplateGenerator:
    """Renders a template question for the request's skill, level and seed."""

    name = "template"

    def __init__(self, templates: Mapping[str, str] | None = None, *, clock: Clock = utc_now):
        known = set(template_names())
        unknown = sorted(set((templates or {}).values()) - known)
        if unknown:
            raise ValueError(f"unknown templates: {', '.join(unknown)}")
        self._templates = dict(templates or {})
        self._known = known
        self._clock = clock

    def template_for(self, skill_id: str) -> str:
        """The template of ``skill_id``; :class:`GenerationError` when it has none."""
        template = self._templates.get(skill_id, skill_id)
        if template not in self._known:
            raise GenerationError(f"no template for skill {skill_id!r}")
        return template

    def generate(self, request: GenerationRequest) -> GeneratedItem:
        """The template's question for ``request.seed`` as an item (not yet evaluated)."""
        content = content_ref(self.template_for(request.skill.skill_id), request.level)
        question = render(content, request.seed)
        item = question_item(
            question,
            item_id=generated_item_id(request, self.name, f"{content}#{request.seed}"),
            skill_id=request.skill.skill_id,
            wanted=request.item_type,
        )
        return GeneratedItem(
            item=item,
            provenance=Provenance(
                generator=self.name,
                model=content,
                seed=request.seed,
                prompt_digest=sha256_hex(question.prompt),
                created_at=self._clock(),
            ),
            tenant=request.tenant,
            course_id=request.course_id,
            skill_id=request.skill.skill_id,
            subject=request.subject,
            stated_answers=(question.answer,),
            evidence=(TemplateSource(content, request.seed), *prompt_evidence(question)),
        )

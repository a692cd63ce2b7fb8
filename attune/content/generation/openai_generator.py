"""The generator that asks an OpenAI-compatible chat-completions server for an item.

``POST {base_url}/chat/completions`` (OpenAI API reference, "Create chat completion") with
``Authorization: Bearer <key>``; the reply's ``choices[0].message.content`` is the item as a
JSON object (JSON mode), read strictly by :mod:`.llm_item`. The provenance keeps the model
the server *says* answered (its ``model`` field: a dated version where the server gives
one), the seed and the SHA-256 of the prompt. Logs name the server's host, the model and
the outcome; the key is only ever in the request header.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import structlog

from attune.content.generation.http_post import PostError, Transport, UrllibTransport
from attune.content.generation.llm_item import parse_item
from attune.content.generation.llm_prompt import chat_body, prompt_text
from attune.content.generation.records import (
    Clock,
    GeneratedItem,
    GenerationError,
    GenerationRequest,
    Provenance,
    generated_item_id,
    sha256_hex,
    utc_now,
)
from attune.content.generation.settings import GeneratorSettings

log = structlog.get_logger("attune.content.generation")

MAX_REPLY_BYTES = 256 * 1024
"""A reply for one item is a few kilobytes; anything this large is refused unread."""


def _content(reply: Any) -> tuple[str, str]:
    """The first choice's message content and the reply's model name."""
    try:
        message = reply["choices"][0]["message"]
        content = message["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise GenerationError("the reply has no choices[0].message.content") from exc
    if not isinstance(content, str):
        raise GenerationError("choices[0].message.content is not text")
    model = reply.get("model") if isinstance(reply, dict) else None
    return content, model if isinstance(model, str) else ""


class OpenAICompatibleGenerator:
    """Generates with the tenant's chat-completions server (off unless ``enabled``)."""

    name = "openai-compatible"

    def __init__(
        self,
        settings: GeneratorSettings,
        *,
        transport: Transport | None = None,
        clock: Clock = utc_now,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self._settings = settings
        self._transport = transport if transport is not None else UrllibTransport()
        self._clock = clock
        self._max_reply_bytes = max_reply_bytes

    def __repr__(self) -> str:
        host = urlsplit(self._settings.base_url).hostname or ""
        return f"OpenAICompatibleGenerator(host={host!r}, model={self._settings.model!r})"

    def generate(self, request: GenerationRequest) -> GeneratedItem:
        """One item from the model for ``request`` (not yet evaluated);
        :class:`GenerationError` when generation is off, the call fails or the reply is not a
        well-formed item."""
        settings = self._settings
        if not settings.enabled:
            raise GenerationError("generation with a model is not enabled for this tenant")
        body = chat_body(request, settings.model)
        prompt = prompt_text(body)
        context = {
            "host": urlsplit(settings.base_url).hostname,
            "model": settings.model,
            "tenant": request.tenant,
            "skill_id": request.skill.skill_id,
            "seed": request.seed,
        }
        try:
            generated = self._call(request, body, prompt)
        except GenerationError as exc:
            log.warning("item_generation_failed", reason=str(exc), **context)
            raise
        log.info("item_generated", item_id=generated.item_id, **context)
        return generated

    def _call(self, request: GenerationRequest, body: dict[str, Any], prompt: str) -> GeneratedItem:
        settings = self._settings
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {settings.api_key.get_secret_value()}",
        }
        try:
            reply = self._transport.post(
                f"{settings.base_url}/chat/completions",
                json.dumps(body).encode(),
                headers,
                timeout_s=settings.timeout_s,
                max_bytes=self._max_reply_bytes,
            )
        except PostError as exc:
            raise GenerationError(f"the model server call failed: {exc}") from exc
        try:
            decoded = json.loads(reply.body)
        except (ValueError, RecursionError) as exc:
            raise GenerationError("the model server's reply is not JSON") from exc
        content, model = _content(decoded)
        parsed = parse_item(
            content,
            item_id=generated_item_id(request, self.name, content),
            skill_id=request.skill.skill_id,
        )
        return GeneratedItem(
            item=parsed.item,
            provenance=Provenance(
                generator=self.name,
                model=model or settings.model,
                seed=request.seed,
                prompt_digest=sha256_hex(prompt),
                created_at=self._clock(),
            ),
            tenant=request.tenant,
            course_id=request.course_id,
            skill_id=request.skill.skill_id,
            subject=request.subject,
            stated_answers=parsed.stated_answers,
            evidence=parsed.evidence,
            terminology_used=parsed.terminology_used,
        )

"""Template items on the practice page: which variant a learner gets, and the evaluator's
check before it is shown.

A template item (``template:NAME?level=N``) is generated afresh for every attempt. The seed
is :func:`~attune.content.generation.variation_seed` of the tenant, the learner, the session
and the item, and the learner's attempt number on it, so two learners (or two sessions of
one learner) get different questions, and a reload shows the same one. Every generated
question passes the :class:`~attune.content.generation.Evaluator` (its answer verified,
with sympy where it is maths) before a learner sees it; a refused variant is logged and the
next attempt's is tried.
"""

from __future__ import annotations

import hashlib
from typing import Any

import structlog

from attune.content.generation import (
    Evaluator,
    GenerationError,
    GenerationRequest,
    ItemEvaluator,
    TemplateGenerator,
    review,
    variation_seed,
)
from attune.content.model import ContentSkill
from attune.content.templates import parse_content
from attune.engine.v1 import course_pb2
from attune.gateway.errors import BadRequestError
from attune.gateway.ports import KeyValueStore
from attune.gateway.sessions import LaunchSession

log = structlog.get_logger("attune.gateway.practice")
TRIES = 3
ATTEMPTS_TTL = 365 * 86400.0
SEED_RANGE = 2**31  # the page's seeds stay in the range they always had


class TemplateQuestions:
    """Verified variants of template items."""

    def __init__(self, store: KeyValueStore, evaluator: ItemEvaluator | None = None) -> None:
        self._store = store
        self._evaluator = evaluator or Evaluator()

    def seed(
        self,
        session: LaunchSession,
        token: str,
        item: course_pb2.Item,
        writes: list[tuple[str, Any, float]] | None = None,
    ) -> int:
        """The seed of the learner's next attempt at ``item``, verified by the evaluator;
        BadRequestError when no variant passes (the content is then broken, not the page).
        ``writes``, when given, collects the attempt counter's write instead of making it."""
        try:
            name, level = parse_content(item.content)
        except ValueError as exc:
            raise BadRequestError(f"item {item.item_id!r} cannot be shown: {exc}") from exc
        key = f"attempts:{session.learner_id}:{item.item_id}"
        attempt = int(self._store.get(session.tenant, key) or 0)
        if writes is None:
            self._store.put(session.tenant, key, attempt + TRIES, ATTEMPTS_TTL)
        else:
            writes.append((key, attempt + TRIES, ATTEMPTS_TTL))
        generator = TemplateGenerator({item.item_id: name})
        skill = ContentSkill(item.item_id, name)
        # The session is identified by a digest of its token: the token itself is a secret.
        session_id = hashlib.sha256(token.encode()).hexdigest()[:16]
        for n in range(attempt, attempt + TRIES):
            seed = (
                variation_seed(session.tenant, session.learner_id, session_id, item.item_id, n)
                % SEED_RANGE
            )
            request = GenerationRequest(
                tenant=session.tenant,
                course_id=session.course_id,
                skill=skill,
                subject="",
                seed=seed,
                level=level,
            )
            try:
                generated = review(generator.generate(request), self._evaluator)
            except GenerationError as exc:
                raise BadRequestError(f"item {item.item_id!r} cannot be shown: {exc}") from exc
            verdict = generated.provenance.verdict
            if verdict is not None and verdict.accepted:
                return seed
            log.warning(
                "practice.variant_refused",
                tenant=session.tenant,
                item_id=item.item_id,
                reason=verdict.reason if verdict else "",
            )
        raise BadRequestError(f"item {item.item_id!r}: no variant passed the evaluator")

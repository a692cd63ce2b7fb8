"""The input of every accumulator: one logged response, reduced to what analytics reads."""

from __future__ import annotations

from dataclasses import dataclass

from attune.engine.domain.learner import CORRECT_AT
from attune.engine.domain.records import LoggedEvent


@dataclass(frozen=True, slots=True)
class Observation:
    """One response as analytics sees it.

    ``p_known`` and ``mastered`` are aligned with ``skill_ids``: each skill's P(L) and
    mastery flag *after* the response. The flags, not the mastery events, drive mastery
    tracking, because the engine emits a mastery event once per learner and skill ever: a
    skill re-mastered after a revocation has no event, only its flag. ``newly_mastered``
    holds those first-ever events (time to mastery reads them), ``revoked`` the skills whose
    mastery this response withdrew. ``theta`` is the ability estimate after the response,
    ``gain`` the mean change in P(L) over the item's skills, ``reasons`` the reasons of the
    next recommendation (e.g. ``("GAP", "REMEDIATION")``).
    """

    log_id: int
    learner_id: str
    item_id: str
    skill_ids: tuple[str, ...]
    score: float
    occurred_at: float  # epoch seconds
    p_known: tuple[float, ...]
    mastered: tuple[bool, ...]
    response_time_ms: int = 0  # 0: unknown
    credibility: float = 1.0
    newly_mastered: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()
    theta: float = 0.0
    gain: float = 0.0
    reasons: tuple[str, ...] = ()
    complete: bool = False  # the reply said COMPLETE: the engine declared the course done

    def __post_init__(self) -> None:
        if not len(self.skill_ids) == len(self.p_known) == len(self.mastered):
            raise ValueError("p_known and mastered must be aligned with skill_ids")

    @property
    def correct(self) -> bool:
        """Right, by the engine's rule for streaks (score >= 0.5)."""
        return self.score >= CORRECT_AT

    @property
    def credible(self) -> bool:
        """Not too fast: applied with full weight (see credibility.py)."""
        return self.credibility >= 1.0


def observation_of(event: LoggedEvent) -> Observation:
    """The observation of a logged response. The skills are those of the reply, so the item's
    tagging at the time counts, whatever the course says now."""
    reply = event.reply
    first = reply.recommendations[0].reasons if reply.recommendations else ()
    return Observation(
        log_id=event.log_id,
        learner_id=event.learner_id,
        item_id=event.item_id,
        skill_ids=tuple(s.skill_id for s in reply.skills),
        score=event.score,
        occurred_at=event.occurred_at,
        p_known=tuple(s.p_known for s in reply.skills),
        mastered=tuple(s.mastered for s in reply.skills),
        response_time_ms=event.response_time_ms,
        credibility=event.credibility,
        newly_mastered=tuple(m.skill_id for m in reply.mastery_events),
        revoked=reply.revoked,
        theta=reply.theta,
        gain=event.gain,
        reasons=tuple(r.value for r in first),
        complete=reply.complete,
    )

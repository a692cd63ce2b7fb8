"""The pure update for one response: credibility-weighted BKT for every tagged skill, the
ability, the cold-start diagnostic, review and revocation, then the mastery rules."""

from __future__ import annotations

from dataclasses import replace

from attune.engine.domain import adaptive, bkt, irt, review
from attune.engine.domain.cold_start import diagnostic_done
from attune.engine.domain.course import Course
from attune.engine.domain.learner import (
    FAIL_EVIDENCE,
    RECENT_WINDOW,
    DiagnosticAnswer,
    LearnerState,
    Outcome,
    Response,
    SkillOutcome,
    SkillState,
    skill_status,
    validate_response,
)
from attune.engine.domain.mastery import is_mastered
from attune.engine.domain.tutoring import TutorPolicy


def weighted_step(p_known: float, score: float, params: bkt.BktParams, weight: float) -> float:
    """BKT step blended with the prior belief by a credibility weight (1.0 is plain BKT)."""
    stepped = bkt.step(p_known, score, params)
    if weight >= 1.0:
        return stepped
    return weight * stepped + (1.0 - weight) * p_known


def apply_response(
    course: Course,
    state: LearnerState,
    response: Response,
    credibility: float = 1.0,
    policy: TutorPolicy | None = None,
) -> Outcome:
    """Apply one response. ``credibility`` < 1 marks a too-fast answer (see credibility.py).

    A multi-skill item updates each of its skills independently with the same evidence, as
    pyBKT treats a response tagged with several skills.
    """
    tutor = policy or TutorPolicy()
    validate_response(response, course)
    item = course.items[response.item_id]
    skills = dict(state.skills)
    befores: dict[str, float] = {}
    events: list[str] = []
    revoked: list[str] = []
    sd = course.mastery.individual_sd
    loglik = adaptive.loglik(state.type_loglik) if sd > 0.0 else ()
    for sid in item.skill_ids:
        before = state.skill(course, sid)
        befores[sid] = before.p_known
        after = _update_skill(
            course, sid, before, response, credibility, tutor, state.responses + 1
        )
        if sd > 0.0:
            p_types, loglik = adaptive.observe(
                adaptive.beliefs(before.p_types, before.p_known),
                loglik,
                course.skills[sid].bkt,
                sd,
                response.score,
                credibility / len(item.skill_ids),
            )
            after = replace(after, p_types=p_types)
        if before.mastered and not after.mastered:
            revoked.append(sid)
        skills[sid] = after
    ability = irt.update(state.ability_weights(), item.irt, response.score, credibility)
    new_state = replace(
        state,
        skills=skills,
        ability=ability,
        recent_items=(*state.recent_items, item.item_id)[-RECENT_WINDOW:],
        last_skill=item.skill_ids[0],
        responses=state.responses + 1,
        type_loglik=loglik,
    )
    finished = False
    if new_state.in_diagnostic(course):
        answers = (*state.diagnostic, DiagnosticAnswer(item.item_id, response.score, credibility))
        new_state = replace(new_state, diagnostic=answers)
        if diagnostic_done(course, len(answers), irt.eap(ability)[1]):
            new_state = _finish_diagnostic(course, new_state)
            finished = True
    weights = adaptive.posterior_weights(loglik, sd) if sd > 0.0 else ()
    for sid in item.skill_ids:  # mastery after the (possibly re-based) beliefs
        s = new_state.skills[sid]
        # A skill this answer re-opened stays open, whatever its streak rule says.
        reopened = sid in revoked
        if not s.mastered and not reopened and is_mastered(s, course.policy_for(sid), weights):
            s = replace(s, mastered=True, ever_mastered=True, retained=1.0)
            if not new_state.skills[sid].ever_mastered:
                events.append(sid)  # emitted once per learner and skill, ever
            new_state = replace(new_state, skills={**new_state.skills, sid: s})
    mastered = new_state.mastered()
    complete = len(mastered) == len(course.skills) and all(
        review.fresh(new_state.skills[sid], response.occurred_at, tutor.review) for sid in mastered
    )
    outcomes = tuple(
        SkillOutcome(
            skill_id=sid,
            p_known_before=befores[sid],
            p_known=new_state.skills[sid].p_known,
            p_correct=bkt.p_correct(new_state.skills[sid].p_known, course.skills[sid].bkt),
            attempts=new_state.skills[sid].attempts,
            mastered=new_state.skills[sid].mastered,
            status=skill_status(course, sid, mastered),
        )
        for sid in item.skill_ids
    )
    return Outcome(
        state=new_state,
        skills=outcomes,
        mastery_events=tuple(events),
        revoked=tuple(revoked),
        credibility=credibility,
        diagnostic_finished=finished,
        complete=complete and not new_state.in_diagnostic(course),
    )


def _update_skill(
    course: Course,
    sid: str,
    before: SkillState,
    response: Response,
    credibility: float,
    tutor: TutorPolicy,
    seq: int,
) -> SkillState:
    params = course.skills[sid].bkt
    p_next = weighted_step(before.p_known, response.score, params, credibility)
    if credibility < 1.0:
        # A too-fast answer moves the belief a little but is not practice: no attempt, no
        # streak, no review credit.
        return replace(before, p_known=p_next)
    right = response.correct
    after = replace(
        before,
        p_known=p_next,
        attempts=before.attempts + 1,
        correct_streak=before.correct_streak + 1 if right else 0,
        wrong_streak=0 if right else before.wrong_streak + 1,
        recent_fails=() if right else (*before.recent_fails, response.event_id)[-FAIL_EVIDENCE:],
        last_practiced=response.occurred_at,
        last_seq=seq,
        fail_start_seq=before.fail_start_seq if before.wrong_streak and not right else seq,
    )
    if not before.mastered:
        return after
    # A mastered skill: its memory (review schedule), then whether mastery is withdrawn.
    at = response.occurred_at
    after = review.after_answer(before, after, right, at, tutor.review)
    retained = review.retained_after(before, right, at, tutor.review, params.guess, params.slip)
    after = replace(after, retained=retained)
    threshold = course.policy_for(sid).threshold
    if review.reopens(before, right, at, tutor.review) or (
        not right and p_next < threshold - tutor.review.revoke_margin
    ):
        return replace(after, mastered=False, review_interval=0.0)
    return after


def _finish_diagnostic(course: Course, state: LearnerState) -> LearnerState:
    """Set every prior from theta and replay the diagnostic answers from those priors."""
    theta, se = irt.eap(state.ability_weights())
    based = replace(state, diagnosed=True, diagnostic=(), prior_theta=(theta, se))
    skills = dict(state.skills)
    replayed: dict[str, float] = {}
    for answer in state.diagnostic:
        for sid in course.items[answer.item_id].skill_ids:
            p = replayed.get(sid, based.prior(course, sid))
            replayed[sid] = weighted_step(p, answer.score, course.skills[sid].bkt, answer.weight)
    for sid, p in replayed.items():
        # The per-type beliefs restart from the re-based one (engine/domain/adaptive.py).
        skills[sid] = replace(skills[sid], p_known=p, p_types=())
    return replace(based, skills=skills)

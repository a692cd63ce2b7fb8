"""``python -m attune.models.refit.worker``: one course's refit over stdin and stdout, for the
engine's background job (engine/refit_job.py), which must not import training code.

stdin: ``{"course": course JSON, "answers": [[learner_id, item_id, score, credibility], ...],
"config": {RefitConfig fields}}``; stdout: ``{"report": RefitReport JSON, "adopted":
{"skills": {id: bkt}, "items": {id: irt}}}`` with the adopted parameters unrounded.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from attune.engine.domain.course_json import course_from_json
from attune.models.refit.config import RefitConfig
from attune.models.refit.core import adopted_bkt, adopted_irt, refit_course
from attune.models.refit.data import Answer


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """The reply to one request."""
    course = course_from_json(request["course"], enforce_limits=False)
    answers = [
        Answer(str(who), str(item), float(score), float(cred))
        for who, item, score, cred in request["answers"]
    ]
    result = refit_course(course, answers, RefitConfig(**request.get("config", {})))
    report = result.report
    return {
        "report": report.to_json(),
        "adopted": {
            "skills": {sid: asdict(p) for sid, p in adopted_bkt(report).items()},
            "items": {iid: asdict(p) for iid, p in adopted_irt(report).items()},
        },
    }


def main() -> int:
    """Read one request from stdin, write the reply to stdout."""
    json.dump(handle(json.load(sys.stdin)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

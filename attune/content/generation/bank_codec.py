"""A :class:`BankEntry` as a JSON document and back, for stores that keep the bank in a
key-value store (the gateway's tenant store). The item itself is the package format's item
document (:func:`attune.content.package.write.item_document`), so a bank item reads like an
authored one; the rest (provenance, verdict, evidence, history) is plain JSON. Times are ISO
8601 with their offset. Documents are written by :func:`entry_document` only and read back
trusted, as the content store reads its packages: a damaged document raises
(``KeyError``/``ValueError``), it is never guessed at.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from attune.content.generation.bank import BANK_STATUSES, BankEntry, BankStatus, StatusChange
from attune.content.generation.records import (
    Computation,
    Equivalence,
    Evidence,
    GeneratedItem,
    Provenance,
    Substitution,
    TemplateSource,
    Verdict,
)
from attune.content.package.write import item_document, item_from_document

FORMAT_VERSION = 1
Doc = dict[str, Any]


def _evidence_doc(evidence: Evidence) -> Doc:
    match evidence:
        case Computation(expression):
            return {"kind": "computation", "expression": expression}
        case Equivalence(check_expression):
            return {"kind": "equivalence", "check_expression": check_expression}
        case Substitution(equation, variable):
            return {"kind": "substitution", "equation": equation, "variable": variable}
        case TemplateSource(content, seed):
            return {"kind": "template", "content": content, "seed": seed}
    raise ValueError(f"unknown evidence {evidence!r}")  # pragma: no cover


def _evidence(doc: Doc) -> Evidence:
    match doc["kind"]:
        case "computation":
            return Computation(doc["expression"])
        case "equivalence":
            return Equivalence(doc["check_expression"])
        case "substitution":
            return Substitution(doc["equation"], doc["variable"])
        case "template":
            return TemplateSource(doc["content"], int(doc["seed"]))
    raise ValueError(f"unknown evidence kind {doc['kind']!r}")


def _verdict_doc(verdict: Verdict) -> Doc:
    return {
        "accepted": verdict.accepted,
        "reasons": list(verdict.reasons),
        "verified_by": list(verdict.verified_by),
        "warnings": list(verdict.warnings),
    }


def _verdict(doc: Doc) -> Verdict:
    return Verdict(
        bool(doc["accepted"]),
        tuple(doc["reasons"]),
        tuple(doc["verified_by"]),
        tuple(doc["warnings"]),
    )


def _status(value: Any) -> BankStatus:
    if value not in BANK_STATUSES:
        raise ValueError(f"unknown bank status {value!r}")
    return cast(BankStatus, value)


def entry_document(entry: BankEntry) -> Doc:
    """``entry`` as a JSON-serialisable document."""
    generated, provenance = entry.generated, entry.generated.provenance
    return {
        "format": FORMAT_VERSION,
        "status": entry.status,
        "history": [
            {"status": c.status, "by": c.by, "at": c.at.isoformat(), "reason": c.reason}
            for c in entry.history
        ],
        "tenant": generated.tenant,
        "course_id": generated.course_id,
        "skill_id": generated.skill_id,
        "subject": generated.subject,
        "item": item_document(generated.item),
        "stated_answers": list(generated.stated_answers),
        "evidence": [_evidence_doc(e) for e in generated.evidence],
        "terminology_used": list(generated.terminology_used),
        "provenance": {
            "generator": provenance.generator,
            "model": provenance.model,
            "seed": provenance.seed,
            "prompt_digest": provenance.prompt_digest,
            "created_at": provenance.created_at.isoformat(),
            "verdict": None if provenance.verdict is None else _verdict_doc(provenance.verdict),
        },
    }


def entry_from_document(doc: Doc) -> BankEntry:
    """The entry :func:`entry_document` wrote."""
    if doc.get("format") != FORMAT_VERSION:
        raise ValueError(f"unknown bank entry format {doc.get('format')!r}")
    prov = doc["provenance"]
    generated = GeneratedItem(
        item=item_from_document(doc["item"]),
        provenance=Provenance(
            generator=prov["generator"],
            model=prov["model"],
            seed=int(prov["seed"]),
            prompt_digest=prov["prompt_digest"],
            created_at=datetime.fromisoformat(prov["created_at"]),
            verdict=None if prov["verdict"] is None else _verdict(prov["verdict"]),
        ),
        tenant=doc["tenant"],
        course_id=doc["course_id"],
        skill_id=doc["skill_id"],
        subject=doc["subject"],
        stated_answers=tuple(doc["stated_answers"]),
        evidence=tuple(_evidence(e) for e in doc["evidence"]),
        terminology_used=tuple(doc["terminology_used"]),
    )
    history = tuple(
        StatusChange(_status(c["status"]), c["by"], datetime.fromisoformat(c["at"]), c["reason"])
        for c in doc["history"]
    )
    return BankEntry(generated, _status(doc["status"]), history)

"""Checking a tenant's chain: every record's hash, its link to the one before, the numbering
without gaps from the anchor on, and (with the tenant's key) that every plain learner id
left still matches the ref the hash covers."""

from __future__ import annotations

from dataclasses import dataclass, field

from attune.infra.audit.ports import MAX_PAGE, AuditLog
from attune.infra.audit.record import learner_ref, record_hash


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of a verification: ``ok``, how many records were checked, the first and
    last sequence numbers, and the problems found (the first few, by sequence number)."""

    tenant: str
    ok: bool
    checked: int
    first_seq: int
    last_seq: int
    problems: tuple[str, ...] = field(default_factory=tuple)


MAX_PROBLEMS = 20


def verify(log: AuditLog, tenant: str) -> Verdict:
    """Walk the tenant's kept trail from its anchor and check every link."""
    anchor = log.anchor(tenant)
    key = log.tenant_key(tenant)
    expected_seq, expected_prev = anchor.seq + 1, anchor.hash
    problems: list[str] = []
    checked, first, last = 0, 0, anchor.seq
    after = anchor.seq
    while True:
        page = log.records(tenant, after, MAX_PAGE)
        if not page:
            break
        for record in page:
            first = first or record.seq
            if record.seq != expected_seq:
                problems.append(f"seq {record.seq}: expected {expected_seq} (a record is missing)")
            if record.prev_hash != expected_prev:
                problems.append(f"seq {record.seq}: does not follow the record before it")
            if record_hash(record.hashed_form()) != record.hash:
                problems.append(f"seq {record.seq}: its content does not match its hash")
            if record.learner_id and learner_ref(key, record.learner_id) != record.learner_ref:
                problems.append(f"seq {record.seq}: its learner id does not match its ref")
            expected_seq, expected_prev = record.seq + 1, record.hash
            checked, last = checked + 1, record.seq
        after = page[-1].seq
    return Verdict(tenant, not problems, checked, first, last, tuple(problems[:MAX_PROBLEMS]))

"""The audit trail shared by both deployables: one record format, one hash chain per
tenant, and two stores (SQLite, Redis). The gateway records what staff and administrators
do over HTTP; the engine records partners' reads of learner data over gRPC. Pointed at the
same store (as ``attune serve`` does), they write one chain per tenant."""

from attune.infra.audit.ports import Anchor, AuditLog, AuditQuery
from attune.infra.audit.record import AuditEntry, AuditRecord, learner_ref
from attune.infra.audit.trail import AuditTrail, open_audit_log
from attune.infra.audit.verify import Verdict, verify

__all__ = [
    "Anchor",
    "AuditEntry",
    "AuditLog",
    "AuditQuery",
    "AuditRecord",
    "AuditTrail",
    "Verdict",
    "learner_ref",
    "open_audit_log",
    "verify",
]

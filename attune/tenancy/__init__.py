"""Whole-tenant export and deletion across every store (issue 16 part 6): the engine's,
the gateway's and the audit trail. See :mod:`attune.tenancy.ops`."""

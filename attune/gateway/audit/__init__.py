"""The gateway's side of the audit trail (issue 16 part 4) and of erasure (part 6): which
routes are recorded and how (:mod:`.policy`), the one hook that records them (:mod:`.hook`),
the administrators' routes (:mod:`.routes`) and the erasure of a learner from every store
(:mod:`.erasure`)."""

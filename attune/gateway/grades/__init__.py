"""Grade passback: the mastery grade and its durable outbox."""

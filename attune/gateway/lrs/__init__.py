"""Statements to learning record stores: targets, the durable outbox, the relay."""

"""Adapters behind the engine's ports: the embedded SQLite store (default) and the Redis store."""

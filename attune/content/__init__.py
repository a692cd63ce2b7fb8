"""Learning content, shared by the engine's tooling and the gateway (never engine internals).

Today: rendering an item's content reference (``template:NAME?level=N``) into a fresh question
(:mod:`content.templates`), and checking a typed answer against it (:mod:`content.question`).
Pure code with no engine state: it imports no ``engine.*`` and no ``gateway.*``.
"""

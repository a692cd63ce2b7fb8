"""Roles, enforced in one place (issue 16 part 3): the pure decision (:mod:`.core`), what
each route needs (:mod:`.routes`), what each role may call on the engine
(:mod:`.engine_roles`) and the one ``before_request`` that applies them (:mod:`.hook`)."""

"""Flask's signed-cookie session, with its signing serializer built once.

pylti1p3 keeps its OIDC state in Flask's session, so every request opens one, and Flask's
:class:`~flask.sessions.SecureCookieSessionInterface` builds a new itsdangerous serializer
for each (and again to save). The serializer holds nothing but the keys, the salt and the
settings, so this interface keeps the one it built while the app's keys stay the same
(``secret_key`` and ``SECRET_KEY_FALLBACKS``): the cookies read and written are unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class KeptSerializerSessions(SecureCookieSessionInterface):
    """:class:`SecureCookieSessionInterface` with its serializer kept per key set."""

    def __init__(self) -> None:
        self._kept: tuple[tuple[Any, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is not None and kept[0] == keys:
            return kept[1]
        serializer = super().get_signing_serializer(app)
        if serializer is not None:
            self._kept = (keys, serializer)
        return serializer

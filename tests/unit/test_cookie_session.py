"""Flask's signed-cookie session with its serializer kept: cookies round-trip as before, the
serializer is built once per key set, and a new key refuses the old cookie."""

from __future__ import annotations

from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface

from attune.gateway.web.cookie_session import KeptSerializerSessions


def _app(key: bytes) -> Flask:
    app = Flask(__name__)
    app.secret_key = key
    app.session_interface = KeptSerializerSessions()

    @app.get("/set")
    def _set() -> str:
        session["state"] = "s-1"
        return "ok"

    @app.get("/get")
    def _get() -> str:
        return str(session.get("state", "none"))

    return app


def test_a_cookie_round_trips_and_reads_as_flasks_own() -> None:
    app = _app(b"k" * 32)
    client = app.test_client()
    client.get("/set")
    assert client.get("/get").text == "s-1"
    cookie = client.get_cookie("session")
    assert cookie is not None
    plain = SecureCookieSessionInterface().get_signing_serializer(app)
    assert plain is not None and plain.loads(cookie.value) == {"state": "s-1"}


def test_the_serializer_is_kept_until_the_keys_change() -> None:
    app = _app(b"k" * 32)
    sessions = app.session_interface
    assert isinstance(sessions, KeptSerializerSessions)
    first = sessions.get_signing_serializer(app)
    assert first is not None and sessions.get_signing_serializer(app) is first
    client = app.test_client()
    client.get("/set")
    app.secret_key = b"n" * 32
    assert sessions.get_signing_serializer(app) is not first
    assert client.get("/get").text == "none"  # the old key's cookie no longer reads
    app.config["SECRET_KEY_FALLBACKS"] = [b"k" * 32]
    assert client.get("/get").text == "s-1"  # unless the old key is a fallback


def test_no_secret_key_no_session() -> None:
    app = _app(b"")
    assert app.session_interface.get_signing_serializer(app) is None  # type: ignore[attr-defined]

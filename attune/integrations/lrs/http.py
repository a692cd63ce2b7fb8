"""Sending statements over HTTP: one POST per batch to an xAPI LRS (a JSON array to ``/statements``,
xAPI 1.0.3 Communication §2.1.2) or a Caliper endpoint (one envelope, Caliper 1.2 §5).

Why not tincan's ``RemoteLRS`` for this: it opens an ``http.client`` connection per request
with no timeout (a hung LRS would hang the outbox forever), knows only xAPI 1.0.x (its version
check refuses 2.0.0), and re-serialises statements through its own classes, which drop
properties it does not know (2.0's ``contextAgents``). Sending is plain HTTP with ``requests``;
OAuth2 client credentials come from authlib's requests client, which caches and renews the
token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from attune.gateway.lrs.client import SendResult
from attune.gateway.lrs.targets import LrsTarget
from attune.gateway.statements import envelope

TIMEOUT_S = 15.0


class HttpLrsClient:
    """:class:`LrsClient` over requests, one session per target (keep-alive). The relay may
    send several batches of one target at once: they share the session, whose connection
    pool holds a connection for each."""

    def __init__(self, clock: Any = time.time) -> None:
        self._sessions: dict[str, requests.Session] = {}
        self._clock = clock
        self._lock = threading.Lock()  # one session (and one OAuth2 token fetch) per target

    @staticmethod
    def _key(target: LrsTarget) -> str:
        # Credentials are part of the key: an admin who changes them gets a new session.
        return repr(
            (
                target.key,
                target.url,
                target.auth,
                target.username,
                target.password,
                target.token,
                target.token_url,
                target.client_id,
                target.client_secret,
            )
        )

    def _session(self, target: LrsTarget) -> requests.Session:
        with self._lock:
            return self._session_locked(target)

    def _session_locked(self, target: LrsTarget) -> requests.Session:
        session = self._sessions.get(self._key(target))
        if session is None:
            if target.auth == "oauth2":
                oauth = OAuth2Session(
                    target.client_id,
                    target.client_secret,
                    scope=target.scope or None,
                    token_endpoint=target.token_url,
                    grant_type="client_credentials",
                )
                oauth.fetch_token(target.token_url, grant_type="client_credentials")
                session = oauth
            else:
                session = requests.Session()
                if target.auth == "basic":
                    session.auth = (target.username, target.password)
                elif target.auth == "bearer":
                    session.headers["Authorization"] = f"Bearer {target.token}"
            self._sessions[self._key(target)] = session
        return session

    def _headers(self, target: LrsTarget) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if target.kind == "xapi":
            headers["X-Experience-API-Version"] = target.xapi_version
        return headers

    def send(self, target: LrsTarget, bodies: Sequence[dict[str, Any]]) -> SendResult:
        payload: Any
        if target.kind == "xapi":
            url, payload = f"{target.url.rstrip('/')}/statements", list(bodies)
        else:
            url = target.url
            payload = envelope(bodies, target.profile().caliper_sensor, self._clock())
        try:
            response = self._session(target).post(
                url, json=payload, headers=self._headers(target), timeout=TIMEOUT_S
            )
        except requests.RequestException as exc:
            self._sessions.pop(self._key(target), None)  # a fresh connection (and token) next time
            return SendResult(0, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # authlib's token errors, a bad URL
            self._sessions.pop(self._key(target), None)
            return SendResult(0, f"{type(exc).__name__}: {exc}")
        if response.status_code == 401:
            self._sessions.pop(self._key(target), None)
        return SendResult(response.status_code, response.text[:500])

    def exists(self, target: LrsTarget, statement_id: str) -> bool:
        """Whether the LRS holds the statement (after a 409: a copy from an earlier try)."""
        try:
            response = self._session(target).get(
                f"{target.url.rstrip('/')}/statements",
                params={"statementId": statement_id},
                headers=self._headers(target),
                timeout=TIMEOUT_S,
            )
            body = response.json() if response.status_code == 200 else {}
        except Exception:
            return False
        # A single statement is the answer (xAPI 1.0.3 Communication §2.1.3); some LRSs
        # (Ralph 5.1) answer an unknown id with 200 and an empty result list instead of 404.
        return isinstance(body, dict) and (
            body.get("id") == statement_id
            or any(s.get("id") == statement_id for s in body.get("statements") or [])
        )

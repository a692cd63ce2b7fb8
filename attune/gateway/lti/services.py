"""LTI Advantage service calls: OAuth2 service tokens, AGS line items and scores, NRPS.

pylti1p3's ServiceConnector caches access tokens for the life of the connector object, with no
expiry. Here tokens are cached in the store per tenant, platform and scope set, only until
``margin`` seconds before the ``expires_in`` the platform gave (1EdTech Security Framework
§4.1), and dropped when a platform answers 401.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import jwt
import requests
from pylti1p3.service_connector import ServiceConnector

from attune.gateway.errors import PlatformError
from attune.gateway.lti.tool_conf import AttuneRegistration
from attune.gateway.ports import KeyValueStore

TIMEOUT_S = 10.0
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


class _TimeoutSession(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT_S)
        return super().request(*args, **kwargs)


class CachedTokenConnector(ServiceConnector):
    """A ServiceConnector whose access tokens live in the store with their real lifetime."""

    def __init__(
        self, registration: AttuneRegistration, store: KeyValueStore, margin: float
    ) -> None:
        super().__init__(registration, _TimeoutSession())
        self._store = store
        self._attune = registration
        self._tenant = registration.attune.tenant
        self._margin = margin

    def _key(self, scopes: Sequence[str]) -> str:
        joined = "|".join(sorted(scopes)).encode()
        client = self._registration.get_client_id()
        issuer = self._registration.get_issuer()
        return f"token:{issuer}:{client}:{hashlib.sha256(joined).hexdigest()[:16]}"

    def get_access_token(self, scopes: Sequence[str]) -> str:
        key = self._key(scopes)
        cached = self._store.get(self._tenant, key)
        if cached:
            return str(cached)
        token, expires_in = self._request_token(scopes)
        lifetime = expires_in - self._margin
        if lifetime > 0:
            self._store.put(self._tenant, key, token, lifetime)
        return token

    def _request_token(self, scopes: Sequence[str]) -> tuple[str, float]:
        """client_credentials with a signed JWT assertion (Security Framework §4.1.1)."""
        registration = self._attune.attune
        url = registration.auth_token_url
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": registration.client_id,
                "sub": registration.client_id,
                "aud": registration.auth_audience or url,
                "iat": now - 5,
                "exp": now + 60,
                "jti": f"attune-{uuid.uuid4()}",
            },
            self._attune.private_pem,
            algorithm="RS256",
            headers={"kid": self._attune.get_kid()},
        )
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }
        try:
            response = self._requests_session.post(url, data=form)
        except requests.RequestException as exc:
            raise PlatformError(f"token endpoint unreachable: {exc}", retryable=True) from exc
        if not response.ok:
            raise PlatformError(
                f"token endpoint answered {response.status_code}: {response.text[:300]}",
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        try:
            body = response.json()
            return str(body["access_token"]), float(body.get("expires_in", 3600))
        except (ValueError, KeyError) as exc:
            raise PlatformError(
                f"token endpoint sent no access_token: {exc}", retryable=False
            ) from exc

    def forget_token(self, scopes: Sequence[str]) -> None:
        """Drop the cached token (the platform said it is no longer valid)."""
        self._store.take(self._tenant, self._key(scopes))

    def call(
        self,
        scopes: Sequence[str],
        method: str,
        url: str,
        body: Any = None,
        content_type: str = "application/json",
        accept: str = "application/json",
    ) -> requests.Response:
        """One authorised service request; one retry with a fresh token after a 401."""
        for attempt in (1, 2):
            token = self.get_access_token(scopes)
            headers = {"Authorization": f"Bearer {token}", "Accept": accept}
            data = None
            if body is not None:
                headers["Content-Type"] = content_type
                data = json.dumps(body)
            try:
                response = self._requests_session.request(method, url, data=data, headers=headers)
            except requests.RequestException as exc:
                raise PlatformError(f"{url} unreachable: {exc}", retryable=True) from exc
            if response.status_code == 401 and attempt == 1:
                self.forget_token(scopes)
                continue
            if not response.ok:
                raise PlatformError(
                    f"{method} {url} answered {response.status_code}: {response.text[:300]}",
                    retryable=response.status_code >= 500 or response.status_code in (401, 429),
                )
            return response
        raise AssertionError("unreachable")  # pragma: no cover

"""Launch validation: pylti1p3's MessageLaunch with its gaps closed (LTI 1.3 core §5.1.3,
1EdTech Security Framework §5.1.3).

- **Order.** Nothing is consumed or stored until the signature, issuer, audience, deployment and
  message are valid, so a forged or broken launch changes nothing.
- **Nonce.** pylti1p3 only checks that the nonce exists (a replayed launch passes). Here it is
  taken atomically from the store, so it works once; a used nonce is remembered until it
  would have expired anyway, so a replay is refused as such.
- **State.** The OIDC state is kept server-side at login and taken once at launch. It records
  the nonce issued with it and the platform (issuer, client id): a launch whose nonce is not
  the state's, or from another platform, is refused, so one login's state completes only that
  login's launch. A state cookie, when the browser sent one, must match; its absence
  (third-party cookies blocked in the LMS iframe) is not an error (pylti1p3 #119).
- **Claim types.** A signed launch whose claims have the wrong JSON type (``custom`` as a
  list, ``roles`` holding numbers) is refused with 400 naming the claim, before anything is
  consumed.
- **Clock skew.** ``exp``, ``iat`` and ``nbf`` are checked with a bounded leeway (pylti1p3 #146).
- **Keys.** Platform keys come from :class:`PlatformKeys`: cached, refetched on a kid miss.
"""

from __future__ import annotations

from typing import Any, cast

import jwt
from flask import request as flask_request
from pylti1p3.contrib.flask.message_launch import FlaskMessageLaunch
from pylti1p3.exception import LtiException

from attune.gateway.errors import BadRequestError, LaunchError, ReplayError
from attune.gateway.lti import claims
from attune.gateway.lti.claim_types import claim_type_problem
from attune.gateway.lti.platform_keys import PlatformKeys
from attune.gateway.lti.tool_conf import AttuneRegistration, TenantLaunchStorage

MESSAGE_TYPES = (claims.RESOURCE_LINK_REQUEST, claims.DEEP_LINKING_REQUEST)


class AttuneMessageLaunch(FlaskMessageLaunch):
    """One launch POST (``id_token`` and ``state``) for one tenant."""

    def __init__(
        self,
        request: Any,
        tool_conf: Any,
        storage: TenantLaunchStorage,
        keys: PlatformKeys,
        tenant: str,
        leeway: int,
        nonce_ttl: float,
    ) -> None:
        super().__init__(request, tool_conf, launch_data_storage=storage)
        self._storage = storage
        self._keys = keys
        self._tenant = tenant
        self._leeway = leeway
        self._nonce_ttl = nonce_ttl

    def validate(self) -> AttuneMessageLaunch:
        self._validated = True
        try:
            self.validate_jwt_format()
            self._validate_claims_present()
            self.validate_registration()
            self.validate_jwt_signature()
            self._validate_claim_types()
            self.validate_deployment()
            self.validate_message()
            self.validate_state()
            self.validate_nonce()
            self._consume()
            self.save_launch_data()
        except LtiException as exc:
            self._validated = False
            raise LaunchError(str(exc)) from exc
        except BaseException:
            self._validated = False
            raise
        return self

    def _validate_claims_present(self) -> None:
        body = self.body()
        missing = claims.missing_claims(body)
        if missing:
            raise LaunchError(f"id_token is missing required claims: {', '.join(missing)}")
        if body[claims.MESSAGE_TYPE] not in MESSAGE_TYPES:
            raise LaunchError(f"unsupported message_type {body[claims.MESSAGE_TYPE]!r}")

    def _validate_claim_types(self) -> None:
        # After the signature (only a registered platform's launch gets this far), before
        # pylti1p3's message validators and anything consumed: they assume dicts and lists.
        problem = claim_type_problem(self.body())
        if problem:
            raise BadRequestError(f"the launch is refused: {problem}")

    def get_client_id(self) -> str:
        # aud may be a list; then azp names the client (core §5.1.2: azp is required when
        # there are several audiences and must be our client id when present).
        body = self._get_jwt_body()
        aud = body.get("aud")
        azp = body.get("azp")
        if isinstance(aud, list) and len(aud) > 1 and not azp:
            raise LaunchError("id_token has several audiences and no azp")
        if azp:
            return str(azp)  # the signature check then requires aud to include it
        return str((aud[0] if aud else "") if isinstance(aud, list) else (aud or ""))

    def validate_jwt_signature(self) -> AttuneMessageLaunch:
        header = self._jwt.get("header", {})
        alg = header.get("alg", "")
        if alg != "RS256":
            raise LaunchError(f"id_token alg must be RS256, got {alg!r}")
        registration = cast(AttuneRegistration, self._registration).attune
        kid = str(header.get("kid") or "")
        key = self._keys.public_key(self._tenant, registration.key_set_url, kid, alg)
        try:
            jwt.decode(
                self._get_id_token(),
                key,
                algorithms=["RS256"],
                audience=registration.client_id,
                issuer=registration.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidAudienceError as exc:
            aud = self._get_jwt_body().get("aud")
            raise LaunchError(
                f"id_token aud {aud!r} does not include our client id {registration.client_id!r}"
            ) from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"id_token rejected: {exc}") from exc
        azp = self._get_jwt_body().get("azp")
        if azp is not None and azp != registration.client_id:
            raise LaunchError(f"id_token azp {azp!r} is not our client id")
        return self

    def validate_state(self) -> AttuneMessageLaunch:
        state = flask_request.form.get("state", "")
        if not state:
            raise LaunchError("launch has no state")
        params = self._storage.get_value(f"lti1p3-{state}")
        if params is None:
            raise ReplayError("state is unknown, expired or already used")
        registration = cast(AttuneRegistration, self._registration).attune
        if params.get("tenant") != self._tenant or (
            params.get("issuer"),
            params.get("client_id"),
        ) != (registration.issuer, registration.client_id):
            raise LaunchError("state belongs to another platform")
        cookie = self._cookie_service.get_cookie(state)
        if cookie is not None and cookie != state:
            raise LaunchError("state cookie does not match")
        return self

    def validate_nonce(self) -> AttuneMessageLaunch:
        nonce = self._get_jwt_body().get("nonce")
        if not nonce:
            raise LaunchError("id_token has no nonce")
        if self._storage.get_value(f"lti1p3-nonce-{nonce}") is None:
            if self._storage.get_value(f"used-nonce-{nonce}"):
                raise ReplayError("nonce was already used: the launch is a replay")
            raise ReplayError("nonce was not issued by this tool or has expired")
        state = flask_request.form.get("state", "")
        params = self._storage.get_value(f"lti1p3-{state}") or {}
        if params.get("nonce") != nonce:
            # The state and the nonce were issued together at login (login.BoundOIDCLogin);
            # another login's unused state must not complete this launch.
            raise LaunchError("the id_token's nonce was not issued with this state")
        return self

    def _consume(self) -> None:
        """Take the state and the nonce, once: only after every check passed, so a refused
        launch leaves both usable; a concurrent duplicate loses the race here."""
        state = flask_request.form.get("state", "")
        nonce = self.body()["nonce"]
        if self._storage.take_value(f"lti1p3-{state}") is None:
            raise ReplayError("state is unknown, expired or already used")
        if self._storage.take_value(f"lti1p3-nonce-{nonce}") is None:
            raise ReplayError("nonce was already used: the launch is a replay")
        self._storage.set_value(f"used-nonce-{nonce}", True, int(self._nonce_ttl))

    def body(self) -> dict[str, Any]:
        """The validated id_token body."""
        return dict(self._get_jwt_body())

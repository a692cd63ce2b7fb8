"""The sign-in's refusals, in the gateway's error hierarchy (one HTTP status each)."""

from __future__ import annotations

from attune.gateway.errors import GatewayError, UnauthorizedError


class SignInError(UnauthorizedError):
    """An IdP's answer that fails validation (signature, issuer, audience, time, nonce,
    state, InResponseTo): 401, no session is created."""

    error = "sign_in_refused"


class NotAllowedError(GatewayError):
    """A valid identity the tenant does not let in (an IdP not on its allow-list, no staff
    role, another tenant's person)."""

    status = 403
    error = "sign_in_not_allowed"


class IdentityProviderError(GatewayError):
    """The identity provider could not be reached or answered nonsense."""

    status = 502
    error = "identity_provider_error"

"""The gateway's error hierarchy. The web layer maps each to one HTTP status with the reason;
LTI and OAuth errors carry the spec's error code, as authlib's do."""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    status = 500
    error = "server_error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadRequestError(GatewayError):
    """Malformed input; nothing was changed."""

    status = 400
    error = "invalid_request"


class LaunchError(GatewayError):
    """An LTI message that fails validation (LTI 1.3 core §5.1.3): 401, nothing stored."""

    status = 401
    error = "invalid_launch"


class ReplayError(LaunchError):
    """The launch's nonce (or state) was used before."""

    error = "replayed_launch"


class ForbiddenError(GatewayError):
    """Authenticated, but not allowed to see this (another learner's page, a learner on an
    instructor page)."""

    status = 403
    error = "forbidden"


class NotFoundError(GatewayError):
    status = 404
    error = "not_found"


class UnauthorizedError(GatewayError):
    """No or a bad credential (admin surface, session token)."""

    status = 401
    error = "unauthorized"


class UnknownTenantError(GatewayError):
    """A tenant without an engine credential."""

    status = 503
    error = "unknown_tenant"


class EngineCallError(GatewayError):
    """The engine answered a call with a gRPC error; ``code`` is its status name."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(f"engine {code}: {details}")
        self.code = code
        self.status = {
            "INVALID_ARGUMENT": 400,
            "NOT_FOUND": 404,
            "ALREADY_EXISTS": 409,
            "RESOURCE_EXHAUSTED": 429,
            "UNAVAILABLE": 503,
            "DEADLINE_EXCEEDED": 503,
        }.get(code, 502)


class PlatformError(GatewayError):
    """A platform service (token endpoint, AGS, NRPS) failed; ``retryable`` says whether a
    later attempt may succeed."""

    status = 502
    error = "platform_error"

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


class RateLimitedError(GatewayError):
    """Over a rate limit; ``retry_after`` is the ``Retry-After`` value (whole seconds)."""

    status = 429
    error = "rate_limited"

    def __init__(self, reason: str, retry_after: str) -> None:
        super().__init__(reason)
        self.retry_after = retry_after

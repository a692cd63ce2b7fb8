"""The gateway's error hierarchy. The web layer maps each to one HTTP status with the reason;
LTI and OAuth errors carry the spec's error code, as authlib's do."""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    status = 500
    error = "server_error"
    # A ``Retry-After`` value (whole seconds) the HTTP answer carries, when there is one.
    retry_after: str | None = None

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
    """The engine answered a call with a gRPC error; ``code`` is its status name. When the
    engine said when to retry (``retry-after`` on an UNAVAILABLE or RESOURCE_EXHAUSTED),
    ``retry_after`` passes it on to the HTTP answer (503 or 429)."""

    def __init__(self, code: str, details: str, retry_after: str | None = None) -> None:
        super().__init__(f"engine {code}: {details}")
        self.code = code
        self.retry_after = retry_after if code in RETRY_HINTED else None
        self.status = {
            "INVALID_ARGUMENT": 400,
            "NOT_FOUND": 404,
            "ALREADY_EXISTS": 409,
            "RESOURCE_EXHAUSTED": 429,
            "UNAVAILABLE": 503,
            "DEADLINE_EXCEEDED": 503,
        }.get(code, 502)

    @property
    def transient(self) -> bool:
        """The engine is busy or away (503, 429): a later try may work. A route that turns
        an engine error into its own 400 or 404 lets these through, with their hint."""
        return self.code in TRANSIENT


RETRY_HINTED = frozenset({"UNAVAILABLE", "RESOURCE_EXHAUSTED"})
TRANSIENT = RETRY_HINTED | {"DEADLINE_EXCEEDED"}
MAX_RETRY_AFTER_S = 3600  # a longer hint from the engine is not passed on as it is


def retry_hint(metadata: object) -> str | None:
    """The engine's ``retry-after`` (whole seconds, 1 to an hour) among a call's trailing
    metadata (pairs of key and value), or None when absent or not a whole number."""
    if not isinstance(metadata, (tuple, list)):
        return None
    for item in metadata:
        key, value = getattr(item, "key", None), getattr(item, "value", None)
        if key is None and isinstance(item, tuple) and len(item) == 2:
            key, value = item
        if key != "retry-after" or not isinstance(value, str):
            continue
        if value.isascii() and value.isdigit() and int(value) > 0:
            return str(min(int(value), MAX_RETRY_AFTER_S))
        return None
    return None


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

"""The engine's error hierarchy. The gRPC layer maps each class to one status code."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the engine raises on purpose."""


class InvalidInputError(DomainError):
    """The request is malformed. `field` names the offending field path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFoundError(DomainError):
    """A course, item or learner the request refers to does not exist in the tenant."""

    def __init__(self, kind: str, ident: str) -> None:
        # Imported here: limits imports this module. The id is the caller's input, so only
        # its head is repeated (issue 11 item 13).
        from attune.engine.domain.limits import echo

        super().__init__(f"{kind} {echo(ident)!r} not found")
        self.kind = kind
        self.ident = ident


class AlreadyExistsError(DomainError):
    """The request would create something that exists already and differs (a reused event
    id). The message never says whose it is."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class QuotaExceededError(DomainError):
    """The request would store more than the tenant's quota allows (``quota``: its name);
    nothing was stored."""

    def __init__(self, quota: str, limit: int, what: str) -> None:
        super().__init__(f"quota {quota} exceeded: the tenant may store at most {limit} {what}")
        self.quota = quota
        self.limit = limit


class ConflictError(DomainError):
    """A concurrent writer changed the state first; the caller may retry."""


class UnavailableError(DomainError):
    """A dependency (store, model) cannot serve right now; retrying later is safe."""


class UnauthenticatedError(DomainError):
    """The call carries no valid credential."""


class PermissionDeniedError(DomainError):
    """The caller is authenticated but its credential does not grant what the call needs
    (an OAuth scope); the message names it."""

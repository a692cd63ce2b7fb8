"""Domain errors -> gRPC status codes, in one place."""

from __future__ import annotations

import grpc

from attune.engine.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    UnauthenticatedError,
    UnavailableError,
)
from attune.engine.domain.limits import MAX_MESSAGE_CHARS, echo

_CODES: tuple[tuple[type[DomainError], grpc.StatusCode], ...] = (
    (InvalidInputError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (UnauthenticatedError, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (ConflictError, grpc.StatusCode.ABORTED),
    (QuotaExceededError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
)

GENERIC_MESSAGE = "internal error"


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and the client-safe message for an exception. The message is cut to
    MAX_MESSAGE_CHARS: whatever input it repeats, it stays far below the metadata limit."""
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code, echo(str(exc), MAX_MESSAGE_CHARS)
    return grpc.StatusCode.INTERNAL, GENERIC_MESSAGE


def field_of(exc: BaseException) -> str:
    """The request field an error names, or "" (for a stream's inline error)."""
    field = getattr(exc, "field", "")
    return field if isinstance(field, str) else ""

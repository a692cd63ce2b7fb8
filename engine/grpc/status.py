"""Domain errors -> gRPC status codes, in one place."""

from __future__ import annotations

import grpc

from engine.domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
    UnavailableError,
)

_CODES: tuple[tuple[type[DomainError], grpc.StatusCode], ...] = (
    (InvalidInputError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (UnauthenticatedError, grpc.StatusCode.UNAUTHENTICATED),
    (ConflictError, grpc.StatusCode.ABORTED),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
)

GENERIC_MESSAGE = "internal error"


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and the client-safe message for an exception."""
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code, str(exc)
    return grpc.StatusCode.INTERNAL, GENERIC_MESSAGE

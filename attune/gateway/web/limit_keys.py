"""Who a token-endpoint request counts against, for the rate limits (gateway.web.rate_limit):
the OAuth client id it claims and that client's tenant, read before the client is
authenticated (which costs a scrypt check). A claimed id is only a bucket key: it grants
nothing, and an unknown one has no tenant."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

import jwt
from flask import request

from attune.gateway.ports import GatewayStore

MAX_CLIENT_ID = 200  # longer ids are cut: a bucket key, not an identity


def claimed_client_id() -> str | None:
    """The client id of ``client_secret_basic`` (RFC 6749 §2.3.1: form-encoded in Basic),
    of ``client_secret_post`` (``client_id``), or of ``private_key_jwt`` (the assertion's
    ``sub``, unverified here), or ``None``."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, _ = decoded.partition(":")
        return unquote_plus(user)[:MAX_CLIENT_ID] if sep and user else None
    form = request.form
    given = form.get("client_id", "")
    if given:
        return given[:MAX_CLIENT_ID]
    assertion = form.get("client_assertion", "")
    if assertion:
        try:
            sub = jwt.decode(assertion, options={"verify_signature": False}).get("sub")
        except jwt.PyJWTError:
            return None
        return sub[:MAX_CLIENT_ID] if isinstance(sub, str) and sub else None
    return None


def malformed_basic(header: str) -> bool:
    """Whether ``header`` is Basic credentials that are not base64 of UTF-8 text (which the
    OAuth library fails on, unanswered); other schemes and well-formed Basic are ``False``."""
    parts = header.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "basic":
        return False
    try:
        base64.b64decode(parts[1]).decode()
    except binascii.Error:
        return False  # the library answers this one itself (no credentials: invalid_client)
    except UnicodeDecodeError:
        return True
    return False


def client_tenant(store: GatewayStore, client_id: str | None) -> str | None:
    """The tenant of a registered OAuth client, or ``None``."""
    found = store.get_oauth_client(client_id) if client_id else None
    return found.tenant if found is not None else None

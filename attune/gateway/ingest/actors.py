"""Which learner an inbound actor is.

An xAPI account on the tenant's own home page is one of our learners: the outbound builders
put the engine's learner id there unchanged (``gateway.statements.xapi.actor``), so its
name is the learner id. Likewise a Caliper Person whose id is one of our learner IRIs. Any
other actor gets a stable pseudonym: a SHA-256 of the tenant and the actor's identifier, so
the engine never stores an email address or another system's user id, and the same person
in two tenants is two unlinkable learners. An ``mbox`` is first turned into its
``mbox_sha1sum`` (xAPI 1.0.3 Data §2.4.2.3, domain in lower case), so a tool that sends the
hash and one that sends the address reach the same learner.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from tincan import Group

MAX_LEARNER_ID_LEN = 200


def pseudonym(prefix: str, tenant: str, *identifier: str) -> str:
    """``prefix`` + 32 hex digits of SHA-256 over the tenant and the identifier's parts."""
    name = json.dumps([tenant, *identifier], ensure_ascii=False)
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:32]


def xapi_learner(actor: Any, tenant: str, home_pages: Iterable[str]) -> str | None:
    """The learner id of a tincan Agent, or ``None`` for a Group (answers are a learner's)."""
    if isinstance(actor, Group):
        return None
    account = actor.account
    return _learner(
        tenant,
        home_pages,
        (account.home_page, account.name) if account is not None else None,
        actor.mbox,
        actor.mbox_sha1sum,
        actor.openid,
    )


def xapi_learner_of_json(actor: Any, tenant: str, home_pages: Iterable[str]) -> str | None:
    """:func:`xapi_learner` of an actor as stored JSON (``None`` for a Group or anything
    that identifies nobody): which learner a stored statement is about."""
    if not isinstance(actor, dict) or actor.get("objectType") == "Group":
        return None
    account = actor.get("account")
    pair = None
    if isinstance(account, dict):
        pair = (str(account.get("homePage", "")), account.get("name"))
    if not (pair or actor.get("mbox") or actor.get("mbox_sha1sum") or actor.get("openid")):
        return None
    return _learner(
        tenant, home_pages, pair, actor.get("mbox"), actor.get("mbox_sha1sum"), actor.get("openid")
    )


def _learner(
    tenant: str,
    home_pages: Iterable[str],
    account: tuple[str, Any] | None,
    mbox: Any,
    mbox_sha1sum: Any,
    openid: Any,
) -> str:
    if account is not None:
        home_page, name = account
        ours = {page.rstrip("/") for page in home_pages}
        if home_page.rstrip("/") in ours and _usable(name):
            return str(name)
        return pseudonym("xapi-", tenant, "account", home_page, name)
    if mbox is not None:
        local, _, domain = str(mbox).removeprefix("mailto:").partition("@")
        digest = hashlib.sha1(f"mailto:{local}@{domain.lower()}".encode()).hexdigest()
        return pseudonym("xapi-", tenant, "mbox_sha1sum", digest)
    if mbox_sha1sum is not None:
        return pseudonym("xapi-", tenant, "mbox_sha1sum", str(mbox_sha1sum).lower())
    return pseudonym("xapi-", tenant, "openid", str(openid))


def caliper_learner(person: Any, tenant: str, activity_bases: Iterable[str]) -> str:
    """The learner id of a Caliper Person (an entity or its IRI)."""
    ident = str(person["id"] if isinstance(person, dict) else person)
    for base in activity_bases:
        prefix = base.rstrip("/") + "/learners/"
        rest = ident[len(prefix) :] if ident.startswith(prefix) else ""
        if rest and "/" not in rest and "?" not in rest and "#" not in rest:
            try:
                learner = unquote(rest, errors="strict")
            except UnicodeDecodeError:
                break
            if _usable(learner):
                return learner
    return pseudonym("caliper-", tenant, "person", ident)


def _usable(name: Any) -> bool:
    return isinstance(name, str) and bool(name.strip()) and len(name) <= MAX_LEARNER_ID_LEN

"""The pure RBAC core: who is asking (:class:`Actor`), what a route needs (:class:`Need`),
what it is about (:class:`Target`), and :func:`decide`. No Flask, no I/O.

Roles:
- ``learner``: an LTI launch session of a learner; their own pages only.
- ``instructor``: an LTI launch session with a staff role (its context's learners and
  course), or a signed-in staff member mapped to ``instructor`` (no context of its own).
- ``tenant_admin``: a signed-in staff member mapped to ``tenant_admin``; everything in
  their tenant.
- ``operator``: the operator token; health, the API description and metrics, never learner
  data.
- ``admin``: the global admin token (deployment scripts): tenant administrator of every
  tenant and the tenant-less administration (key rotation). It can read learner data, so
  it is kept out of operators' hands, and it is no operator credential (metrics).
- ``ingest``: an ingest token (an LRS-style client feeding statements) of one tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    TENANT_ADMIN = "tenant_admin"
    OPERATOR = "operator"
    ADMIN = "admin"  # the global admin token
    INGEST = "ingest"


class Need(StrEnum):
    """What a route needs of its caller."""

    PUBLIC = "public"  # anyone: health, keys, metadata, sign-in starts, the demo
    LTI_PLATFORM = "lti_platform"  # the platform's signed message, checked by the view
    OAUTH_CLIENT = "oauth_client"  # client authentication, checked by the token endpoint
    LEARNER_SELF = "learner_self"  # a launch session: its own learner's pages
    INSTRUCTOR_OF_CONTEXT = "instructor_of_context"  # a staff launch session of the context
    STAFF = "staff"  # any signed-in staff member (their own sign-in)
    TENANT_ADMIN = "tenant_admin"  # the route's tenant's administrator
    PLATFORM_ADMIN = "platform_admin"  # tenant-less administration: the admin token only
    OPERATOR = "operator"  # health and metrics
    INGEST_CREDENTIAL = "ingest_credential"  # an ingest token (its tenant)


# Needs the hook lets through: the view authenticates the caller itself (a signature over
# the message, a client secret), or no credential is needed.
OPEN_NEEDS = frozenset({Need.PUBLIC, Need.LTI_PLATFORM, Need.OAUTH_CLIENT})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking. ``tenant`` is ``None`` for the tenant-less admin and operator tokens
    and for anonymous callers; ``learner_id`` is a launch session's (pseudonymous) learner;
    ``context`` its LMS context."""

    roles: frozenset[Role] = frozenset()
    tenant: str | None = None
    via: str = "anonymous"  # admin-token, operator-token, lti-session, sso, ingest-token
    learner_id: str = ""
    context: str = ""

    @property
    def anonymous(self) -> bool:
        return not self.roles


@dataclass(frozen=True, slots=True)
class Target:
    """What the request is about: the route's tenant (``None``: a tenant-less route or one
    whose tenant is the credential's), the learner it names, if any."""

    tenant: str | None = None
    learner_id: str = ""


@dataclass(frozen=True, slots=True)
class Allow:
    allowed = True


@dataclass(frozen=True, slots=True)
class Deny:
    """A refusal: ``status`` 401 (no usable credential) or 403 (a credential without the
    role), and a reason naming the role needed."""

    status: int
    reason: str
    allowed = False


Decision = Allow | Deny
ALLOW = Allow()


def _unauthenticated(need: Need) -> Deny:
    return Deny(401, f"this route needs a credential: {_WHO[need]}")


def _forbidden(actor: Actor, need: Need, target: Target) -> Deny:
    have = ", ".join(sorted(actor.roles))
    if need is Need.LEARNER_SELF and actor.via == "lti-session" and _same_tenant(actor, target):
        return Deny(
            403,
            "a session can only read its own learner's data; another learner's needs role "
            f"instructor of their context (the credential has role {have})",
        )
    where = f" of tenant {target.tenant!r}" if target.tenant and need is Need.TENANT_ADMIN else ""
    theirs = f" of tenant {actor.tenant!r}" if actor.tenant else ""
    return Deny(
        403, f"this route needs {_WHO[need]}{where}; the credential has role {have}{theirs}"
    )


_WHO: dict[Need, str] = {
    Need.PUBLIC: "none",
    Need.LTI_PLATFORM: "the platform's signed message",
    Need.OAUTH_CLIENT: "the client's authentication",
    Need.LEARNER_SELF: "the page's launch session (role learner or instructor)",
    Need.INSTRUCTOR_OF_CONTEXT: "role instructor (for the course's instructors: a staff "
    "launch of its context)",
    Need.STAFF: "a staff sign-in (role instructor or tenant_admin)",
    Need.TENANT_ADMIN: "role tenant_admin ('Authorization: Bearer <admin token>' or a signed-in "
    "tenant administrator)",
    Need.PLATFORM_ADMIN: "role admin ('Authorization: Bearer <admin token>')",
    Need.OPERATOR: "role operator ('Authorization: Bearer <operator token>')",
    Need.INGEST_CREDENTIAL: "role ingest ('Authorization: Bearer <ingest token>' or Basic with "
    "the token as the password)",
}


def decide(actor: Actor, need: Need, target: Target) -> Decision:
    """Whether ``actor`` may use a route that needs ``need`` on ``target``."""
    if need in OPEN_NEEDS:
        return ALLOW
    if actor.anonymous:
        return _unauthenticated(need)
    if _allows(actor, need, target):
        return ALLOW
    return _forbidden(actor, need, target)


def _same_tenant(actor: Actor, target: Target) -> bool:
    return target.tenant is None or actor.tenant == target.tenant


def _allows(actor: Actor, need: Need, target: Target) -> bool:
    roles = actor.roles
    if need is Need.TENANT_ADMIN:
        if Role.ADMIN in roles:
            return True
        return Role.TENANT_ADMIN in roles and bool(target.tenant) and actor.tenant == target.tenant
    if need is Need.PLATFORM_ADMIN:
        return Role.ADMIN in roles
    if need is Need.OPERATOR:
        return Role.OPERATOR in roles  # the admin token is no operator credential
    if need is Need.STAFF:
        return bool(roles & {Role.INSTRUCTOR, Role.TENANT_ADMIN}) and actor.via == "sso"
    if need is Need.INGEST_CREDENTIAL:
        return Role.INGEST in roles and _same_tenant(actor, target)
    if actor.via != "lti-session" or not _same_tenant(actor, target):
        return False  # page routes take the launch session only
    if need is Need.INSTRUCTOR_OF_CONTEXT:
        return Role.INSTRUCTOR in roles
    if need is Need.LEARNER_SELF:
        # Another learner's data: an instructor only (the view checks the roster).
        return (
            not target.learner_id
            or target.learner_id == actor.learner_id
            or Role.INSTRUCTOR in roles
        )
    return False  # an unknown need is refused

"""The pure RBAC decision (issue 16 part 3): every need against every kind of actor, with the
status and the role named in each refusal."""

from __future__ import annotations

import pytest

from attune.engine.grpc.scopes import METHOD_SCOPES, SCOPES
from attune.gateway.rbac.core import ALLOW, Actor, Deny, Need, Role, Target, decide
from attune.gateway.rbac.engine_roles import ROLE_SCOPES, methods_for

LEARNER = Actor(frozenset({Role.LEARNER}), "t", "lti-session", learner_id="ada", context="c1")
TEACHER = Actor(frozenset({Role.INSTRUCTOR}), "t", "lti-session", learner_id="tom", context="c1")
TENANT_ADMIN = Actor(frozenset({Role.TENANT_ADMIN}), "t", "sso")
OTHER_ADMIN = Actor(frozenset({Role.TENANT_ADMIN}), "u", "sso")
SSO_TEACHER = Actor(frozenset({Role.INSTRUCTOR}), "t", "sso")
ADMIN = Actor(frozenset({Role.ADMIN}), None, "admin-token")
OPERATOR = Actor(frozenset({Role.OPERATOR}), None, "operator-token")
INGEST = Actor(frozenset({Role.INGEST}), "t", "ingest-token")
ANONYMOUS = Actor()
ALL = {
    "learner": LEARNER, "teacher": TEACHER, "tenant_admin": TENANT_ADMIN,
    "other_admin": OTHER_ADMIN, "sso_teacher": SSO_TEACHER, "admin": ADMIN,
    "operator": OPERATOR, "ingest": INGEST, "anonymous": ANONYMOUS,
}  # fmt: skip
ALLOWED = {
    Need.PUBLIC: set(ALL),
    Need.LTI_PLATFORM: set(ALL),
    Need.OAUTH_CLIENT: set(ALL),
    Need.LEARNER_SELF: {"learner", "teacher"},
    Need.INSTRUCTOR_OF_CONTEXT: {"teacher"},
    Need.STAFF: {"tenant_admin", "other_admin", "sso_teacher"},
    Need.TENANT_ADMIN: {"tenant_admin", "admin"},
    Need.PLATFORM_ADMIN: {"admin"},
    Need.OPERATOR: {"operator"},
    Need.INGEST_CREDENTIAL: {"ingest"},
}


@pytest.mark.parametrize("need", list(Need))
def test_every_need_for_every_actor(need: Need) -> None:
    target = Target(tenant="t")
    for name, actor in ALL.items():
        decision = decide(actor, need, target)
        if name in ALLOWED[need]:
            assert decision == ALLOW, (need, name)
        else:
            assert isinstance(decision, Deny), (need, name)
            assert decision.status == (401 if name == "anonymous" else 403), (need, name)


def test_a_learner_reads_only_their_own_learner_and_an_instructor_reads_others() -> None:
    assert decide(LEARNER, Need.LEARNER_SELF, Target("t", "ada")) == ALLOW
    refused = decide(LEARNER, Need.LEARNER_SELF, Target("t", "bob"))
    assert isinstance(refused, Deny) and refused.status == 403
    assert "own learner" in refused.reason and "instructor" in refused.reason
    assert decide(TEACHER, Need.LEARNER_SELF, Target("t", "bob")) == ALLOW


def test_a_session_or_token_of_another_tenant_is_refused() -> None:
    for actor, need in (
        (LEARNER, Need.LEARNER_SELF),
        (TEACHER, Need.INSTRUCTOR_OF_CONTEXT),
        (INGEST, Need.INGEST_CREDENTIAL),
        (TENANT_ADMIN, Need.TENANT_ADMIN),
    ):
        assert isinstance(decide(actor, need, Target("u")), Deny), (actor, need)


def test_refusals_name_the_role_needed() -> None:
    denied = decide(OTHER_ADMIN, Need.TENANT_ADMIN, Target("t"))
    assert isinstance(denied, Deny)
    assert "role tenant_admin" in denied.reason and "of tenant 't'" in denied.reason
    assert "of tenant 'u'" in denied.reason
    anonymous = decide(ANONYMOUS, Need.OPERATOR, Target())
    assert isinstance(anonymous, Deny) and anonymous.status == 401
    assert "operator token" in anonymous.reason
    # A tenant administrator route without a tenant (key rotation) is the admin token's only.
    assert isinstance(decide(TENANT_ADMIN, Need.TENANT_ADMIN, Target()), Deny)


def test_the_operator_reaches_no_learner_data() -> None:
    for need in (Need.LEARNER_SELF, Need.INSTRUCTOR_OF_CONTEXT, Need.TENANT_ADMIN,
                 Need.INGEST_CREDENTIAL, Need.STAFF):  # fmt: skip
        assert isinstance(decide(OPERATOR, need, Target("t", "ada")), Deny), need
    assert ROLE_SCOPES[Role.OPERATOR] == frozenset()


def test_role_scopes_are_engine_scopes() -> None:
    for scopes in ROLE_SCOPES.values():
        assert scopes <= set(SCOPES)
    assert methods_for(None, METHOD_SCOPES) == frozenset(METHOD_SCOPES)
    reads = methods_for(frozenset({"events:read"}), METHOD_SCOPES)
    assert reads == {"/attune.engine.v1.EventService/ListEvents"}

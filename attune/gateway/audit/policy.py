"""What each route means in the audit trail, in one table: (method, URL rule) -> the
action it records, and where its learner, target and reason come from. A route absent from
the table is not recorded (the learner's own practice page, public keys, health ...).

Recorded: every read of learner data by staff or an administrator, every administrative
change, every intervention (issue 16 part 4). tests/integration/test_audit_gateway.py walks
every route of the app and fails on one that is neither here nor in :data:`NOT_AUDITED`, so
a new route has to be placed on one side.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Audited:
    """How one route is recorded. ``target``: view argument names joined into the target
    (``course_id``), or fields of the JSON answer, the form or the query, prefixed
    ``json:``, ``form:``, ``arg:``; ``reason``: the form or JSON
    field with the reason given, if any."""

    action: str
    target: tuple[str, ...] = ()
    reason: str = ""
    # The route erased the learner: the record keeps only their pseudonym, like the rest.
    erases: bool = False


A = "/admin/tenants/<tenant>"
I = "/instructor/<token>"  # noqa: E741 (an instructor's page prefix)
C = "/console/<tenant>"  # the admin console (issue 16 part 5)

ROUTES: dict[tuple[str, str], Audited] = {
    # -- administrative changes ------------------------------------------------------------
    ("PUT", f"{A}/registrations"): Audited("registration.put", ("json:issuer", "json:client_id")),
    ("DELETE", f"{A}/registrations"): Audited(
        "registration.delete", ("arg:issuer", "arg:client_id")
    ),
    ("POST", f"{A}/registration-urls"): Audited("registration.url_issued"),
    ("POST", f"{A}/outbox/<int:item_id>/replay"): Audited("grades.replay", ("item_id",)),
    ("POST", "/admin/keys/rotate"): Audited("keys.rotate"),
    ("PUT", f"{A}/lrs/<name>"): Audited("lrs_target.put", ("name",)),
    ("DELETE", f"{A}/lrs/<name>"): Audited("lrs_target.delete", ("name",)),
    ("POST", f"{A}/statements/<int:row_id>/replay"): Audited("statements.replay", ("row_id",)),
    ("POST", f"{A}/content"): Audited("content.import"),
    ("PUT", f"{A}/content/<course_id>/tags"): Audited("content.tags_put", ("course_id",)),
    ("POST", f"{A}/content/<course_id>/generate"): Audited("content.generate", ("course_id",)),
    ("POST", f"{A}/content/<course_id>/generated/<item_id>/retire"): Audited(
        "content.item_retire", ("course_id", "item_id"), reason="reason"
    ),
    ("PUT", f"{A}/terminology/<subject>"): Audited("terminology.put", ("subject",)),
    ("PUT", f"{A}/activity-map"): Audited("activity_map.put"),
    ("POST", f"{I}/items/<item_id>/retire"): Audited(
        "content.item_retire", ("item_id",), reason="reason"
    ),
    ("POST", "/lti/deep-link/<token>"): Audited("activity.place"),
    ("POST", f"{I}/sync"): Audited("roster.sync"),
    ("DELETE", f"{A}/learners/<learner_id>"): Audited("learner.erase", erases=True),
    ("POST", f"{A}/oauth-clients"): Audited("oauth_client.put", ("json:client_id",)),
    ("DELETE", f"{A}/oauth-clients/<client_id>"): Audited("oauth_client.delete", ("client_id",)),
    ("PUT", f"{A}/sso/providers/<provider_id>"): Audited("identity_provider.put", ("provider_id",)),
    ("DELETE", f"{A}/sso/providers/<provider_id>"): Audited(
        "identity_provider.delete", ("provider_id",)
    ),
    ("POST", f"{A}/sso/sessions/revoke"): Audited("sso.sessions_revoke"),
    # -- interventions ---------------------------------------------------------------------
    ("POST", f"{I}/learners/<learner_id>/interventions"): Audited(
        "intervention.learner", ("form:kind", "form:skill_id"), reason="reason"
    ),
    ("POST", f"{I}/class/pins"): Audited("intervention.class", ("form:skill_id",), "reason"),
    # -- reads of learner data -------------------------------------------------------------
    ("GET", f"{A}/outbox"): Audited("grades.read"),
    ("GET", f"{A}/statements"): Audited("statements.read"),
    ("GET", f"{A}/courses/<course_id>/class-report"): Audited("class.read", ("course_id",)),
    ("GET", f"{A}/courses/<course_id>/class-report.csv"): Audited("class.export", ("course_id",)),
    ("GET", f"{A}/courses/<course_id>/experiment"): Audited("experiment.read", ("course_id",)),
    ("GET", f"{A}/courses/<course_id>/experiment.csv"): Audited(
        "experiment.export", ("course_id",)
    ),
    ("GET", I): Audited("class.read"),
    ("GET", f"{I}/class"): Audited("class.read"),
    ("GET", f"{I}/class.csv"): Audited("class.export"),
    ("GET", f"{I}/learners/<learner_id>"): Audited("learner.read"),
    ("GET", f"{I}/learners/<learner_id>.csv"): Audited("learner.export"),
    ("GET", "/api/learners/<learner_id>/progress"): Audited("learner.read"),
    # -- the trail itself: reading it is recorded too --------------------------------------
    ("GET", f"{A}/audit"): Audited("audit.read"),
    ("GET", f"{A}/audit.jsonl"): Audited("audit.export"),
    ("GET", f"{A}/audit.csv"): Audited("audit.export"),
    ("GET", f"{A}/audit/verify"): Audited("audit.verify"),
    # -- the admin console (issue 16 part 5): its changes, and its pages that show learner
    # data (the outboxes' dead letters) or the trail ----------------------------------------
    ("POST", f"{C}/registration-urls"): Audited("registration.url_issued"),
    ("POST", f"{C}/statements/<int:row_id>/replay"): Audited("statements.replay", ("row_id",)),
    ("POST", f"{C}/grades/<int:item_id>/replay"): Audited("grades.replay", ("item_id",)),
    ("POST", f"{C}/oauth-clients"): Audited("oauth_client.put", ("form:name",)),
    ("POST", f"{C}/oauth-clients/<client_id>/revoke"): Audited(
        "oauth_client.delete", ("client_id",)
    ),
    ("POST", f"{C}/identity-providers"): Audited(
        "identity_provider.put", ("form:provider_id",)
    ),
    ("POST", f"{C}/identity-providers/<provider_id>/remove"): Audited(
        "identity_provider.delete", ("provider_id",)
    ),
    ("POST", f"{C}/lrs/targets"): Audited("lrs_target.put", ("form:name",)),
    ("POST", f"{C}/lrs/targets/<name>/delete"): Audited("lrs_target.delete", ("name",)),
    ("POST", f"{C}/registrations/delete"): Audited(
        "registration.delete", ("form:issuer", "form:client_id")
    ),
    ("GET", f"{C}/lrs"): Audited("outbox.read"),
    ("GET", f"{C}/audit"): Audited("audit.read"),
}

# Routes deliberately not recorded: no learner data of anyone else and no change of
# configuration (a learner's own pages, LTI plumbing, public documents, reads of settings
# and content, statement ingestion, which the engine's log keeps).
NOT_AUDITED: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/lti/login"), ("POST", "/lti/login"), ("POST", "/lti/launch"),
        ("GET", "/lti/jwks"), ("GET", "/.well-known/jwks.json"),
        ("GET", "/lti/register/<enrollment>"), ("GET", "/lti/deep-link/<token>"),
        ("GET", "/lti/config/canvas.json"), ("GET", "/openapi.json"), ("GET", "/healthz"),
        ("GET", "/livez"), ("GET", "/readyz"), ("GET", "/metrics"),  # issue 17: no learner data
        ("GET", "/practice/<token>"), ("POST", "/practice/<token>/hint"),
        ("POST", "/practice/<token>/answer"), ("GET", "/demo"),
        ("GET", f"{I}/items"), ("GET", f"{I}/items/<item_id>"),
        ("GET", "/xapi/about"), ("POST", "/xapi/statements"), ("PUT", "/xapi/statements"),
        ("POST", "/caliper"), ("GET", "/media/<tenant>/<digest>"),
        # A tool reading back its own tenant's statements, and the Caliper configuration.
        ("GET", "/xapi/statements"), ("GET", "/caliper"),
        ("GET", f"{A}/registrations"), ("GET", f"{A}/lrs"),
        ("GET", f"{A}/content/<course_id>"), ("GET", f"{A}/content/<course_id>/package"),
        ("GET", f"{A}/content/<course_id>/tag-suggestions"),
        ("GET", f"{A}/content/<course_id>/generated"), ("GET", f"{A}/terminology/<subject>"),
        ("GET", f"{A}/activity-map"), ("GET", f"{A}/courses/<course_id>/drift-checks"),
        # Sign-in and token plumbing (issue 16 parts 1 and 2), and reads of configuration.
        ("GET", "/.well-known/oauth-authorization-server"), ("POST", "/oauth/token"),
        ("GET", "/sso/<tenant>/login/<provider_id>"), ("GET", "/sso/<tenant>/oidc/callback"),
        ("GET", "/sso/<tenant>/saml/metadata"), ("POST", "/sso/<tenant>/saml/acs"),
        ("GET", "/sso/me"), ("POST", "/sso/logout"),
        ("GET", f"{A}/oauth-clients"), ("GET", f"{A}/sso/providers"),
        # The console's pages of configuration (issue 16 part 5).
        ("GET", f"{C}/"), ("GET", f"{C}/registrations"), ("GET", f"{C}/oauth-clients"),
        ("GET", f"{C}/identity-providers"), ("GET", f"{C}/courses"),
        ("GET", f"{C}/registrations/delete"),  # the confirmation page: nothing changes
    }
)  # fmt: skip

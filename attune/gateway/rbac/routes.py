"""What every route of the gateway needs, by Flask endpoint: the one table the RBAC hook
(:mod:`.hook`) reads. An endpoint absent from it is refused at run time (403), and
tests/integration/test_rbac_matrix.py fails on it, so a new route must be placed here.

The hook alone decides roles. What the blueprints still check behind it needs I/O or the
request's content, which the pure core does not see: the same-origin check (and the
console's CSRF token) of a change made with the staff cookie, the 404 of a tenant without
an engine credential (``authorise_admin``), the roster membership of a named learner, a
deep-linking session. They take the caller from ``g.rbac_actor`` (the admin tenant, the
ingest tenant, the console's user) rather than reading the credential again.
"""

from __future__ import annotations

from attune.gateway.rbac.core import Need

P, LTI, OAUTH = Need.PUBLIC, Need.LTI_PLATFORM, Need.OAUTH_CLIENT
SELF, INSTR, STAFF = Need.LEARNER_SELF, Need.INSTRUCTOR_OF_CONTEXT, Need.STAFF
TA, PA, OP, ING = Need.TENANT_ADMIN, Need.PLATFORM_ADMIN, Need.OPERATOR, Need.INGEST_CREDENTIAL

# Blueprints whose every route is a tenant administrator's (/admin/tenants/<tenant>/...).
TENANT_ADMIN_BLUEPRINTS = frozenset(
    {
        "admin",
        "audit_admin",
        "content_admin",
        "dashboard_admin",
        "experiment_admin",
        "generation_admin",
        "ingest_admin",
        "oauth_admin",
        "sso_admin",
        "console",  # the admin console (issue 16 part 5), when installed
    }
)

ROUTE_NEEDS: dict[str, Need] = {
    # -- public: health, the API description, keys, metadata ------------------------------
    # /healthz and /openapi.json stay open (load balancers, probes).
    "_health": P,
    "observability.livez": P,  # liveness and readiness probes (issue 17)
    "observability.readyz": P,
    # Prometheus metrics (issue 17): the operator token or the metrics token; with neither
    # configured, loopback clients (development), as the view itself checks.
    "observability.metrics": OP,
    "openapi.serve_openapi": P,
    "lti.jwks": P,
    "lti.canvas_config": P,
    "oauth.metadata": P,
    "media.media_file": P,  # content-addressed media (SHA-256 names) of course items
    "ingest.about": P,  # xAPI About needs no credential (1.0.3 Communication §2.8)
    "pages.demo": P,  # off in production (ATTUNE_GATEWAY__DEMO_PAGE)
    # -- sign-in flows: the view authenticates the message or the client -----------------
    "lti.login": LTI,
    "lti.launch": LTI,
    "lti.dynamic_registration": LTI,  # the admin-issued registration URL's token
    "oauth.token": OAUTH,
    "sso.login": P,
    "sso.oidc_callback": P,  # state, nonce, PKCE and the ID token are checked by the view
    "sso.saml_acs": P,  # the signed assertion is checked by the view
    "sso.saml_metadata": P,
    "sso.logout": P,  # ends the caller's own session, if any
    "sso.me": STAFF,
    # -- a learner's own pages (the launch session in the URL or the Bearer header) ------
    "pages.practice": SELF,
    "pages.answer": SELF,
    "pages.hint": SELF,
    "pages.progress_api": SELF,  # another learner's: instructors of their context only
    # -- instructors of the launch's context -------------------------------------------
    "pages.instructor": INSTR,
    "pages.preview_list": INSTR,
    "pages.preview_item": INSTR,
    "pages.retire_generated": INSTR,
    "pages.sync_roster": INSTR,
    "dashboard.class_page": INSTR,
    "dashboard.class_csv": INSTR,
    "learner_pages.learner_page": INSTR,
    "learner_pages.learner_csv": INSTR,
    "interventions.intervene": INSTR,
    "interventions.pin_for_class": INSTR,
    "lti.deep_link_page": INSTR,
    "lti.deep_link_submit": INSTR,
    # -- ingestion clients ---------------------------------------------------------------
    "ingest.post_statements": ING,
    "ingest.put_statement": ING,
    "ingest.post_caliper": ING,
    "statement_reads.get_statements": ING,
    "statement_reads.caliper_configuration": ING,
    # -- tenant-less administration ------------------------------------------------------
    "admin.rotate_keys": PA,
    # -- a whole tenant (issue 16): its administrators may export it; only the admin token
    # may delete it (a tenant administrator could otherwise erase their tenant's audit trail)
    "tenant_admin.export_tenant": TA,
    "tenant_admin.delete_tenant": PA,
}


def need_of(endpoint: str, blueprint: str | None) -> Need | None:
    """What ``endpoint`` needs, or ``None`` for a route nobody placed (refused)."""
    found = ROUTE_NEEDS.get(endpoint)
    if found is not None:
        return found
    if blueprint in TENANT_ADMIN_BLUEPRINTS:
        return Need.TENANT_ADMIN
    return None

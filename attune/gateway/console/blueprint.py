"""The console's blueprint (endpoints ``console.*``), its guard and page helpers, and
:func:`install_console`, which registers every page module on it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, render_template

from attune.gateway.console.access import CSRF_FIELD, console_user, guard_console

console = Blueprint(
    "console", __name__, url_prefix="/console/<tenant>", template_folder="templates"
)
console.before_request(guard_console)

# The pages a tenant administrator moves between: (endpoint, label).
NAV = (
    ("console.overview", "Overview"),
    ("console.registrations", "LTI registrations"),
    ("console.lrs", "LRS targets and outboxes"),
    ("console.oauth_clients", "OAuth clients"),
    ("console.identity_providers", "Identity providers"),
    ("console.courses", "Courses and content"),
    ("console.audit", "Audit trail"),
)


@console.after_request
def _same_origin_referrer(response: Response) -> Response:
    # Console URLs carry no secrets. Under the gateway's default "no-referrer", a browser
    # sends "Origin: null" with a form post (Fetch §3.1), which the same-origin check of a
    # change must refuse; "same-origin" lets it send the real origin, to us only.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def page(template: str, title: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A console page: the template with the user, the tenant, the navigation and the CSRF
    field's name and value."""
    user = console_user()
    html = render_template(
        f"console/{template}",
        title=title,
        user=user,
        tenant=user.tenant,
        nav=NAV,
        csrf_field=CSRF_FIELD,
        csrf=user.csrf,
        **context,
    )
    return html, status


def install_console(app: Flask) -> None:
    """Register the console's pages on ``app``."""
    from attune.gateway.console import (  # noqa: F401
        pages_changes,
        pages_config,
        pages_identity,
        pages_records,
    )

    app.register_blueprint(console)

"""OIDC third-party login initiation (LTI 1.3 core §5.1.1, 1EdTech Security Framework
§5.1.1.1): the platform sends ``iss``, ``login_hint`` and ``target_link_uri``; the tool answers
with a redirect to the platform's authorization endpoint carrying a fresh state and nonce.

State and nonce are stored server-side under the tenant, so the launch that follows needs no
cookie; pylti1p3 still sets its short-lived state cookie, checked when the browser sends it.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.contrib.flask.oidc_login import FlaskOIDCLogin
from pylti1p3.exception import OIDCException

from gateway.errors import BadRequestError
from gateway.lti.tool_conf import StoreToolConf, TenantLaunchStorage


def login_redirect(
    request: Any,
    params: dict[str, str],
    tool_conf: StoreToolConf,
    storage_for: Any,
    launch_url: str,
) -> Any:
    """The redirect response to the platform's authorization endpoint."""
    for name in ("iss", "login_hint", "target_link_uri"):
        if not params.get(name):
            raise BadRequestError(f"login initiation is missing {name!r}")
    registration = tool_conf.lookup(params["iss"], params.get("client_id") or None)
    if registration is None:
        raise BadRequestError(
            f"no registration for issuer {params['iss']!r}"
            + (f" and client_id {params['client_id']!r}" if params.get("client_id") else "")
        )
    deployment = params.get("lti_deployment_id")
    if deployment and deployment not in registration.deployment_ids:
        raise BadRequestError(f"unknown deployment {deployment!r} for this platform")
    storage: TenantLaunchStorage = storage_for(registration.tenant)
    login = FlaskOIDCLogin(request, tool_conf, launch_data_storage=storage)  # type: ignore[no-untyped-call]
    # The tenant goes into the server-side state record; the launch checks it.
    login.pass_params_to_launch({"tenant": registration.tenant})
    try:
        return login.redirect(launch_url)
    except OIDCException as exc:
        raise BadRequestError(f"login initiation refused: {exc}") from exc

"""OIDC third-party login initiation (LTI 1.3 core §5.1.1, 1EdTech Security Framework
§5.1.1.1): the platform sends ``iss``, ``login_hint`` and ``target_link_uri``; the tool answers
with a redirect to the platform's authorization endpoint carrying a fresh state and nonce.

State and nonce are stored server-side under the tenant, the nonce inside the state's record,
so the launch that follows needs no cookie and one login's state completes only its launch.
pylti1p3 still sets its short-lived state cookie, checked when the browser sends it.
"""

from __future__ import annotations

import secrets
from typing import Any

from pylti1p3.contrib.flask.oidc_login import FlaskOIDCLogin
from pylti1p3.exception import OIDCException

from attune.gateway.errors import BadRequestError
from attune.gateway.lti.tool_conf import StoreToolConf, TenantLaunchStorage


class BoundOIDCLogin(FlaskOIDCLogin):
    """pylti1p3's login, with the nonce recorded in the state's server-side params.

    pylti1p3 stores the state and the nonce independently, so any unused state of the tenant
    would complete a launch carrying any unused nonce. The nonce is generated after the
    registration is found and before the state params are saved, so it is added to them here
    and the launch compares it with the id_token's (``launch.AttuneMessageLaunch``)."""

    def _generate_nonce(self) -> str:
        nonce = secrets.token_urlsafe(32)
        self._state_params = {**self._state_params, "nonce": nonce}
        return nonce


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
    login = BoundOIDCLogin(request, tool_conf, launch_data_storage=storage)
    # The tenant and the platform go into the server-side state record (and the nonce, see
    # BoundOIDCLogin); the launch checks them.
    login.pass_params_to_launch(
        {
            "tenant": registration.tenant,
            "issuer": registration.issuer,
            "client_id": registration.client_id,
        }
    )
    try:
        return login.redirect(launch_url)
    except OIDCException as exc:
        raise BadRequestError(f"login initiation refused: {exc}") from exc

"""Where a tenant's statements go: its learning record stores (xAPI) and Caliper endpoints,
each with its own credentials, version and statement profile."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from attune.gateway.errors import BadRequestError
from attune.gateway.statements import TenantProfile

Kind = Literal["xapi", "caliper"]
Auth = Literal["basic", "bearer", "oauth2", "none"]


@dataclass(frozen=True, slots=True)
class LrsTarget:
    """One destination of one tenant's statements."""

    tenant: str
    name: str
    url: str  # xAPI: the LRS endpoint (statements at url + "/statements"); Caliper: the endpoint
    kind: Kind = "xapi"
    auth: Auth = "basic"
    username: str = ""  # basic
    password: str = ""  # basic
    token: str = ""  # bearer (a static API key, as Caliper endpoints use)
    token_url: str = ""  # oauth2 client credentials
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""
    xapi_version: Literal["1.0.3", "2.0.0"] = "1.0.3"
    home_page: str = ""  # the account.homePage of pseudonymous actors
    activity_base: str = ""  # the IRI our courses, items and skills are named under
    share_identity: bool = False
    enabled: bool = True

    @property
    def key(self) -> str:
        return f"{self.tenant}/{self.name}"

    def profile(self) -> TenantProfile:
        """The statement profile this target receives."""
        return TenantProfile(
            tenant=self.tenant,
            home_page=self.home_page,
            activity_base=self.activity_base,
            xapi_version=self.xapi_version,
            share_identity=self.share_identity,
        )

    def public(self) -> dict[str, Any]:
        """The JSON form with secrets masked."""
        body = asdict(self)
        for secret in ("password", "token", "client_secret"):
            if body[secret]:
                body[secret] = "***"
        return body


def target_from_json(tenant: str, name: str, body: dict[str, Any], base_url: str) -> LrsTarget:
    """A target from the admin API's JSON; :class:`BadRequestError` naming the bad field."""
    known = set(LrsTarget.__slots__) - {"tenant", "name"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadRequestError(f"unknown fields: {', '.join(unknown)}")
    values = {"home_page": base_url, "activity_base": f"{base_url}/xapi", **body}
    for field in ("url", "home_page", "activity_base"):
        value = values.get(field)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise BadRequestError(f"{field} must be an http(s) URL, got {value!r}")
    choices = {
        "kind": ("xapi", "caliper"),
        "auth": ("basic", "bearer", "oauth2", "none"),
        "xapi_version": ("1.0.3", "2.0.0"),
    }
    for field, allowed in choices.items():
        if field in values and values[field] not in allowed:
            raise BadRequestError(f"{field} must be one of {', '.join(allowed)}")
    auth = values.get("auth", "basic")
    needs = {
        "basic": ("username", "password"),
        "bearer": ("token",),
        "oauth2": ("token_url", "client_id", "client_secret"),
    }.get(auth, ())
    for field in needs:
        if not values.get(field):
            raise BadRequestError(f"{field} is required with auth {auth!r}")
    try:
        target = LrsTarget(tenant=tenant, name=name, **values)
        target.profile()
    except (TypeError, ValueError) as exc:
        raise BadRequestError(str(exc)) from exc
    return target

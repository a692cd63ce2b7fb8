"""What a tenant configures about the statements it receives: identity, IRIs, xAPI version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

XapiVersion = Literal["1.0.3", "2.0.0"]
XAPI_VERSIONS: tuple[XapiVersion, ...] = ("1.0.3", "2.0.0")


def require_http_iri(value: str, name: str) -> str:
    """Return ``value`` unchanged if it is an absolute http(s) IRI with a host, else raise.

    xAPI 1.0.3 Data §2.2 makes the LRS reject IRIs without a scheme; Caliper 1.2 entity ids
    must be IRIs too. Everything this package builds hangs off these bases, so they are
    checked once, here, rather than on every statement.
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError(f"{name} must be an absolute http(s) IRI, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must not carry a query or a fragment, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class TenantProfile:
    """One tenant's statement settings.

    ``home_page`` is the ``account.homePage`` of the pseudonymous xAPI actor (xAPI 1.0.3
    Data §2.4.2.4): the system in which the learner id means something, usually the
    tenant's LMS. ``activity_base`` is the IRI under which this tenant's courses, items,
    skills and learners are named; it is also the Caliper ``edApp`` id. ``share_identity``
    lets a name and an email address leave the system; it is off unless the tenant's data
    agreement says otherwise. ``caliper_sensor`` defaults to ``{activity_base}/sensor``.
    """

    tenant: str
    home_page: str
    activity_base: str
    platform: str = "Attune"
    xapi_version: XapiVersion = "1.0.3"
    share_identity: bool = False
    caliper_sensor: str = ""
    language: str = "en-US"  # RFC 5646 tag for the language maps (verb display, names)

    def __post_init__(self) -> None:
        if not self.tenant:
            raise ValueError("tenant must not be empty")
        if not self.platform:
            raise ValueError("platform must not be empty")
        if self.xapi_version not in XAPI_VERSIONS:
            raise ValueError(
                f"xapi_version must be one of {XAPI_VERSIONS}, got {self.xapi_version!r}"
            )
        if not self.language:
            raise ValueError("language must not be empty")
        # The homePage is kept byte for byte: with the account name it identifies the
        # learner (xAPI 1.0.3 Data §2.4.2.3), so the tenant's own spelling must survive.
        require_http_iri(self.home_page, "home_page")
        # Frozen: the base is normalised through object.__setattr__, once, at construction,
        # so that paths join without a double slash.
        base = require_http_iri(self.activity_base, "activity_base").rstrip("/")
        object.__setattr__(self, "activity_base", base)
        sensor = self.caliper_sensor or f"{base}/sensor"
        object.__setattr__(self, "caliper_sensor", require_http_iri(sensor, "caliper_sensor"))

    @property
    def is_xapi2(self) -> bool:
        """True when the tenant's LRS speaks xAPI 2.0 (IEEE 9274.1.1)."""
        return self.xapi_version == "2.0.0"

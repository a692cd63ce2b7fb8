"""SAML 2.0 web browser SSO as a service provider, with pysaml2 (SAML Profiles §4.1).

- One SP per tenant: entity id ``<base>/sso/<tenant>/saml/metadata`` (its metadata is
  served there), the assertion consumer service at ``<base>/sso/<tenant>/saml/acs`` (HTTP-POST
  binding). Only the tenant's allowed IdPs' metadata is loaded, so an answer from any other
  IdP has no trusted key and is refused.
- The AuthnRequest goes out on the HTTP-Redirect binding; its ID is kept with the flow and
  the answer's ``InResponseTo`` must equal it (no unsolicited responses).
- Assertions must be signed (by the key in the IdP's metadata); the audience must be this
  SP; ``NotBefore``/``NotOnOrAfter`` are checked by pysaml2 on the system clock and again
  here on the injected clock, both with ``clock_skew_seconds`` of leeway.
- pysaml2 verifies signatures with the ``xmlsec1`` program (Debian package ``xmlsec1``).
"""

from __future__ import annotations

import calendar
import hashlib
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.time_util import str_to_time

from attune.gateway.sso.errors import IdentityProviderError, SignInError
from attune.gateway.sso.settings import IdentityProvider, SsoSettings


@dataclass(frozen=True, slots=True)
class SamlIdentity:
    """What a verified assertion says: who issued it, the subject and the attributes."""

    issuer: str
    subject: str
    attributes: dict[str, list[str]]


def sp_urls(base_url: str, tenant: str) -> tuple[str, str]:
    """The SP's entity id (its metadata URL) and its ACS URL for ``tenant``."""
    root = f"{base_url}/sso/{tenant}/saml"
    return f"{root}/metadata", f"{root}/acs"


def _epoch(value: str) -> float:
    return float(calendar.timegm(str_to_time(value)))


class SamlServiceProvider:
    """The SP of every tenant; configurations cached per tenant and provider set."""

    def __init__(self, settings: SsoSettings, clock: Callable[[], float]) -> None:
        self._skew = settings.clock_skew_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._configs: dict[str, SPConfig] = {}

    def _config(self, base_url: str, tenant: str, idps: list[IdentityProvider]) -> SPConfig:
        entity_id, acs = sp_urls(base_url, tenant)
        digest = hashlib.sha256(
            "\n".join([entity_id, *(p.metadata_xml for p in idps)]).encode()
        ).hexdigest()
        with self._lock:
            found = self._configs.get(digest)
        if found is not None:
            return found
        conf: dict[str, Any] = {
            "entityid": entity_id,
            "service": {
                "sp": {
                    "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                    "allow_unsolicited": False,
                    "authn_requests_signed": False,
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                }
            },
            "metadata": {"inline": [p.metadata_xml for p in idps]},
            "accepted_time_diff": self._skew,
            "allow_unknown_attributes": True,
        }
        config = SPConfig()
        try:
            config.load(conf)
        except Exception as exc:  # pysaml2 raises many types for bad metadata
            if shutil.which("xmlsec1") is None:
                raise IdentityProviderError("SAML needs the xmlsec1 program installed") from exc
            raise IdentityProviderError("an identity provider's SAML metadata is unusable") from exc
        with self._lock:
            self._configs[digest] = config
        return config

    def metadata(self, base_url: str, tenant: str) -> str:
        """The SP's metadata XML (SAML Metadata §2.4.4)."""
        xml = create_metadata_string(None, config=self._config(base_url, tenant, []))
        return xml.decode() if isinstance(xml, bytes) else str(xml)

    def authn_request(
        self, base_url: str, tenant: str, idp: IdentityProvider, relay_state: str
    ) -> tuple[str, str]:
        """The AuthnRequest's ID and the IdP URL (redirect binding) carrying it."""
        client = Saml2Client(config=self._config(base_url, tenant, [idp]))
        try:
            request_id, info = client.prepare_for_authenticate(
                entityid=idp.entity_id, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT
            )
        except Exception as exc:  # no SSO endpoint for the redirect binding, bad metadata
            raise IdentityProviderError(
                f"cannot address an AuthnRequest to {idp.entity_id!r}"
            ) from exc
        location = dict(info["headers"]).get("Location", "")
        return str(request_id), str(location)

    def verify(
        self, base_url: str, tenant: str, idp: IdentityProvider, response: str, request_id: str
    ) -> SamlIdentity:
        """The identity in a base64 ``SAMLResponse`` answering ``request_id``, every check
        passed; :class:`SignInError` otherwise."""
        entity_id, _ = sp_urls(base_url, tenant)
        client = Saml2Client(config=self._config(base_url, tenant, [idp]))
        try:
            parsed = client.parse_authn_request_response(
                response, BINDING_HTTP_POST, outstanding={request_id: "/"}
            )
        except Exception as exc:  # pysaml2 signals each failure with its own type
            raise SignInError(f"the SAML response was refused ({type(exc).__name__})") from exc
        if parsed is None or parsed.assertion is None:
            raise SignInError("the SAML response carries no assertion")
        assertion = parsed.assertion
        if assertion.signature is None:
            raise SignInError("the SAML assertion is not signed")
        issuer = assertion.issuer.text if assertion.issuer is not None else ""
        if issuer != idp.entity_id:
            raise SignInError("the SAML assertion comes from another identity provider")
        if parsed.in_response_to != request_id:
            raise SignInError("the SAML response answers another request")
        self._check_conditions(assertion, entity_id)
        subject = parsed.name_id.text if parsed.name_id is not None else ""
        attributes = {str(k): [str(v) for v in vs] for k, vs in (parsed.ava or {}).items()}
        return SamlIdentity(issuer=issuer, subject=str(subject or ""), attributes=attributes)

    def _check_conditions(self, assertion: Any, entity_id: str) -> None:
        """Audience and validity window (Core §2.5.1) on the injected clock."""
        now = self._clock()
        conditions = assertion.conditions
        if conditions is None:
            raise SignInError("the SAML assertion has no conditions")
        audiences = {
            a.text for r in conditions.audience_restriction or [] for a in r.audience or []
        }
        if entity_id not in audiences:
            raise SignInError("the SAML assertion is for another audience")
        if conditions.not_before and now + self._skew < _epoch(conditions.not_before):
            raise SignInError("the SAML assertion is not valid yet")
        ends = [conditions.not_on_or_after] if conditions.not_on_or_after else []
        for confirmation in assertion.subject.subject_confirmation or []:
            data = confirmation.subject_confirmation_data
            if data is not None and data.not_on_or_after:
                ends.append(data.not_on_or_after)
        if not ends:
            raise SignInError("the SAML assertion has no NotOnOrAfter")
        if any(now - self._skew >= _epoch(end) for end in ends):
            raise SignInError("the SAML assertion has expired")

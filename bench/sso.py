"""Staff sign-in timings (``python -m bench.sso``): full sign-ins through the real local
identity providers of the tests (oidc-provider-mock; pysaml2's IdP), one browser after
another, and a signed-in request (``GET /sso/me``: the session's load, expiry and
revocation checks) against the same server's ``GET /healthz`` as the ceiling.

A sign-in includes the IdP's own work (page, code, token, signatures), so read it as "what
a person waits for locally", not as the gateway's cost alone. Nothing here is a test: it
prints a table and writes ``bench/results/sso.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import tempfile
from pathlib import Path
from typing import Any

import requests

from bench.stats import timed

RESULTS = Path(__file__).resolve().parent / "results"
ROLES = {"teachers": "instructor"}


def main() -> None:
    """Run the sign-ins and the signed-in requests; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    # The tests' identity providers and gateway fixture, imported at run time: mypy checks
    # bench/ but not tests/, and should not follow into the test helpers.
    idps: Any = importlib.import_module("tests.support.sso_idps")
    stack: Any = importlib.import_module("tests.support.sso_stack")
    authorize, post_form = idps.authorize, idps.post_form
    oidc_provider, saml_idp, sso_gateway = idps.oidc_provider, idps.saml_idp, stack.sso_gateway
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "idp").mkdir()
        with sso_gateway(root) as gw, oidc_provider() as op, saml_idp(root / "idp") as idp:
            op.set_user("alice", {"name": "Alice", "groups": ["teachers"]})
            gw.add_provider(
                "uni",
                "oidc",
                {
                    "protocol": "oidc",
                    "issuer": op.issuer,
                    "client_id": "attune",
                    "client_secret": "s3cret",
                    "mapping": {"role": "groups", "roles": ROLES},
                },
            )
            idp.trust_sp(requests.get(f"{gw.url}/sso/uni/saml/metadata", timeout=10).text)
            idp.user = ("bob", {"eduPersonAffiliation": ["faculty"]})
            gw.add_provider(
                "uni",
                "saml",
                {
                    "protocol": "saml",
                    "entity_id": idp.entity_id,
                    "metadata_xml": idp.metadata(),
                    "mapping": {"role": "eduPersonAffiliation", "roles": {"faculty": "instructor"}},
                },
            )

            def oidc_once() -> None:
                http = requests.Session()
                page = http.get(f"{gw.url}/sso/uni/login/oidc", timeout=10)
                assert authorize(http, page, "alice").status_code == 200

            def saml_once() -> None:
                http = requests.Session()
                form = http.get(f"{gw.url}/sso/uni/login/saml", timeout=10)
                assert post_form(http, form).status_code == 200

            signed_in = requests.Session()
            authorize(signed_in, signed_in.get(f"{gw.url}/sso/uni/login/oidc", timeout=10), "alice")

            def me() -> None:
                assert signed_in.get(f"{gw.url}/sso/me", timeout=10).status_code == 200

            def health() -> None:
                assert signed_in.get(f"{gw.url}/healthz", timeout=10).status_code == 200

            figures = {
                "oidc_sign_in": timed(args.runs, oidc_once),
                "saml_sign_in": timed(args.runs, saml_once),
                "signed_in_request": timed(args.runs * 10, me),
                "healthz_ceiling": timed(args.runs * 10, health),
                "runs": args.runs,
            }
    for name, value in figures.items():
        print(f"{name:20} {value}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sso.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

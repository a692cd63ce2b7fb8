"""Real identity providers for the staff sign-in tests, started in-process on free ports:

- an OIDC provider: ``oidc-provider-mock`` (authlib's authorization server, from PyPI), with
  a switch that re-signs the ID token it issues with a rogue key (a forged token);
- a SAML 2.0 IdP: pysaml2's own :class:`saml2.server.Server` behind a small Flask app
  (SSO on the redirect binding, the answer as an auto-posting HTML form), with test keys
  generated here, and a switch that signs with a rogue key (a forged assertion).
"""

from __future__ import annotations

import datetime
import html
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import oidc_provider_mock
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, Response, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
from saml2.server import Server
from werkzeug.serving import BaseWSGIServer, make_server

# -- serving -------------------------------------------------------------------------------


@contextmanager
def serving(app: Any, host: str = "127.0.0.1") -> Iterator[BaseWSGIServer]:
    """``app`` on a free port on a thread; shut down after."""
    server = make_server(host, 0, app, threaded=True)
    # A browser's kept-alive connection must not hold the shutdown (socketserver would join
    # every request thread).
    server.daemon_threads = True  # type: ignore[attr-defined]
    server.block_on_close = False  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- OIDC ------------------------------------------------------------------------------------


@dataclass
class OidcProvider:
    """A running ``oidc-provider-mock``; ``forge`` re-signs issued ID tokens."""

    issuer: str
    forge: bool = False
    replace_with: str = ""  # an id_token handed out instead of the one issued
    tokens: list[str] = field(default_factory=list)  # every id_token handed out

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        reply = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert reply.status_code == 204, reply.text


class _Forger:
    """WSGI middleware on the provider's token endpoint: records each id_token and, when
    forging, replaces its signature with one by a key the provider never published (same
    header, same claims)."""

    def __init__(self, app: Any, provider: OidcProvider) -> None:
        self._app = app
        self._provider = provider
        self._rogue = RSAKey.generate_key(2048)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/oauth2/token":
            return self._app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = json.loads(b"".join(self._app(environ, capture)) or b"{}")
        if "id_token" in body:
            if self._provider.forge:
                header, claims = _unverified(body["id_token"])
                body["id_token"] = jwt.encode(header, claims, self._rogue)
            if self._provider.replace_with:
                body["id_token"] = self._provider.replace_with
            self._provider.tokens.append(body["id_token"])
        out = json.dumps(body).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(out)))])
        return [out]


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    import base64

    def part(text: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return value

    head, body, _ = token.split(".")
    return part(head), part(body)


@contextmanager
def oidc_provider(token_seconds: int = 3600) -> Iterator[OidcProvider]:
    """oidc-provider-mock on localhost (its issuer is the Host it is called by), nonce
    required, ID tokens valid ``token_seconds``."""
    app = oidc_provider_mock.app(
        require_nonce=True, access_token_max_age=datetime.timedelta(seconds=token_seconds)
    )
    provider = OidcProvider(issuer="")
    app.wsgi_app = _Forger(app.wsgi_app, provider)  # type: ignore[method-assign]
    with serving(app, host="localhost") as server:
        provider.issuer = f"http://localhost:{server.server_port}"
        yield provider


def authorize(http: requests.Session, page: requests.Response, sub: str) -> requests.Response:
    """A person signs in as ``sub`` on the provider's authorization page."""
    assert page.status_code == 200 and "/oauth2/authorize" in page.url, page.text[:300]
    return http.post(page.url, data={"sub": sub}, timeout=10)


# -- keys ------------------------------------------------------------------------------------


def key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A fresh RSA key and a self-signed certificate for it, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


# -- SAML ------------------------------------------------------------------------------------


@dataclass
class SamlIdp:
    """pysaml2's IdP on a free port. ``user`` is who signs in next (a NameID and attributes
    by friendly name); ``forge`` signs with a key not in the published metadata."""

    url: str
    folder: Path
    lifetime_minutes: int = 5
    user: tuple[str, dict[str, list[str]]] = ("", {})
    forge: bool = False
    sp_metadata: list[str] = field(default_factory=list)
    _servers: dict[bool, Server] = field(default_factory=dict)

    @property
    def entity_id(self) -> str:
        return f"{self.url}/metadata"

    def _config(self, rogue: bool) -> IdPConfig:
        key, cert = (
            self.folder / ("rogue.key" if rogue else "idp.key"),
            self.folder / ("rogue.crt" if rogue else "idp.crt"),
        )
        conf = {
            "entityid": self.entity_id,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{self.url}/sso", BINDING_HTTP_REDIRECT)]
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": self.lifetime_minutes},
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                }
            },
            "key_file": str(key),
            "cert_file": str(cert),
            "metadata": {"inline": self.sp_metadata},
        }
        config = IdPConfig()
        config.load(conf)
        return config

    def server(self, rogue: bool = False) -> Server:
        if rogue not in self._servers:
            self._servers[rogue] = Server(config=self._config(rogue))
        return self._servers[rogue]

    def metadata(self) -> str:
        xml = create_metadata_string(None, config=self._config(False))
        return xml.decode() if isinstance(xml, bytes) else str(xml)

    def trust_sp(self, metadata_xml: str) -> None:
        """Know a service provider (its ACS) from its metadata."""
        self.sp_metadata.append(metadata_xml)
        self._servers.clear()


def _saml_app(idp: SamlIdp) -> Flask:
    app = Flask("saml-idp")

    @app.get("/metadata")
    def metadata() -> Response:
        return Response(idp.metadata(), mimetype="application/samlmetadata+xml")

    @app.get("/sso")
    def sso() -> Response:
        server = idp.server()
        parsed = server.parse_authn_request(request.args["SAMLRequest"], BINDING_HTTP_REDIRECT)
        args = server.response_args(parsed.message, [BINDING_HTTP_POST])
        signer = idp.server(rogue=idp.forge)
        name_id, attributes = idp.user
        response = signer.create_authn_response(
            attributes,
            userid=name_id,
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=True,
            sign_response=False,
            **args,
        )
        http_args = signer.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            args["destination"],
            request.args.get("RelayState", ""),
            response=True,
        )
        return Response(http_args["data"], mimetype="text/html")

    return app


@contextmanager
def saml_idp(folder: Path) -> Iterator[SamlIdp]:
    """pysaml2's IdP with fresh keys (and a rogue pair) under ``folder``."""
    key_pair(folder, "idp")
    key_pair(folder, "rogue")
    idp = SamlIdp(url="", folder=folder)
    with serving(_saml_app(idp)) as server:
        idp.url = f"http://127.0.0.1:{server.server_port}"
        yield idp


def post_form(http: requests.Session, page: requests.Response) -> requests.Response:
    """What a browser does with the IdP's auto-posting form: post its fields to its action."""
    action = html.unescape(re.search(r'action="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text)
    }
    return http.post(action, data=fields, timeout=10)

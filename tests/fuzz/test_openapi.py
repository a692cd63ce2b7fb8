"""The OpenAPI description (``/openapi.json``) covers every route the Flask app registers,
names no route that does not exist, and is a valid OpenAPI 3.1 document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask

from attune.gateway.app import build_gateway, create_app
from attune.gateway.engine_client import GrpcEngineClient
from attune.gateway.settings import GatewaySettings
from attune.gateway.stores import open_stores
from attune.gateway.web.openapi import openapi_document
from attune.integrations.edges import gateway_edges

_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_IMPLICIT = {"HEAD", "OPTIONS"}  # Flask answers these for every route by itself


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The gateway's app over embedded stores; no engine is called."""
    settings = GatewaySettings()
    store, statements = open_stores("", tmp_path)
    unused = GrpcEngineClient("127.0.0.1:1", settings.engine_tokens)
    yield create_app(
        build_gateway(settings, store, unused, "http://gw.test", statements, gateway_edges())
    )
    store.close()
    statements.close()
    unused.close()


def _routes(app: Flask) -> set[tuple[str, str]]:
    """Every (OpenAPI path, method) the app serves."""
    return {
        (_CONVERTER.sub(r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - _IMPLICIT
    }


def _documented() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }


def test_every_route_is_documented(app: Flask) -> None:
    missing = _routes(app) - _documented()
    assert not missing, f"routes missing from gateway/web/openapi.py: {sorted(missing)}"


def test_every_documented_route_exists(app: Flask) -> None:
    extra = _documented() - _routes(app)
    assert not extra, f"documented but not served: {sorted(extra)}"


def test_the_app_serves_the_document(app: Flask) -> None:
    reply = app.test_client().get("/openapi.json")
    assert reply.status_code == 200
    assert reply.json == openapi_document()


def test_the_document_is_valid_openapi_3_1() -> None:
    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.validate()  # against the OpenAPI 3.1 meta-schema; raises naming the bad part
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) == len(_documented())
    assert openapi_document()["openapi"] == "3.1.0"


def test_every_admin_and_console_route_counts_against_the_admin_rate_limit(app: Flask) -> None:
    from attune.gateway.web.security import _ADMIN_BLUEPRINTS

    outside = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/admin/tenants/", "/console/"))
        and rule.endpoint.partition(".")[0] not in _ADMIN_BLUEPRINTS
    )
    assert outside == []

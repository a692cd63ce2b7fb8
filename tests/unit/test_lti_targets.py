"""URLs a platform names (issue 11, item 1): parsed, never prefix-tested, and refused when they
point into the gateway's own network; claim types of a launch (item 8)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from attune.gateway.errors import BadRequestError
from attune.gateway.lti import claims as c
from attune.gateway.lti.claim_types import claim_type_problem
from attune.gateway.lti.targets import Origin, Resolver, check_fetchable, origin_of, parse_http_url
from attune.gateway.settings import GatewaySettings


def _resolves_to(*addresses: str) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolve


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://lms.victim.example@127.0.0.1:8080/.well-known/x", "user name"),
        ("https://user:pw@lms.example/x", "user name"),
        ("ftp://lms.example/x", "http(s)"),
        ("javascript:alert(1)", "http(s)"),
        ("http:///no-host", "no host"),
        ("http://lms.example:99999/x", "not a valid URL"),
        ("http://lms.example/a b", "whitespace"),
    ],
)
def test_bad_urls_are_refused_naming_the_field(url: str, named: str) -> None:
    with pytest.raises(BadRequestError, match="openid_configuration") as refused:
        parse_http_url(url, "openid_configuration")
    assert named in refused.value.reason


def test_origins_make_the_default_port_explicit_and_ignore_the_path() -> None:
    assert origin_of("https://LMS.example/a?b", "x") == Origin("https", "lms.example", 443)
    assert origin_of("https://lms.example:443/", "x") == origin_of("https://lms.example", "x")
    assert origin_of("http://lms.example", "x") != origin_of("https://lms.example", "x")
    assert origin_of("http://lms.example:8080", "x") != origin_of("http://lms.example", "x")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
    ],
)
def test_private_targets_are_refused_without_the_setting(address: str) -> None:
    url = "https://lms.example/.well-known/openid-configuration"
    with pytest.raises(BadRequestError, match="loopback, private or link-local"):
        check_fetchable(url, "openid_configuration", False, _resolves_to(address))
    # The setting lifts the refusal (tests, an emulator on 127.0.0.1).
    assert check_fetchable(url, "x", True, _resolves_to(address)).host == "lms.example"


def test_every_address_of_a_host_must_be_public() -> None:
    url = "https://lms.example/x"
    public = _resolves_to("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert check_fetchable(url, "x", False, public) == Origin("https", "lms.example", 443)
    with pytest.raises(BadRequestError, match="private"):
        check_fetchable(url, "x", False, _resolves_to("93.184.216.34", "10.1.2.3"))


def test_a_host_that_does_not_resolve_is_refused() -> None:
    def fails(host: str, port: int) -> Sequence[str]:
        raise OSError("no such host")

    with pytest.raises(BadRequestError, match="does not resolve"):
        check_fetchable("https://nowhere.example/x", "x", False, fails)
    with pytest.raises(BadRequestError, match="does not resolve"):
        check_fetchable("https://nowhere.example/x", "x", False, _resolves_to())


def test_private_targets_are_refused_by_default() -> None:
    assert GatewaySettings().allow_private_registration_targets is False


@pytest.mark.parametrize(
    ("claims", "named"),
    [
        ({c.CUSTOM: ["activity_id"]}, "claim custom must be a JSON object, not an array"),
        ({c.CUSTOM: {"activity_id": 7}}, "custom.activity_id must be a string"),
        ({c.CONTEXT: "course-1"}, "claim context must be a JSON object, not a string"),
        ({c.CONTEXT: {"id": "c", "type": "CourseOffering"}}, "context.type must be a list"),
        ({c.ROLES: [1, 2]}, "claim roles must be a list of strings, and holds a number"),
        ({c.ROLES: "Learner"}, "claim roles must be a list of strings, not a string"),
        ({c.RESOURCE_LINK: ["rl-1"]}, "claim resource_link must be a JSON object"),
        ({c.AGS_ENDPOINT: {"scope": "x"}}, "lti-ags endpoint.scope must be a list"),
        ({c.NRPS: {"context_memberships_url": {}}}, "context_memberships_url must be a string"),
        ({c.DL_SETTINGS: [1]}, "claim deep_linking_settings must be a JSON object"),
        ({c.DEPLOYMENT_ID: 3}, "claim deployment_id must be a string, not a number"),
        ({"sub": True}, "claim sub must be a string, not a boolean"),
    ],
)
def test_wrongly_typed_claims_are_named(claims: dict[str, object], named: str) -> None:
    problem = claim_type_problem(claims)
    assert problem is not None and named in problem


def test_well_typed_and_null_claims_pass() -> None:
    body = {
        c.CUSTOM: {"activity_id": "a", "other": 5},
        c.CONTEXT: {"id": "c", "title": None, "type": ["CourseOffering"]},
        c.ROLES: [],
        c.AGS_ENDPOINT: {"scope": [c.SCOPE_SCORE], "lineitems": "https://lms.example/li"},
        c.NRPS: None,
        "given_name": None,
    }
    assert claim_type_problem(body) is None
    # A resource_link that is not an object is wrongly typed (named above), not "missing".
    wrong = {c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST, c.RESOURCE_LINK: ["rl-1"]}
    assert "resource_link.id" not in c.missing_claims(wrong)
    assert "resource_link.id" in c.missing_claims({c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST})

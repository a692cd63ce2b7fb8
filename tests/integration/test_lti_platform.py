"""The LTI 1.3 platform emulator, driven over real HTTP by a throwaway tool.

The tool below is deliberately naive and independent of the gateway: a Flask app on port 0
that does the OIDC login and verifies id_tokens with PyJWT alone. If the emulator and this
tool agree, the emulator speaks the protocol; the gateway's own tests then trust it.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, redirect, request
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server
from werkzeug.wrappers import Response as BaseResponse

from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_browser import parse_page
from tests.support.lti_platform_spec import (
    CLAIM_AGS_ENDPOINT,
    CLAIM_CUSTOM,
    CLAIM_DEPLOYMENT_ID,
    CLAIM_DL_CONTENT_ITEMS,
    CLAIM_DL_DATA,
    CLAIM_DL_SETTINGS,
    CLAIM_MESSAGE_TYPE,
    CLAIM_NRPS,
    CLAIM_RESOURCE_LINK,
    CLAIM_ROLES,
    CLAIM_VERSION,
    MEDIA_LINEITEM,
    MEDIA_LINEITEMS,
    MEDIA_MEMBERSHIPS,
    MEDIA_RESULTS,
    MEDIA_SCORE,
    ROLE_INSTRUCTOR,
    SCOPE_LINEITEM,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    TOOL_CONFIGURATION,
)

pytestmark = pytest.mark.integration

TIMEOUT = 10


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class ThrowawayTool:
    """A minimal LTI 1.3 tool: OIDC login, launch verification, JWKS, deep linking, DR."""

    def __init__(self) -> None:
        self.key, self.kid = _rsa_key(), "tool-key-1"
        self.platform: PlatformEmulator | None = None
        self.client_id = ""
        self.login_mode = "redirect"  # or "form" / "script": how /login sends the browser on
        self.nonces: dict[str, str] = {}  # state -> nonce the tool sent
        self.launches: list[dict[str, Any]] = []  # verified id_token claims
        self.app = Flask("throwaway_tool")
        self.app.add_url_rule("/login", "login", self._login, methods=["GET", "POST"])
        self.app.add_url_rule("/launch", "launch", self._launch, methods=["POST"])
        self.app.add_url_rule("/deep-link", "deep_link", self._launch, methods=["POST"])
        self.app.add_url_rule("/jwks", "jwks", self._jwks)
        self.app.add_url_rule("/register", "register", self._register)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def lms(self) -> PlatformEmulator:
        assert self.platform is not None
        return self.platform

    # -- browser-facing ---------------------------------------------------------------------

    def _login(self) -> BaseResponse:
        params = request.values
        if params.get("iss") != self.lms.issuer or params.get("client_id") != self.client_id:
            return Response("unknown platform", 400)
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        self.nonces[state] = nonce
        auth = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": self.client_id,
            "redirect_uri": params["target_link_uri"],
            "login_hint": params["login_hint"],
            "lti_message_hint": params["lti_message_hint"],
            "state": state,
            "nonce": nonce,
        }
        if self.login_mode == "form":
            fields = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                for k, v in auth.items()
            )
            page = (
                f'<form method="post" action="{self.lms.auth_login_url}">{fields}</form>'
                "<script>document.forms[0].submit()</script>"
            )
            response: BaseResponse = Response(page, mimetype="text/html")
        elif self.login_mode == "script":
            target = f"{self.lms.auth_login_url}?{urlencode(auth)}".replace("/", "\\/")
            page = f'<script>window.location.href = "{target}";</script>'
            response = Response(page, mimetype="text/html")
        else:
            response = redirect(f"{self.lms.auth_login_url}?{urlencode(auth)}")
        response.set_cookie("lti_state", state, httponly=True)
        return response

    def _launch(self) -> Response:
        state = request.form.get("state", "")
        if state not in self.nonces or request.cookies.get("lti_state") != state:
            return Response("state mismatch", 400)
        token = request.form["id_token"]
        try:
            # A new client each time: no cached JWKS, so a rotation is seen at once.
            key = jwt.PyJWKClient(self.lms.jwks_url, cache_jwk_set=False).get_signing_key_from_jwt(
                token
            )
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=self.lms.issuer,
            )
        except jwt.PyJWTError as exc:
            return Response(f"id_token refused: {exc}", 401)
        if claims["nonce"] != self.nonces.pop(state):
            return Response("nonce mismatch", 401)
        self.launches.append(claims)
        if claims[CLAIM_MESSAGE_TYPE] == "LtiDeepLinkingRequest":
            settings = claims[CLAIM_DL_SETTINGS]
            jwt_field = self.deep_link_jwt(claims)
            page = (
                f'<form method="post" action="{settings["deep_link_return_url"]}">'
                f'<input type="hidden" name="JWT" value="{jwt_field}"></form>'
                "<script>document.forms[0].submit()</script>"
            )
            return Response(page, mimetype="text/html")
        return jsonify(claims=claims, kid=jwt.get_unverified_header(token)["kid"])

    def _jwks(self) -> Response:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return jsonify(keys=[{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}])

    def _register(self) -> Response:
        config = requests.get(request.args["openid_configuration"], timeout=TIMEOUT).json()
        body = self.registration_body()
        answer = requests.post(
            config["registration_endpoint"],
            json=body,
            headers={"Authorization": f"Bearer {request.args['registration_token']}"},
            timeout=TIMEOUT,
        )
        if answer.ok:
            self.client_id = answer.json()["client_id"]
        return Response(answer.content, answer.status_code, mimetype="application/json")

    # -- service-side helpers ---------------------------------------------------------------

    def registration_body(self) -> dict[str, Any]:
        return {
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": self.url + "/login",
            "redirect_uris": [self.url + "/launch", self.url + "/deep-link"],
            "client_name": "Throwaway",
            "jwks_uri": self.url + "/jwks",
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": f"{SCOPE_SCORE} {SCOPE_NRPS}",
            TOOL_CONFIGURATION: {
                "domain": urlsplit(self.url).netloc,
                "target_link_uri": self.url + "/launch",
                "claims": ["iss", "sub", "name"],
                "messages": [
                    {"type": "LtiDeepLinkingRequest", "target_link_uri": self.url + "/deep-link"}
                ],
            },
        }

    def deep_link_jwt(self, request_claims: dict[str, Any], key: Any = None) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "aud": request_claims["iss"],
            "iat": now,
            "exp": now + 300,
            "nonce": secrets.token_urlsafe(8),
            CLAIM_MESSAGE_TYPE: "LtiDeepLinkingResponse",
            CLAIM_VERSION: "1.3.0",
            CLAIM_DEPLOYMENT_ID: request_claims[CLAIM_DEPLOYMENT_ID],
            CLAIM_DL_DATA: request_claims[CLAIM_DL_SETTINGS]["data"],
            CLAIM_DL_CONTENT_ITEMS: [
                {"type": "ltiResourceLink", "title": "Quiz 1", "url": self.url + "/launch"}
            ],
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def assertion(self, *, key: Any = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.lms.token_url,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        } | overrides
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def request_token(self, scopes: list[str], assertion: str | None = None) -> requests.Response:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion or self.assertion(),
            "scope": " ".join(scopes),
        }
        return requests.post(self.lms.token_url, data=form, timeout=TIMEOUT)

    def bearer(self, scopes: list[str]) -> dict[str, str]:
        answer = self.request_token(scopes)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module")
def tool() -> Iterator[ThrowawayTool]:
    t = ThrowawayTool()
    t.thread.start()
    yield t
    t.server.shutdown()
    t.server.server_close()


@pytest.fixture(scope="module")
def foreign_key() -> rsa.RSAPrivateKey:
    return _rsa_key()


@pytest.fixture
def lms(tool: ThrowawayTool) -> Iterator[PlatformEmulator]:
    with PlatformEmulator() as platform:
        platform.set_tool(
            login_url=tool.url + "/login",
            launch_url=tool.url + "/launch",
            jwks_url=tool.url + "/jwks",
            deep_link_url=tool.url + "/deep-link",
        )
        tool.platform, tool.client_id, tool.login_mode = platform, platform.client_id, "redirect"
        tool.launches.clear()
        yield platform


# -- launches ----------------------------------------------------------------------------------


@pytest.mark.parametrize("login_mode", ["redirect", "form", "script"])
def test_launch_round_trips_to_the_tool(
    lms: PlatformEmulator, tool: ThrowawayTool, login_mode: str
) -> None:
    tool.login_mode = login_mode
    lineitem = lms.add_lineitem(label="Quiz", score_maximum=10, resource_link_id="rl-1")

    answer = lms.launch(requests.Session(), roles=[ROLE_INSTRUCTOR], custom={"unit": "3"})

    assert answer.status_code == 200, answer.text
    claims = answer.json()["claims"]
    assert claims["nonce"] == lms.auth_requests[-1]["nonce"]  # the tool's own nonce came back
    assert answer.json()["kid"] == lms.keys.current_kid
    assert claims["aud"] == claims["azp"] == lms.client_id
    assert claims[CLAIM_DEPLOYMENT_ID] == "dep-1"
    assert claims[CLAIM_ROLES] == [ROLE_INSTRUCTOR]
    assert claims[CLAIM_CUSTOM] == {"unit": "3"}
    assert claims[CLAIM_RESOURCE_LINK]["id"] == "rl-1"
    assert claims[CLAIM_AGS_ENDPOINT]["lineitem"] == lineitem
    assert claims[CLAIM_AGS_ENDPOINT]["lineitems"] == lms.lineitems_url("course-1")
    assert claims[CLAIM_NRPS]["service_versions"] == ["2.0"]
    assert claims["exp"] - claims["iat"] == 300


@pytest.mark.parametrize(
    ("knob", "refusal"),
    [
        ("signing_key", "Signature verification failed"),
        ("nonce", "nonce mismatch"),
        ("now", "Signature has expired"),
    ],
)
def test_tool_refuses_a_forged_or_stale_id_token(
    lms: PlatformEmulator,
    tool: ThrowawayTool,
    foreign_key: rsa.RSAPrivateKey,
    knob: str,
    refusal: str,
) -> None:
    value = {"signing_key": foreign_key, "nonce": "not-the-tools", "now": time.time() - 3600}
    answer = lms.launch(requests.Session(), **{knob: value[knob]})
    assert answer.status_code == 401
    assert refusal in answer.text
    assert tool.launches == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"scope": "profile"}, "scope must be 'openid'"),
        ({"response_mode": "query"}, "response_mode"),
        ({"prompt": "login"}, "prompt"),
        ({"redirect_uri": "http://evil.example/cb"}, "is not registered"),
        ({"lti_message_hint": "hint-made-up"}, "lti_message_hint"),
        ({"login_hint": "learner-2"}, "login_hint"),
        ({"client_id": "someone-else"}, "unknown client_id"),
        ({"nonce": None}, "nonce is required"),
    ],
)
def test_auth_endpoint_checks_the_request(
    lms: PlatformEmulator, tool: ThrowawayTool, change: dict[str, str | None], reason: str
) -> None:
    login = parse_qs(urlsplit(lms.prepare_launch()).query)
    params: dict[str, str | None] = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": lms.client_id,
        "redirect_uri": tool.url + "/launch",
        "login_hint": login["login_hint"][0],
        "lti_message_hint": login["lti_message_hint"][0],
        "state": "s-1",
        "nonce": "n-1",
    }
    good = requests.get(lms.auth_login_url, params=params, timeout=TIMEOUT)
    assert good.status_code == 200
    form = parse_page(good.text).forms[0]
    assert form.action == tool.url + "/launch" and form.fields["state"] == "s-1"
    assert (
        jwt.decode(form.fields["id_token"], options={"verify_signature": False})["nonce"] == "n-1"
    )

    bad = requests.get(lms.auth_login_url, params=params | change, timeout=TIMEOUT)
    assert bad.status_code == 400
    assert reason in bad.text


def test_course_page_embeds_the_launch_in_an_iframe(lms: PlatformEmulator) -> None:
    login_url = lms.prepare_launch(sub="learner-2")
    hint = parse_qs(urlsplit(login_url).query)["lti_message_hint"][0]
    page = requests.get(lms.issuer + "/course", params={"hint": hint}, timeout=TIMEOUT)
    assert page.status_code == 200
    assert f'href="{html.escape(login_url)}" target="tool-frame"' in page.text
    assert '<iframe id="tool-frame" name="tool-frame"' in page.text
    missing = requests.get(lms.issuer + "/course", params={"hint": "nope"}, timeout=TIMEOUT)
    assert missing.status_code == 404


def test_deep_linking_response_is_verified_and_recorded(
    lms: PlatformEmulator, tool: ThrowawayTool, foreign_key: rsa.RSAPrivateKey
) -> None:
    session = requests.Session()
    page = lms.launch(session, message_type="LtiDeepLinkingRequest")
    request_claims = tool.launches[-1]
    assert CLAIM_RESOURCE_LINK not in request_claims
    assert request_claims[CLAIM_DL_SETTINGS]["data"].startswith("opaque-")

    form = parse_page(page.text).forms[0]
    assert form.action == lms.issuer + "/deep-link-return"
    forged = tool.deep_link_jwt(request_claims, key=foreign_key)
    refused = session.post(form.action, data={"JWT": forged}, timeout=TIMEOUT)
    assert refused.status_code == 400
    assert lms.deep_link_responses == []

    accepted = session.post(form.action, data=form.fields, timeout=TIMEOUT)
    assert accepted.status_code == 200, accepted.text
    assert "1 item(s) added" in accepted.text
    [recorded] = lms.deep_link_responses
    assert recorded[CLAIM_DL_CONTENT_ITEMS][0]["title"] == "Quiz 1"


def test_rotate_keys_keeps_old_kids_published(lms: PlatformEmulator, tool: ThrowawayTool) -> None:
    old = lms.keys.current_kid
    new = lms.rotate_keys()
    assert new != old
    kids = {k["kid"] for k in requests.get(lms.jwks_url, timeout=TIMEOUT).json()["keys"]}
    assert {old, new} <= kids

    answer = lms.launch(requests.Session())
    assert answer.status_code == 200, answer.text
    assert answer.json()["kid"] == new
    # A token signed before the rotation still verifies against the published set.
    early = lms.sign({"iss": lms.issuer, "sub": "x"}, kid=old)
    key = jwt.PyJWKClient(lms.jwks_url, cache_jwk_set=False).get_signing_key_from_jwt(early)
    assert jwt.decode(early, key.key, algorithms=["RS256"])["sub"] == "x"


# -- token endpoint ----------------------------------------------------------------------------


def test_token_endpoint_accepts_a_signed_assertion_and_refuses_others(
    lms: PlatformEmulator, tool: ThrowawayTool, foreign_key: rsa.RSAPrivateKey
) -> None:
    lms.token_lifetime = 120
    good = tool.request_token([SCOPE_SCORE, "https://example.com/not-a-scope"])
    assert good.status_code == 200, good.text
    body = good.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 120
    assert body["scope"] == SCOPE_SCORE and body["access_token"]

    replayed = tool.assertion()
    assert tool.request_token([SCOPE_SCORE], replayed).status_code == 200
    refusals = [
        tool.request_token([SCOPE_SCORE], tool.assertion(key=foreign_key)),
        tool.request_token([SCOPE_SCORE], replayed),
        tool.request_token([SCOPE_SCORE], tool.assertion(aud=lms.issuer)),
        tool.request_token([SCOPE_SCORE], tool.assertion(sub="someone-else")),
        tool.request_token([SCOPE_SCORE], tool.assertion(exp=int(time.time()) - 60)),
    ]
    assert [r.status_code for r in refusals] == [401] * 5
    assert {r.json()["error"] for r in refusals} == {"invalid_client"}
    assert "Signature verification failed" in refusals[0].json()["error_description"]
    assert "already used" in refusals[1].json()["error_description"]

    assert tool.request_token(["https://example.com/not-a-scope"]).status_code == 400
    assert [r["accepted"] for r in lms.token_requests] == [True, True] + [False] * 6
    assert lms.token_requests[0]["assertion"]["iss"] == lms.client_id


# -- AGS ---------------------------------------------------------------------------------------


def _score(user: str = "learner-1", **changes: Any) -> dict[str, Any]:
    score = {
        "userId": user,
        "scoreGiven": 8,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": datetime.now(UTC).isoformat(),
    }
    return {k: v for k, v in (score | changes).items() if v is not None}


def _post_score(url: str, headers: dict[str, str], body: Any, media: str = MEDIA_SCORE) -> int:
    response = requests.post(
        url + "/scores", json=body, headers=headers | {"Content-Type": media}, timeout=TIMEOUT
    )
    return response.status_code


def test_score_post_is_recorded_and_malformed_ones_are_refused(
    lms: PlatformEmulator, tool: ThrowawayTool
) -> None:
    auth = tool.bearer([SCOPE_LINEITEM, SCOPE_SCORE, SCOPE_RESULT_READONLY])
    created = requests.post(
        lms.lineitems_url("course-1"),
        json={"label": "Unit 3", "scoreMaximum": 50, "resourceLinkId": "rl-1", "tag": "quiz"},
        headers=auth | {"Content-Type": MEDIA_LINEITEM},
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"] == MEDIA_LINEITEM
    url = created.json()["id"]
    assert lms.lineitems[url]["label"] == "Unit 3"

    score = _score(comment="well done")
    assert _post_score(url, auth, score) == 204
    [recorded] = lms.scores
    assert recorded["lineitem"] == url and recorded["body"] == score
    assert recorded["headers"]["Content-Type"] == MEDIA_SCORE

    results = requests.get(url + "/results", headers=auth, timeout=TIMEOUT)
    assert results.headers["Content-Type"] == MEDIA_RESULTS
    [result] = results.json()
    assert (result["userId"], result["resultScore"], result["resultMaximum"]) == (
        "learner-1",
        40,
        50,
    )

    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    malformed = [
        _score(userId=None),
        _score(scoreGiven=11),
        _score(scoreMaximum=None),
        _score(activityProgress="Done"),
        _score(gradingProgress=None),
        _score(timestamp=datetime.now().isoformat()),  # naive: no UTC offset
        ["not", "an", "object"],
    ]
    assert [_post_score(url, auth, body) for body in malformed] == [400] * len(malformed)
    assert _post_score(url, auth, _score(), media="application/json") == 415
    assert _post_score(url, auth, _score(timestamp=past)) == 409
    assert _post_score(lms.lineitems_url("course-1") + "/999", auth, _score()) == 404
    assert len(lms.scores) == 1


def test_line_items_filter_update_and_delete(lms: PlatformEmulator, tool: ThrowawayTool) -> None:
    quiz = lms.add_lineitem(label="Quiz", score_maximum=10, tag="quiz", resource_id="r-1")
    exam = lms.add_lineitem(label="Exam", score_maximum=100, tag="exam")
    lms.add_lineitem(label="Elsewhere", score_maximum=5, tag="quiz", context_id="course-2")
    auth = tool.bearer([SCOPE_LINEITEM])
    container = lms.lineitems_url("course-1")

    listed = requests.get(container, params={"tag": "quiz"}, headers=auth, timeout=TIMEOUT)
    assert listed.headers["Content-Type"] == MEDIA_LINEITEMS
    assert [item["id"] for item in listed.json()] == [quiz]
    by_resource = requests.get(container, params={"resource_id": "r-1"}, headers=auth, timeout=10)
    assert [item["id"] for item in by_resource.json()] == [quiz]

    put = requests.put(
        exam,
        json={"label": "Final exam", "scoreMaximum": 100},
        headers=auth | {"Content-Type": MEDIA_LINEITEM},
        timeout=TIMEOUT,
    )
    assert put.status_code == 200 and lms.lineitems[exam]["label"] == "Final exam"
    bad = requests.post(
        container,
        json={"label": "", "scoreMaximum": 0},
        headers=auth | {"Content-Type": MEDIA_LINEITEM},
        timeout=TIMEOUT,
    )
    assert bad.status_code == 400
    assert requests.delete(exam, headers=auth, timeout=TIMEOUT).status_code == 204
    assert requests.get(exam, headers=auth, timeout=TIMEOUT).status_code == 404


def test_services_need_a_live_token_with_the_right_scope(
    lms: PlatformEmulator, tool: ThrowawayTool
) -> None:
    url = lms.add_lineitem(label="Quiz", score_maximum=10)
    assert _post_score(url, {}, _score()) == 401
    assert _post_score(url, {"Authorization": "Bearer made-up"}, _score()) == 401
    assert _post_score(url, tool.bearer([SCOPE_NRPS]), _score()) == 403
    lms.token_lifetime = 0
    expired = tool.bearer([SCOPE_SCORE])
    answer = requests.post(
        url + "/scores",
        json=_score(),
        headers=expired | {"Content-Type": MEDIA_SCORE},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    assert lms.scores == []


def test_set_down_makes_token_and_services_answer_503(
    lms: PlatformEmulator, tool: ThrowawayTool
) -> None:
    url = lms.add_lineitem(label="Quiz", score_maximum=10)
    auth = tool.bearer([SCOPE_SCORE])
    lms.set_down(True)
    assert tool.request_token([SCOPE_SCORE]).status_code == 503
    assert _post_score(url, auth, _score()) == 503
    members = requests.get(lms.memberships_url("course-1"), headers=auth, timeout=TIMEOUT)
    assert members.status_code == 503 and members.headers["Retry-After"] == "1"
    lms.set_down(False)
    assert tool.request_token([SCOPE_SCORE]).status_code == 200
    assert _post_score(url, auth, _score()) == 204
    assert len(lms.scores) == 1


# -- NRPS --------------------------------------------------------------------------------------


def test_nrps_pages_the_roster_with_link_next(lms: PlatformEmulator, tool: ThrowawayTool) -> None:
    lms.members.append({"user_id": "learner-3", "roles": ["Learner"], "status": "Active"})
    auth = tool.bearer([SCOPE_NRPS])
    url: str | None = lms.memberships_url("course-1") + "?limit=3"
    pages: list[list[str]] = []
    while url:
        page = requests.get(url, headers=auth, timeout=TIMEOUT)
        assert page.status_code == 200
        assert page.headers["Content-Type"] == MEDIA_MEMBERSHIPS
        assert page.json()["context"]["id"] == "course-1"
        pages.append([m["user_id"] for m in page.json()["members"]])
        url = page.links.get("next", {}).get("url")
    assert pages == [["learner-1", "learner-2", "instructor-1"], ["learner-3"]]

    teachers = requests.get(
        lms.memberships_url("course-1"), params={"role": "Instructor"}, headers=auth, timeout=10
    )
    assert [m["user_id"] for m in teachers.json()["members"]] == ["instructor-1"]
    assert "Link" not in teachers.headers
    wrong_scope = tool.bearer([SCOPE_SCORE])
    denied = requests.get(lms.memberships_url("course-1"), headers=wrong_scope, timeout=TIMEOUT)
    assert denied.status_code == 403


# -- Dynamic Registration ----------------------------------------------------------------------


def test_dynamic_registration_returns_client_and_deployment_ids(
    lms: PlatformEmulator, tool: ThrowawayTool
) -> None:
    start = lms.dynamic_registration_url(tool.url + "/register")
    query = parse_qs(urlsplit(start).query)
    config = requests.get(query["openid_configuration"][0], timeout=TIMEOUT).json()
    assert config["registration_endpoint"] == lms.issuer + "/register"
    assert config["https://purl.imsglobal.org/spec/lti-platform-configuration"][
        "messages_supported"
    ]

    answer = requests.get(start, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    registered = answer.json()
    assert registered["client_id"].startswith("dyn-")
    deployment = registered[TOOL_CONFIGURATION]["deployment_id"]
    assert deployment and registered["scope"] == f"{SCOPE_SCORE} {SCOPE_NRPS}"
    assert len(lms.registrations) == 1
    assert (lms.client_id, lms.deployment_id) == (registered["client_id"], deployment)

    # The platform now launches the registered client, with its new ids.
    launched = lms.launch(requests.Session())
    assert launched.status_code == 200, launched.text
    assert launched.json()["claims"][CLAIM_DEPLOYMENT_ID] == deployment
    assert tool.request_token([SCOPE_LINEITEM]).status_code == 400  # not a registered scope

    again = requests.get(start, timeout=TIMEOUT)  # the registration token is single-use
    assert again.status_code == 401
    fresh = parse_qs(urlsplit(lms.dynamic_registration_url(tool.url)).query)
    bad = tool.registration_body()
    bad[TOOL_CONFIGURATION]["target_link_uri"] = "https://elsewhere.example/launch"
    refused = requests.post(
        lms.issuer + "/register",
        json=bad,
        headers={"Authorization": f"Bearer {fresh['registration_token'][0]}"},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client_metadata"
    assert len(lms.registrations) == 1

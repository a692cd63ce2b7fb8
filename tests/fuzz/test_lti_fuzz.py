"""Fuzzing LTI launches over real HTTP: id_tokens signed with the platform's real key whose
claims are valid but for a part or two (a wrong type, a missing claim, an odd value), and
login and launch forms of any shape. Properties: never a 5xx, and a refused launch consumes
nothing: the same state and nonce then complete a good launch."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jwt.api_jws import PyJWS

from tests.fuzz import strategies as s
from tests.fuzz.http_stack import FuzzStack, exercise
from tests.fuzz.json_strategies import nasty_values, perturbed
from tests.fuzz.profiles import fuzz_settings
from tests.fuzz.tally import TALLY
from tests.support.lti_platform_spec import (
    MESSAGE_DEEP_LINKING,
    MESSAGE_RESOURCE_LINK,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]


def _sign(fs: FuzzStack, claims: dict[str, Any]) -> str:
    """Sign any claims with the platform's current key: PyJWT's encode would refuse an
    ill-typed ``iss`` or ``exp``, and those are what the tool must refuse cleanly."""
    kid = fs.lms.keys.current_kid
    key = fs.lms.keys._keys[kid]
    payload = json.dumps(claims).encode()
    return PyJWS().encode(payload, key, algorithm="RS256", headers={"kid": kid})


def _login(fs: FuzzStack, sub: str) -> tuple[str, str]:
    """Start a launch at the LMS; the state and nonce the tool issued."""
    redirect = fs.http.get(fs.lms.prepare_launch(sub=sub), allow_redirects=False, timeout=10)
    assert redirect.status_code == 302, redirect.text
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    return query["state"][0], query["nonce"][0]


@st.composite
def _top_level(draw: st.DrawFn, claims: dict[str, Any]) -> dict[str, Any]:
    """One claim replaced by a value of any type, or removed."""
    out = dict(claims)
    name = draw(st.sampled_from(sorted(out)))
    if draw(st.integers(0, 4)) == 0:
        del out[name]
    else:
        out[name] = draw(nasty_values)
    return out


_kinds = st.sampled_from(
    [
        (MESSAGE_RESOURCE_LINK, ROLE_LEARNER),
        (MESSAGE_RESOURCE_LINK, ROLE_INSTRUCTOR),
        (MESSAGE_DEEP_LINKING, ROLE_INSTRUCTOR),
    ]
)


@fuzz_settings(120)
@given(kind=_kinds, data=st.data())
def test_signed_launch_claims(stack: FuzzStack, kind: tuple[str, str], data: st.DataObject) -> None:
    message_type, role = kind
    state, nonce = _login(stack, "fuzz-learner")
    claims = stack.lms.id_token_claims(
        nonce=nonce, sub="fuzz-learner", roles=[role], message_type=message_type
    )
    broken = data.draw(st.one_of(_top_level(claims), perturbed(claims)), label="claims")
    reply = exercise(
        stack,
        "POST /lti/launch (signed claims)",
        "POST",
        "/lti/launch",
        broken,
        data={"id_token": _sign(stack, broken), "state": state},
    )
    if reply.status_code < 400:
        return
    # Refused: the state and the nonce must still be unused (issue 11 item 8).
    again = stack.http.post(
        stack.url + "/lti/launch",
        data={"id_token": stack.lms.sign(claims), "state": state},
        allow_redirects=False,
        timeout=20,
    )
    if again.status_code != 303:
        TALLY.changed("http:POST /lti/launch (signed claims)", f"consumed state/nonce: {broken!r}")
        raise AssertionError(
            f"after a refused launch ({reply.status_code}), the good launch with the same state "
            f"and nonce answered {again.status_code}: {again.text[:300]}"
        )


_login_params = st.fixed_dictionaries(
    {},
    optional={
        name: s.mostly(st.just(value), s.text)
        for name, value in {
            "iss": "<iss>",
            "login_hint": "fuzz-learner",
            "target_link_uri": "<launch>",
            "lti_message_hint": "hint",
            "client_id": "attune-client",
            "lti_deployment_id": "dep-1",
        }.items()
    },
)


@fuzz_settings(90)
@given(params=_login_params, method=st.sampled_from(["GET", "POST"]))
def test_login_initiation(stack: FuzzStack, params: dict[str, str], method: str) -> None:
    filled = {
        k: v.replace("<iss>", stack.lms.issuer).replace("<launch>", stack.url + "/lti/launch")
        for k, v in params.items()
    }
    as_query = method == "GET"
    exercise(
        stack,
        f"{method} /lti/login",
        method,
        "/lti/login",
        filled,
        params=filled if as_query else None,
        data=None if as_query else filled,
    )


@fuzz_settings(90)
@given(
    id_token=st.one_of(s.text, st.sampled_from(["a.b.c", "e30.e30.", "eyJhbGciOiJub25lIn0.e30."])),
    state=s.text,
    extra=st.dictionaries(s.text, s.text, max_size=2),
)
def test_launch_forms(stack: FuzzStack, id_token: str, state: str, extra: dict[str, str]) -> None:
    """Launch posts that are not signed id_tokens at all."""
    exercise(
        stack,
        "POST /lti/launch (forms)",
        "POST",
        "/lti/launch",
        (id_token, state),
        data={**extra, "id_token": id_token, "state": state},
    )


@fuzz_settings(45)
@given(enrollment=s.text, config=s.text, token=s.text)
def test_dynamic_registration(stack: FuzzStack, enrollment: str, config: str, token: str) -> None:
    """Registration links that were never minted (no fetch may reach anything: the
    enrollment id is unknown)."""
    from urllib.parse import quote

    exercise(
        stack,
        "GET /lti/register/{enrollment}",
        "GET",
        f"/lti/register/{quote(enrollment, safe='') or 'x'}",
        (enrollment, config, token),
        params={"openid_configuration": config, "registration_token": token},
    )

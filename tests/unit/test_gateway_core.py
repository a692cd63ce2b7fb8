"""The gateway's pure parts and its embedded store: grades, claims, registrations, keys,
sessions, the key/value store's once-only semantics and the outbox."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from attune.gateway.errors import BadRequestError, UnauthorizedError
from attune.gateway.grades.grade import MasteryGrade, iso_timestamp, score_payload
from attune.gateway.keys import DAY, ToolKeys
from attune.gateway.lti import claims
from attune.gateway.registrations import registration_from_json, registration_to_json
from attune.gateway.sessions import LaunchSession, SessionStore, learner_pseudonym
from attune.gateway.sqlite_store import SqliteGatewayStore


@pytest.fixture
def store(tmp_path: Path) -> SqliteGatewayStore:
    s = SqliteGatewayStore(tmp_path / "gateway.db")
    yield s
    s.close()


# -- grade -------------------------------------------------------------------------------


def test_grade_is_the_share_of_the_activity_skills_mastered() -> None:
    grade = MasteryGrade.of(["a", "b", "x"], ["a", "b", "c", "d"], answered=9)
    assert (grade.mastered, grade.total, grade.fraction) == (2, 4, 0.5)
    body = score_payload(grade, "user-7", 1_800_000_000.5)
    assert body["scoreGiven"] == 50.0 and body["scoreMaximum"] == 100.0
    assert body["activityProgress"] == "InProgress"
    assert body["gradingProgress"] == "FullyGraded"
    assert body["userId"] == "user-7"
    assert body["timestamp"] == "2027-01-15T08:00:00.500+00:00"


def test_grade_progress_values_follow_the_learner() -> None:
    started = score_payload(MasteryGrade.of([], ["a"], answered=0), "u", 0.0)
    assert started == {
        "userId": "u",
        "timestamp": iso_timestamp(0.0),
        "activityProgress": "Started",
        "gradingProgress": "NotReady",
    }
    done = score_payload(MasteryGrade.of(["a", "b"], ["a", "b"], answered=12), "u", 0.0)
    assert done["activityProgress"] == "Completed" and done["scoreGiven"] == 100.0


# -- claims ------------------------------------------------------------------------------


def test_missing_claims_are_named() -> None:
    body = {
        "iss": "i",
        "aud": "a",
        "exp": 1,
        "iat": 1,
        claims.MESSAGE_TYPE: "LtiResourceLinkRequest",
    }
    missing = claims.missing_claims(body)
    assert missing == ["sub", "nonce", "version", "deployment_id", "roles", "resource_link.id"]


@pytest.mark.parametrize(
    ("roles", "staff"),
    [
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], True),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], False),
        (["Instructor"], True),
        ([], False),
    ],
)
def test_staff_roles(roles: list[str], staff: bool) -> None:
    assert claims.is_staff(roles) is staff


# -- registrations -----------------------------------------------------------------------

GOOD = {
    "issuer": "https://canvas.example.edu",
    "client_id": "10000000000001",
    "auth_login_url": "https://sso.example.edu/api/lti/authorize_redirect",
    "auth_token_url": "https://sso.example.edu/login/oauth2/token",
    "key_set_url": "https://sso.example.edu/api/lti/security/jwks",
    "deployment_ids": ["1:abc", "1:abc", "2:def"],
}


def test_registration_json_round_trip_dedupes_deployments() -> None:
    reg = registration_from_json("univ-a", GOOD)
    assert reg.deployment_ids == ("1:abc", "2:def")
    assert registration_to_json(reg)["deployment_ids"] == ["1:abc", "2:def"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"issuer": ""}, "issuer"),
        ({"key_set_url": "ftp://x"}, "key_set_url"),
        ({"deployment_ids": "1:abc"}, "deployment_ids"),
        ({"client_id": 5}, "client_id"),
    ],
)
def test_bad_registrations_name_the_field(change: dict[str, object], named: str) -> None:
    with pytest.raises(BadRequestError, match=named):
        registration_from_json("univ-a", {**GOOD, **change})


def test_registrations_are_found_by_issuer_and_client(store: SqliteGatewayStore) -> None:
    a = registration_from_json("univ-a", GOOD)
    b = registration_from_json("univ-b", {**GOOD, "client_id": "other"})
    store.put_registration(a)
    assert store.find_registration(GOOD["issuer"], None) == a  # the only one
    store.put_registration(b)
    assert store.find_registration(GOOD["issuer"], None) is None  # ambiguous now
    assert store.find_registration(GOOD["issuer"], "other") == b
    assert store.list_registrations("univ-a") == [a]
    assert not store.delete_registration("univ-a", GOOD["issuer"], "other")  # b's tenant
    assert store.delete_registration("univ-b", GOOD["issuer"], "other")


# -- key/value ---------------------------------------------------------------------------


def test_take_gives_a_value_once(store: SqliteGatewayStore) -> None:
    store.put("t", "nonce-1", True, 60)
    assert store.take("t", "nonce-1") is True
    assert store.take("t", "nonce-1") is None
    assert store.get("other", "nonce-1") is None


def test_values_expire_and_are_scoped_by_tenant(store: SqliteGatewayStore) -> None:
    store.put("t", "k", {"a": 1}, -1)
    assert store.get("t", "k") is None and store.take("t", "k") is None
    assert store.add("t", "k", 1, 60) and not store.add("t", "k", 2, 60)
    assert store.add("u", "k", 3, 60)
    assert (store.get("t", "k"), store.get("u", "k")) == (1, 3)


# -- outbox ------------------------------------------------------------------------------


def test_a_newer_score_supersedes_an_undelivered_one(store: SqliteGatewayStore) -> None:
    first = store.enqueue("t", "ags-score", "k", {"n": 1})
    second = store.enqueue("t", "ags-score", "k", {"n": 2})
    other = store.enqueue("t", "ags-score", "k2", {"n": 3})
    due = store.due(now=1e12, limit=10)
    assert [i.item_id for i in due] == [second, other]
    assert [i.item_id for i in store.list_items("t", "superseded")] == [first]


def test_dead_letters_can_be_listed_and_replayed(store: SqliteGatewayStore) -> None:
    item = store.enqueue("t", "ags-score", "k", {"n": 1})
    store.dead("t", item, "400 bad score")
    assert store.due(1e12, 10) == []
    [dead] = store.list_items("t", "dead")
    assert dead.last_error == "400 bad score" and dead.attempts == 1
    assert not store.replay("other-tenant", item, 0.0)
    assert store.replay("t", item, 0.0)
    assert [i.item_id for i in store.due(1e12, 10)] == [item]


# -- keys --------------------------------------------------------------------------------


def test_keys_rotate_and_old_keys_stay_published_for_the_overlap(
    store: SqliteGatewayStore,
) -> None:
    keys = ToolKeys(store, rotate_days=30, overlap_days=7)
    first = keys.current(now=0.0)
    assert keys.current(now=29 * DAY).kid == first.kid
    second = keys.current(now=30 * DAY)
    assert second.kid != first.kid
    published = {k["kid"] for k in keys.jwks(now=31 * DAY)["keys"]}
    assert published == {first.kid, second.kid}
    assert {k["kid"] for k in keys.jwks(now=38 * DAY)["keys"]} == {second.kid}
    # What the current key signs verifies with the published JWK.
    token = jwt.encode({"x": 1}, second.private_pem, algorithm="RS256")
    public = jwt.PyJWK(dict(keys.jwks(now=31 * DAY)["keys"][-1])).key
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"x": 1}


# -- sessions ----------------------------------------------------------------------------


def test_sessions_load_by_token_and_expire(store: SqliteGatewayStore) -> None:
    sessions = SessionStore(store, ttl=60)
    session = LaunchSession(
        tenant="univ-a",
        issuer="https://lms",
        client_id="c",
        deployment_id="d",
        sub="u1",
        learner_id=learner_pseudonym("https://lms", "u1"),
        course_id="demo",
        skill_ids=("a", "b"),
        staff=False,
    )
    token = sessions.create(session)
    assert sessions.load(token) == session
    with pytest.raises(UnauthorizedError):
        sessions.load(token + "x")
    with pytest.raises(UnauthorizedError):
        SessionStore(store, ttl=-1).load(SessionStore(store, ttl=-1).create(session))


def test_pseudonyms_are_stable_and_reveal_nothing() -> None:
    one = learner_pseudonym("https://lms.a", "user-1")
    assert one == learner_pseudonym("https://lms.a", "user-1")
    assert one != learner_pseudonym("https://lms.b", "user-1")
    assert "user-1" not in one and "lms" not in one


def test_expired_values_are_purged_and_live_ones_kept(store: SqliteGatewayStore) -> None:
    store.put("t", "old-nonce", True, -1)
    store.put("t", "session", {"x": 1}, 60)
    assert store.purge_expired() == 1
    assert store.purge_expired() == 0
    assert store.get("t", "session") == {"x": 1}

"""API auth: POST /api/v1/auth/token, bearer tokens, and CSRF for cookie-authenticated calls."""
from __future__ import annotations


import pytest

from motions.extensions import db
from tests.conftest import PASSWORD, csrf_token
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def meeting(factory):
    slug = factory.meeting("congress", title="Congress", self_checkin=True)
    factory.person(slug, "delegate", email="dele@example.org", name="Dee Legate", organisation="Union A")
    factory.person(slug, "chair", email="chair@example.org", name="Chair Person")
    return slug


def test_token_for_email_and_password(client, meeting):
    response = client.post("/api/v1/auth/token", json={"email": "dele@example.org", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"token", "person"}
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    person = body["person"]
    assert person["email"] == "dele@example.org"
    assert person["name"] == "Dee Legate"
    assert person["organisation"] == "Union A"
    assert person["is_organiser"] is False
    assert isinstance(person["id"], int)
    # the token works
    meeting_response = client.get(f"/api/v1/meetings/{meeting}", headers=bearer(body["token"]))
    assert meeting_response.status_code == 200
    assert meeting_response.get_json()["slug"] == meeting


def test_email_is_matched_without_case_or_spaces(client, meeting):
    response = client.post("/api/v1/auth/token", json={"email": "  DELE@Example.org ", "password": PASSWORD})
    assert response.status_code == 200
    assert response.get_json()["person"]["email"] == "dele@example.org"


def test_each_call_gives_a_new_token_and_both_work(client, meeting):
    tokens = [client.post("/api/v1/auth/token", json={"email": "dele@example.org", "password": PASSWORD})
              .get_json()["token"] for _ in range(2)]
    assert tokens[0] != tokens[1]
    for token in tokens:
        assert client.get(f"/api/v1/meetings/{meeting}", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("credentials", [
    {"email": "dele@example.org", "password": "wrong password"},
    {"email": "nobody@example.org", "password": PASSWORD},
    {"email": "dele@example.org", "password": PASSWORD.upper()},
])
def test_wrong_credentials_401_and_no_token_stored(app, client, meeting, credentials):
    before = snapshot(app)
    response = client.post("/api/v1/auth/token", json=credentials)
    error = assert_error(response, 401, "invalid_credentials", set())
    # the same answer whether the email is known or not: no account discovery
    assert error["message"] == "The email or the password is wrong."
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(app) == before


@pytest.mark.parametrize("body, fields", [
    ({}, {"email", "password"}),
    ({"email": "dele@example.org"}, {"password"}),
    ({"password": PASSWORD}, {"email"}),
    ({"email": "", "password": ""}, {"email", "password"}),
    ({"email": 5, "password": PASSWORD}, {"email"}),
    ({"email": "dele@example.org", "password": ["x"]}, {"password"}),
    ({"email": None, "password": None}, {"email", "password"}),
])
def test_token_request_validation_422(app, client, meeting, body, fields):
    before = snapshot(app)
    assert_error(client.post("/api/v1/auth/token", json=body), 422, "validation_failed", fields)
    assert snapshot(app) == before


@pytest.mark.parametrize("raw", [b"", b"{", b"email=x&password=y", b"[1, 2]", b'"text"', b"null", b"\xff\xfe{}"])
def test_token_request_malformed_400(app, client, meeting, raw):
    before = snapshot(app)
    response = client.post("/api/v1/auth/token", data=raw, content_type="application/json")
    assert_error(response, 400, "malformed_json", set())
    assert snapshot(app) == before


def test_no_token_401(client, meeting):
    response = client.get(f"/api/v1/meetings/{meeting}")
    assert_error(response, 401, "unauthorized", set())
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="motions"'


def test_bad_token_401(client, meeting):
    assert_error(client.get(f"/api/v1/meetings/{meeting}", headers=bearer("not-a-token")), 401, "invalid_token")


@pytest.mark.parametrize("header", ["Basic ZGVsZUBleGFtcGxlLm9yZzpwdw==", "Token abc", "Bearer", "Bearer    ", "abc"])
def test_bad_scheme_401(client, factory, meeting, header):
    # even with a valid token in it, a wrong scheme is refused
    response = client.get(f"/api/v1/meetings/{meeting}", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized", set())


def test_scheme_is_case_insensitive(client, factory, meeting):
    token = factory.token("dele@example.org")
    assert client.get(f"/api/v1/meetings/{meeting}", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_token_of_another_kind_of_string_is_refused(client, factory, meeting):
    token = factory.token("dele@example.org")
    # a truncated or altered token is not a token
    assert_error(client.get(f"/api/v1/meetings/{meeting}", headers=bearer(token[:-1])), 401, "invalid_token")
    assert_error(client.get(f"/api/v1/meetings/{meeting}", headers=bearer(token + "x")), 401, "invalid_token")


def test_bearer_post_needs_no_csrf(app, client, factory, meeting):
    assert app.config.get("WTF_CSRF_ENABLED", True), "CSRF must be on for this test to mean anything"
    token = factory.token("dele@example.org")
    response = client.post(f"/api/v1/meetings/{meeting}/attendance", json={"present": True}, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["present"] is True


def _attendance(app, email: str) -> bool:
    from motions.auth.models import Person
    from motions.meetings.models import Membership

    with app.app_context():
        person = db.session.execute(db.select(Person).filter_by(email=email)).scalar_one()
        membership = db.session.execute(db.select(Membership).filter_by(person_id=person.id)).scalar_one()
        present = membership.present
        db.session.remove()
        return present


def test_cookie_post_without_csrf_header_is_refused(app, client, auth, meeting):
    assert auth.login("dele@example.org").status_code == 302
    # a GET with the session cookie works without any token
    assert client.get(f"/api/v1/meetings/{meeting}").status_code == 200
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{meeting}/attendance", json={"present": True})
    assert_error(response, 400, "csrf_failed", set())
    assert snapshot(app) == before
    assert _attendance(app, "dele@example.org") is False


def test_cookie_post_with_a_wrong_csrf_header_is_refused(app, client, auth, meeting):
    auth.login("dele@example.org")
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{meeting}/attendance", json={"present": True},
                           headers={"X-CSRFToken": "forged"})
    assert_error(response, 400, "csrf_failed")
    assert snapshot(app) == before


def test_cookie_post_with_csrf_header_works(app, client, auth, meeting):
    auth.login("dele@example.org")
    token = csrf_token(client, "/login")
    response = client.post(f"/api/v1/meetings/{meeting}/attendance", json={"present": True},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _attendance(app, "dele@example.org") is True


def test_bad_bearer_is_not_rescued_by_a_session_cookie(client, auth, meeting):
    auth.login("dele@example.org")
    response = client.get(f"/api/v1/meetings/{meeting}", headers=bearer("forged"))
    assert_error(response, 401, "invalid_token")


def test_signed_out_cookie_is_401(client, auth, meeting):
    auth.login("dele@example.org")
    auth.logout()
    assert_error(client.get(f"/api/v1/meetings/{meeting}"), 401, "unauthorized")

"""API meetings, people and attendance, as api-v1.md describes them, bad input included."""
from __future__ import annotations

import unicodedata
from datetime import datetime
from types import SimpleNamespace

import pytest

from motions.extensions import db
from tests.conftest import PASSWORD
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")

ROLES = ("delegate", "chair", "secretary", "organiser")


@pytest.fixture
def world(factory):
    """A meeting with one person per role, a global organiser, and an outsider (no role here)."""
    slug = factory.meeting("congress", title="Congress")
    people = {}
    for role in ROLES:
        email = f"{role}@example.org"
        people[role] = SimpleNamespace(id=factory.person(slug, role, email=email, name=f"The {role}"),
                                       email=email, token=factory.token(email))
    other = factory.meeting("other-meeting", title="Other")
    factory.person(other, "delegate", email="outsider@example.org", name="Outsider")
    people["outsider"] = SimpleNamespace(email="outsider@example.org", token=factory.token("outsider@example.org"))
    factory.person(None, email="boss@example.org", name="Global Organiser", organiser=True)
    people["boss"] = SimpleNamespace(email="boss@example.org", token=factory.token("boss@example.org"))
    return SimpleNamespace(slug=slug, other=other, **people)


# ------------------------------------------------------------------ POST /meetings

def test_organiser_creates_a_meeting_with_defaults(client, world):
    response = client.post("/api/v1/meetings", json={"slug": "spring-2025", "title": "Spring conference"},
                           headers=bearer(world.boss.token))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["slug"] == "spring-2025"
    assert body["title"] == "Spring conference"
    assert body["seconders_required"] == 0
    assert body["quorum"] is None
    assert body["casting_vote"] is False
    assert body["self_checkin"] is False
    assert body["documents"] == []
    assert isinstance(body["id"], int)
    assert datetime.fromisoformat(body["created_at"].replace("Z", "+00:00")).tzinfo is not None
    # the creator can now see it and is its organiser
    got = client.get("/api/v1/meetings/spring-2025", headers=bearer(world.boss.token))
    assert got.status_code == 200
    assert got.get_json() == body
    people = client.get("/api/v1/meetings/spring-2025/people", headers=bearer(world.boss.token)).get_json()
    assert [(p["email"], p["roles"]) for p in people] == [("boss@example.org", ["organiser"])]


def test_organiser_creates_a_meeting_with_settings(client, world):
    response = client.post("/api/v1/meetings", json={
        "slug": "autumn", "title": "Autumn", "seconders_required": 2, "quorum": "1/3", "casting_vote": True,
        "self_checkin": True, "line_width": 60}, headers=bearer(world.boss.token))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["seconders_required"], body["quorum"], body["casting_vote"], body["self_checkin"],
            body["line_width"]) == (2, "1/3", True, True, 60)


def test_quorum_as_a_number(client, world):
    response = client.post("/api/v1/meetings", json={"slug": "numbers", "title": "N", "quorum": 25},
                           headers=bearer(world.boss.token))
    assert response.status_code == 201
    assert response.get_json()["quorum"] == "25"


def test_title_is_nfc_normalised(client, world):
    nfd = unicodedata.normalize("NFD", "Congrès fédéral")
    assert nfd != "Congrès fédéral"
    response = client.post("/api/v1/meetings", json={"slug": "congres", "title": nfd}, headers=bearer(world.boss.token))
    assert response.status_code == 201
    assert response.get_json()["title"] == "Congrès fédéral"


@pytest.mark.parametrize("who", ["delegate", "chair", "secretary", "organiser", "outsider"])
def test_only_the_organiser_flag_may_create_meetings(app, client, world, who):
    # the organiser *role* in one meeting is not the global organiser flag
    before = snapshot(app)
    response = client.post("/api/v1/meetings", json={"slug": "sneaky", "title": "Sneaky"},
                           headers=bearer(getattr(world, who).token))
    assert_error(response, 403, "forbidden", set())
    assert snapshot(app) == before


def test_create_meeting_needs_a_token(app, client, world):
    before = snapshot(app)
    assert_error(client.post("/api/v1/meetings", json={"slug": "anon", "title": "Anon"}), 401, "unauthorized")
    assert snapshot(app) == before


@pytest.mark.parametrize("body, fields", [
    ({}, {"slug", "title"}),
    ({"slug": "ok-slug"}, {"title"}),
    ({"title": "No slug"}, {"slug"}),
    ({"slug": "Has Spaces", "title": "T"}, {"slug"}),
    ({"slug": "ab", "title": "T"}, {"slug"}),
    ({"slug": "x" * 65, "title": "T"}, {"slug"}),
    ({"slug": "-dash-", "title": "T"}, {"slug"}),
    ({"slug": "congress", "title": "Taken"}, {"slug"}),
    ({"slug": 5, "title": "T"}, {"slug"}),
    ({"slug": "ok-slug", "title": 5}, {"title"}),
    ({"slug": "ok-slug", "title": "   "}, {"title"}),
    ({"slug": "ok-slug", "title": "t" * 301}, {"title"}),
    ({"slug": "ok-slug", "title": "T", "seconders_required": -1}, {"seconders_required"}),
    ({"slug": "ok-slug", "title": "T", "seconders_required": "2"}, {"seconders_required"}),
    ({"slug": "ok-slug", "title": "T", "seconders_required": True}, {"seconders_required"}),
    ({"slug": "ok-slug", "title": "T", "seconders_required": 2.5}, {"seconders_required"}),
    ({"slug": "ok-slug", "title": "T", "seconders_required": 10**30}, {"seconders_required"}),
    ({"slug": "ok-slug", "title": "T", "quorum": "lots"}, {"quorum"}),
    ({"slug": "ok-slug", "title": "T", "quorum": "3/2"}, {"quorum"}),
    ({"slug": "ok-slug", "title": "T", "quorum": -3}, {"quorum"}),
    ({"slug": "ok-slug", "title": "T", "quorum": [1]}, {"quorum"}),
    ({"slug": "ok-slug", "title": "T", "quorum": "1/0"}, {"quorum"}),
    ({"slug": "ok-slug", "title": "T", "casting_vote": "yes"}, {"casting_vote"}),
    ({"slug": "ok-slug", "title": "T", "casting_vote": 1}, {"casting_vote"}),
    ({"slug": "ok-slug", "title": "T", "line_width": 5}, {"line_width"}),
    ({"slug": "BAD SLUG", "title": "", "seconders_required": -1, "quorum": "x", "casting_vote": None},
     {"slug", "title", "seconders_required", "quorum", "casting_vote"}),
])
def test_create_meeting_validation_422(app, client, world, body, fields):
    before = snapshot(app)
    response = client.post("/api/v1/meetings", json=body, headers=bearer(world.boss.token))
    assert_error(response, 422, "validation_failed", fields)
    assert snapshot(app) == before


# ------------------------------------------------------------------ GET /meetings/{slug}

@pytest.mark.parametrize("role", ROLES)
def test_every_member_reads_the_meeting(client, world, role):
    response = client.get(f"/api/v1/meetings/{world.slug}", headers=bearer(getattr(world, role).token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["slug"] == "congress" and body["title"] == "Congress"


def test_non_member_gets_403(client, world):
    assert_error(client.get(f"/api/v1/meetings/{world.slug}", headers=bearer(world.outsider.token)), 403, "forbidden")
    # the global organiser flag does not open other people's meetings either
    assert_error(client.get(f"/api/v1/meetings/{world.slug}", headers=bearer(world.boss.token)), 403, "forbidden")


@pytest.mark.parametrize("slug", ["no-such-meeting", "CONGRESS", "x", "%00", "congress%00", "a" * 300, "%F0%9F%98%80"])
def test_unknown_meeting_404(client, world, slug):
    assert_error(client.get(f"/api/v1/meetings/{slug}", headers=bearer(world.delegate.token)), 404, "not_found")


def test_meeting_lists_its_documents(client, factory, world):
    doc_id = factory.document(world.slug, "# Aims\n\nOne.\n", title="Platform")
    body = client.get(f"/api/v1/meetings/{world.slug}", headers=bearer(world.delegate.token)).get_json()
    assert body["documents"] == [{"id": doc_id, "title": "Platform", "kind": "platform", "state": "draft",
                                  "version": 1}]


# ------------------------------------------------------------------ POST /meetings/{slug}/people

@pytest.mark.parametrize("who", ["secretary", "organiser"])
def test_secretary_and_organiser_add_people(client, world, who):
    response = client.post(f"/api/v1/meetings/{world.slug}/people", headers=bearer(getattr(world, who).token), json={
        "name": "New Delegate", "email": "New@Example.org", "password": "a long password", "organisation": "Union B",
        "roles": ["delegate", "chair"], "vote_weight": 3})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["name"] == "New Delegate"
    assert body["email"] == "new@example.org"
    assert body["organisation"] == "Union B"
    assert body["roles"] == ["delegate", "chair"]
    assert body["vote_weight"] == 3
    assert body["present"] is False
    # the new person signs in with that password and reads the meeting
    token = client.post("/api/v1/auth/token", json={"email": "new@example.org", "password": "a long password"})
    assert token.status_code == 200
    assert token.get_json()["person"]["id"] == body["id"]
    assert client.get(f"/api/v1/meetings/{world.slug}",
                      headers=bearer(token.get_json()["token"])).status_code == 200


def test_add_person_defaults(client, world):
    response = client.post(f"/api/v1/meetings/{world.slug}/people", headers=bearer(world.secretary.token),
                           json={"name": "Plain", "email": "plain@example.org", "roles": ["delegate"]})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["vote_weight"], body["organisation"], body["roles"]) == (1, "", ["delegate"])
    # no password given: nobody can sign in as this person yet
    assert client.post("/api/v1/auth/token", json={"email": "plain@example.org", "password": ""}).status_code == 422


@pytest.mark.parametrize("who", ["delegate", "chair", "outsider"])
def test_others_may_not_add_people(app, client, world, who):
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/people", headers=bearer(getattr(world, who).token),
                           json={"name": "X", "email": "x@example.org", "roles": ["delegate"]})
    assert_error(response, 403, "forbidden", set())
    assert snapshot(app) == before


def test_add_person_to_unknown_meeting_404(app, client, world):
    before = snapshot(app)
    response = client.post("/api/v1/meetings/nowhere/people", headers=bearer(world.secretary.token),
                           json={"name": "X", "email": "x@example.org", "roles": ["delegate"]})
    assert_error(response, 404, "not_found")
    assert snapshot(app) == before


@pytest.mark.parametrize("body, fields", [
    ({}, {"name", "email", "roles"}),
    ({"name": "X", "email": "x@example.org"}, {"roles"}),
    ({"name": "X", "email": "x@example.org", "roles": []}, {"roles"}),
    ({"name": "X", "email": "x@example.org", "roles": ["boss"]}, {"roles"}),
    ({"name": "X", "email": "x@example.org", "roles": "delegate"}, {"roles"}),
    ({"name": "X", "email": "x@example.org", "roles": [1]}, {"roles"}),
    ({"name": "X", "email": "not-an-email", "roles": ["delegate"]}, {"email"}),
    ({"name": "", "email": "x@example.org", "roles": ["delegate"]}, {"name"}),
    ({"name": "n" * 201, "email": "x@example.org", "roles": ["delegate"]}, {"name"}),
    ({"name": "X", "email": "x@example.org", "roles": ["delegate"], "vote_weight": -1}, {"vote_weight"}),
    ({"name": "X", "email": "x@example.org", "roles": ["delegate"], "vote_weight": "2"}, {"vote_weight"}),
    ({"name": "X", "email": "x@example.org", "roles": ["delegate"], "vote_weight": 1.5}, {"vote_weight"}),
    ({"name": "X", "email": "x@example.org", "roles": ["delegate"], "vote_weight": 10**7}, {"vote_weight"}),
    ({"name": "X", "email": "x@example.org", "roles": ["delegate"], "password": "short"}, {"password"}),
    ({"name": "X", "email": "x@example.org", "roles": ["delegate"], "organisation": 7}, {"organisation"}),
    ({"name": 1, "email": None, "roles": ["chair", "king"], "vote_weight": False},
     {"name", "email", "roles", "vote_weight"}),
])
def test_add_person_validation_422(app, client, world, body, fields):
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/people", json=body, headers=bearer(world.secretary.token))
    assert_error(response, 422, "validation_failed", fields)
    assert snapshot(app) == before


def test_adding_an_existing_person_updates_roles_but_never_their_password(client, world):
    """A secretary may add someone who already has an account, but cannot take it over."""
    response = client.post(f"/api/v1/meetings/{world.slug}/people", headers=bearer(world.secretary.token), json={
        "name": "Outsider", "email": "outsider@example.org", "password": "taken over now", "roles": ["delegate"]})
    assert response.status_code == 201
    assert response.get_json()["roles"] == ["delegate"]
    assert client.post("/api/v1/auth/token", json={"email": "outsider@example.org",
                                                   "password": "taken over now"}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": "outsider@example.org",
                                                   "password": PASSWORD}).status_code == 200
    # and adding again updates the membership instead of duplicating it
    again = client.post(f"/api/v1/meetings/{world.slug}/people", headers=bearer(world.secretary.token), json={
        "name": "Outsider", "email": "outsider@example.org", "roles": ["delegate", "secretary"], "vote_weight": 2})
    assert again.status_code == 201
    people = client.get(f"/api/v1/meetings/{world.slug}/people", headers=bearer(world.chair.token)).get_json()
    mine = [p for p in people if p["email"] == "outsider@example.org"]
    assert [(p["roles"], p["vote_weight"]) for p in mine] == [(["delegate", "secretary"], 2)]


def test_person_names_are_nfc_normalised(client, world):
    nfd = unicodedata.normalize("NFD", "Zoë Lefèvre")
    response = client.post(f"/api/v1/meetings/{world.slug}/people", headers=bearer(world.secretary.token),
                           json={"name": nfd, "email": "zoe@example.org", "organisation": nfd, "roles": ["delegate"]})
    assert response.status_code == 201
    assert response.get_json()["name"] == "Zoë Lefèvre"
    assert response.get_json()["organisation"] == "Zoë Lefèvre"


# ------------------------------------------------------------------ GET /meetings/{slug}/people

@pytest.mark.parametrize("role", ["chair", "secretary", "organiser"])
def test_people_list_for_officers(client, world, role):
    response = client.get(f"/api/v1/meetings/{world.slug}/people", headers=bearer(getattr(world, role).token))
    assert response.status_code == 200
    people = response.get_json()
    assert sorted((p["email"], tuple(p["roles"])) for p in people) == sorted(
        (f"{r}@example.org", (r,)) for r in ROLES)
    assert set(people[0]) == {"id", "name", "email", "organisation", "roles", "vote_weight", "present"}
    # sorted by name
    assert [p["name"] for p in people] == sorted(p["name"] for p in people)


@pytest.mark.parametrize("who", ["delegate", "outsider"])
def test_people_list_forbidden(client, world, who):
    response = client.get(f"/api/v1/meetings/{world.slug}/people", headers=bearer(getattr(world, who).token))
    assert_error(response, 403, "forbidden")


# ------------------------------------------------------------------ POST /meetings/{slug}/attendance

def _present(client, world, email: str) -> bool:
    people = client.get(f"/api/v1/meetings/{world.slug}/people", headers=bearer(world.chair.token)).get_json()
    return next(p["present"] for p in people if p["email"] == email)


@pytest.mark.parametrize("who", ["chair", "secretary"])
def test_chair_and_secretary_mark_attendance(client, world, who):
    response = client.post(f"/api/v1/meetings/{world.slug}/attendance", headers=bearer(getattr(world, who).token),
                           json={"person_id": world.delegate.id, "present": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["person_id"] == world.delegate.id
    assert body["present"] is True
    assert datetime.fromisoformat(body["present_since"].replace("Z", "+00:00")).tzinfo is not None
    assert (body["present_count"], body["registered"]) == (1, 1)  # one delegate role in this meeting
    assert _present(client, world, "delegate@example.org") is True
    back = client.post(f"/api/v1/meetings/{world.slug}/attendance", headers=bearer(getattr(world, who).token),
                       json={"person_id": world.delegate.id, "present": False})
    assert back.status_code == 200
    assert (back.get_json()["present"], back.get_json()["present_since"], back.get_json()["present_count"]) == (
        False, None, 0)
    assert _present(client, world, "delegate@example.org") is False


@pytest.mark.parametrize("who", ["delegate", "organiser", "outsider"])
def test_others_may_not_mark_someone_else(app, client, world, who):
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/attendance", headers=bearer(getattr(world, who).token),
                           json={"person_id": world.chair.id, "present": True})
    assert_error(response, 403, "forbidden")
    assert snapshot(app) == before


def test_self_check_in_refused_where_the_meeting_does_not_allow_it(app, client, world):
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/attendance", headers=bearer(world.delegate.token),
                           json={"present": True})
    assert_error(response, 409, "state_conflict", set())
    assert snapshot(app) == before


def test_self_check_in_where_allowed(client, factory):
    slug = factory.meeting("open-doors", self_checkin=True)
    pid = factory.person(slug, "delegate", email="d@example.org")
    factory.person(slug, "chair", email="c@example.org")
    token = factory.token("d@example.org")
    response = client.post(f"/api/v1/meetings/{slug}/attendance", headers=bearer(token), json={"present": True})
    assert response.status_code == 200
    assert (response.get_json()["person_id"], response.get_json()["present"]) == (pid, True)
    # naming yourself is the same as omitting person_id
    again = client.post(f"/api/v1/meetings/{slug}/attendance", headers=bearer(token),
                        json={"person_id": pid, "present": False})
    assert again.status_code == 200 and again.get_json()["present"] is False


def test_self_check_in_is_for_delegates(app, client, factory):
    """Where self check-in is allowed, a delegate checks in; the organiser role alone does not."""
    slug = factory.meeting("open-doors", self_checkin=True)
    factory.person(slug, "organiser", email="o@example.org")
    token = factory.token("o@example.org")
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{slug}/attendance", headers=bearer(token), json={"present": True})
    assert_error(response, 403, "forbidden")
    assert snapshot(app) == before


def test_chair_checks_themself_in_without_person_id(client, world):
    response = client.post(f"/api/v1/meetings/{world.slug}/attendance", headers=bearer(world.chair.token),
                           json={"present": True})
    assert response.status_code == 200
    assert response.get_json()["person_id"] == world.chair.id
    assert _present(client, world, "chair@example.org") is True


@pytest.mark.parametrize("person_id", [999999, 2**31 - 1])
def test_attendance_of_unknown_person_404(app, client, world, person_id):
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/attendance", headers=bearer(world.chair.token),
                           json={"person_id": person_id, "present": True})
    assert_error(response, 404, "not_found")
    assert snapshot(app) == before


def test_attendance_of_someone_from_another_meeting_404(app, client, world):
    from motions.auth.models import Person

    with app.app_context():
        outsider_id = db.session.execute(db.select(Person.id).filter_by(email="outsider@example.org")).scalar_one()
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/attendance", headers=bearer(world.chair.token),
                           json={"person_id": outsider_id, "present": True})
    assert_error(response, 404, "not_found")
    assert snapshot(app) == before


@pytest.mark.parametrize("body, fields", [
    ({}, {"present"}),
    ({"person_id": 1}, {"present"}),
    ({"present": "yes"}, {"present"}),
    ({"present": 1}, {"present"}),
    ({"person_id": "abc", "present": True}, {"person_id"}),
    ({"person_id": 1.5, "present": True}, {"person_id"}),
    ({"person_id": True, "present": True}, {"person_id"}),
    ({"person_id": 10**20, "present": True}, {"person_id"}),
    ({"person_id": [1], "present": None}, {"person_id", "present"}),
])
def test_attendance_validation_422(app, client, world, body, fields):
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/attendance", json=body, headers=bearer(world.chair.token))
    assert_error(response, 422, "validation_failed", fields)
    assert snapshot(app) == before

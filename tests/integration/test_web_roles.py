"""The role matrix: every page route × every kind of visitor, checked against the one permission table.

Each route names its action in `view_func.permission` (motions/access.py); the expected answer
comes from motions.permissions, never from a list kept here, so the matrix stays complete when
routes are added: a route without a `permission` fails the first test.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from motions import create_app
from motions.permissions import ACTIONS, GLOBAL_ACTIONS, allowed
from tests.conftest import PASSWORD, csrf_token
from tests.tried import Answers, tried

SLUG = "matrix-meeting"
DOCUMENT = """# Aims

We want rights. We want them now.

We want bread too.

## Means

- Organise.
- Strike.
"""

# who visits: a name, the meeting roles, and the global organiser flag
VISITORS = {
    "delegate": (["delegate"], False),
    "chair": (["chair"], False),
    "secretary": (["secretary"], False),
    "organiser": (["organiser"], True),
    "non-member": (None, False),
}


def _page_routes(app) -> list[tuple[str, str, frozenset[str]]]:
    """(endpoint, rule, methods) of every route that is neither static nor the JSON API."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("api.") or rule.rule.startswith("/api/"):
            continue
        routes.append((rule.endpoint, rule.rule, frozenset(rule.methods - {"HEAD", "OPTIONS"})))
    return sorted(routes)


def _collect_routes():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "collect", "TESTING": True})
    return _page_routes(app)


ROUTES = _collect_routes()


def _expected_allowed(action: str, roles: list[str] | None, is_organiser: bool) -> bool:
    if action in GLOBAL_ACTIONS:
        need = GLOBAL_ACTIONS[action]
        if need in ("public", "signed_in"):
            return True
        assert need == "organiser", need
        return is_organiser
    return allowed(roles or [], action)


def test_every_page_route_names_a_known_action(app):
    """A new page without `permission` (or with an action the table does not know) fails here."""
    routes = _page_routes(app)
    assert len(routes) >= 20
    for endpoint, rule, _methods in routes:
        view = app.view_functions[endpoint]
        action = getattr(view, "permission", None)
        assert action, f"{endpoint} ({rule}) has no permission: decorate it with an access.*_action"
        assert action in ACTIONS or action in GLOBAL_ACTIONS, f"{endpoint}: unknown action {action!r}"


def test_matrix_covers_every_page_route(app):
    """The parametrised matrix below was built from the same URL map the app serves."""
    assert [r[:2] for r in _page_routes(app)] == [r[:2] for r in ROUTES]


def test_every_action_of_the_table_is_used_by_some_page(app):
    """No dead entries in the permission table: each action guards a page, or (the event stream)
    an API route."""
    used = {getattr(app.view_functions[e], "permission", None) for e, _r, _m in _page_routes(app)}
    api = {getattr(view, "permission", None) for e, view in app.view_functions.items() if e.startswith("api.")}
    assert set(ACTIONS) - used <= {"events.view"}, f"actions with no page: {set(ACTIONS) - used}"
    assert set(ACTIONS) <= used | api, f"actions used nowhere: {set(ACTIONS) - used - api}"


_HASH: list[str] = []


def _password_hash() -> str:
    """One hash of the test password, shared by the visitors (a cheap one: this is not a test of hashing)."""
    if not _HASH:
        from werkzeug.security import generate_password_hash

        _HASH.append(generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    return _HASH[0]


@pytest.fixture
def world(app, factory):
    """A meeting with a draft document, another delegate, every visitor, and ids for every URL parameter."""
    from motions.auth.models import Person
    from motions.documents.models import Document
    from motions.extensions import db
    from motions.meetings import operations

    factory.meeting(SLUG, title="Matrix meeting")
    document_id = factory.document(SLUG, DOCUMENT)
    with app.app_context():
        meeting = operations.get_meeting(SLUG)
        other = operations.add_person(meeting, {"name": "Other Delegate", "email": "other@example.org",
                                                "roles": ["delegate"]}).person_id
        for visitor, (roles, organiser) in VISITORS.items():
            person = Person(name=visitor.title(), email=f"{visitor}@example.org", is_organiser=organiser,
                            password_hash=_password_hash())
            db.session.add(person)
            db.session.commit()
            if roles:
                operations.add_person(meeting, {"name": person.name, "email": person.email, "roles": roles})
        document = db.session.get(Document, document_id)
        # a paragraph with two sentences and a next paragraph: split, join, up and down all apply
        clause_id = next(ct.clause_id for ct in document.version().clause_texts if ct.kind == "paragraph")
    # an open document with an amendment by the other delegate: every amendment route has something to act on
    open_id = factory.document(SLUG, DOCUMENT, title="Open platform", state="open")
    amendment_id = factory.amendment(open_id, other, replace=("rights", "equal rights"))
    poll_id = factory.poll(SLUG, title="Matrix question")  # a draft: every poll route has one to act on
    # an election taking nominations, with a candidate entered by the chair: every election and candidate
    # route has one
    election_id = factory.election(SLUG, title="Matrix election", seats=1, state="nominating")
    candidate_id = factory.candidate(election_id, "Matrix Candidate")
    return {"slug": SLUG, "document_id": document_id, "clause_id": clause_id, "person_id": other,
            "amendment_id": amendment_id, "poll_id": poll_id, "election_id": election_id,
            "candidate_id": candidate_id}


def _url(rule: str, ids: dict) -> str:
    def fill(match):
        name = match.group(1).split(":")[-1]
        return str(ids[name])

    return re.sub(r"<([^>]+)>", fill, rule)


def _sign_in(client, visitor: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": f"{visitor}@example.org", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, f"{visitor} could not sign in"


def _sent_to_sign_in(response) -> bool:
    """A redirect to the sign-in page that remembers where the visitor wanted to go."""
    if response.status_code != 302:
        return False
    parts = urlsplit(response.location)
    return parts.path == "/login" and "next" in parse_qs(parts.query)


def _request(client, rule: str, methods: frozenset[str], ids: dict):
    """GET for pages that show something; a POST with a valid CSRF token (and nothing else) for actions."""
    url = _url(rule, ids)
    if "GET" in methods:
        return client.get(url)
    assert methods == {"POST"}, methods
    return client.post(url, data={"csrf_token": csrf_token(client, "/login")})


@pytest.mark.parametrize("endpoint,rule,methods", ROUTES, ids=[r[0] for r in ROUTES])
def test_route_for_every_visitor(app, world, endpoint, rule, methods):
    """Signed out -> sign in first; allowed by the table -> served; not allowed -> 403."""
    action = app.view_functions[endpoint].permission
    problems = []
    answers = Answers(app)
    checks = 1

    client = app.test_client()
    response = _request(client, rule, methods, world)
    if GLOBAL_ACTIONS.get(action) == "public":
        if response.status_code not in (200, 302) or _sent_to_sign_in(response):
            problems.append(f"signed out: {response.status_code} {response.location}")
    elif not _sent_to_sign_in(response):
        problems.append(f"signed out: {response.status_code} {response.location} (expected sign-in)")
    elif parse_qs(urlsplit(response.location).query)["next"] != [_url(rule, world)]:
        problems.append(f"signed out: sign-in does not lead back: {response.location}")

    for visitor, (roles, organiser) in VISITORS.items():
        client = app.test_client()
        _sign_in(client, visitor)
        response = _request(client, rule, methods, world)
        status = response.status_code
        if _expected_allowed(action, roles, organiser):
            if status not in (200, 201, 302, 303, 422) or _sent_to_sign_in(response):
                problems.append(f"{visitor} (allowed): {status} {response.location or ''}")
        elif status != 403:
            problems.append(f"{visitor} (not allowed): {status}")
        elif "Your role in this meeting does not allow this." not in response.get_data(as_text=True):
            problems.append(f"{visitor}: 403 without the explanation on the page")
        checks += 1
    assert not problems, f"{endpoint} ({action}): " + "; ".join(problems)
    tried("Role matrix", routes=1, checks_against_the_table=checks, requests=answers.total,
          answered_403=answers.statuses[403])


def test_delegate_gets_403_on_chair_and_secretary_pages(client, world):
    """Said explicitly: a delegate cannot open or post to any chair or secretary page."""
    _sign_in(client, "delegate")
    slug, doc, clause, person = world["slug"], world["document_id"], world["clause_id"], world["person_id"]
    pages = [
        f"/m/{slug}/settings",
        f"/m/{slug}/people",
        f"/m/{slug}/people/import",
        f"/m/{slug}/documents/import",
        f"/documents/{doc}/clauses/{clause}/edit",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 403, page
        assert "Not allowed" in response.get_data(as_text=True)
    posts = [
        f"/m/{slug}/settings",
        f"/m/{slug}/people/add",
        f"/m/{slug}/people/import",
        f"/m/{slug}/people/{person}/attendance",
        f"/m/{slug}/documents/import",
        f"/documents/{doc}/state",
        f"/documents/{doc}/clauses/{clause}/edit",
        f"/documents/{doc}/clauses/{clause}/split",
        f"/documents/{doc}/clauses/{clause}/join",
        f"/documents/{doc}/clauses/{clause}/up",
        f"/documents/{doc}/clauses/{clause}/down",
        f"/documents/{doc}/renumber",
    ]
    token = csrf_token(client, "/login")
    for page in posts:
        response = client.post(page, data={"csrf_token": token, "present": "1", "state": "open",
                                           "text": "Changed.", "title": "x"})
        assert response.status_code == 403, page
    # and nothing changed: the other delegate is still absent, the document still a draft
    from motions.documents.models import Document
    from motions.extensions import db
    from motions.meetings.models import Membership

    with client.application.app_context():
        assert db.session.get(Document, doc).state.value == "draft"
        membership = db.session.execute(db.select(Membership).filter_by(person_id=person)).scalar_one()
        assert membership.present is False
    # while the pages every member may see stay open to the delegate
    assert client.get(f"/m/{slug}/").status_code == 200
    assert client.get(f"/documents/{doc}").status_code == 200


def test_chair_may_mark_attendance_but_not_import(client, world):
    _sign_in(client, "chair")
    slug = world["slug"]
    token = csrf_token(client, "/login")
    response = client.post(f"/m/{slug}/people/{world['person_id']}/attendance",
                           data={"csrf_token": token, "present": "1"})
    assert response.status_code == 302
    assert client.get(f"/m/{slug}/people/import").status_code == 403
    assert client.get(f"/m/{slug}/documents/import").status_code == 403
    assert client.get(f"/documents/{world['document_id']}/clauses/{world['clause_id']}/edit").status_code == 403


def test_unknown_meeting_and_document_are_404_not_500(client, world):
    _sign_in(client, "secretary")
    assert client.get("/m/no-such-meeting/").status_code == 404
    assert client.get("/documents/99999").status_code == 404
    assert client.get(f"/documents/{world['document_id']}/clauses/99999/edit").status_code == 404

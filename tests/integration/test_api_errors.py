"""The API's one error body, for every status of the contract, on every POST route of issue 2.

{"error": {"code": "snake_case", "message": "a sentence a person can act on", "fields": {...}}}
400 malformed JSON · 401 no or bad token · 403 role · 404 no such thing · 405 wrong method ·
409 state conflict · 413 body over the limit · 422 validation failed · 500 never from bad input,
and never a change to stored data.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.api_helpers import assert_error, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def world(factory):
    """One person allowed to do everything issue 2's API offers, a meeting and a draft document."""
    slug = factory.meeting("congress", self_checkin=True)
    factory.person(slug, "delegate", "chair", "secretary", "organiser", email="all@example.org", organiser=True)
    doc_id = factory.document(slug, "# Aims\n\nFirst clause.\n")
    return SimpleNamespace(slug=slug, doc_id=doc_id, headers={"Authorization": f"Bearer {factory.token('all@example.org')}"})


# every POST of issue 2, with a body that succeeds
def post_routes(world) -> list[tuple[str, dict]]:
    return [
        ("/api/v1/auth/token", {"email": "all@example.org", "password": "correct horse battery"}),
        ("/api/v1/meetings", {"slug": "new-meeting", "title": "New"}),
        (f"/api/v1/meetings/{world.slug}/people", {"name": "N", "email": "n@example.org", "roles": ["delegate"]}),
        (f"/api/v1/meetings/{world.slug}/attendance", {"present": True}),
        (f"/api/v1/meetings/{world.slug}/documents", {"title": "T", "text": "Text."}),
        (f"/api/v1/documents/{world.doc_id}/state", {"state": "open"}),
    ]


ROUTE_IDS = ["token", "meetings", "people", "attendance", "documents", "state"]


@pytest.fixture(params=range(6), ids=ROUTE_IDS)
def route(request, world):
    return post_routes(world)[request.param]


@pytest.fixture(params=range(1, 6), ids=ROUTE_IDS[1:])
def protected_route(request, world):
    """The POST routes that need a token (all but /auth/token)."""
    return post_routes(world)[request.param]


def test_fields_a_route_does_not_take_are_ignored(client, world):
    """Unknown fields are ignored (clients may be newer than the server), whatever they hold."""
    body = {"title": "T", "text": "Text.", "x-client": "nul\u0000inside", "extra": [1, {"a": None}]}
    response = client.post(f"/api/v1/meetings/{world.slug}/documents", json=body, headers=world.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "x-client" not in response.get_json()


def test_whole_numbers_written_as_decimals_are_integers(client, world):
    """JSON Schema counts 2.0 as an integer; 2.5 is not."""
    ok = client.post(f"/api/v1/meetings/{world.slug}/people", headers=world.headers,
                     json={"name": "W", "email": "w@example.org", "roles": ["delegate"], "vote_weight": 2.0})
    assert ok.status_code == 201 and ok.get_json()["vote_weight"] == 2
    bad = client.post(f"/api/v1/meetings/{world.slug}/people", headers=world.headers,
                      json={"name": "W", "email": "w@example.org", "roles": ["delegate"], "vote_weight": 2.5})
    assert_error(bad, 422, "validation_failed", {"vote_weight"})


def test_the_good_bodies_succeed(client, world):
    """The bodies the error tests spoil do work as they are, so the errors come from the spoiling."""
    for path, body in post_routes(world):
        response = client.post(path, json=body, headers=world.headers)
        assert response.status_code in (200, 201), (path, response.get_data(as_text=True))


MALFORMED = [
    b"",
    b"   \n",
    b"{",
    b'{"title": "T",}',
    b"{'title': 'T'}",
    b"title=T&text=x",
    b"[]",
    b'[{"title": "T"}]',
    b'"a string"',
    b"42",
    b"null",
    b"true",
    b'{"title": NaN}',
    b'{"title": Infinity}',
    b'{"title": "\xff\xfe"}',
    b"\xef\xbb\xbf{}",  # a BOM is not JSON either
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
]


@pytest.mark.parametrize("raw", MALFORMED, ids=[f"malformed{i}" for i in range(len(MALFORMED))])
def test_malformed_json_400(app, client, world, route, raw):
    path, _body = route
    before = snapshot(app)
    response = client.post(path, data=raw, content_type="application/json", headers=world.headers)
    assert_error(response, 400, "malformed_json", set())
    assert snapshot(app) == before


def test_body_over_the_limit_413(app, client, world, route):
    path, body = route
    app.config["MAX_CONTENT_LENGTH"] = 4096
    raw = json.dumps({**body, "padding": "x" * 8192}).encode()
    before = snapshot(app)
    response = client.post(path, data=raw, content_type="application/json", headers=world.headers)
    error = assert_error(response, 413, "too_large", set())
    assert "0.00390625 MB" in error["message"]  # the configured limit, not a fixed number
    assert snapshot(app) == before


def test_body_over_the_default_4_mb_413(app, client, world):
    assert app.config["MAX_CONTENT_LENGTH"] == 4 * 1024 * 1024
    text = "Ein Absatz. " * (4 * 1024 * 1024 // 12 + 10)
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/documents", json={"title": "Huge", "text": text},
                           headers=world.headers)
    error = assert_error(response, 413, "too_large", set())
    assert "4 MB" in error["message"]
    assert snapshot(app) == before


@pytest.mark.parametrize("bad", ["nul\u0000inside", "\ud800", "lone \udfff surrogate"],
                         ids=["nul", "high-surrogate", "low-surrogate"])
def test_unstorable_strings_422_not_500(app, client, world, route, bad):
    """NUL characters and unpaired surrogates cannot be stored (PostgreSQL refuses NUL): 422."""
    path, body = route
    if not any(isinstance(v, str) for v in body.values()):
        body = {**body, "person_id": 1}
        raw = json.dumps(body).replace('"person_id": 1', f'"person_id": {json.dumps(bad)}').encode()
        assert_error(client.post(path, data=raw, content_type="application/json", headers=world.headers),
                     422, "validation_failed", {"person_id"})
        return
    field = next(k for k, v in body.items() if isinstance(v, str))
    raw = json.dumps({**body, field: bad}).encode()  # json.dumps escapes them as \\u0000, \\ud800
    before = snapshot(app)
    response = client.post(path, data=raw, content_type="application/json", headers=world.headers)
    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"]
    assert snapshot(app) == before


def test_no_token_401_on_every_protected_route(app, client, world, protected_route):
    path, body = protected_route
    before = snapshot(app)
    response = client.post(path, json=body)
    assert_error(response, 401, "unauthorized", set())
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="motions"'
    assert snapshot(app) == before


def test_bad_token_401_on_every_protected_route(app, client, world, protected_route):
    path, body = protected_route
    before = snapshot(app)
    assert_error(client.post(path, json=body, headers={"Authorization": "Bearer nope"}), 401, "invalid_token")
    assert snapshot(app) == before


def test_role_403(app, client, factory, world):
    factory.person(world.slug, "delegate", email="d@example.org")
    headers = {"Authorization": f"Bearer {factory.token('d@example.org')}"}
    before = snapshot(app)
    for path, body in post_routes(world)[1:]:
        if path.endswith("/attendance"):
            body = {"person_id": 1, "present": True}  # marking someone else needs chair or secretary
        assert_error(client.post(path, json=body, headers=headers), 403, "forbidden", set())
    assert_error(client.get(f"/api/v1/meetings/{world.slug}/people", headers=headers), 403, "forbidden")
    assert snapshot(app) == before


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/no-such-thing"),
    ("GET", "/api/v1/meetings/no-such-meeting"),
    ("GET", "/api/v1/meetings/no-such-meeting/people"),
    ("POST", "/api/v1/meetings/no-such-meeting/documents"),
    ("GET", "/api/v1/documents/424242"),
    ("GET", "/api/v1/documents/abc"),
    ("GET", "/api/v1/documents/-1"),
    ("GET", "/api/v1/documents/1/nothing"),
    ("GET", "/api/v1/documents/1?version=999"),
    ("GET", "/api/v1/documents/1/text?version=999"),
    ("GET", "/api/v2/meetings"),
])
def test_not_found_404(client, world, method, path):
    response = client.open(path, method=method, json={"title": "T", "text": "x"}, headers=world.headers)
    assert_error(response, 404, "not_found", set())


def test_404_is_json_even_when_html_is_preferred(client, world):
    response = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html", **world.headers})
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("method, path, allow", [
    ("DELETE", "/api/v1/meetings/congress", "GET, HEAD, OPTIONS"),
    ("PUT", "/api/v1/meetings", "OPTIONS, POST"),
    ("GET", "/api/v1/auth/token", "OPTIONS, POST"),
    ("PATCH", "/api/v1/documents/1", "GET, HEAD, OPTIONS"),
    ("POST", "/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
    ("TRACE", "/api/v1/meetings/congress/people", "GET, HEAD, OPTIONS, POST"),
])
def test_wrong_method_405(app, client, world, method, path, allow):
    before = snapshot(app)
    response = client.open(path, method=method, json={}, headers=world.headers)
    assert_error(response, 405, "method_not_allowed", set())
    assert response.headers["Allow"] == allow  # RFC 9110
    assert snapshot(app) == before


def test_state_conflict_409(app, client, world):
    before = snapshot(app)
    response = client.post(f"/api/v1/documents/{world.doc_id}/state", json={"state": "final"}, headers=world.headers)
    error = assert_error(response, 409, "state_conflict", set())
    assert error["message"] == "A document that is “draft” cannot become “final”."
    assert snapshot(app) == before


def test_validation_422_names_every_bad_field(app, client, world):
    before = snapshot(app)
    response = client.post("/api/v1/meetings", json={"slug": 5, "title": "", "seconders_required": "many",
                                                     "quorum": "most", "casting_vote": "no", "line_width": 1},
                           headers=world.headers)
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"slug", "title", "seconders_required", "quorum", "casting_vote", "line_width"}
    assert snapshot(app) == before


def test_a_server_error_has_the_error_body_and_changes_nothing(app, client, world, monkeypatch):
    """Not bad input, but a bug: still the error body, a translated sentence, and a rollback."""
    from motions.meetings import operations

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(operations, "_upsert_membership", broken)  # after the person row was added
    app.config["PROPAGATE_EXCEPTIONS"] = False
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/people", headers=world.headers,
                           json={"name": "N", "email": "n@example.org", "password": "long enough", "roles": ["delegate"]})
    error = assert_error(response, 500, "server_error", set())
    assert "boom" not in error["message"] and "Internal Server Error" not in error["message"]
    assert error["message"] == "The server could not finish this request. Nothing was changed; please try again."
    assert snapshot(app) == before


def test_an_error_response_is_never_html(client, world):
    """Every status above, collected: the body is JSON, never a page."""
    responses = [
        client.get("/api/v1/meetings/congress"),
        client.get("/api/v1/nothing-here", headers=world.headers),
        client.post("/api/v1/meetings", data=b"{", content_type="application/json", headers=world.headers),
        client.delete("/api/v1/meetings", headers=world.headers),
    ]
    for response in responses:
        assert response.mimetype == "application/json"
        assert "<html" not in response.get_data(as_text=True).lower()

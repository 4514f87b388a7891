"""Merging carried amendments (issue 5): a new version at once, the pending amendments re-based or
marked as no longer applying, resolving by hand, comparing versions, the fingerprint at final.

Every step goes through /api/v1 as the chair, the secretary and delegates would; each answer
is checked against the published schema (tests.integration.test_api_amendments.call)."""
from __future__ import annotations

import hashlib

import pytest

from tests.api_helpers import assert_error, bearer, fast_hashing  # noqa: F401  (fast_hashing is a fixture)
from tests.integration.test_api_amendments import call, ok

pytestmark = pytest.mark.usefixtures("fast_hashing")

TEXT = """# Aims

- We demand fair wages for all workers in every town.
- We defend the right to strike.
- We stand for peace between peoples.
"""
WAGES = "We demand fair wages for all workers in every town."


@pytest.fixture
def hall(app, client, factory):
    from types import SimpleNamespace

    slug = factory.meeting("hall", title="Founding meeting")
    people = {}
    for key, roles in {"chair": ("chair",), "secretary": ("secretary",), "ada": ("delegate",),
                       "bo": ("delegate",), "cy": ("delegate",)}.items():
        email = f"{key}@example.org"
        pid = factory.person(slug, *roles, email=email, name=key.title())
        people[key] = SimpleNamespace(id=pid, token=factory.token(email))
    doc = factory.document(slug, TEXT, state="open")
    w = SimpleNamespace(app=app, client=client, factory=factory, slug=slug, doc=doc, **people)
    w.clauses = {c["text"]: c for c in ok(call(w, "GET", f"/api/v1/documents/{doc}", "ada"))["clauses"]}
    w.wages = w.clauses[WAGES]["id"]
    return w


def propose(w, who, clause_id, text=None, kind="modify"):
    body = {"clause_id": clause_id, "kind": kind, **({"text": text} if text is not None else {})}
    a = ok(call(w, "POST", f"/api/v1/documents/{w.doc}/amendments", who, body), 201)
    ok(call(w, "POST", f"/api/v1/amendments/{a['id']}/admit", "chair"))
    return a["id"]


def carry(w, amendment_id, outcome="carried"):
    return call(w, "POST", f"/api/v1/amendments/{amendment_id}/decide", "chair", {"outcome": outcome})


def amendment(w, amendment_id):
    return ok(call(w, "GET", f"/api/v1/amendments/{amendment_id}", "ada"))


def clause_texts(w, version=None):
    query = {"version": version} if version else None
    return [c["text"] for c in ok(call(w, "GET", f"/api/v1/documents/{w.doc}", "ada", query=query))["clauses"]]


def test_a_carried_amendment_makes_a_new_version_and_the_others_follow_the_new_text(hall):
    w = hall
    living = propose(w, "ada", w.wages, WAGES.replace("fair wages", "living wages"))
    village = propose(w, "bo", w.wages, WAGES.replace("every town", "every town and village"))
    decent = propose(w, "cy", w.wages, WAGES.replace("fair wages", "decent pay"))  # meets "living"
    ok(carry(w, living))
    versions = ok(call(w, "GET", f"/api/v1/documents/{w.doc}/versions", "ada"))
    assert [(v["version"], v["amendment_id"]) for v in versions] == [(1, None), (2, living)]
    assert "We demand living wages for all workers in every town." in clause_texts(w)
    assert WAGES in clause_texts(w, 1)  # the draft is kept as it was
    rebased = amendment(w, village)
    assert rebased["applies_cleanly"] is True and rebased["base_version"] == 2
    assert rebased["text"] == "We demand living wages for all workers in every town and village."
    assert "“and village”" in rebased["summary"] and "fair" not in rebased["summary"]
    stuck = amendment(w, decent)
    assert stuck["applies_cleanly"] is False and stuck["base_version"] == 1
    # a carried amendment that no longer applies is never half-applied: the decision is refused
    assert_error(carry(w, decent), 409, "does_not_apply")
    assert amendment(w, decent)["status"] == "admitted"
    assert len(ok(call(w, "GET", f"/api/v1/documents/{w.doc}/versions", "ada"))) == 2
    # the second carry merges the re-based amendment
    ok(carry(w, village))
    assert "We demand living wages for all workers in every town and village." in clause_texts(w)


def test_the_secretary_resolves_an_amendment_that_no_longer_applies(hall):
    w = hall
    living = propose(w, "ada", w.wages, WAGES.replace("fair wages", "living wages"))
    decent = propose(w, "cy", w.wages, WAGES.replace("fair wages", "decent pay"))
    ok(carry(w, living))
    new = "We demand living wages and decent pay for all workers in every town."
    assert_error(call(w, "POST", f"/api/v1/amendments/{decent}/resolve", "chair", {"text": new}), 403, "forbidden")
    resolved = ok(call(w, "POST", f"/api/v1/amendments/{decent}/resolve", "secretary", {"text": new}))
    assert resolved["applies_cleanly"] is True and resolved["base_version"] == 2
    assert "“and decent pay”" in resolved["summary"]
    assert_error(call(w, "POST", f"/api/v1/amendments/{decent}/resolve", "secretary", {"text": new}), 409,
                 "applies_cleanly")
    ok(carry(w, decent))
    assert new in clause_texts(w)
    audit = ok(call(w, "GET", f"/api/v1/meetings/{w.slug}/audit", "chair"))
    actions = [e["action"] for e in (audit["entries"] if isinstance(audit, dict) else audit)]
    assert "amendment.resolved" in actions and actions.count("document.version") == 2


def test_an_amendment_that_no_longer_applies_may_fall_instead(hall):
    w = hall
    living = propose(w, "ada", w.wages, WAGES.replace("fair wages", "living wages"))
    decent = propose(w, "cy", w.wages, WAGES.replace("fair wages", "decent pay"))
    ok(carry(w, living))
    assert ok(carry(w, decent, "fallen"))["status"] == "fallen"


def test_inserted_and_deleted_clauses_shift_numbers_but_keep_their_identity(hall):
    w = hall
    strike = w.clauses["We defend the right to strike."]
    peace = w.clauses["We stand for peace between peoples."]
    new_clause = propose(w, "ada", w.wages, "We organise the unorganised.", kind="insert_after")
    later = propose(w, "bo", peace["id"], "We stand for peace and justice between peoples.")
    ok(carry(w, new_clause))
    after = {c["id"]: c for c in ok(call(w, "GET", f"/api/v1/documents/{w.doc}", "ada"))["clauses"]}
    assert after[strike["id"]]["text"] == strike["text"]  # same identity, same text
    assert after[strike["id"]]["number"] != strike["number"]  # but a new number
    assert after[peace["id"]]["first_line"] > peace["first_line"]
    moved = amendment(w, later)
    assert moved["base_version"] == 2 and moved["applies_cleanly"] is True
    delete = propose(w, "cy", strike["id"], kind="delete")
    ok(carry(w, delete))
    texts = clause_texts(w)
    assert "We defend the right to strike." not in texts and "We organise the unorganised." in texts
    ok(carry(w, later))
    assert "We stand for peace and justice between peoples." in clause_texts(w)


def test_two_versions_compare_word_by_word(hall):
    w = hall
    ok(carry(w, propose(w, "ada", w.wages, WAGES.replace("fair wages", "living wages"))))
    diff = ok(call(w, "GET", f"/api/v1/documents/{w.doc}/diff", "ada", query={"from": 1, "to": 2}))
    assert [-1, "fair"] in diff["ops"] and [1, "living"] in diff["ops"]
    assert "".join(t for op, t in diff["ops"] if op <= 0) == ok_text(w, 1)
    assert "".join(t for op, t in diff["ops"] if op >= 0) == ok_text(w, 2)
    assert_error(call(w, "GET", f"/api/v1/documents/{w.doc}/diff", "ada", query={"from": 1, "to": 9}), 404)
    assert_error(call(w, "GET", f"/api/v1/documents/{w.doc}/diff", "ada", query={"from": "x", "to": 2}), 422)


def ok_text(w, version):
    response = w.client.get(f"/api/v1/documents/{w.doc}/text", query_string={"version": version},
                            headers=bearer(w.ada.token))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_final_document_carries_the_sha256_of_its_adopted_text(hall):
    w = hall
    ok(carry(w, propose(w, "ada", w.wages, WAGES.replace("fair wages", "living wages"))))
    ok(call(w, "POST", f"/api/v1/documents/{w.doc}/state", "chair", {"state": "closed"}))
    w.factory.adopt(w.doc)  # the meeting carries the document as amended
    doc = ok(call(w, "POST", f"/api/v1/documents/{w.doc}/state", "secretary", {"state": "final"}))
    adopted = ok_text(w, 2)
    assert doc["fingerprint"] == hashlib.sha256(adopted.encode("utf-8")).hexdigest()
    assert doc["current_version"] == 2


def test_the_resolve_page_shows_the_amendment_the_clause_now_and_a_proposal(hall, auth, client):
    w = hall
    living = propose(w, "ada", w.wages, WAGES.replace("fair wages", "living wages"))
    decent = propose(w, "cy", w.wages, WAGES.replace("fair wages", "decent pay"))
    ok(carry(w, living))
    auth.login("secretary@example.org")
    page = client.get(f"/amendments/{decent}").get_data(as_text=True)
    assert f"/amendments/{decent}/resolve" in page  # the secretary is offered the editor
    page = client.get(f"/amendments/{decent}/resolve").get_data(as_text=True)
    assert "We demand living wages for all workers in every town." in page  # the clause now
    assert "decent pay" in page  # the amendment as written
    response = auth.post(f"/amendments/{decent}/resolve",
                         {"text": "We demand living wages and decent pay for all workers in every town."})
    assert response.status_code == 302
    assert amendment(w, decent)["applies_cleanly"] is True
    # nothing left to resolve: the page sends the secretary back
    assert client.get(f"/amendments/{decent}/resolve").status_code == 302
    auth.logout()
    auth.login("ada@example.org")
    assert client.get(f"/amendments/{decent}/resolve").status_code == 403


def test_a_bad_resolution_is_refused_with_a_clear_message_and_changes_nothing(hall, auth, client):
    w = hall
    living = propose(w, "ada", w.wages, WAGES.replace("fair wages", "living wages"))
    decent = propose(w, "cy", w.wages, WAGES.replace("fair wages", "decent pay"))
    ok(carry(w, living))
    before = amendment(w, decent)
    for text in ("", "   ", "nul\x00here", "We demand living wages for all workers in every town."):
        response = call(w, "POST", f"/api/v1/amendments/{decent}/resolve", "secretary", {"text": text})
        assert_error(response, 422, "validation_failed", {"text"})
    assert amendment(w, decent) == before
    auth.login("secretary@example.org")
    response = auth.post(f"/amendments/{decent}/resolve", {"text": ""})
    assert response.status_code == 422
    assert "Enter the clause as it should read" in response.get_data(as_text=True)
    assert amendment(w, decent) == before

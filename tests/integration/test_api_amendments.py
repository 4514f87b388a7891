"""API amendments: propose (modify, insert_after, delete), list in the order of business with
filters and collisions, read, second, unsecond, withdraw, admit, rule out, revise, composite;
the preview; document diffs; and the OpenAPI description of all of them.

Every 2xx body is validated against the schema that /api/v1/openapi.json publishes for the call;
every refusal has the contract's error body and leaves every table as it was.
"""
from __future__ import annotations

import json
import re
import unicodedata
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator

from motions.extensions import db
from motions.text.diff import apply_patch
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("fast_hashing")

# The contract's amendment fields (api-v1.md, "Amendments"), and what this app adds that the tests rely on.
CONTRACT_FIELDS = {"id", "number", "document_id", "clause_id", "kind", "status", "title", "reason", "mover",
                   "seconders", "base_version", "text", "ops", "summary", "conflicts_with", "applies_cleanly"}
EXTRA_FIELDS = {"first_line", "last_line", "composite_id", "composited_from", "revision", "ruling"}

# Line width 40 (set on the meeting): clause 1.1 wraps onto lines 2 and 3, the rest take a line each.
TEXT = (
    "# Platform\n"
    "\n"
    "We fight for all workers in every country of the world.\n"
    "\n"
    "We stand for peace and for freedom.\n"
    "\n"
    "- Housing for all.\n"
    "- Free schooling.\n"
)
FIGHT = "We fight for all workers in every country of the world."
PEACE = "We stand for peace and for freedom."
HOUSING = "Housing for all."
SCHOOLING = "Free schooling."

PEOPLE = {
    # key: (roles, organisation)
    "mover": (("delegate",), "Red Union"),
    "second": (("delegate",), "Green Union"),
    "third": (("delegate",), "Green Union"),
    "chair": (("chair",), "Chairs"),
    "secretary": (("secretary",), "Office"),
}


# ------------------------------------------------------------------ the published schemas

_SPEC: dict = {}


def published(client) -> dict:
    """/api/v1/openapi.json, fetched once (the routes are registered at import, the same for every app)."""
    if not _SPEC:
        response = client.get("/api/v1/openapi.json")
        assert response.status_code == 200
        _SPEC.update(response.get_json())
    return _SPEC


def _template(spec: dict, path: str) -> str:
    path = path.split("?")[0]
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not described in /api/v1/openapi.json")


def validate_2xx(client, method: str, path: str, response) -> None:
    """A 2xx body must match the schema published for that call and status."""
    spec = published(client)
    op = spec["paths"][_template(spec, path)][method.lower()]
    assert str(response.status_code) in op["responses"], (path, response.status_code)
    content = op["responses"][str(response.status_code)]["content"]
    assert response.mimetype in content, (path, response.mimetype)
    schema = content[response.mimetype]["schema"]
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(response.get_json())


# ------------------------------------------------------------------ the world

@pytest.fixture
def world(app, client, factory):
    slug = factory.meeting("congress", title="Congress", line_width=40)
    people = {}
    for key, (roles, organisation) in PEOPLE.items():
        email = f"{key}@example.org"
        person_id = factory.person(slug, *roles, email=email, name=key.title(), organisation=organisation)
        people[key] = SimpleNamespace(id=person_id, email=email, token=factory.token(email),
                                      ref={"id": person_id, "name": key.title(), "organisation": organisation})
    other = factory.meeting("other-meeting")
    factory.person(other, "delegate", "chair", "secretary", "organiser", email="outsider@example.org")
    people["outsider"] = SimpleNamespace(token=factory.token("outsider@example.org"))
    doc = factory.document(slug, TEXT, state="open")
    w = SimpleNamespace(app=app, client=client, factory=factory, slug=slug, other=other, doc=doc, **people)
    clauses = call(w, "GET", f"/api/v1/documents/{doc}").get_json()["clauses"]
    assert [c["text"] for c in clauses] == ["Platform", FIGHT, PEACE, HOUSING, SCHOOLING]
    w.heading, w.fight, w.peace, w.housing, w.schooling = (c["id"] for c in clauses)
    w.clauses = clauses
    return w


def call(world, method: str, path: str, who: str | None = "mover", body=None, *, raw: bytes | None = None,
         query: dict | None = None, headers: dict | None = None):
    """One API request as `who` (None: without a token); a 2xx answer is checked against the published schema."""
    headers = dict(headers or {})
    if who is not None:
        headers.update(bearer(getattr(world, who).token))
    kwargs = {"headers": headers, "query_string": query}
    if raw is not None:
        kwargs.update(data=raw, content_type="application/json")
    elif body is not None:
        kwargs["json"] = body
    response = world.client.open(path, method=method, **kwargs)
    if 200 <= response.status_code < 300:
        validate_2xx(world.client, method, path, response)
    return response


def ok(response, status: int = 200):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def propose(world, who="mover", doc=None, **body):
    return call(world, "POST", f"/api/v1/documents/{doc or world.doc}/amendments", who, body)


def proposed(world, who="mover", **body) -> dict:
    amendment = ok(propose(world, who, **body), 201)
    assert CONTRACT_FIELDS | EXTRA_FIELDS | {"history"} <= set(amendment)
    return amendment


def modify(world, old: str, new: str, clause: str = "fight", who: str = "mover", **body) -> dict:
    text = {"fight": FIGHT, "peace": PEACE, "housing": HOUSING, "schooling": SCHOOLING}[clause]
    assert old in text
    return proposed(world, who, clause_id=getattr(world, clause), kind="modify", text=text.replace(old, new, 1),
                    **body)


def act(world, amendment_id: int, action: str, who: str, body=None):
    return call(world, "POST", f"/api/v1/amendments/{amendment_id}/{action}", who, body)


def get(world, amendment_id: int, who: str = "mover") -> dict:
    return ok(call(world, "GET", f"/api/v1/amendments/{amendment_id}", who))


def listing(world, who: str = "mover", doc=None, **query) -> list[dict]:
    return ok(call(world, "GET", f"/api/v1/documents/{doc or world.doc}/amendments", who, query=query))


def set_state(world, state: str, doc=None) -> None:
    if state == "final":
        world.factory.adopt(doc or world.doc)  # the meeting carries the document as amended first
    ok(call(world, "POST", f"/api/v1/documents/{doc or world.doc}/state", "chair", {"state": state}))


def count(app) -> int:
    from motions.amendments.models import Amendment

    with app.app_context():
        n = db.session.execute(db.select(db.func.count()).select_from(Amendment)).scalar_one()
        db.session.remove()
        return n


@contextmanager
def nothing_stored(app):
    """The block's requests are refused: the same number of amendments, and every row as it was."""
    before, n = snapshot(app), count(app)
    yield
    assert count(app) == n
    assert snapshot(app) == before


def stored(app, amendment_id: int) -> SimpleNamespace:
    """What the database keeps beyond the JSON: the patch, the ranges, the earlier wordings."""
    from motions.amendments.models import Amendment
    from motions.documents.models import ClauseText, DocumentVersion

    with app.app_context():
        a = db.session.get(Amendment, amendment_id)
        base = None
        if a.clause_id is not None:
            base = db.session.execute(
                db.select(ClauseText.text).join(DocumentVersion, ClauseText.version_id == DocumentVersion.id)
                .where(DocumentVersion.document_id == a.document_id, DocumentVersion.number == a.base_version,
                       ClauseText.clause_id == a.clause_id)).scalar_one()
        out = SimpleNamespace(patch=a.patch, ranges=a.ranges, base=base, text=a.text,
                              revisions=[(r.revision, r.text, r.title) for r in a.revisions])
        db.session.remove()
        return out


def clause_ids(world, document_id: int) -> list[int]:
    """The clause ids of a document's current version, read directly (the API would refuse an outsider's)."""
    from motions.documents.models import Document

    with world.app.app_context():
        ids = [ct.clause_id for ct in db.session.get(Document, document_id).version().clause_texts]
        db.session.remove()
        return ids


def add_version(world, clause_id: int, new_text: str) -> None:
    """Version 2 of the document, with one paragraph's text changed: what carrying an amendment will do
    (issue 4), made directly so that a really stale base version and a real diff can be tested now."""
    from motions.documents.models import ClauseText, Document, DocumentVersion

    with world.app.app_context():
        document = db.session.get(Document, world.doc)
        old = document.version()
        new = DocumentVersion(document_id=document.id, number=old.number + 1, reason="amendment carried",
                              line_width=old.line_width)
        for row in old.clause_texts:
            changed = row.clause_id == clause_id
            new.clause_texts.append(ClauseText(
                clause_id=row.clause_id, position=row.position, kind=row.kind, level=row.level, marker=row.marker,
                number=row.number, heading=row.heading, text=new_text if changed else row.text,
                source=new_text if changed else row.source, separator=row.separator, first_line=row.first_line,
                last_line=row.last_line))
        db.session.add(new)
        document.current_version = new.number
        db.session.commit()
        db.session.remove()


def set_meeting(app, slug: str, **values) -> None:
    from motions.meetings.models import Meeting

    with app.app_context():
        meeting = db.session.execute(db.select(Meeting).filter_by(slug=slug)).scalar_one()
        for key, value in values.items():
            setattr(meeting, key, value)
        db.session.commit()
        db.session.remove()


def rebuilds(ops, old: str, new: str) -> None:
    assert "".join(t for op, t in ops if op <= 0) == old
    assert "".join(t for op, t in ops if op >= 0) == new


def events(amendment: dict) -> list[tuple]:
    return [(e["action"], e["from_status"], e["to_status"], (e["person"] or {}).get("id")) for e in
            amendment["history"]]


# ------------------------------------------------------------------ POST /documents/{id}/amendments

def test_propose_modify_201_with_every_contract_field(world):
    new = "We fight for every worker in every country of the world."
    response = propose(world, clause_id=world.fight, kind="modify", text=new, title="Every worker",
                       reason="Plainer.\n\nAnd shorter.")
    a = ok(response, 201)
    assert CONTRACT_FIELDS | EXTRA_FIELDS | {"history"} <= set(a)
    assert isinstance(a["id"], int) and a["id"] >= 1
    assert a["number"] == "A1"
    assert (a["document_id"], a["clause_id"], a["kind"], a["status"]) == (world.doc, world.fight, "modify",
                                                                          "submitted")
    assert (a["title"], a["reason"]) == ("Every worker", "Plainer.\n\nAnd shorter.")
    assert a["mover"] == world.mover.ref
    assert a["seconders"] == [] and a["seconders_required"] == 0
    assert a["base_version"] == 1
    assert a["text"] == new
    # word-level: whole words replaced, never letters
    assert a["ops"] == [[0, "We fight for "], [-1, "all workers"], [1, "every worker"],
                        [0, " in every country of the world."]]
    rebuilds(a["ops"], FIGHT, new)
    assert a["summary"] == "Line 2: delete “all workers”, insert “every worker”."
    assert a["conflicts_with"] == [] and a["applies_cleanly"] is True
    assert (a["first_line"], a["last_line"]) == (2, 2)
    assert (a["clause_number"], a["composite_id"], a["composited_from"], a["revision"], a["ruling"]) == (
        "1.1", None, [], 1, "")
    assert events(a) == [("submitted", None, "submitted", world.mover.id)]
    # the stored patch turns the clause at the base version into the new text
    kept = stored(world.app, a["id"])
    assert kept.base == FIGHT and kept.text == new
    assert apply_patch(kept.patch, kept.base) == (new, True)
    assert kept.ranges == [[13, 24]]  # "all workers" in the clause
    # and it reads back the same, from every role of the meeting
    for who in ("mover", "second", "chair", "secretary"):
        assert get(world, a["id"], who) == a


def test_propose_modify_on_the_second_display_line_and_over_two_lines(world):
    a = modify(world, "world.", "earth.")
    assert a["ops"] == [[0, "We fight for all workers in every country of the "], [-1, "world"], [1, "earth"],
                        [0, "."]]
    assert a["summary"] == "Line 3: delete “world”, insert “earth”."
    assert (a["first_line"], a["last_line"]) == (3, 3)
    b = modify(world, "every country of", "each land across", who="second")
    assert b["summary"] == "Lines 2–3: delete “every country of”, insert “each land across”."
    assert (b["first_line"], b["last_line"]) == (2, 3)
    assert b["number"] == "A2" and b["mover"] == world.second.ref


def test_propose_modify_with_an_insertion_and_two_separate_changes(world):
    a = modify(world, "peace and", "lasting peace and", clause="peace")
    assert a["ops"] == [[0, "We stand for "], [1, "lasting "], [0, "peace and for freedom."]]
    assert a["summary"] == "Line 4: after “for”, insert “lasting”."
    b = proposed(world, "second", clause_id=world.peace, kind="modify", text="We stood for peace and for justice.")
    assert b["ops"] == [[0, "We "], [-1, "stand"], [1, "stood"], [0, " for peace and for "], [-1, "freedom"],
                        [1, "justice"], [0, "."]]
    rebuilds(b["ops"], PEACE, b["text"])
    assert b["summary"] == ("Line 4: delete “stand”, insert “stood”. "
                            "Line 4: delete “freedom”, insert “justice”.")


def test_propose_insert_after_a_clause_and_at_the_start(world):
    after = proposed(world, clause_id=world.peace, kind="insert_after", text="We stand with refugees.")
    assert (after["kind"], after["clause_id"], after["status"], after["text"]) == (
        "insert_after", world.peace, "submitted", "We stand with refugees.")
    assert after["ops"] == [[1, "We stand with refugees."]]
    assert after["summary"] == "Insert after line 4: “We stand with refugees.”."
    assert after["conflicts_with"] == [] and after["applies_cleanly"] is True
    start = proposed(world, "second", clause_id=None, kind="insert_after", text="Preamble of the platform.")
    assert (start["kind"], start["clause_id"], start["clause_number"]) == ("insert_after", None, None)
    assert start["ops"] == [[1, "Preamble of the platform."]]
    assert start["summary"] == "Insert at the start: “Preamble of the platform.”."
    assert (start["number"], start["base_version"], start["mover"]) == ("A2", 1, world.second.ref)
    assert get(world, start["id"])["clause_id"] is None


def test_propose_delete(world):
    # a text sent with a deletion is not kept: a deletion has none
    a = proposed(world, clause_id=world.fight, kind="delete", text="ignored", reason="Says nothing.")
    assert (a["kind"], a["clause_id"], a["text"], a["reason"]) == ("delete", world.fight, "", "Says nothing.")
    assert a["ops"] == [[-1, FIGHT]]
    rebuilds(a["ops"], FIGHT, "")
    assert a["summary"] == "Delete lines 2–3."
    assert (a["first_line"], a["last_line"]) == (2, 3)
    kept = stored(world.app, a["id"])
    assert apply_patch(kept.patch, FIGHT) == ("", True)
    one_line = proposed(world, clause_id=world.schooling, kind="delete")
    assert one_line["summary"] == "Delete line 6."


def test_propose_text_is_one_nfc_line(world):
    decomposed = unicodedata.normalize("NFD", "We fight for every worker, café owners too, in every country of "
                                              "the world.")
    a = proposed(world, clause_id=world.fight, kind="modify", text="  " + decomposed.replace(" owners", "\nowners")
                 + "\n", title=unicodedata.normalize("NFD", "Cafés"))
    assert a["text"] == "We fight for every worker, café owners too, in every country of the world."
    assert a["title"] == "Cafés"
    # the clause's own text, only decomposed or broken over lines, changes nothing
    with nothing_stored(world.app):
        for same in (unicodedata.normalize("NFD", FIGHT), FIGHT.replace(" in every", "\nin every"), FIGHT + "\n"):
            response = propose(world, clause_id=world.fight, kind="modify", text=same)
            error = assert_error(response, 422, "validation_failed", {"text"})
            assert "changes nothing" in error["fields"]["text"]


def test_propose_against_an_older_version_409_stale_base_version(world):
    before = modify(world, "all workers", "every worker")  # written against version 1
    add_version(world, world.peace, "We stand for peace and for justice.")
    with nothing_stored(world.app):
        response = propose(world, clause_id=world.peace, kind="modify", base_version=1,
                           text="We stand for lasting peace and for freedom.")
        error = assert_error(response, 409, "stale_base_version", set())
        assert "version 1" in error["message"] and "version 2" in error["message"]
        response = act(world, before["id"], "revise", "mover", {"text": FIGHT.replace("all", "most"),
                                                                "base_version": 1})
        assert_error(response, 409, "stale_base_version", set())
    # the current version, named or not, is fine; the amendment is written against it
    a = proposed(world, clause_id=world.peace, kind="modify", base_version=2,
                 text="We stand for lasting peace and for justice.")
    assert (a["base_version"], a["ops"]) == (2, [[0, "We stand for "], [1, "lasting "],
                                                 [0, "peace and for justice."]])
    b = proposed(world, "second", clause_id=world.fight, kind="modify", text=FIGHT.replace("all workers", "all people"))
    assert b["base_version"] == 2
    # written against different versions, the two changes to "all workers" are not compared
    assert b["conflicts_with"] == [] and get(world, before["id"])["conflicts_with"] == []
    assert get(world, before["id"])["base_version"] == 1


def test_propose_base_version_below_1_is_invalid_422(world):
    with nothing_stored(world.app):
        for bad in (0, -1):
            response = propose(world, clause_id=world.fight, kind="delete", base_version=bad)
            assert_error(response, 422, "validation_failed", {"base_version"})


# ------------------------------------------------------------------ refusals of a proposal

MALFORMED = [b"{", b"", b"   ", b"[]", b'"a text"', b"null", b"{'clause_id': 1}", b'{"kind": "delete",}',
             b'{"clause_id": NaN, "kind": "delete"}', b"\xff\xfe"]


def test_propose_malformed_json_400(world):
    with nothing_stored(world.app):
        for raw in MALFORMED:
            response = call(world, "POST", f"/api/v1/documents/{world.doc}/amendments", raw=raw)
            assert_error(response, 400, "malformed_json", set())


def test_propose_without_a_valid_token_401(world):
    body = {"clause_id": world.fight, "kind": "delete"}
    path = f"/api/v1/documents/{world.doc}/amendments"
    with nothing_stored(world.app):
        assert_error(call(world, "POST", path, None, body), 401, "unauthorized")
        assert_error(call(world, "POST", path, None, body, headers={"Authorization": "Bearer not-a-token"}),
                     401, "invalid_token")
        assert_error(call(world, "POST", path, None, body, headers={"Authorization": "Basic bWU6cHc="}),
                     401, "unauthorized")
        response = call(world, "POST", path, None, body)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_propose_with_the_session_cookie_needs_the_csrf_token(world, auth):
    auth.login(world.mover.email)
    path = f"/api/v1/documents/{world.doc}/amendments"
    with nothing_stored(world.app):
        response = call(world, "POST", path, None, {"clause_id": world.fight, "kind": "delete"})
        assert_error(response, 400, "csrf_failed", set())
    headers = {"X-CSRFToken": csrf_token(world.client, "/")}
    a = ok(call(world, "POST", path, None, {"clause_id": world.fight, "kind": "delete"}, headers=headers), 201)
    assert a["mover"] == world.mover.ref
    assert ok(call(world, "GET", f"/api/v1/amendments/{a['id']}", None))["id"] == a["id"]  # GET: no token needed


def test_propose_forbidden_to_everyone_but_delegates_403(world):
    with nothing_stored(world.app):
        for who in ("chair", "secretary", "outsider"):
            response = propose(world, who, clause_id=world.fight, kind="delete")
            assert_error(response, 403, "forbidden", set())


def test_a_chair_who_is_also_a_delegate_may_propose(world):
    world.factory.person(world.slug, "chair", "delegate", email="both@example.org")
    world.both = SimpleNamespace(token=world.factory.token("both@example.org"))
    assert proposed(world, "both", clause_id=world.fight, kind="delete")["status"] == "submitted"


def test_propose_to_an_unknown_document_404(world):
    with nothing_stored(world.app):
        for doc in (999, 2147483647, 2147483648, 10**25):
            response = propose(world, doc=doc, clause_id=world.fight, kind="delete")
            assert_error(response, 404, "not_found", set())


def test_propose_when_the_document_is_not_open_409(world):
    draft = world.factory.document(world.slug, "# Draft\n\nNot yet open.\n", title="Draft motion", kind="motion")
    draft_clause = ok(call(world, "GET", f"/api/v1/documents/{draft}"))["clauses"][1]["id"]
    with nothing_stored(world.app):
        error = assert_error(propose(world, doc=draft, clause_id=draft_clause, kind="delete"), 409,
                             "amendments_closed", set())
        assert "draft" in error["message"].lower()
    set_state(world, "closed")
    with nothing_stored(world.app):
        error = assert_error(propose(world, clause_id=world.fight, kind="delete"), 409, "amendments_closed", set())
        assert "closed" in error["message"].lower()
    set_state(world, "final")
    with nothing_stored(world.app):
        assert_error(propose(world, clause_id=world.fight, kind="delete"), 409, "amendments_closed", set())


def test_propose_text_rules_422(world):
    cases = [
        ({"kind": "modify", "text": FIGHT}, "changes nothing"),
        ({"kind": "modify", "text": ""}, "clause as it should read"),
        ({"kind": "modify", "text": " \n\t "}, "clause as it should read"),
        ({"kind": "modify"}, "clause as it should read"),
        ({"kind": "modify", "text": None}, None),
        ({"kind": "insert_after", "text": ""}, "new clause"),
        ({"kind": "insert_after"}, "new clause"),
        ({"kind": "modify", "text": "x" * 20_001}, "20000"),
        ({"kind": "insert_after", "text": "y " * 10_001}, "20000"),
        ({"kind": "modify", "text": "We fight\u0000 for all"}, "NUL"),
        ({"kind": "modify", "text": "We fight \u0007for all"}, "control characters"),
        ({"kind": "modify", "text": "We fight \u009bfor all"}, "control characters"),
        ({"kind": "modify", "text": 42}, None),
        ({"kind": "modify", "text": ["We", "fight"]}, None),
    ]
    with nothing_stored(world.app):
        for body, says in cases:
            response = propose(world, clause_id=world.fight, **body)
            error = assert_error(response, 422, "validation_failed", {"text"})
            if says:
                assert says in error["fields"]["text"].replace(",", ""), (body, error)


def test_propose_text_of_exactly_20000_characters_201(world):
    long = ("Solidarity " * 2000)[:20_000]
    a = proposed(world, clause_id=world.fight, kind="modify", text=long)
    assert len(long) == 20_000 and a["text"] == long
    rebuilds(a["ops"], FIGHT, a["text"])


def test_propose_clause_rules_422(world):
    other_doc = world.factory.document(world.slug, "# Motion\n\nA motion.\n", title="Motion", kind="motion",
                                       state="open")
    foreign_doc = world.factory.document(world.other, "# Elsewhere\n\nAnother meeting.\n", state="open")
    other_clause = ok(call(world, "GET", f"/api/v1/documents/{other_doc}"))["clauses"][1]["id"]
    foreign_clause = clause_ids(world, foreign_doc)[1]
    assert foreign_clause not in {c["id"] for c in world.clauses} | {other_clause}
    cases = [
        {"clause_id": other_clause, "kind": "delete"},
        {"clause_id": other_clause, "kind": "modify", "text": "Changed."},
        {"clause_id": other_clause, "kind": "insert_after", "text": "New."},
        {"clause_id": foreign_clause, "kind": "delete"},
        {"clause_id": 999_999, "kind": "delete"},
        {"clause_id": 2**31, "kind": "delete"},
        {"clause_id": 0, "kind": "delete"},
        {"clause_id": -3, "kind": "delete"},
        {"clause_id": None, "kind": "modify", "text": "Changed."},
        {"clause_id": None, "kind": "delete"},
        {"kind": "delete"},
        {"clause_id": str(world.fight), "kind": "delete"},
        {"clause_id": True, "kind": "delete"},
        {"clause_id": 2.5, "kind": "delete"},
        {"clause_id": [world.fight], "kind": "delete"},
    ]
    with nothing_stored(world.app):
        for body in cases:
            assert_error(propose(world, **body), 422, "validation_failed", {"clause_id"})
    # in the other document of the same meeting, the same clause is fine
    assert proposed(world, doc=other_doc, clause_id=other_clause, kind="delete")["document_id"] == other_doc


def test_propose_kind_title_reason_and_several_fields_422(world):
    cases = [
        ({"clause_id": world.fight, "kind": "replace", "text": "x"}, {"kind"}),
        ({"clause_id": world.fight, "kind": "MODIFY", "text": "x"}, {"kind"}),
        ({"clause_id": world.fight, "kind": None}, {"kind"}),
        ({"clause_id": world.fight, "kind": 1}, {"kind"}),
        ({"clause_id": world.fight, "text": "x"}, {"kind"}),
        ({"clause_id": world.fight, "kind": "delete", "title": "t" * 301}, {"title"}),
        ({"clause_id": world.fight, "kind": "delete", "title": "nul\u0000"}, {"title"}),
        ({"clause_id": world.fight, "kind": "delete", "title": "bell\u0007"}, {"title"}),
        ({"clause_id": world.fight, "kind": "delete", "title": 5}, {"title"}),
        ({"clause_id": world.fight, "kind": "delete", "reason": "r" * 20_001}, {"reason"}),
        ({"clause_id": world.fight, "kind": "delete", "reason": "nul\u0000"}, {"reason"}),
        ({"clause_id": world.fight, "kind": "delete", "reason": {"a": 1}}, {"reason"}),
        ({"clause_id": world.fight, "kind": "delete", "base_version": "1"}, {"base_version"}),
        ({}, {"clause_id", "kind"}),
        ({"clause_id": "x", "kind": "replace"}, {"clause_id", "kind"}),
        # a wrong type and the operation's own checks are reported together
        ({"clause_id": world.fight, "kind": "modify", "text": FIGHT, "title": 7}, {"text", "title"}),
        ({"clause_id": 999_999, "kind": "delete", "reason": "\u0000"}, {"clause_id", "reason"}),
    ]
    with nothing_stored(world.app):
        for body, fields in cases:
            assert_error(propose(world, **body), 422, "validation_failed", fields)


def test_propose_body_over_the_limit_413(world):
    world.app.config["MAX_CONTENT_LENGTH"] = 4096
    raw = json.dumps({"clause_id": world.fight, "kind": "modify", "text": "x " * 4000}).encode()
    with nothing_stored(world.app):
        response = call(world, "POST", f"/api/v1/documents/{world.doc}/amendments", raw=raw)
        error = assert_error(response, 413, "too_large", set())
        assert "0.00390625 MB" in error["message"]


def test_nothing_is_proposed_for_a_document_of_another_meeting_403(world):
    foreign_doc = world.factory.document(world.other, "# Elsewhere\n\nAnother meeting.\n", state="open")
    with nothing_stored(world.app):
        assert_error(propose(world, doc=foreign_doc, clause_id=world.fight, kind="delete"), 403, "forbidden")


# ------------------------------------------------------------------ POST /documents/{id}/amendments/preview

def test_preview_stores_nothing_and_names_collisions(world):
    first = modify(world, "all workers", "every worker")
    with nothing_stored(world.app):
        response = call(world, "POST", f"/api/v1/documents/{world.doc}/amendments/preview", "second",
                        {"clause_id": world.fight, "kind": "modify",
                         "text": FIGHT.replace("all workers", "all people")})
        preview = ok(response)
        assert preview == {"ops": [[0, "We fight for all "], [-1, "workers"], [1, "people"],
                                   [0, " in every country of the world."]],
                           "summary": "Line 2: delete “workers”, insert “people”.",
                           "conflicts_with": [first["id"]], "first_line": 2, "last_line": 2}
        response = call(world, "POST", f"/api/v1/documents/{world.doc}/amendments/preview", "second",
                        {"clause_id": world.fight, "kind": "modify", "text": FIGHT})
        assert_error(response, 422, "validation_failed", {"text"})
        response = call(world, "POST", f"/api/v1/documents/{world.doc}/amendments/preview", "chair",
                        {"clause_id": world.fight, "kind": "delete"})
        assert_error(response, 403, "forbidden")


# ------------------------------------------------------------------ GET /documents/{id}/amendments

def test_list_in_the_order_of_business_not_of_submission(world):
    # submitted back to front
    schooling = modify(world, "Free", "Free and secular", clause="schooling")
    after_fight = proposed(world, "second", clause_id=world.fight, kind="insert_after", text="A new clause.")
    fight_end = modify(world, "world.", "earth.")
    fight_start = modify(world, "We fight", "We struggle", who="third")
    delete_fight = proposed(world, "second", clause_id=world.fight, kind="delete")
    fight_start_too = modify(world, "We fight", "We battle", who="second")  # same place: after the earlier one
    at_start = proposed(world, clause_id=None, kind="insert_after", text="Preamble.")
    peace = modify(world, "peace", "lasting peace", clause="peace")
    expected = [at_start, delete_fight, fight_start, fight_start_too, fight_end, after_fight, peace, schooling]
    listed = listing(world)
    assert [a["id"] for a in listed] == [a["id"] for a in expected]
    # the numbers are provisional (sequential numbering): still the submission order
    assert [a["number"] for a in listed] == ["A7", "A5", "A4", "A6", "A3", "A2", "A8", "A1"]
    # the list gives every contract field; the history only comes with one amendment
    assert all(CONTRACT_FIELDS | EXTRA_FIELDS <= set(a) and "history" not in a for a in listed)
    one = get(world, fight_end["id"])
    assert {k: v for k, v in one.items() if k != "history"} == listed[4]
    assert listing(world, "secretary") == listed == listing(world, "chair")


def test_closing_numbers_the_amendments_in_text_order(world):
    schooling = modify(world, "Free", "Free and secular", clause="schooling")
    fight = proposed(world, "second", clause_id=world.fight, kind="delete")
    at_start = proposed(world, clause_id=None, kind="insert_after", text="Preamble.")
    assert [schooling["number"], fight["number"], at_start["number"]] == ["A1", "A2", "A3"]
    set_state(world, "closed")
    listed = listing(world)
    assert [(a["id"], a["number"]) for a in listed] == [(at_start["id"], "A1"), (fight["id"], "A2"),
                                                        (schooling["id"], "A3")]
    history = get(world, schooling["id"])["history"]
    assert [(e["action"], e["note"]) for e in history] == [("submitted", ""), ("renumbered", "A3")]
    assert get(world, fight["id"])["history"][-1]["action"] == "submitted"  # A2 stayed A2: nothing recorded


def test_closing_keeps_the_number_of_an_amendment_already_dealt_with(world):
    schooling = modify(world, "Free", "Free and secular", clause="schooling")  # A1, last in the text
    withdrawn = modify(world, "peace", "lasting peace", clause="peace")  # A2
    fight = proposed(world, "second", clause_id=world.fight, kind="delete")  # A3
    at_start = proposed(world, clause_id=None, kind="insert_after", text="Preamble.")  # A4
    ok(act(world, schooling["id"], "admit", "chair"))
    ok(act(world, schooling["id"], "decide", "chair", {"outcome": "lost"}))  # decided as A1
    ok(act(world, withdrawn["id"], "withdraw", "mover"))
    set_state(world, "closed")
    numbers = {a["id"]: a["number"] for a in listing(world)}
    # A1 and A2 are in the record under those numbers; the pending ones take the free numbers in text order
    assert (numbers[schooling["id"]], numbers[withdrawn["id"]]) == ("A1", "A2")
    assert (numbers[at_start["id"]], numbers[fight["id"]]) == ("A3", "A4")
    assert [e["action"] for e in get(world, schooling["id"])["history"]] == ["submitted", "admitted", "lost"]


def test_numbering_by_line(world):
    from motions.meetings.models import Numbering

    set_meeting(world.app, world.slug, numbering=Numbering.by_line)

    a = modify(world, "world.", "earth.")  # line 3
    b = modify(world, "all workers", "every worker", who="second")  # line 2
    c = modify(world, "every country", "each country", who="third")  # line 2
    d = proposed(world, clause_id=world.housing, kind="delete")  # line 5
    e = proposed(world, clause_id=None, kind="insert_after", text="Preamble.")
    assert [x["number"] for x in (a, b, c, d, e)] == ["L3-1", "L2-1", "L2-2", "L5-1", "L1-1"]


def test_list_filters(world):
    a = modify(world, "all workers", "every worker")  # mover, Red Union, fight
    b = modify(world, "peace", "lasting peace", clause="peace", who="second")  # Green Union
    c = proposed(world, "third", clause_id=world.fight, kind="delete")  # Green Union, fight
    d = proposed(world, clause_id=world.schooling, kind="delete")  # mover
    ok(act(world, c["id"], "withdraw", "third"))
    ok(act(world, d["id"], "admit", "chair"))

    def ids(**query):
        return [x["id"] for x in listing(world, **query)]

    assert ids() == [c["id"], a["id"], b["id"], d["id"]]
    assert ids(status="submitted") == [a["id"], b["id"]]
    assert ids(status="withdrawn") == [c["id"]]
    assert ids(status="admitted") == [d["id"]]
    assert ids(status="ruled_out") == []
    assert ids(status="") == ids()
    assert ids(clause_id=world.fight) == [c["id"], a["id"]]
    assert ids(clause_id=world.housing) == []
    assert ids(mover_id=world.mover.id) == [a["id"], d["id"]]
    assert ids(mover_id=world.second.id) == [b["id"]]
    assert ids(mover_id=world.chair.id) == []
    assert ids(organisation="Green Union") == [c["id"], b["id"]]
    assert ids(organisation="Red Union") == [a["id"], d["id"]]
    assert ids(organisation="Nobody") == []
    assert ids(organisation="Green Union", clause_id=world.fight) == [c["id"]]
    assert ids(status="submitted", mover_id=world.mover.id, clause_id=world.fight) == [a["id"]]


def test_list_filter_validation_422(world):
    for query, field in [({"status": "pending"}, "status"), ({"status": "SUBMITTED"}, "status"),
                         ({"clause_id": "abc"}, "clause_id"), ({"clause_id": "1.5"}, "clause_id"),
                         ({"clause_id": "0"}, "clause_id"), ({"clause_id": "-1"}, "clause_id"),
                         ({"clause_id": "99999999999"}, "clause_id"), ({"clause_id": "١"}, "clause_id"),
                         ({"mover_id": "me"}, "mover_id"), ({"organisation": "Red\u0000"}, "organisation")]:
        response = call(world, "GET", f"/api/v1/documents/{world.doc}/amendments", query=query)
        error = assert_error(response, 422, "validation_failed", {field})
        if field == "status":
            assert "submitted" in error["fields"]["status"] and "composited" in error["fields"]["status"]


def test_list_refusals(world):
    path = f"/api/v1/documents/{world.doc}/amendments"
    assert_error(call(world, "GET", path, None), 401, "unauthorized")
    assert_error(call(world, "GET", path, "outsider"), 403, "forbidden")
    assert_error(call(world, "GET", "/api/v1/documents/999/amendments"), 404, "not_found")


# ------------------------------------------------------------------ collisions

def test_conflicts_with_on_both_sides(world):
    a = modify(world, "all workers", "every worker")
    b = modify(world, "workers", "people", who="second")  # inside a's change
    c = modify(world, "world", "earth", who="third")  # another word of the clause
    d = proposed(world, "second", clause_id=world.fight, kind="delete")  # collides with every change to it
    e = proposed(world, "third", clause_id=world.fight, kind="insert_after", text="A new clause.")
    f = modify(world, "peace", "lasting peace", clause="peace")  # another clause
    assert (a["conflicts_with"], b["conflicts_with"], c["conflicts_with"]) == ([], [a["id"]], [])
    expected = {a["id"]: [b["id"], d["id"]], b["id"]: [a["id"], d["id"]], c["id"]: [d["id"]],
                d["id"]: [a["id"], b["id"], c["id"]], e["id"]: [], f["id"]: []}
    assert {x["id"]: x["conflicts_with"] for x in listing(world)} == expected
    for amendment_id, conflicts in expected.items():
        assert get(world, amendment_id)["conflicts_with"] == conflicts


def test_separate_changes_to_one_clause_do_not_conflict(world):
    a = modify(world, "all workers", "every worker")
    b = modify(world, "world", "earth", who="second")
    c = modify(world, "in every", "in each", who="third")  # "workers" and "in" are one unchanged space apart
    assert all(x["conflicts_with"] == [] for x in listing(world))
    assert {a["id"], b["id"], c["id"]} == {x["id"] for x in listing(world)}


def test_withdrawn_ruled_out_and_composited_amendments_conflict_with_nothing(world):
    a = modify(world, "all workers", "every worker")
    b = modify(world, "all workers", "all people", who="second")
    c = proposed(world, "third", clause_id=world.fight, kind="delete")
    assert get(world, a["id"])["conflicts_with"] == [b["id"], c["id"]]
    withdrawn = ok(act(world, b["id"], "withdraw", "second"))
    assert withdrawn["conflicts_with"] == []
    assert get(world, a["id"])["conflicts_with"] == [c["id"]]
    assert get(world, c["id"])["conflicts_with"] == [a["id"]]
    ok(act(world, c["id"], "rule-out", "chair", {"reason": "Out of scope."}))
    assert [(x["id"], x["conflicts_with"]) for x in listing(world)] == [(c["id"], []), (a["id"], []),
                                                                        (b["id"], [])]


# ------------------------------------------------------------------ GET /amendments/{id}

def test_get_amendment_refusals(world):
    a = modify(world, "all workers", "every worker")
    assert_error(call(world, "GET", f"/api/v1/amendments/{a['id']}", None), 401, "unauthorized")
    assert_error(call(world, "GET", f"/api/v1/amendments/{a['id']}", "outsider"), 403, "forbidden")
    for unknown in (a["id"] + 1, 2147483647, 2147483648, 10**30):
        assert_error(call(world, "GET", f"/api/v1/amendments/{unknown}"), 404, "not_found")
        assert_error(act(world, unknown, "second", "second"), 404, "not_found")


# ------------------------------------------------------------------ second, unsecond

def test_second_and_unsecond(world):
    a = modify(world, "all workers", "every worker")
    seconded = ok(act(world, a["id"], "second", "second"))
    assert seconded["seconders"] == [world.second.ref] and seconded["status"] == "submitted"
    with nothing_stored(world.app):
        error = assert_error(act(world, a["id"], "second", "second"), 409, "already_seconded", set())
        assert "already" in error["message"]
        error = assert_error(act(world, a["id"], "second", "mover"), 403, "forbidden", set())
        assert "another delegate" in error["message"]
        for who in ("chair", "secretary", "outsider"):
            assert_error(act(world, a["id"], "second", who), 403, "forbidden")
        assert_error(act(world, a["id"], "second", None), 401, "unauthorized")
    both = ok(act(world, a["id"], "second", "third"))
    assert both["seconders"] == [world.second.ref, world.third.ref]
    assert get(world, a["id"], "chair")["seconders"] == both["seconders"]
    left = ok(act(world, a["id"], "unsecond", "second"))
    assert left["seconders"] == [world.third.ref]
    with nothing_stored(world.app):
        assert_error(act(world, a["id"], "unsecond", "second"), 409, "not_seconded", set())
        assert_error(act(world, a["id"], "unsecond", "mover"), 409, "not_seconded", set())
        assert_error(act(world, a["id"], "unsecond", "chair"), 403, "forbidden")
    assert ok(act(world, a["id"], "second", "second"))["seconders"] == [world.third.ref, world.second.ref]
    assert [e[0] for e in events(get(world, a["id"]))] == ["submitted", "seconded", "seconded", "unseconded",
                                                           "seconded"]


def test_second_and_unsecond_only_while_submitted_409(world):
    a = modify(world, "all workers", "every worker")
    ok(act(world, a["id"], "second", "second"))
    ok(act(world, a["id"], "admit", "chair"))
    with nothing_stored(world.app):
        error = assert_error(act(world, a["id"], "second", "third"), 409, "illegal_transition", set())
        assert "admitted" in error["message"]
        assert_error(act(world, a["id"], "unsecond", "second"), 409, "illegal_transition", set())
    assert get(world, a["id"])["seconders"] == [world.second.ref]


# ------------------------------------------------------------------ withdraw

def test_withdraw(world):
    a = modify(world, "all workers", "every worker")
    with nothing_stored(world.app):
        for who in ("second", "chair", "secretary"):
            error = assert_error(act(world, a["id"], "withdraw", who), 403, "forbidden", set())
            if who != "chair":
                assert "mover" in error["message"]
        assert_error(act(world, a["id"], "withdraw", "outsider"), 403, "forbidden")
    withdrawn = ok(act(world, a["id"], "withdraw", "mover"))
    assert withdrawn["status"] == "withdrawn"
    assert events(withdrawn)[-1] == ("withdrawn", "submitted", "withdrawn", world.mover.id)
    with nothing_stored(world.app):
        error = assert_error(act(world, a["id"], "withdraw", "mover"), 409, "illegal_transition", set())
        assert error["message"].count("withdrawn") == 2
    # an admitted amendment may still be withdrawn by its mover
    b = modify(world, "peace", "lasting peace", clause="peace")
    ok(act(world, b["id"], "admit", "chair"))
    assert ok(act(world, b["id"], "withdraw", "mover"))["status"] == "withdrawn"


# ------------------------------------------------------------------ admit, rule out

def test_admit(world):
    a = modify(world, "all workers", "every worker")
    with nothing_stored(world.app):
        for who in ("mover", "second", "secretary", "outsider"):
            assert_error(act(world, a["id"], "admit", who), 403, "forbidden")
    admitted = ok(act(world, a["id"], "admit", "chair"))
    assert admitted["status"] == "admitted"
    assert events(admitted)[-1] == ("admitted", "submitted", "admitted", world.chair.id)
    assert listing(world, status="admitted")[0]["id"] == a["id"]


def test_admit_needs_the_meetings_number_of_seconders_409(world):
    set_meeting(world.app, world.slug, seconders_required=2)
    a = modify(world, "all workers", "every worker")
    assert a["seconders_required"] == 2
    with nothing_stored(world.app):
        error = assert_error(act(world, a["id"], "admit", "chair"), 409, "not_enough_seconders", set())
        assert "2" in error["message"] and "0" in error["message"]
    ok(act(world, a["id"], "second", "second"))
    with nothing_stored(world.app):
        error = assert_error(act(world, a["id"], "admit", "chair"), 409, "not_enough_seconders", set())
        assert "needs 2 seconders" in error["message"] and "has 1" in error["message"]
    ok(act(world, a["id"], "second", "third"))
    admitted = ok(act(world, a["id"], "admit", "chair"))
    assert (admitted["status"], len(admitted["seconders"])) == ("admitted", 2)


def test_rule_out(world):
    a = modify(world, "all workers", "every worker")
    path = f"/api/v1/amendments/{a['id']}/rule-out"
    with nothing_stored(world.app):
        assert_error(act(world, a["id"], "rule-out", "chair", {}), 422, "validation_failed", {"reason"})
        for reason in ("", "   \n ", None, 5, "r" * 2_001, "nul\u0000", "bell\u0007"):
            assert_error(act(world, a["id"], "rule-out", "chair", {"reason": reason}), 422, "validation_failed",
                         {"reason"})
        assert_error(call(world, "POST", path, "chair", raw=b""), 400, "malformed_json", set())
        assert_error(call(world, "POST", path, "chair", raw=b"{reason}"), 400, "malformed_json", set())
        for who in ("mover", "secretary", "outsider"):
            assert_error(act(world, a["id"], "rule-out", who, {"reason": "No."}), 403, "forbidden")
    ruled = ok(act(world, a["id"], "rule-out", "chair", {"reason": "  Outside the scope of the platform.  "}))
    assert (ruled["status"], ruled["ruling"]) == ("ruled_out", "Outside the scope of the platform.")
    assert ruled["history"][-1]["note"] == "Outside the scope of the platform."
    assert events(ruled)[-1] == ("ruled_out", "submitted", "ruled_out", world.chair.id)
    # an admitted amendment can be ruled out too
    b = modify(world, "peace", "lasting peace", clause="peace")
    ok(act(world, b["id"], "admit", "chair"))
    assert ok(act(world, b["id"], "rule-out", "chair", {"reason": "Late."}))["status"] == "ruled_out"


def _put_in(world, status: str) -> int:
    """A fresh amendment in the given status, by the mover."""
    a = proposed(world, clause_id=world.housing, kind="delete")
    if status == "admitted":
        ok(act(world, a["id"], "admit", "chair"))
    elif status == "withdrawn":
        ok(act(world, a["id"], "withdraw", "mover"))
    elif status == "ruled_out":
        ok(act(world, a["id"], "rule-out", "chair", {"reason": "Out of order."}))
    elif status == "composited":
        b = proposed(world, "second", clause_id=world.housing, kind="delete")
        ok(call(world, "POST", f"/api/v1/meetings/{world.slug}/composites", "chair",
                {"amendment_ids": [a["id"], b["id"]]}), 201)
    return a["id"]


ILLEGAL = [
    ("withdrawn", "admit", "chair", None),
    ("withdrawn", "rule-out", "chair", {"reason": "Too late."}),
    ("withdrawn", "withdraw", "mover", None),
    ("withdrawn", "second", "second", None),
    ("withdrawn", "revise", "mover", {"title": "New title"}),
    ("ruled_out", "withdraw", "mover", None),
    ("ruled_out", "admit", "chair", None),
    ("ruled_out", "rule-out", "chair", {"reason": "Again."}),
    ("admitted", "admit", "chair", None),
    ("admitted", "revise", "mover", {"title": "New title"}),
    ("composited", "admit", "chair", None),
    ("composited", "withdraw", "mover", None),
    ("composited", "rule-out", "chair", {"reason": "No."}),
]


@pytest.mark.parametrize("status", ["withdrawn", "ruled_out", "admitted", "composited"])
def test_illegal_transitions_409(world, status):
    amendment_id = _put_in(world, status)
    assert get(world, amendment_id)["status"] == status
    with nothing_stored(world.app):
        for _status, action, who, body in [c for c in ILLEGAL if c[0] == status]:
            error = assert_error(act(world, amendment_id, action, who, body), 409, "illegal_transition", set())
            label = {"ruled_out": "ruled out of order"}.get(status, status)
            assert label in error["message"], (action, error)
    assert get(world, amendment_id)["status"] == status


# ------------------------------------------------------------------ revise

def test_revise(world):
    a = modify(world, "all workers", "every worker", title="Every worker", reason="Plainer.")
    ok(act(world, a["id"], "second", "second"))
    new = FIGHT.replace("all workers", "all working people")
    revised = ok(act(world, a["id"], "revise", "mover", {"text": new}))
    assert (revised["id"], revised["number"], revised["status"]) == (a["id"], a["number"], "submitted")
    assert (revised["text"], revised["title"], revised["reason"]) == (new, "Every worker", "Plainer.")
    assert revised["revision"] == 2
    assert revised["ops"] == [[0, "We fight for all "], [-1, "workers"], [1, "working people"],
                              [0, " in every country of the world."]]
    assert revised["summary"] == "Line 2: delete “workers”, insert “working people”."
    assert revised["seconders"] == []  # they seconded a different text
    assert events(revised) == [("submitted", None, "submitted", world.mover.id),
                               ("seconded", None, "submitted", world.second.id),
                               ("revised", None, "submitted", world.mover.id)]
    assert revised["history"][-1]["note"] == "1"  # one seconder released
    kept = stored(world.app, a["id"])
    assert kept.revisions == [(1, FIGHT.replace("all workers", "every worker"), "Every worker")]
    assert apply_patch(kept.patch, FIGHT) == (new, True)
    # the title alone; the text is kept
    retitled = ok(act(world, a["id"], "revise", "mover", {"title": "Working people", "reason": ""}))
    assert (retitled["revision"], retitled["title"], retitled["reason"], retitled["text"]) == (
        3, "Working people", "", new)
    assert [r[0] for r in stored(world.app, a["id"]).revisions] == [1, 2]
    assert ok(act(world, a["id"], "second", "second"))["seconders"] == [world.second.ref]


def test_revise_refusals(world):
    a = modify(world, "all workers", "every worker", title="T")
    path = f"/api/v1/amendments/{a['id']}/revise"
    with nothing_stored(world.app):
        for who in ("second", "chair", "secretary"):
            error = assert_error(act(world, a["id"], "revise", who, {"text": FIGHT.replace("all", "most")}), 403,
                                 "forbidden", set())
            assert "mover" in error["message"]
        assert_error(act(world, a["id"], "revise", "outsider", {"title": "x"}), 403, "forbidden")
        for body, fields in [({}, {"text"}), ({"text": a["text"]}, {"text"}), ({"text": FIGHT}, {"text"}),
                             ({"text": ""}, {"text"}), ({"text": None}, {"text"}), ({"text": "a\u0000b"}, {"text"}),
                             ({"text": "x" * 20_001}, {"text"}), ({"title": "t" * 301}, {"title"}),
                             ({"base_version": "1"}, {"base_version"})]:
            assert_error(act(world, a["id"], "revise", "mover", body), 422, "validation_failed", fields)
        # a version the document does not have (yet) is invalid input, not a stale one
        assert_error(act(world, a["id"], "revise", "mover", {"text": FIGHT.replace("all", "most"),
                                                             "base_version": 2}), 422, "validation_failed",
                     {"base_version"})
        assert_error(call(world, "POST", path, "mover", raw=b"{"), 400, "malformed_json", set())
        assert_error(call(world, "POST", path, None, {"title": "x"}), 401, "unauthorized")
    set_state(world, "closed")
    with nothing_stored(world.app):
        assert_error(act(world, a["id"], "revise", "mover", {"title": "Later"}), 409, "amendments_closed", set())


def test_revising_the_title_of_a_stale_amendment_does_not_rewrite_its_change(world):
    a = modify(world, "peace", "lasting peace", clause="peace")
    add_version(world, world.peace, "We stand for peace and for justice.")
    with nothing_stored(world.app):
        assert_error(act(world, a["id"], "revise", "mover", {"title": "Only the title"}), 409,
                     "stale_base_version", set())
    after = get(world, a["id"])
    assert (after["base_version"], after["ops"]) == (1, a["ops"])
    assert [-1, "justice"] not in after["ops"]


# ------------------------------------------------------------------ composites

def composite(world, who="chair", slug=None, **body):
    return call(world, "POST", f"/api/v1/meetings/{slug or world.slug}/composites", who, body)


@pytest.mark.parametrize("who", ["chair", "secretary"])
def test_composite(world, who):
    a = modify(world, "all workers", "every worker")
    b = modify(world, "all workers", "all working people", who="second")
    ok(act(world, b["id"], "admit", "chair"))
    c = modify(world, "world", "earth", who="third")  # same clause, not part of it
    text = FIGHT.replace("all workers", "every working person")
    made = ok(composite(world, who, amendment_ids=[b["id"], a["id"]], text=text, title="Working people",
                        reason="Agreed by both movers."), 201)
    assert CONTRACT_FIELDS | EXTRA_FIELDS <= set(made)
    assert (made["status"], made["kind"], made["clause_id"], made["document_id"]) == (
        "admitted", "modify", world.fight, world.doc)
    assert (made["text"], made["title"], made["reason"]) == (text, "Working people", "Agreed by both movers.")
    assert made["mover"] == getattr(world, who).ref
    assert made["composited_from"] == [a["id"], b["id"]] and made["composite_id"] is None
    assert made["number"] == "A4" and made["base_version"] == 1
    assert made["ops"] == [[0, "We fight for "], [-1, "all workers"], [1, "every working person"],
                           [0, " in every country of the world."]]
    assert made["summary"] == "Line 2: delete “all workers”, insert “every working person”."
    assert made["history"][0]["action"] == "composited_from" and made["history"][0]["note"] == "A1, A2"
    assert made["conflicts_with"] == []  # c changes another word
    for original, before in ((a, "submitted"), (b, "admitted")):
        now = get(world, original["id"])
        assert (now["status"], now["composite_id"], now["conflicts_with"]) == ("composited", made["id"], [])
        assert events(now)[-1] == ("composited", before, "composited", getattr(world, who).id)
        assert now["history"][-1]["note"] == "A4"
    assert get(world, c["id"])["conflicts_with"] == []
    assert [x["id"] for x in listing(world, status="composited")] == [a["id"], b["id"]]


def test_composite_defaults_its_title_and_works_while_closed(world):
    a = proposed(world, clause_id=world.housing, kind="delete")
    b = proposed(world, "second", clause_id=world.housing, kind="delete")
    set_state(world, "closed")
    made = ok(composite(world, amendment_ids=[a["id"], b["id"]]), 201)
    assert (made["kind"], made["text"], made["title"]) == ("delete", "", "Composite of A1, A2")
    assert made["summary"] == "Delete line 5."


def test_composite_refusals(world):
    a = modify(world, "all workers", "every worker")
    b = modify(world, "world", "earth", who="second")
    other = modify(world, "peace", "lasting peace", clause="peace", who="third")
    new_clause = proposed(world, "third", clause_id=world.fight, kind="insert_after", text="A new clause.")
    foreign_doc = world.factory.document(world.other, "# Elsewhere\n\nAnother meeting.\n", state="open")
    clause = clause_ids(world, foreign_doc)[1]
    outsider_id = world.factory.person(world.other, "delegate", email="foreign-delegate@example.org")
    foreign = world.factory.amendment(foreign_doc, outsider_id, clause, kind="delete")
    text = FIGHT.replace("all workers", "everybody")
    with nothing_stored(world.app):
        for body, fields in [
            ({"amendment_ids": [a["id"], other["id"]], "text": text}, {"amendment_ids"}),  # different clauses
            ({"amendment_ids": [a["id"], foreign], "text": text}, {"amendment_ids"}),  # another meeting
            ({"amendment_ids": [a["id"], 999_999], "text": text}, {"amendment_ids"}),
            ({"amendment_ids": [a["id"]], "text": text}, {"amendment_ids"}),
            ({"amendment_ids": [a["id"], a["id"]], "text": text}, {"amendment_ids"}),
            ({"amendment_ids": [], "text": text}, {"amendment_ids"}),
            ({"amendment_ids": str(a["id"]), "text": text}, {"amendment_ids"}),
            ({"amendment_ids": [a["id"], "b"], "text": text}, {"amendment_ids"}),
            ({"text": text}, {"amendment_ids"}),
            ({"amendment_ids": [a["id"], new_clause["id"]], "text": text}, {"amendment_ids"}),
            ({"amendment_ids": [a["id"], b["id"]]}, {"text"}),
            ({"amendment_ids": [a["id"], b["id"]], "text": FIGHT}, {"text"}),
            ({"amendment_ids": [a["id"], b["id"]], "text": "nul\u0000"}, {"text"}),
        ]:
            assert_error(composite(world, **body), 422, "validation_failed", fields)
        for who in ("mover", "second", "outsider"):
            assert_error(composite(world, who, amendment_ids=[a["id"], b["id"]], text=text), 403, "forbidden")
        assert_error(composite(world, None, amendment_ids=[a["id"], b["id"]], text=text), 401, "unauthorized")
        assert_error(composite(world, slug="no-such-meeting", amendment_ids=[a["id"], b["id"]], text=text), 404,
                     "not_found")
        assert_error(call(world, "POST", f"/api/v1/meetings/{world.slug}/composites", "chair", raw=b"[1, 2]"),
                     400, "malformed_json")
    ok(act(world, b["id"], "withdraw", "second"))
    with nothing_stored(world.app):
        error = assert_error(composite(world, amendment_ids=[a["id"], b["id"]], text=text), 409,
                             "illegal_transition", set())
        assert b["number"] in error["message"] and a["number"] not in error["message"]
    assert get(world, a["id"])["status"] == "submitted"


def test_nothing_changes_once_the_document_is_final_409(world):
    a = proposed(world, clause_id=world.housing, kind="delete")
    b = proposed(world, "second", clause_id=world.housing, kind="delete")
    ok(act(world, b["id"], "admit", "chair"))
    set_state(world, "closed")
    set_state(world, "final")
    with nothing_stored(world.app):
        assert_error(composite(world, amendment_ids=[a["id"], b["id"]]), 409, "amendments_closed", set())
        for action, who, body in [("second", "third", None), ("withdraw", "mover", None), ("admit", "chair", None),
                                  ("rule-out", "chair", {"reason": "Late."})]:
            error = assert_error(act(world, a["id"], action, who, body), 409, "document_final", set())
            assert "final" in error["message"]
        assert_error(act(world, b["id"], "withdraw", "second"), 409, "document_final", set())
        assert_error(act(world, a["id"], "revise", "mover", {"title": "Later"}), 409)


def test_a_chair_of_another_meeting_cannot_composite_this_meetings_amendments(world):
    a = proposed(world, clause_id=world.housing, kind="delete")
    b = proposed(world, "second", clause_id=world.housing, kind="delete")
    with nothing_stored(world.app):
        response = composite(world, "outsider", slug=world.other, amendment_ids=[a["id"], b["id"]])
        assert_error(response, 422, "validation_failed", {"amendment_ids"})


# ------------------------------------------------------------------ GET /documents/{id}/diff

def test_diff_of_a_version_with_itself(world):
    text = world.client.get(f"/api/v1/documents/{world.doc}/text", headers=bearer(world.mover.token))
    assert text.get_data(as_text=True) == TEXT
    diff = ok(call(world, "GET", f"/api/v1/documents/{world.doc}/diff", query={"from": "1", "to": "1"}))
    assert diff["ops"] == [[0, TEXT]]
    assert (diff["from"], diff["to"]) == (1, 1)
    assert ok(call(world, "GET", f"/api/v1/documents/{world.doc}/diff", "chair")) == diff  # default: 1 to current


def test_diff_between_two_versions_is_word_level(world):
    add_version(world, world.peace, "We stand for peace and for justice.")
    diff = ok(call(world, "GET", f"/api/v1/documents/{world.doc}/diff", query={"from": "1", "to": "2"}))
    assert diff == {"from": 1, "to": 2, "ops": [
        [0, TEXT[:TEXT.index("freedom")]], [-1, "freedom"], [1, "justice"], [0, TEXT[TEXT.index("freedom") + 7:]]]}
    back = ok(call(world, "GET", f"/api/v1/documents/{world.doc}/diff", query={"from": "2", "to": "1"}))
    assert [op for op, _t in back["ops"]] == [0, -1, 1, 0] and back["ops"][1] == [-1, "justice"]
    assert ok(call(world, "GET", f"/api/v1/documents/{world.doc}/diff"))["ops"] == diff["ops"]  # 1 to current
    v2 = world.client.get(f"/api/v1/documents/{world.doc}/text?version=2", headers=bearer(world.mover.token))
    rebuilds(diff["ops"], TEXT, v2.get_data(as_text=True))


def test_diff_refusals(world):
    path = f"/api/v1/documents/{world.doc}/diff"
    for query in ({"from": "2", "to": "1"}, {"from": "1", "to": "2"}, {"to": "99"}, {"from": "99999999999"}):
        assert_error(call(world, "GET", path, query=query), 404, "not_found", set())
    for query, field in [({"from": "abc"}, "from"), ({"to": "0"}, "to"), ({"from": "-1"}, "from"),
                         ({"to": "1.0"}, "to"), ({"from": "１"}, "from")]:
        assert_error(call(world, "GET", path, query=query), 422, "validation_failed", {field})
    assert_error(call(world, "GET", path, "outsider"), 403, "forbidden")
    assert_error(call(world, "GET", path, None), 401, "unauthorized")
    assert_error(call(world, "GET", "/api/v1/documents/999/diff"), 404, "not_found")


# ------------------------------------------------------------------ the OpenAPI description

AMENDMENT_CALLS = [
    ("post", "/api/v1/documents/{}/amendments", "201", "one", {400, 401, 403, 404, 409, 413, 422}),
    ("get", "/api/v1/documents/{}/amendments", "200", "list", {401, 403, 404, 422}),
    ("post", "/api/v1/documents/{}/amendments/preview", "200", None, {400, 401, 403, 404, 409, 413, 422}),
    ("get", "/api/v1/amendments/{}", "200", "one", {401, 403, 404}),
    ("post", "/api/v1/amendments/{}/second", "200", "one", {401, 403, 404, 409}),
    ("post", "/api/v1/amendments/{}/unsecond", "200", "one", {401, 403, 404, 409}),
    ("post", "/api/v1/amendments/{}/withdraw", "200", "one", {401, 403, 404, 409}),
    ("post", "/api/v1/amendments/{}/revise", "200", "one", {400, 401, 403, 404, 409, 413, 422}),
    ("post", "/api/v1/amendments/{}/admit", "200", "one", {401, 403, 404, 409}),
    ("post", "/api/v1/amendments/{}/rule-out", "200", "one", {400, 401, 403, 404, 409, 413, 422}),
    ("post", "/api/v1/meetings/{}/composites", "201", "one", {400, 401, 403, 404, 409, 413, 422}),
    ("get", "/api/v1/documents/{}/diff", "200", None, {401, 403, 404, 422}),
]


def test_openapi_describes_every_amendment_call(client):
    from motions.api.schemas import AMENDMENT

    spec = published(client)
    amendment = json.loads(json.dumps(AMENDMENT))
    assert set(amendment["required"]) >= CONTRACT_FIELDS
    by_template = {re.sub(r"\{[^}]+\}", "{}", path): item for path, item in spec["paths"].items()}
    for method, template, status, shape, errors in AMENDMENT_CALLS:
        assert template in by_template, template
        op = by_template[template].get(method)
        assert op is not None, (method, template)
        responses = op["responses"]
        assert {int(s) for s in responses if s != status} == errors, (method, template)
        schema = responses[status]["content"]["application/json"]["schema"]
        if shape == "one":
            assert schema == amendment, (method, template)
        elif shape == "list":
            assert schema == {"type": "array", "items": amendment}
        for code in errors:
            assert responses[str(code)]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}
    diff = by_template["/api/v1/documents/{}/diff"]["get"]
    assert {p["name"] for p in diff["parameters"] if p["in"] == "query"} == {"from", "to"}
    listing_op = by_template["/api/v1/documents/{}/amendments"]["get"]
    assert {p["name"] for p in listing_op["parameters"] if p["in"] == "query"} == {"status", "clause_id", "mover_id",
                                                                                  "organisation"}
    propose_op = by_template["/api/v1/documents/{}/amendments"]["post"]
    body = propose_op["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"clause_id", "kind"}
    assert body["properties"]["kind"]["enum"] == ["modify", "insert_after", "delete"]
    composite_body = by_template["/api/v1/meetings/{}/composites"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    assert {"amendment_ids", "text", "title"} <= set(composite_body["properties"])
    assert by_template["/api/v1/amendments/{}/rule-out"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["required"] == ["reason"]


def test_the_schema_check_catches_a_wrong_body(client):
    """validate_2xx is not a rubber stamp: a body missing a contract field, or with a wrong type, fails."""
    from jsonschema import ValidationError

    from motions.api.schemas import AMENDMENT

    spec = published(client)
    schema = spec["paths"]["/api/v1/amendments/{amendment_id}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    assert schema == json.loads(json.dumps(AMENDMENT))
    validator = Draft202012Validator(schema)
    good = {"id": 1, "number": "A1", "document_id": 1, "clause_id": None, "clause_number": None,
            "kind": "insert_after", "status": "submitted", "title": "", "reason": "", "mover": None,
            "seconders": [], "seconders_required": 0, "base_version": 1, "text": "New.", "ops": [[1, "New."]],
            "summary": "Insert at the start: “New.”.", "conflicts_with": [], "applies_cleanly": True,
            "first_line": 0, "last_line": 0, "ruling": "", "composite_id": None, "composited_from": [],
            "revision": 1, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}
    validator.validate(good)
    for key in CONTRACT_FIELDS:
        with pytest.raises(ValidationError):
            validator.validate({k: v for k, v in good.items() if k != key})
    for key, wrong in [("ops", [[2, "x"]]), ("ops", [[0]]), ("conflicts_with", ["A1"]), ("applies_cleanly", 1),
                       ("clause_id", "1")]:
        with pytest.raises(ValidationError):
            validator.validate({**good, key: wrong})

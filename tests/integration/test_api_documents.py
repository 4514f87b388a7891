"""API documents: create, get (clauses, numbers, line numbers), text, versions, state."""
from __future__ import annotations

import unicodedata
from datetime import datetime
from types import SimpleNamespace

import pytest

from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")

ROLES = ("delegate", "chair", "secretary", "organiser")

# French with accents, typographic apostrophes and a heading per section; sent decomposed (NFD)
FRENCH = (
    "# Programme\n"
    "\n"
    "Nous défendons les droits des travailleurs et des travailleuses, partout où ils sont menacés par l’État.\n"
    "\n"
    "## Activités\n"
    "\n"
    "- Organiser des grèves là où c’est possible.\n"
    "- Soutenir les syndicats indépendants qui luttent pour l’égalité.\n"
    "\n"
    "Un dernier paragraphe.\n"
)
CHINESE = "# 纲领\n\n工人团结起来争取民主权利和自由工人团结起来争取民主权利和自由\n\n支持香港、台湾、西藏和维吾尔地区人民的自决权。\n"


@pytest.fixture
def world(factory):
    slug = factory.meeting("congress", title="Congress", line_width=40)
    people = {}
    for role in ROLES:
        email = f"{role}@example.org"
        factory.person(slug, role, email=email)
        people[role] = SimpleNamespace(email=email, token=factory.token(email))
    other = factory.meeting("other-meeting")
    factory.person(other, "secretary", "chair", "delegate", email="outsider@example.org")
    people["outsider"] = SimpleNamespace(token=factory.token("outsider@example.org"))
    return SimpleNamespace(slug=slug, **people)


def create(client, world, who="secretary", **body):
    body = {"title": "Programme", "text": FRENCH, "format": "markdown", "kind": "platform", **body}
    return client.post(f"/api/v1/meetings/{world.slug}/documents", json=body,
                       headers=bearer(getattr(world, who).token))


def assert_continuous(clauses: list[dict]) -> None:
    assert clauses, "no clauses"
    assert clauses[0]["first_line"] == 1
    for clause in clauses:
        assert clause["first_line"] <= clause["last_line"], clause
    for before, after in zip(clauses, clauses[1:]):
        assert after["first_line"] == before["last_line"] + 1, (before, after)
    numbers = [c["number"] for c in clauses]
    assert len(set(numbers)) == len(numbers), numbers
    ids = [c["id"] for c in clauses]
    assert len(set(ids)) == len(ids)


# ------------------------------------------------------------------ POST /meetings/{slug}/documents

@pytest.mark.parametrize("who", ["secretary", "organiser"])
def test_secretary_and_organiser_create_documents(client, world, who):
    response = create(client, world, who, text=unicodedata.normalize("NFD", FRENCH),
                      title=unicodedata.normalize("NFD", "Programme fédéral"))
    assert response.status_code == 201, response.get_data(as_text=True)
    doc = response.get_json()
    assert isinstance(doc["id"], int)
    assert doc["title"] == "Programme fédéral"  # NFC
    assert (doc["kind"], doc["state"], doc["version"]) == ("platform", "draft", 1)
    assert [c["number"] for c in doc["clauses"]] == ["1", "1.1", "1.2", "1.2.1", "1.2.2", "1.2.3"]
    assert [c["heading"] for c in doc["clauses"]] == ["Programme", "Programme", "Activités", "Activités",
                                                      "Activités", "Activités"]
    assert [c["text"] for c in doc["clauses"]] == [
        "Programme",
        "Nous défendons les droits des travailleurs et des travailleuses, partout où ils sont menacés par l’État.",
        "Activités",
        "Organiser des grèves là où c’est possible.",
        "Soutenir les syndicats indépendants qui luttent pour l’égalité.",
        "Un dernier paragraphe.",
    ]
    for clause in doc["clauses"]:
        assert unicodedata.is_normalized("NFC", clause["text"])
        assert set(clause) >= {"id", "number", "heading", "text", "first_line", "last_line"}
    # line width 40: the long paragraph wraps onto three lines, and the numbering runs on
    assert [(c["first_line"], c["last_line"]) for c in doc["clauses"]] == [(1, 1), (2, 4), (5, 5), (6, 7), (8, 9),
                                                                            (10, 10)]
    assert_continuous(doc["clauses"])


def test_text_is_nfc_normalised_and_given_back_losslessly(client, world):
    nfd = unicodedata.normalize("NFD", FRENCH)
    assert nfd != FRENCH and "é" not in nfd
    doc = create(client, world, text=nfd).get_json()
    response = client.get(f"/api/v1/documents/{doc['id']}/text", headers=bearer(world.delegate.token))
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.mimetype_params.get("charset", "").lower() == "utf-8"
    text = response.get_data(as_text=True)
    assert text == FRENCH  # composed (NFC), byte for byte the rest
    assert "\u0301" not in text and "\u0300" not in text  # no combining accents left


def test_text_normalisation_of_line_ends_bom_and_blank_edges(client, world):
    raw = "\ufeff\r\n\r\n# Titre\r\n\r\nUn paragraphe\r\nsur deux lignes.\r\n\r\n- un point\r\n\r\n\r\n  \n"
    doc = create(client, world, text=raw).get_json()
    text = client.get(f"/api/v1/documents/{doc['id']}/text", headers=bearer(world.delegate.token))
    assert text.get_data(as_text=True) == "# Titre\n\nUn paragraphe\nsur deux lignes.\n\n- un point\n"
    clauses = doc["clauses"]
    assert [c["text"] for c in clauses] == ["Titre", "Un paragraphe sur deux lignes.", "un point"]


def test_chinese_text_lossless_and_cjk_counts_double(client, world):
    doc = create(client, world, title="纲领", text=CHINESE).get_json()
    text = client.get(f"/api/v1/documents/{doc['id']}/text", headers=bearer(world.delegate.token))
    assert text.get_data(as_text=True) == CHINESE
    clauses = doc["clauses"]
    assert [c["number"] for c in clauses] == ["1", "1.1", "1.2"]
    # 30 CJK characters are 60 columns: two lines at width 40; continuous numbering
    assert (clauses[1]["first_line"], clauses[1]["last_line"]) == (2, 3)
    assert_continuous(clauses)


def test_plain_text_format_one_clause_per_line(client, world):
    doc = create(client, world, format="text", kind="motion", text="Erste Zeile.\nZweite Zeile.\nDritte.\n").get_json()
    assert doc["kind"] == "motion"
    assert [(c["number"], c["text"]) for c in doc["clauses"]] == [("1", "Erste Zeile."), ("2", "Zweite Zeile."),
                                                                  ("3", "Dritte.")]
    assert [(c["first_line"], c["last_line"]) for c in doc["clauses"]] == [(1, 1), (2, 2), (3, 3)]


def test_format_and_kind_default_to_markdown_platform(client, world):
    response = client.post(f"/api/v1/meetings/{world.slug}/documents", json={"title": "T", "text": "# A\n\nB.\n"},
                           headers=bearer(world.secretary.token))
    assert response.status_code == 201
    doc = response.get_json()
    assert (doc["kind"], [c["number"] for c in doc["clauses"]]) == ("platform", ["1", "1.1"])


@pytest.mark.parametrize("who", ["delegate", "chair", "outsider"])
def test_others_may_not_create_documents(app, client, world, who):
    before = snapshot(app)
    assert_error(create(client, world, who), 403, "forbidden")
    assert snapshot(app) == before


def test_create_in_unknown_meeting_404(app, client, world):
    before = snapshot(app)
    response = client.post("/api/v1/meetings/nowhere/documents", json={"title": "T", "text": "x"},
                           headers=bearer(world.secretary.token))
    assert_error(response, 404, "not_found")
    assert snapshot(app) == before


@pytest.mark.parametrize("body, fields", [
    ({}, {"title", "text"}),
    ({"title": "T"}, {"text"}),
    ({"text": "Some text."}, {"title"}),
    ({"title": "", "text": "Some text."}, {"title"}),
    ({"title": "T", "text": ""}, {"text"}),
    ({"title": "T", "text": " \n\n\t \n"}, {"text"}),
    ({"title": "t" * 301, "text": "Some text."}, {"title"}),
    ({"title": "T", "text": "Some text.", "format": "html"}, {"format"}),
    ({"title": "T", "text": "Some text.", "format": None}, {"format"}),
    ({"title": "T", "text": "Some text.", "kind": "law"}, {"kind"}),
    ({"title": "T", "text": "Some text.", "kind": {}}, {"kind"}),
    ({"title": 5, "text": "Some text."}, {"title"}),
    ({"title": "T", "text": ["Some", "text"]}, {"text"}),
    ({"title": "T", "text": "bad\u0000byte"}, {"text"}),
    ({"title": "", "text": "", "format": "pdf", "kind": 1}, {"title", "text", "format", "kind"}),
    ({"title": 7, "text": "", "format": "html"}, {"title", "text", "format"}),
])
def test_create_document_validation_422(app, client, world, body, fields):
    before = snapshot(app)
    response = client.post(f"/api/v1/meetings/{world.slug}/documents", json=body, headers=bearer(world.secretary.token))
    assert_error(response, 422, "validation_failed", fields)
    assert snapshot(app) == before


# ------------------------------------------------------------------ GET /documents/{id}

@pytest.mark.parametrize("role", ROLES)
def test_members_read_the_document(client, world, role):
    doc = create(client, world).get_json()
    response = client.get(f"/api/v1/documents/{doc['id']}", headers=bearer(getattr(world, role).token))
    assert response.status_code == 200
    assert response.get_json() == doc
    assert client.get(f"/api/v1/documents/{doc['id']}?version=1",
                      headers=bearer(getattr(world, role).token)).get_json() == doc


def test_demo_platform_numbers_are_continuous(client, factory, demo):
    token = factory.token("delegate1@example.org", "solidarity")
    doc = client.get("/api/v1/documents/1", headers=bearer(token)).get_json()
    assert doc["title"] == "Draft platform" and doc["state"] == "open"
    assert len(doc["clauses"]) > 20
    assert_continuous(doc["clauses"])
    # top-level sections are numbered 1, 2, 3 ... and every clause sits in its section
    sections = [c["number"] for c in doc["clauses"] if "." not in c["number"]]
    assert sections == [str(n) for n in range(1, len(sections) + 1)]
    section = "0"
    for clause in doc["clauses"]:
        if "." not in clause["number"]:
            section = clause["number"]
        else:
            assert clause["number"].split(".")[0] == section, clause
    text = client.get("/api/v1/documents/1/text", headers=bearer(token)).get_data(as_text=True)
    from motions.demo import HERE

    assert text == (HERE / "platform.md").read_text(encoding="utf-8").rstrip() + "\n"


def test_document_of_another_meeting_403(client, world):
    doc = create(client, world).get_json()
    for path in ("", "/text", "/versions"):
        assert_error(client.get(f"/api/v1/documents/{doc['id']}{path}", headers=bearer(world.outsider.token)),
                     403, "forbidden")


def test_document_without_token_401(client, world):
    doc = create(client, world).get_json()
    for path in ("", "/text", "/versions"):
        assert_error(client.get(f"/api/v1/documents/{doc['id']}{path}"), 401, "unauthorized")


@pytest.mark.parametrize("doc_id", ["999", "2147483647", "99999999999999999999999"])
@pytest.mark.parametrize("path", ["", "/text", "/versions"])
def test_unknown_document_404(client, world, doc_id, path):
    assert_error(client.get(f"/api/v1/documents/{doc_id}{path}", headers=bearer(world.delegate.token)),
                 404, "not_found")


@pytest.mark.parametrize("path", ["", "/text"])
@pytest.mark.parametrize("version", ["2", "999", "99999999999999999999"])
def test_unknown_version_404(client, world, path, version):
    doc = create(client, world).get_json()
    response = client.get(f"/api/v1/documents/{doc['id']}{path}?version={version}", headers=bearer(world.delegate.token))
    assert_error(response, 404, "not_found", set())


@pytest.mark.parametrize("path", ["", "/text"])
@pytest.mark.parametrize("version", ["abc", "1.5", "0", "-1", "1e3", " ", "", " 1", "+1", "١"])
def test_bad_version_422(client, world, path, version):
    doc = create(client, world).get_json()
    response = client.get(f"/api/v1/documents/{doc['id']}{path}", query_string={"version": version},
                          headers=bearer(world.delegate.token))
    assert_error(response, 422, "validation_failed", {"version"})


# ------------------------------------------------------------------ GET /documents/{id}/versions

def test_versions(client, world):
    doc = create(client, world).get_json()
    response = client.get(f"/api/v1/documents/{doc['id']}/versions", headers=bearer(world.delegate.token))
    assert response.status_code == 200
    versions = response.get_json()
    assert len(versions) == 1
    v = versions[0]
    assert set(v) == {"version", "created_at", "reason", "amendment_id"}
    assert (v["version"], v["reason"], v["amendment_id"]) == (1, "imported draft", None)
    assert v["created_at"].endswith("Z")
    assert datetime.fromisoformat(v["created_at"].replace("Z", "+00:00")).utcoffset().total_seconds() == 0


# ------------------------------------------------------------------ POST /documents/{id}/state

def _state(client, world, doc_id) -> str:
    return client.get(f"/api/v1/documents/{doc_id}", headers=bearer(world.delegate.token)).get_json()["state"]


@pytest.mark.parametrize("who", ["chair", "secretary"])
def test_state_moves_draft_open_closed_final(client, world, factory, who):
    doc = create(client, world).get_json()
    for target in ("open", "closed", "open", "closed", "final"):
        if target == "final":
            factory.adopt(doc["id"])  # the meeting carries the document as amended
        response = client.post(f"/api/v1/documents/{doc['id']}/state", json={"state": target},
                               headers=bearer(getattr(world, who).token))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["state"] == target
        assert response.get_json()["clauses"] == doc["clauses"]
        assert _state(client, world, doc["id"]) == target


@pytest.mark.parametrize("path, target", [
    ([], "closed"), ([], "final"), ([], "draft"),
    (["open"], "draft"), (["open"], "final"), (["open"], "open"),
    (["open", "closed", "final"], "open"), (["open", "closed", "final"], "draft"),
])
def test_illegal_state_move_409(app, client, world, factory, path, target):
    doc = create(client, world).get_json()
    for step in path:
        if step == "final":
            factory.adopt(doc["id"])
        assert client.post(f"/api/v1/documents/{doc['id']}/state", json={"state": step},
                           headers=bearer(world.chair.token)).status_code == 200
    before = snapshot(app)
    response = client.post(f"/api/v1/documents/{doc['id']}/state", json={"state": target},
                           headers=bearer(world.chair.token))
    assert_error(response, 409, "state_conflict", set())
    assert snapshot(app) == before
    assert _state(client, world, doc["id"]) == (path[-1] if path else "draft")


@pytest.mark.parametrize("who", ["delegate", "organiser", "outsider"])
def test_state_forbidden(app, client, world, who):
    doc = create(client, world).get_json()
    before = snapshot(app)
    response = client.post(f"/api/v1/documents/{doc['id']}/state", json={"state": "open"},
                           headers=bearer(getattr(world, who).token))
    assert_error(response, 403, "forbidden")
    assert snapshot(app) == before


@pytest.mark.parametrize("body", [{}, {"state": "published"}, {"state": None}, {"state": ["open"]}, {"state": 1},
                                  {"state": "OPEN"}])
def test_state_validation_422(app, client, world, body):
    doc = create(client, world).get_json()
    before = snapshot(app)
    response = client.post(f"/api/v1/documents/{doc['id']}/state", json=body, headers=bearer(world.chair.token))
    assert_error(response, 422, "validation_failed", {"state"})
    assert snapshot(app) == before


def test_state_of_unknown_document_404(client, world):
    assert_error(client.post("/api/v1/documents/4242/state", json={"state": "open"},
                             headers=bearer(world.chair.token)), 404, "not_found")

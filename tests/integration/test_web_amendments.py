"""Amendments through the pages: proposing with the live redline, the refusals, escaping, seconding,
screening, revising, compositing, numbering, the list in the order of business, and the document page.

Every test checks what a delegate or the chair would see (status, flashed message, the page) and
what is stored afterwards (read back from the database)."""
from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass

import pytest

from tests.conftest import AuthActions, csrf_token

SLUG = "amend-meeting"

PLATFORM = """# Aims

We want rights for all workers. We want them now.

- Free speech.
- Free unions.

# Means

Organise at work.
"""
# the clauses of PLATFORM by number; at the default width of 80 each is one line:
# "1" on line 1, "1.1" on line 2 ... "2.1" on line 6
CLAUSES = {
    "1": "Aims",
    "1.1": "We want rights for all workers. We want them now.",
    "1.2": "Free speech.",
    "1.3": "Free unions.",
    "2": "Means",
    "2.1": "Organise at work.",
}

STALE = ("The document has changed since this amendment was started (version 1, now version 2): look at the "
         "clause again and redo the change.")
EMPTY = "Enter the clause as it should read; to strike it out, propose its deletion."

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _quick_passwords(monkeypatch):
    """scrypt makes every person and every sign-in cost a few tenths of a second; these tests are about
    amendments, so the people here get a cheap hash (checked by werkzeug as usual when they sign in)."""
    from werkzeug.security import generate_password_hash

    import motions.auth.models as auth_models

    def quick(password, method=None):
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(auth_models, "generate_password_hash", quick)


# ---------------------------------------------------------------- helpers

@dataclass
class World:
    document: int
    clauses: dict  # clause number -> clause id
    mover: int
    other: int
    chair: int


MOVER, OTHER, CHAIR = "mover@example.org", "other@example.org", "chair@example.org"


def _world(factory, slug: str = SLUG, state: str | None = "open", **settings) -> World:
    """A meeting with an open platform, two delegates (the mover and another) and a chair."""
    factory.meeting(slug, **settings)
    mover = factory.person(slug, "delegate", email=MOVER if slug == SLUG else None, name="Mona Mover",
                           organisation="Dockers")
    other = factory.person(slug, "delegate", email=OTHER if slug == SLUG else None, name="Sid Second",
                           organisation="Teachers")
    chair = factory.person(slug, "chair", email=CHAIR if slug == SLUG else None, name="Chris Chair")
    document = factory.document(slug, PLATFORM, state=state)
    return World(document, _clause_ids(factory.app, document), mover, other, chair)


def _clause_ids(app, document_id: int) -> dict:
    from motions.documents.models import Document
    from motions.extensions import db

    with app.app_context():
        version = db.session.get(Document, document_id).version()
        return {ct.number: ct.clause_id for ct in version.clause_texts}


class Visitor:
    """A second browser: its own client, signed in as someone else."""

    def __init__(self, app, email: str):
        self.client = app.test_client()
        self.auth = AuthActions(self.client)
        assert self.auth.login(email).status_code == 302
        self._token = csrf_token(self.client, "/login")

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self._token)
        return self.client.post(path, data=data, **kwargs)


def _amendments(app, document_id: int | None = None) -> list[dict]:
    """Every stored amendment (of one document, or all) with its seconders, history and earlier wordings."""
    from motions.amendments.models import Amendment
    from motions.extensions import db

    with app.app_context():
        query = db.select(Amendment).order_by(Amendment.id)
        if document_id is not None:
            query = query.where(Amendment.document_id == document_id)
        return [{
            "id": a.id, "document_id": a.document_id, "clause_id": a.clause_id, "kind": a.kind.value,
            "status": a.status.value, "number": a.number, "title": a.title, "reason": a.reason,
            "mover_id": a.mover_id, "base_version": a.base_version, "text": a.text, "patch": a.patch,
            "ops": [list(op) for op in a.ops], "ranges": [list(r) for r in a.ranges],
            "first_line": a.first_line, "last_line": a.last_line, "revision": a.revision, "ruling": a.ruling,
            "composite_id": a.composite_id, "seconders": [s.person_id for s in a.seconds],
            "events": [(e.action, e.person_id, e.from_status, e.to_status, e.note) for e in a.events],
            "revisions": [(r.revision, r.text, r.title) for r in a.revisions],
        } for a in db.session.execute(query).scalars()]


def _amendment(app, amendment_id: int) -> dict:
    return next(a for a in _amendments(app) if a["id"] == amendment_id)


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _html(response) -> str:
    return response.get_data(as_text=True)


def _textarea(response, name: str = "text") -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', _html(response), re.S)
    assert match, f"no textarea {name!r}"
    value = htmllib.unescape(match.group(1))
    return value[2:] if value.startswith("\r\n") else value[1:] if value.startswith("\n") else value


def _input(response, name: str) -> str | None:
    for tag in re.findall(r"<input[^>]*>", _html(response)):
        if re.search(rf'name="{name}"', tag):
            match = re.search(r'value="([^"]*)"', tag)
            return htmllib.unescape(match.group(1)) if match else ""
    return None


def _propose(post, document_id: int, clause_id, text: str = "", kind: str = "modify", button: str = "submit",
             **fields):
    data = {"clause_id": "" if clause_id is None else str(clause_id), "kind": kind, "text": text,
            "base_version": "1", "title": "", "reason": "", button: "x"}
    data.update(fields)
    return post(f"/documents/{document_id}/amend", data)


def _selected(response, clause_id: int) -> bool:
    """Is the clause the chosen option of the clause list?"""
    return bool(re.search(rf'<option selected value="{clause_id}">|<option value="{clause_id}" selected>',
                          _html(response)))


def _checked_kind(response, kind: str) -> bool:
    """Is the radio button of this kind checked?"""
    return bool(re.search(rf'<input[^>]*checked[^>]*value="{kind}"|<input[^>]*value="{kind}"[^>]*checked',
                          _html(response)))


# a redline's inserted and deleted words, with the words screen readers announce
INS = r'<ins class="added"><span class="visually-hidden">\[insert:</span>'
DEL = r'<del class="removed"><span class="visually-hidden">\[delete:</span>'


def _list_order(response) -> list[str]:
    """The numbers of the amendments on the list page, top to bottom."""
    return re.findall(r'<li class="card amendment[^"]*" id="amendment-\d+">\s*<h2 class="amendment-head">.*?'
                      r'<a href="/amendments/\d+">([^<]+)</a>', _html(response), re.S)


# ---------------------------------------------------------------- proposing

def test_amend_page_is_prefilled_with_the_clause(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    page = client.get(f"/documents/{w.document}/amend?clause={w.clauses['1.1']}&kind=modify")
    assert page.status_code == 200
    assert _textarea(page) == CLAUSES["1.1"]
    assert "Clause 1.1 as it stands" in _text(page)
    assert "line 2" in _text(page)
    assert _selected(page, w.clauses["1.1"]), "the clause is chosen"
    assert _checked_kind(page, "modify")
    assert _input(page, "base_version") == "1"
    # a new clause starts from nothing
    page = client.get(f"/documents/{w.document}/amend?clause={w.clauses['1.3']}&kind=insert_after")
    assert page.status_code == 200
    assert _textarea(page) == ""
    assert _checked_kind(page, "insert_after")
    assert _amendments(app) == []


def test_propose_a_change_stores_it_and_shows_the_redline(app, client, auth, factory):
    from motions.text.diff import apply_patch, new_text, old_text

    w = _world(factory)
    auth.login(MOVER)
    new = "We want rights for every worker and migrant. We want them now."
    response = _propose(auth.post, w.document, w.clauses["1.1"], new, title="Everyone",
                        reason="Nobody left out.")
    assert response.status_code == 302
    [a] = _amendments(app)
    assert response.location.endswith(f"/amendments/{a['id']}")
    assert a["number"] == "A1" and a["status"] == "submitted" and a["kind"] == "modify"
    assert a["clause_id"] == w.clauses["1.1"] and a["mover_id"] == w.mover
    assert a["base_version"] == 1
    assert a["text"] == new and a["title"] == "Everyone" and a["reason"] == "Nobody left out."
    assert old_text(a["ops"]) == CLAUSES["1.1"] and new_text(a["ops"]) == new
    assert apply_patch(a["patch"], CLAUSES["1.1"]) == (new, True)
    assert a["first_line"] == a["last_line"] == 2
    assert a["events"][0][:2] == ("submitted", w.mover)

    page = client.get(response.location)
    assert page.status_code == 200
    text = _text(page)
    assert "Amendment A1 is submitted." in text
    assert "Amendment A1: Everyone" in text
    assert "Line 2: delete “all workers”, insert “every worker and migrant”." in text
    html = _html(page)
    assert re.search(DEL + r"all workers<span", html)
    assert re.search(INS + r"every worker and migrant<span", html)
    assert "Nobody left out." in text


def test_propose_a_new_clause_after_a_clause(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    response = _propose(auth.post, w.document, w.clauses["1.3"], "Free press.", kind="insert_after")
    assert response.status_code == 302
    [a] = _amendments(app)
    assert (a["kind"], a["clause_id"], a["text"]) == ("insert_after", w.clauses["1.3"], "Free press.")
    assert a["ops"] == [[1, "Free press."]]
    assert a["first_line"] == a["last_line"] == 4  # clause 1.3 ends on line 4
    assert a["number"] == "A1" and a["base_version"] == 1
    page = client.get(response.location)
    assert "Insert after line 4: “Free press.”" in _text(page)
    assert re.search(r'<ins class="added block"[^>]*>' + INS[len('<ins class="added">'):] + r"Free press\.<span", _html(page))


def test_propose_a_new_clause_at_the_start(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    response = _propose(auth.post, w.document, None, "A preamble.", kind="insert_after")
    assert response.status_code == 302
    [a] = _amendments(app)
    assert (a["kind"], a["clause_id"], a["text"], a["first_line"]) == ("insert_after", None, "A preamble.", 0)
    assert "Insert at the start: “A preamble.”" in _text(client.get(response.location))


def test_propose_deleting_a_clause(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    # whatever the text field holds, a deletion strikes the clause out
    response = _propose(auth.post, w.document, w.clauses["1.2"], CLAUSES["1.2"], kind="delete")
    assert response.status_code == 302
    [a] = _amendments(app)
    assert (a["kind"], a["clause_id"], a["text"], a["ops"]) == ("delete", w.clauses["1.2"], "",
                                                                [[-1, "Free speech."]])
    assert a["first_line"] == a["last_line"] == 3
    page = client.get(response.location)
    assert "Delete line 3." in _text(page)
    assert re.search(DEL + r"Free speech\.<span", _html(page))


def test_a_new_text_is_one_line(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    response = _propose(auth.post, w.document, w.clauses["2.1"], "  Organise at work\r\nand at home.  ")
    assert response.status_code == 302
    assert _amendments(app)[0]["text"] == "Organise at work and at home."


def _page_lines(response) -> dict:
    """line number -> the text on that line, as the document page prints them"""
    found = re.findall(r'<span class="ln"[^>]*>(\d+)</span><span class="lt"[^>]*>([^<]*)</span>',
                       _html(response))
    return {int(n): htmllib.unescape(t) for n, t in found}


def test_line_numbers_of_a_change_in_a_long_clause_are_the_printed_ones(app, client, auth, factory):
    factory.meeting(SLUG)
    factory.person(SLUG, "delegate", email=MOVER, name="Mona Mover")
    long = " ".join(f"word{i:02d}" for i in range(1, 41))  # 40 words of 6 letters: 4 lines at 80
    document = factory.document(SLUG, f"# Aims\n\n{long}\n\nShort.\n", state="open")
    clause = _clause_ids(app, document)["1.1"]
    auth.login(MOVER)
    lines = _page_lines(client.get(f"/documents/{document}"))
    where = {word: n for n, text in lines.items() for word in text.split()}
    assert where["word01"] == 2 and where["word40"] > where["word20"] > 2  # the clause wraps
    last_of_line_two = lines[2].split()[-1]
    first_of_line_three = lines[3].split()[0]
    cases = [
        ("word20", "WORD20", f"Line {where['word20']}: delete “word20”, insert “WORD20”."),
        (f"{last_of_line_two} {first_of_line_three}", "two words",
         f"Lines 2–3: delete “{last_of_line_two} {first_of_line_three}”, insert “two words”."),
        ("word40", "word40 word41", f"Line {where['word40']}: after “word40”, insert “word41”."),
    ]
    for old, new, summary in cases:
        response = _propose(auth.post, document, clause, long.replace(old, new))
        assert response.status_code == 302, old
        stored = _amendments(app)[-1]
        first = min(where[w] for w in old.split())
        last = max(where[w] for w in old.split())
        assert (stored["first_line"], stored["last_line"]) == (first, last), old
        assert summary in _text(client.get(response.location)), old
    response = _propose(auth.post, document, clause, "", kind="delete")
    assert f"Delete lines 2–{where['word40']}." in _text(client.get(response.location))
    assert (_amendments(app)[-1]["first_line"], _amendments(app)[-1]["last_line"]) == (2, where["word40"])


# ---------------------------------------------------------------- the live preview

def test_preview_fragment_shows_the_redline_and_stores_nothing(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    response = _propose(auth.post, w.document, w.clauses["1.1"], CLAUSES["1.1"].replace("all", "all the"),
                        button="preview")  # the page's own "Show the redline" button
    assert response.status_code == 200
    assert "Line 2: after “all”, insert “the”." in _text(response)
    assert _amendments(app) == []

    response = auth.post(f"/documents/{w.document}/amend/preview",
                         data={"clause_id": str(w.clauses["1.1"]), "kind": "modify", "base_version": "1",
                               "text": "We want rights for every worker. We want them now."})
    assert response.status_code == 200
    html = _html(response)
    assert "<html" not in html and "<form" not in html  # a fragment for the page to put in place
    assert "Summary: Line 2: delete “all workers”, insert “every worker”." in _text(response)
    assert re.search(DEL + r"all workers<span", html)
    assert re.search(INS + r"every worker<span", html)
    # a new clause is shown whole
    response = auth.post(f"/documents/{w.document}/amend/preview",
                         data={"clause_id": str(w.clauses["1.3"]), "kind": "insert_after",
                               "base_version": "1", "text": "Free press."})
    assert response.status_code == 200
    assert "Insert after line 4: “Free press.”" in _text(response)
    assert '<ins class="added block"' in _html(response)
    assert _amendments(app) == []


def test_preview_names_the_amendments_a_change_would_collide_with(app, client, auth, factory):
    w = _world(factory)
    first = factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login(MOVER)
    response = auth.post(f"/documents/{w.document}/amend/preview",
                         data={"clause_id": str(w.clauses["1.1"]), "kind": "modify", "base_version": "1",
                               "text": CLAUSES["1.1"].replace("all workers", "every worker")})
    assert response.status_code == 200
    assert "This change would collide with: A1" in _text(response)
    assert f'href="/amendments/{first}"' in _html(response)
    # a change to other words of the clause does not collide
    response = auth.post(f"/documents/{w.document}/amend/preview",
                         data={"clause_id": str(w.clauses["1.1"]), "kind": "modify", "base_version": "1",
                               "text": CLAUSES["1.1"].replace("now", "today")})
    assert response.status_code == 200
    assert "collide" not in _text(response)
    assert len(_amendments(app)) == 1


PREVIEW_ERRORS = [
    ({"text": CLAUSES["1.1"]}, "This amendment changes nothing: edit the text of the clause."),
    ({"text": "   "}, "Enter the clause as it should read; to strike it out, propose its deletion."),
    ({"kind": "insert_after", "text": ""}, "Enter the text of the new clause."),
    ({"clause_id": ""}, "Choose the clause to amend."),
    ({"clause_id": "999999"}, "There is no such clause in this document."),
    ({"kind": "rewrite"}, "Choose modify, insert_after or delete."),
    ({"text": "x" * 20_001}, "The text is too long (at most 20000 characters)."),
    ({"text": "Bad\x07text."}, "The text must not contain control characters."),
]


def test_preview_of_bad_input_is_a_clear_error_fragment(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    for data, message in PREVIEW_ERRORS:
        form = {"clause_id": str(w.clauses["1.1"]), "kind": "modify", "base_version": "1", "text": "Changed."}
        form.update(data)
        response = auth.post(f"/documents/{w.document}/amend/preview", data=form)
        assert response.status_code == 422, message
        assert '<p class="error">' in _html(response), message
        assert _text(response) == message
        assert "<del" not in _html(response) and "<ins" not in _html(response)
    # written against a version that is no longer the current one
    _new_version(app, w.document)
    response = auth.post(f"/documents/{w.document}/amend/preview",
                         data={"clause_id": str(w.clauses["1.1"]), "kind": "modify", "base_version": "1",
                               "text": "Changed."})
    assert response.status_code == 422
    assert _text(response) == STALE
    assert _amendments(app) == []


# ---------------------------------------------------------------- refusals: a clear message, nothing stored

REFUSALS = [
    ({"text": CLAUSES["1.1"]}, "This amendment changes nothing: edit the text of the clause."),
    ({"text": "  " + CLAUSES["1.1"] + "\n"}, "This amendment changes nothing: edit the text of the clause."),
    ({"text": ""}, "Enter the clause as it should read; to strike it out, propose its deletion."),
    ({"text": " \r\n "}, "Enter the clause as it should read; to strike it out, propose its deletion."),
    ({"kind": "insert_after", "text": ""}, "Enter the text of the new clause."),
    ({"text": "x" * 20_001}, "The text is too long (at most 20000 characters)."),
    ({"clause_id": "999999"}, "There is no such clause in this document."),
    ({"clause_id": "not-a-number"}, "Choose the clause to amend."),
    ({"kind": "rewrite"}, "Choose modify, insert_after or delete."),
    ({"text": "We want rights\x00 for all."}, "The text must not contain control characters."),
    ({"text": "We want rights\x1b[31m for all."}, "The text must not contain control characters."),
    ({"title": "Title\x07"}, "The text must not contain control characters."),
    ({"reason": "Because\x00."}, "The text must not contain control characters."),
    ({"reason": "Because\x85."}, "The text must not contain control characters."),
    ({"title": "t" * 301}, "Field cannot be longer than 300 characters."),
    ({"reason": "r" * 20_001}, "This is too long (at most 20000 characters)."),
]


def test_a_refused_proposal_says_why_and_stores_nothing(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    for fields, message in REFUSALS:
        data = {"clause_id": str(w.clauses["1.1"]), "text": "We want rights for everyone.",
                "title": "My title", "reason": "My reason."}
        data.update(fields)
        response = _propose(auth.post, w.document, **data)
        assert response.status_code == 422, (fields, _text(response))
        assert message in _text(response), fields
        assert 'role="alert"' in _html(response) or 'class="flash error"' in _html(response), fields
        assert 'name="submit"' in _html(response), fields  # the form is there to correct
    assert _amendments(app) == []


def test_the_longest_text_is_accepted(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    text = ("We want rights for everyone. " * 700)[:19_999] + "."
    assert len(text) == 20_000
    response = _propose(auth.post, w.document, w.clauses["1.1"], text)
    assert response.status_code == 302, _text(response)
    assert _amendments(app)[0]["text"] == text


def test_a_refused_form_keeps_what_the_delegate_typed(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    typed = "We want rights for all workers\x07 and migrants. We want them now."
    response = _propose(auth.post, w.document, w.clauses["1.1"], typed, title="Migrants too",
                        reason="First paragraph.\r\n\r\nSecond paragraph.")
    assert response.status_code == 422
    assert "The text must not contain control characters." in _text(response)
    assert _textarea(response) == typed
    assert _input(response, "title") == "Migrants too"
    assert _textarea(response, "reason").replace("\r\n", "\n") == "First paragraph.\n\nSecond paragraph."
    assert _selected(response, w.clauses["1.1"]), "the clause stays chosen"
    assert _amendments(app) == []


def test_a_clause_of_another_meetings_document_cannot_be_amended(app, client, auth, factory):
    w = _world(factory)
    theirs = _world(factory, "other-meeting")
    auth.login(MOVER)
    for clause_id in (theirs.clauses["1.1"], theirs.clauses["1.3"]):
        for kind in ("modify", "insert_after", "delete"):
            response = _propose(auth.post, w.document, clause_id, "We want rights for everyone.", kind=kind)
            assert response.status_code == 422, kind
            assert "There is no such clause in this document." in _text(response)
    # nor through the other meeting's document, where the mover has no role
    response = _propose(auth.post, theirs.document, theirs.clauses["1.1"], "We want rights for everyone.")
    assert response.status_code == 403
    assert _amendments(app) == []


def _new_version(app, document_id: int) -> None:
    """Make version 2 of the document (a copy of version 1), as carrying an amendment will."""
    from motions.documents.models import ClauseText, Document, DocumentVersion
    from motions.extensions import db

    with app.app_context():
        document = db.session.get(Document, document_id)
        old = document.version()
        new = DocumentVersion(document_id=document_id, number=2, reason="carried", line_width=old.line_width)
        db.session.add(new)
        db.session.flush()
        for ct in old.clause_texts:
            db.session.add(ClauseText(version_id=new.id, clause_id=ct.clause_id, position=ct.position,
                                      kind=ct.kind, level=ct.level, marker=ct.marker, number=ct.number,
                                      heading=ct.heading,
                                      text=ct.text, source=ct.source, separator=ct.separator,
                                      first_line=ct.first_line, last_line=ct.last_line))
        document.current_version = 2
        db.session.commit()


def test_a_proposal_against_an_old_version_is_refused(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    page = client.get(f"/documents/{w.document}/amend?clause={w.clauses['1.1']}&kind=modify")
    assert _input(page, "base_version") == "1"
    _new_version(app, w.document)  # meanwhile an amendment is carried
    typed = "We want rights for every worker. We want them now."
    response = _propose(auth.post, w.document, w.clauses["1.1"], typed, base_version="1")
    assert response.status_code == 409
    assert STALE in _text(response)
    assert _textarea(response) == typed
    assert _amendments(app) == []
    # against the current version it goes through
    response = _propose(auth.post, w.document, w.clauses["1.1"], typed, base_version="2")
    assert response.status_code == 302
    assert _amendments(app)[0]["base_version"] == 2


def test_a_proposal_naming_a_version_the_document_never_had_says_why(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    response = _propose(auth.post, w.document, w.clauses["1.1"], "We want rights for everyone.",
                        base_version="7")
    assert response.status_code in (409, 422)
    assert _amendments(app) == []
    assert "version 7" in _text(response)


@pytest.mark.parametrize("state,label", [("draft", "draft"), ("closed", "amendments closed"),
                                         ("final", "final")])
def test_a_document_that_is_not_open_cannot_be_amended(app, client, auth, factory, state, label):
    from motions.documents import operations as docs
    from motions.documents.models import Document
    from motions.extensions import db

    w = _world(factory, state=None)
    with app.app_context():
        document = db.session.get(Document, w.document)
        for step in {"draft": [], "closed": ["open", "closed"], "final": ["open", "closed", "final"]}[state]:
            if step == "final":
                factory.adopt(w.document)  # the meeting carries the document as amended
                document = db.session.get(Document, w.document)
            docs.set_state(document, step)
    auth.login(MOVER)
    message = f"Amendments to this document are closed: it is “{label}”."
    page = client.get(f"/documents/{w.document}/amend?clause={w.clauses['1.1']}&kind=modify")
    assert message in _text(page)
    assert 'name="submit"' not in _html(page)  # no form to fill in
    response = _propose(auth.post, w.document, w.clauses["1.1"], "We want rights for everyone.")
    assert response.status_code == 409
    assert message in _text(response)
    assert _amendments(app) == []
    # and the document page offers no "Amend"
    assert "/amend?" not in _html(client.get(f"/documents/{w.document}"))


# ---------------------------------------------------------------- escaping

def _never_raw(response) -> None:
    html = _html(response)
    assert SCRIPT not in html
    assert "<img" not in html
    assert "onerror=alert(1)>" not in html


def test_script_and_html_are_shown_as_text_everywhere(app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    text = f"We want rights for all workers {SCRIPT} {IMG}. We want them now."
    response = _propose(auth.post, w.document, w.clauses["1.1"], text, title=f"Title {SCRIPT} {IMG}",
                        reason=f"Reason {SCRIPT}\r\n\r\n{IMG}")
    assert response.status_code == 302
    [a] = _amendments(app)
    assert a["text"] == text and a["title"] == f"Title {SCRIPT} {IMG}"  # stored as typed
    new_clause = _propose(auth.post, w.document, w.clauses["1.3"], f"New {SCRIPT} {IMG}", kind="insert_after")
    assert new_clause.status_code == 302

    pages = {
        "amendment": client.get(f"/amendments/{a['id']}"),
        "new clause": client.get(new_clause.location),
        "list": client.get(f"/documents/{w.document}/amendments"),
        "document": client.get(f"/documents/{w.document}/clauses/{w.clauses['1.1']}/amendments"),  # its toggle
        "redline": client.get(f"/amendments/{a['id']}/redline"),
        "preview": auth.post(f"/documents/{w.document}/amend/preview",
                             data={"clause_id": str(w.clauses["1.1"]), "kind": "modify", "base_version": "1",
                                   "text": text}),
        "preview of a new clause": auth.post(f"/documents/{w.document}/amend/preview",
                                             data={"clause_id": str(w.clauses["1.3"]), "kind": "insert_after",
                                                   "base_version": "1", "text": f"New {SCRIPT} {IMG}"}),
        "refused form": _propose(auth.post, w.document, w.clauses["1.1"], text + "\x00", title=f"T {SCRIPT}",
                                 reason=IMG),
        "revise": client.get(f"/amendments/{a['id']}/revise"),
        "composite": Visitor(app, CHAIR).post(f"/m/{SLUG}/composite", data={"amendment": [str(a["id"])]}),
    }
    for name, page in pages.items():
        assert page.status_code in (200, 422), name
        _never_raw(page)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _html(page), name
    for name in ("amendment", "list", "document"):
        assert f"Title {SCRIPT} {IMG}" in _text(pages[name]), name
    assert f"Reason {SCRIPT}" in _text(pages["amendment"]) and IMG in _text(pages["amendment"])
    for name in ("amendment", "redline", "preview", "composite"):
        assert f"{SCRIPT} {IMG}" in _text(pages[name]), name
    assert len(_amendments(app)) == 2


# ---------------------------------------------------------------- seconding

def test_a_delegate_seconds_an_amendment(app, client, auth, factory):
    w = _world(factory, seconders_required=1)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login(OTHER)
    page = client.get(f"/amendments/{a}")
    assert "Second this amendment" in _text(page) and "0 of 1 needed" in _text(page)
    response = auth.post(f"/amendments/{a}/second")
    assert response.status_code == 302 and response.location.endswith(f"/amendments/{a}")
    page = client.get(response.location)
    text = _text(page)
    assert "You have seconded A1." in text
    assert "1 of 1 needed" in text
    assert "Seconders 1 of 1 needed Sid Second (Teachers)" in text
    assert "Withdraw my second" in text and "Second this amendment" not in text
    stored = _amendment(app, a)
    assert stored["seconders"] == [w.other] and stored["status"] == "submitted"
    assert [e[:2] for e in stored["events"]] == [("submitted", w.mover), ("seconded", w.other)]
    assert "1 of 1 seconders" in _text(client.get(f"/documents/{w.document}/amendments"))


def test_the_mover_cannot_second_their_own_amendment(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login(MOVER)
    assert "Second this amendment" not in _text(client.get(f"/amendments/{a}"))
    before = _amendment(app, a)
    response = auth.post(f"/amendments/{a}/second")
    assert response.status_code == 302
    assert ("You moved this amendment: another delegate must second it."
            in _text(client.get(response.location)))
    assert _amendment(app, a) == before


def test_seconding_twice_is_refused_and_a_second_can_be_withdrawn(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"),
                          seconders=(w.other,))
    auth.login(OTHER)
    before = _amendment(app, a)
    response = auth.post(f"/amendments/{a}/second")
    assert "You have already seconded this amendment." in _text(client.get(response.location))
    assert _amendment(app, a) == before

    response = auth.post(f"/amendments/{a}/unsecond")
    page = client.get(response.location)
    assert "Your second of A1 is withdrawn." in _text(page)
    assert "Seconders 0 of 0 needed Second this amendment" in _text(page)
    stored = _amendment(app, a)
    assert stored["seconders"] == []
    assert [e[:2] for e in stored["events"]][-1] == ("unseconded", w.other)
    assert "second withdrawn" in _text(page)

    response = auth.post(f"/amendments/{a}/unsecond")
    assert "You have not seconded this amendment." in _text(client.get(response.location))
    assert _amendment(app, a) == stored
    # and seconding again is possible
    auth.post(f"/amendments/{a}/second")
    assert _amendment(app, a)["seconders"] == [w.other]


def test_the_chair_admits_only_with_enough_seconders(app, client, auth, factory):
    w = _world(factory, seconders_required=2)
    third = factory.person(SLUG, "delegate", email="third@example.org", name="Tess Third")
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"),
                          seconders=(w.other,))
    auth.login(CHAIR)
    page = client.get(f"/amendments/{a}")
    assert "1 of 2 needed" in _text(page)
    before = _amendment(app, a)
    response = auth.post(f"/amendments/{a}/admit")
    assert response.status_code == 302
    assert ("This amendment needs 2 seconders before it can be admitted; it has 1."
            in _text(client.get(response.location)))
    assert _amendment(app, a) == before

    Visitor(app, "third@example.org").post(f"/amendments/{a}/second")
    response = auth.post(f"/amendments/{a}/admit")
    page = client.get(response.location)
    assert "A1 is admitted." in _text(page)
    stored = _amendment(app, a)
    assert stored["status"] == "admitted" and stored["seconders"] == [w.other, third]
    assert stored["events"][-1][:4] == ("admitted", w.chair, "submitted", "admitted")
    assert f'action="/amendments/{a}/admit"' not in _html(page)


def test_an_admitted_amendment_cannot_be_seconded_or_unseconded(app, client, auth, factory):
    w = _world(factory, seconders_required=1)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"),
                          seconders=(w.other,))
    Visitor(app, CHAIR).post(f"/amendments/{a}/admit")
    assert _amendment(app, a)["status"] == "admitted"
    third = factory.person(SLUG, "delegate", email="third@example.org")
    visitor = Visitor(app, "third@example.org")
    assert "Second this amendment" not in _text(visitor.get(f"/amendments/{a}"))
    before = _amendment(app, a)
    response = visitor.post(f"/amendments/{a}/second")
    assert ("Only a submitted amendment can be seconded; this one is “admitted”."
            in _text(visitor.get(response.location)))
    auth.login(OTHER)
    response = auth.post(f"/amendments/{a}/unsecond")
    assert ("A second can only be withdrawn while the amendment is submitted."
            in _text(client.get(response.location)))
    after = _amendment(app, a)
    assert after == before and third not in after["seconders"]


def test_only_delegates_second(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login(CHAIR)
    assert auth.post(f"/amendments/{a}/second").status_code == 403
    assert _amendment(app, a)["seconders"] == []


# ---------------------------------------------------------------- screening

def test_the_chair_admits(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login(CHAIR)
    page = client.get(f"/amendments/{a}")
    assert f'action="/amendments/{a}/admit"' in _html(page)
    response = auth.post(f"/amendments/{a}/admit")
    assert response.status_code == 302
    page = client.get(response.location)
    assert "A1 is admitted." in _text(page)
    assert "admitted by the chair · Chris Chair" in _text(page)
    assert f'action="/amendments/{a}/admit"' not in _html(page)
    assert _amendment(app, a)["status"] == "admitted"
    # admitting again is refused
    response = auth.post(f"/amendments/{a}/admit")
    assert "An amendment that is “admitted” cannot become “admitted”." in _text(client.get(response.location))


def test_ruling_out_needs_a_reason_and_shows_the_ruling(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login(CHAIR)
    before = _amendment(app, a)
    for reason in ("", "   \r\n  "):
        response = auth.post(f"/amendments/{a}/rule-out", data={"reason": reason})
        assert response.status_code == 422
        assert "Give the reason for the ruling." in _text(response)
        assert 'role="alert"' in _html(response)
    assert _amendment(app, a) == before

    ruling = "It contradicts the standing orders <b>rule 4</b>."
    response = auth.post(f"/amendments/{a}/rule-out", data={"reason": ruling})
    assert response.status_code == 302
    page = client.get(response.location)
    assert "A1 is ruled out of order." in _text(page)
    assert f"Ruling {ruling}" in _text(page)
    assert "<b>rule 4</b>" not in _html(page)
    stored = _amendment(app, a)
    assert stored["status"] == "ruled_out" and stored["ruling"] == ruling
    assert stored["events"][-1] == ("ruled_out", w.chair, "submitted", "ruled_out", ruling)
    assert "ruled out of order" in _text(page)


def test_an_admitted_amendment_can_be_ruled_out(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login(CHAIR)
    auth.post(f"/amendments/{a}/admit")
    response = auth.post(f"/amendments/{a}/rule-out", data={"reason": "Out of scope."})
    assert response.status_code == 302
    assert _amendment(app, a)["status"] == "ruled_out"


def _rule_out_a_withdrawn_amendment(app, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    Visitor(app, MOVER).post(f"/amendments/{a}/withdraw")
    before = _amendment(app, a)
    auth.login(CHAIR)
    response = auth.post(f"/amendments/{a}/rule-out", data={"reason": "Out of scope."})
    assert _amendment(app, a) == before
    return response


def test_ruling_out_a_withdrawn_amendment_is_refused(app, client, auth, factory):
    response = _rule_out_a_withdrawn_amendment(app, auth, factory)
    assert response.status_code in (409, 422)
    assert "An amendment that is “withdrawn” cannot become “ruled out of order”." in _text(response)


def test_ruling_out_a_withdrawn_amendment_answers_409(app, client, auth, factory):
    response = _rule_out_a_withdrawn_amendment(app, auth, factory)
    assert response.status_code == 409


@pytest.mark.parametrize("roles", [("delegate",), ("secretary",)])
def test_only_the_chair_screens(app, client, auth, factory, roles):
    w = _world(factory)
    factory.person(SLUG, *roles, email="someone@example.org")
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login("someone@example.org")
    page = client.get(f"/amendments/{a}")
    assert page.status_code == 200
    assert "/admit" not in _html(page) and "/rule-out" not in _html(page)
    before = _amendment(app, a)
    assert auth.post(f"/amendments/{a}/admit").status_code == 403
    assert auth.post(f"/amendments/{a}/rule-out", data={"reason": "No."}).status_code == 403
    assert _amendment(app, a) == before
    # the mover, a delegate too, cannot admit their own
    auth.logout()
    auth.login(MOVER)
    assert auth.post(f"/amendments/{a}/admit").status_code == 403
    assert _amendment(app, a) == before


def test_the_mover_withdraws_and_no_one_else_can(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    for email in (OTHER, CHAIR):
        visitor = Visitor(app, email)
        assert "Withdraw the amendment" not in _text(visitor.get(f"/amendments/{a}"))
        response = visitor.post(f"/amendments/{a}/withdraw")
        assert response.status_code == 302
        assert "Only the mover may withdraw this amendment." in _text(visitor.get(response.location)), email
        assert _amendment(app, a)["status"] == "submitted"

    auth.login(MOVER)
    response = auth.post(f"/amendments/{a}/withdraw")
    page = client.get(response.location)
    assert "A1 is withdrawn." in _text(page)
    assert "withdrawn by the mover · Mona Mover" in _text(page)
    stored = _amendment(app, a)
    assert stored["status"] == "withdrawn"
    assert stored["events"][-1][:4] == ("withdrawn", w.mover, "submitted", "withdrawn")

    # a withdrawn amendment cannot be admitted
    chair = Visitor(app, CHAIR)
    response = chair.post(f"/amendments/{a}/admit")
    assert "An amendment that is “withdrawn” cannot become “admitted”." in _text(chair.get(response.location))
    assert _amendment(app, a) == stored


def test_an_admitted_amendment_can_be_withdrawn_by_its_mover(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    Visitor(app, CHAIR).post(f"/amendments/{a}/admit")
    auth.login(MOVER)
    assert "Withdraw the amendment" in _text(client.get(f"/amendments/{a}"))
    auth.post(f"/amendments/{a}/withdraw")
    assert _amendment(app, a)["status"] == "withdrawn"


# ---------------------------------------------------------------- revising

def test_the_mover_revises_before_admission(app, client, auth, factory):
    w = _world(factory, seconders_required=1)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"),
                          seconders=(w.other,), title="People")
    auth.login(MOVER)
    page = client.get(f"/amendments/{a}/revise")
    assert page.status_code == 200
    assert _textarea(page) == "We want rights for all people. We want them now."
    assert _input(page, "title") == "People"
    response = auth.post(f"/amendments/{a}/revise", data={
        "text": "We want rights for all people and migrants. We want them now.",
        "title": "People and migrants", "reason": "Wider.", "base_version": "1"})
    assert response.status_code == 302
    page = client.get(response.location)
    text = _text(page)
    assert "A1 is revised." in text
    assert "Line 2: delete “workers”, insert “people and migrants”." in text
    assert "revised by the mover · Mona Mover" in text
    assert "1 seconder released" in text
    assert "Earlier wordings Revision 1: We want rights for all people. We want them now." in text
    assert "0 of 1 needed" in text
    stored = _amendment(app, a)
    assert stored["text"] == "We want rights for all people and migrants. We want them now."
    assert stored["title"] == "People and migrants" and stored["reason"] == "Wider."
    assert stored["revision"] == 2 and stored["seconders"] == []
    assert stored["revisions"] == [(1, "We want rights for all people. We want them now.", "People")]
    assert stored["number"] == "A1" and stored["status"] == "submitted"
    assert stored["events"][-1][:2] == ("revised", w.mover)
    # the seconder must second the new wording again
    assert "Second this amendment" in _text(Visitor(app, OTHER).get(f"/amendments/{a}"))


def test_a_revision_that_changes_nothing_or_nothing_at_all_is_refused(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    auth.login(MOVER)
    before = _amendment(app, a)
    for text, message in [("We want rights for all people. We want them now.", "Nothing was changed."),
                          (CLAUSES["1.1"], "This amendment changes nothing: edit the text of the clause."),
                          ("", EMPTY)]:
        response = auth.post(f"/amendments/{a}/revise", data={"text": text, "title": "", "reason": "",
                                                              "base_version": "1"})
        assert response.status_code == 422, text
        assert message in _text(response)
    assert _amendment(app, a) == before


def test_no_revision_after_admission_nor_by_anyone_else(app, client, auth, factory):
    w = _world(factory)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    other = Visitor(app, OTHER)
    response = other.post(f"/amendments/{a}/revise", data={"text": "We want rights for everyone.",
                                                           "base_version": "1"})
    assert response.status_code == 302
    assert "Only the mover may revise this amendment." in _text(other.get(response.location))
    assert "/revise" not in _html(other.get(f"/amendments/{a}"))

    Visitor(app, CHAIR).post(f"/amendments/{a}/admit")
    before = _amendment(app, a)
    auth.login(MOVER)
    assert "/revise" not in _html(client.get(f"/amendments/{a}"))
    for send in (lambda: client.get(f"/amendments/{a}/revise"),
                 lambda: auth.post(f"/amendments/{a}/revise", data={"text": "We want rights for everyone.",
                                                                     "base_version": "1"})):
        response = send()
        assert response.status_code == 302
        assert ("Only a submitted amendment can be revised; this one is “admitted”."
                in _text(client.get(response.location)))
    assert _amendment(app, a) == before


# ---------------------------------------------------------------- compositing

def _two_rival_amendments(factory, w: World) -> tuple[int, int]:
    first = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    second = factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("all workers", "every worker"))
    return first, second


@pytest.mark.parametrize("role", ["chair", "secretary"])
def test_composite_from_the_list(app, client, auth, factory, role):
    w = _world(factory)
    email = CHAIR if role == "chair" else "sec@example.org"
    if role == "secretary":
        factory.person(SLUG, "secretary", email=email, name="Sam Secretary")
    first, second = _two_rival_amendments(factory, w)
    factory.amendment(w.document, w.mover, w.clauses["1.2"], replace=("speech", "press"))
    auth.login(email)
    listing = client.get(f"/documents/{w.document}/amendments")
    assert f'action="/m/{SLUG}/composite"' in _html(listing)
    # in text order: A2 changes "all workers", A1 only "workers"
    assert re.findall(r'<input type="checkbox" name="amendment" value="(\d+)"', _html(listing)) == [
        str(second), str(first), str(first + 2)]

    # the list's form: the chosen amendments side by side, the text starting from the first one's
    page = auth.post(f"/m/{SLUG}/composite", data={"amendment": [str(first), str(second)]})
    assert page.status_code == 200
    assert "Line 2: delete “workers”, insert “people”." in _text(page)
    assert "Line 2: delete “all workers”, insert “every worker”." in _text(page)
    assert _input(page, "amendment_ids") == f"{first},{second}"
    assert _textarea(page) == "We want rights for all people. We want them now."
    assert all(a["status"] == "submitted" for a in _amendments(app))

    composite_text = "We want rights for every worker and all people. We want them now."
    response = auth.post(f"/m/{SLUG}/composite", data={"amendment_ids": f"{first},{second}",
                                                       "text": composite_text, "title": "",
                                                       "reason": "Agreed.", "submit": "x"})
    assert response.status_code == 302
    stored = {a["id"]: a for a in _amendments(app)}
    made = max(stored)
    assert response.location.endswith(f"/amendments/{made}")
    c = stored[made]
    assert (c["status"], c["number"], c["text"], c["clause_id"]) == ("admitted", "A4", composite_text,
                                                                      w.clauses["1.1"])
    assert c["title"] == "Composite of A1, A2" and c["reason"] == "Agreed."
    assert c["events"][0][:2] == ("composited_from", c["mover_id"]) and c["events"][0][4] == "A1, A2"
    for original in (first, second):
        assert stored[original]["status"] == "composited" and stored[original]["composite_id"] == made
        assert stored[original]["events"][-1][0] == "composited"
    assert stored[first + 2]["status"] == "submitted"

    page = client.get(response.location)
    text = _text(page)
    assert "The composite A4 is made and admitted." in text
    assert "Amendment A4: Composite of A1, A2" in text and "admitted" in text
    assert f'<a href="/amendments/{first}">A1</a>, <a href="/amendments/{second}">A2</a>' in _html(page)
    original = client.get(f"/amendments/{first}")
    assert "Composited into A4" in _text(original)
    assert f'<a href="/amendments/{made}">A4</a>' in _html(original)
    assert "composited into A4" in _text(original)  # the history


def test_amendments_to_different_clauses_cannot_be_composited(app, client, auth, factory):
    w = _world(factory)
    first = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    second = factory.amendment(w.document, w.other, w.clauses["1.2"], replace=("speech", "press"))
    before = _amendments(app)
    auth.login(CHAIR)
    response = auth.post(f"/m/{SLUG}/composite", data={"amendment_ids": f"{first},{second}",
                                                       "text": "We want rights for everyone.", "submit": "x"})
    assert response.status_code == 422
    assert "Only amendments to the same clause can be composited." in _text(response)
    assert _amendments(app) == before


def test_compositing_needs_two_pending_amendments(app, client, auth, factory):
    w = _world(factory)
    first, second = _two_rival_amendments(factory, w)
    auth.login(CHAIR)
    response = auth.post(f"/m/{SLUG}/composite", data={"amendment": [str(first)]})
    assert response.status_code == 422
    assert "Choose at least two amendments to composite." in _text(response)
    Visitor(app, MOVER).post(f"/amendments/{first}/withdraw")
    before = _amendments(app)
    response = auth.post(f"/m/{SLUG}/composite", data={"amendment_ids": f"{first},{second}",
                                                       "text": "We want rights for everyone.", "submit": "x"})
    assert response.status_code == 409
    assert "Only submitted or admitted amendments can be composited (not A1)." in _text(response)
    assert _amendments(app) == before


def test_a_delegate_cannot_composite(app, client, auth, factory):
    w = _world(factory)
    first, second = _two_rival_amendments(factory, w)
    before = _amendments(app)
    auth.login(MOVER)
    assert 'name="amendment"' not in _html(client.get(f"/documents/{w.document}/amendments"))
    assert client.get(f"/m/{SLUG}/composite").status_code == 403
    assert auth.post(f"/m/{SLUG}/composite", data={"amendment": [str(first), str(second)]}).status_code == 403
    response = auth.post(f"/m/{SLUG}/composite", data={"amendment_ids": f"{first},{second}",
                                                       "text": "We want rights for everyone.", "submit": "x"})
    assert response.status_code == 403
    assert _amendments(app) == before


# ---------------------------------------------------------------- numbering

def _numbers(app, document_id: int) -> dict:
    """amendment id -> number"""
    return {a["id"]: a["number"] for a in _amendments(app, document_id)}


def test_sequential_numbers_are_given_in_submission_order_then_in_text_order_when_amendments_close(
        app, client, auth, factory):
    w = _world(factory)
    auth.login(MOVER)
    proposals = [  # in the order they are submitted
        (w.clauses["2.1"], "modify", "Organise at work and at home."),
        (w.clauses["1.1"], "modify", CLAUSES["1.1"].replace("now", "today")),
        (None, "insert_after", "A preamble."),
        (w.clauses["1.2"], "delete", ""),
        (w.clauses["1.1"], "modify", CLAUSES["1.1"].replace("rights", "bread")),
    ]
    ids = []
    for clause_id, kind, text in proposals:
        response = _propose(auth.post, w.document, clause_id, text, kind=kind)
        assert response.status_code == 302
        ids.append(int(response.location.rsplit("/", 1)[1]))
    assert [_numbers(app, w.document)[i] for i in ids] == ["A1", "A2", "A3", "A4", "A5"]
    listing = client.get(f"/documents/{w.document}/amendments")
    assert "numbers are provisional until amendments close" in _text(listing)
    assert _list_order(listing) == ["A3", "A5", "A2", "A4", "A1"]

    chair = Visitor(app, CHAIR)
    response = chair.post(f"/documents/{w.document}/state", data={"state": "closed"})
    assert response.status_code == 302
    assert "The document is now “amendments closed”." in _text(chair.get(response.location))
    numbers = _numbers(app, w.document)
    # the preamble, then clause 1.1 (the change nearer the start first), 1.2, and last 2.1
    assert [numbers[i] for i in ids] == ["A5", "A3", "A1", "A4", "A2"]
    listing = client.get(f"/documents/{w.document}/amendments")
    assert _list_order(listing) == ["A1", "A2", "A3", "A4", "A5"]
    assert "provisional" not in _text(listing)
    stored = {a["id"]: a for a in _amendments(app, w.document)}
    assert stored[ids[0]]["events"][-1][0] == "renumbered" and stored[ids[0]]["events"][-1][4] == "A5"
    assert [e[0] for e in stored[ids[3]]["events"]] == ["submitted"]  # A4 stays A4
    assert "renumbered as A5" in _text(client.get(f"/amendments/{ids[0]}"))


def test_numbering_by_line(app, client, auth, factory):
    w = _world(factory, numbering="by_line")
    auth.login(MOVER)
    proposals = [
        (w.clauses["1.1"], "modify", CLAUSES["1.1"].replace("now", "today")),
        (w.clauses["1.2"], "delete", ""),
        (w.clauses["1.1"], "modify", CLAUSES["1.1"].replace("rights", "bread")),
        (w.clauses["1.3"], "insert_after", "Free press."),
        (w.clauses["1.1"], "modify", "Changed entirely."),
    ]
    ids = []
    for clause_id, kind, text in proposals:
        response = _propose(auth.post, w.document, clause_id, text, kind=kind)
        assert response.status_code == 302
        ids.append(int(response.location.rsplit("/", 1)[1]))
    expected = ["L2-1", "L3-1", "L2-2", "L4-1", "L2-3"]
    assert [_numbers(app, w.document)[i] for i in ids] == expected
    assert "Amendment L2-2" in _text(client.get(f"/amendments/{ids[2]}"))
    listing = client.get(f"/documents/{w.document}/amendments")
    assert "provisional" not in _text(listing)
    # closing the amendments changes no number
    closing = Visitor(app, CHAIR).post(f"/documents/{w.document}/state", data={"state": "closed"})
    assert closing.status_code == 302
    assert [_numbers(app, w.document)[i] for i in ids] == expected


# ---------------------------------------------------------------- the list

def test_the_list_is_in_text_order(app, client, auth, factory):
    w = _world(factory)
    later = factory.amendment(w.document, w.mover, w.clauses["2.1"], replace=("work", "home"))  # A1
    near_the_end = factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("now", "today"))  # A2
    near_the_start = factory.amendment(w.document, w.mover, w.clauses["1.1"],
                                       replace=("rights", "bread"))  # A3
    new_clause = factory.amendment(w.document, w.mover, w.clauses["1.1"], kind="insert_after",
                                   text="A new clause.")  # A4
    whole = factory.amendment(w.document, w.other, w.clauses["1.1"], kind="delete")  # A5
    same_place = factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("rights", "food"))  # A6
    auth.login(MOVER)
    listing = client.get(f"/documents/{w.document}/amendments")
    assert listing.status_code == 200
    # clause 1.1: the deletion of the whole clause first, then by where the change starts (at the same
    # place the earlier submission first), then the new clause after it; clause 2.1 last
    assert _list_order(listing) == ["A5", "A3", "A6", "A2", "A4", "A1"]
    assert "6 amendments" in _text(listing)
    expected = (whole, near_the_start, same_place, near_the_end, new_clause, later)
    assert re.findall(r'id="amendment-(\d+)"', _html(listing)) == [str(i) for i in expected]
    assert "Clause 1.1 · Line 2: delete “rights”, insert “bread”." in _text(listing)
    assert "Moved by Mona Mover (Dockers)" in _text(listing)


def test_the_list_filters(app, client, auth, factory):
    w = _world(factory)
    factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("rights", "bread"))  # A1
    factory.amendment(w.document, w.other, w.clauses["1.2"], replace=("speech", "press"))  # A2
    factory.amendment(w.document, w.mover, w.clauses["2.1"], replace=("work", "home"),
                      status="admitted")  # A3
    auth.login(OTHER)
    base = f"/documents/{w.document}/amendments"
    listing = client.get(base)
    assert _list_order(listing) == ["A1", "A2", "A3"]
    assert "Show all" not in _text(listing)
    organisations = re.search(r'<select[^>]*name="organisation"[^>]*>(.*?)</select>', _html(listing), re.S)
    assert re.findall(r'value="([^"]*)"', organisations.group(1)) == ["", "Dockers", "Teachers"]
    cases = [
        (f"clause_id={w.clauses['1.1']}", ["A1"]),
        (f"clause_id={w.clauses['2.1']}", ["A3"]),
        ("status=admitted", ["A3"]),
        ("status=submitted", ["A1", "A2"]),
        (f"mover_id={w.other}", ["A2"]),
        (f"mover_id={w.mover}", ["A1", "A3"]),
        ("organisation=Dockers", ["A1", "A3"]),
        ("organisation=Teachers", ["A2"]),
        ("organisation=Dockers&status=submitted&clause_id=", ["A1"]),
        (f"mover_id={w.mover}&clause_id={w.clauses['1.2']}", []),
        ("status=withdrawn", []),
    ]
    for query, expected in cases:
        page = client.get(f"{base}?{query}")
        assert page.status_code == 200, query
        assert _list_order(page) == expected, query
        assert "Show all" in _text(page), query
        if not expected:
            assert "No amendments match." in _text(page)
    # nonsense in the query is ignored, not an error
    assert _list_order(client.get(f"{base}?status=nonsense&clause_id=x&mover_id=-1")) == ["A1", "A2", "A3"]


def test_the_list_comes_a_page_at_a_time(app, client, auth, factory):
    """A conference's list is cut into pages in the order of business; filters carry over to the
    other pages; a collision group is named on every page that shows one of its members."""
    app.config["AMENDMENTS_PER_PAGE"] = 2
    w = _world(factory)
    a1 = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))
    factory.amendment(w.document, w.other, w.clauses["1.2"], replace=("speech", "press"))  # A2
    a3 = factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("them now", "them today"))
    factory.amendment(w.document, w.mover, w.clauses["2.1"], replace=("work", "home"))  # A4
    a5 = factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("them now", "everything"))
    auth.login(MOVER)
    base = f"/documents/{w.document}/amendments"
    # the order of business: clause 1.1 (A1, then A5 and A3 by where their changes start), 1.2, 2.1
    pages = [_list_order(client.get(f"{base}?page={n}")) for n in (1, 2, 3)]
    assert pages == [["A1", "A5"], ["A3", "A2"], ["A4"]]
    first = client.get(base)
    assert _list_order(first) == ["A1", "A5"]
    assert "5 amendments" in _text(first) and "showing 1 to 2 of 5" in _text(first)
    pager = re.search(r'<nav class="pager" aria-label="Pages of the list">(.*?)</nav>', _html(first), re.S).group(1)
    assert re.findall(r">(\d+|Previous|Next)</a>", pager) == ["1", "2", "3", "Next"]
    assert 'aria-current="page">1</a>' in pager
    last = client.get(f"{base}?page=3")
    assert "showing 5 to 5 of 5" in _text(last)
    assert re.findall(r">(\d+|Previous|Next)</a>", _html(last).split('class="pager"')[1]) == ["Previous", "1", "2", "3"]
    # a page past the end shows the last; nonsense shows the first; never an error
    assert _list_order(client.get(f"{base}?page=99")) == ["A4"]
    assert _list_order(client.get(f"{base}?page=x")) == ["A1", "A5"]
    assert _list_order(client.get(f"{base}?page=-3")) == ["A1", "A5"]
    # A5 ("them now" → "everything") meets A3 ("now" → "today"): the group is named on both pages
    for n in (1, 2):
        text = _text(client.get(f"{base}?page={n}"))
        assert "If A5 is carried, A3 falls or must be resolved." in text, n
    assert "Colliding amendments" not in _text(last)
    # a filter keeps to its pages, and the pager keeps the filter
    filtered = client.get(f"{base}?clause_id={w.clauses['1.1']}&page=2")
    assert _list_order(filtered) == ["A3"] and "showing 3 to 3 of 3" in _text(filtered)
    assert f'href="{base}?page=1&amp;clause_id={w.clauses["1.1"]}"' in _html(filtered)
    # the composite checkboxes on a page pick that page's amendments only
    chair = Visitor(app, CHAIR)
    boxes = re.findall(r'name="amendment" value="(\d+)"', _html(chair.get(base)))
    assert boxes == [str(a1), str(a5)]
    assert a3 not in map(int, boxes)


def test_collision_groups_on_the_list(app, client, auth, factory):
    w = _world(factory)
    first = factory.amendment(w.document, w.mover, w.clauses["1.1"],
                              replace=("all workers", "all people"))  # A1
    apart = factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("now", "today"))  # A2
    auth.login(MOVER)
    listing = client.get(f"/documents/{w.document}/amendments")
    # two changes to different words of one clause do not collide
    assert "Colliding amendments" not in _text(listing)
    assert "collides with" not in _text(listing) and "fall or must be resolved" not in _text(listing)

    rival = factory.amendment(w.document, w.other, w.clauses["1.1"],
                              replace=("all workers", "every worker"))  # A3
    elsewhere = factory.amendment(w.document, w.other, w.clauses["1.2"], replace=("speech", "press"))  # A4
    listing = client.get(f"/documents/{w.document}/amendments")
    text = _text(listing)
    assert "Colliding amendments" in text
    groups = re.search(r'<section class="card collision".*?</section>', _html(listing), re.S).group(0)
    assert re.findall(r"<li>", groups) == ["<li>"]
    # A3 changes "all workers", A1 only "workers": A3 comes first in the order of business
    assert re.search(r"If A3 is carried, A1 falls? or must be resolved\.", text)
    assert f'<a href="/amendments/{rival}">A3</a>, <a href="/amendments/{first}">A1</a>' in groups

    def badge(amendment_id):
        item = re.search(rf'<li class="card amendment[^"]*" id="amendment-{amendment_id}">(.*?)</li>',
                         _html(listing), re.S).group(1)
        found = re.search(r'<strong class="collision-badge">(.*?)</strong>', item, re.S)
        return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split()) if found else None

    assert badge(first) == "collides with A3"
    assert badge(rival) == "collides with A1"
    assert badge(apart) is None and badge(elsewhere) is None
    assert f'<a href="/amendments/{rival}">A3</a>' in re.search(
        rf'id="amendment-{first}">(.*?)</li>', _html(listing), re.S).group(1)

    # a withdrawn amendment collides with nothing any more
    Visitor(app, OTHER).post(f"/amendments/{rival}/withdraw")
    listing = client.get(f"/documents/{w.document}/amendments")
    assert "Colliding amendments" not in _text(listing) and "collides with" not in _text(listing)


def test_a_deletion_collides_with_every_change_to_the_clause(app, client, auth, factory):
    w = _world(factory)
    factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"))  # A1
    factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("now", "today"))  # A2
    factory.amendment(w.document, w.other, w.clauses["1.1"], kind="delete")  # A3
    factory.amendment(w.document, w.mover, w.clauses["1.1"], kind="insert_after", text="New.")  # A4
    auth.login(MOVER)
    text = _text(client.get(f"/documents/{w.document}/amendments"))
    assert "If A3 is carried, A1, A2 fall or must be resolved." in text
    assert text.count("fall or must be resolved") == 1


# ---------------------------------------------------------------- the document page

def test_the_document_page_shows_amendments_per_clause(app, client, auth, factory):
    w = _world(factory)
    first = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"),
                              title="People")  # A1
    rival = factory.amendment(w.document, w.other, w.clauses["1.1"],
                              replace=("all workers", "every worker"))  # A2
    press = factory.amendment(w.document, w.other, w.clauses["1.2"], replace=("speech", "press"))  # A3
    start = factory.amendment(w.document, w.mover, None, kind="insert_after", text="A preamble.")  # A4
    auth.login(OTHER)
    page = client.get(f"/documents/{w.document}")
    assert page.status_code == 200
    html = _html(page)

    def clause(number):
        pattern = (rf'<li class="clause[^"]*" id="clause-{w.clauses[number]}">(.*?)</li>'
                   r'\s*(?=<li class="clause|</ol>)')
        return re.search(pattern, html, re.S).group(1)

    # the page carries each clause's count and where its list is loaded from (and, without the
    # page's script, a link to the list filtered to the clause); not the amendments themselves
    one = clause("1.1")
    assert re.search(r'<span class="badge count">2</span> 2 amendments', one)
    source = f"/documents/{w.document}/clauses/{w.clauses['1.1']}/amendments"
    assert f'<details class="amendments-toggle" data-src="{source}">' in one
    assert f'href="/documents/{w.document}/amendments?clause_id={w.clauses["1.1"]}">The amendments to clause 1.1' in one
    assert 'id="inline-' not in html and "People" not in _text(page)
    two = clause("1.2")
    assert re.search(r'<span class="badge count">1</span> 1 amendment\b', two)
    assert "badge count" not in clause("2.1")
    at_start = re.search(r'<div class="clause-amendments at-start">(.*?)<ol class="document"', html,
                         re.S).group(1)
    assert f'data-src="/documents/{w.document}/clauses/start/amendments"' in at_start

    # what the toggle loads: the clause's amendments in order, each with its own toggle and its collisions
    one = client.get(source)
    assert one.status_code == 200 and "<html" not in _html(one)
    one = _html(one)
    assert "2 collide" in _text_of(one)
    for a, number in ((first, "A1"), (rival, "A2")):
        assert f'<details data-src="/amendments/{a}/redline" id="inline-{a}">' in one
        assert f'<a href="/amendments/{a}">Open {number}</a>' in one
    assert "A1 submitted People · Mona Mover · collides with A2" in _text_of(one)
    assert "A2 submitted Sid Second · collides with A1" in _text_of(one)
    # in the order of business: A2's change starts earlier in the clause ("all workers" → "every worker")
    assert one.index(f"inline-{rival}") < one.index(f"inline-{first}")
    assert "inline-" + str(press) not in one
    two = _html(client.get(f"/documents/{w.document}/clauses/{w.clauses['1.2']}/amendments"))
    assert f'id="inline-{press}"' in two and "collide" not in _text_of(two)
    assert "A3 submitted" in _text_of(two) and "A1" not in _text_of(two)
    at_start = _html(client.get(f"/documents/{w.document}/clauses/start/amendments"))
    assert f'id="inline-{start}"' in at_start and f"inline-{first}" not in at_start
    assert client.get(f"/documents/{w.document}/clauses/999999/amendments").status_code == 404

    # the toggle's fragment: the summary and the redline, the collisions, a link to the page
    fragment = client.get(f"/amendments/{first}/redline")
    assert fragment.status_code == 200
    assert "<html" not in _html(fragment)
    assert "Line 2: delete “workers”, insert “people”." in _text(fragment)
    assert re.search(DEL + r"workers<span", _html(fragment))
    assert re.search(INS + r"people<span", _html(fragment))
    collision = re.search(r'<p class="collision">(.*?)</p>', _html(fragment), re.S).group(1)
    assert "Collides with" in collision and f'<a href="/amendments/{rival}">A2</a>' in collision
    assert "A1" not in _text_of(collision)
    assert "Insert at the start: “A preamble.”" in _text(client.get(f"/amendments/{start}/redline"))


def _text_of(html: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _amend_links(response) -> set:
    return set(re.findall(r'/amend\?clause=(\d+)&amp;kind=modify', _html(response)))


def test_amend_links_only_for_delegates_while_the_document_is_open(app, client, auth, factory):
    w = _world(factory)
    factory.person(SLUG, "secretary", email="sec@example.org")
    delegate = Visitor(app, MOVER)
    page = delegate.get(f"/documents/{w.document}")
    assert _amend_links(page) == {str(c) for c in w.clauses.values()}
    assert "Propose an amendment" in _text(page)
    assert f'/amend?clause={w.clauses["1.3"]}&amp;kind=insert_after' in _html(page)
    assert f'/amend?clause={w.clauses["1.2"]}&amp;kind=delete' in _html(page)
    for email in (CHAIR, "sec@example.org"):
        page = Visitor(app, email).get(f"/documents/{w.document}")
        assert page.status_code == 200
        assert _amend_links(page) == set() and "Propose an amendment" not in _text(page), email
        assert Visitor(app, email).get(f"/documents/{w.document}/amend").status_code == 403

    Visitor(app, CHAIR).post(f"/documents/{w.document}/state", data={"state": "closed"})
    page = delegate.get(f"/documents/{w.document}")
    assert _amend_links(page) == set() and "Propose an amendment" not in _text(page)


# ---------------------------------------------------------------- one amendment

def test_the_amendment_page_shows_mover_seconders_history_and_collisions(app, client, auth, factory):
    w = _world(factory, seconders_required=1)
    a = factory.amendment(w.document, w.mover, w.clauses["1.1"], replace=("all workers", "all people"),
                          seconders=(w.other,))
    rival = factory.amendment(w.document, w.other, w.clauses["1.1"], replace=("workers", "members"))
    Visitor(app, CHAIR).post(f"/amendments/{a}/admit")
    auth.login(OTHER)
    page = client.get(f"/amendments/{a}")
    assert page.status_code == 200
    text = _text(page)
    assert "Amendment A1 admitted Draft platform · clause 1.1 · change the clause · against version 1" in text
    assert "Mover Mona Mover (Dockers)" in text
    assert "Seconders 1 of 1 needed Sid Second (Teachers)" in text
    history = re.search(r'<ol class="history">(.*?)</ol>', _html(page), re.S).group(1)
    assert [_text_of(item)[17:] for item in re.findall(r"<li>(.*?)</li>", history, re.S)] == [
        "submitted · Mona Mover", "seconded · Sid Second", "admitted by the chair · Chris Chair"]
    collisions = re.search(r'<section class="card collision".*?</section>', _html(page), re.S).group(0)
    assert f'<a href="/amendments/{rival}">A2</a>' in collisions
    assert "Line 2: delete “workers”, insert “members”." in _text_of(collisions)
    back = client.get(f"/amendments/{rival}")
    assert f'<a href="/amendments/{a}">A1</a>' in _html(back)
    assert f'href="/documents/{w.document}#clause-{w.clauses["1.1"]}"' in _html(page)
    assert f'href="/documents/{w.document}/amendments"' in _html(page)


def test_an_unknown_amendment_is_404_and_other_meetings_are_403(app, client, auth, factory):
    _world(factory)
    theirs = _world(factory, "other-meeting")  # the mover has no role there
    a = factory.amendment(theirs.document, theirs.mover, theirs.clauses["1.1"], replace=("rights", "bread"))
    auth.login(MOVER)
    assert client.get("/amendments/999999").status_code == 404
    assert client.get(f"/documents/{theirs.document + 100}/amendments").status_code == 404
    for path in (f"/amendments/{a}", f"/amendments/{a}/redline", f"/documents/{theirs.document}/amendments"):
        assert client.get(path).status_code == 403, path
    assert auth.post(f"/amendments/{a}/second").status_code == 403
    assert _amendment(app, a)["seconders"] == []

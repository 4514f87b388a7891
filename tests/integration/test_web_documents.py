"""Documents through the pages: import with a preview of the split, the document view, the
secretary's draft editing, state changes, and escaping."""
from __future__ import annotations

import html as htmllib
import io
import re

import pytest

from motions.text.clauses import normalise

SLUG = "docs-meeting"
IMPORT = f"/m/{SLUG}/documents/import"

PLATFORM = """# Aims

We want rights. We want them now.

- Free speech.
- Free unions.

# Means

Organise at work.
"""
# what the clauses of PLATFORM are, by the rules: headings are sections, the rest numbered within them
PLATFORM_NUMBERS = ["1", "1.1", "1.2", "1.3", "2", "2.1"]
PLATFORM_KINDS = ["heading", "paragraph", "item", "item", "heading", "paragraph"]


@pytest.fixture
def secretary(factory, auth):
    factory.meeting(SLUG, title="Documents meeting")
    factory.person(SLUG, "secretary", "chair", email="sec@example.org", name="Sam Secretary")
    assert auth.login("sec@example.org").status_code == 302
    return "sec@example.org"


def _documents(app) -> list[dict]:
    """Every stored document with its versions and the current version's clauses."""
    from motions.documents.models import Document
    from motions.extensions import db

    with app.app_context():
        out = []
        for d in db.session.execute(db.select(Document).order_by(Document.id)).scalars():
            version = d.version()
            out.append({
                "id": d.id, "title": d.title, "state": d.state.value, "format": d.format, "kind": d.kind.value,
                "current_version": d.current_version, "versions": [v.number for v in d.versions],
                "line_width": version.line_width if version else None,
                "text": version.text() if version else None,
                "clauses": [{"clause_id": ct.clause_id, "number": ct.number, "kind": ct.kind, "text": ct.text,
                             "first_line": ct.first_line, "last_line": ct.last_line}
                            for ct in (version.clause_texts if version else [])],
            })
        return out


def _document(app, document_id: int) -> dict:
    return next(d for d in _documents(app) if d["id"] == document_id)


def _check_numbering(clauses: list[dict]) -> None:
    """Numbers are hierarchical (a clause is its section's number plus its place in it), unique,
    and line numbers run on from 1 without gap or overlap."""
    assert clauses
    section = None
    seen = set()
    for c in clauses:
        assert re.fullmatch(r"\d+(\.\d+)*", c["number"]), c["number"]
        assert c["number"] not in seen
        seen.add(c["number"])
        if c["kind"] == "heading":
            section = c["number"]
        elif section is not None:
            assert c["number"].rsplit(".", 1)[0] == section, (c["number"], section)
    assert clauses[0]["first_line"] == 1
    for before, after in zip(clauses, clauses[1:]):
        assert after["first_line"] == before["last_line"] + 1
    for c in clauses:
        assert c["last_line"] >= c["first_line"]


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _numbers_on_page(response) -> list[str]:
    return re.findall(r'<span class="number"[^>]*>([^<]*)</span>', response.get_data(as_text=True))


def _line_numbers_on_page(response) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="ln"[^>]*>(\d+)</span>', response.get_data(as_text=True))]


def _textarea(response, name: str = "text") -> str:
    """What a browser sends back from the page's textarea (one newline after <textarea> is dropped)."""
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', response.get_data(as_text=True), re.S)
    assert match, f"no textarea {name!r}"
    value = htmllib.unescape(match.group(1))
    return value[2:] if value.startswith("\r\n") else value[1:] if value.startswith("\n") else value


def _import(auth, text=PLATFORM, button="confirm", **fields):
    data = {"title": "Draft platform", "kind": "platform", "format": "markdown", "text": text, button: "x"}
    data.update(fields)
    return auth.post(IMPORT, data=data)


def _imported(app, auth, text=PLATFORM, **fields) -> int:
    response = _import(auth, text, **fields)
    assert response.status_code == 302, _text(response)
    return _documents(app)[-1]["id"]


# ---------------------------------------------------------------- import with preview

def test_preview_shows_the_split_with_clause_and_line_numbers_and_stores_nothing(app, client, auth, secretary):
    response = _import(auth, button="preview")
    assert response.status_code == 200
    assert _numbers_on_page(response) == PLATFORM_NUMBERS
    assert _line_numbers_on_page(response) == list(range(1, 7))
    text = _text(response)
    for words in ("Aims", "We want rights. We want them now.", "Free speech.", "Organise at work."):
        assert words in text
    assert "6 lines" in text
    assert 'name="confirm"' in response.get_data(as_text=True)
    assert _documents(app) == []


def test_confirm_stores_version_1_as_a_draft(app, client, auth, secretary):
    response = _import(auth, title="  Draft platform  ")
    assert response.status_code == 302
    [document] = _documents(app)
    assert response.location.endswith(f"/documents/{document['id']}")
    assert "The document is imported as a draft" in _text(client.get(response.location))
    assert document["title"] == "Draft platform"
    assert document["state"] == "draft" and document["kind"] == "platform"
    assert document["current_version"] == 1 and document["versions"] == [1]
    assert [c["number"] for c in document["clauses"]] == PLATFORM_NUMBERS
    assert [c["kind"] for c in document["clauses"]] == PLATFORM_KINDS
    assert document["clauses"][1]["text"] == "We want rights. We want them now."
    assert document["clauses"][2]["text"] == "Free speech."
    assert document["text"] == normalise(PLATFORM)
    assert document["line_width"] == 80
    _check_numbering(document["clauses"])


def test_import_plain_text_format(app, client, auth, secretary):
    document_id = _imported(app, auth, "First clause.\nSecond clause.\n- an item\n", format="text")
    document = _document(app, document_id)
    assert [c["text"] for c in document["clauses"]] == ["First clause.", "Second clause.", "an item"]
    assert [c["number"] for c in document["clauses"]] == ["1", "2", "3"]


def test_upload_a_markdown_file_with_windows_line_ends_and_bom(app, client, auth, secretary):
    content = b"\xef\xbb\xbf" + PLATFORM.replace("\n", "\r\n").encode("utf-8")
    response = auth.post(IMPORT, data={"title": "Uploaded", "kind": "platform", "format": "markdown",
                                       "file": (io.BytesIO(content), "platform.md"), "preview": "x"},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    assert _numbers_on_page(response) == PLATFORM_NUMBERS
    assert _documents(app) == []
    # the preview carries the text; confirming imports exactly it
    response = _import(auth, _textarea(response), title="Uploaded")
    assert response.status_code == 302
    [document] = _documents(app)
    assert document["text"] == normalise(PLATFORM)
    assert [c["number"] for c in document["clauses"]] == PLATFORM_NUMBERS


def test_upload_and_confirm_at_once(app, client, auth, secretary):
    response = auth.post(IMPORT, data={"title": "Uploaded", "kind": "motion", "format": "markdown",
                                       "file": (io.BytesIO("# 目标\n\n我们要权利。我们要面包！\n".encode("utf-8")), "m.md"),
                                       "confirm": "x"}, content_type="multipart/form-data")
    assert response.status_code == 302
    [document] = _documents(app)
    assert document["kind"] == "motion"
    assert [c["text"] for c in document["clauses"]] == ["目标", "我们要权利。我们要面包！"]


@pytest.mark.parametrize("fields,message", [
    ({"title": ""}, "Give the document a title."),
    ({"title": "   "}, "Give the document a title."),
    ({"title": "x" * 301}, "Field cannot be longer than 300 characters."),
    ({"text": ""}, "The document has no text."),
    ({"text": "  \n\n \t \n"}, "The document has no text."),
    ({"text": "\ufeff"}, "The document has no text."),
    ({"format": "docx"}, "Not a valid choice."),
    ({"kind": "manifesto"}, "Not a valid choice."),
    # a NUL cannot be stored by PostgreSQL: refused with a message, not a server error
    ({"title": "Draft\x00platform"}, "The title must not contain control characters."),
    ({"text": "# Aims\n\nPara\x00graph.\n"}, "This is not text"),
])
@pytest.mark.parametrize("button", ["preview", "confirm"])
def test_bad_import_shows_messages_and_stores_nothing(app, client, auth, secretary, fields, message, button):
    response = _import(auth, button=button, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in htmllib.unescape(page), _text(response)
    assert 'class="error"' in page or 'class="flash error"' in page
    assert 'name="confirm"' not in page  # no preview of nothing
    assert _documents(app) == []


def test_uploading_a_word_processor_file_gives_a_message_not_an_error(app, client, auth, secretary):
    content = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xdf\xa4\xd2lZ\x01\x00\x00 \x05\x00\x00" * 30
    for button in ("preview", "confirm"):
        response = auth.post(IMPORT, data={"title": "Word file", "kind": "platform", "format": "markdown",
                                           "file": (io.BytesIO(content), "platform.docx"), button: "x"},
                             content_type="multipart/form-data")
        assert response.status_code == 422, button
        assert "plain-text" in _text(response)
    assert _documents(app) == []


# ---------------------------------------------------------------- the document view

def test_document_view_shows_every_clause_number_and_continuous_line_numbers(app, client, factory, auth, secretary):
    long = " ".join(f"word{i}" for i in range(60))
    text = f"# Aims\n\n{long}\n\n- Short item.\n- {long}\n\n## Sub\n\nLast clause.\n"
    document_id = _imported(app, auth, text)
    document = _document(app, document_id)
    _check_numbering(document["clauses"])
    assert [c["number"] for c in document["clauses"]] == ["1", "1.1", "1.2", "1.3", "1.4", "1.4.1"]
    assert document["clauses"][1]["last_line"] > document["clauses"][1]["first_line"]  # it wraps at 80
    page = client.get(f"/documents/{document_id}")
    assert page.status_code == 200
    assert _numbers_on_page(page) == [c["number"] for c in document["clauses"]]
    last = document["clauses"][-1]["last_line"]
    assert _line_numbers_on_page(page) == list(range(1, last + 1))
    assert f"{last} lines" in _text(page)
    # each clause's lines carry that clause's numbers (the screen reader text too)
    c = document["clauses"][1]
    assert f"lines {c['first_line']} to {c['last_line']}" in _text(page)


def test_chinese_counts_double_width_in_line_numbers(app, client, factory, auth):
    factory.meeting(SLUG, line_width=40)
    factory.person(SLUG, "secretary", email="sec@example.org")
    auth.login("sec@example.org")
    # 50 ideographs are 100 columns: at 40 columns a line holds 20 of them, so 3 lines
    document_id = _imported(app, auth, "# 目标\n\n" + "工" * 50 + "\n\n" + "x" * 30 + "\n")
    document = _document(app, document_id)
    assert [(c["first_line"], c["last_line"]) for c in document["clauses"]] == [(1, 1), (2, 4), (5, 5)]
    page = client.get(f"/documents/{document_id}")
    assert _line_numbers_on_page(page) == [1, 2, 3, 4, 5]
    lines = re.findall(r'<span class="lt"[^>]*>([^<]*)</span>', page.get_data(as_text=True))
    assert lines[1:4] == ["工" * 20, "工" * 20, "工" * 10]


def test_document_view_for_a_delegate_has_no_editing_tools(app, client, factory, auth, secretary):
    document_id = _imported(app, auth)
    factory.person(SLUG, "delegate", email="del@example.org")
    auth.logout()
    auth.login("del@example.org")
    page = client.get(f"/documents/{document_id}")
    assert page.status_code == 200
    assert _numbers_on_page(page) == PLATFORM_NUMBERS
    html = page.get_data(as_text=True)
    assert "/split" not in html and "/edit" not in html and "Change state" not in html


def test_source_download_is_the_reassembled_text(app, client, auth, secretary):
    document_id = _imported(app, auth)
    response = client.get(f"/documents/{document_id}/source")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.get_data(as_text=True) == normalise(PLATFORM)


def test_unknown_version_is_404(app, client, auth, secretary):
    document_id = _imported(app, auth)
    assert client.get(f"/documents/{document_id}?version=7").status_code == 404
    assert client.get(f"/documents/{document_id}/source?version=7").status_code == 404


# ---------------------------------------------------------------- draft editing

def _clause(document: dict, number: str) -> dict:
    return next(c for c in document["clauses"] if c["number"] == number)


def _edit(auth, document_id: int, clause_id: int, text: str):
    return auth.post(f"/documents/{document_id}/clauses/{clause_id}/edit", data={"text": text})


def test_edit_page_shows_the_clause(app, client, auth, secretary):
    document_id = _imported(app, auth)
    clause = _clause(_document(app, document_id), "1.1")
    page = client.get(f"/documents/{document_id}/clauses/{clause['clause_id']}/edit")
    assert page.status_code == 200
    assert "Edit clause 1.1" in _text(page)
    assert _textarea(page) == "We want rights. We want them now."


def test_edit_a_clause(app, client, auth, secretary):
    document_id = _imported(app, auth)
    clause = _clause(_document(app, document_id), "1.2")
    response = _edit(auth, document_id, clause["clause_id"], "Free speech for everyone.")
    assert response.status_code == 302
    assert "Clause 1.2 saved." in _text(client.get(response.location))
    document = _document(app, document_id)
    assert [c["number"] for c in document["clauses"]] == PLATFORM_NUMBERS
    edited = _clause(document, "1.2")
    assert edited["clause_id"] == clause["clause_id"] and edited["kind"] == "item"
    assert edited["text"] == "Free speech for everyone."
    assert document["text"] == normalise(PLATFORM.replace("- Free speech.", "- Free speech for everyone."))
    assert document["versions"] == [1]
    _check_numbering(document["clauses"])


def test_a_blank_line_in_an_edit_splits_the_clause(app, client, auth, secretary):
    document_id = _imported(app, auth)
    before = _document(app, document_id)
    clause = _clause(before, "1.1")
    response = _edit(auth, document_id, clause["clause_id"], "We want rights.\r\n\r\nWe want them now.")
    assert response.status_code == 302
    document = _document(app, document_id)
    assert [c["number"] for c in document["clauses"]] == ["1", "1.1", "1.2", "1.3", "1.4", "2", "2.1"]
    assert [c["text"] for c in document["clauses"][1:3]] == ["We want rights.", "We want them now."]
    assert document["clauses"][1]["clause_id"] == clause["clause_id"]  # the first part keeps its identity
    assert document["clauses"][2]["clause_id"] not in {c["clause_id"] for c in before["clauses"]}
    assert document["clauses"][3]["clause_id"] == _clause(before, "1.2")["clause_id"]
    assert document["text"] == normalise(PLATFORM.replace("We want rights. We want them now.",
                                                          "We want rights.\n\nWe want them now."))
    _check_numbering(document["clauses"])


def test_a_blank_line_in_an_item_makes_two_items(app, client, auth, secretary):
    document_id = _imported(app, auth)
    clause = _clause(_document(app, document_id), "1.3")
    assert _edit(auth, document_id, clause["clause_id"], "Free unions.\n\nFree press.").status_code == 302
    document = _document(app, document_id)
    assert [(c["number"], c["kind"], c["text"]) for c in document["clauses"][2:5]] == [
        ("1.2", "item", "Free speech."), ("1.3", "item", "Free unions."), ("1.4", "item", "Free press.")]
    assert document["text"] == normalise(PLATFORM.replace("- Free unions.\n", "- Free unions.\n- Free press.\n"))
    _check_numbering(document["clauses"])


@pytest.mark.parametrize("text", ["- now a list item", "# now a heading", "1. numbered"])
def test_an_edit_cannot_change_what_kind_of_clause_it_is(app, client, auth, secretary, text):
    document_id = _imported(app, auth)
    before = _document(app, document_id)
    clause = _clause(before, "2.1")
    response = _edit(auth, document_id, clause["clause_id"], text)
    assert response.status_code == 422
    assert "The text must not start with list or heading markup" in _text(response)
    assert _document(app, document_id) == before


def test_an_empty_edit_is_refused(app, client, auth, secretary):
    document_id = _imported(app, auth)
    before = _document(app, document_id)
    clause = _clause(before, "2.1")
    for text in ("", "  \n\n  "):
        response = _edit(auth, document_id, clause["clause_id"], text)
        assert response.status_code == 422
        assert "Enter the clause text." in _text(response)
    response = _edit(auth, document_id, clause["clause_id"], "Organise\x00 at work.")
    assert response.status_code == 422
    assert "The text must not contain control characters." in _text(response)
    assert _document(app, document_id) == before


def test_split_at_sentences(app, client, auth, secretary):
    document_id = _imported(app, auth)
    clause = _clause(_document(app, document_id), "1.1")
    response = auth.post(f"/documents/{document_id}/clauses/{clause['clause_id']}/split")
    assert response.status_code == 302
    document = _document(app, document_id)
    assert [(c["number"], c["text"]) for c in document["clauses"][1:3]] == [
        ("1.1", "We want rights."), ("1.2", "We want them now.")]
    assert document["text"] == normalise(PLATFORM.replace("We want rights. We want them now.",
                                                          "We want rights.\n\nWe want them now."))
    _check_numbering(document["clauses"])


def test_split_chinese_sentences(app, client, auth, secretary):
    text = "# 目标\n\n我们要权利。我们要面包！你们呢？\n"
    document_id = _imported(app, auth, text)
    clause = _clause(_document(app, document_id), "1.1")
    assert auth.post(f"/documents/{document_id}/clauses/{clause['clause_id']}/split").status_code == 302
    document = _document(app, document_id)
    assert [(c["number"], c["text"]) for c in document["clauses"]] == [
        ("1", "目标"), ("1.1", "我们要权利。"), ("1.2", "我们要面包！"), ("1.3", "你们呢？")]
    assert document["text"] == "# 目标\n\n我们要权利。\n\n我们要面包！\n\n你们呢？\n"
    _check_numbering(document["clauses"])


def test_split_of_a_single_sentence_says_why_not(app, client, auth, secretary):
    document_id = _imported(app, auth)
    before = _document(app, document_id)
    clause = _clause(before, "2.1")
    response = auth.post(f"/documents/{document_id}/clauses/{clause['clause_id']}/split")
    assert response.status_code == 302
    assert "This clause has only one sentence" in _text(client.get(response.location))
    assert _document(app, document_id) == before


def test_join_with_next(app, client, auth, secretary):
    document_id = _imported(app, auth)
    before = _document(app, document_id)
    first, second = _clause(before, "1.2"), _clause(before, "1.3")
    response = auth.post(f"/documents/{document_id}/clauses/{first['clause_id']}/join")
    assert response.status_code == 302
    document = _document(app, document_id)
    assert [c["number"] for c in document["clauses"]] == ["1", "1.1", "1.2", "2", "2.1"]
    joined = _clause(document, "1.2")
    assert joined["clause_id"] == first["clause_id"] and joined["kind"] == "item"
    assert joined["text"] == "Free speech. Free unions."
    assert second["clause_id"] not in {c["clause_id"] for c in document["clauses"]}
    assert document["text"] == normalise(PLATFORM.replace("- Free speech.\n- Free unions.",
                                                          "- Free speech. Free unions."))
    _check_numbering(document["clauses"])


def test_join_refused_for_a_heading_and_the_last_clause(app, client, auth, secretary):
    document_id = _imported(app, auth)
    before = _document(app, document_id)
    heading, last = _clause(before, "2"), _clause(before, "2.1")
    response = auth.post(f"/documents/{document_id}/clauses/{heading['clause_id']}/join")
    assert "A heading cannot be joined with a clause." in _text(client.get(response.location))
    response = auth.post(f"/documents/{document_id}/clauses/{last['clause_id']}/join")
    assert "The last clause has no next clause to join." in _text(client.get(response.location))
    assert _document(app, document_id) == before


def test_move_up_and_down(app, client, auth, secretary):
    document_id = _imported(app, auth)
    before = _document(app, document_id)
    speech, unions = _clause(before, "1.2"), _clause(before, "1.3")
    assert auth.post(f"/documents/{document_id}/clauses/{unions['clause_id']}/up").status_code == 302
    document = _document(app, document_id)
    assert [(c["number"], c["clause_id"], c["text"]) for c in document["clauses"][2:4]] == [
        ("1.2", unions["clause_id"], "Free unions."), ("1.3", speech["clause_id"], "Free speech.")]
    assert document["text"] == normalise(PLATFORM.replace("- Free speech.\n- Free unions.",
                                                          "- Free unions.\n- Free speech."))
    _check_numbering(document["clauses"])
    assert auth.post(f"/documents/{document_id}/clauses/{unions['clause_id']}/down").status_code == 302
    assert _document(app, document_id)["text"] == normalise(PLATFORM)
    # the first clause cannot go further up
    response = auth.post(f"/documents/{document_id}/clauses/{before['clauses'][0]['clause_id']}/up")
    assert "The clause cannot move further." in _text(client.get(response.location))
    assert _document(app, document_id)["text"] == normalise(PLATFORM)


def test_moving_a_section_heading_down_renumbers_the_clauses(app, client, auth, secretary):
    document_id = _imported(app, auth)
    before = _document(app, document_id)
    means = _clause(before, "2")
    assert auth.post(f"/documents/{document_id}/clauses/{means['clause_id']}/down").status_code == 302
    document = _document(app, document_id)
    assert [(c["number"], c["kind"], c["text"]) for c in document["clauses"][-2:]] == [
        ("1.4", "paragraph", "Organise at work."), ("2", "heading", "Means")]
    _check_numbering(document["clauses"])


def test_renumber_after_changing_the_line_width(app, client, auth, secretary):
    long = " ".join(["solidarity"] * 30)  # 329 characters
    document_id = _imported(app, auth, f"# Aims\n\n{long}\n\nShort.\n")
    before = _document(app, document_id)
    assert before["line_width"] == 80
    assert [(c["first_line"], c["last_line"]) for c in before["clauses"]] == [(1, 1), (2, 6), (7, 7)]

    response = auth.post(f"/m/{SLUG}/settings", data={"title": "Documents meeting", "seconders_required": "0",
                                                     "quorum": "", "line_width": "40", "numbering": "sequential"})
    assert response.status_code == 302
    # the line numbers never drift by themselves: the stored draft keeps its width until renumbered
    assert _document(app, document_id) == before
    assert _line_numbers_on_page(client.get(f"/documents/{document_id}")) == list(range(1, 8))

    response = auth.post(f"/documents/{document_id}/renumber")
    assert response.status_code == 302
    assert "The clauses are renumbered." in _text(client.get(response.location))
    document = _document(app, document_id)
    assert document["line_width"] == 40
    assert document["text"] == before["text"]
    assert [c["clause_id"] for c in document["clauses"]] == [c["clause_id"] for c in before["clauses"]]
    # 329 characters in lines of at most 40, broken at spaces: 9 lines ("solidarity " is 11 wide, 3 a line)
    assert [(c["first_line"], c["last_line"]) for c in document["clauses"]] == [(1, 1), (2, 11), (12, 12)]
    _check_numbering(document["clauses"])
    assert _line_numbers_on_page(client.get(f"/documents/{document_id}")) == list(range(1, 13))


def _open(auth, document_id):
    return auth.post(f"/documents/{document_id}/state", data={"state": "open"})


def test_editing_is_refused_once_the_document_is_open(app, client, auth, secretary):
    document_id = _imported(app, auth)
    assert _open(auth, document_id).status_code == 302
    before = _document(app, document_id)
    assert before["state"] == "open"
    clause = _clause(before, "1.1")
    refusal = "Clauses can only be changed while the document is a draft."

    response = _edit(auth, document_id, clause["clause_id"], "Changed.")
    assert response.status_code == 409
    assert refusal in _text(response)
    for action in ("split", "join", "up", "down"):
        response = auth.post(f"/documents/{document_id}/clauses/{clause['clause_id']}/{action}")
        assert response.status_code == 302
        assert refusal in _text(client.get(response.location)), action
    response = auth.post(f"/documents/{document_id}/renumber")
    assert refusal in _text(client.get(response.location))
    assert _document(app, document_id) == before
    # and the page offers no editing tools
    html = client.get(f"/documents/{document_id}").get_data(as_text=True)
    assert "/split" not in html and "/edit" not in html and "/renumber" not in html


# ---------------------------------------------------------------- states

def _state_choices(response) -> list[str]:
    select = re.search(r'<select[^>]*name="state"[^>]*>(.*?)</select>', response.get_data(as_text=True), re.S)
    return re.findall(r'value="([^"]+)"', select.group(1)) if select else []


def test_states_draft_open_closed_final(app, client, auth, secretary, factory):
    document_id = _imported(app, auth)
    steps = [("open", "open for amendments", ["closed"]),
             ("closed", "amendments closed", ["open", "final"]),
             ("final", "final", [])]
    assert _state_choices(client.get(f"/documents/{document_id}")) == ["open"]
    for state, label, next_choices in steps:
        if state == "final":
            factory.adopt(document_id)  # the meeting carries the document as amended
        response = auth.post(f"/documents/{document_id}/state", data={"state": state})
        assert response.status_code == 302
        page = client.get(response.location)
        assert f"The document is now “{label}”." in _text(page)
        assert _document(app, document_id)["state"] == state
        assert _state_choices(page) == next_choices


@pytest.mark.parametrize("path,target", [
    (["open"], "draft"),
    ([], "closed"),
    ([], "final"),
    (["open", "closed", "final"], "open"),
    (["open", "closed", "final"], "draft"),
    ([], "archived"),
])
def test_illegal_state_changes_are_refused(app, client, auth, secretary, factory, path, target):
    document_id = _imported(app, auth)
    for state in path:
        if state == "final":
            factory.adopt(document_id)
        auth.post(f"/documents/{document_id}/state", data={"state": state})
    before = _document(app, document_id)
    response = auth.post(f"/documents/{document_id}/state", data={"state": target})
    assert response.status_code == 302
    assert "Choose a state the document can move to." in _text(client.get(response.location))
    assert _document(app, document_id) == before


def test_closed_document_can_be_reopened(app, client, auth, secretary):
    document_id = _imported(app, auth)
    for state in ("open", "closed", "open"):
        auth.post(f"/documents/{document_id}/state", data={"state": state})
    assert _document(app, document_id)["state"] == "open"


# ---------------------------------------------------------------- escaping

SCRIPT = "<script>alert(1)</script>"


def test_title_and_clauses_are_escaped(app, client, auth, secretary):
    text = f"# Aims {SCRIPT}\n\nA clause with {SCRIPT} and <img src=x onerror=alert(2)>.\n"
    preview = _import(auth, text, button="preview", title=f"Platform {SCRIPT}")
    assert preview.status_code == 200
    document_id = _imported(app, auth, text, title=f"Platform {SCRIPT}")
    clause = _clause(_document(app, document_id), "1.1")
    assert SCRIPT in clause["text"]  # stored as typed
    pages = [preview, client.get(f"/documents/{document_id}"), client.get(f"/m/{SLUG}/"),
             client.get(f"/documents/{document_id}/clauses/{clause['clause_id']}/edit")]
    for page in pages:
        html = page.get_data(as_text=True)
        assert SCRIPT not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"Platform {SCRIPT}" in _text(pages[1])

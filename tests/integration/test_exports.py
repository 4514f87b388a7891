"""Exports (issue 5): the adopted document, a redline of two versions and the record of
proceedings as files, from the API, the pages and `motions export`; the adoption vote a document
needs before it becomes final; bad input (an unknown format, a missing version) gets a clear
error and never a file."""
# ruff: noqa: F811  (the `hall` fixture is imported, and tests take it by name)
from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import subprocess
import zipfile

import pytest

from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.integration.test_api_amendments import call, ok
from tests.integration.test_merge_on_carry import WAGES, carry, hall, propose  # noqa: F401  (hall is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")

STRIKE = "We defend the right to strike."
PEACE = "We stand for peace between peoples."


def export(w, who="ada", **query):
    return w.client.get(f"/api/v1/documents/{w.doc}/export", query_string=query,
                        headers=bearer(getattr(w, who).token))


def record(w, who="ada", **query):
    return w.client.get(f"/api/v1/meetings/{w.slug}/record", query_string=query,
                        headers=bearer(getattr(w, who).token))


def adopted(w):
    """Two carried amendments, one lost, one pending; the document adopted and final."""
    w.living = propose(w, "ada", w.wages, WAGES.replace("fair wages", "living wages"))
    strike = w.clauses[STRIKE]["id"]
    w.strike = propose(w, "bo", strike, STRIKE.replace("right to strike", "right to strike and to organise"))
    w.peace = propose(w, "cy", w.clauses[PEACE]["id"], kind="delete")
    ok(carry(w, w.living))
    ok(carry(w, w.strike))
    ok(carry(w, w.peace, "lost"))
    ok(call(w, "POST", f"/api/v1/documents/{w.doc}/state", "chair", {"state": "closed"}))
    w.factory.adopt(w.doc)
    doc = ok(call(w, "POST", f"/api/v1/documents/{w.doc}/state", "secretary", {"state": "final"}))
    w.fingerprint = doc["fingerprint"]
    w.text = w.client.get(f"/api/v1/documents/{w.doc}/text", headers=bearer(w.ada.token)).get_data(as_text=True)
    return w


@pytest.fixture
def final(hall):
    return adopted(hall)


# ---------------------------------------------------------------- the adopted document

def test_markdown_export_is_the_adopted_text_with_meeting_version_and_fingerprint(final):
    w = final
    response = export(w, format="md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="draft-platform-v3.md"' in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    head, text = body.split("\n---\n\n", 1)
    assert text == w.text  # exactly the adopted text
    assert "living wages" in text and "to organise" in text and "fair wages" not in text
    assert PEACE in text  # the lost deletion left the clause
    assert "Founding meeting" in head and w.fingerprint in head
    assert w.fingerprint == hashlib.sha256(w.text.encode()).hexdigest()


def test_every_format_is_a_whole_file_of_its_kind(final):
    w = final
    for fmt, magic, media in (("pdf", b"%PDF-", "application/pdf"),
                              ("docx", b"PK", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                              ("odt", b"PK", "application/vnd.oasis.opendocument.text"),
                              ("html", b"<!doctype html>", "text/html"),
                              ("txt", None, "text/plain")):
        response = export(w, format=fmt)
        assert response.status_code == 200, fmt
        assert response.mimetype == media
        # one charset for a text file, none for a binary one
        assert response.headers["Content-Type"] == (f"{media}; charset=utf-8" if media.startswith("text/") else media)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if magic:
            assert response.data.startswith(magic), fmt
    txt = export(w, format="txt").get_data(as_text=True)
    assert w.fingerprint in txt and "living wages" in txt
    html = export(w, format="html").get_data(as_text=True)
    assert w.fingerprint in html and "living wages" in html


def test_the_pdf_prints_the_text_and_the_fingerprint(final, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = tmp_path / "adopted.pdf"
    pdf.write_bytes(export(final, format="pdf").data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "We demand living wages for all workers in every town." in flat
    assert final.fingerprint in flat.replace(" ", "") or final.fingerprint[:32] in flat.replace(" ", "")


def test_docx_and_odt_open_and_hold_the_clauses(final):
    import docx

    document = docx.Document(io.BytesIO(export(final, format="docx").data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "We demand living wages for all workers in every town." in text
    assert final.fingerprint in text
    with zipfile.ZipFile(io.BytesIO(export(final, format="odt").data)) as odt:
        assert odt.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        assert "living wages" in odt.read("content.xml").decode()


def test_an_earlier_version_exports_as_it_was(final):
    body = export(final, format="md", version=1).get_data(as_text=True)
    assert WAGES in body and "living wages" not in body
    assert final.fingerprint not in body  # only the adopted version carries it


def test_the_redline_docx_has_tracked_changes_for_each_carried_amendment(final):
    import docx

    response = export(final, format="docx", redline=1)
    assert response.status_code == 200
    assert "redline-v1-v3" in response.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.data))
    body = document.element.body
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    inserted = "".join(t.text for t in body.findall(".//w:ins//w:t", ns))
    deleted = "".join(t.text for t in body.findall(".//w:del//w:delText", ns))
    assert "living" in inserted and "and to organise" in inserted
    assert "fair" in deleted
    labels = "\n".join(p.text for p in document.paragraphs)
    numbers = {a["id"]: a["number"] for a in ok(call(final, "GET", f"/api/v1/documents/{final.doc}/amendments", "ada"))}
    assert numbers[final.living] in labels and numbers[final.strike] in labels
    assert numbers[final.peace] not in labels  # lost: it changed nothing


def test_the_redline_html_and_pdf(final):
    html = export(final, format="html", redline=1).get_data(as_text=True)
    assert re.search(r"<ins[^>]*>[^<]*living", html) and re.search(r"<del[^>]*>[^<]*fair", html)
    assert export(final, format="pdf", redline=1).data.startswith(b"%PDF-")
    between = export(final, format="html", redline=1, version=3, **{"from": 2}).get_data(as_text=True)
    assert "fair" not in between and "organise" in between  # only what A2 changed


@pytest.mark.parametrize("query, status, field", [
    ({"format": "exe"}, 422, "format"),
    ({}, 422, "format"),
    ({"format": "md", "redline": "1"}, 422, "format"),  # a redline is html, pdf or docx
    ({"format": "md", "redline": "yes"}, 422, "redline"),
    ({"format": "md", "version": "x"}, 422, "version"),
    ({"format": "md", "version": "0"}, 422, "version"),
    ({"format": "md", "version": "9"}, 404, None),
    ({"format": "docx", "redline": "1", "from": "9"}, 404, None),
    ({"format": "docx", "redline": "1", "from": "-1"}, 422, "from"),
])
def test_bad_export_requests_get_the_error_body_never_a_file(final, query, status, field):
    error = assert_error(export(final, **query), status, fields={field} if field else set())
    assert error["message"]


def test_an_unknown_format_on_the_page_is_an_error_page(final, auth, client):
    auth.login("ada@example.org")
    response = client.get(f"/documents/{final.doc}/export?format=exe")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "Unknown export format “exe”." in response.get_data(as_text=True)
    assert client.get(f"/documents/{final.doc}/export?format=pdf&version=9").status_code == 404
    assert client.get(f"/documents/{final.doc}/compare?from=1&to=9").status_code == 404


def test_outsiders_get_nothing(final, factory, client):
    other = factory.meeting("elsewhere")
    factory.person(other, "secretary", email="outsider@example.org")
    token = factory.token("outsider@example.org")
    assert client.get(f"/api/v1/documents/{final.doc}/export?format=md", headers=bearer(token)).status_code == 403
    assert client.get(f"/api/v1/meetings/{final.slug}/record?format=csv", headers=bearer(token)).status_code == 403
    assert client.get(f"/api/v1/documents/{final.doc}/export?format=md").status_code == 401


# ---------------------------------------------------------------- the record of proceedings

def _csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_record_lists_every_amendment_with_mover_seconders_outcome_and_votes(hall, factory):
    w = hall
    living = ok(call(w, "POST", f"/api/v1/documents/{w.doc}/amendments", "ada",
                     {"clause_id": w.wages, "kind": "modify",
                      "text": WAGES.replace("fair wages", "living wages")}), 201)["id"]
    ok(call(w, "POST", f"/api/v1/amendments/{living}/second", "bo"))
    ok(call(w, "POST", f"/api/v1/amendments/{living}/admit", "chair"))
    poll = factory.poll(w.slug, amendment_id=living, analog=True)
    with w.app.app_context():
        from motions.extensions import db
        from motions.polls import operations as polls

        polls.enter_count(db.session.get(polls.Poll, poll), None, {"yes": 2, "no": 1, "abstain": 0})
    peace = propose(w, "cy", w.clauses[PEACE]["id"], kind="delete")
    ok(carry(w, peace, "remitted"))
    pending = propose(w, "bo", w.clauses[STRIKE]["id"], STRIKE.replace("strike", "strike, always"))
    response = record(w, format="csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {r["Number"]: r for r in _csv_rows(response)}
    numbers = {a["id"]: a["number"] for a in ok(call(w, "GET", f"/api/v1/documents/{w.doc}/amendments", "ada"))}
    carried = rows[numbers[living]]
    assert (carried["Mover"], carried["Seconders"], carried["Status"]) == ("Ada (Test Union)", "Bo (Test Union)",
                                                                          "carried")
    assert (carried["For"], carried["Against"], carried["Abstentions"]) == ("2", "1", "0")
    assert carried["Clause"] == "1.1" and carried["Lines"] == "2"
    assert carried["Summary"] == "Line 2: delete “fair”, insert “living”."
    assert "Carried: 2 for, 1 against" in carried["Decision"]
    remitted = rows[numbers[peace]]
    assert (remitted["Status"], remitted["For"]) == ("remitted", "")
    assert remitted["Decision"].startswith("Decided by the chair")
    assert rows[numbers[pending]]["Status"] == "admitted" and rows[numbers[pending]]["Decision"] == ""


def test_record_formats_and_the_adoption_row(final):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(record(final, format="xlsx").data))
    cells = [str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None]
    assert any("Carried" in c or "carried" in c for c in cells)
    html = record(final, format="html").get_data(as_text=True)
    assert final.fingerprint in html
    assert "as amended" in html  # the adoption vote is in the record
    assert record(final, format="pdf").data.startswith(b"%PDF-")
    assert_error(record(final, format="docx"), 422, fields={"format"})
    assert_error(record(final), 422, fields={"format"})


def test_the_record_page_lists_amendments_and_offers_each_format(final, auth, client):
    auth.login("cy@example.org")
    page = client.get(f"/m/{final.slug}/record").get_data(as_text=True)
    assert "Record of proceedings" in page
    for fmt in ("csv", "xlsx", "html", "pdf"):
        assert f"/m/{final.slug}/record?format={fmt}" in page
    assert final.fingerprint in page
    assert client.get(f"/m/{final.slug}/record?format=xlsx").data.startswith(b"PK")
    assert f"/m/{final.slug}/record" in client.get(f"/m/{final.slug}/").get_data(as_text=True)


def test_markup_in_titles_is_escaped_in_the_record_and_the_comparison(hall, auth, client):
    w = hall
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    a = ok(call(w, "POST", f"/api/v1/documents/{w.doc}/amendments", "ada",
                {"clause_id": w.wages, "kind": "modify", "title": payload,
                 "text": WAGES.replace("fair wages", "fair wages <b>now</b>")}), 201)
    ok(call(w, "POST", f"/api/v1/amendments/{a['id']}/admit", "chair"))
    ok(carry(w, a["id"]))
    auth.login("ada@example.org")
    for page in (client.get(f"/m/{w.slug}/record").get_data(as_text=True),
                 record(w, format="html").get_data(as_text=True),
                 client.get(f"/documents/{w.doc}/compare").get_data(as_text=True),
                 export(w, format="html", redline=1).get_data(as_text=True),
                 export(w, format="html").get_data(as_text=True)):
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>now" not in page
    assert "&lt;b&gt;now&lt;/b&gt;" in client.get(f"/documents/{w.doc}/compare").get_data(as_text=True)


# ---------------------------------------------------------------- pages: versions, compare, fingerprint

def test_the_document_page_shows_versions_with_their_amendment_and_the_fingerprint(final, auth, client):
    auth.login("bo@example.org")
    numbers = {a["id"]: a["number"] for a in ok(call(final, "GET", f"/api/v1/documents/{final.doc}/amendments", "ada"))}
    page = client.get(f"/documents/{final.doc}").get_data(as_text=True)
    assert f"made by {numbers[final.living]}" in page and f"made by {numbers[final.strike]}" in page
    assert final.fingerprint in page
    assert f"/documents/{final.doc}/compare" in page
    for fmt in ("md", "txt", "html", "pdf", "docx", "odt"):
        assert f"/documents/{final.doc}/export?format={fmt}" in page


def test_the_compare_page_pairs_clauses_by_identity(hall, auth, client):
    w = hall
    new = ok(call(w, "POST", f"/api/v1/documents/{w.doc}/amendments", "ada",
                  {"clause_id": w.wages, "kind": "insert_after", "text": "We welcome migrant workers."}), 201)
    ok(call(w, "POST", f"/api/v1/amendments/{new['id']}/admit", "chair"))
    ok(carry(w, new["id"]))
    ok(carry(w, propose(w, "bo", w.clauses[STRIKE]["id"], kind="delete")))
    auth.login("cy@example.org")
    page = client.get(f"/documents/{w.doc}/compare").get_data(as_text=True)
    assert "Draft (version 1)" in page
    items = re.findall(r'<li class="clause kind-\w+ change-(\w+)">(.*?)</li>', page, re.S)
    changes = [(change, re.sub(r"<[^>]+>", "", body)) for change, body in items]
    kinds = [c for c, _ in changes]
    assert kinds == ["unchanged", "unchanged", "inserted", "deleted", "unchanged"]
    assert "We welcome migrant workers." in changes[2][1]
    assert "right to strike" in changes[3][1]
    assert "2.2 → 2.3" not in page  # a clause number is shown once when it did not move
    # peace was clause 2.3 and is 2.3 again after one insertion and one deletion before it
    assert client.get(f"/documents/{w.doc}/compare?from=2&to=1").status_code == 200


# ---------------------------------------------------------------- final needs the adoption vote

def _final(w, who="secretary"):
    return call(w, "POST", f"/api/v1/documents/{w.doc}/state", who, {"state": "final"})


def test_a_document_becomes_final_only_after_the_meeting_carried_it(hall, factory, app):
    w = hall
    ok(call(w, "POST", f"/api/v1/documents/{w.doc}/state", "chair", {"state": "closed"}))
    before = snapshot(app)
    assert "vote" in assert_error(_final(w), 409, "not_adopted")["message"]
    assert snapshot(app) == before
    lost = factory.poll(w.slug, document_id=w.doc, analog=True)
    with app.app_context():
        from motions.extensions import db
        from motions.polls import operations as polls

        polls.enter_count(db.session.get(polls.Poll, lost), None, {"yes": 0, "no": 3, "abstain": 0})
    assert_error(_final(w), 409, "not_adopted")
    factory.adopt(w.doc)
    assert ok(_final(w))["state"] == "final"


def test_final_waits_while_the_vote_on_the_document_is_open(hall, factory, app):
    w = hall
    ok(call(w, "POST", f"/api/v1/documents/{w.doc}/state", "chair", {"state": "closed"}))
    factory.adopt(w.doc)
    with app.app_context():
        from motions.extensions import db
        from motions.meetings import operations as meetings
        from motions.polls import operations as polls

        meeting = meetings.get_meeting(w.slug)
        meetings.set_meeting_state(meeting, "in_session")
        again = polls.create_poll(meeting, None, subject={"type": "document", "id": w.doc})
        polls.open_poll(db.session.get(polls.Poll, again.id), None, confirm_without_quorum=True)
    assert_error(_final(w), 409, "poll_open")


# ---------------------------------------------------------------- the command line

def test_motions_export_writes_each_kind_of_file(final, runner, tmp_path):
    out = tmp_path / "adopted.md"
    result = runner.invoke(args=["export", "--meeting", final.slug, "--document", str(final.doc), "--format", "md",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").split("\n---\n\n", 1)[1] == final.text
    redline = tmp_path / "redline.docx"
    result = runner.invoke(args=["export", "--meeting", final.slug, "--document", str(final.doc), "--format", "docx",
                                 "--redline", "-o", str(redline)])
    assert result.exit_code == 0, result.output
    assert b"w:ins" in zipfile.ZipFile(redline).read("word/document.xml")
    rec = tmp_path / "record.csv"
    result = runner.invoke(args=["export", "--meeting", final.slug, "--record", "--format", "csv", "-o", str(rec)])
    assert result.exit_code == 0, result.output
    assert len(_csv_rows_text(rec.read_text(encoding="utf-8-sig"))) == 4  # three amendments and the adoption vote
    chinese = tmp_path / "record-zh.csv"
    result = runner.invoke(args=["export", "--meeting", final.slug, "--record", "--format", "csv", "--lang", "zh_Hans",
                                 "-o", str(chinese)])
    assert result.exit_code == 0, result.output
    assert re.search(r"[\u4e00-\u9fff]", chinese.read_text(encoding="utf-8-sig").splitlines()[0])


def _csv_rows_text(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("args, message", [
    (["--format", "exe"], "Unknown export format"),
    (["--format", "md", "--version", "9"], "no version 9"),
])
def test_motions_export_refuses_bad_input_and_writes_nothing(final, runner, tmp_path, args, message):
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "out.bin"
    result = runner.invoke(args=["export", "--meeting", final.slug, "--document", str(final.doc), *args,
                                 "-o", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert list(folder.iterdir()) == []  # no file, not even a partial one


def test_motions_export_refuses_a_document_of_another_meeting(final, runner, factory, tmp_path):
    other = factory.meeting("elsewhere")
    result = runner.invoke(args=["export", "--meeting", other, "--document", str(final.doc), "--format", "md",
                                 "-o", str(tmp_path / "x.md")])
    assert result.exit_code != 0 and "no such document" in result.output

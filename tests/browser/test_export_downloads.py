"""The secretary compares the draft with the adopted text and downloads every export format, in a real
browser, on a 360 px phone and on a laptop.

The meeting is made with the `factory` (tests/conftest.py) and the operations the pages use: a short
platform opened, two amendments carried (A1 changes a clause, A2 inserts a new one), the document
closed, adopted by a vote on the whole and made final. Everything after that is done through the
pages: the document page (fingerprint, versions, "Compare with the draft"), the compare page (the
redline, the From/To form), and every download link, each file read back and checked for its kind.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_no_sideways_scroll

pytestmark = pytest.mark.browser

SLUG = "export-meeting"
PLATFORM = """# Aims

- We demand fair wages for all workers in every town.
- We defend the right to strike.
- We stand for peace between peoples.
"""
WAGES = "We demand fair wages for all workers in every town."
ADOPTED_WAGES = "We demand living wages for all workers in every town."
STRIKE = "We defend the right to strike."
NEW_CLAUSE = "We organise the unorganised."
SECRETARY = "secretary@example.org"
PASSWORD = "correct horse battery"  # tests/conftest.py's factory password

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "en-GB"}
LAPTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "en-GB"}

DOCUMENT_FORMATS = [("Markdown", "md"), ("Plain text", "txt"), ("HTML", "html"), ("PDF", "pdf"),
                    ("Word (DOCX)", "docx"), ("OpenDocument (ODT)", "odt")]
REDLINE_FORMATS = [("HTML", "html"), ("PDF", "pdf"), ("Word (DOCX)", "docx")]
RECORD_FORMATS = [("CSV", "csv"), ("Excel (XLSX)", "xlsx"), ("HTML", "html"), ("PDF", "pdf")]
ZIP_MEMBER = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "odt": "content.xml"}


@pytest.fixture(autouse=True)
def _quick_passwords(monkeypatch):
    """Cheap password hashes: these tests are about exports, not about scrypt."""
    from werkzeug.security import generate_password_hash

    import motions.auth.models as auth_models

    monkeypatch.setattr(auth_models, "generate_password_hash",
                        lambda password, method=None: generate_password_hash(password, method="pbkdf2:sha256:1"))


STREAM_SECONDS = 2.0


@pytest.fixture(autouse=True)
def _short_streams(short_streams):
    """The pages open event streams (static/live.js): short ones, and no request left running at the end."""


# ---------------------------------------------------------------- the adopted document, made as the operations would

def _adopted(app, factory) -> dict:
    """A final platform in three versions: 1 the draft, 2 made by A1 (fair -> living wages),
    3 made by A2 (a new clause after the strike clause)."""
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment
    from motions.auth.models import Person
    from motions.documents import operations as docs
    from motions.documents.models import Document
    from motions.extensions import db

    factory.meeting(SLUG, title="Export meeting")
    chair = factory.person(SLUG, "chair", email="chair@example.org", name="Chris Chair")
    factory.person(SLUG, "secretary", email=SECRETARY, name="Sam Secretary")
    ada, bo, _cy = (factory.person(SLUG, "delegate", email=f"{n.lower()}@example.org", name=n,
                                   organisation=f"{n} Union") for n in ("Ada", "Bo", "Cy"))
    document_id = factory.document(SLUG, PLATFORM, state="open")
    with app.app_context():
        rows = {r.text: r.clause_id for r in db.session.get(Document, document_id).version().clause_texts}
    living = factory.amendment(document_id, ada, rows[WAGES], replace=("fair wages", "living wages"),
                               title="Living wages", status="admitted")
    organise = factory.amendment(document_id, bo, rows[STRIKE], kind="insert_after", text=NEW_CLAUSE,
                                 title="Organise", status="admitted")
    with app.app_context():
        chair_person = db.session.get(Person, chair)
        for amendment_id in (living, organise):
            amend.decide(db.session.get(Amendment, amendment_id), chair_person, "carried")
        docs.set_state(db.session.get(Document, document_id), "closed")
    factory.adopt(document_id)
    with app.app_context():
        document = docs.set_state(db.session.get(Document, document_id), "final")
        assert document.current_version == 3
        numbers = [db.session.get(Amendment, a).number for a in (living, organise)]
        assert numbers == ["A1", "A2"], numbers
        return {"id": document_id, "fingerprint": document.fingerprint}


# ---------------------------------------------------------------- browser helpers

def _download(page, link, extension: str) -> tuple[str, bytes]:
    """Click a download link as a person would; the saved file's name and bytes."""
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None, download.failure()
    name = download.suggested_filename
    assert name.endswith(f".{extension}"), f"{name!r} is not a .{extension} file"
    return name, Path(download.path()).read_bytes()


def _is_kind(body: bytes, extension: str, name: str) -> None:
    """The file is whole and of its kind."""
    assert body, f"{name} is empty"
    if extension == "pdf":
        assert body.startswith(b"%PDF-"), f"{name} is not a PDF: {body[:20]!r}"
        assert body.rstrip().endswith(b"%%EOF"), f"{name} is cut short"
    elif extension in ZIP_MEMBER:
        assert zipfile.is_zipfile(io.BytesIO(body)), f"{name} is not a zip file"
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert archive.testzip() is None, f"{name} has a broken member"
            assert ZIP_MEMBER[extension] in archive.namelist(), f"{name} has no {ZIP_MEMBER[extension]}"
    elif extension == "html":
        assert body.startswith(b"<!doctype html>"), f"{name} does not start as an HTML page: {body[:30]!r}"
        assert body.rstrip().endswith(b"</html>"), f"{name} is cut short"


# ---------------------------------------------------------------- the test

@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_secretary_compares_draft_and_adopted_and_downloads_each_export_format(
        device, app, factory, new_context, sign_in):
    document = _adopted(app, factory)
    fingerprint = document["fingerprint"]
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint or "")
    phone = device == "phone"
    page = new_context(**(PHONE if phone else LAPTOP)).new_page()
    sign_in(page, SECRETARY, PASSWORD)

    # ---- the document page: the fingerprint and the versions, each made by its amendment
    page.goto(f"/documents/{document['id']}")
    expect(page.get_by_role("heading", level=1, name="Draft platform")).to_be_visible()
    shown = page.locator("code.fingerprint")
    expect(shown).to_have_count(1)
    expect(shown).to_have_text(re.compile(r"^\s*[0-9a-f]{64}\s*$"))
    expect(shown).to_have_text(fingerprint)
    versions = page.get_by_role("navigation", name="Versions")
    expect(versions.get_by_role("listitem")).to_have_count(3)
    expect(versions.get_by_role("listitem").nth(0)).to_contain_text("draft")
    expect(versions.get_by_role("listitem").nth(1)).to_contain_text("made by A1")
    expect(versions.get_by_role("listitem").nth(2)).to_contain_text("made by A2")
    expect(page.get_by_text(ADOPTED_WAGES)).to_be_visible()
    if phone:
        assert_no_sideways_scroll(page, "adopted document on a 360 px phone")

    # ---- every format of the adopted version, from the "Download version 3" block
    details = page.locator("details.downloads")
    summary = details.locator("summary")
    expect(summary).to_have_text("Download version 3")
    expect(details.get_by_role("link", name="Markdown")).to_be_hidden()  # closed until opened
    summary.click()
    expect(details).to_have_attribute("open", "")
    for name, extension in DOCUMENT_FORMATS:
        filename, body = _download(page, details.get_by_role("link", name=name, exact=True), extension)
        assert filename == f"draft-platform-v3.{extension}"
        _is_kind(body, extension, filename)
        if extension in ("md", "txt"):
            text = body.decode("utf-8")
            assert fingerprint in text, f"{filename} does not carry the fingerprint"
            assert NEW_CLAUSE in text and WAGES not in text, f"{filename} is not the adopted text"
            if extension == "md":
                assert ADOPTED_WAGES in text, f"{filename} lacks the adopted clause"
                assert text.endswith(PLATFORM.replace("fair", "living").replace(
                    STRIKE, f"{STRIKE}\n- {NEW_CLAUSE}")), f"{filename} does not end with the adopted text"
    for name, extension in REDLINE_FORMATS:
        link = details.get_by_role("link", name=f"Changes since the draft: {name}", exact=True)
        filename, body = _download(page, link, extension)
        assert filename == f"draft-platform-redline-v1-v3.{extension}"
        _is_kind(body, extension, filename)
        if extension == "html":
            html = body.decode("utf-8")
            assert re.search(r"<ins[^>]*>[^<]*living", html) and re.search(r"<del[^>]*>[^<]*fair", html), \
                "the HTML of the changes does not mark what A1 changed"
            assert NEW_CLAUSE in html

    # ---- the draft's own page has no "Changes since the draft"
    page.goto(f"/documents/{document['id']}?version=1")
    page.locator("details.downloads summary").click()
    expect(page.locator("details.downloads").get_by_role("link", name="Markdown", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Changes since the draft"))).to_have_count(0)
    page.goto(f"/documents/{document['id']}")

    # ---- "Compare with the draft": by keyboard on the phone, by pointer on the laptop
    compare_link = page.get_by_role("link", name="Compare with the draft")
    if phone:
        compare_link.focus()
        expect(compare_link).to_be_focused()
        page.keyboard.press("Enter")
    else:
        compare_link.click()
    expect(page).to_have_url(re.compile(rf"/documents/{document['id']}/compare\?to=3$"))
    expect(page.get_by_role("heading", level=1, name="Compare versions")).to_be_visible()
    head = page.locator("header.doc-head")
    expect(head).to_contain_text("Draft (version 1) → Adopted (version 3)")
    expect(head).to_contain_text("2 clauses changed")
    expect(head.locator("code.fingerprint")).to_have_text(fingerprint)

    clauses = page.get_by_role("list", name="Clauses")
    changed = clauses.locator("li.change-changed")
    expect(changed).to_have_count(1)
    expect(changed.locator("ins")).to_have_count(1)
    expect(changed.locator("ins")).to_contain_text("living")
    expect(changed.locator("del")).to_have_count(1)
    expect(changed.locator("del")).to_contain_text("fair")
    expect(changed).to_contain_text("Changed")
    expect(changed).to_contain_text("by A1")
    inserted = clauses.locator("li.change-inserted")
    expect(inserted).to_have_count(1)
    expect(inserted).to_contain_text("New clause")
    expect(inserted).to_contain_text(NEW_CLAUSE)
    expect(inserted).to_contain_text("by A2")
    expect(clauses.locator("li.change-deleted")).to_have_count(0)
    expect(clauses.locator("li.change-unchanged")).to_have_count(3)  # the heading, strike, peace
    if phone:
        assert_no_sideways_scroll(page, "comparison on a 360 px phone")

    comparison = page.get_by_role("navigation", name="Download the comparison")
    expect(comparison).to_contain_text("Download the comparison:")
    for name, extension in REDLINE_FORMATS:
        filename, body = _download(page, comparison.get_by_role("link", name=name, exact=True), extension)
        assert filename == f"draft-platform-redline-v1-v3.{extension}"
        _is_kind(body, extension, filename)

    # ---- From version 2 to 3: only A2's change is left
    from_select, to_select = page.get_by_label("From"), page.get_by_label("To", exact=True)
    expect(from_select).to_have_value("1")
    expect(to_select).to_have_value("3")
    from_select.select_option(label="Version 2 (made by A1)")
    to_select.select_option(label="Adopted (version 3)")
    if phone:
        page.get_by_role("button", name="Compare").tap()
    else:
        page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/compare\?from=2&to=3$"))
    expect(head).to_contain_text("Version 2 (made by A1) → Adopted (version 3)")
    expect(head).to_contain_text("1 clause changed")
    expect(page.get_by_label("From")).to_have_value("2")
    expect(clauses.locator("li.change-changed")).to_have_count(0)
    expect(clauses.locator("li.change-inserted")).to_have_count(1)
    expect(clauses.locator("li.change-inserted")).to_contain_text(NEW_CLAUSE)
    expect(clauses.locator("del")).to_have_count(0)
    expect(clauses).to_contain_text(ADOPTED_WAGES)  # A1's text, now unchanged
    if phone:
        assert_no_sideways_scroll(page, "comparison of versions 2 and 3 on a 360 px phone")
    for name, extension in REDLINE_FORMATS:
        filename, body = _download(page, comparison.get_by_role("link", name=name, exact=True), extension)
        assert filename == f"draft-platform-redline-v2-v3.{extension}"
        _is_kind(body, extension, filename)
        if extension == "html":
            html = body.decode("utf-8")
            assert NEW_CLAUSE in html and "fair" not in html, "the 2 → 3 comparison shows more than A2's change"

    # ---- the meeting page's "Record of proceedings", and every format of it
    page.goto(f"/m/{SLUG}/")
    page.get_by_role("link", name="Record of proceedings").click()
    expect(page).to_have_url(re.compile(rf"/m/{SLUG}/record$"))
    expect(page.get_by_role("heading", level=1, name="Record of proceedings")).to_be_visible()
    expect(page.locator("code.fingerprint")).to_have_text(fingerprint)
    table = page.get_by_role("region", name="Record of proceedings")
    # A1, A2, then the vote that adopted the whole document
    expect(table.locator("tbody tr th[scope=row]")).to_have_text(["A1", "A2", "—"])
    if phone:
        assert_no_sideways_scroll(page, "record of proceedings on a 360 px phone")
    record = page.get_by_role("navigation", name="Download the record")
    for name, extension in RECORD_FORMATS:
        filename, body = _download(page, record.get_by_role("link", name=name, exact=True), extension)
        assert re.fullmatch(rf"{SLUG}-record-\d{{4}}-\d{{2}}-\d{{2}}\.{extension}", filename), filename
        _is_kind(body, extension, filename)
        if extension == "csv":
            text = body.decode("utf-8-sig")
            assert text.splitlines()[0].startswith("Number,Document,Clause,Lines,"), text.splitlines()[0]
            rows = list(csv.reader(io.StringIO(text)))
            assert [r[0] for r in rows[1:]] == ["A1", "A2", ""], rows
            assert "the whole document" in rows[3], rows[3]

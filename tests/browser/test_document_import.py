"""The secretary imports a document through the page: a preview of the split first, then the import."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TITLE = "Motion on workers’ rights"
MARKDOWN = """# Workers’ rights

- The right to organise independent unions and to strike, without permission from the state or the party.
- Equal pay and equal rights for migrant workers, and the end of the hukou system.

# Solidarity

We support workers’ action in the supply chains that connect us.
"""
NUMBERS = ["1", "1.1", "1.2", "2", "2.1"]


def _document_titles(page) -> list[str]:
    return [t.strip() for t in page.locator(".cards h3").all_inner_texts()]


def test_secretary_previews_the_split_then_imports(new_context, demo, sign_in, app):
    context = new_context(locale="en-GB", viewport={"width": 1024, "height": 800})
    page = context.new_page()
    sign_in(page, "secretary@example.org")
    page.get_by_role("link", name=re.compile("Founding meeting")).click()
    meeting_home = page.url
    page.get_by_role("link", name="Import a document").click()
    expect(page.get_by_role("heading", level=1, name="Import a document")).to_be_visible()

    page.get_by_label("Title", exact=True).fill(TITLE)
    expect(page.get_by_role("radio", name=re.compile("^Markdown"))).to_be_checked()
    page.get_by_label("or paste the text").fill(MARKDOWN)
    page.get_by_role("button", name="Preview the clauses").click()

    # The preview: every heading, list item and paragraph numbered, the lines numbered continuously.
    preview = page.get_by_role("region", name=re.compile("^Preview"))
    expect(preview).to_be_visible()
    expect(preview.get_by_role("heading", level=2)).to_contain_text("5 clauses")
    expect(preview.locator(".number")).to_have_text(NUMBERS)
    expect(preview).to_contain_text("The right to organise independent unions")
    expect(preview).to_contain_text("We support workers’ action in the supply chains")
    line_numbers = [int(n) for n in preview.locator(".ln").all_inner_texts()]
    assert len(line_numbers) >= 6, "the long list item should wrap over two lines"
    assert line_numbers == list(range(1, len(line_numbers) + 1))
    expect(preview.get_by_role("heading", level=2)).to_contain_text(f"{len(line_numbers)} lines")
    # The form keeps what was typed, ready to import.
    expect(page.get_by_label("Title", exact=True)).to_have_value(TITLE)
    expect(page.get_by_label("or paste the text")).to_have_value(re.compile("^# Workers’ rights"))

    # Nothing is stored yet: the meeting lists only the draft platform.
    other = context.new_page()
    other.goto(meeting_home)
    expect(other.get_by_role("heading", level=2, name="Documents")).to_be_visible()
    assert _document_titles(other) == ["Draft platform"]
    other.close()
    from motions.documents.models import Document
    from motions.extensions import db

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Document.id))) == 1

    page.get_by_role("button", name="Import this document").click()

    # The document page: the title, the clauses with their numbers and lines, as a draft.
    expect(page).to_have_url(re.compile(r"/documents/\d+$"))
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("The document is imported as a draft")
    expect(page.locator(".doc-head .badge")).to_have_text("draft")
    clauses = page.get_by_role("list", name="Clauses")
    expect(clauses.locator(".number")).to_have_text(NUMBERS)
    expect(clauses.get_by_role("heading", level=2, name=re.compile("Workers’ rights"))).to_be_visible()
    expect(clauses).to_contain_text("Equal pay and equal rights for migrant workers")
    assert [int(n) for n in clauses.locator(".ln").all_inner_texts()] == line_numbers

    page.goto(meeting_home)
    assert _document_titles(page) == ["Draft platform", TITLE]

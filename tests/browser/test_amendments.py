"""Amendments in a real browser: the live redline while a delegate edits a clause, seconding,
admission, collisions, a 360 px phone, the keyboard, and a change to Chinese text.

The demo founding meeting (tests/conftest.py `demo`) has its draft platform open for amendments.
Amendments another person made before the test starts are made with the `factory`, through the
same operations the pages use.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_no_sideways_scroll

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "en-GB"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB"}

# Clause 1.3 of the demo platform: "For social justice and economic democracy for the Chinese, …"
CLAUSE = "1.3"
OLD, NEW = "economic", "industrial"  # the first delegate's change
RIVAL = "workplace"  # the third delegate changes the same word

# A clause of 61 characters: two printed lines of the 80-column layout (a Han character is two columns).
CHINESE = ("# 目标\n\n- 为中国工人争取自由组织独立工会的权利，为香港、西藏和维吾尔人民争取自决权，"
           "反对一切形式的压迫和剥削，支持全世界工人的团结。\n- 反对超级大国的对抗。\n")


# ---------------------------------------------------------------- data, read and made as the pages would

def _ids(app, *emails: str) -> list[int]:
    from motions.auth.models import Person
    from motions.extensions import db

    with app.app_context():
        found = {p.email: p.id for p in db.session.execute(db.select(Person).where(Person.email.in_(emails))).scalars()}
    return [found[e] for e in emails]


def _platform(app, slug: str, title: str = "Draft platform") -> int:
    from motions.documents.models import Document
    from motions.extensions import db
    from motions.meetings.operations import get_meeting

    with app.app_context():
        meeting = get_meeting(slug)
        return db.session.execute(db.select(Document.id).filter_by(meeting_id=meeting.id, title=title)).scalar_one()


def _clause(app, document_id: int, number: str):
    """(clause id, text, first line, last line) of a clause of the current version."""
    from motions.documents.models import Document
    from motions.extensions import db

    with app.app_context():
        row = next(r for r in db.session.get(Document, document_id).version().clause_texts if r.number == number)
        return row.clause_id, row.text, row.first_line, row.last_line


def _seconders_required(app, slug: str) -> int:
    from motions.meetings.operations import get_meeting

    with app.app_context():
        return get_meeting(slug).seconders_required


def _amendment(app, amendment_id: int):
    from motions.amendments.models import Amendment
    from motions.extensions import db

    with app.app_context():
        a = db.session.get(Amendment, amendment_id)
        return {"number": a.number, "status": a.status.value, "text": a.text, "seconds": len(a.seconds)}


def _count_amendments(app) -> int:
    from motions.amendments.models import Amendment
    from motions.extensions import db

    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Amendment.id)))


def _signed_in(new_context, sign_in, email: str, **options):
    page = new_context(**(options or DESKTOP)).new_page()
    sign_in(page, email)
    return page


def _open_platform(page, title: str = "Draft platform") -> None:
    page.get_by_role("link", name=re.compile("Founding meeting")).first.click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def _replace_in_textarea(page, textarea, old: str, new: str, *, ime: bool = False) -> None:
    """Select `old` in the textarea as a person would with the mouse, then type `new` over it."""
    textarea.click()
    found = textarea.evaluate(
        "(el, old) => { const i = el.value.indexOf(old); if (i >= 0) { el.setSelectionRange(i, i + old.length); }"
        " return i; }", old)
    assert found >= 0, f"{old!r} is not in the textarea"
    if ime:  # an input method commits the whole character at once: an input event, no key presses
        page.keyboard.insert_text(new)
    else:
        page.keyboard.type(new)


def _readable(page, locator, what: str, min_width: float = 0) -> None:
    """Inside the viewport horizontally, not squeezed to a sliver, in type a person can read."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, f"the {what} has no box"
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360 + 0.5, f"the {what} sticks out of the screen: {box}"
    assert box["width"] >= min_width, f"the {what} is squeezed to {box['width']} px"
    size = float(locator.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))
    assert size >= 14, f"the {what} is set in {size}px type"


# ---------------------------------------------------------------- 1. the live redline, then submitting

def test_delegate_edits_a_clause_and_sees_the_redline_before_submitting(new_context, demo, sign_in, app):
    document_id = _platform(app, demo)
    _, text, first_line, last_line = _clause(app, document_id, CLAUSE)
    assert f" {OLD} " in text

    page = _signed_in(new_context, sign_in, "delegate1@example.org")
    _open_platform(page)
    page.get_by_role("link", name=f"Amend clause {CLAUSE}", exact=True).click()

    expect(page.get_by_role("heading", level=1, name="Propose an amendment")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=f"Clause {CLAUSE} as it stands")).to_be_visible()
    textarea = page.get_by_label("The clause as it should read")
    expect(textarea).to_have_value(text)  # the clause is there to edit in place
    expect(page.get_by_role("radio", name="Change the text of the clause")).to_be_checked()
    propose_url = page.url

    preview = page.locator("#redline-preview")
    expect(preview.locator("ins")).to_have_count(0)
    _replace_in_textarea(page, textarea, OLD, NEW)

    # The redline follows the typing, without a submit: the new word inserted, the old one struck out.
    expect(preview.locator("ins")).to_have_count(1)
    expect(preview.locator("ins")).to_contain_text(NEW)
    expect(preview.locator("del")).to_have_count(1)
    expect(preview.locator("del")).to_contain_text(OLD)
    summary = preview.locator(".summary")
    expect(summary).to_contain_text(re.compile(rf"Lines? \d+(–\d+)?: delete “{OLD}”, insert “{NEW}”\."))
    # The line cited is the printed line the changed word is on.
    cited = int(re.search(r"Lines? (\d+)", summary.inner_text()).group(1))
    assert first_line <= cited <= last_line
    changed_line = preview.locator(".line").filter(has=page.locator("del"))
    expect(changed_line.locator(".ln")).to_have_text(str(cited))
    preview_summary = summary.locator("[dir=auto]").inner_text()
    # Nothing was submitted: the same page, no amendment stored.
    assert page.url == propose_url
    assert _count_amendments(app) == 0

    page.get_by_role("button", name="Submit the amendment").click()

    expect(page).to_have_url(re.compile(r"/amendments/\d+$"))
    heading = page.get_by_role("heading", level=1, name=re.compile(r"^Amendment \S+"))
    expect(heading).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Amendment \S+ is submitted\."))
    expect(page.locator(".doc-head .badge.status")).to_have_text("submitted")
    change = page.get_by_role("region", name="What it changes")
    expect(change.locator(".summary")).to_have_text(preview_summary)
    expect(change.locator("ins")).to_have_count(1)
    expect(change.locator("ins")).to_contain_text(NEW)
    expect(change.locator("del")).to_have_count(1)
    expect(change.locator("del")).to_contain_text(OLD)
    expect(change.locator(".line").filter(has=page.locator("del")).locator(".ln")).to_have_text(str(cited))
    expect(page.locator("ol.history li")).to_have_count(1)
    expect(page.locator("ol.history li").first).to_contain_text("submitted · Alex Chan")

    amendment_id = int(page.url.rsplit("/", 1)[1])
    stored = _amendment(app, amendment_id)
    assert stored["status"] == "submitted"
    assert stored["text"] == text.replace(f" {OLD} ", f" {NEW} ", 1)
    expect(heading).to_have_text(f"Amendment {stored['number']}")


# ---------------------------------------------------------------- 2. seconding

def test_another_delegate_seconds_the_amendment(new_context, demo, sign_in, app, factory):
    document_id = _platform(app, demo)
    clause_id, *_ = _clause(app, document_id, CLAUSE)
    mover, = _ids(app, "delegate1@example.org")
    amendment_id = factory.amendment(document_id, mover, clause_id, replace=(OLD, NEW))
    number = _amendment(app, amendment_id)["number"]
    needed = _seconders_required(app, demo)

    page = _signed_in(new_context, sign_in, "delegate2@example.org")
    _open_platform(page)
    clause = page.locator(f"#clause-{clause_id}")
    clause.locator("details.amendments-toggle > summary").click()
    inline = clause.locator(f"#inline-{amendment_id}")
    inline.locator("> summary").click()
    expect(inline.locator(".inline-body ins")).to_contain_text(NEW)  # its redline, loaded on opening
    inline.get_by_role("link", name=f"Open {number}").click()

    expect(page.get_by_role("heading", level=1, name=f"Amendment {number}")).to_be_visible()
    people = page.get_by_role("region", name="Mover and seconders")
    expect(people).to_contain_text("Alex Chan")
    expect(people).to_contain_text(f"0 of {needed} needed")
    page.get_by_role("button", name="Second this amendment").click()

    expect(page.get_by_role("status")).to_contain_text(f"You have seconded {number}.")
    expect(people).to_contain_text(f"1 of {needed} needed")
    expect(people.locator("ul.plain li")).to_have_text(["Bilal Tursun (Uyghur Solidarity Campaign (UK))"])
    expect(page.get_by_role("button", name="Withdraw my second")).to_be_visible()
    expect(page.get_by_role("button", name="Second this amendment")).to_have_count(0)
    expect(page.locator("ol.history li").last).to_contain_text("seconded · Bilal Tursun")
    assert _amendment(app, amendment_id)["seconds"] == 1


# ---------------------------------------------------------------- 3. admission

def test_chair_admits_a_seconded_amendment(new_context, demo, sign_in, app, factory):
    document_id = _platform(app, demo)
    clause_id, *_ = _clause(app, document_id, CLAUSE)
    needed = _seconders_required(app, demo)
    mover, *seconders = _ids(app, *[f"delegate{n}@example.org" for n in range(1, max(needed, 1) + 2)])
    amendment_id = factory.amendment(document_id, mover, clause_id, replace=(OLD, NEW), seconders=tuple(seconders))
    number = _amendment(app, amendment_id)["number"]

    page = _signed_in(new_context, sign_in, "chair@example.org")
    page.goto(f"/amendments/{amendment_id}")
    expect(page.locator(".doc-head .badge.status")).to_have_text("submitted")
    page.get_by_role("button", name="Admit", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(f"{number} is admitted.")
    expect(page.locator(".doc-head .badge.status")).to_have_text("admitted")
    expect(page.get_by_role("button", name="Admit", exact=True)).to_have_count(0)
    history = page.get_by_role("region", name="History").locator("ol.history > li")
    expected = (["submitted · Alex Chan"] + ["seconded"] * len(seconders)
                + ["admitted by the chair · Chair of the meeting"])
    expect(history).to_have_count(len(expected))
    for item, words in zip(history.all(), expected):
        expect(item).to_contain_text(words)
    assert _amendment(app, amendment_id)["status"] == "admitted"


# ---------------------------------------------------------------- 4. collisions

def test_a_colliding_amendment_is_flagged_before_and_after_submission(new_context, demo, sign_in, app, factory):
    document_id = _platform(app, demo)
    clause_id, *_ = _clause(app, document_id, CLAUSE)
    mover, = _ids(app, "delegate1@example.org")
    first_id = factory.amendment(document_id, mover, clause_id, replace=(OLD, NEW))
    first = _amendment(app, first_id)["number"]

    page = _signed_in(new_context, sign_in, "delegate3@example.org")
    _open_platform(page)
    page.get_by_role("link", name=f"Amend clause {CLAUSE}", exact=True).click()
    textarea = page.get_by_label("The clause as it should read")
    preview = page.locator("#redline-preview")
    # A change to another word of the sentence does not collide ...
    _replace_in_textarea(page, textarea, "justice", "fairness")
    expect(preview.locator("ins")).to_contain_text("fairness")
    expect(preview.get_by_role("note")).to_have_count(0)
    # ... a change to the same word does.
    _replace_in_textarea(page, textarea, "fairness", "justice")
    expect(preview.locator("ins")).to_have_count(0)
    _replace_in_textarea(page, textarea, OLD, RIVAL)
    expect(preview.locator("ins")).to_contain_text(RIVAL)
    warning = preview.get_by_role("note")
    expect(warning).to_contain_text(f"This change would collide with: {first}")
    expect(warning.get_by_role("link", name=first)).to_have_attribute("href", f"/amendments/{first_id}")

    page.get_by_role("button", name="Submit the amendment").click()
    expect(page).to_have_url(re.compile(r"/amendments/\d+$"))
    second_id = int(page.url.rsplit("/", 1)[1])
    second = _amendment(app, second_id)["number"]
    collides = page.get_by_role("region", name="Collides with")
    expect(collides).to_be_visible()
    expect(collides.get_by_role("link", name=first, exact=True)).to_have_attribute("href", f"/amendments/{first_id}")

    # The other side shows it too.
    page.goto(f"/amendments/{first_id}")
    back = page.get_by_role("region", name="Collides with").get_by_role("link", name=second, exact=True)
    expect(back).to_have_attribute("href", f"/amendments/{second_id}")

    # The document page: the clause's badge.
    page.goto(f"/documents/{document_id}")
    clause = page.locator(f"#clause-{clause_id}")
    toggle = clause.locator("details.amendments-toggle > summary")
    expect(toggle).to_contain_text("2 amendments")
    toggle.click()  # the clause's amendments load when it is opened, with their collisions
    expect(clause.locator(".clause-collisions .collision-badge")).to_have_text("2 collide")
    expect(clause.locator(f"#inline-{second_id} > summary .collision-badge")).to_have_text(f"collides with {first}")
    expect(clause.locator(f"#inline-{first_id} > summary .collision-badge")).to_have_text(f"collides with {second}")
    # Other clauses have no badge.
    expect(page.locator(".collision-badge")).to_have_count(3)

    # The list: the group, in the order the amendments would be taken.
    page.get_by_role("link", name="All amendments", exact=True).click()
    groups = page.get_by_role("region", name="Colliding amendments")
    expect(groups.locator("li")).to_have_count(1)
    expect(groups.locator("li")).to_contain_text(
        re.compile(rf"If {first} is carried, {second} falls? or must be resolved\."))


# ---------------------------------------------------------------- 5. a 360 px phone

def test_proposing_and_reading_amendments_on_a_360px_phone(new_context, demo, sign_in, app, factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    document_id = _platform(app, demo)
    # A long clause, so that the redline wraps over several lines; "independent unions" is on its last line but one.
    clause_id, text, first_line, last_line = _clause(app, document_id, "1.2")
    assert last_line - first_line == 3 and "independent unions" in text
    mover, = _ids(app, "delegate2@example.org")
    other_id = factory.amendment(document_id, mover, clause_id, replace=("free speech", "free speech and assembly"))
    other = _amendment(app, other_id)["number"]

    page = _signed_in(new_context, sign_in, "delegate1@example.org", **PHONE)
    _open_platform(page)
    assert_no_sideways_scroll(page, "document page")

    # The inline toggle on the document page loads the amendment's redline when opened.
    clause = page.locator(f"#clause-{clause_id}")
    clause.locator("details.amendments-toggle > summary").click()
    inline = clause.locator(f"#inline-{other_id}")
    expect(inline.locator(".inline-body ins")).to_have_count(0)  # not loaded until it is opened
    inline.locator("> summary").click()
    expect(inline.locator(".inline-body ins")).to_contain_text("and assembly")
    expect(inline.locator(".inline-body .summary")).to_contain_text("insert “and assembly”")
    expect(inline.get_by_role("link", name=f"Open {other}")).to_be_visible()
    assert_no_sideways_scroll(page, "document page with an amendment open")
    _readable(page, inline.locator(".inline-body .lines"), "inline redline on the document page", 200)
    clause.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "document-inline-360px.png"), full_page=False)

    # Proposing: the textarea, the live redline, nothing wider than the phone.
    clause.get_by_role("link", name="Amend clause 1.2", exact=True).click()
    textarea = page.get_by_label("The clause as it should read")
    expect(textarea).to_have_value(text)
    _replace_in_textarea(page, textarea, "independent unions", "independent trade unions")
    preview = page.locator("#redline-preview")
    expect(preview.locator(".summary")).to_contain_text(f"Line {last_line - 1}: after “independent”, insert “trade”.")
    expect(preview.locator("ins")).to_contain_text("trade")
    assert_no_sideways_scroll(page, "propose page")
    _readable(page, preview.locator(".lines"), "redline on the propose page", 250)
    _readable(page, preview.locator("ins").first, "inserted text on the propose page")
    _readable(page, textarea, "textarea", 250)
    preview.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "propose-360px.png"), full_page=False)
    page.screenshot(path=str(SHOTS / "propose-360px-full.png"), full_page=True)

    page.get_by_role("button", name="Submit the amendment").click()
    expect(page).to_have_url(re.compile(r"/amendments/\d+$"))
    change = page.get_by_role("region", name="What it changes")
    expect(change.locator("ins")).to_contain_text("trade")
    assert_no_sideways_scroll(page, "amendment page")
    _readable(page, change.locator(".lines"), "redline on the amendment page", 250)
    _readable(page, change.locator(".summary"), "summary on the amendment page")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "amendment-360px.png"), full_page=False)
    page.screenshot(path=str(SHOTS / "amendment-360px-full.png"), full_page=True)


# ---------------------------------------------------------------- 6. the keyboard

def _tab_to(page, locator, limit: int = 40) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} is not reached with Tab in {limit} presses")


def test_keyboard_only_inline_redline_and_proposing(new_context, demo, sign_in, app, factory):
    document_id = _platform(app, demo)
    clause_id, text, *_ = _clause(app, document_id, CLAUSE)
    assert text.endswith("people.")
    mover, = _ids(app, "delegate2@example.org")
    amendment_id = factory.amendment(document_id, mover, clause_id, replace=(OLD, NEW))

    page = _signed_in(new_context, sign_in, "delegate1@example.org")
    page.goto(f"/documents/{document_id}")
    clause = page.locator(f"#clause-{clause_id}")
    outer = clause.locator("details.amendments-toggle")
    inner = clause.locator(f"#inline-{amendment_id}")

    # The clause's amendments open with Enter, the amendment's redline with Space.
    _tab_to(page, outer.locator("> summary"), limit=100)
    page.keyboard.press("Enter")
    expect(outer).to_have_attribute("open", "")
    expect(inner).to_be_attached()  # loaded when opened
    page.keyboard.press("Tab")
    expect(inner.locator("> summary")).to_be_focused()
    page.keyboard.press("Space")
    expect(inner).to_have_attribute("open", "")
    expect(inner.locator(".inline-body ins")).to_contain_text(NEW)
    expect(inner.locator(".inline-body del")).to_contain_text(OLD)
    # Closed with Enter and opened again with Enter: the redline is still there.
    page.keyboard.press("Enter")
    expect(inner).not_to_have_attribute("open", "")
    page.keyboard.press("Enter")
    expect(inner).to_have_attribute("open", "")
    expect(inner.locator(".inline-body ins")).to_be_visible()

    # On to the clause's "Amend" link, and the whole proposal without a mouse.
    _tab_to(page, clause.get_by_role("link", name=f"Amend clause {CLAUSE}", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Propose an amendment")).to_be_visible()
    textarea = page.get_by_label("The clause as it should read")
    _tab_to(page, textarea)
    page.keyboard.press("Control+End")
    page.keyboard.press("Backspace")  # the full stop
    page.keyboard.type(" in the diaspora.")
    preview = page.locator("#redline-preview")
    expect(preview.locator(".summary")).to_contain_text("after “people”, insert “in the diaspora”")
    expect(preview.locator("ins")).to_contain_text("in the diaspora")

    _tab_to(page, page.get_by_label("Title (optional)"))
    page.keyboard.type("Include the diaspora")
    _tab_to(page, page.get_by_role("button", name="Submit the amendment"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/amendments/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Include the diaspora")
    expect(page.get_by_role("region", name="What it changes").locator("ins")).to_contain_text("in the diaspora")
    expect(page.locator(".doc-head .badge.status")).to_have_text("submitted")


# ---------------------------------------------------------------- 7. Chinese

def test_a_chinese_edit_is_marked_character_by_character(new_context, demo, sign_in, app, factory):
    document_id = factory.document(demo, CHINESE, title="中文纲领", state="open")
    _, text, first_line, last_line = _clause(app, document_id, "1.1")
    assert last_line == first_line + 1 and "自由" in text and "支持" in text

    page = _signed_in(new_context, sign_in, "delegate6@example.org")
    _open_platform(page, "中文纲领")
    page.get_by_role("link", name="Amend clause 1.1", exact=True).click()
    textarea = page.get_by_label("The clause as it should read")
    expect(textarea).to_have_value(text)
    # 自由 (free) becomes 自主 (autonomous) on the first line, 支持 (support) 支援 (back) on the second:
    # one character changes in each word, and only that character is marked, not the run of text around it.
    _replace_in_textarea(page, textarea, "自由", "自主", ime=True)
    _replace_in_textarea(page, textarea, "支持", "支援", ime=True)

    preview = page.locator("#redline-preview")
    summary = preview.locator(".summary")
    expect(summary).to_contain_text(f"Line {first_line}: delete “由”, insert “主”.")
    expect(summary).to_contain_text(f"Line {last_line}: delete “持”, insert “援”.")
    _single_characters_marked(preview, first_line, last_line)
    expect(preview.locator(".lt").first).to_contain_text("争取自")  # the unchanged characters stay unmarked
    expect(preview.locator(".lt").first).to_contain_text("组织独立工会的权利")
    preview_summary = summary.locator("[dir=auto]").inner_text()

    page.get_by_role("button", name="Submit the amendment").click()
    expect(page).to_have_url(re.compile(r"/amendments/\d+$"))
    change = page.get_by_role("region", name="What it changes")
    expect(change.locator(".summary")).to_have_text(preview_summary)
    _single_characters_marked(change, first_line, last_line)
    expected = text.replace("自由", "自主").replace("支持", "支援")
    assert _amendment(app, int(page.url.rsplit("/", 1)[1]))["text"] == expected


def _single_characters_marked(redline, first_line: int, last_line: int) -> None:
    """One character struck out and one inserted on each of the clause's two lines; the words a screen
    reader hears ("[insert: …]") are there, hidden."""
    expect(redline.locator("ins")).to_have_text(["[insert:主]", "[insert:援]"])
    expect(redline.locator("del")).to_have_text(["[delete:由]", "[delete:持]"])
    shown = redline.locator("ins, del").evaluate_all(
        "els => els.map(e => Array.from(e.childNodes).filter(n => n.nodeType === 3).map(n => n.data).join(''))")
    assert shown == ["由", "主", "持", "援"], shown
    lines = redline.locator(".line")
    expect(lines.locator(".ln")).to_have_text([str(first_line), str(last_line)])
    for line, (old, new) in zip(lines.all(), [("由", "主"), ("持", "援")]):
        expect(line.locator("del")).to_contain_text(old)
        expect(line.locator("ins")).to_contain_text(new)


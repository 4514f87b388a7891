"""A live vote in real browsers: the chair opens it from the console, three delegates vote on their
phones, the console and the projector follow without a reload, the chair closes it and the amendment
is carried. And the hall's projector and the poll page at the sizes they are used at, by keyboard.

The meeting is made with the `factory` (tests/conftest.py), through the operations the pages use;
everything a person does after that is done through the pages. "Without a reload" is checked, not
assumed: a mark set on the page's window must survive until the end (a reload would lose it).
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_no_sideways_scroll

pytestmark = pytest.mark.browser

SLUG = "vote-meeting"
PLATFORM = """# Aims

We want rights for all workers.

We want bread and roses.
"""
CHAIR = "chair@example.org"
DELEGATES = [("Ada Arendt", "ada@example.org"), ("Bea Brecht", "bea@example.org"),
             ("Cy Connolly", "cy@example.org"), ("Dot Debs", "dot@example.org")]  # Dot stays away
PASSWORD = "correct horse battery"  # tests/conftest.py's factory password
LIVE_MS = 10_000  # a live update slower than this is a failure

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "en-GB"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB"}
HALL = {"viewport": {"width": 1920, "height": 1080}, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _quick_passwords(monkeypatch):
    """Cheap password hashes: these tests are about votes, not about scrypt."""
    from werkzeug.security import generate_password_hash

    import motions.auth.models as auth_models

    def quick(password, method=None):
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(auth_models, "generate_password_hash", quick)


STREAM_SECONDS = 3.0


@pytest.fixture(autouse=True)
def _short_streams(short_streams):
    """The pages open event streams (static/live.js): short ones, and no request left running at the end."""


# ---------------------------------------------------------------- the meeting, made as the operations would

def _world(app, factory) -> dict:
    """A meeting in session with quorum 3: a chair, four delegates (three checked in), an open platform
    with one admitted amendment, which is on the floor, and a draft poll on it."""
    factory.meeting(SLUG, title="Vote meeting", quorum="3")
    factory.person(SLUG, "chair", email=CHAIR, name="Chris Chair")
    delegates = [factory.person(SLUG, "delegate", email=email, name=name, organisation=f"Union {i}")
                 for i, (name, email) in enumerate(DELEGATES)]
    document = factory.document(SLUG, PLATFORM, state="open")
    amendment = factory.amendment(document, delegates[0], replace=("rights", "equal rights"),
                                  title="Equality", status="admitted")
    poll = factory.poll(SLUG, amendment_id=amendment)

    from motions.amendments.models import Amendment
    from motions.extensions import db
    from motions.meetings import operations
    from motions.polls.models import Poll

    with app.app_context():
        meeting = operations.get_meeting(SLUG)
        operations.set_meeting_state(meeting, "in_session")
        for person_id in delegates[:3]:
            operations.set_attendance(meeting, operations.get_membership(meeting, person_id), True)
        operations.set_floor(meeting, "amendment", amendment)
        return {"amendment": amendment, "poll": poll, "document": document,
                "number": db.session.get(Amendment, amendment).number,
                "title": db.session.get(Poll, poll).title}


def _open_poll(app, poll_id: int) -> None:
    from motions.extensions import db
    from motions.polls import operations
    from motions.polls.models import Poll

    with app.app_context():
        operations.open_poll(db.session.get(Poll, poll_id), None)


def _stored(app, poll_id: int, amendment_id: int) -> dict:
    from motions.amendments.models import Amendment
    from motions.extensions import db
    from motions.polls.models import Ballot, Poll

    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        ballots = db.session.execute(db.select(Ballot.choice).where(Ballot.poll_id == poll_id)).scalars()
        return {"poll": poll.state.value, "outcome": (poll.result or {}).get("outcome"),
                "ballots": sorted(ballots),
                "amendment": db.session.get(Amendment, amendment_id).status.value}


# ---------------------------------------------------------------- the browsers

def _signed_in(new_context, sign_in, email: str, options: dict):
    page = new_context(**options).new_page()
    sign_in(page, email, PASSWORD)
    return page


def _mark(page) -> None:
    """Mark the page's window; _not_reloaded() fails if the page was loaded again since."""
    page.evaluate("window.__votesTestMark = 'still here'")


def _not_reloaded(page, what: str) -> None:
    assert page.evaluate("window.__votesTestMark") == "still here", f"the {what} was reloaded"


def _turnout(page, poll_id: int):
    return page.locator(f'[data-turnout-poll="{poll_id}"]')


def _tab_to(page, locator, limit: int = 40) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} is not reached with Tab in {limit} presses")


def _focus_is_visible(locator, what: str) -> None:
    style = locator.evaluate(
        "el => { const s = getComputedStyle(el); return {visible: el.matches(':focus-visible'),"
        " outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow}; }")
    assert style["visible"], f"the {what} has the focus but not :focus-visible"
    ringed = (style["outline"] != "none" and style["width"] >= 2) or style["shadow"] not in ("", "none")
    assert ringed, f"the focused {what} shows no focus ring: {style}"


# ---------------------------------------------------------------- 1. the whole vote

def test_a_live_vote_from_opening_to_the_carried_amendment(new_context, sign_in, app, factory):
    w = _world(app, factory)
    poll_id, number = w["poll"], w["number"]

    # The chair's console, and the projector in a context of its own (the hall's machine).
    chair = _signed_in(new_context, sign_in, CHAIR, DESKTOP)
    chair.goto(f"/m/{SLUG}/chair")
    expect(chair.get_by_role("heading", level=1, name="Chair's console")).to_be_visible()
    votes = chair.get_by_role("region", name="Votes")
    expect(votes).to_contain_text("No vote is open.")
    expect(votes.locator(".console-drafts")).to_contain_text(w["title"])
    expect(chair.get_by_role("region", name="Attendance")).to_contain_text("Quorum met")

    projector = _signed_in(new_context, sign_in, CHAIR, HALL)
    projector.goto(f"/m/{SLUG}/projector")
    expect(projector.get_by_role("heading", level=1)).to_contain_text(f"Amendment {number}")  # taken up
    expect(projector.locator(".hall-redline ins")).to_contain_text("equal")
    _mark(projector)

    # The three delegates present open the poll page on their phones before the vote opens.
    delegates = [_signed_in(new_context, sign_in, email, PHONE) for _name, email in DELEGATES[:3]]
    for page in delegates:
        page.goto(f"/polls/{poll_id}")
        expect(page.get_by_role("heading", level=1, name=w["title"])).to_be_visible()
        expect(page.locator(".poll-live")).to_contain_text("The vote is not open yet.")
        expect(page.get_by_role("button", name="Yes", exact=True)).to_have_count(0)
        _mark(page)

    # The chair opens the vote from the console.
    votes.get_by_role("button", name="Open the vote").click()
    expect(chair.get_by_role("status")).to_contain_text(f"The vote on “{w['title']}” is open.")
    votes = chair.get_by_role("region", name="Votes")
    expect(votes.locator(".console-open")).to_contain_text("open for voting")
    expect(votes.locator(".turnout")).to_have_text("0 of 4 voted")
    _mark(chair)

    # The projector follows: the poll is on the floor, voting is open, nobody has voted yet.
    expect(projector.get_by_role("heading", level=1)).to_have_text(w["title"], timeout=LIVE_MS)
    expect(projector.locator(".hall-status")).to_have_text("Voting is open", timeout=LIVE_MS)
    expect(projector.locator(".turnout")).to_have_text("0 of 4 voted")

    # The delegates' pages show the ballot without a reload; each votes by tapping a button.
    for page, choice in zip(delegates, ["Yes", "Yes", "No"]):
        expect(page.get_by_role("button", name=choice, exact=True)).to_be_visible(timeout=LIVE_MS)
        _not_reloaded(page, "delegate's poll page")
    for n, (page, choice) in enumerate(zip(delegates, ["Yes", "Yes", "No"]), start=1):
        page.get_by_role("button", name=choice, exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(f"Your vote is stored: “{choice}”.")
        expect(page.locator(".poll-live .voted")).to_have_text("You have voted.")
        expect(page.get_by_role("button", name=choice, exact=True)).to_have_count(0)  # one vote each
        # The console and the projector count each ballot as it comes in.
        expect(_turnout(chair, poll_id)).to_have_text(str(n), timeout=LIVE_MS)
        expect(_turnout(projector, poll_id)).to_have_text(str(n), timeout=LIVE_MS)
        _mark(page)  # the page the vote came back to: from here on it, too, must not reload

    expect(chair.get_by_role("region", name="Votes").locator(".turnout")).to_have_text("3 of 4 voted")
    expect(projector.locator(".turnout")).to_have_text("3 of 4 voted")
    # The first delegate's page counted the other two ballots as they came.
    expect(delegates[0].locator(".poll-live .turnout")).to_have_text("3 of 4 voted", timeout=LIVE_MS)
    _not_reloaded(chair, "chair's console")
    _not_reloaded(projector, "projector")
    assert _stored(app, poll_id, w["amendment"])["ballots"] == ["no", "yes", "yes"]

    # The chair closes the vote.
    chair.get_by_role("region", name="Votes").get_by_role("button", name="Close the vote and count").click()
    words = "Carried: 2 for, 1 against, 0 abstentions; simple majority of votes cast."
    expect(chair.get_by_role("status")).to_contain_text(words)
    votes = chair.get_by_role("region", name="Votes")
    expect(votes).to_contain_text("No vote is open.")
    expect(votes.locator(".console-results")).to_contain_text(words)

    # The projector shows the result, in words and as a chart, without a reload.
    result = projector.locator(".poll-result")
    expect(result.locator(".result-words")).to_have_text(words, timeout=LIVE_MS)
    expect(result.locator(".result-words")).to_have_class(re.compile(r"\boutcome-carried\b"))
    chart = projector.get_by_role("img", name="Result: Yes: 2, No: 1, Abstain: 0")
    expect(chart).to_be_visible()
    expect(chart.locator(".chart-label")).to_have_text(["Yes", "No", "Abstain"])
    expect(chart.locator(".chart-count")).to_have_text(["2", "1", "0"])
    expect(result.locator(".result-base")).to_contain_text("3 voted; 3 present of 4 entitled to vote.")
    expect(projector.locator(".turnout")).to_have_count(0)
    expect(projector.locator(".hall-status")).to_have_count(0)
    _not_reloaded(projector, "projector")

    # Every delegate's page says the poll closed and shows the result, without a reload.
    for page in delegates:
        expect(page.locator(".poll-live .poll-state")).to_have_text("closed", timeout=LIVE_MS)
        expect(page.locator(".poll-live .result-words")).to_have_text(words)
        expect(page.get_by_role("img", name="Result: Yes: 2, No: 1, Abstain: 0")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^(Yes|No|Abstain)$"))).to_have_count(0)
        _not_reloaded(page, "delegate's poll page")

    # The amendment is carried: on its page, and in the database.
    page = delegates[0]
    page.get_by_role("link", name=f"Amendment {number}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Amendment {number}")
    expect(page.locator(".doc-head .badge.status")).to_have_text("carried")
    expect(page.get_by_role("region", name="Votes").locator(".badge")).to_have_text("closed")
    chair.goto(f"/amendments/{w['amendment']}")
    expect(chair.locator(".doc-head .badge.status")).to_have_text("carried")
    assert _stored(app, poll_id, w["amendment"]) == {"poll": "closed", "outcome": "carried",
                                                     "ballots": ["no", "yes", "yes"], "amendment": "carried"}


# ---------------------------------------------------------------- 2. the sizes it is used at, the keyboard

def test_projector_fits_the_hall_and_the_poll_page_a_phone_and_the_keyboard(new_context, sign_in, app,
                                                                              factory):
    w = _world(app, factory)
    number = w["number"]

    # The projector, with the amendment on the floor, at a hall projector's size and an old one's.
    projector = _signed_in(new_context, sign_in, CHAIR, HALL)
    for width, height in [(1920, 1080), (1024, 768)]:
        projector.set_viewport_size({"width": width, "height": height})
        projector.goto(f"/m/{SLUG}/projector")
        expect(projector.get_by_role("heading", level=1)).to_contain_text(f"Amendment {number}: Equality")
        redline = projector.locator(".hall-redline")
        expect(redline).to_be_visible()
        expect(redline.locator("ins")).to_contain_text("equal")
        expect(projector.locator(".hall-summary")).to_contain_text("insert “equal”")
        assert_no_sideways_scroll(projector, f"projector at {width}×{height}")
        box = redline.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, \
            f"the redline sticks out of the {width}×{height} projector: {box}"

    # The poll page on a 360 px phone: nothing wider than the screen, and a vote by keyboard alone.
    _open_poll(app, w["poll"])
    phone = _signed_in(new_context, sign_in, DELEGATES[1][1], PHONE)
    phone.goto(f"/polls/{w['poll']}")
    yes = phone.get_by_role("button", name="Yes", exact=True)
    no = phone.get_by_role("button", name="No", exact=True)
    expect(yes).to_be_visible()
    assert_no_sideways_scroll(phone, "poll page on a 360 px phone")
    for button in (yes, no, phone.get_by_role("button", name="Abstain", exact=True)):
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, f"a vote button sticks out: {box}"
        assert box["height"] >= 44, f"a vote button is {box['height']} px high: too small to tap"

    _tab_to(phone, yes)
    expect(yes).to_be_focused()
    _focus_is_visible(yes, "Yes button")
    phone.keyboard.press("Tab")
    expect(no).to_be_focused()
    _focus_is_visible(no, "No button")
    phone.keyboard.press("Enter")

    expect(phone.get_by_role("status")).to_contain_text("Your vote is stored: “No”.")
    expect(phone.locator(".poll-live .voted")).to_have_text("You have voted.")
    expect(_turnout(phone, w["poll"])).to_have_text("1")
    assert_no_sideways_scroll(phone, "poll page after the vote")
    assert _stored(app, w["poll"], w["amendment"])["ballots"] == ["no"]

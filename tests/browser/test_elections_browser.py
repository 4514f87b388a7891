"""Elections in real browsers: a delegate ranks the candidates by tapping on a phone, by keyboard
alone on a desktop and with JavaScript switched off; approval and plurality ballots with their
review; the chair closes the ballots, the projector and the result sheet show who is elected; the
election page in Simplified Chinese.

The meeting and the election are made with the `factory` (tests/conftest.py) and the election
operations; everything a person does after that is done through the pages. "Without a reload" is
checked, not assumed: a mark set on the page's window must survive (a reload would lose it).
"""
from __future__ import annotations

import base64
import re
import zlib

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_no_sideways_scroll

pytestmark = pytest.mark.browser

SLUG = "election-meeting"
CHAIR = "chair@example.org"
DELEGATES = [("Ada Arendt", "ada@example.org"), ("Bea Brecht", "bea@example.org"),
             ("Cy Connolly", "cy@example.org"), ("Dot Debs", "dot@example.org")]
CANDIDATES = ("Ann Able", "Bob Baker", "Cat Cole", "Dan Dunn")  # the ballot paper's (alphabetical) order
PASSWORD = "correct horse battery"  # tests/conftest.py's factory password
LIVE_MS = 10_000  # a live update slower than this is a failure

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "en-GB"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB"}
HALL = {"viewport": {"width": 1920, "height": 1080}, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _quick_passwords(monkeypatch):
    """Cheap password hashes: these tests are about ballots, not about scrypt."""
    from werkzeug.security import generate_password_hash

    import motions.auth.models as auth_models

    def quick(password, method=None):
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(auth_models, "generate_password_hash", quick)


STREAM_SECONDS = 1.0  # short: the pages live through reconnections, and the teardown waits one out


@pytest.fixture(autouse=True)
def _short_streams(short_streams):
    """The pages open event streams (static/live.js): short ones, and no request left running at the end."""


_PROBLEMS: list[str] = []  # script errors and CSP refusals of the pages opened by _signed_in


@pytest.fixture(autouse=True)
def _no_script_errors_or_csp_refusals():
    """No page may throw or have the CSP refuse anything (an inline script, style or style attribute)."""
    _PROBLEMS.clear()
    yield
    assert not _PROBLEMS, f"script errors or CSP refusals: {_PROBLEMS}"


# ---------------------------------------------------------------- the meeting, made as the operations would

def _world(app, factory, *, seats: int = 2, method: str = "scottish", candidates=CANDIDATES,
           title: str = "Steering Committee", open_ballots: bool = True, meeting: bool = True) -> dict:
    """A meeting in session with quorum 3: a chair and four delegates, all checked in; an election
    with `candidates` entered by the chair, its ballots open."""
    people = {}
    if meeting:
        factory.meeting(SLUG, title="Election meeting", quorum="3")
        people["chair"] = factory.person(SLUG, "chair", email=CHAIR, name="Chris Chair")
        for name, email in DELEGATES:
            people[email] = factory.person(SLUG, "delegate", email=email, name=name, organisation="Union")
    eid = factory.election(SLUG, title=title, seats=seats, method=method, candidates=tuple(candidates))

    from motions.auth.models import Person
    from motions.elections import operations as elections
    from motions.elections.models import Election
    from motions.extensions import db
    from motions.meetings import operations

    with app.app_context():
        m = operations.get_meeting(SLUG)
        if meeting:
            operations.set_meeting_state(m, "in_session")
            for name, email in DELEGATES:
                operations.set_attendance(m, operations.get_membership(m, people[email]), True)
        election = db.session.get(Election, eid)
        if open_ballots:
            chair = db.session.execute(db.select(Person).where(Person.email == CHAIR)).scalar_one()
            elections.open_ballots(election, chair)
        ids = {c.name: c.id for c in db.session.get(Election, eid).candidates}
    return {"election": eid, "ids": ids, "people": people}


def _cast(app, eid: int, person_id: int, names, ids) -> None:
    from motions.elections import operations as elections

    with app.app_context():
        elections.cast_ballot(eid, person_id, [ids[n] for n in names])


def _papers(app, eid: int) -> list[tuple[int, ...]]:
    from motions.elections import operations as elections

    with app.app_context():
        return sorted(p for p, _w in elections.papers(eid))


# ---------------------------------------------------------------- the browsers

def _signed_in(new_context, sign_in, email: str, options: dict):
    page = new_context(**options).new_page()
    page.on("pageerror", lambda error: _PROBLEMS.append(f"{page.url}: {error}"))
    page.on("console", lambda message: _PROBLEMS.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text else None)
    sign_in(page, email, PASSWORD)
    return page


def _mark(page) -> None:
    """Mark the page's window; _not_reloaded() fails if the page was loaded again since."""
    page.evaluate("window.__electionsTestMark = 'still here'")


def _not_reloaded(page, what: str) -> None:
    assert page.evaluate("window.__electionsTestMark") == "still here", f"the {what} was reloaded"


def _tab_to(page, locator, limit: int = 40, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{locator} is not reached with {key} in {limit} presses")


def _focused(page) -> dict:
    """What has the focus: its tag, accessible-ish name (aria-label or text), whether it is shown."""
    return page.evaluate("""() => { const el = document.activeElement;
        return {tag: el ? el.tagName : null,
                name: el ? (el.getAttribute('aria-label') || el.textContent).trim() : '',
                value: el ? el.getAttribute('value') : null,
                shown: !!(el && el !== document.body && el.offsetParent !== null && !el.closest('[hidden]')),
                inForm: !!(el && el.closest('#ballot-form'))}; }""")


def _ranking(page) -> str:
    return page.locator("#ballot-ranking").input_value()


def _ids(w, *names) -> str:
    return " ".join(str(w["ids"][n]) for n in names)


def _candidate(page, name: str):
    """The button that ranks `name` next (its name starts with the candidate's, then "preference N")."""
    return page.get_by_role("button", name=re.compile("^" + re.escape(name) + r"\b"))


def _chosen_names(page) -> list[str]:
    return [t.strip() for t in page.locator("#ballot-chosen .chosen-name").all_inner_texts()]


def _session_texts(context) -> list[str]:
    """Every cookie's value, and the Flask session cookie's payload decoded (zlib-compressed when it
    starts with a dot), so that a name inside it is seen too."""
    texts = []
    for cookie in context.cookies():
        value = cookie["value"]
        texts.append(value)
        payload = value[1:] if value.startswith(".") else value
        payload = payload.split(".")[0]
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            if value.startswith("."):
                raw = zlib.decompress(raw)
            texts.append(raw.decode("utf-8", "replace"))
        except Exception:  # not a Flask session cookie
            continue
    return texts


def _flashes(page) -> list[str]:
    return [t.strip() for t in page.locator(".flashes .flash").all_inner_texts()]


def _cast_and_check(page, context, w) -> None:
    """After a cast: the election page says so, the flash names no candidate, no cookie does either."""
    expect(page.get_by_role("heading", level=1, name="Steering Committee")).to_be_visible()
    expect(page.locator(".election-live .voted")).to_have_text("You have voted.")
    assert _flashes(page) == ["Your ballot is stored."]
    expect(page.get_by_role("link", name="Fill in your ballot")).to_have_count(0)
    for text in _session_texts(context):
        for name in w["ids"]:
            assert name not in text, f"a cookie names the candidate {name!r}"
            assert name.replace(" ", "+") not in text and name.replace(" ", "%20") not in text


# ---------------------------------------------------------------- 1. tapping on a phone

def test_a_delegate_ranks_by_tapping_on_a_phone_without_a_reload(new_context, sign_in, app, factory):
    w = _world(app, factory)
    eid = w["election"]
    phone = _signed_in(new_context, sign_in, DELEGATES[0][1], PHONE)
    phone.goto(f"/elections/{eid}")
    phone.get_by_role("link", name="Fill in your ballot").tap()
    expect(phone.get_by_role("heading", level=2, name="Your order of preference")).to_be_visible()
    status = phone.locator("#ballot-form").get_by_role("status")
    expect(phone.locator("#ballot-chosen > li")).to_have_count(0)
    expect(_candidate(phone, "Ann Able")).to_contain_text("preference 1")
    # Before any tap: one button per candidate, no tools, no rank badges.
    tools = phone.locator("#ballot-form").get_by_role("button", name=re.compile("^(Move|Remove) "))
    expect(tools).to_have_count(0)
    expect(phone.locator("#ballot-rest .rank").first).to_be_hidden()
    _mark(phone)

    # Three taps in an order of the voter's own: Cat, Ann, Bob.
    for n, name in enumerate(("Cat Cole", "Ann Able", "Bob Baker"), start=1):
        button = _candidate(phone, name)
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, f"{name}'s button sticks out: {box}"
        assert box["height"] >= 44, f"{name}'s button is {box['height']} px high: too small to tap"
        button.tap()
        expect(status).to_have_text(f"{name} is your preference {n}.")
        expect(phone.locator("#ballot-chosen > li")).to_have_count(n)
    assert _chosen_names(phone) == ["Cat Cole", "Ann Able", "Bob Baker"]
    assert _ranking(phone) == _ids(w, "Cat Cole", "Ann Able", "Bob Baker")
    expect(phone.locator("#ballot-chosen .rank")).to_have_text(["1", "2", "3"])
    expect(_candidate(phone, "Dan Dunn")).to_contain_text("preference 4")  # the next tap's preference
    # A ranked candidate shows its rank and its tools, no longer the button that ranks it; the others
    # only that button.
    for name in ("Cat Cole", "Ann Able", "Bob Baker"):
        expect(_candidate(phone, name)).to_have_count(0)
    expect(phone.get_by_role("button", name="Move Dan Dunn up")).to_have_count(0)
    expect(phone.get_by_role("button", name="Remove Dan Dunn")).to_have_count(0)
    expect(phone.locator("#ballot-rest .rank")).to_be_hidden()
    expect(phone.locator(".empty-ranking")).to_be_hidden()

    # Bob up one place; then Cat off the ballot.
    phone.get_by_role("button", name="Move Bob Baker up").tap()
    expect(status).to_have_text("Bob Baker is now your preference 2.")
    assert _chosen_names(phone) == ["Cat Cole", "Bob Baker", "Ann Able"]
    assert _ranking(phone) == _ids(w, "Cat Cole", "Bob Baker", "Ann Able")
    phone.get_by_role("button", name="Remove Cat Cole").tap()
    expect(status).to_have_text("Cat Cole is no longer on your ballot.")
    assert _chosen_names(phone) == ["Bob Baker", "Ann Able"]
    assert _ranking(phone) == _ids(w, "Bob Baker", "Ann Able")
    expect(phone.locator("#ballot-chosen .rank")).to_have_text(["1", "2"])
    # Cat is back among the candidates in the ballot paper's order, to be ranked third if tapped.
    expect(phone.locator("#ballot-rest .candidate-name")).to_have_text(["Cat Cole", "Dan Dunn"])
    expect(_candidate(phone, "Cat Cole")).to_contain_text("preference 3")
    assert_no_sideways_scroll(phone, "ballot on a 360 px phone", 360)
    _not_reloaded(phone, "ballot")  # every change so far without a round trip

    # The review (a form post) lists the ranking in order.
    phone.get_by_role("button", name="Review my ballot").tap()
    review = phone.get_by_role("region", name="Check your ballot before casting it")
    expect(review).to_be_visible()
    expect(review.locator("ol.ranking > li")).to_have_count(2)
    expect(review.locator("ol.ranking > li").nth(0)).to_contain_text("Bob Baker")
    expect(review.locator("ol.ranking > li").nth(1)).to_contain_text("Ann Able")
    expect(review).to_contain_text("You have ranked 2 candidates.")
    assert _papers(app, eid) == []  # nothing stored by the review

    # "Change it": the ballot as it was; a candidate taken off goes back to its place on the paper.
    review.get_by_role("button", name="Change it").tap()
    expect(phone.locator("#ballot-chosen .chosen-name")).to_have_text(["Bob Baker", "Ann Able"])
    phone.get_by_role("button", name="Remove Ann Able").tap()
    expect(status).to_have_text("Ann Able is no longer on your ballot.")
    expect(phone.locator("#ballot-rest .candidate-name")).to_have_text(["Ann Able", "Cat Cole", "Dan Dunn"])
    _candidate(phone, "Ann Able").tap()
    expect(status).to_have_text("Ann Able is your preference 2.")
    assert _ranking(phone) == _ids(w, "Bob Baker", "Ann Able")
    phone.get_by_role("button", name="Review my ballot").tap()
    review = phone.get_by_role("region", name="Check your ballot before casting it")
    expect(review.locator("ol.ranking > li")).to_have_text([re.compile("Bob Baker"), re.compile("Ann Able")])

    review.get_by_role("button", name="Cast this ballot").tap()
    _cast_and_check(phone, phone.context, w)
    assert _papers(app, eid) == [(w["ids"]["Bob Baker"], w["ids"]["Ann Able"])]


# ---------------------------------------------------------------- 2. by keyboard alone

def test_a_delegate_ranks_by_keyboard_alone(new_context, sign_in, app, factory):
    w = _world(app, factory)
    eid = w["election"]
    page = _signed_in(new_context, sign_in, DELEGATES[1][1], DESKTOP)
    page.goto(f"/elections/{eid}")
    link = page.get_by_role("link", name="Fill in your ballot")
    _tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Your order of preference")).to_be_visible()
    status = page.locator("#ballot-form").get_by_role("status")
    _mark(page)

    # Tab to the first candidate, Enter: Ann first; the focus moves on to the next candidate (Bob).
    _tab_to(page, _candidate(page, "Ann Able"))
    page.keyboard.press("Enter")
    expect(status).to_have_text("Ann Able is your preference 1.")
    expect(_candidate(page, "Bob Baker")).to_be_focused()
    expect(_candidate(page, "Bob Baker")).to_contain_text("preference 2")
    # Tab on to Dan, the last, Space: Dan second; the focus goes back to the one before him (Cat).
    page.keyboard.press("Tab")
    expect(_candidate(page, "Cat Cole")).to_be_focused()
    page.keyboard.press("Tab")
    expect(_candidate(page, "Dan Dunn")).to_be_focused()
    page.keyboard.press("Space")
    expect(status).to_have_text("Dan Dunn is your preference 2.")
    expect(_candidate(page, "Cat Cole")).to_be_focused()
    # Shift+Tab back up to Bob, Enter: Bob third; the focus on the next one left (Cat).
    page.keyboard.press("Shift+Tab")
    expect(_candidate(page, "Bob Baker")).to_be_focused()
    page.keyboard.press("Enter")
    expect(status).to_have_text("Bob Baker is your preference 3.")
    expect(_candidate(page, "Cat Cole")).to_be_focused()
    assert _ranking(page) == _ids(w, "Ann Able", "Dan Dunn", "Bob Baker")

    # The tools of each ranked candidate name the candidate.
    for name in ("Ann Able", "Dan Dunn", "Bob Baker"):
        for verb in ("Move {} up", "Move {} down", "Remove {}"):
            expect(page.get_by_role("button", name=verb.format(name), exact=True)).to_be_visible()

    # Bob up: the focus stays on Bob's "up" button, which now sits one place higher.
    up = page.get_by_role("button", name="Move Bob Baker up", exact=True)
    _tab_to(page, up, key="Shift+Tab")  # back from Cat into the ranking
    page.keyboard.press("Enter")
    expect(status).to_have_text("Bob Baker is now your preference 2.")
    expect(up).to_be_focused()
    assert _chosen_names(page) == ["Ann Able", "Bob Baker", "Dan Dunn"]
    page.keyboard.press("Enter")
    expect(status).to_have_text("Bob Baker is now your preference 1.")
    expect(up).to_be_focused()
    assert _ranking(page) == _ids(w, "Bob Baker", "Ann Able", "Dan Dunn")

    # Remove Ann (second) by keyboard: the focus lands on the Remove button of the one in her place.
    remove = page.get_by_role("button", name="Remove Ann Able", exact=True)
    _tab_to(page, remove)
    page.keyboard.press("Enter")
    expect(status).to_have_text("Ann Able is no longer on your ballot.")
    focus = _focused(page)
    assert focus["shown"] and focus["inForm"], f"after removing, the focus is lost: {focus}"
    expect(page.get_by_role("button", name="Remove Dan Dunn", exact=True)).to_be_focused()
    assert _ranking(page) == _ids(w, "Bob Baker", "Dan Dunn")
    expect(_candidate(page, "Ann Able")).to_contain_text("preference 3")
    _not_reloaded(page, "ballot")

    # Review and cast with the keyboard; the review's heading takes the focus.
    _tab_to(page, page.get_by_role("button", name="Review my ballot"))
    page.keyboard.press("Enter")
    review = page.get_by_role("region", name="Check your ballot before casting it")
    expect(review.locator("ol.ranking > li")).to_have_text([re.compile("Bob Baker"), re.compile("Dan Dunn")])
    expect(page.get_by_role("heading", level=2, name="Check your ballot before casting it")).to_be_focused()
    _tab_to(page, review.get_by_role("button", name="Cast this ballot"))
    page.keyboard.press("Enter")
    _cast_and_check(page, page.context, w)
    assert _papers(app, eid) == [(w["ids"]["Bob Baker"], w["ids"]["Dan Dunn"])]


# ---------------------------------------------------------------- 3. without JavaScript

def test_without_javascript_every_tap_is_a_round_trip(new_context, sign_in, app, factory):
    w = _world(app, factory)
    eid = w["election"]
    phone = _signed_in(new_context, sign_in, DELEGATES[2][1], {**PHONE, "java_script_enabled": False})
    phone.goto(f"/elections/{eid}/ballot")
    expect(phone.get_by_role("heading", level=2, name="Your order of preference")).to_be_visible()

    def tap(button, announced: str, focus=None) -> None:
        """One tap, one POST answered with the ballot as it now stands; the answer gives the focus
        (and the screen) back to where the finger was, as the script would."""
        posted = f"/elections/{eid}/ballot"
        with phone.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(posted)) as answer:
            button.tap()
        assert answer.value.status == 200
        expect(phone.locator("#ballot-status")).to_have_text(announced)
        if focus is not None:
            expect(focus).to_be_focused()
            expect(focus).to_be_in_viewport()

    tap(_candidate(phone, "Cat Cole"), "Cat Cole is your preference 1.", _candidate(phone, "Dan Dunn"))
    tap(_candidate(phone, "Ann Able"), "Ann Able is your preference 2.", _candidate(phone, "Bob Baker"))
    tap(_candidate(phone, "Bob Baker"), "Bob Baker is your preference 3.", _candidate(phone, "Dan Dunn"))
    assert _chosen_names(phone) == ["Cat Cole", "Ann Able", "Bob Baker"]
    assert _ranking(phone) == _ids(w, "Cat Cole", "Ann Able", "Bob Baker")
    expect(_candidate(phone, "Dan Dunn")).to_contain_text("preference 4")
    up = phone.get_by_role("button", name="Move Bob Baker up")
    tap(up, "Bob Baker is now your preference 2.", up)
    tap(phone.get_by_role("button", name="Remove Cat Cole"), "Cat Cole is no longer on your ballot.",
        phone.get_by_role("button", name="Remove Bob Baker"))
    assert _chosen_names(phone) == ["Bob Baker", "Ann Able"]
    assert _ranking(phone) == _ids(w, "Bob Baker", "Ann Able")
    expect(phone.locator("#ballot-rest .candidate-name")).to_have_text(["Cat Cole", "Dan Dunn"])
    # Only the tools of the ranked candidates and the buttons of the others are shown.
    expect(phone.locator("#ballot-chosen .candidate-button")).to_have_count(2)
    expect(phone.locator("#ballot-chosen .candidate-button").first).to_be_hidden()
    expect(phone.locator("#ballot-rest .rank-tools").first).to_be_hidden()
    # Start again, and rank Dan then Ann.
    tap(phone.get_by_role("button", name="Start again"),
        "No candidate ranked yet: tap your first choice below.", _candidate(phone, "Ann Able"))
    expect(phone.locator("#ballot-chosen > li")).to_have_count(0)
    expect(phone.locator(".empty-ranking")).to_be_visible()
    tap(_candidate(phone, "Dan Dunn"), "Dan Dunn is your preference 1.")
    tap(_candidate(phone, "Ann Able"), "Ann Able is your preference 2.")

    phone.get_by_role("button", name="Review my ballot").tap()
    review = phone.get_by_role("region", name="Check your ballot before casting it")
    expect(review.locator("ol.ranking > li")).to_have_text([re.compile("Dan Dunn"), re.compile("Ann Able")])
    # Change it: back to the ballot as it was, then review again.
    review.get_by_role("button", name="Change it").tap()
    expect(phone.locator("#ballot-chosen > li")).to_have_count(2)
    assert _ranking(phone) == _ids(w, "Dan Dunn", "Ann Able")
    phone.get_by_role("button", name="Review my ballot").tap()
    phone.get_by_role("button", name="Cast this ballot").tap()
    _cast_and_check(phone, phone.context, w)
    assert _papers(app, eid) == [(w["ids"]["Dan Dunn"], w["ids"]["Ann Able"])]


# ---------------------------------------------------------------- 4. approval and plurality

def test_approval_and_plurality_ballots_are_marked_reviewed_and_cast(new_context, sign_in, app, factory):
    w = _world(app, factory, method="approval", seats=2)
    eid = w["election"]
    page = _signed_in(new_context, sign_in, DELEGATES[0][1], PHONE)
    page.goto(f"/elections/{eid}")
    page.get_by_role("link", name="Fill in your ballot").tap()
    expect(page.get_by_text("Mark every candidate you approve of, as many as you like.")).to_be_visible()
    marks = page.get_by_role("group", name="Candidates")
    expect(marks.get_by_role("checkbox")).to_have_count(4)
    marks.get_by_role("checkbox", name="Bob Baker").tap()
    marks.get_by_role("checkbox", name="Dan Dunn").tap()
    expect(marks.get_by_role("checkbox", name="Bob Baker")).to_be_checked()
    page.get_by_role("button", name="Review my ballot").tap()
    review = page.get_by_role("region", name="Check your ballot before casting it")
    expect(review.locator("ul.ranking > li")).to_have_text([re.compile("Bob Baker"), re.compile("Dan Dunn")])
    expect(review).to_contain_text("You have marked 2 candidates.")
    # "Change it" goes back to the ballot with the marks as they were.
    review.get_by_role("button", name="Change it").tap()
    marks = page.get_by_role("group", name="Candidates")
    expect(marks.get_by_role("checkbox", name="Bob Baker")).to_be_checked()
    expect(marks.get_by_role("checkbox", name="Dan Dunn")).to_be_checked()
    expect(marks.get_by_role("checkbox", name="Ann Able")).not_to_be_checked()
    page.get_by_role("button", name="Review my ballot").tap()
    review = page.get_by_role("region", name="Check your ballot before casting it")
    expect(review).to_contain_text("You have marked 2 candidates.")
    review.get_by_role("button", name="Cast this ballot").tap()
    _cast_and_check(page, page.context, w)
    assert _papers(app, eid) == [(w["ids"]["Bob Baker"], w["ids"]["Dan Dunn"])]

    # A plurality ballot for two seats: three marks are refused on the review, and said why.
    with app.app_context():
        from motions.elections import operations as elections
        from motions.elections.models import Election
        from motions.extensions import db

        elections.close_ballots(db.session.get(Election, eid), None)
    # The approval count's sheet and chart (a tally: one bar each) on the phone.
    page.goto(f"/elections/{eid}/result")
    chart = page.get_by_role("img", name=re.compile(r"Elected: (Bob Baker, Dan Dunn|Dan Dunn, Bob Baker)"))
    expect(chart).to_be_visible()
    expect(chart.locator(".chart-count")).to_have_text(["0", "1", "0", "1"])
    expect(page.locator("table.result-sheet")).to_contain_text("Bob Baker")
    assert_no_sideways_scroll(page, "approval result sheet on a 360 px phone", 360)
    p = _world(app, factory, method="plurality", seats=2, title="Auditors", meeting=False)
    pid = p["election"]
    page.goto(f"/elections/{pid}/ballot")
    expect(page.get_by_text("Mark up to 2 candidates.")).to_be_visible()
    marks = page.get_by_role("group", name="Candidates")
    for name in ("Ann Able", "Bob Baker", "Cat Cole"):
        marks.get_by_role("checkbox", name=name).tap()
    page.get_by_role("button", name="Review my ballot").tap()
    expect(page.get_by_role("alert")).to_have_text("Mark at most 2 candidates.")
    expect(page.get_by_role("region", name="Check your ballot before casting it")).to_have_count(0)
    # The marks are kept: take one off and review again.
    marks = page.get_by_role("group", name="Candidates")
    expect(marks.get_by_role("checkbox", name="Cat Cole")).to_be_checked()
    marks.get_by_role("checkbox", name="Ann Able").tap()
    page.get_by_role("button", name="Review my ballot").tap()
    review = page.get_by_role("region", name="Check your ballot before casting it")
    expect(review.locator("ul.ranking > li")).to_have_text([re.compile("Bob Baker"), re.compile("Cat Cole")])
    review.get_by_role("button", name="Cast this ballot").tap()
    expect(page.get_by_role("heading", level=1, name="Auditors")).to_be_visible()
    expect(page.locator(".election-live .voted")).to_have_text("You have voted.")
    assert _flashes(page) == ["Your ballot is stored."]
    assert _papers(app, pid) == [(p["ids"]["Bob Baker"], p["ids"]["Cat Cole"])]


# ---------------------------------------------------------------- 5. the close, the projector, the sheet

def test_the_chair_closes_and_the_projector_and_result_sheet_show_the_elected(new_context, sign_in, app,
                                                                              factory):
    w = _world(app, factory)
    eid, ids, people = w["election"], w["ids"], w["people"]
    # Quota 2: Ann elected at once, her surplus transferred (mostly to Bob), Cat and Dan excluded: no lot.
    for (name, email), ranking in zip(DELEGATES, (["Ann Able", "Bob Baker"], ["Ann Able", "Bob Baker"],
                                                  ["Ann Able", "Dan Dunn"], ["Bob Baker"])):
        _cast(app, eid, people[email], ranking, ids)

    projector = _signed_in(new_context, sign_in, CHAIR, HALL)
    projector.goto(f"/m/{SLUG}/projector")
    expect(projector.get_by_role("heading", level=1)).to_have_text("Steering Committee")
    expect(projector.locator(".turnout")).to_contain_text("4 of 4 voted")
    _mark(projector)

    chair = _signed_in(new_context, sign_in, CHAIR, DESKTOP)
    chair.goto(f"/elections/{eid}")
    controls = chair.get_by_role("region", name="Chair")
    controls.get_by_role("button", name="Close the ballots and count").click()
    expect(chair.locator(".flashes")).to_contain_text(
        "The ballots are closed and counted. Elected: Ann Able, Bob Baker.")
    expect(chair.locator(".election-live ol.elected > li")).to_have_text(["Ann Able", "Bob Baker"])

    # The projector follows without a reload: who is elected, and the chart of the stages.
    expect(projector.locator(".hall-summary")).to_have_text(re.compile(r"Elected:\s*Ann Able, Bob Baker"),
                                                            timeout=LIVE_MS)
    chart = projector.get_by_role("img", name=re.compile("Ann Able, Bob Baker"))
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", re.compile(r"Elected: Ann Able, Bob Baker"))
    assert chart.evaluate("el => el.tagName.toLowerCase()") == "svg"
    # Every figure fits inside the chart (none cut off at its right edge), each stage has its colour.
    right = chart.bounding_box()["x"] + chart.bounding_box()["width"]
    for figure in chart.locator(".chart-count").all():
        box = figure.bounding_box()
        assert box["x"] + box["width"] <= right + 0.5, \
            f"the figure {figure.text_content()!r} is cut off: {box}"
    fills = chart.evaluate("svg => [...svg.querySelectorAll('.chart-bar')].map(r => [r.getAttribute('class'),"
                           " getComputedStyle(r).fill])")
    by_stage = {}
    for classes, fill in fills:
        by_stage.setdefault(re.search(r"stage-\d+", classes).group(0), set()).add(fill)
    assert len(by_stage) >= 2 and all(len(f) == 1 for f in by_stage.values()), by_stage
    assert len(set().union(*by_stage.values())) == len(by_stage), f"two stages share a colour: {by_stage}"
    box = chart.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1920 and box["y"] + box["height"] <= 1080 * 2
    assert_no_sideways_scroll(projector, "projector", 1920)
    _not_reloaded(projector, "projector")

    # The result sheet on a 360 px phone: the stage table is there; only its own box scrolls sideways.
    phone = _signed_in(new_context, sign_in, DELEGATES[3][1], PHONE)
    phone.goto(f"/elections/{eid}")
    phone.get_by_role("link", name="Result sheet, stage by stage").tap()
    table = phone.locator("table.result-sheet")
    expect(table).to_have_count(1)
    expect(table.locator("caption")).to_have_text("The count")
    expect(table).to_contain_text("Quota")
    expect(table.get_by_role("rowheader", name="Ann Able")).to_be_visible()
    expect(phone.get_by_role("img", name=re.compile("Elected: Ann Able, Bob Baker"))).to_be_visible()
    assert_no_sideways_scroll(phone, "result sheet on a 360 px phone", 360)
    wrap = phone.locator(".table-wrap")
    wrap_box = wrap.bounding_box()
    assert wrap_box and wrap_box["x"] + wrap_box["width"] <= 361, \
        f"the table's box is wider than the screen: {wrap_box}"


# ---------------------------------------------------------------- 6. Simplified Chinese

def test_the_election_page_and_ballot_in_simplified_chinese(new_context, sign_in, app, factory):
    w = _world(app, factory)
    eid = w["election"]
    page = _signed_in(new_context, sign_in, DELEGATES[0][1], PHONE)
    page.goto(f"/elections/{eid}")
    page.locator("header form.lang").get_by_role("button", name="简体中文").tap()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    assert page.url.endswith(f"/elections/{eid}"), "the switch stays on the election page"
    expect(page.get_by_role("heading", level=1, name="Steering Committee")).to_be_visible()
    expect(page.get_by_role("button", name="简体中文")).to_have_attribute("aria-current", "true")
    for name in CANDIDATES:
        expect(page.locator("ul.candidates")).to_contain_text(name)
    assert_no_sideways_scroll(page, "election page in Chinese", 360)

    # The ballot in Chinese works as in English: tap, announced, hidden ranking kept.
    page.locator(".election-live a.vote-now-button").tap()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("#ballot-form")).to_be_visible()
    _mark(page)
    page.locator("#ballot-rest .candidate-button").first.tap()
    expect(page.locator("#ballot-status")).to_contain_text("Ann Able")
    assert _ranking(page) == _ids(w, "Ann Able")
    status = page.locator("#ballot-status").inner_text()
    assert_no_sideways_scroll(page, "ballot in Chinese", 360)
    assert "%(" not in status, f"an unfilled placeholder is announced: {status!r}"
    _not_reloaded(page, "ballot")

    # The page does not answer with an error in a zh-CN browser either (the browser's own language).
    zh = new_context(**{**DESKTOP, "locale": "zh-CN"}).new_page()
    response = zh.goto(f"/elections/{eid}")
    assert response.status == 200  # sent to sign in
    expect(zh.locator("html")).to_have_attribute("lang", "zh-Hans")

"""Polls through the pages: the chair creates, opens (with the no-quorum confirmation), closes, voids,
enters a hand count and gives a casting vote; delegates vote from the poll page (their own ballot and
each proxy they hold); the secretary gives and takes back proxies; the chair decides an amendment
without a poll; the chair's console; the meeting page's "Vote now" box; roles and refusals.

Each test checks what the person would see (status, the flashed message, the page) and what is
stored afterwards (read back from the database)."""
from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass

import pytest

from tests.conftest import AuthActions, csrf_token

SLUG = "poll-meeting"
PLATFORM = """# Aims

We want rights for all workers.

We want bread and roses.
"""
NAMES = ["Ada Arendt", "Bea Brecht", "Cy Connolly", "Dot Debs"]
CHAIR, SECRETARY = "chair@example.org", "secretary@example.org"


@pytest.fixture(autouse=True)
def _quick_passwords(monkeypatch):
    """Cheap password hashes: these tests are about polls, not about scrypt."""
    from werkzeug.security import generate_password_hash

    import motions.auth.models as auth_models

    def quick(password, method=None):
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(auth_models, "generate_password_hash", quick)


# ---------------------------------------------------------------- helpers

@dataclass
class World:
    chair: int
    secretary: int
    delegates: list
    document: int
    amendment: int


def delegate_email(i: int) -> str:
    return f"d{i}@example.org"


def make_world(app, factory, *, quorum: str | None = "3", present: int = 3, casting_vote: bool = False,
               in_session: bool = True) -> World:
    """A meeting in session with a chair, a secretary, four delegates (vote weights 1 to 4, the first
    `present` checked in) and an open platform with one admitted amendment."""
    settings = {"casting_vote": casting_vote}
    if quorum:
        settings["quorum"] = quorum
    factory.meeting(SLUG, title="Poll meeting", **settings)
    chair = factory.person(SLUG, "chair", email=CHAIR, name="Chris Chair")
    secretary = factory.person(SLUG, "secretary", email=SECRETARY, name="Sam Secretary")
    delegates = [factory.person(SLUG, "delegate", email=delegate_email(i), name=name, organisation=f"Union {i}",
                                vote_weight=i + 1) for i, name in enumerate(NAMES)]
    document = factory.document(SLUG, PLATFORM, state="open")
    amendment = factory.amendment(document, delegates[0], replace=("rights", "equal rights"), title="Equality",
                                  status="admitted")
    from motions.meetings import operations

    with app.app_context():
        meeting = operations.get_meeting(SLUG)
        if in_session:
            operations.set_meeting_state(meeting, "in_session")
        for person_id in delegates[:present]:
            operations.set_attendance(meeting, operations.get_membership(meeting, person_id), True)
    return World(chair, secretary, delegates, document, amendment)


class Visitor:
    """A browser of its own, signed in."""

    def __init__(self, app, email: str):
        self.client = app.test_client()
        assert AuthActions(self.client).login(email).status_code == 302
        self.token = csrf_token(self.client, "/login")

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kwargs)


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def flashes(response) -> list[str]:
    return [htmllib.unescape(m) for m in re.findall(r'<p class="flash [a-z]+">(.*?)</p>', response.get_data(as_text=True))]


def poll_row(app, poll_id: int) -> dict:
    from motions.extensions import db
    from motions.polls.models import Poll

    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        return {"state": poll.state.value, "result": poll.result, "quorum_met": poll.quorum_met,
                "void_reason": poll.void_reason, "analog": poll.analog, "secret": poll.secret,
                "title": poll.title, "options": list(poll.options), "majority": poll.majority}


def ballots(app, poll_id: int) -> list[tuple]:
    from motions.extensions import db
    from motions.polls.models import Ballot

    with app.app_context():
        rows = db.session.execute(db.select(Ballot).where(Ballot.poll_id == poll_id).order_by(Ballot.id)).scalars()
        return [(b.voter_id, b.cast_by_id, b.choice, b.weight) for b in rows]


def amendment_status(app, amendment_id: int) -> str:
    from motions.amendments.models import Amendment
    from motions.extensions import db

    with app.app_context():
        return db.session.get(Amendment, amendment_id).status.value


def create(chair: Visitor, **fields) -> int:
    """Create a poll through the new-poll page; returns its id."""
    data = {"subject": "none", "title": "", "majority": "simple", "options": ""}
    data.update({k: v for k, v in fields.items()})
    for flag in ("secret", "weighted", "analog"):
        if data.get(flag) is True:
            data[flag] = "y"
        elif flag in data and not data[flag]:
            del data[flag]
    response = chair.post(f"/m/{SLUG}/polls/new", data)
    assert response.status_code == 302, text(response)
    match = re.fullmatch(r"/polls/(\d+)", response.location)
    assert match, response.location
    return int(match.group(1))


def open_(chair: Visitor, poll_id: int, **extra):
    return chair.post(f"/polls/{poll_id}/open", extra, follow_redirects=True)


def vote(app, i: int, poll_id: int, choice: str, **extra):
    return Visitor(app, delegate_email(i)).post(f"/polls/{poll_id}/vote", {"choice": choice, **extra},
                                                follow_redirects=True)


# ---------------------------------------------------------------- the chair's round trip

def test_chair_creates_opens_and_closes_a_poll_on_an_amendment(app, factory):
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    # the amendment page offers the vote; the new-poll page comes with the amendment chosen
    page = text(chair.get(f"/amendments/{w.amendment}"))
    assert f"/m/{SLUG}/polls/new?amendment={w.amendment}" in page
    form = chair.get(f"/m/{SLUG}/polls/new?amendment={w.amendment}")
    assert form.status_code == 200
    assert re.search(rf'<option selected value="amendment:{w.amendment}">|<option value="amendment:{w.amendment}" selected',
                     form.get_data(as_text=True))
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    stored = poll_row(app, poll_id)
    assert stored["state"] == "draft" and stored["options"] == ["yes", "no", "abstain"]
    assert stored["title"] == "Amendment A1: Equality"
    page = chair.get(f"/polls/{poll_id}")
    assert "The poll “Amendment A1: Equality” is created. Open it when the vote is to begin." in flashes(page)
    assert "Open the vote" in text(page)

    opened = open_(chair, poll_id)
    assert "The vote on “Amendment A1: Equality” is open." in flashes(opened)
    assert poll_row(app, poll_id)["state"] == "open"
    assert poll_row(app, poll_id)["quorum_met"] is True
    assert "0 of 4 voted" in re.sub(r"<[^>]+>", "", text(opened))

    for i, choice in ((0, "yes"), (1, "yes"), (2, "no")):
        assert vote(app, i, poll_id, choice).status_code == 200
    live = chair.get(f"/polls/{poll_id}?part=live")
    assert live.headers["Cache-Control"] == "no-store"
    assert "3 of 4 voted" in re.sub(r"<[^>]+>", "", text(live))

    closed = chair.post(f"/polls/{poll_id}/close", follow_redirects=True)
    stored = poll_row(app, poll_id)
    assert stored["state"] == "closed" and stored["result"]["outcome"] == "carried"
    assert stored["result"]["counts"] == {"yes": 2, "no": 1, "abstain": 0}
    words = "Carried: 2 for, 1 against, 0 abstentions; simple majority of votes cast."
    assert words in flashes(closed)
    page = text(closed)
    assert page.count(words) >= 2  # flashed, and on the page
    assert 'role="img"' in page and 'aria-label="Result: Yes: 2, No: 1, Abstain: 0"' in page
    assert "Base: 3; needed to carry: 2." in page
    assert amendment_status(app, w.amendment) == "carried"


def test_opening_without_a_quorum_asks_the_chair_to_confirm(app, factory):
    w = make_world(app, factory, quorum="3", present=1)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, title="Adjourn for lunch?")
    page = text(chair.get(f"/polls/{poll_id}"))
    assert "No quorum: 1 present, 3 needed." in page
    assert 'name="confirm_without_quorum"' in page

    refused = chair.post(f"/polls/{poll_id}/open")
    assert refused.status_code == 409
    body = text(refused)
    assert "There is no quorum: 1 present, 3 needed." in body
    assert 'type="checkbox" name="confirm_without_quorum"' in body
    assert poll_row(app, poll_id)["state"] == "draft"

    confirmed = chair.post(f"/polls/{poll_id}/open", {"confirm_without_quorum": "y"}, follow_redirects=True)
    assert confirmed.status_code == 200
    assert poll_row(app, poll_id)["state"] == "open"
    assert poll_row(app, poll_id)["quorum_met"] is False
    assert "without a quorum" in text(confirmed)

    vote(app, 0, poll_id, "yes")
    closed = text(chair.post(f"/polls/{poll_id}/close", follow_redirects=True))
    assert poll_row(app, poll_id)["result"]["quorum_met"] is False
    assert "There was no quorum when the vote was taken." in closed
    assert w.amendment  # untouched: a free question decides no amendment
    assert amendment_status(app, w.amendment) == "admitted"


def test_the_confirmation_from_the_console_returns_to_the_console(app, factory):
    make_world(app, factory, quorum="3", present=0)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, title="Adjourn?")
    console = text(chair.get(f"/m/{SLUG}/chair"))
    assert "No quorum: 3 needed." in console and f"/polls/{poll_id}/open" in console
    refused = chair.post(f"/polls/{poll_id}/open", {"next": "chair"})
    assert refused.status_code == 409
    assert 'name="next" value="chair"' in text(refused)
    done = chair.post(f"/polls/{poll_id}/open", {"next": "chair", "confirm_without_quorum": "y"})
    assert done.status_code == 302 and done.location == f"/m/{SLUG}/chair"
    assert poll_row(app, poll_id)["state"] == "open"


# ---------------------------------------------------------------- delegates vote

def test_a_delegate_votes_from_the_poll_page_and_sees_that_they_have_voted(app, factory):
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    open_(chair, poll_id)

    ada = Visitor(app, delegate_email(0))
    page = text(ada.get(f"/polls/{poll_id}"))
    assert "Your vote" in page
    for option in ("yes", "no", "abstain"):
        assert f'name="choice" value="{option}"' in page
    assert 'name="on_behalf_of"' not in page  # Ada holds no proxy
    assert 'data-events="/api/v1/meetings/poll-meeting/events?after=' in page
    assert 'data-live="poll.opened poll.closed poll.voided attendance.changed"' in page
    assert f'data-turnout-poll="{poll_id}"' in page

    done = ada.post(f"/polls/{poll_id}/vote", {"choice": "no"}, follow_redirects=True)
    assert "Your vote is stored: “No”." in flashes(done)
    page = text(done)
    assert "You have voted." in page
    assert 'name="choice"' not in page
    assert ballots(app, poll_id) == [(w.delegates[0], w.delegates[0], "no", 1)]

    again = ada.post(f"/polls/{poll_id}/vote", {"choice": "yes"}, follow_redirects=True)
    assert "You have already voted in this poll." in flashes(again)
    assert ballots(app, poll_id) == [(w.delegates[0], w.delegates[0], "no", 1)]


def test_a_delegate_not_checked_in_is_told_so(app, factory):
    w = make_world(app, factory, present=3)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    open_(chair, poll_id)
    dot = Visitor(app, delegate_email(3))  # the fourth delegate is absent
    page = text(dot.get(f"/polls/{poll_id}"))
    assert "You are not checked in as present: check in to vote." in page
    assert 'name="choice"' not in page
    refused = dot.post(f"/polls/{poll_id}/vote", {"choice": "yes"}, follow_redirects=True)
    assert "Check in as present before voting." in flashes(refused)
    assert ballots(app, poll_id) == []


def test_a_proxy_holder_sees_two_ballots_and_casts_both(app, factory):
    w = make_world(app, factory, present=3)
    secretary = Visitor(app, SECRETARY)
    page = text(secretary.get(f"/m/{SLUG}/proxies"))
    assert "No proxies have been given." in page and "Give a proxy" in page
    # Dot (absent) gives her proxy to Ada
    given = secretary.post(f"/m/{SLUG}/proxies", {"giver_id": str(w.delegates[3]), "holder_id": str(w.delegates[0])},
                           follow_redirects=True)
    assert "Ada Arendt now holds the proxy of Dot Debs." in flashes(given)
    assert "Dot Debs" in text(given) and "Take back" in text(given)
    # a refusal of the operation is shown next to the field
    refused = secretary.post(f"/m/{SLUG}/proxies", {"giver_id": str(w.delegates[1]), "holder_id": str(w.delegates[1])})
    assert refused.status_code == 422
    assert "A delegate cannot hold their own proxy." in text(refused)

    chair = Visitor(app, CHAIR)
    assert "Dot Debs" in text(chair.get(f"/m/{SLUG}/proxies"))  # the chair sees who holds whose proxy
    assert "Give a proxy" not in text(chair.get(f"/m/{SLUG}/proxies"))
    poll_id = create(chair, subject=f"amendment:{w.amendment}", weighted=True)
    open_(chair, poll_id)

    ada = Visitor(app, delegate_email(0))
    page = text(ada.get(f"/polls/{poll_id}"))
    assert page.count('class="ballot"') == 2
    assert "Your vote" in page and "Proxy vote for Dot Debs" in page
    assert f'name="on_behalf_of" value="{w.delegates[3]}"' in page

    done = ada.post(f"/polls/{poll_id}/vote", {"choice": "yes", "on_behalf_of": str(w.delegates[3])},
                    follow_redirects=True)
    assert "The vote of Dot Debs is stored: “Yes”." in flashes(done)
    assert "The vote of Dot Debs (your proxy) is cast." in text(done)
    assert text(done).count('class="ballot"') == 1  # her own is still to cast
    done = ada.post(f"/polls/{poll_id}/vote", {"choice": "no"}, follow_redirects=True)
    assert "Your vote is stored: “No”." in flashes(done)
    page = text(done)
    assert "You have voted." in page and 'class="ballot"' not in page
    # a card vote: each ballot with the giver's weight, both cast by Ada
    assert sorted(ballots(app, poll_id)) == sorted([(w.delegates[3], w.delegates[0], "yes", 4),
                                                    (w.delegates[0], w.delegates[0], "no", 1)])

    # the roll call of the card vote says who cast the proxy's ballot; the card table both totals
    closed = text(chair.post(f"/polls/{poll_id}/close", follow_redirects=True))
    assert "Card vote: ballots and vote weight" in closed
    assert "(by proxy: Ada Arendt)" in closed
    assert "card vote; 1 for, 1 against, 0 abstentions by headcount" in closed

    # taking the proxy back
    taken = secretary.post(f"/m/{SLUG}/proxies/{w.delegates[3]}/remove", follow_redirects=True)
    assert "The proxy of Dot Debs is taken back." in flashes(taken)
    assert "No proxies have been given." in text(taken)
    again = secretary.post(f"/m/{SLUG}/proxies/{w.delegates[3]}/remove", follow_redirects=True)
    assert "This delegate has given no proxy." in flashes(again)


# ---------------------------------------------------------------- secret and named polls

def test_a_secret_poll_never_shows_who_chose_what_not_even_to_the_chair(app, factory):
    w = make_world(app, factory, present=4)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}", secret=True)
    open_(chair, poll_id)
    for i, choice in enumerate(["yes", "no", "yes", "abstain"]):
        vote(app, i, poll_id, choice)
    chair.post(f"/polls/{poll_id}/close")
    assert poll_row(app, poll_id)["result"]["counts"] == {"yes": 2, "no": 1, "abstain": 1}
    assert all(choice is None for _v, _c, choice, _w in ballots(app, poll_id))

    pages = [chair.get(f"/polls/{poll_id}"), chair.get(f"/polls/{poll_id}?part=record"),
             chair.get(f"/polls/{poll_id}?part=live"), chair.get(f"/m/{SLUG}/polls"),
             chair.get(f"/m/{SLUG}/chair"), chair.get(f"/m/{SLUG}/projector?part=live"),
             Visitor(app, delegate_email(1)).get(f"/polls/{poll_id}")]
    for response in pages:
        assert response.status_code == 200
        body = re.sub(r'<header class="top">.*?</header>', "", text(response), flags=re.DOTALL)  # who is signed in
        assert "Roll call" not in body
        for name in NAMES:
            assert name not in body, (name, response.request.path)
    page = text(pages[0])
    assert "secret ballot" in page
    assert "Carried: 2 for, 1 against, 1 abstention; simple majority of votes cast." in page


def test_a_named_poll_shows_the_roll_call_once_closed(app, factory):
    w = make_world(app, factory, present=3)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    open_(chair, poll_id)
    for i, choice in enumerate(["yes", "no", "abstain"]):
        vote(app, i, poll_id, choice)
    assert "Roll call" not in text(chair.get(f"/polls/{poll_id}"))  # not while the vote is open
    chair.post(f"/polls/{poll_id}/close")
    record = text(Visitor(app, delegate_email(3)).get(f"/polls/{poll_id}?part=record"))
    assert "Roll call" in record
    rows = re.findall(r"<tr><td dir=\"auto\">([^<]+)</td>\s*<td dir=\"auto\">([^<]*)</td><td>([^<]+)</td>", record)
    assert rows == [("Ada Arendt", "Union 0", "Yes"), ("Bea Brecht", "Union 1", "No"),
                    ("Cy Connolly", "Union 2", "Abstain")]
    assert amendment_status(app, w.amendment) == "lost"


# ---------------------------------------------------------------- show of hands, void, casting vote

def test_an_analog_poll_takes_the_hand_count(app, factory):
    w = make_world(app, factory, present=4)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}", analog=True)
    page = text(chair.get(f"/polls/{poll_id}"))
    assert "Enter the count of the show of hands" in page and "Open the vote" not in page
    # a delegate gets no ballot for a show of hands
    assert 'name="choice"' not in text(Visitor(app, delegate_email(0)).get(f"/polls/{poll_id}"))

    bad = chair.post(f"/polls/{poll_id}/count", {"count-0": "three", "count-1": "1"}, follow_redirects=True)
    assert "Enter a count for each option." in flashes(bad)
    assert "Yes: Enter a whole number from 0 to 10,000,000." in flashes(bad)
    too_many = chair.post(f"/polls/{poll_id}/count", {"count-0": "9"}, follow_redirects=True)
    assert "The count is not possible: more votes than delegates entitled to vote." in flashes(too_many)
    assert poll_row(app, poll_id)["state"] == "draft"

    done = chair.post(f"/polls/{poll_id}/count", {"count-0": "3", "count-1": "1"}, follow_redirects=True)
    stored = poll_row(app, poll_id)
    assert stored["state"] == "closed" and stored["result"]["counts"] == {"yes": 3, "no": 1, "abstain": 0}
    assert "Carried: 3 for, 1 against, 0 abstentions; simple majority of votes cast." in flashes(done)
    assert "Roll call" not in text(done)
    assert amendment_status(app, w.amendment) == "carried"


def test_the_chair_voids_a_poll_with_a_reason(app, factory):
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    open_(chair, poll_id)
    vote(app, 0, poll_id, "yes")
    empty = chair.post(f"/polls/{poll_id}/void", {"reason": "   "}, follow_redirects=True)
    assert "Give the reason for voiding the poll." in flashes(empty)
    assert poll_row(app, poll_id)["state"] == "open"

    done = chair.post(f"/polls/{poll_id}/void", {"reason": "The wrong amendment <b>was</b> read out."},
                      follow_redirects=True)
    assert "The poll is void." in flashes(done)
    stored = poll_row(app, poll_id)
    assert stored["state"] == "void" and stored["void_reason"] == "The wrong amendment <b>was</b> read out."
    body = done.get_data(as_text=True)
    assert "This poll is void." in body and "The wrong amendment &lt;b&gt;was&lt;/b&gt; read out." in body
    assert amendment_status(app, w.amendment) == "admitted"  # a void poll decides nothing
    # and the amendment can be put to the vote again
    again = create(chair, subject=f"amendment:{w.amendment}")
    assert "open" in open_(chair, again).get_data(as_text=True)


def test_a_tie_waits_for_the_chairs_casting_vote(app, factory):
    w = make_world(app, factory, present=2, quorum=None, casting_vote=True)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    open_(chair, poll_id)
    vote(app, 0, poll_id, "yes")
    vote(app, 1, poll_id, "no")
    closed = text(chair.post(f"/polls/{poll_id}/close", follow_redirects=True))
    assert poll_row(app, poll_id)["result"]["outcome"] == "tie"
    assert "A tie: give your casting vote." in closed
    assert amendment_status(app, w.amendment) == "admitted"
    assert "A tie: give your casting vote." in text(chair.get(f"/m/{SLUG}/chair"))
    done = chair.post(f"/polls/{poll_id}/casting-vote", {"choice": "no"}, follow_redirects=True)
    assert poll_row(app, poll_id)["result"]["outcome"] == "lost"
    assert "The chair gave the casting vote: No." in text(done)
    assert amendment_status(app, w.amendment) == "lost"
    again = chair.post(f"/polls/{poll_id}/casting-vote", {"choice": "yes"}, follow_redirects=True)
    assert "A casting vote only decides a tied poll." in flashes(again)


def test_a_free_question_with_options_of_its_own(app, factory):
    make_world(app, factory, present=3)
    chair = Visitor(app, CHAIR)
    missing = chair.post(f"/m/{SLUG}/polls/new", {"subject": "none", "majority": "simple"})
    assert missing.status_code == 422 and "Give the question a title." in text(missing)
    twice = chair.post(f"/m/{SLUG}/polls/new", {"subject": "none", "title": "Where next?", "majority": "simple",
                                                 "options": "Leeds\nLeeds"})
    assert twice.status_code == 422 and "Each option must be different." in text(twice)
    poll_id = create(chair, title="Where next?", options="Leeds\n  Glasgow  \n\nCardiff")
    assert poll_row(app, poll_id)["options"] == ["Leeds", "Glasgow", "Cardiff"]
    open_(chair, poll_id)
    page = text(Visitor(app, delegate_email(0)).get(f"/polls/{poll_id}"))
    assert 'name="choice" value="Glasgow"' in page
    vote(app, 0, poll_id, "Glasgow")
    vote(app, 1, poll_id, "Glasgow")
    vote(app, 2, poll_id, "Leeds")
    closed = text(chair.post(f"/polls/{poll_id}/close", follow_redirects=True))
    assert "Leeds: 1; Glasgow: 2; Cardiff: 0" in closed
    assert 'aria-label="Result: Leeds: 1, Glasgow: 2, Cardiff: 0"' in closed


# ---------------------------------------------------------------- deciding without a poll

def test_the_chair_decides_an_amendment_without_a_poll(app, factory):
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    page = text(chair.get(f"/amendments/{w.amendment}"))
    assert "Decide without a poll…" in page and f"/amendments/{w.amendment}/decide" in page
    assert 'src="/static/live.js?v=' in page and 'data-events="/api/v1/meetings/poll-meeting/events' in page
    # a delegate sees no such form and may not post it
    ada = Visitor(app, delegate_email(0))
    assert "Decide without a poll" not in text(ada.get(f"/amendments/{w.amendment}"))
    assert ada.post(f"/amendments/{w.amendment}/decide", {"outcome": "carried"}).status_code == 403

    bad = chair.post(f"/amendments/{w.amendment}/decide", {"outcome": "adopted"}, follow_redirects=True)
    assert "Some fields need correcting." in flashes(bad)
    assert amendment_status(app, w.amendment) == "admitted"

    done = chair.post(f"/amendments/{w.amendment}/decide", {"outcome": "remitted", "note": "To the executive."},
                      follow_redirects=True)
    assert done.request.path == f"/amendments/{w.amendment}"
    assert "A1 is now “remitted”." in flashes(done)
    assert amendment_status(app, w.amendment) == "remitted"
    again = chair.post(f"/amendments/{w.amendment}/decide", {"outcome": "carried"}, follow_redirects=True)
    assert any("cannot" in m for m in flashes(again)), flashes(again)
    assert amendment_status(app, w.amendment) == "remitted"


def test_an_open_vote_blocks_deciding_without_it(app, factory):
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    open_(chair, poll_id)
    refused = chair.post(f"/amendments/{w.amendment}/decide", {"outcome": "carried"}, follow_redirects=True)
    assert "A vote on this amendment is open; close or void it first." in flashes(refused)
    assert amendment_status(app, w.amendment) == "admitted"


# ---------------------------------------------------------------- refusals and roles

def test_refusals_are_said_on_the_page(app, factory):
    w = make_world(app, factory, in_session=False)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    refused = open_(chair, poll_id)
    assert refused.status_code == 200
    assert "Open the session before opening a vote." in flashes(refused)
    closing = chair.post(f"/polls/{poll_id}/close", follow_redirects=True)
    assert "Only an open poll can be closed; this one is “draft”." in flashes(closing)
    voting = vote(app, 0, poll_id, "yes")
    assert "This poll is not open for voting: it is “draft”." in flashes(voting)
    assert "The meeting is not in session" in text(chair.get(f"/m/{SLUG}/chair"))
    # an expired form is said so, nothing changes
    expired = chair.client.post(f"/polls/{poll_id}/close", data={}, follow_redirects=True)
    assert expired.status_code == 400 or "The page has expired" in text(expired)
    assert poll_row(app, poll_id)["state"] == "draft"
    assert chair.get("/polls/999999").status_code == 404


def test_roles(app, factory):
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    ada = Visitor(app, delegate_email(0))
    assert ada.post(f"/polls/{poll_id}/open").status_code == 403
    assert ada.post(f"/polls/{poll_id}/close").status_code == 403
    assert ada.post(f"/polls/{poll_id}/void", {"reason": "no"}).status_code == 403
    assert ada.get(f"/m/{SLUG}/polls/new").status_code == 403
    assert ada.get(f"/m/{SLUG}/chair").status_code == 403
    assert ada.get(f"/m/{SLUG}/proxies").status_code == 403
    assert ada.post(f"/m/{SLUG}/floor", {"item": ""}).status_code == 403
    assert poll_row(app, poll_id)["state"] == "draft"
    # what a delegate sees of the poll: no chair controls
    page = text(ada.get(f"/polls/{poll_id}"))
    assert "Open the vote" not in page and "Void this poll" not in page
    assert ada.get(f"/polls/{poll_id}?part=controls").status_code == 403
    assert ada.get(f"/polls/{poll_id}?part=live").status_code == 200
    open_(chair, poll_id)
    assert chair.post(f"/polls/{poll_id}/vote", {"choice": "yes"}).status_code == 403  # the chair is no delegate
    secretary = Visitor(app, SECRETARY)
    assert secretary.get(f"/m/{SLUG}/chair").status_code == 403
    assert chair.post(f"/m/{SLUG}/proxies", {"giver_id": "1", "holder_id": "2"}).status_code == 403
    assert ballots(app, poll_id) == []


# ---------------------------------------------------------------- the console and the meeting page

def test_the_chairs_console_shows_attendance_and_the_quorum(app, factory):
    w = make_world(app, factory, quorum="3", present=2)
    chair = Visitor(app, CHAIR)
    page = text(chair.get(f"/m/{SLUG}/chair"))
    assert re.search(r'<strong class="big-number">2</strong> / 4', page)
    assert "No quorum: 3 needed." in page
    assert 'data-live="attendance.changed meeting.changed"' in page
    assert f"/m/{SLUG}/projector" in page
    assert "Nothing is on the floor." in page

    from motions.meetings import operations

    with app.app_context():
        meeting = operations.get_meeting(SLUG)
        operations.set_attendance(meeting, operations.get_membership(meeting, w.delegates[2]), True)
    quorum = chair.get(f"/m/{SLUG}/chair?part=quorum")
    assert quorum.headers["Cache-Control"] == "no-store"
    assert "Quorum met (3 needed)." in text(quorum)
    assert "<html" not in text(quorum)

    # a draft poll has its open button; open, the live turnout and the close button
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    polls = text(chair.get(f"/m/{SLUG}/chair?part=polls"))
    assert "Ready to open" in polls and f"/polls/{poll_id}/open" in polls
    open_(chair, poll_id)
    vote(app, 0, poll_id, "yes")
    polls = text(chair.get(f"/m/{SLUG}/chair?part=polls"))
    assert "1 of 4 voted" in re.sub(r"<[^>]+>", "", polls)
    assert f"/polls/{poll_id}/close" in polls and 'name="next" value="chair"' in polls
    closed = chair.post(f"/polls/{poll_id}/close", {"next": "chair"})
    assert closed.status_code == 302 and closed.location == f"/m/{SLUG}/chair"
    assert "Latest results" in text(chair.get(f"/m/{SLUG}/chair?part=polls"))

    # the floor: opening the poll put it there; the chooser takes up the document (and comes back here)
    assert "Amendment A1" in text(chair.get(f"/m/{SLUG}/chair?part=floor"))
    console = chair.get(f"/m/{SLUG}/chair").get_data(as_text=True)
    assert len(re.findall(r'name="next"[^>]*value="chair"', console.split('class="floor-chooser"')[1])) == 1
    taken = chair.post(f"/m/{SLUG}/floor", {"item": f"amendment:{w.amendment}", "next": "chair"})
    assert taken.status_code == 302 and taken.location == f"/m/{SLUG}/chair"
    chosen = chair.post(f"/m/{SLUG}/floor", {"item": f"document:{w.document}", "next": "chair"},
                        follow_redirects=True)
    assert "The item is on the floor." in flashes(chosen)
    assert "Draft platform" in text(chair.get(f"/m/{SLUG}/chair?part=floor"))
    wrong = chair.post(f"/m/{SLUG}/floor", {"item": "document:99999", "next": "chair"}, follow_redirects=True)
    assert "There is no such item in this meeting." in flashes(wrong)


def test_the_meeting_page_shows_vote_now_while_a_poll_is_open(app, factory):
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    ada = Visitor(app, delegate_email(0))
    home = text(ada.get(f"/m/{SLUG}/"))
    assert "Vote now" not in home
    assert 'data-live="poll.created poll.opened poll.closed poll.voided"' in home
    assert f'data-live-src="/m/{SLUG}/polls?part=vote-now"' in home
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    open_(chair, poll_id)
    box = text(ada.get(f"/m/{SLUG}/polls?part=vote-now"))
    assert "Vote now: Amendment A1: Equality" in box and f'href="/polls/{poll_id}"' in box
    assert "Vote now: Amendment A1: Equality" in text(ada.get(f"/m/{SLUG}/"))
    # the chair (no delegate) is told a vote is open, without the call to vote
    assert "Voting is open:" in text(chair.get(f"/m/{SLUG}/polls?part=vote-now"))
    chair.post(f"/polls/{poll_id}/close")
    assert "Vote now" not in text(ada.get(f"/m/{SLUG}/polls?part=vote-now"))
    listing = text(ada.get(f"/m/{SLUG}/polls"))
    assert "Amendment A1: Equality" in listing and "closed" in listing


def test_pages_keep_to_the_content_security_policy(app, factory):
    """No inline script or style on the new pages (script-src 'self', style-src 'self')."""
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    open_(chair, poll_id)
    vote(app, 0, poll_id, "yes")
    chair.post(f"/polls/{poll_id}/close")
    for path in (f"/polls/{poll_id}", f"/m/{SLUG}/polls", f"/m/{SLUG}/polls/new", f"/m/{SLUG}/chair",
                 f"/m/{SLUG}/projector", f"/m/{SLUG}/proxies", f"/m/{SLUG}/", f"/amendments/{w.amendment}"):
        body = chair.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), path
        assert not re.search(r"\sstyle=", body), path
        assert not re.search(r"\son[a-z]+=", body), path

"""The speakers list: asking to speak, points of order first, the chair's calls, moves and removals, a
closed list, the speaking time and its countdown; the pages and the API; roles; a live event for every
change and an audit entry for what matters.

Runs on SQLite and, with MOTIONS_TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import IntegrityError

from motions.extensions import db
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("fast_hashing")

SLUG = "congress"
TEXT = "# Aims\n\nWe fight for all workers.\n\nWe stand for peace.\n"


@pytest.fixture
def world(app, factory):
    factory.meeting(SLUG)
    factory.meeting("other-meeting")
    w = SimpleNamespace(app=app, slug=SLUG)
    w.chair = factory.person(SLUG, "chair", email="chair@example.org", name="Chair")
    w.secretary = factory.person(SLUG, "secretary", email="secretary@example.org", name="Secretary")
    w.d = [factory.person(SLUG, "delegate", email=f"d{i}@example.org", name=f"Delegate {i}",
                          organisation=f"Union {i}") for i in range(1, 5)]
    w.doc = factory.document(SLUG, TEXT, state="open")
    w.amendment = factory.amendment(w.doc, w.d[0], replace=("all workers", "all workers and migrants"))
    w.other_doc = factory.document("other-meeting", TEXT)
    w.h = {"chair": bearer(factory.token("chair@example.org")),
           "secretary": bearer(factory.token("secretary@example.org"))}
    for i in range(1, 5):
        w.h[i] = bearer(factory.token(f"d{i}@example.org"))
    with app.app_context():
        from motions.meetings.operations import get_meeting

        w.meeting_id = get_meeting(SLUG).id
        db.session.remove()
    return w


def speakers_url(w, subject_type="amendment", subject_id=None):
    subject_id = subject_id if subject_id is not None else w.amendment
    return f"/api/v1/meetings/{w.slug}/speakers?subject_type={subject_type}&subject_id={subject_id}"


def ask(client, w, who, side, subject_type="amendment", subject_id=None):
    subject_id = subject_id if subject_id is not None else w.amendment
    return client.post(f"/api/v1/meetings/{w.slug}/speakers", headers=w.h[who],
                       json={"subject_type": subject_type, "subject_id": subject_id, "side": side})


def chair(client, w, what, subject_type="amendment", subject_id=None, **extra):
    subject_id = subject_id if subject_id is not None else w.amendment
    return client.post(f"/api/v1/meetings/{w.slug}/speakers/{what}", headers=w.h["chair"],
                       json={"subject_type": subject_type, "subject_id": subject_id, **extra})


def queue(client, w, **kwargs) -> dict:
    response = client.get(speakers_url(w, **kwargs), headers=w.h[1])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def names(people: list[dict]) -> list[str]:
    return [p["person"]["name"] for p in people]


def events(w, kind="speakers.changed") -> list[dict]:
    from motions.live.models import MeetingEvent

    with w.app.app_context():
        rows = [e.data for e in db.session.execute(
            db.select(MeetingEvent).filter_by(meeting_id=w.meeting_id, kind=kind).order_by(MeetingEvent.id)).scalars()]
        db.session.remove()
    return rows


def audit_actions(client, w) -> list[dict]:
    response = client.get(f"/api/v1/meetings/{w.slug}/audit", headers=w.h["chair"])
    assert response.status_code == 200
    return [e for e in response.get_json() if e["action"].startswith("speakers.")]


# ---------------------------------------------------------------- the queue through the API

def test_points_of_order_jump_the_queue_and_next_calls_in_order(client, world):
    w = world
    assert queue(client, w)["waiting"] == []
    assert ask(client, w, 1, "for").status_code == 201
    assert ask(client, w, 2, "against").status_code == 201
    response = ask(client, w, 3, "point_of_order")
    assert response.status_code == 201
    assert response.get_json()["position"] == 1  # straight to the front
    q = queue(client, w)
    assert names(q["waiting"]) == ["Delegate 3", "Delegate 1", "Delegate 2"]
    assert [s["position"] for s in q["waiting"]] == [1, 2, 3]
    assert [s["side"] for s in q["waiting"]] == ["point_of_order", "for", "against"]
    assert q["waiting"][1]["person"]["organisation"] == "Union 1"
    assert q["speaking"] is None and q["closed"] is False and q["speaking_time"] is None

    order = []
    for _ in range(3):
        response = chair(client, w, "next")
        assert response.status_code == 200, response.get_json()
        order.append(response.get_json()["speaking"]["person"]["name"])
        assert response.get_json()["speaking"]["started_at"].endswith("Z")
    assert order == ["Delegate 3", "Delegate 1", "Delegate 2"]
    # a point of order raised while others wait is still taken first
    ask(client, w, 4, "for")
    ask(client, w, 1, "point_of_order")
    q = chair(client, w, "next").get_json()
    assert q["speaking"]["person"]["name"] == "Delegate 1" and q["speaking"]["side"] == "point_of_order"
    assert names(q["spoken"]) == ["Delegate 3", "Delegate 1", "Delegate 2"]
    chair(client, w, "next")
    # nobody waiting: next ends the current turn; then there is nothing to do
    q = chair(client, w, "next").get_json()
    assert q["speaking"] is None and q["waiting"] == []
    assert names(q["spoken"])[-1] == "Delegate 4"
    assert_error(chair(client, w, "next"), 409, "nobody_waiting")
    assert_error(chair(client, w, "finish"), 409, "nobody_speaking")
    # one event per change, naming the item
    assert events(w)[0] == {"subject_type": "amendment", "subject_id": w.amendment}
    assert len(events(w)) == 3 + 3 + 2 + 1 + 1 + 1  # asks, nexts, two asks, next, next, next


def test_call_a_particular_speaker_and_finish(client, world):
    w = world
    ids = [ask(client, w, i, "for").get_json()["id"] for i in (1, 2, 3)]
    response = client.post(f"/api/v1/speakers/{ids[2]}/call", headers=w.h["chair"])
    assert response.status_code == 200
    q = response.get_json()
    assert q["speaking"]["id"] == ids[2] and names(q["waiting"]) == ["Delegate 1", "Delegate 2"]
    q = client.post(f"/api/v1/speakers/{ids[0]}/call", headers=w.h["chair"]).get_json()
    assert q["speaking"]["id"] == ids[0] and names(q["spoken"]) == ["Delegate 3"]
    assert_error(client.post(f"/api/v1/speakers/{ids[2]}/call", headers=w.h["chair"]), 409, "not_waiting")
    q = chair(client, w, "finish").get_json()
    assert q["speaking"] is None and names(q["spoken"]) == ["Delegate 3", "Delegate 1"]
    assert q["spoken"][1]["ended_at"] is not None


def test_move_and_remove(client, world):
    w = world
    ids = {i: ask(client, w, i, "for").get_json()["id"] for i in (1, 2, 3)}

    def move(sid, **body):
        return client.post(f"/api/v1/speakers/{sid}/move", headers=w.h["chair"], json=body)

    q = move(ids[3], position=1).get_json()
    assert names(q["waiting"]) == ["Delegate 3", "Delegate 1", "Delegate 2"]
    q = move(ids[3], direction="down").get_json()
    assert names(q["waiting"]) == ["Delegate 1", "Delegate 3", "Delegate 2"]
    q = move(ids[2], direction="up").get_json()
    assert names(q["waiting"]) == ["Delegate 1", "Delegate 2", "Delegate 3"]
    before = len(events(w))
    q = move(ids[1], direction="up").get_json()  # already first: nothing changes, no event
    assert names(q["waiting"]) == ["Delegate 1", "Delegate 2", "Delegate 3"]
    assert len(events(w)) == before
    assert_error(move(ids[1], position=9), 422, "validation_failed", {"position"})
    assert_error(move(ids[1]), 422, "validation_failed", {"position"})
    assert_error(move(ids[1], direction="sideways"), 422, "validation_failed", {"direction"})
    # a point of order stays ahead of everyone: the others move among themselves
    poo = ask(client, w, 4, "point_of_order").get_json()["id"]
    assert_error(move(ids[3], position=1), 422, "validation_failed", {"position"})
    q = move(ids[3], position=2).get_json()
    assert names(q["waiting"]) == ["Delegate 4", "Delegate 3", "Delegate 1", "Delegate 2"]
    assert_error(move(poo, position=3), 422, "validation_failed", {"position"})

    response = client.post(f"/api/v1/speakers/{ids[1]}/remove", headers=w.h["chair"])
    assert response.status_code == 200
    assert names(response.get_json()["waiting"]) == ["Delegate 4", "Delegate 3", "Delegate 2"]
    assert_error(client.post(f"/api/v1/speakers/{ids[1]}/remove", headers=w.h["chair"]), 409, "not_waiting")
    removed = [e for e in audit_actions(client, w) if e["action"] == "speakers.removed"]
    assert len(removed) == 1
    assert removed[0]["data"]["person_id"] == w.d[0] and removed[0]["subject"] == {"type": "amendment",
                                                                                  "id": w.amendment}
    # the removed delegate may ask again
    assert ask(client, w, 1, "against").status_code == 201


def test_closed_list_refuses_and_stores_nothing(app, client, world):
    w = world
    ask(client, w, 1, "for")
    response = chair(client, w, "settings", closed=True)
    assert response.status_code == 200 and response.get_json()["closed"] is True
    before = snapshot(app)
    assert_error(ask(client, w, 2, "for"), 409, "list_closed")
    assert_error(ask(client, w, 2, "against"), 409, "list_closed")
    assert snapshot(app) == before
    # a point of order may still be raised
    response = ask(client, w, 2, "point_of_order")
    assert response.status_code == 201
    # closing a closed list changes nothing (and logs nothing more)
    chair(client, w, "settings", closed=True)
    chair(client, w, "settings", closed=False)
    assert ask(client, w, 3, "for").status_code == 201
    actions = [e["action"] for e in audit_actions(client, w)]
    assert actions == ["speakers.closed", "speakers.reopened"]


def test_closing_an_item_nobody_asked_about(client, world):
    w = world
    q = chair(client, w, "settings", subject_type="document", subject_id=w.doc, closed=True).get_json()
    assert q["closed"] is True and q["subject_type"] == "document"
    assert_error(ask(client, w, 1, "for", subject_type="document", subject_id=w.doc), 409, "list_closed")
    # reopening a list that does not exist stores nothing
    assert chair(client, w, "settings", subject_type="meeting", subject_id=w.meeting_id, closed=False).status_code == 200
    with w.app.app_context():
        from motions.debate.models import SpeakersList

        assert db.session.execute(db.select(db.func.count()).select_from(SpeakersList)).scalar() == 1
        db.session.remove()


def test_a_second_waiting_request_is_409(app, client, world):
    w = world
    first = ask(client, w, 1, "for")
    assert first.status_code == 201
    before = snapshot(app)
    assert_error(ask(client, w, 1, "against"), 409, "already_waiting")
    assert_error(ask(client, w, 1, "point_of_order"), 409, "already_waiting")
    assert snapshot(app) == before
    # the database itself refuses a second waiting row
    with app.app_context():
        from motions.debate.models import Speaker

        db.session.add(Speaker(list_id=1, person_id=w.d[0], side="against", state="waiting", position=5))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.remove()
    # once called, the delegate may ask again
    chair(client, w, "next")
    assert ask(client, w, 1, "against").status_code == 201


def test_the_index_race_is_a_409(app, client, world, monkeypatch):
    """Two requests at the same moment both pass the check; the database refuses the second one."""
    w = world
    ask(client, w, 1, "for")
    from motions.debate import operations

    # the operation's own check (`any(...)` over the list) misses the first request, as in a race
    monkeypatch.setattr(operations, "any", lambda rows: False, raising=False)
    assert_error(ask(client, w, 1, "against"), 409, "already_waiting")
    monkeypatch.undo()
    assert len(queue(client, w)["waiting"]) == 1


def test_withdraw_own_request_only(client, world):
    w = world
    mine = ask(client, w, 1, "for").get_json()["id"]
    assert_error(client.post(f"/api/v1/speakers/{mine}/withdraw", headers=w.h[2]), 403, "forbidden")
    response = client.post(f"/api/v1/speakers/{mine}/withdraw", headers=w.h[1])
    assert response.status_code == 200 and response.get_json()["waiting"] == []
    assert_error(client.post(f"/api/v1/speakers/{mine}/withdraw", headers=w.h[1]), 404, "not_found")
    # a speaker who has been called can no longer withdraw
    called = ask(client, w, 1, "for").get_json()["id"]
    chair(client, w, "next")
    assert_error(client.post(f"/api/v1/speakers/{called}/withdraw", headers=w.h[1]), 409, "not_waiting")


def test_speaking_time_and_ends_at(client, world):
    w = world
    assert_error(chair(client, w, "settings", speaking_time=3601), 422, "validation_failed", {"speaking_time"})
    assert_error(chair(client, w, "settings", speaking_time=-1), 422, "validation_failed", {"speaking_time"})
    assert_error(chair(client, w, "settings", speaking_time="2:00"), 422, "validation_failed", {"speaking_time"})
    assert_error(chair(client, w, "settings", closed="yes"), 422, "validation_failed", {"closed"})
    q = chair(client, w, "settings", speaking_time=120).get_json()
    assert q["speaking_time"] == 120 and q["ends_at"] is None
    ask(client, w, 1, "for")
    q = chair(client, w, "next").get_json()
    started = datetime.fromisoformat(q["speaking"]["started_at"])
    ends = datetime.fromisoformat(q["ends_at"])
    assert (ends - started).total_seconds() == 120
    assert 0 < q["remaining"] <= 120
    q = chair(client, w, "settings", speaking_time=0).get_json()
    assert q["speaking_time"] is None and q["ends_at"] is None
    q = chair(client, w, "settings", speaking_time=None).get_json()
    assert q["speaking_time"] is None
    times = [e["data"] for e in audit_actions(client, w) if e["action"] == "speakers.speaking_time"]
    assert times == [{"list_id": times[0]["list_id"], "number": "A1", "from": 0, "to": 120},
                     {"list_id": times[0]["list_id"], "number": "A1", "from": 120, "to": 0}]


def test_subjects_are_checked(client, world):
    w = world
    assert_error(ask(client, w, 1, "for", subject_type="document", subject_id=w.other_doc), 404, "not_found")
    assert_error(ask(client, w, 1, "for", subject_type="amendment", subject_id=999999), 404, "not_found")
    assert_error(ask(client, w, 1, "for", subject_type="meeting", subject_id=w.meeting_id + 1), 404, "not_found")
    assert_error(ask(client, w, 1, "for", subject_type="clause"), 422, "validation_failed", {"subject_type"})
    assert_error(ask(client, w, 1, "loudly"), 422, "validation_failed", {"side"})
    assert_error(client.post(f"/api/v1/meetings/{w.slug}/speakers", headers=w.h[1], json={}), 422,
                 "validation_failed", {"subject_type", "subject_id", "side"})
    assert_error(client.get(f"/api/v1/meetings/{w.slug}/speakers?subject_type=amendment&subject_id=x",
                            headers=w.h[1]), 422, "validation_failed", {"subject_id"})
    assert_error(client.get(f"/api/v1/meetings/{w.slug}/speakers?subject_type=document&subject_id={w.other_doc}",
                            headers=w.h[1]), 404, "not_found")
    assert_error(client.post("/api/v1/speakers/999999/call", headers=w.h["chair"]), 404, "not_found")
    # without a subject: the meeting's general business
    q = client.get(f"/api/v1/meetings/{w.slug}/speakers", headers=w.h[1]).get_json()
    assert q["subject_type"] == "meeting" and q["subject_id"] == w.meeting_id
    assert ask(client, w, 1, "neutral", subject_type="meeting", subject_id=w.meeting_id).status_code == 201
    assert names(queue(client, w, subject_type="meeting", subject_id=w.meeting_id)["waiting"]) == ["Delegate 1"]
    assert queue(client, w)["waiting"] == []  # each item has its own list


def test_roles_in_the_api(client, world):
    w = world
    sid = ask(client, w, 1, "for").get_json()["id"]
    # a delegate cannot run the list
    assert_error(client.post(f"/api/v1/meetings/{w.slug}/speakers/next", headers=w.h[2],
                             json={"subject_type": "amendment", "subject_id": w.amendment}), 403, "forbidden")
    for path in (f"/api/v1/speakers/{sid}/call", f"/api/v1/speakers/{sid}/remove"):
        assert_error(client.post(path, headers=w.h[2]), 403, "forbidden")
    assert_error(client.post(f"/api/v1/speakers/{sid}/move", headers=w.h[2], json={"position": 1}), 403, "forbidden")
    assert_error(client.post(f"/api/v1/meetings/{w.slug}/speakers/settings", headers=w.h[2],
                             json={"subject_type": "amendment", "subject_id": w.amendment, "closed": True}),
                 403, "forbidden")
    # the chair and the secretary do not ask to speak (delegates do)
    assert_error(ask(client, w, "chair", "for"), 403, "forbidden")
    assert_error(ask(client, w, "secretary", "for"), 403, "forbidden")
    # everyone in the meeting reads the list
    assert client.get(speakers_url(w), headers=w.h["secretary"]).status_code == 200
    # signed out: 401
    assert_error(client.get(speakers_url(w)), 401)
    assert_error(client.post(f"/api/v1/meetings/{w.slug}/speakers",
                             json={"subject_type": "amendment", "subject_id": w.amendment, "side": "for"}), 401)
    assert_error(client.post(f"/api/v1/speakers/{sid}/call"), 401)
    assert len(queue(client, w)["waiting"]) == 1


# ---------------------------------------------------------------- the pages

def login(client, email):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": "correct horse battery", "csrf_token": token})
    assert response.status_code == 302


def post(client, path, **data):
    data.setdefault("csrf_token", csrf_token(client, "/login"))
    return client.post(path, data=data)


def panel(html: str) -> str:
    match = re.search(r'<section class="speakers[^"]*".*?</section>', html, re.DOTALL)
    assert match, "no speakers panel on the page"
    return match.group(0)


def test_delegate_asks_to_speak_on_the_amendment_page(client, world):
    w = world
    login(client, "d2@example.org")
    page = client.get(f"/amendments/{w.amendment}").get_data(as_text=True)
    section = panel(page)
    assert f'data-live-src="/amendments/{w.amendment}/speakers"' in section
    assert 'data-live="speakers.changed"' in section and 'aria-live="polite"' in section
    assert "Ask to speak for" in section and "Ask to speak against" in section and "Point of order" in section
    assert "Call the next speaker" not in section
    response = post(client, f"/m/{w.slug}/speakers/request", subject_type="amendment", subject_id=w.amendment,
                    side="against")
    assert response.status_code == 302
    assert response.location.endswith(f"/amendments/{w.amendment}#speakers-amendment-{w.amendment}")
    page = client.get(f"/amendments/{w.amendment}").get_data(as_text=True)
    assert "You are on the speakers list (against)." in page
    section = panel(page)
    assert "Delegate 2" in section and "Union 2" in section and "Withdraw my request" in section
    assert "You are number 1 in the queue." in section
    assert events(w) == [{"subject_type": "amendment", "subject_id": w.amendment}]
    # asking twice: the message on the page, nothing more stored
    response = post(client, f"/m/{w.slug}/speakers/request", subject_type="amendment", subject_id=w.amendment,
                    side="for")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "You are already on the speakers list" in page
    assert len(queue(client, w)["waiting"]) == 1
    # withdraw
    sid = queue(client, w)["waiting"][0]["id"]
    response = post(client, f"/m/{w.slug}/speakers/withdraw", speaker_id=sid)
    assert response.status_code == 302
    assert "Your request to speak is withdrawn." in client.get(response.location).get_data(as_text=True)
    assert queue(client, w)["waiting"] == []


def test_chair_runs_the_list_from_the_page(client, world):
    w = world
    for i, side in ((1, "for"), (2, "against"), (3, "point_of_order")):
        ask(client, w, i, side)
    login(client, "chair@example.org")
    section = panel(client.get(f"/amendments/{w.amendment}").get_data(as_text=True))
    assert "Call the next speaker" in section and "Close the list" in section
    assert "Ask to speak" not in section  # the chair is no delegate
    # in queue order, the point of order first
    assert section.index("Delegate 3") < section.index("Delegate 1") < section.index("Delegate 2")
    assert 'aria-label="Move Delegate 1 down"' in section and 'aria-label="Move Delegate 1 up"' not in section
    response = post(client, f"/m/{w.slug}/speakers/next", subject_type="amendment", subject_id=w.amendment)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Delegate 3 has the floor." in page
    assert re.search(r"Speaking now:.*?Delegate 3", panel(page), re.DOTALL)
    q = queue(client, w)
    ids = {s["person"]["name"]: s["id"] for s in q["waiting"]}
    post(client, f"/m/{w.slug}/speakers/move", speaker_id=ids["Delegate 2"], direction="up")
    assert names(queue(client, w)["waiting"]) == ["Delegate 2", "Delegate 1"]
    post(client, f"/m/{w.slug}/speakers/move", speaker_id=ids["Delegate 2"], position="2")
    assert names(queue(client, w)["waiting"]) == ["Delegate 1", "Delegate 2"]
    response = post(client, f"/m/{w.slug}/speakers/move", speaker_id=ids["Delegate 2"], position="7")
    assert "Choose a place from 1 to 2." in client.get(response.location).get_data(as_text=True)
    post(client, f"/m/{w.slug}/speakers/call", speaker_id=ids["Delegate 2"])
    assert queue(client, w)["speaking"]["person"]["name"] == "Delegate 2"
    post(client, f"/m/{w.slug}/speakers/remove", speaker_id=ids["Delegate 1"])
    assert queue(client, w)["waiting"] == []
    response = post(client, f"/m/{w.slug}/speakers/close", subject_type="amendment", subject_id=w.amendment)
    page = client.get(response.location).get_data(as_text=True)
    assert "The list is closed" in panel(page) and "Reopen the list" in panel(page)
    post(client, f"/m/{w.slug}/speakers/reopen", subject_type="amendment", subject_id=w.amendment)
    assert queue(client, w)["closed"] is False
    post(client, f"/m/{w.slug}/speakers/finish", subject_type="amendment", subject_id=w.amendment)
    assert queue(client, w)["speaking"] is None
    # errors are messages on the page, never a 500
    response = post(client, f"/m/{w.slug}/speakers/next", subject_type="amendment", subject_id=w.amendment)
    assert response.status_code == 302
    assert "Nobody is waiting to speak." in client.get(response.location).get_data(as_text=True)
    response = post(client, f"/m/{w.slug}/speakers/next", subject_type="amendment", subject_id="99999")
    assert response.status_code == 302 and response.location.endswith(f"/m/{w.slug}/speakers")
    assert "There is no such amendment in this meeting." in client.get(response.location).get_data(as_text=True)
    response = post(client, f"/m/{w.slug}/speakers/call", speaker_id="nonsense")
    assert response.status_code == 302
    # every change made one event
    assert len(events(w)) == 3 + 8


def test_countdown_when_a_speaking_time_is_set(client, world):
    w = world
    ask(client, w, 1, "for")
    login(client, "chair@example.org")
    response = post(client, f"/m/{w.slug}/speakers/time", subject_type="amendment", subject_id=w.amendment,
                    speaking_time="abc")
    assert "Write the time as minutes:seconds" in client.get(response.location).get_data(as_text=True)
    assert queue(client, w)["speaking_time"] is None
    response = post(client, f"/m/{w.slug}/speakers/time", subject_type="amendment", subject_id=w.amendment,
                    speaking_time="2:00")
    assert "Each speaker now has 02:00." in client.get(response.location).get_data(as_text=True)
    section = panel(client.get(f"/amendments/{w.amendment}").get_data(as_text=True))
    assert "countdown" not in section  # nobody speaks yet
    assert 'value="02:00"' in section
    post(client, f"/m/{w.slug}/speakers/next", subject_type="amendment", subject_id=w.amendment)
    section = panel(client.get(f"/amendments/{w.amendment}").get_data(as_text=True))
    match = re.search(r'<span class="countdown" data-ends-at="([^"]+)"[^>]*>(\d\d):(\d\d)</span>', section)
    assert match, section
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", match.group(1))
    assert match.group(1) == queue(client, w)["ends_at"]
    assert 0 < int(match.group(2)) * 60 + int(match.group(3)) <= 120
    # the fragment the live refresh fetches: the panel's content alone, countdown included
    fragment = client.get(f"/amendments/{w.amendment}/speakers")
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<section" not in body and "<html" not in body and 'class="countdown"' in body
    # the projector's version: no buttons
    body = client.get(f"/amendments/{w.amendment}/speakers?projector=1").get_data(as_text=True)
    assert 'class="countdown"' in body and "<form" not in body
    # no limit: no countdown
    post(client, f"/m/{w.slug}/speakers/time", subject_type="amendment", subject_id=w.amendment, speaking_time="0")
    assert "countdown" not in panel(client.get(f"/amendments/{w.amendment}").get_data(as_text=True))


def test_general_business_page_and_the_document_page(client, world):
    w = world
    login(client, "d1@example.org")
    page = client.get(f"/m/{w.slug}/speakers")
    assert page.status_code == 200
    section = panel(page.get_data(as_text=True))
    assert f'data-live-src="/m/{w.slug}/speakers/panel"' in section
    assert "Speakers: general business" in section and "Ask to speak" in section
    assert "Ask to speak for" not in section  # general business has no sides
    response = post(client, f"/m/{w.slug}/speakers/request", subject_type="meeting", subject_id=str(w.meeting_id),
                    side="neutral")
    assert response.location.endswith(f"/m/{w.slug}/speakers#speakers-meeting-{w.meeting_id}")
    assert "Delegate 1" in client.get(f"/m/{w.slug}/speakers/panel").get_data(as_text=True)
    section = panel(client.get(f"/documents/{w.doc}").get_data(as_text=True))
    assert f'data-live-src="/documents/{w.doc}/speakers"' in section and "Delegate 1" not in section
    assert client.get(f"/documents/{w.doc}/speakers").status_code == 200


def test_roles_on_the_pages(client, world):
    w = world
    # signed out: sent to sign in
    for path in (f"/m/{w.slug}/speakers", f"/amendments/{w.amendment}/speakers"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location
    response = client.post(f"/m/{w.slug}/speakers/next", data={})
    assert response.status_code in (302, 400)
    login(client, "d1@example.org")
    ask(client, w, 2, "for")
    response = post(client, f"/m/{w.slug}/speakers/next", subject_type="amendment", subject_id=w.amendment)
    assert response.status_code == 403
    response = post(client, f"/m/{w.slug}/speakers/close", subject_type="amendment", subject_id=w.amendment)
    assert response.status_code == 403
    assert queue(client, w)["speaking"] is None and queue(client, w)["closed"] is False
    # a page of another meeting is not for them
    assert client.get("/m/other-meeting/speakers").status_code == 403


def test_forms_return_to_the_page_they_were_on(client, world):
    """The panel shown elsewhere (the chair's console) sends its forms back there; never to another site."""
    w = world
    ask(client, w, 1, "for")
    login(client, "chair@example.org")
    response = post(client, f"/m/{w.slug}/speakers/next", subject_type="amendment", subject_id=w.amendment,
                    next=f"/m/{w.slug}/")
    assert response.location.endswith(f"/m/{w.slug}/#speakers-amendment-{w.amendment}")
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = post(client, f"/m/{w.slug}/speakers/finish", subject_type="amendment", subject_id=w.amendment,
                        next=evil)
        assert response.location.endswith(f"/amendments/{w.amendment}#speakers-amendment-{w.amendment}"), evil
    # a fragment fetched for another page keeps that page in its forms
    body = client.get(f"/amendments/{w.amendment}/speakers?back=/m/{w.slug}/").get_data(as_text=True)
    assert f'name="next" value="/m/{w.slug}/"' in body
    body = client.get(f"/amendments/{w.amendment}/speakers?back=//evil.example").get_data(as_text=True)
    assert 'name="next"' not in body
    # on the item's own page the forms need no `next`
    assert 'name="next"' not in panel(client.get(f"/amendments/{w.amendment}").get_data(as_text=True))


def test_answers_match_the_openapi_description(client, world):
    from jsonschema import Draft202012Validator

    w = world
    spec = client.get("/api/v1/openapi.json").get_json()

    def conforms(path, method, status, response):
        assert response.status_code == int(status), response.get_json()
        schema = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(response.get_json())]
        assert errors == [], (path, errors)

    conforms("/api/v1/meetings/{slug}/speakers", "post", "201", ask(client, w, 1, "for"))
    sid = ask(client, w, 2, "against").get_json()["id"]
    chair(client, w, "settings", speaking_time=60)
    conforms("/api/v1/meetings/{slug}/speakers/next", "post", "200", chair(client, w, "next"))
    conforms("/api/v1/meetings/{slug}/speakers", "get", "200", client.get(speakers_url(w), headers=w.h[1]))
    conforms("/api/v1/speakers/{speaker_id}/move", "post", "200",
             client.post(f"/api/v1/speakers/{sid}/move", headers=w.h["chair"], json={"position": 1}))
    conforms("/api/v1/speakers/{speaker_id}/call", "post", "200",
             client.post(f"/api/v1/speakers/{sid}/call", headers=w.h["chair"]))
    conforms("/api/v1/meetings/{slug}/speakers/settings", "post", "200", chair(client, w, "settings", closed=True))
    conforms("/api/v1/meetings/{slug}/speakers/finish", "post", "200", chair(client, w, "finish"))
    conforms("/api/v1/meetings/{slug}/speakers/finish", "post", "409", chair(client, w, "finish"))
    conforms("/api/v1/meetings/{slug}/speakers/next", "post", "404", chair(client, w, "next", subject_id=999999))

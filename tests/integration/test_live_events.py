"""The live stream GET /api/v1/meetings/{slug}/events (server-sent events), on SQLite and PostgreSQL.

- changes made before the request are sent with `id:` and `data:` lines from ?after=0: the poll
  created, opened, its turnout (one event per batch with the current "voted" count), closed, and the
  amendment it carried;
- Last-Event-ID (or ?after=) resumes after that id; without either the stream starts at the newest;
- members only: 403 for a non-member, 401 signed out, 404 for an unknown meeting;
- an event written by another app instance (another worker process, with its own connections) or by
  a raw database connection reaches an open stream;
- on PostgreSQL, an event whose transaction took a lower id but commits later is still delivered.

EVENT_STREAM_SECONDS is 0 for most tests: one read of the feed, then the response ends.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, insert, text

from motions import create_app
from motions.extensions import db
from tests.api_helpers import assert_error, bearer, fast_hashing  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def world(app, client, factory):
    """A meeting in session: chair, three delegates present, one admitted amendment; an outsider."""
    from motions.meetings import operations

    app.config["EVENT_STREAM_SECONDS"] = 0
    slug = factory.meeting("live")
    w = SimpleNamespace(app=app, client=client, slug=slug, tokens={}, ids={})
    for key, roles in (("chair", ("chair",)), ("d1", ("delegate",)), ("d2", ("delegate",)), ("d3", ("delegate",))):
        w.ids[key] = factory.person(slug, *roles, email=f"{key}@live.org", name=key.title())
        w.tokens[key] = factory.token(f"{key}@live.org")
    other = factory.meeting("elsewhere")
    factory.person(other, "delegate", "chair", email="outsider@live.org")
    w.tokens["outsider"] = factory.token("outsider@live.org")
    doc = factory.document(slug, "# Aims\n\nWe fight for all workers.\n", state="open")
    w.amendment = factory.amendment(doc, w.ids["d1"], replace=("workers", "working people"), status="admitted")
    with app.app_context():
        meeting = operations.get_meeting(slug)
        operations.set_meeting_state(meeting, "in_session")
        for key in ("d1", "d2", "d3"):
            operations.set_attendance(meeting, operations.get_membership(meeting, w.ids[key]), True)
        w.meeting_id = meeting.id
        db.session.remove()
    return w


def post(world, path: str, who: str, body=None, client=None, status: int = 200) -> dict:
    response = (client or world.client).post(path, json=body, headers=bearer(world.tokens[who]))
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def a_poll_decides_the_amendment(world, client=None) -> int:
    """Create and open a poll on the amendment, two ballots, close it (the amendment is carried)."""
    poll = post(world, f"/api/v1/meetings/{world.slug}/polls", "chair",
                {"subject": {"type": "amendment", "id": world.amendment}}, client, 201)["id"]
    post(world, f"/api/v1/polls/{poll}/open", "chair", client=client)
    post(world, f"/api/v1/polls/{poll}/ballots", "d1", {"choice": "yes"}, client, 201)
    post(world, f"/api/v1/polls/{poll}/ballots", "d2", {"choice": "no"}, client, 201)
    post(world, f"/api/v1/polls/{poll}/ballots", "d3", {"choice": "yes"}, client, 201)
    post(world, f"/api/v1/polls/{poll}/close", "chair", client=client)
    return poll


def parse(body: str) -> list[tuple[int, dict]]:
    """The stream's events: (the `id:` line, the JSON of the `data:` line); checks every frame's form."""
    frames = [f for f in body.split("\n\n") if f]
    assert frames[0] == "retry: 1000"
    out = []
    for frame in frames[1:]:
        if frame.startswith(":"):  # a comment (keep-alive)
            continue
        lines = frame.split("\n")
        if len(lines) == 1 and lines[0].startswith("id: ") and lines[0][4:].isdigit():
            continue  # where the stream starts: the client's last event id, no event
        assert len(lines) == 2 and lines[0].startswith("id: ") and lines[1].startswith("data: "), frame
        out.append((int(lines[0][4:]), json.loads(lines[1][6:])))
    return out


def events(world, who: str = "d1", *, after=None, last_event_id=None) -> list[tuple[int, dict]]:
    headers = bearer(world.tokens[who])
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    response = world.client.get(f"/api/v1/meetings/{world.slug}/events", headers=headers,
                                query_string={"after": after} if after is not None else None)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    return parse(response.get_data(as_text=True))


def test_changes_made_before_are_streamed_from_after_0(world):
    poll = a_poll_decides_the_amendment(world)
    got = events(world, after=0)
    ids = [i for i, _ in got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(i == data["id"] for i, data in got)  # nothing in flight: each `id:` is the event's own
    mine = [(data["kind"], data.get("poll"), data.get("state")) for _, data in got if data.get("poll") == poll]
    assert mine == [("poll.created", poll, "draft"), ("poll.opened", poll, "open"),
                    ("poll.turnout", poll, None), ("poll.closed", poll, "closed")]
    turnout = [data for _, data in got if data["kind"] == "poll.turnout"]
    assert len(turnout) == 1 and turnout[0]["voted"] == 3  # one per batch, the count read with it
    closed = next(data for _, data in got if data["kind"] == "poll.closed")
    assert closed["outcome"] == "carried"
    changed = [data for _, data in got if data["kind"] == "amendment.changed" and data["status"] == "carried"]
    assert [(c["amendment"], c["action"]) for c in changed] == [(world.amendment, "decided")]
    assert ids.index(changed[0]["id"]) > ids.index(closed["id"])
    floor = [data for _, data in got if data["kind"] == "floor.changed"]
    assert floor[-1]["item_type"] == "poll" and floor[-1]["item_id"] == poll
    assert all(isinstance(data["at"], str) for _, data in got)


def test_last_event_id_resumes_after_that_id(world):
    poll = a_poll_decides_the_amendment(world)
    everything = events(world, after=0)
    opened = next(i for i, data in everything if data["kind"] == "poll.opened")
    later = [data["id"] for _, data in everything if data["id"] > opened]
    assert [data["id"] for _, data in events(world, last_event_id=opened)] == later
    assert [data["id"] for _, data in events(world, after=opened)] == later
    # the header wins over the query (the browser's reconnection carries both)
    assert [data["id"] for _, data in events(world, after=0, last_event_id=opened)] == later
    # without either the stream starts at the newest event: nothing old
    assert events(world) == []
    last = everything[-1][0]
    assert events(world, last_event_id=last) == []
    # the turnout of the resumed stream is still the count at the time
    assert [d["voted"] for _, d in events(world, last_event_id=opened) if d["kind"] == "poll.turnout"] == [3]
    assert poll


def test_members_only(world):
    response = world.client.get(f"/api/v1/meetings/{world.slug}/events", headers=bearer(world.tokens["outsider"]))
    assert_error(response, 403, "forbidden")
    assert_error(world.client.get(f"/api/v1/meetings/{world.slug}/events"), 401, "unauthorized")
    assert_error(world.client.get(f"/api/v1/meetings/{world.slug}/events", headers=bearer("not-a-token")), 401,
                 "invalid_token")
    assert_error(world.client.get("/api/v1/meetings/no-such/events", headers=bearer(world.tokens["d1"])), 404,
                 "not_found")
    assert events(world, "chair", after=0)  # the chair, a member without a vote, reads it


def test_a_stream_sees_what_another_worker_and_a_raw_connection_write(world):
    """An open stream (its generator read step by step) sees a ballot cast through a second app
    instance, as another worker process would, and a row written by a raw database connection."""
    poll = post(world, f"/api/v1/meetings/{world.slug}/polls", "chair",
                {"subject": {"type": "amendment", "id": world.amendment}}, status=201)["id"]
    post(world, f"/api/v1/polls/{poll}/open", "chair")
    world.app.config["EVENT_STREAM_SECONDS"] = 30
    uri = world.app.config["SQLALCHEMY_DATABASE_URI"]
    response = world.client.get(f"/api/v1/meetings/{world.slug}/events", headers=bearer(world.tokens["d2"]),
                                buffered=False)
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "another-worker"})
    raw = create_engine(uri)
    try:
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        chunks = iter(response.response)

        def next_event() -> dict:
            for chunk in chunks:  # blocks while the stream polls the feed
                chunk = chunk.decode() if isinstance(chunk, bytes) else chunk
                if chunk.startswith("id: ") and "\ndata: " in chunk:
                    return parse("retry: 1000\n\n" + chunk)[0][1]
            raise AssertionError("the stream ended")

        assert next(chunks) in ("retry: 1000\n\n", b"retry: 1000\n\n")
        # a ballot through the other instance: its own engine, pool and session
        post(world, f"/api/v1/polls/{poll}/ballots", "d1", {"choice": "yes"}, other.test_client(), 201)
        event = next_event()
        assert (event["kind"], event["poll"], event["voted"]) == ("poll.turnout", poll, 1)
        # a row written by a plain connection, outside any app
        from motions.live.models import MeetingEvent

        with raw.begin() as connection:
            connection.execute(insert(MeetingEvent.__table__).values(meeting_id=world.meeting_id, kind="test.raw",
                                                                     data={"note": "from elsewhere"}))
        event = next_event()
        assert (event["kind"], event["note"]) == ("test.raw", "from elsewhere")
    finally:
        response.close()
        raw.dispose()
        with other.app_context():
            db.engine.dispose()


@pytest.mark.postgresql_only  # SQLite has one writer at a time, so its ids commit in order
def test_an_event_that_commits_after_a_later_one_is_still_streamed_postgresql(world):
    """Two transactions: the first takes an id and commits after the second. The stream's cursor
    delivers the later id at once, and the earlier one when it commits; the `id:` the client
    would resume from does not pass the earlier id while it is in flight."""
    from motions.live import feed
    from motions.live.models import MeetingEvent

    uri = world.app.config["SQLALCHEMY_DATABASE_URI"]
    table = MeetingEvent.__table__
    engine = create_engine(uri)
    try:
        with engine.connect() as reader:
            start = feed.last_id(reader)
        cursor = feed.Cursor(world.meeting_id, start)
        slow = engine.connect()
        transaction = slow.begin()
        early = slow.execute(insert(table).values(meeting_id=world.meeting_id, kind="test.slow", data={})
                             .returning(table.c.id)).scalar()
        with engine.begin() as fast:
            late = fast.execute(insert(table).values(meeting_id=world.meeting_id, kind="test.fast", data={})
                                .returning(table.c.id)).scalar()
        assert early < late
        with engine.connect() as reader:
            assert [e["id"] for e in cursor.fetch(reader, now=0)] == [late]
            assert cursor.position == early - 1
        transaction.commit()
        slow.close()
        with engine.connect() as reader:
            assert [e["id"] for e in cursor.fetch(reader, now=1)] == [early]
            assert [e["id"] for e in cursor.fetch(reader, now=2)] == []
            assert cursor.position == late
        # the whole stream, resumed from before the slow event, delivers both
        got = parse("".join(feed.stream(engine, world.meeting_id, start, duration=0, interval=0)))
        assert [d["id"] for _, d in got] == [early, late]
        with engine.connect() as reader:
            assert reader.execute(text("SELECT count(*) FROM meeting_event WHERE kind LIKE 'test.%'")).scalar() == 2
    finally:
        engine.dispose()

"""motions.live.feed: the Cursor's gap handling and the stream's resume ids, on an in-memory SQLite
table (no app, no server). Ids are written explicitly to play out what PostgreSQL does: a
transaction that took id 2 may commit after the one that took id 3.

- an id that commits late is still delivered, exactly once;
- a gap is given up after GAP_WAIT seconds (the `now` argument), and never delivered after that;
- events of other meetings fill gaps but are not delivered;
- the `id:` a client resumes from (Last-Event-ID) never skips an event still in flight.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.pool import StaticPool

import motions.models  # noqa: F401  (every model: the event table's foreign key names the meeting table)
from motions.live import feed
from motions.live.models import MeetingEvent

EVENTS = MeetingEvent.__table__
M, OTHER = 1, 2


@pytest.fixture
def engine():
    engine = create_engine("sqlite://", poolclass=StaticPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # the meeting table is not needed here
        EVENTS.create(connection)
    yield engine
    engine.dispose()


def add(engine, event_id: int, meeting_id: int = M, kind: str = "poll.turnout", **data) -> None:
    """Commit the event with this id (as its transaction commits)."""
    with engine.begin() as connection:
        connection.execute(insert(EVENTS).values(id=event_id, meeting_id=meeting_id, kind=kind, data=data))


def fetch(engine, cursor: feed.Cursor, now: float) -> list[int]:
    with engine.connect() as connection:
        return [e["id"] for e in cursor.fetch(connection, now=now)]


def test_events_in_order_only_the_meetings_own(engine):
    add(engine, 1, poll=7)
    add(engine, 2, OTHER)
    add(engine, 3, kind="poll.closed", outcome="carried")
    cursor = feed.Cursor(M, 0)
    with engine.connect() as connection:
        events = cursor.fetch(connection, now=0)
    assert [(e["id"], e["kind"]) for e in events] == [(1, "poll.turnout"), (3, "poll.closed")]
    assert events[0]["poll"] == 7 and events[1]["outcome"] == "carried" and events[0]["at"]
    assert (cursor.floor, cursor.gaps, cursor.position) == (3, {}, 3)
    assert fetch(engine, cursor, 1) == []
    add(engine, 4)
    assert fetch(engine, cursor, 2) == [4]
    assert cursor.position == 4


def test_starting_after_an_id_skips_what_came_before(engine):
    for i in (1, 2, 3):
        add(engine, i)
    assert fetch(engine, feed.Cursor(M, 2), 0) == [3]
    assert fetch(engine, feed.Cursor(M, 3), 0) == []


def test_an_id_that_commits_late_is_delivered_once(engine):
    add(engine, 1)
    add(engine, 3)  # id 2 was taken by a transaction still in flight
    cursor = feed.Cursor(M, 0)
    assert fetch(engine, cursor, 0) == [1, 3]
    assert cursor.gaps == {2: 0} and cursor.position == 1  # resume from 1 while 2 is awaited
    assert fetch(engine, cursor, 1) == []
    add(engine, 2)  # it commits
    assert fetch(engine, cursor, 2) == [2]
    assert cursor.gaps == {} and cursor.position == 3
    assert fetch(engine, cursor, 3) == []  # 3 is not sent again, nor 2
    add(engine, 4)
    assert fetch(engine, cursor, 4) == [4]


def test_several_gaps_close_in_any_order(engine):
    add(engine, 1)
    add(engine, 4)
    cursor = feed.Cursor(M, 0)
    assert fetch(engine, cursor, 0) == [1, 4]
    assert set(cursor.gaps) == {2, 3}
    add(engine, 3)
    assert fetch(engine, cursor, 1) == [3]
    assert set(cursor.gaps) == {2} and cursor.position == 1
    add(engine, 2)
    assert fetch(engine, cursor, 2) == [2]
    assert cursor.gaps == {} and cursor.position == 4


def test_a_gap_is_given_up_after_gap_wait(engine):
    add(engine, 1)
    add(engine, 3)  # id 2 was rolled back: it never comes
    cursor = feed.Cursor(M, 0)
    assert fetch(engine, cursor, 100.0) == [1, 3]
    assert fetch(engine, cursor, 100.0 + feed.GAP_WAIT) == []
    assert cursor.gaps == {2: 100.0} and cursor.position == 1  # still waiting at exactly GAP_WAIT
    assert fetch(engine, cursor, 100.0 + feed.GAP_WAIT + 0.01) == []
    assert cursor.gaps == {} and cursor.floor == 3 and cursor.position == 3  # given up
    add(engine, 2)  # far too late: not delivered after the cursor moved past it
    assert fetch(engine, cursor, 200.0) == []
    add(engine, 5)
    assert fetch(engine, cursor, 201.0) == [5]
    assert cursor.gaps == {4: 201.0}


def test_another_meetings_late_event_closes_the_gap_without_being_delivered(engine):
    add(engine, 1)
    add(engine, 3)
    cursor = feed.Cursor(M, 0)
    assert fetch(engine, cursor, 0) == [1, 3]
    add(engine, 2, OTHER)
    assert fetch(engine, cursor, 1) == []
    assert cursor.gaps == {} and cursor.position == 3


def test_a_batch_larger_than_batch_is_read_in_several_fetches(engine, monkeypatch):
    monkeypatch.setattr(feed, "BATCH", 3)
    for i in range(1, 8):
        add(engine, i)
    cursor = feed.Cursor(M, 0)
    assert fetch(engine, cursor, 0) == [1, 2, 3]
    assert fetch(engine, cursor, 0) == [4, 5, 6]
    assert fetch(engine, cursor, 0) == [7]


# ------------------------------------------------------------------ the stream's resume ids

def frames(engine, after: int) -> list[tuple[int, dict]]:
    """One round of the stream (duration 0): (the `id:` line, the data) of each event."""
    out = []
    for chunk in feed.stream(engine, M, after, duration=0, interval=0):
        if chunk.startswith("id: ") and "\ndata: " not in chunk:  # where the stream starts
            assert chunk == f"id: {after}\n\n", chunk
        elif chunk.startswith("id: "):
            id_line, data_line = chunk.strip().split("\n")
            out.append((int(id_line[4:]), json.loads(data_line[len("data: "):])))
        else:
            assert chunk in ("retry: 1000\n\n", ": keep-alive\n\n"), chunk
    return out


def test_stream_ids_are_the_event_ids_when_nothing_is_in_flight(engine):
    for i in (1, 2, 3):
        add(engine, i, poll=i)
    got = frames(engine, 0)
    assert [(i, data["id"], data["poll"]) for i, data in got] == [(1, 1, 1), (2, 2, 2), (3, 3, 3)]
    assert frames(engine, 3) == []


def test_resuming_from_the_last_id_seen_never_loses_a_late_event(engine):
    """The browser reconnects with Last-Event-ID = the last `id:` it received. Had that been 3 while
    id 2 was still in flight, event 2 would never reach it."""
    add(engine, 1)
    add(engine, 3)
    first = frames(engine, 0)
    assert [data["id"] for _, data in first] == [1, 3]
    resume = first[-1][0]
    assert resume < 2  # the stream says: resume from before the event still in flight
    add(engine, 2)  # it commits after the stream ended
    second = frames(engine, resume)
    assert 2 in [data["id"] for _, data in second]  # delivered after all (3 may come again: data["id"] tells)
    assert second[-1][0] == 3


def test_turnout_counts_coalesce_a_batch(engine):
    add(engine, 1, poll=7)
    add(engine, 2, poll=7)
    add(engine, 3, kind="poll.closed", poll=8)
    add(engine, 4, poll=7)

    def enrich(connection, events):
        return feed.turnout_counts(connection, events)

    from motions.polls.models import Ballot

    ballot = Ballot.__table__
    with engine.begin() as connection:
        ballot.create(connection)
        connection.execute(insert(ballot), [{"poll_id": 7, "voter_id": v, "cast_by_id": v} for v in range(5)]
                           + [{"poll_id": 8, "voter_id": 1, "cast_by_id": 1}])
    cursor = feed.Cursor(M, 0)
    with engine.connect() as connection:
        events = enrich(connection, cursor.fetch(connection, now=0))
    # one turnout per poll and batch, the last, with the poll's count read after the events
    assert [(e["id"], e["kind"], e.get("voted")) for e in events] == [(3, "poll.closed", None),
                                                                       (4, "poll.turnout", 5)]


def test_an_open_gap_does_not_stall_a_busy_feed(engine):
    """While id 2 is in flight, more than a batch of later events arrive: each tick still delivers the
    new ones (the cursor never re-reads what it sent), and id 2 is delivered when it commits."""
    add(engine, 1)
    cursor = feed.Cursor(M, 0)
    assert fetch(engine, cursor, 0) == [1]
    next_id = 3
    for tick in range(3):  # three ticks of more than BATCH events each, all within GAP_WAIT
        batch = list(range(next_id, next_id + feed.BATCH + 10))
        for event_id in batch:
            add(engine, event_id)
        got = fetch(engine, cursor, 0.1 * (tick + 1))
        got += fetch(engine, cursor, 0.1 * (tick + 1) + 0.01)  # the rest of this tick's rows
        assert got == batch
        next_id = batch[-1] + 1
    assert 2 in cursor.gaps and cursor.floor == 1
    add(engine, 2)
    assert fetch(engine, cursor, 1.0) == [2]
    assert cursor.gaps == {} and cursor.floor == next_id - 1

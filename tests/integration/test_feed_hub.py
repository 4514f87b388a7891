"""motions.live.hub: one reader of the change feed per process, shared by its event streams, on
SQLite and PostgreSQL (the test database, migrated, so PostgreSQL has the NOTIFY trigger).

- many streams open in one process: every one gets every event of its meeting exactly once, in
  order, and none of another meeting; the feed is read per batch, not per stream, and no stream
  holds a database connection while it waits;
- an event committed while a stream reads its backlog is delivered once (the hub's starting
  point is taken before the backlog read);
- an id taken early but committed late reaches open streams, once;
- a stream that falls behind what the hub keeps ends, and resuming from its last `id:` loses nothing;
- PostgreSQL: an insert wakes the hub through LISTEN/NOTIFY (no polling: with the fallback read
  set to a minute, the hub does not read the feed until a notification comes); the trigger
  notifies on commit only;
- the hub stops when no stream is left, and a new stream starts it again;
- stopping the hub ends the streams waiting on it at once (the browsers reconnect), and a new
  stream starts it again.
"""
from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import create_engine, insert, text

from motions.live import feed
from motions.live.hub import Hub, stop_hub
from motions.live.models import MeetingEvent
from tests.conftest import stop_feed_hub

EVENTS = MeetingEvent.__table__


@pytest.fixture
def engine(app, factory):
    """An engine of its own on the test database (as another worker process would have), and two
    meetings' ids."""
    from motions.extensions import db
    from motions.meetings import operations

    ids = []
    for slug in ("hub-a", "hub-b"):
        factory.meeting(slug)
        with app.app_context():
            ids.append(operations.get_meeting(slug).id)
            db.session.remove()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    engine.meetings = ids
    engine.hubs = []  # the test's hubs (new_hub): stopped at its end, so none reads a dropped database
    yield engine
    for hub in engine.hubs:
        hub.stop()
    stop_hub(engine)
    engine.dispose()


def new_hub(engine, **settings) -> Hub:
    hub = Hub(engine, **settings)
    engine.hubs.append(hub)
    return hub


def publish(engine, meeting_id: int, n: int = 1, kind: str = "test.event") -> list[int]:
    """Commit n events (one transaction each) and return their ids."""
    out = []
    for i in range(n):
        with engine.begin() as connection:
            out.append(connection.execute(insert(EVENTS).values(meeting_id=meeting_id, kind=kind, data={"n": i})
                                          .returning(EVENTS.c.id)).scalar())
    return out


def frames(chunks) -> list[tuple[int, dict]]:
    out = []
    for chunk in chunks:
        if chunk.startswith("id: ") and "\ndata: " in chunk:
            id_line, data_line = chunk.strip().split("\n")
            out.append((int(id_line[4:]), json.loads(data_line[len("data: "):])))
    return out


class Listener(threading.Thread):
    """One open stream in this process, as gunicorn's thread would serve it."""

    def __init__(self, engine, hub, meeting_id, after, until, duration=20.0):
        super().__init__(daemon=True)
        self.args = (engine, meeting_id, after)
        self.hub, self.until, self.duration = hub, until, duration
        self.got: list[tuple[int, dict]] = []
        self.done = threading.Event()
        self.error = None

    def run(self):
        try:
            for chunk in feed.stream(*self.args, duration=self.duration, interval=0.05, heartbeat=1.0, hub=self.hub):
                self.got += frames([chunk])
                if self.until(self.got):
                    break
        except Exception as error:  # pragma: no cover - shown in the assertion
            self.error = error
        finally:
            self.done.set()


def newest(engine) -> int:
    with engine.connect() as connection:
        return feed.last_id(connection)


def test_many_streams_share_one_reader_and_hold_no_connection(engine):
    a, b = engine.meetings
    hub = new_hub(engine, interval=0.05, linger=0.2)
    start = newest(engine)
    expected_count = 30
    streams = [Listener(engine, hub, a, start, lambda got: len(got) >= expected_count) for _ in range(40)]
    for s in streams:
        s.start()
    deadline = time.monotonic() + 10
    while hub.subscribers < len(streams) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hub.subscribers == len(streams)
    time.sleep(0.2)  # every stream has read its (empty) backlog and waits on the hub
    assert engine.pool.checkedout() == 0  # none holds a connection while it waits
    reads_before = hub.reads
    ids = []
    for i in range(3):  # three rounds, each read as one batch or a few
        ids += publish(engine, a, 10)
        publish(engine, b, 2)  # another meeting's: never sent to these streams
        time.sleep(0.15)
    for s in streams:
        assert s.done.wait(10), "a stream did not get every event"
        assert s.error is None
        assert [d["id"] for _, d in s.got] == ids  # all of its meeting's, in order, once
        assert [i for i, _ in s.got] == ids
        assert {d["kind"] for _, d in s.got} == {"test.event"}
    reads = hub.reads - reads_before
    # 40 streams polling every 0.05 s would have read the feed hundreds of times in these ~0.5 s
    assert reads < 40, reads
    deadline = time.monotonic() + 5
    while hub.subscribers and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hub.subscribers == 0


def test_an_event_committed_during_the_backlog_read_is_delivered_once(engine, monkeypatch):
    a, _ = engine.meetings
    hub = new_hub(engine, interval=0.05, linger=0.2)
    before = publish(engine, a, 3)
    start = before[0] - 1  # the client missed three events
    real_read = feed.Cursor.read
    racing = []

    def read_then_commit(self, connection):
        rows = real_read(self, connection)
        if not racing and self.meeting_id == a:  # the stream's backlog read (no hub's, of any test):
            racing.extend(publish(engine, a, 1))  # another worker commits right after it
        return rows

    monkeypatch.setattr(feed.Cursor, "read", read_then_commit)
    listener = Listener(engine, hub, a, start, lambda got: len(got) >= 4, duration=5)
    listener.start()
    assert listener.done.wait(10)
    assert listener.error is None
    assert [d["id"] for _, d in listener.got] == before + racing


@pytest.mark.postgresql_only  # SQLite has one writer: its ids commit in order
def test_a_late_commit_reaches_open_streams_once(engine):
    a, _ = engine.meetings
    hub = new_hub(engine, interval=0.05, linger=0.2)
    start = newest(engine)
    listener = Listener(engine, hub, a, start, lambda got: len(got) >= 2, duration=8)
    listener.start()
    time.sleep(0.2)
    slow = engine.connect()
    transaction = slow.begin()
    early = slow.execute(insert(EVENTS).values(meeting_id=a, kind="test.slow", data={}).returning(EVENTS.c.id)).scalar()
    late = publish(engine, a, 1, kind="test.fast")[0]
    time.sleep(0.3)
    assert [d["id"] for _, d in listener.got] == [late]
    assert listener.got[0][0] < early  # the `id:` to resume from does not pass the one in flight
    transaction.commit()
    slow.close()
    assert listener.done.wait(10)
    assert [d["id"] for _, d in listener.got] == [late, early]
    assert listener.got[-1][0] == late


def test_a_stream_too_far_behind_ends_and_resumes_without_loss(engine):
    a, _ = engine.meetings
    hub = new_hub(engine, interval=0.05, linger=0.2, keep=2)
    start = newest(engine)
    ids = publish(engine, a, 1)
    chunks = feed.stream(engine, a, start, duration=30, interval=0.05, heartbeat=30, hub=hub)
    assert next(chunks) == "retry: 1000\n\n"
    assert next(chunks) == f"id: {start}\n\n"  # where it starts
    got = frames([next(chunks)])  # its backlog: the stream has subscribed and is now suspended
    assert [d["id"] for _, d in got] == ids
    # a second stream keeps the hub reading while the first one does not take its batches
    other = Listener(engine, hub, a, ids[-1], lambda got: len(got) >= 4, duration=10)
    other.start()
    time.sleep(0.2)
    for _ in range(4):  # four batches: more than the hub keeps
        ids += publish(engine, a, 1)
        time.sleep(0.2)
    assert other.done.wait(10) and [d["id"] for _, d in other.got] == ids[1:]
    assert hub.next_seq - hub.batches[0].seq == 2  # the first batches are gone
    got += frames(chunks)  # the lagging stream ends (within its 30 s) instead of skipping batches
    assert [d["id"] for _, d in got] == ids[:1]
    rest = frames(feed.stream(engine, a, got[-1][0], duration=0, hub=hub))  # the browser reconnects
    assert [d["id"] for _, d in got + rest] == ids


def test_the_hub_stops_with_its_last_stream_and_starts_again(engine):
    a, _ = engine.meetings
    hub = new_hub(engine, interval=0.05, linger=0.1)
    first = Listener(engine, hub, a, newest(engine), lambda got: len(got) >= 1, duration=5)
    first.start()
    time.sleep(0.2)
    ids = publish(engine, a, 1)
    assert first.done.wait(5) and [d["id"] for _, d in first.got] == ids
    deadline = time.monotonic() + 5
    while hub._thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hub._thread is None  # no stream left: the hub no longer reads the feed
    reads = hub.reads
    publish(engine, a, 1)
    time.sleep(0.3)
    assert hub.reads == reads
    second = Listener(engine, hub, a, newest(engine), lambda got: len(got) >= 1, duration=5)
    second.start()
    time.sleep(0.2)
    ids = publish(engine, a, 1)
    assert second.done.wait(5) and [d["id"] for _, d in second.got] == ids


def test_stopping_the_hub_ends_its_waiting_streams_at_once_and_a_new_stream_starts_it_again(engine):
    a, _ = engine.meetings
    hub = new_hub(engine, interval=0.05, linger=10.0)
    waiting = [Listener(engine, hub, a, newest(engine), lambda got: False, duration=60) for _ in range(3)]
    for listener in waiting:
        listener.start()
    deadline = time.monotonic() + 5
    while (hub.subscribers < 3 or hub._thread is None) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hub.subscribers == 3
    started = time.monotonic()
    hub.stop()
    for listener in waiting:  # each stream of 60 s has ended, well before its time
        assert listener.done.wait(5) and listener.error is None
    assert time.monotonic() - started < 5
    assert hub.subscribers == 0 and hub._thread is None
    again = Listener(engine, hub, a, newest(engine), lambda got: len(got) >= 1, duration=5)
    again.start()
    time.sleep(0.2)
    ids = publish(engine, a, 1)
    assert again.done.wait(5) and [d["id"] for _, d in again.got] == ids and again.error is None



def test_a_hub_stopped_for_good_ends_every_stream_even_one_that_comes_later(engine):
    """A worker's graceful stop: the streams waiting then end, and so does one that was between
    two waits (it must not start the hub again and hold its connection until the cut)."""
    a, _ = engine.meetings
    hub = new_hub(engine, interval=0.05, linger=10.0)
    waiting = Listener(engine, hub, a, newest(engine), lambda got: False, duration=60)
    waiting.start()
    deadline = time.monotonic() + 5
    while (hub.subscribers < 1 or hub._thread is None) and time.monotonic() < deadline:
        time.sleep(0.02)
    hub.stop(for_good=True)
    assert waiting.done.wait(5) and waiting.error is None
    later = Listener(engine, hub, a, newest(engine), lambda got: False, duration=60)
    later.start()
    assert later.done.wait(5) and later.error is None
    assert hub._thread is None or not hub._thread.is_alive()
    assert [d for _, d in later.got] == []  # it ended with no event, so its browser reconnects elsewhere

@pytest.mark.postgresql_only
def test_postgresql_wakes_the_hub_by_notify_on_commit_only(engine):
    a, _ = engine.meetings
    hub = new_hub(engine, interval=0.05, idle=60.0, linger=0.5)  # no fallback read within the test
    listener = Listener(engine, hub, a, newest(engine), lambda got: len(got) >= 1, duration=30)
    listener.start()
    deadline = time.monotonic() + 5
    while (hub._thread is None or hub.reads < 1) and time.monotonic() < deadline:
        time.sleep(0.02)  # the first read, at start
    time.sleep(0.5)
    reads = hub.reads
    assert reads >= 1
    with engine.begin() as connection:  # a write that is not in the feed: no notification
        connection.execute(text("SELECT 1"))
    with engine.connect() as connection:  # an event rolled back: no notification
        with connection.begin() as transaction:
            connection.execute(insert(EVENTS).values(meeting_id=a, kind="test.rolled_back", data={}))
            transaction.rollback()
    time.sleep(0.5)
    assert hub.reads == reads  # nothing woke it
    ids = publish(engine, a, 1)
    assert listener.done.wait(5)  # woken by the notification, long before its one-minute fallback
    assert [d["id"] for _, d in listener.got] == ids
    assert hub.reads == reads + 1


def test_a_stream_starts_with_a_single_pooled_connection(app, factory, tmp_path):
    """The stream gives its request's connection back before it reads where the feed is: with a
    pool of one, a stream that held one connection while asking for another would wait for itself
    (found by the load suite: 64 phones connecting at once exhausted a pool of 15 that way)."""
    from tests.api_helpers import bearer
    from tests.integration.test_fault_busy import another_app

    slug = factory.meeting("one-pool")
    factory.person(slug, "delegate", email="d@one-pool.org")
    token = factory.token("d@one-pool.org")
    single = another_app(app, tmp_path, "one-pool", pool_size=1, max_overflow=0, pool_timeout=1)
    single.config["EVENT_STREAM_SECONDS"] = 0
    response = single.test_client().get(f"/api/v1/meetings/{slug}/events", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_data(as_text=True).startswith("retry: 1000")
    stop_feed_hub(single)  # it would linger, then read a database the suite has dropped
    with single.app_context():
        from motions.extensions import db

        db.engine.dispose()

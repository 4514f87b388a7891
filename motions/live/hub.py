"""One reader of the change feed per worker process, shared by every event stream of the process.

Without it each open stream would query the feed every quarter second: 2,000 delegates' phones
would be 8,000 queries a second on an idle meeting. With it a process reads the feed once per
batch, and its streams wait on a condition variable, holding no database connection.

How a process learns of a change:

- PostgreSQL: LISTEN. A statement trigger on `meeting_event` (migration 0009) sends
  `NOTIFY motions_feed` with every insert; PostgreSQL delivers it when the transaction commits,
  to every listening process on every machine. The hub then reads the new rows at once, at most
  once every `interval` seconds (a vote storm's thousand notifications a second become four reads),
  and also every `idle` seconds without a notification, in case one was lost with a connection.
- SQLite (one machine): the hub reads the feed every `interval` seconds, while the process has
  a stream open.

The hub runs only while its process has streams open; it stops `linger` seconds after the last
one ends, and the next stream starts it again. It keeps the last `keep` batches; a stream that
falls further behind ends, and its browser reconnects and reads what it missed from the database.
The hub's own `Cursor` (all meetings) watches id gaps like a stream's, so a transaction that
commits late is delivered to every stream, once.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import NamedTuple

from sqlalchemy import select

from motions.live.feed import _EVENT, BATCH, Cursor, last_id, turnout_of, turnout_subjects

log = logging.getLogger(__name__)

CHANNEL = "motions_feed"
STREAMS_PER_INTERVAL = 1000  # above this many streams in one process, batches come less often
START_WINDOW = 200  # at start, ids this far below the newest are watched for a late commit


class Batch(NamedTuple):
    seq: int
    rows: tuple  # the feed rows (every meeting's) the hub saw for the first time, in id order
    counts: dict  # (turnout kind, poll or election id) -> voters, read after the rows, for those with turnout rows


class Lagged(Exception):
    """The stream asked for batches the hub no longer keeps."""


class Closed(Exception):
    """The hub was stopped: its waiting streams end now (the browsers reconnect) instead of at
    their time."""


class Hub:
    def __init__(self, engine, *, interval: float = 0.25, idle: float = 1.0, linger: float = 10.0,
                 keep: int = 2000):
        self.engine = engine
        self.pid = os.getpid()
        self.interval, self.idle, self.linger = max(interval, 0.05), idle, linger
        self.listening = engine.dialect.name == "postgresql"
        self.batches: deque[Batch] = deque(maxlen=keep)
        self.next_seq = 0  # the seq the next batch gets
        self.subscribers = 0
        self.reads = 0  # feed reads so far (for the tests and the benches)
        self._condition = threading.Condition()
        self._start_lock = threading.Lock()
        self._cursor: Cursor | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False  # set by stop(): waiting streams end (Closed) until a stream starts the hub again
        self._ended = False  # set by stop(for_good=True): the process is ending; no stream starts the hub again
        self._wake = threading.Event()  # set by stop(): the reader stops waiting at once

    # ------------------------------------------------------------------ for the streams

    def subscribe(self) -> int:
        """Count a stream in and return the seq of the first batch it will take. Starts the hub if it
        is not running; its starting point is read here, before the stream reads its backlog, so
        every row committed after that read reaches the stream through the hub."""
        with self._condition:
            self.subscribers += 1  # from now on a running reader does not stop
            seq = self.next_seq
            starting = self._thread is None and self._cursor is None
        if starting:  # read outside the condition: the other streams go on meanwhile
            with self._start_lock:
                if self._cursor is None:
                    with self.engine.connect() as connection:
                        cursor = self._starting_cursor(connection)
                    with self._condition:
                        self._cursor = cursor
        return seq

    def unsubscribe(self) -> None:
        with self._condition:
            self.subscribers -= 1

    def wait(self, seq: int, timeout: float) -> tuple[list[Batch], int]:
        """The batches from `seq` on (waiting up to `timeout` seconds for one), and the next seq."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._condition:
            if self._ended:
                raise Closed(seq)
            if self._thread is None or not self._thread.is_alive():  # started by the first stream that waits
                # (its starting cursor was read by subscribe(); the reader keeps it while any stream is in)
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name="motions-feed-hub", daemon=True)
                self._thread.start()
            while self.next_seq <= seq:
                if self._stopping:
                    raise Closed(seq)
                left = deadline - time.monotonic()
                if left <= 0:
                    return [], seq
                self._condition.wait(left)
            oldest = self.batches[0].seq if self.batches else self.next_seq
            if seq < oldest:
                raise Lagged(seq)
            batches, wanted = self.batches, self.next_seq - seq  # the last `wanted`: read from the right end
            return [batches[i] for i in range(len(batches) - wanted, len(batches))], self.next_seq

    # ------------------------------------------------------------------ the reader thread

    def _starting_cursor(self, connection) -> Cursor:
        """A cursor at the newest id, watching the missing ids of the last START_WINDOW for a late commit."""
        top = last_id(connection)
        floor = max(0, top - START_WINDOW)
        cursor = Cursor(None, floor)
        cursor.sent = set(connection.execute(select(_EVENT.c.id).where(_EVENT.c.id > floor)).scalars())
        cursor.fresh((), time.monotonic())  # the ids missing below the newest become gaps
        return cursor

    def _run(self) -> None:
        listener = None
        last_read = idle_since = 0.0
        failing = False
        try:
            while True:
                with self._condition:
                    if self.subscribers <= 0:
                        idle_since = idle_since or time.monotonic()
                        if time.monotonic() - idle_since >= self.linger or self._stopping:
                            self._thread = self._cursor = None  # the next stream starts afresh
                            return
                    else:
                        idle_since = 0.0
                if self.listening and listener is None:
                    listener = self._listen()  # then read at once: what came before it LISTENed
                elif self._wait(listener) is None:  # the listening connection failed: poll until it is back
                    listener = None
                since, spacing = time.monotonic() - last_read, self.spacing()
                if since < spacing:  # at most one read per interval, however many notifications
                    time.sleep(spacing - since)
                last_read = time.monotonic()
                try:
                    self._read()
                    failing = False
                except Exception as error:  # the database is away: the streams keep their heartbeats
                    log.warning("the feed could not be read; retrying every second: %s",
                                str(error).splitlines()[0] if str(error) else type(error).__name__,
                                exc_info=not failing)
                    failing = True
                    time.sleep(1.0)
        finally:
            if listener is not None:
                try:
                    listener.close()
                except Exception:  # pragma: no cover - closing a broken connection
                    pass

    def spacing(self) -> float:
        """Seconds between two reads: `interval`, longer when the process has many streams (each
        batch wakes every one of them: 2,000 in one process are woken at most twice a second)."""
        return min(1.0, self.interval * max(1.0, self.subscribers / STREAMS_PER_INTERVAL))

    def _wait(self, listener):
        """Until there may be something to read: a notification, stop(), or the timeout."""
        if self._wake.is_set():
            self._wake.clear()
            return True
        if listener is None:
            timeout = self.interval if not self.listening else min(self.idle, 1.0)
            self._wake.wait(timeout)
            self._wake.clear()
            return True if not self.listening else None
        try:
            # in slices of at most a second, so that stop() is seen soon even with a long `idle`
            deadline = time.monotonic() + self.idle
            while True:
                left = deadline - time.monotonic()
                got = left > 0 and any(True for _ in listener.notifies(timeout=min(left, 1.0), stop_after=1))
                if got or left <= 0 or self._wake.is_set():
                    break
            if got:
                for _ in listener.notifies(timeout=0):  # the rest already here: one read covers them
                    pass
            return got
        except Exception:
            log.warning("the feed's LISTEN connection failed; polling until it is back", exc_info=True)
            try:
                listener.close()
            except Exception:  # pragma: no cover
                pass
            return None

    def _listen(self):
        """A connection of its own (not from the pool) that listens on the feed's channel, or None."""
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            connection = psycopg.connect(url, autocommit=True, connect_timeout=5)
            connection.execute(f"LISTEN {CHANNEL}")
            return connection
        except Exception:
            log.warning("could not LISTEN on the feed; polling instead", exc_info=True)
            return None

    def _read(self) -> None:
        cursor = self._cursor
        rows: list = []
        with self.engine.connect() as connection:
            while True:
                got = cursor.read(connection)
                rows += cursor.fresh(got)
                if len(got) < BATCH:
                    break
            subjects = turnout_subjects(rows)
            counts = turnout_of(connection, subjects) if subjects else {}
        self.reads += 1
        if rows:
            with self._condition:
                self.batches.append(Batch(self.next_seq, tuple(rows), counts))
                self.next_seq += 1
                self._condition.notify_all()

    def stop(self, *, for_good: bool = False) -> None:
        """End the waiting streams (each returns, and its browser reconnects) and stop the reader
        thread once they are gone (tests). `for_good`: the process is ending (a worker's graceful
        stop), so a stream that waits afterwards ends at once too instead of starting the hub again."""
        with self._condition:
            self._stopping = True
            self._ended = self._ended or for_good
            self._condition.notify_all()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(5)


_hubs_lock = threading.Lock()


def hub_for(engine, interval: float = 0.25, linger: float = 10.0) -> Hub:
    """This process's hub for the engine (kept on the engine; a worker forked from a process that
    had one gets its own)."""
    with _hubs_lock:
        hub = getattr(engine, "_motions_hub", None)
        if hub is None or hub.pid != os.getpid():
            hub = Hub(engine, interval=interval, linger=linger)
            engine._motions_hub = hub
        return hub


def stop_hub(engine, *, for_good: bool = False) -> None:
    """Stop the engine's hub in this process, if a stream started one (tests, before the database
    they read goes away; a worker's graceful stop, `for_good`): its waiting streams end at once."""
    hub = getattr(engine, "_motions_hub", None)
    if hub is not None and hub.pid == os.getpid():
        hub.stop(for_good=for_good)

"""Publishing changes and reading them back, in order, from any worker process.

`publish()` adds an event to the current transaction (the caller's operation commits it with the
change). `Cursor` reads the events after the last one a client saw. Ids come from the database
(a sequence on PostgreSQL), and on PostgreSQL a transaction that took id 10 may commit after one
that took id 11; the cursor therefore reads the whole feed's ids (all meetings), remembers those
above its floor that it has seen, and keeps looking for a missing id for GAP_WAIT seconds, so a
late commit is still delivered (once); a rolled-back id is given up after that.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

from sqlalchemy import func, select

from motions.extensions import db
from motions.live.models import MeetingEvent

_EVENT = MeetingEvent.__table__
_PUBLISH = _EVENT.insert()  # built once; executed with parameters
GAP_WAIT = 5.0  # seconds an id gap is watched for a late commit (a rolled-back id never arrives)
BATCH = 500
_COLUMNS = (_EVENT.c.id, _EVENT.c.meeting_id, _EVENT.c.kind, _EVENT.c.data, _EVENT.c.at)


def publish(meeting_id: int, kind: str, data: dict | None = None) -> None:
    """Add an event to the current transaction; it is sent once the operation commits."""
    db.session.execute(_PUBLISH, {"meeting_id": meeting_id, "kind": kind, "data": data or {}})


def last_id(connection) -> int:
    """The newest event id of the whole feed: where a new client starts."""
    return connection.execute(select(func.max(_EVENT.c.id))).scalar() or 0


def as_event(row) -> dict:
    """The event a client gets for a feed row: its id, kind and time, and its data."""
    data = row.data if isinstance(row.data, dict) else json.loads(row.data or "{}")
    return {"id": row.id, "kind": row.kind, "at": row.at.isoformat() if row.at else None, **data}


class Cursor:
    """Where a client is in the feed: every event above `floor` that it has not seen yet."""

    def __init__(self, meeting_id: int | None, after: int):
        self.meeting_id = meeting_id
        self.floor = after  # every id <= floor has been sent or given up on
        self.sent: set[int] = set()  # ids above the floor already sent
        self.gaps: dict[int, float] = {}  # missing id -> when first noticed

    def fetch(self, connection, now: float | None = None) -> list[dict]:
        """Read the feed from the database: the events for this meeting not sent yet."""
        return self.take(self.read(connection), now)

    def read(self, connection) -> list:
        """The rows (every meeting's) above the highest id sent, and the open gaps below it (never the
        rows already sent again: a gap held open must not stop a busy feed at BATCH re-read rows)."""
        top = max(self.sent) if self.sent else self.floor
        rows = connection.execute(select(*_COLUMNS).where(_EVENT.c.id > top).order_by(_EVENT.c.id)
                                  .limit(BATCH)).all()
        if self.gaps:
            late = connection.execute(select(*_COLUMNS).where(_EVENT.c.id.in_(sorted(self.gaps)))).all()
            rows = [*late, *rows]
        return rows

    def take(self, rows, now: float | None = None) -> list[dict]:
        """The events for this meeting among `rows` (from the database or from a process's `Hub`)
        that were not sent yet, in id order; every meeting's ids count for the gaps."""
        return [as_event(row) for row in self.fresh(rows, now)
                if self.meeting_id is None or row.meeting_id == self.meeting_id]

    def fresh(self, rows, now: float | None = None) -> list:
        """The rows of any meeting not seen before, in id order; advances the floor and the gaps."""
        now = time.monotonic() if now is None else now
        out = []
        for row in sorted(rows, key=lambda row: row.id):
            if row.id in self.sent or row.id <= self.floor:
                continue
            self.sent.add(row.id)
            self.gaps.pop(row.id, None)
            out.append(row)
        self._advance(now)
        return out

    def _advance(self, now: float) -> None:
        if not self.sent:
            return
        top = max(self.sent)
        for missing in range(self.floor + 1, top):
            if missing not in self.sent:
                self.gaps.setdefault(missing, now)
        for missing, since in list(self.gaps.items()):
            if now - since > GAP_WAIT:  # rolled back, or committed long ago and already missed: give up
                del self.gaps[missing]
                self.sent.add(missing)
        while self.floor + 1 in self.sent:
            self.floor += 1
            self.sent.discard(self.floor)

    @property
    def position(self) -> int:
        """The id to resume from (Last-Event-ID): the floor while gaps are open, else the highest sent."""
        return self.floor if self.gaps else max(self.sent | {self.floor})


def sse(event: dict, resume: int | None = None) -> str:
    """One server-sent event: `id:` for resuming (`resume`, by default the event's id), `data:` the JSON
    (its `kind` says what changed, its `id` which event it is)."""
    resume = event["id"] if resume is None else resume
    return f"id: {resume}\ndata: {json.dumps(event, ensure_ascii=False, separators=(',', ':'))}\n\n"


def stream(engine, meeting_id: int, after: int, *, duration: float = 30.0, interval: float = 0.25,
           heartbeat: float = 15.0, turnout: bool = False, hub=None, linger: float = 10.0) -> Iterator[str]:
    """The event stream of one client; ends after `duration` (the browser reconnects with Last-Event-ID).

    What the client missed (the events after `after`) is read from the database once; after that
    the stream waits on its process's `Hub`, which reads the feed once for every stream of the
    process, and holds no database connection while it waits. `turnout`: coalesce each batch's
    `poll.turnout` events into one per poll with the poll's count (`voted`). `linger`: how long the
    process's hub goes on reading the feed after its last stream ended."""
    from motions.live.hub import Closed, Lagged, hub_for

    hub = hub if hub is not None else hub_for(engine, interval, linger)
    cursor = Cursor(meeting_id, after)
    yield "retry: 1000\n\n"
    # where this stream starts, as the client's last event id: a client that ends up with no event
    # before the stream ends reconnects from here, not from the newest event then (which would skip
    # what happened in between; EventSource keeps an `id:` even from a message without data)
    yield f"id: {after}\n\n"
    started = last_beat = time.monotonic()
    mark = hub.subscribe()  # before the catch-up read: nothing committed after it is missed
    try:
        events = []
        with engine.connect() as connection:
            while True:  # the backlog, BATCH rows at a time
                rows = cursor.read(connection)
                events += cursor.take(rows)
                if len(rows) < BATCH:
                    break
            if events and turnout:
                events = turnout_counts(connection, events)
        top = after  # the highest id sent to this client (or that it had)
        while True:
            for event in events:
                # the browser resumes from the last `id:` it got: never past an event still in flight,
                # nor past one of this batch not sent yet; a late event resumes after those sent before it
                top = max(top, event["id"])
                yield sse(event, min(top, cursor.position))
            now = time.monotonic()
            if events:
                last_beat = now
            elif now - last_beat >= heartbeat:
                last_beat = now
                yield ": keep-alive\n\n"
            if now - started >= duration:
                return
            try:
                batches, mark = hub.wait(mark, min(duration - (now - started), heartbeat - (now - last_beat)))
            except Lagged:  # this client fell too far behind the process's feed: it reconnects and reads
                return      # what it missed from the database
            except Closed:  # the hub was stopped: the client reconnects (from its last id)
                return
            events = []
            for batch in batches:
                fresh = cursor.take(batch.rows)
                events += coalesce_turnout(fresh, batch.counts) if turnout and fresh else fresh
            if not batches:
                cursor.take(())  # gaps held open too long are given up
    finally:
        hub.unsubscribe()


# Turnout events, coalesced per subject: each turnout kind and the key naming its subject. Counts
# are keyed by (kind, subject id).
TURNOUT_KINDS = {"poll.turnout": "poll", "election.turnout": "election"}


def _voter_table(kind: str):
    if kind == "poll.turnout":
        from motions.polls.models import Ballot

        return Ballot.__table__.c.poll_id
    from motions.elections.models import ElectionVoter

    return ElectionVoter.__table__.c.election_id


def poll_counts(connection, poll_ids) -> dict[int, int]:
    """The number of ballots in each of these polls, now."""
    return {ident: n for (_kind, ident), n in turnout_of(connection, [("poll.turnout", p) for p in poll_ids]).items()}


def turnout_of(connection, subjects) -> dict[tuple[str, int], int]:
    """How many have voted, now, in each (turnout kind, subject id): polls' ballots, elections' voters."""
    out: dict[tuple[str, int], int] = {}
    for kind in TURNOUT_KINDS:
        ids = sorted({ident for k, ident in subjects if k == kind and isinstance(ident, int)})
        if not ids:
            continue
        column = _voter_table(kind)
        for ident, n in connection.execute(select(column, func.count()).where(column.in_(ids)).group_by(column)):
            out[(kind, ident)] = n
        for ident in ids:
            out.setdefault((kind, ident), 0)
    return out


def turnout_subjects(events) -> list[tuple[str, int]]:
    """The (turnout kind, subject id) of the turnout events among `events` (dicts or feed rows)."""
    found = []
    for event in events:
        kind = event["kind"] if isinstance(event, dict) else event.kind
        key = TURNOUT_KINDS.get(kind)
        if key is None:
            continue
        data = event if isinstance(event, dict) else (event.data if isinstance(event.data, dict) else {})
        if data.get(key) is not None:
            found.append((kind, data[key]))
    return found


def coalesce_turnout(events: list[dict], counts: dict) -> list[dict]:
    """One turnout event per poll or election, the last, with its count from `counts` (keyed by
    (kind, id), read after the events, so it includes every ballot they announce); other events as
    they are."""
    last: dict[tuple[str, int], dict] = {}
    for event in events:
        key = TURNOUT_KINDS.get(event["kind"])
        if key is not None:
            last[(event["kind"], event.get(key))] = event
    if not last:
        return events
    out = []
    for event in events:
        key = TURNOUT_KINDS.get(event["kind"])
        if key is None:
            out.append(event)
        elif last[(event["kind"], event.get(key))] is event:
            out.append({**event, "voted": counts.get((event["kind"], event.get(key)), 0)})
    return out


def turnout_counts(connection, events: list[dict]) -> list[dict]:
    """Coalesce a batch's turnout events, with each count read now from the database."""
    subjects = turnout_subjects(events)
    return coalesce_turnout(events, turnout_of(connection, subjects)) if subjects else events

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


def publish(meeting_id: int, kind: str, data: dict | None = None) -> None:
    """Add an event to the current transaction; it is sent once the operation commits."""
    db.session.execute(_PUBLISH, {"meeting_id": meeting_id, "kind": kind, "data": data or {}})


def last_id(connection) -> int:
    """The newest event id of the whole feed: where a new client starts."""
    return connection.execute(select(func.max(_EVENT.c.id))).scalar() or 0


class Cursor:
    """Where a client is in the feed: every event above `floor` that it has not seen yet."""

    def __init__(self, meeting_id: int, after: int):
        self.meeting_id = meeting_id
        self.floor = after  # every id <= floor has been sent or given up on
        self.sent: set[int] = set()  # ids above the floor already sent
        self.gaps: dict[int, float] = {}  # missing id -> when first noticed

    def fetch(self, connection, now: float | None = None) -> list[dict]:
        now = time.monotonic() if now is None else now
        columns = (_EVENT.c.id, _EVENT.c.meeting_id, _EVENT.c.kind, _EVENT.c.data, _EVENT.c.at)
        # the rows above the highest id sent, and the open gaps below it (never the rows already
        # sent again: a gap held open must not stop a busy feed at BATCH re-read rows)
        top = max(self.sent) if self.sent else self.floor
        rows = connection.execute(select(*columns).where(_EVENT.c.id > top).order_by(_EVENT.c.id)
                                  .limit(BATCH)).all()
        if self.gaps:
            late = connection.execute(select(*columns).where(_EVENT.c.id.in_(sorted(self.gaps)))).all()
            rows = sorted([*late, *rows], key=lambda row: row.id)
        fresh = []
        for row in rows:  # every meeting's rows, so that a missing id is a transaction still in flight
            if row.id in self.sent:
                continue
            self.sent.add(row.id)
            self.gaps.pop(row.id, None)
            if row.meeting_id != self.meeting_id:
                continue
            data = row.data if isinstance(row.data, dict) else json.loads(row.data or "{}")
            fresh.append({"id": row.id, "kind": row.kind, "at": row.at.isoformat() if row.at else None, **data})
        self._advance(now)
        return fresh

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
           heartbeat: float = 15.0, enrich=None) -> Iterator[str]:
    """The event stream of one client: polls the feed every `interval` seconds, each time on a pooled
    connection held only for the query; ends after `duration` (the browser reconnects with
    Last-Event-ID). `enrich(connection, events)` may rewrite a batch (turnout counts, say)."""
    cursor = Cursor(meeting_id, after)
    yield "retry: 1000\n\n"
    started = last_beat = time.monotonic()
    while True:
        with engine.connect() as connection:
            events = cursor.fetch(connection)
            if events and enrich is not None:
                events = enrich(connection, events)
        for event in events:
            # the browser resumes from the last `id:` it got: never past an event still in flight
            yield sse(event, min(event["id"], cursor.position))
        now = time.monotonic()
        if events:
            last_beat = now
        elif now - last_beat >= heartbeat:
            last_beat = now
            yield ": keep-alive\n\n"
        if now - started >= duration:
            return
        time.sleep(interval)


def turnout_counts(connection, events: list[dict]) -> list[dict]:
    """Coalesce a batch's turnout events: one per poll, the last, with the poll's current count
    (read after the events, so it includes every ballot they announce)."""
    from motions.polls.models import Ballot

    table = Ballot.__table__
    last: dict[int, dict] = {}
    for event in events:
        if event["kind"] == "poll.turnout":
            last[event["poll"]] = event
    if not last:
        return events
    counts = dict(connection.execute(
        select(table.c.poll_id, func.count()).where(table.c.poll_id.in_(list(last))).group_by(table.c.poll_id)).all())
    out = []
    for event in events:
        if event["kind"] != "poll.turnout":
            out.append(event)
        elif last[event["poll"]] is event:
            out.append({**event, "voted": counts.get(event["poll"], 0)})
    return out

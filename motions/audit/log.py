"""Appending to the audit log and checking it.

`append()` adds an entry to the current transaction and never commits: the operation that
changes the state commits the change and its entry together (or rolls both back).

How appends to one meeting stay one chain, however many requests run at once: append flushes
the state change first, then claims the next number by updating the meeting's `audit_head` row
(`UPDATE ... SET seq = seq + 1 ... RETURNING seq, hash`). On PostgreSQL that row lock is held
until the transaction ends, so the next append to the meeting waits and then reads the new head;
on SQLite the first write of a transaction takes the database's write lock. The head is the last
lock a transaction takes (after the rows of the state change), and after it only new rows are
written, so an appending transaction never waits for a row while holding the head: no deadlocks.
UNIQUE(meeting_id, seq) is the last line of defence.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from motions.audit import chain
from motions.audit.chain import Problem
from motions.audit.models import AuditEntry, AuditHead
from motions.auth.models import utcnow
from motions.extensions import db

_HEAD = AuditHead.__table__
_ENTRY = AuditEntry.__table__
_COLUMNS = [_ENTRY.c[name] for name in (*chain.HASHED, "hash")]


def _claim(meeting_id: int):
    """Take the meeting's head (locking it) and move it on by one: (the new seq, the previous hash)."""
    claim = (update(_HEAD).where(_HEAD.c.meeting_id == meeting_id).values(seq=_HEAD.c.seq + 1)
             .returning(_HEAD.c.seq, _HEAD.c.hash))
    row = db.session.execute(claim).first()
    if row is None:  # the meeting's first entry: make its head, then claim it
        _create_head(meeting_id)
        row = db.session.execute(claim).one()
    return row


def _create_head(meeting_id: int) -> None:
    """The head of a chain that has none yet: empty, or (should the row have been lost) the last entry
    stored. Two first appends at once: one insert wins, the other does nothing and then waits for it."""
    last = db.session.execute(
        select(_ENTRY.c.seq, _ENTRY.c.hash).where(_ENTRY.c.meeting_id == meeting_id)
        .order_by(_ENTRY.c.seq.desc()).limit(1)
    ).first()
    values = {"meeting_id": meeting_id, "seq": last.seq if last else 0, "hash": last.hash if last else chain.GENESIS}
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:  # pragma: no cover - the project runs on SQLite and PostgreSQL
        db.session.execute(insert(_HEAD).values(**values))
        return
    db.session.execute(upsert(_HEAD).values(**values).on_conflict_do_nothing(index_elements=["meeting_id"]))


def append(meeting_id: int, actor, action: str, subject_type: str, subject_id: int | None,
           data: dict | None = None) -> AuditEntry:
    """Add an entry to the meeting's log in the current transaction (the caller commits).

    actor: the Person who did it, or None (the command line, the demo). data: what changed, a JSON
    object, e.g. {"from": "submitted", "to": "admitted", "number": "A3"}."""
    data = chain.normalise_data(data)
    db.session.flush()  # the state change's rows first; the head is the last lock taken
    seq, prev_hash = _claim(meeting_id)
    fields = chain.link({"seq": seq - 1, "hash": prev_hash}, meeting_id=meeting_id, at=utcnow(),
                        actor_id=actor.id if actor is not None else None,
                        actor_name=actor.name if actor is not None else "", action=action,
                        subject_type=subject_type, subject_id=subject_id, data=data)
    assert fields["seq"] == seq
    db.session.execute(update(_HEAD).where(_HEAD.c.meeting_id == meeting_id).values(hash=fields["hash"]))
    entry = AuditEntry(**fields)
    db.session.add(entry)
    return entry


# ---------------------------------------------------------------- reading

def entries(meeting_id: int, *, after: int | None = None, before: int | None = None,
            limit: int | None = None, newest_first: bool = False) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.meeting_id == meeting_id)
    if after is not None:
        query = query.where(AuditEntry.seq > after)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    query = query.order_by(AuditEntry.seq.desc() if newest_first else AuditEntry.seq)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def count(meeting_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(_ENTRY).where(_ENTRY.c.meeting_id == meeting_id)).scalar_one()


# ---------------------------------------------------------------- checking

@dataclass
class Report:
    entries: int = 0
    meetings: int = 0
    problems: list[Problem] = field(default_factory=list)
    slugs: dict[int, str] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return not self.problems


def _head(meeting_id: int):
    return db.session.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.meeting_id == meeting_id)).first()


def _rows(meeting_id: int) -> Iterator[dict]:
    result = db.session.execute(
        select(*_COLUMNS).where(_ENTRY.c.meeting_id == meeting_id).order_by(_ENTRY.c.seq),
        execution_options={"yield_per": 1000})
    for row in result:
        yield dict(row._mapping)


def verify_report(meeting_id: int | None = None) -> Report:
    """Recompute every hash and link of every meeting's log (or one meeting's), in seq order."""
    from motions.meetings.models import Meeting

    ids = set(db.session.execute(select(_HEAD.c.meeting_id)).scalars())
    ids |= set(db.session.execute(select(_ENTRY.c.meeting_id).distinct()).scalars())
    if meeting_id is not None:
        ids = {meeting_id}
    report = Report(slugs={row.id: row.slug for row in db.session.execute(
        select(Meeting.id, Meeting.slug).where(Meeting.id.in_(ids)))})
    for mid in sorted(ids):
        head = _head(mid)  # the head before the entries: every entry up to it is committed and readable
        seen = 0

        def counted(rows):
            nonlocal seen
            for row in rows:
                seen += 1
                yield row

        rows = counted(_rows(mid))
        problem = chain.verify_chain(rows, head._asdict() if head is not None else None)
        for _row in rows:  # count the rest
            pass
        if problem is None and head is None and seen and _head(mid) is None:
            problem = Problem(chain.NO_HEAD, seen)
        if seen or head is not None or meeting_id is not None:
            report.meetings += 1
        report.entries += seen
        if problem is not None:
            report.problems.append(problem.with_meeting(mid))
    return report


def verify(meeting_id: int | None = None) -> list[Problem]:
    """The first break of each meeting's chain; empty when every chain is intact."""
    return verify_report(meeting_id).problems


def describe(problem: Problem) -> str:
    """What is wrong, in a sentence for people: "entry 17: hash does not match its content"."""
    if problem.kind == chain.HASH:
        return _("entry %(seq)d: hash does not match its content", seq=problem.seq)
    if problem.kind == chain.PREV:
        if problem.previous is None:
            return _("entry %(seq)d: previous hash is not the start of the chain", seq=problem.seq)
        return _("entry %(seq)d: previous hash does not match entry %(previous)d", seq=problem.seq,
                 previous=problem.previous)
    if problem.kind == chain.MISSING:
        if problem.last is None or problem.last == problem.seq:
            return _("entry %(seq)d missing", seq=problem.seq)
        return _("entries %(first)d–%(last)d missing", first=problem.seq, last=problem.last)
    if problem.kind == chain.ORDER:
        if problem.previous is None:
            return _("entry %(seq)d: the entries do not start at 1", seq=problem.seq)
        return _("entry %(seq)d comes after entry %(previous)d: numbers repeated or out of order",
                 seq=problem.seq, previous=problem.previous)
    if problem.kind == chain.HEAD:
        return _("entry %(seq)d does not match the chain head (the last entry written)", seq=problem.seq)
    if problem.kind == chain.NO_HEAD:
        return _("entries 1–%(seq)d but no chain head", seq=problem.seq)
    return problem.kind  # pragma: no cover

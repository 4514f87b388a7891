"""The audit log: one hash-chained list of entries per meeting, and the head of each chain.

An entry is never changed or deleted by the application. Its foreign keys are chosen so that
nothing changes an entry behind the log's back either:

- `meeting_id` refuses (RESTRICT) the deletion of a meeting that has an audit log: the log must
  not vanish with the meeting (and CASCADE or SET NULL would rewrite hashed content). Deleting
  such a meeting means archiving and deleting its log first, deliberately.
- `actor_id` is the person's id as it was, not a foreign key: the hash covers it, so a
  `SET NULL` on deleting the person would break the chain. `actor_name` keeps who it was.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from motions.auth.models import utcnow
from motions.extensions import db


class AuditEntry(db.Model):
    """Who did what, when, in one meeting; `hash` covers the content and `prev_hash` (see chain.py)."""

    __tablename__ = "audit_entry"
    __table_args__ = (UniqueConstraint("meeting_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="RESTRICT"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... per meeting, without gaps
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # the person's id (not a foreign key: see above)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(40))  # amendment.admitted, attendance.changed, meeting.state ...
    subject_type: Mapped[str] = mapped_column(String(30))  # amendment, person, meeting, document ...
    subject_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # what changed: {"from": ..., "to": ..., ...}
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in (
            "meeting_id", "seq", "at", "actor_id", "actor_name", "action", "subject_type", "subject_id", "data",
            "prev_hash", "hash")}


class AuditHead(db.Model):
    """The last entry of a meeting's chain. Appending updates this row first, which serialises
    appends to one meeting (a row lock on PostgreSQL, the write lock on SQLite): the chain cannot fork."""

    __tablename__ = "audit_head"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="RESTRICT"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))

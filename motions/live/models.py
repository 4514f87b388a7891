"""The meeting's change feed: one row per change, read by every worker's event streams.

Operations add an event in the transaction of the change (`live.publish`), so a change and its
event are stored together or not at all, and a stream in any worker process sees it by reading
rows with an id above the last one it sent. Nothing lives only in one process's memory.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from motions.auth.models import utcnow
from motions.extensions import db


class MeetingEvent(db.Model):
    __tablename__ = "meeting_event"
    __table_args__ = (Index("ix_meeting_event_meeting_id_id", "meeting_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))  # poll.opened, poll.turnout, speakers.changed ...
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

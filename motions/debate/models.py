"""Debate: speakers lists (per amendment, document or the meeting's general business) and comments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motions.auth.models import Person, utcnow
from motions.extensions import db

SUBJECTS = ("amendment", "document", "meeting")
SIDES = ("for", "against", "neutral", "point_of_order")
SPEAKER_STATES = ("waiting", "speaking", "spoken", "removed")


class SpeakersList(db.Model):
    """The queue of speakers on one item: an amendment, a document, or the meeting itself."""

    __tablename__ = "speakers_list"
    __table_args__ = (UniqueConstraint("meeting_id", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))  # amendment, document, meeting
    subject_id: Mapped[int] = mapped_column(Integer)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)  # no new requests
    speaking_time: Mapped[int | None] = mapped_column(Integer)  # seconds per speaker; None: no limit
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    speakers = relationship("Speaker", cascade="all, delete-orphan", order_by="Speaker.position",
                            back_populates="speakers_list")


class Speaker(db.Model):
    """A request to speak: waiting in the queue, speaking now, spoken, or removed by the chair."""

    __tablename__ = "speaker"
    __table_args__ = (
        # one waiting request per person per list, enforced by the database
        Index("uq_speaker_waiting", "list_id", "person_id", unique=True,
              sqlite_where=text("state = 'waiting'"), postgresql_where=text("state = 'waiting'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("speakers_list.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(20), default="neutral")  # for, against, neutral, point_of_order
    state: Mapped[str] = mapped_column(String(20), default="waiting")  # waiting, speaking, spoken, removed
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the queue
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    speakers_list = relationship("SpeakersList", back_populates="speakers")
    person: Mapped[Person] = relationship()


class Comment(db.Model):
    """A contribution to the written discussion of an amendment or a document; replies nest."""

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))  # amendment, document
    subject_id: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])


Index("ix_comment_subject", Comment.meeting_id, Comment.subject_type, Comment.subject_id)

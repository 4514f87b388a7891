"""Amendments: a proposed change to one clause of a document, tracked as a word-level diff.

An amendment keeps the version of the document it was written against (`base_version`), the
full new text of the clause, the diff-match-patch patch against the clause at that version, and
the word-level diff (`ops`) with the changed character ranges, so that lists, summaries and
collision checks never recompute a diff.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motions.auth.models import Person, utcnow
from motions.extensions import db
from motions.states import StateMachine, allow


class AmendmentKind(str, enum.Enum):
    modify = "modify"  # text is the clause's new full text
    insert_after = "insert_after"  # text is a new clause placed after clause_id (None: at the start)
    delete = "delete"  # the clause is struck out


class AmendmentStatus(StateMachine):
    submitted = "submitted"  # proposed; collecting seconders; the mover may revise it
    admitted = "admitted"  # in order: it will be debated and decided
    ruled_out = "ruled_out"  # out of order (the chair's ruling gives the reason)
    withdrawn = "withdrawn"  # by its mover
    composited = "composited"  # merged with others into a composite amendment
    carried = "carried"
    lost = "lost"
    fallen = "fallen"  # no longer possible after another amendment was carried
    remitted = "remitted"  # referred to a body to deal with later


# still to be decided: these take part in collisions and in the order of business
PENDING = frozenset({AmendmentStatus.submitted, AmendmentStatus.admitted})
DECIDED = (AmendmentStatus.carried, AmendmentStatus.lost, AmendmentStatus.fallen, AmendmentStatus.remitted)

allow(AmendmentStatus, "amendment", {
    AmendmentStatus.submitted: {AmendmentStatus.admitted, AmendmentStatus.ruled_out, AmendmentStatus.withdrawn,
                                AmendmentStatus.composited, AmendmentStatus.fallen},
    AmendmentStatus.admitted: {AmendmentStatus.ruled_out, AmendmentStatus.withdrawn, AmendmentStatus.composited,
                               *DECIDED},
    AmendmentStatus.ruled_out: set(),
    AmendmentStatus.withdrawn: set(),
    AmendmentStatus.composited: set(),
    AmendmentStatus.carried: set(),
    AmendmentStatus.lost: set(),
    AmendmentStatus.fallen: set(),
    AmendmentStatus.remitted: set(),
})


class Amendment(db.Model):
    __tablename__ = "amendment"
    # one clause's amendments (the document page's toggle, collisions, the preview): without it
    # SQLite reads every amendment of the document through ix_amendment_document_id
    __table_args__ = (UniqueConstraint("document_id", "number"),
                      Index("ix_amendment_document_clause", "document_id", "clause_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    # the clause amended, or (insert_after) the clause the new one follows; None: insert at the start
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AmendmentKind] = mapped_column(Enum(AmendmentKind, native_enum=False, length=20))
    status: Mapped[AmendmentStatus] = mapped_column(
        Enum(AmendmentStatus, native_enum=False, length=20), default=AmendmentStatus.submitted, index=True
    )
    number: Mapped[str] = mapped_column(String(40))  # display label: A3 or L34-1
    sequence: Mapped[int] = mapped_column(Integer)  # the n of An; the k of Lline-k
    title: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    mover_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    base_version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")  # the clause's new full text ("" for delete)
    patch: Mapped[str] = mapped_column(Text, default="")  # diff-match-patch patch text against the base clause
    ops: Mapped[list] = mapped_column(JSON, default=list)  # [[op, text], ...] word-level, against the base
    ranges: Mapped[list] = mapped_column(JSON, default=list)  # [[start, end], ...] changed, in the base clause
    first_line: Mapped[int] = mapped_column(Integer)  # lines of the base version the change touches
    last_line: Mapped[int] = mapped_column(Integer)
    applies_cleanly: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    ruling: Mapped[str] = mapped_column(Text, default="")  # the chair's reason when ruled out
    composite_id: Mapped[int | None] = mapped_column(ForeignKey("amendment.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    mover: Mapped[Person | None] = relationship(foreign_keys=[mover_id])
    seconds = relationship("Seconding", cascade="all, delete-orphan", order_by="Seconding.created_at",
                           back_populates="amendment")
    events = relationship("AmendmentEvent", cascade="all, delete-orphan", order_by="AmendmentEvent.id",
                          back_populates="amendment")
    revisions = relationship("AmendmentRevision", cascade="all, delete-orphan",
                             order_by="AmendmentRevision.revision", back_populates="amendment")
    composite = relationship("Amendment", remote_side=[id], foreign_keys=[composite_id], back_populates="originals")
    originals = relationship("Amendment", foreign_keys=[composite_id], back_populates="composite",
                             order_by="Amendment.id")

    @property
    def seconders(self) -> list[Person]:
        return [s.person for s in self.seconds]


class Seconding(db.Model):
    """A delegate's support for an amendment; the primary key makes a second seconding impossible."""

    __tablename__ = "seconding"

    amendment_id: Mapped[int] = mapped_column(ForeignKey("amendment.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    amendment = relationship("Amendment", back_populates="seconds")
    person: Mapped[Person] = relationship(lazy="joined")


class AmendmentRevision(db.Model):
    """An earlier wording of an amendment, kept when the mover revises it."""

    __tablename__ = "amendment_revision"
    __table_args__ = (UniqueConstraint("amendment_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amendment_id: Mapped[int] = mapped_column(ForeignKey("amendment.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    base_version: Mapped[int] = mapped_column(Integer)
    ops: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    amendment = relationship("Amendment", back_populates="revisions")


class AmendmentEvent(db.Model):
    """One line of an amendment's history: who did what, when, from which status to which."""

    __tablename__ = "amendment_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amendment_id: Mapped[int] = mapped_column(ForeignKey("amendment.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))  # submitted, seconded, revised, admitted, ruled_out, ...
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    amendment = relationship("Amendment", back_populates="events")
    person: Mapped[Person | None] = relationship()

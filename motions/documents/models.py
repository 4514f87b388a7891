from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motions.auth.models import utcnow
from motions.extensions import db
from motions.meetings.models import Meeting
from motions.states import StateMachine, allow


class DocumentState(StateMachine):
    draft = "draft"  # the secretary prepares the text: split, join, edit, reorder clauses
    open = "open"  # open for amendments
    closed = "closed"  # amendments closed, being debated and voted
    final = "final"  # adopted and locked



allow(DocumentState, "document", {
    DocumentState.draft: {DocumentState.open},
    DocumentState.open: {DocumentState.closed},
    DocumentState.closed: {DocumentState.open, DocumentState.final},
    DocumentState.final: set(),
})


class DocumentKind(str, enum.Enum):
    platform = "platform"
    motion = "motion"


class Document(db.Model):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[DocumentKind] = mapped_column(Enum(DocumentKind, native_enum=False, length=20))
    state: Mapped[DocumentState] = mapped_column(
        Enum(DocumentState, native_enum=False, length=20), default=DocumentState.draft
    )
    format: Mapped[str] = mapped_column(String(20), default="markdown")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # SHA-256 (hex) of the adopted text, set when the document becomes final (it is locked then)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # with the document, in its query: every page of a document or an amendment asks for the meeting
    meeting: Mapped[Meeting] = relationship(back_populates="documents", lazy="joined")
    versions = relationship(
        "DocumentVersion", back_populates="document", cascade="all, delete-orphan",
        order_by="DocumentVersion.number",
    )

    def version(self, number: int | None = None) -> "DocumentVersion | None":
        number = self.current_version if number is None else number
        return db.session.execute(
            db.select(DocumentVersion).filter_by(document_id=self.id, number=number)
        ).scalar_one_or_none()


class DocumentVersion(db.Model):
    """One state of a document's text. Version 1 is the imported draft; later issues add a
    version for every carried amendment. Line numbers are fixed per version (line_width is
    kept with it), so they never drift when a setting changes later."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300), default="")
    # the amendment whose carrying made this version (None: imported, or edited as a draft)
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("amendment.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    line_width: Mapped[int] = mapped_column(Integer, default=80)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    clause_texts = relationship(
        "ClauseText", back_populates="version", cascade="all, delete-orphan",
        order_by="ClauseText.position",
    )

    def text(self) -> str:
        return "".join(ct.source + ct.separator for ct in self.clause_texts)


class Clause(db.Model):
    """A clause's identity: it keeps its id across versions while its number and text change."""

    __tablename__ = "clause"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClauseText(db.Model):
    """A clause as it stands in one version: its place, number, text and line numbers."""

    __tablename__ = "clause_text"
    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        UniqueConstraint("version_id", "clause_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_version.id", ondelete="CASCADE"), index=True
    )
    clause_id: Mapped[int] = mapped_column(ForeignKey("clause.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # heading | paragraph | item
    level: Mapped[int] = mapped_column(Integer, default=0)
    marker: Mapped[str] = mapped_column(String(20), default="")
    number: Mapped[str] = mapped_column(String(40))
    heading: Mapped[str | None] = mapped_column(Text)  # the heading of the section it sits in
    text: Mapped[str] = mapped_column(Text)  # clean text, what delegates read and amend
    source: Mapped[str] = mapped_column(Text)  # exact source, markup included
    separator: Mapped[str] = mapped_column(Text, default="\n")
    first_line: Mapped[int] = mapped_column(Integer)
    last_line: Mapped[int] = mapped_column(Integer)

    version: Mapped[DocumentVersion] = relationship(back_populates="clause_texts")
    clause: Mapped[Clause] = relationship()

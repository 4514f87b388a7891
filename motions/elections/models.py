"""Elections: the seats to fill, the candidates and their nominations, who voted, and the papers.

A ballot in an election is always secret, and is stored as a secret poll's is: apart from who
voted.

- `election_voter`: that a delegate's vote was used (UNIQUE(election_id, voter_id): one ballot
  each, enforced by the database), and who pressed the button (the delegate, or the holder of
  their proxy). No preference.
- `election_paper`: the anonymous papers, each the candidates' ids in order of preference
  (approval and plurality: the candidates marked, in ballot order), with no voter, no time
  and no sequence of its own: the key is a random 62-bit number, and on SQLite that key is the
  rowid, so even the table's physical order is random. When the election closes the papers are
  grouped: one row per distinct paper with its `count`, written in the order of the papers
  themselves, so nothing stored keeps the order in which they were cast. (PostgreSQL: while the
  election is open, the hidden `xmin` column of a paper and of its voter row name the same
  transaction, for someone who can run SQL against the database; grouping at the close rewrites
  every paper and removes that link. docs/elections.md says so.)
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motions.auth.models import Person, utcnow
from motions.extensions import db
from motions.states import StateMachine, allow

METHODS = ("scottish", "meek", "approval", "plurality")
RANKED = ("scottish", "meek")


class ElectionState(StateMachine):
    draft = "draft"  # set up by the chair; the chair may enter candidates
    nominating = "nominating"  # nominations open: delegates nominate and second
    nominations_closed = "nominations_closed"  # the candidates are known; candidates may still withdraw
    open = "open"  # ballots accepted
    closed = "closed"  # counted: the result is stored
    void = "void"  # set aside by the chair with a reason (kept, not counted)


allow(ElectionState, "election", {
    ElectionState.draft: {ElectionState.nominating, ElectionState.nominations_closed, ElectionState.open,
                          ElectionState.closed, ElectionState.void},  # closed: papers imported from a BLT file
    ElectionState.nominating: {ElectionState.nominations_closed, ElectionState.void},
    ElectionState.nominations_closed: {ElectionState.nominating, ElectionState.open, ElectionState.closed,
                                       ElectionState.void},
    ElectionState.open: {ElectionState.closed, ElectionState.void},
    ElectionState.closed: {ElectionState.void},
    ElectionState.void: set(),
})


class CandidateState(StateMachine):
    nominated = "nominated"  # waiting for seconders
    standing = "standing"  # validly nominated: on the ballot
    withdrawn = "withdrawn"  # withdrew (or was withdrawn) before the ballots opened


allow(CandidateState, "candidate", {
    CandidateState.nominated: {CandidateState.standing, CandidateState.withdrawn},
    CandidateState.standing: {CandidateState.withdrawn},
    CandidateState.withdrawn: set(),
})


class Election(db.Model):
    __tablename__ = "election"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    seats: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20), default="scottish")  # one of METHODS
    state: Mapped[ElectionState] = mapped_column(
        Enum(ElectionState, native_enum=False, length=20), default=ElectionState.draft, index=True
    )
    # reserved seats: at least `reserved_seats` of the seats go to candidates of `reserved_group`
    reserved_seats: Mapped[int] = mapped_column(Integer, default=0)
    reserved_group: Mapped[str] = mapped_column(String(100), default="")
    # the end of the nomination period (None: when the chair closes nominations)
    nominations_close_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    quorum_met: Mapped[bool | None] = mapped_column(Boolean)  # as it stood when the ballots opened
    imported: Mapped[bool] = mapped_column(Boolean, default=False)  # the papers came from a BLT file
    seed: Mapped[str] = mapped_column(String(64), default="")  # the lot's seed, drawn at the count
    result: Mapped[dict | None] = mapped_column(JSON)  # once closed: the count, stage by stage
    void_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    candidates = relationship("Candidate", back_populates="election", cascade="all, delete-orphan",
                              order_by="Candidate.id")

    @property
    def ranked(self) -> bool:
        return self.method in RANKED


class Candidate(db.Model):
    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    statement: Mapped[str] = mapped_column(Text, default="")  # shown to voters
    in_group: Mapped[bool] = mapped_column(Boolean, default=False)  # of the reserved seats' group
    state: Mapped[CandidateState] = mapped_column(
        Enum(CandidateState, native_enum=False, length=20), default=CandidateState.nominated
    )
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    position: Mapped[int | None] = mapped_column(Integer)  # on the ballot paper, from 1, set when ballots open
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    election: Mapped[Election] = relationship(back_populates="candidates")
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    nominated_by: Mapped[Person | None] = relationship(foreign_keys=[nominated_by_id])
    seconders = relationship("CandidateSeconder", cascade="all, delete-orphan", order_by="CandidateSeconder.at",
                             lazy="selectin")

    @property
    def label(self) -> str:
        return f"{self.name} ({self.organisation})" if self.organisation else self.name


class CandidateSeconder(db.Model):
    __tablename__ = "candidate_seconder"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship()


class ElectionVoter(db.Model):
    """That a delegate's vote was used in an election (no preference: see election_paper)."""

    __tablename__ = "election_voter"
    __table_args__ = (UniqueConstraint("election_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))  # whose vote it is
    cast_by_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))  # voter or proxy holder
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# a random key; on SQLite an INTEGER PRIMARY KEY is the rowid (a BIGINT key would not be, and the
# rowid beside it would count the papers in the order they were cast)
PAPER_KEY = BigInteger().with_variant(Integer(), "sqlite")


class ElectionPaper(db.Model):
    """An anonymous ballot paper: candidate ids in order of preference ("12 9 15"; "" an empty
    paper), and how many identical papers the row stands for (1 while open; grouped at the close)."""

    __tablename__ = "election_paper"

    id: Mapped[int] = mapped_column(PAPER_KEY, primary_key=True, autoincrement=False)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"), index=True)
    preferences: Mapped[str] = mapped_column(Text, default="")
    count: Mapped[int] = mapped_column(Integer, default=1)

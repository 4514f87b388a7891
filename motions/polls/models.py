"""Polls, ballots, secret tallies and proxies.

How a ballot is stored depends on whether the poll is secret:

- **Named (open) poll**: one `ballot` row per vote entitlement with its choice (a roll call).
- **Secret poll**: the `ballot` row records only *that* the entitlement voted (choice NULL), and
  the choice is added to an anonymous `poll_tally` counter: (poll, choice, shard) -> headcount,
  weight. No row holds a voter and a choice together, and the tallies carry no ids, order or
  timestamps of their own. The shard (picked at random per ballot) spreads concurrent updates
  over several rows so that ballots do not queue on one counter.

Either way UNIQUE(poll_id, voter_id) allows one ballot per delegate and per proxy (the voter is
the delegate whose vote it is; `cast_by_id` is who pressed the button: the delegate or the
holder of their proxy). The ballot row, the tally and the live event are one transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motions.auth.models import Person, utcnow
from motions.extensions import db
from motions.states import StateMachine, allow

DEFAULT_OPTIONS = ["yes", "no", "abstain"]
SUBJECTS = ("amendment", "document", "none")
TALLY_SHARDS = 8


class PollState(StateMachine):
    draft = "draft"  # created, not yet open: the chair may still change it
    open = "open"  # ballots accepted
    closed = "closed"  # counted: the result is stored
    void = "void"  # set aside by the chair with a reason (kept, not counted)


allow(PollState, "poll", {
    PollState.draft: {PollState.open, PollState.closed, PollState.void},  # closed: an analog count at once
    PollState.open: {PollState.closed, PollState.void},
    PollState.closed: {PollState.void},
    PollState.void: set(),
})


class Poll(db.Model):
    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    subject_type: Mapped[str] = mapped_column(String(20), default="none")  # amendment, document, none
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("amendment.id", ondelete="SET NULL"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"), index=True)
    state: Mapped[PollState] = mapped_column(
        Enum(PollState, native_enum=False, length=20), default=PollState.draft, index=True
    )
    majority: Mapped[str] = mapped_column(String(30), default="simple")
    options: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_OPTIONS))
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    weighted: Mapped[bool] = mapped_column(Boolean, default=False)  # a card vote
    analog: Mapped[bool] = mapped_column(Boolean, default=False)  # a show of hands counted by the chair
    # opening without a quorum needs the chair's confirmation; recorded as it stood at opening
    quorum_met: Mapped[bool | None] = mapped_column(Boolean)
    result: Mapped[dict | None] = mapped_column(JSON)  # once closed: counts, base, threshold, outcome ...
    void_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def subject_id(self) -> int | None:
        return {"amendment": self.amendment_id, "document": self.document_id}.get(self.subject_type)


class Ballot(db.Model):
    """One vote entitlement used in one poll. `choice` is NULL in a secret poll (see poll_tally)."""

    __tablename__ = "ballot"
    __table_args__ = (UniqueConstraint("poll_id", "voter_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))  # whose vote it is
    cast_by_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))  # voter or proxy holder
    choice: Mapped[str | None] = mapped_column(String(100))
    weight: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    voter: Mapped[Person] = relationship(foreign_keys=[voter_id])
    cast_by: Mapped[Person] = relationship(foreign_keys=[cast_by_id])


class PollTally(db.Model):
    """An anonymous counter of a secret poll: how many ballots (and how much weight) chose an option."""

    __tablename__ = "poll_tally"

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(100), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    headcount: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[int] = mapped_column(Integer, default=0)


class Proxy(db.Model):
    """The holder casts the giver's ballot, separately from their own (set by the secretary)."""

    __tablename__ = "proxy"
    __table_args__ = (UniqueConstraint("meeting_id", "giver_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    holder_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    giver: Mapped[Person] = relationship(foreign_keys=[giver_id])
    holder: Mapped[Person] = relationship(foreign_keys=[holder_id])

from __future__ import annotations

import enum
import functools
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Integer, String, UniqueConstraint, bindparam
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motions.auth.models import Person, utcnow
from motions.extensions import db
from motions.permissions import ROLES
from motions.states import IllegalTransition, StateMachine, allow  # noqa: F401  (IllegalTransition: re-exported)


class MeetingState(StateMachine):
    preparing = "preparing"
    in_session = "in_session"
    closed = "closed"



allow(MeetingState, "meeting", {
    MeetingState.preparing: {MeetingState.in_session},
    MeetingState.in_session: {MeetingState.closed},
    MeetingState.closed: {MeetingState.in_session},
})


class Numbering(str, enum.Enum):
    sequential = "sequential"  # A1, A2 ...
    by_line = "by_line"  # L34-1 ...


class Meeting(db.Model):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[MeetingState] = mapped_column(
        Enum(MeetingState, native_enum=False, length=20), default=MeetingState.preparing
    )
    seconders_required: Mapped[int] = mapped_column(Integer, default=0)
    # "25" (a number of delegates) or "1/3" (a fraction of registered delegates); null: no quorum
    quorum: Mapped[str | None] = mapped_column(String(20))
    casting_vote: Mapped[bool] = mapped_column(Boolean, default=False)
    self_checkin: Mapped[bool] = mapped_column(Boolean, default=False)
    line_width: Mapped[int] = mapped_column(Integer, default=80)
    numbering: Mapped[Numbering] = mapped_column(
        Enum(Numbering, native_enum=False, length=20), default=Numbering.sequential
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the item on the floor, shown by the projector: an amendment, a document or a poll (None: nothing)
    item_type: Mapped[str | None] = mapped_column(String(20))
    item_id: Mapped[int | None] = mapped_column(Integer)

    memberships = relationship("Membership", back_populates="meeting", cascade="all, delete-orphan")
    documents = relationship(
        "Document", back_populates="meeting", cascade="all, delete-orphan", order_by="Document.id"
    )

    def membership_of(self, person: Person | None) -> "Membership | None":
        if person is None or not getattr(person, "id", None):
            return None
        # the roles in the same query (every request asks for them), a statement built once
        return db.session.execute(_membership_of(), {"meeting_id": self.id, "person_id": person.id}
                                  ).unique().scalar_one_or_none()


class Membership(db.Model):
    """A person's place in one meeting: roles, vote weight, presence."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    vote_weight: Mapped[int] = mapped_column(Integer, default=1)
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    present_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    meeting: Mapped[Meeting] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")
    role_rows = relationship(
        "MembershipRole", cascade="all, delete-orphan", lazy="selectin", order_by="MembershipRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return sorted((r.role for r in self.role_rows), key=ROLES.index)

    def set_roles(self, roles) -> None:
        wanted = set(roles)
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        have = {r.role for r in self.role_rows}
        for role in sorted(wanted - have, key=ROLES.index):
            self.role_rows.append(MembershipRole(role=role))


class MembershipRole(db.Model):
    __tablename__ = "membership_role"

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


@functools.cache
def _membership_of():
    """The statement of Meeting.membership_of, built once (when first used: the mappers are complete then)."""
    return (db.select(Membership)
            .where(Membership.meeting_id == bindparam("meeting_id"), Membership.person_id == bindparam("person_id"))
            .options(db.joinedload(Membership.role_rows)))

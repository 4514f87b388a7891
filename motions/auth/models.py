from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from motions.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Person(UserMixin, db.Model):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_organiser: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The generation of this person's sign-in sessions. Flask keeps a session in its signed
    # cookie, so a copy of the cookie would outlive signing out; the cookie names the generation
    # it was made in (get_id) and the user loader accepts only the current one, so signing out
    # (or a new password) ends every session of the person, copies included.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    memberships = relationship("Membership", back_populates="person", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        # werkzeug's scrypt (salted, memory-hard) -- a vetted scheme, never our own.
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.end_sessions()

    def end_sessions(self) -> None:
        """Every session cookie of this person, on every device, stops working."""
        self.session_generation = (self.session_generation or 0) + 1

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the person and the session generation."""
        return f"{self.id}.{self.session_generation or 0}"

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<Person {self.email}>"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a leaked database leaks no tokens."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    person: Mapped[Person] = relationship()

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SignInCounter(db.Model):
    """A fixed-window counter of failed sign-ins (Flask-Limiter's storage, see motions.auth.ratelimit).

    Kept in the database so that every worker process counts the same attempts. The key is the
    SHA-256 of the limit's key (which holds the email address or the client address), so the
    table holds no personal data in clear; a row is dead once `expires_at` (Unix time) is past.
    """

    __tablename__ = "sign_in_counter"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)

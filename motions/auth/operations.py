"""Signing in and API tokens."""
from __future__ import annotations

import secrets

from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

from motions.auth.models import ApiToken, Person
from motions.extensions import db


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so a wrong email takes as long as a wrong password."""
    return generate_password_hash(secrets.token_hex(8), method="scrypt")


def authenticate(email: str, password: str) -> Person | None:
    if not isinstance(email, str) or not isinstance(password, str):
        return None
    person = db.session.execute(
        db.select(Person).filter_by(email=email.strip().lower())
    ).scalar_one_or_none()
    if person is None or not person.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    return person if person.check_password(password) else None


def issue_token(person: Person) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(person_id=person.id, token_hash=ApiToken.digest(token)))
    db.session.commit()
    return token


def person_for_token(token: str) -> Person | None:
    if not token:
        return None
    # one query: the person joined to the token (this runs on every API request)
    return db.session.execute(
        db.select(Person).join(ApiToken, ApiToken.person_id == Person.id)
        .where(ApiToken.token_hash == ApiToken.digest(token))
    ).scalar_one_or_none()


_TOKEN_PERSON = (db.select(ApiToken.__table__.c.person_id)
                 .where(ApiToken.__table__.c.token_hash == db.bindparam("token_hash")))


def person_id_for_token(token: str) -> int | None:
    """The id of the token's person (one prepared statement, no object loaded: the ballot route)."""
    if not token:
        return None
    return db.session.execute(_TOKEN_PERSON, {"token_hash": ApiToken.digest(token)}).scalar()


def set_language(person: Person, language: str) -> None:
    person.language = language
    db.session.commit()


def sign_out(person: Person) -> None:
    """End every sign-in session of the person (this browser's, and any copy of its cookie)."""
    person.end_sessions()
    db.session.commit()

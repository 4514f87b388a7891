"""Shared checks for the API and CLI tests: the contract's error body, database snapshots."""
from __future__ import annotations

import re

import pytest

from motions.extensions import db

CODE = re.compile(r"^[a-z]+(?:_[a-z]+)*$")


def assert_error(response, status: int, code: str | None = None, fields: set | None = None) -> dict:
    """The contract's one error body, exactly: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert CODE.match(error["code"]), error["code"]
    message = error["message"]
    assert isinstance(message, str) and len(message.split()) >= 3 and message[0].isupper(), message
    assert message.rstrip("”\"")[-1] in ".!?", message
    assert isinstance(error["fields"], dict)
    assert all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in error["fields"].items())
    if code is not None:
        assert error["code"] == code
    if fields is not None:
        assert set(error["fields"]) == set(fields)
    return error


# Bookkeeping, not meeting data: a refused sign-in is counted there (motions.auth.ratelimit).
NOT_MEETING_DATA = {"sign_in_counter"}


def snapshot(app) -> dict:
    """Every row of every table of meeting data: bad input must leave all of it as it was."""
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            if table.name in NOT_MEETING_DATA:
                continue
            rows = db.session.execute(db.select(table)).all()
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
        db.session.remove()
        return out


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def fast_hashing(monkeypatch):
    """scrypt costs about 0.1 s a hash; tests about the API, not the hash, use a cheap one."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("motions.auth.models.generate_password_hash",
                        lambda password, method=None: generate_password_hash(password, method="pbkdf2:sha256:1000"))

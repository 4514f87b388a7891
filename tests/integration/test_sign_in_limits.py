"""Brute force on sign-in is rate-limited (Flask-Limiter over counters in the database).

Only failed attempts count; over the limit the password is not even checked (the right one is
refused too) and the answer says how long to wait; the counters are shared by every worker
process, which a second process proves here.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from motions import create_app
from tests.api_helpers import assert_error
from tests.conftest import PASSWORD, AuthActions, _config
from tests.tried import Answers, tried

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def limited_app(database_uri, tmp_path):
    """The app with small limits: 3 failures per account, 5 per address, in a minute."""
    app = create_app({**_config(database_uri), "MOTIONS_SIGN_IN_LIMIT_ACCOUNT": "3 per minute",
                      "MOTIONS_SIGN_IN_LIMIT_ADDRESS": "5 per minute"})
    app.instance_path = str(tmp_path / "instance")
    yield app
    from motions.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(db.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def people(limited_app):
    from tests.conftest import Factory

    factory = Factory(limited_app)
    factory.meeting("limits")
    factory.person("limits", "delegate", email="ana@example.org")
    factory.person("limits", "delegate", email="ben@example.org")
    return factory


def _sign_in(client, email: str, password: str):
    return AuthActions(client).login(email, password)


def _token(client, email: str, password: str):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_after_three_failures_the_account_is_refused_even_with_the_right_password(limited_app, people):
    answers = Answers(limited_app)
    client = limited_app.test_client()
    for _ in range(3):
        assert _sign_in(client, "ana@example.org", "wrong password").status_code == 422
    sent = time.time()
    response = _sign_in(client, "ana@example.org", PASSWORD)
    answered = time.time()
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many failed sign-ins. Wait 1 minute and try again." in page
    # Retry-After is what is left of the account's window, as stored (whole seconds, rounded up)
    from motions.auth.models import SignInCounter
    from motions.extensions import db

    with limited_app.app_context():
        windows = db.session.execute(db.select(SignInCounter.count, SignInCounter.expires_at)).all()
    account_ends = max(expires for count, expires in windows if count == 3)
    # (worked out at some moment between sending and the answer, however slow the machine)
    assert math.ceil(account_ends - answered) <= int(response.headers["Retry-After"]) <= math.ceil(account_ends - sent)
    assert "Content-Security-Policy" in response.headers
    # not signed in: the home page still sends to the sign-in page
    assert client.get("/").status_code == 302
    # the same person through the API is refused too: the account is what is counted
    refused = _token(limited_app.test_client(), "ANA@example.org ", PASSWORD)
    assert_error(refused, 429, "rate_limited", set())
    assert refused.headers["Retry-After"]
    # another account from the same address signs in
    assert _sign_in(limited_app.test_client(), "ben@example.org", PASSWORD).status_code == 302
    tried("Sign-in limits", failed_sign_ins=answers.statuses[422], refused_with_429=answers.statuses[429])


def test_successful_sign_ins_are_not_counted(limited_app, people):
    succeeded = 0
    for _ in range(6):
        client = limited_app.test_client()
        assert _sign_in(client, "ana@example.org", PASSWORD).status_code == 302
        assert _token(client, "ana@example.org", PASSWORD).status_code == 200
        succeeded += 2
    tried("Sign-in limits", successful_sign_ins_not_refused=succeeded)


def test_the_api_counts_failures_and_answers_with_the_error_body(limited_app, people):
    answers = Answers(limited_app)
    client = limited_app.test_client()
    for _ in range(3):
        assert_error(_token(client, "ben@example.org", "nope"), 401, "invalid_credentials", set())
    response = _token(client, "ben@example.org", PASSWORD)
    error = assert_error(response, 429, "rate_limited", set())
    assert "Too many failed sign-ins" in error["message"]
    assert "token" not in response.get_json()
    tried("Sign-in limits", failed_sign_ins=answers.statuses[401], refused_with_429=answers.statuses[429])


def test_one_address_trying_many_accounts_is_stopped(limited_app, people):
    answers = Answers(limited_app)
    client = limited_app.test_client()
    for i in range(5):  # five accounts, one failure each: no account reaches its own limit
        assert _sign_in(client, f"guess{i}@example.org", "password").status_code == 422
    assert _sign_in(client, "ana@example.org", PASSWORD).status_code == 429
    # another address is not affected
    other = limited_app.test_client()
    response = other.post("/api/v1/auth/token", json={"email": "ben@example.org", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 200
    tried("Sign-in limits", failed_sign_ins=answers.statuses[422], refused_with_429=answers.statuses[429])


def test_the_limit_ends_with_its_window(database_uri, tmp_path, people):
    app = create_app({**_config(database_uri), "MOTIONS_SIGN_IN_LIMIT_ACCOUNT": "2 per 2 seconds"})
    answers = Answers(app)
    client = app.test_client()
    for _ in range(2):
        assert _token(client, "ben@example.org", "wrong").status_code == 401
    assert _token(client, "ben@example.org", PASSWORD).status_code == 429
    time.sleep(2.2)
    assert _token(client, "ben@example.org", PASSWORD).status_code == 200
    tried("Sign-in limits", failed_sign_ins=answers.statuses[401], refused_with_429=answers.statuses[429])
    with app.app_context():
        from motions.extensions import db

        db.session.remove()
        db.engine.dispose()


WORKER = """
import sys
from motions import create_app
from tests.conftest import _config
app = create_app({**_config(sys.argv[1]), "MOTIONS_SIGN_IN_LIMIT_ACCOUNT": "3 per minute"})
client = app.test_client()
codes = [client.post("/api/v1/auth/token", json={"email": "ana@example.org", "password": "wrong"}).status_code
         for _ in range(3)]
print(codes)
"""


def test_every_worker_process_sees_the_same_counts(limited_app, people, database_uri):
    """Three failures in another process (another gunicorn worker, say) lock the account here."""
    done = subprocess.run([sys.executable, "-c", WORKER, database_uri], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[401, 401, 401]"
    assert _token(limited_app.test_client(), "ana@example.org", PASSWORD).status_code == 429
    tried("Sign-in limits", failed_sign_ins=done.stdout.count("401"), refused_with_429=1)


def test_counters_hold_no_email_in_clear(limited_app, people):
    from motions.auth.models import SignInCounter
    from motions.extensions import db

    _token(limited_app.test_client(), "ana@example.org", "wrong")
    with limited_app.app_context():
        keys = db.session.execute(db.select(SignInCounter.key)).scalars().all()
    assert keys and all(len(k) == 64 and "@" not in k for k in keys)
    tried("Sign-in limits", counter_keys_checked_for_emails=len(keys))


def test_memory_storage_is_refused_outside_tests(database_uri, monkeypatch):
    monkeypatch.setenv("MOTIONS_RATELIMIT_STORAGE", "memory://")
    with pytest.raises(RuntimeError, match="one process only"):
        create_app({**_config(database_uri), "TESTING": False})

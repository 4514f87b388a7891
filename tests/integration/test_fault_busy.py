"""Overload answers 503 "busy", never a 500 (issue 6, the fault suite): the database is there but
cannot finish a request in time. What people are told, that nothing of the refused request is
stored, and that the same request succeeds once the database is free again.

(a) Another transaction holds what a write needs. SQLite: another connection holds the database's
    one write lock (BEGIN IMMEDIATE), so the app's writer waits for its busy timeout and gets
    "database is locked" (SQLITE_BUSY). PostgreSQL: another transaction holds the poll's and the
    document's rows FOR UPDATE; the ballot's FOR SHARE on the poll, and a new amendment's
    foreign-key check on the document, wait until lock_timeout (55P03 lock_not_available) or
    statement_timeout (57014 query_canceled) gives up. The app waits 10 s on SQLite
    (motions.extensions); the tests shorten the wait for the app under test (SQLite: busy_timeout
    on each checkout; PostgreSQL: the setting on each new connection) so as not to wait so long.
    A ballot and an amendment through the API, and an amendment through the page's form, answer 503
    with the "too busy" message and code database_busy; reading pages goes on; nothing is stored;
    once the lock is released the same requests succeed.
(b) The connection pool has no connection free: an app with a pool of one connection (no overflow,
    a short pool_timeout) whose only connection the test holds. SQLAlchemy raises its own
    TimeoutError (not a DBAPIError); pages, forms, API reads and writes answer the same 503; once the
    connection is back in the pool the same requests succeed.
(c) PostgreSQL: the other errors that mean "try again" (a deadlock, a serialization failure, a
    statement cancelled by statement_timeout), provoked for real, are classified as busy.
"""
# ruff: noqa: F811  (the `world` fixture is imported, and tests take it by name)
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from motions import create_app
from motions import database_errors as dberr
from motions.extensions import db
from tests.api_helpers import bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.conftest import PG_URL, _config
from tests.integration.test_fault_database import (  # noqa: F401  (world is a fixture)
    Person,
    assert_api_503,
    assert_page_503,
    ballots,
    dispose,
    world,
)

pytestmark = pytest.mark.usefixtures("fast_hashing")

WAIT_MS = 200  # how long the app under test waits for a lock before giving up
MOTION = "We call for a shorter working week.\n\nWe call for fair pay.\n"


def another_app(app, tmp_path, name: str, **engine_options):
    """An app on the same database as `app`, with engine options of its own."""
    other = create_app({**_config(app.config["SQLALCHEMY_DATABASE_URI"]), "SQLALCHEMY_ENGINE_OPTIONS": engine_options})
    other.instance_path = str(tmp_path / f"{name}-instance")
    return other


def assert_busy_api(app, response) -> None:
    assert_api_503(app, response, dberr.BUSY)
    assert response.headers["Retry-After"] == str(dberr.RETRY_AFTER[dberr.BUSY])


def assert_busy_page(app, response) -> None:
    assert_page_503(app, response, dberr.BUSY)
    assert response.headers["Retry-After"] == str(dberr.RETRY_AFTER[dberr.BUSY])
    with app.test_request_context():
        assert str(dberr.TITLES[dberr.BUSY]) in response.get_data(as_text=True)


@pytest.fixture
def motion(app, factory, world):
    """A motion open for amendments in the meeting: (its id, its first clause's id and text)."""
    from motions.documents.models import Document

    document_id = factory.document(world.slug, MOTION, title="Working week", kind="motion", state="open")
    with app.app_context():
        row = next(r for r in db.session.get(Document, document_id).version().clause_texts if r.kind != "heading")
        db.session.remove()
    return SimpleNamespace(id=document_id, clause_id=row.clause_id, text=row.text)


class Delegate(Person):
    """The person of test_fault_database (every role, a delegate too) and the amendments they move."""

    def __init__(self, app, world, motion):
        super().__init__(app, world)
        self.motion = motion

    def api_amendment(self):
        return self.client.post(f"/api/v1/documents/{self.motion.id}/amendments", headers=bearer(self.world.token),
                                json={"clause_id": self.motion.clause_id, "kind": "modify",
                                      "text": self.motion.text.replace("shorter", "four-day")})

    def form_amendment(self):
        return self.client.post(f"/documents/{self.motion.id}/amend", data={
            "csrf_token": self.csrf, "clause_id": str(self.motion.clause_id), "kind": "modify",
            "text": self.motion.text.replace("shorter", "32-hour"), "base_version": "1", "title": "", "reason": "",
            "submit": "x"})


def amendments(app, document_id: int) -> list[str]:
    from motions.amendments.models import Amendment

    with app.app_context():
        texts = sorted(db.session.execute(db.select(Amendment.text).where(Amendment.document_id == document_id))
                       .scalars())
        db.session.remove()
    return texts


def _psycopg(app, **options):
    import psycopg

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), **options)


# ------------------------------------------------------------------ (a) a lock held by another transaction

@pytest.fixture(params=["lock_timeout", "statement_timeout"] if PG_URL else ["busy_timeout"])
def impatient(request, app, tmp_path):
    """The app under test, waiting WAIT_MS for a lock instead of the configured time."""
    if PG_URL:  # what an operator sets on the server or in the connection's options
        other = another_app(app, tmp_path, "impatient",
                            connect_args={"options": f"-c {request.param}={WAIT_MS}"})
        yield other
        dispose(other)
        return

    def shorter_wait(dbapi_connection, _record, _proxy):  # after the class-level "connect" listener's 10 s
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={WAIT_MS}")
        cursor.close()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", shorter_wait)
    try:
        yield app
    finally:
        event.remove(engine, "checkout", shorter_wait)


@contextmanager
def held(app, poll_id: int, document_id: int):
    """Another transaction holds what the requests need, until the block ends (then rolls back)."""
    if PG_URL:
        with _psycopg(app) as conn:
            conn.execute("SELECT id FROM poll WHERE id = %s FOR UPDATE", (poll_id,))
            conn.execute("SELECT id FROM document WHERE id = %s FOR UPDATE", (document_id,))
            try:
                yield
            finally:
                conn.rollback()
        return
    conn = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")  # the database's one write lock
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


# what the server's log names (motions.database_errors.describe): the error each wait ends in
LOGGED = {"busy_timeout": "sqlite3.OperationalError: database is locked",
          "lock_timeout": "psycopg.errors.LockNotAvailable", "statement_timeout": "psycopg.errors.QueryCanceled"}


def logged_busy(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("database busy")]


def test_a_held_lock_answers_503_busy_then_the_same_requests_succeed(app, world, motion, impatient, request,
                                                                     caplog):
    delegate = Delegate(impatient, world, motion)
    assert delegate.page().status_code == 200
    before = snapshot(app)
    caplog.set_level("WARNING")
    with held(app, world.poll_id, motion.id):
        for _attempt in range(2):  # the second attempt must not find a broken session or pool either
            assert_busy_api(impatient, delegate.ballot())
            assert_busy_api(impatient, delegate.api_amendment())
            assert_busy_page(impatient, delegate.form_amendment())
        # reading does not wait for the lock
        page = delegate.page()
        assert page.status_code == 200 and "Faults" in page.get_data(as_text=True)
        assert delegate.api_get().status_code == 200
        assert snapshot(app) == before  # nothing of the refused requests was stored
    logged = logged_busy(caplog)
    assert len(logged) == 6 and all(LOGGED[request.node.callspec.params["impatient"]] in m for m in logged), logged
    # released: the same requests succeed, the first time
    assert delegate.ballot().status_code == 201
    assert delegate.api_amendment().status_code == 201
    assert delegate.form_amendment().status_code == 302
    assert ballots(app, world.poll_id) == 1
    assert amendments(app, motion.id) == sorted([motion.text.replace("shorter", "four-day"),
                                                 motion.text.replace("shorter", "32-hour")])


# ------------------------------------------------------------------ (b) the pool's timeout

@pytest.fixture
def one_connection(app, tmp_path):
    """An app on the same database whose pool lends one connection and waits 1 s for it (SQLAlchemy
    takes pool_timeout as whole seconds: 0.3 would be 0, no wait at all)."""
    other = another_app(app, tmp_path, "one-connection", pool_size=1, max_overflow=0, pool_timeout=1)
    yield other
    dispose(other)


def test_no_free_pooled_connection_answers_503_busy_then_the_same_requests_succeed(app, world, one_connection,
                                                                                   caplog):
    person = Person(one_connection, world)
    assert person.page().status_code == 200
    before = snapshot(app)
    caplog.set_level("WARNING")
    with one_connection.app_context():
        engine = db.engine
    with engine.connect() as taken:  # the pool's only connection, checked out by someone else
        taken.execute(text("SELECT 1"))
        for _attempt in range(2):
            assert_busy_page(one_connection, person.page())
            assert_busy_page(one_connection, person.form_post())
            assert_busy_api(one_connection, person.api_get())
            assert_busy_api(one_connection, person.api_post())
            assert_busy_api(one_connection, person.ballot())
        assert engine.pool.checkedout() == 1  # the refused requests left nothing checked out
    logged = logged_busy(caplog)
    assert len(logged) == 10 and all("sqlalchemy.exc.TimeoutError: QueuePool limit" in m for m in logged), logged
    assert snapshot(app) == before
    # the connection is back: the same requests succeed
    page = person.page()
    assert page.status_code == 200 and "Faults" in page.get_data(as_text=True)
    assert person.form_post().status_code == 302
    assert person.api_get().status_code == 200
    assert person.api_post().status_code == 201
    assert person.ballot().status_code == 201
    assert ballots(app, world.poll_id) == 1


# ------------------------------------------------------------------ (c) PostgreSQL's other "try again" errors

def _raised(engine, run) -> DBAPIError:
    with pytest.raises(DBAPIError) as caught:
        run(engine)
    return caught.value


@pytest.mark.postgresql_only
def test_deadlock_serialization_failure_and_statement_timeout_are_busy(app, world):
    with app.app_context():
        engine = db.engine
    poll, slug = world.poll_id, world.slug

    def statement_timeout(engine):
        with engine.connect() as conn:
            conn.execute(text("SET statement_timeout = 100"))
            conn.execute(text("SELECT pg_sleep(5)"))

    def serialization_failure(engine):
        with engine.connect() as first, engine.connect() as second:
            first.execution_options(isolation_level="REPEATABLE READ")
            first.execute(text("SELECT state FROM poll WHERE id = :id"), {"id": poll})  # its snapshot
            second.execute(text("UPDATE poll SET title = title WHERE id = :id"), {"id": poll})
            second.commit()
            first.execute(text("UPDATE poll SET title = title WHERE id = :id"), {"id": poll})

    def deadlock(engine):
        """Two transactions lock the poll and the meeting in opposite orders; the server ends one."""
        failures: list[BaseException] = []
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                conn.execute(text("SET deadlock_timeout = 50"))
            first.execute(text("SELECT id FROM poll WHERE id = :id FOR UPDATE"), {"id": poll})
            second.execute(text("SELECT id FROM meeting WHERE slug = :slug FOR UPDATE"), {"slug": slug})

            def first_waits():
                try:
                    first.execute(text("SELECT id FROM meeting WHERE slug = :slug FOR UPDATE"), {"slug": slug})
                except DBAPIError as error:
                    failures.append(error)
                    first.rollback()

            thread = threading.Thread(target=first_waits)
            thread.start()
            try:
                _wait_for_lock_wait(engine)
                second.execute(text("SELECT id FROM poll WHERE id = :id FOR UPDATE"), {"id": poll})
            except DBAPIError as error:
                failures.append(error)
                second.rollback()
            thread.join()
        assert len(failures) == 1, failures  # one of the two is chosen as the victim, the other goes on
        raise failures[0]

    found = {}
    for name, run in [("57014", statement_timeout), ("40001", serialization_failure), ("40P01", deadlock)]:
        error = _raised(engine, run)
        found[name] = (error.orig.sqlstate, dberr.classify(error))
    assert found == {code: (code, dberr.BUSY) for code in found}


def _wait_for_lock_wait(engine) -> None:
    """Until some backend of the test database waits for a lock (the deadlock's first half)."""
    with engine.connect() as watcher:
        for _ in range(500):
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            if waiting:
                return
            watcher.rollback()
            threading.Event().wait(0.01)
    raise AssertionError("the first transaction never waited for the lock")

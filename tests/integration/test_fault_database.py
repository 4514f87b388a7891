"""The database failing under the running app (issue 6, the fault suite): what people are told,
that nothing stored is lost, and that the app recovers by itself.

(a) The database disappears for a moment. PostgreSQL: the app talks to the server through a small
    TCP proxy (a thread of this test); the cut closes the proxy's listening socket and every
    connection through it, as a restarting server or a broken network would. SQLite: the database's
    directory is renamed away (an unmounted or moved volume), so the file cannot be opened; an open
    SQLite connection would go on using the moved file (SQLAlchemy's pool for a SQLite file, a
    QueuePool, keeps its connections open), so the cut also closes the pool's connections, as the
    proxy's cut closes PostgreSQL's. While cut, pages and API requests answer 503 with the
    "cannot be reached" message (never a 500), and nothing is stored; once back, the very next
    requests succeed without a restart (pool_pre_ping replaces the dead pooled connections).
(b) The database is read-only (SQLite: PRAGMA query_only on every connection, what a read-only file
    answers too; PostgreSQL: default_transaction_read_only on the test database): a form post, an API
    post and a ballot answer 503 with the "refuses changes" message; pages still read; nothing
    stored changes; once writable again the same requests succeed.
(c) The disk is full (SQLite: PRAGMA max_page_count just above the file's current size, on every
    connection; PostgreSQL, whose disk this test cannot fill: a trigger that answers a write with
    the error the server gives for a full disk, SQLSTATE 53100 disk_full): a write that needs room
    answers 503 with the same message, stored data intact; with room again the same write succeeds.
"""
from __future__ import annotations

import html
import os
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from motions import create_app
from motions import database_errors as dberr
from motions.extensions import db
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.conftest import PASSWORD, PG_URL, AuthActions, _config, csrf_token
from tests.tried import Answers, tried

pytestmark = pytest.mark.usefixtures("fast_hashing")

EMAIL = "all@example.org"
VOTER = "voter@example.org"


# ------------------------------------------------------------------ the meeting

@pytest.fixture
def world(app, factory):
    """A meeting in session: a person with every role, a second delegate, both present; one open poll."""
    from motions.meetings import operations
    from motions.polls import operations as polls

    slug = factory.meeting("faults", title="Faults")
    factory.person(slug, "delegate", "chair", "secretary", "organiser", email=EMAIL, name="Ada", organiser=True)
    factory.person(slug, "delegate", email=VOTER, name="Voter")
    factory.document(slug, "# Aims\n\nFirst clause.\n", title="Platform")
    with app.app_context():
        meeting = operations.get_meeting(slug)
        operations.set_meeting_state(meeting, "in_session")
        for membership in operations.members(meeting):
            operations.set_attendance(meeting, membership, True)
        poll = polls.create_poll(meeting, None, title="Fault poll")
        polls.open_poll(poll, None)
        poll_id = poll.id
        db.session.remove()
    return SimpleNamespace(slug=slug, poll_id=poll_id, token=factory.token(EMAIL), voter=factory.token(VOTER))


class Person:
    """A browser signed in as the person with every role, and their bearer tokens, on one app."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.client = app.test_client()
        response = AuthActions(self.client).login(EMAIL)
        assert response.status_code == 302, response.get_data(as_text=True)
        # the session's CSRF token, read while the database answers (it is bound to the session)
        self.csrf = csrf_token(self.client, f"/m/{world.slug}/")

    # reads
    def page(self):
        return self.client.get(f"/m/{self.world.slug}/")

    def poll_page(self):
        return self.client.get(f"/polls/{self.world.poll_id}")

    def api_get(self):
        return self.client.get(f"/api/v1/meetings/{self.world.slug}", headers=bearer(self.world.token))

    # writes
    def form_post(self, title: str = "Form motion", body: str = "The form's clause."):
        return self.client.post(f"/m/{self.world.slug}/documents/import", data={
            "csrf_token": self.csrf, "title": title, "kind": "motion", "format": "markdown", "text": body,
            "confirm": "1"})

    def api_post(self, title: str = "API motion", body: str = "The API's clause."):
        return self.client.post(f"/api/v1/meetings/{self.world.slug}/documents", headers=bearer(self.world.token),
                                json={"title": title, "text": body, "kind": "motion"})

    def ballot(self):
        return self.app.test_client().post(f"/api/v1/polls/{self.world.poll_id}/ballots",
                                           headers=bearer(self.world.voter), json={"choice": "yes"})


def expected(app, kind: str) -> str:
    with app.test_request_context():
        return dberr.message(kind)


def assert_page_503(app, response, kind: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, (response.status_code, body[:2000])
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    assert expected(app, kind) in html.unescape(body), body[:2000]


def assert_api_503(app, response, kind: str) -> None:
    error = assert_error(response, 503, dberr.CODES[kind])
    assert error["message"] == expected(app, kind)
    assert int(response.headers["Retry-After"]) > 0


def documents(app) -> list[str]:
    from motions.documents.models import Document

    with app.app_context():
        titles = sorted(db.session.execute(db.select(Document.title)).scalars())
        db.session.remove()
        return titles


def ballots(app, poll_id: int) -> int:
    from motions.polls.models import Ballot

    with app.app_context():
        n = db.session.execute(db.select(db.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)).scalar()
        db.session.remove()
        return n


def rows_lost(before: dict, after: dict) -> int:
    """Rows stored before that are not there (as they were) after."""
    return sum(len(set(rows) - set(after.get(table, []))) for table, rows in before.items())


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------ (a) the database disappears

class Proxy:
    """A TCP proxy in front of the PostgreSQL server: cut() closes its listening socket and every
    connection through it; restore() listens again on the same port."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.restore()

    def restore(self) -> None:
        deadline = time.monotonic() + 5
        while True:
            try:
                listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
                break
            except OSError:  # the old listener is being released
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        listener.settimeout(0.1)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self.lock:
                self.sockets |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
        with self.lock:
            self.sockets.discard(s)

    def cut(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # stops listening now, even while accept() waits
            except OSError:
                pass
            listener.close()
        with self.lock:
            open_now = list(self.sockets)
        for s in open_now:
            self._close(s)

    def connections(self) -> int:
        with self.lock:
            return len(self.sockets) // 2


@pytest.fixture
def outage(app, tmp_path):
    """(the app under test, cut(), restore()): PostgreSQL through the proxy, SQLite by renaming its directory."""
    if PG_URL:
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
        proxied = create_app(_config(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)))
        proxied.instance_path = str(tmp_path / "proxied-instance")
        try:
            yield SimpleNamespace(app=proxied, cut=proxy.cut, restore=proxy.restore, proxy=proxy)
        finally:
            if proxy.listener is None:
                proxy.restore()
            dispose(proxied)
            proxy.cut()
        return
    directory = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database).parent
    away = directory.with_name(directory.name + "-away")

    def cut():
        os.rename(directory, away)
        dispose(app)  # the open connections would go on using the moved file

    def restore():
        os.rename(away, directory)

    try:
        yield SimpleNamespace(app=app, cut=cut, restore=restore, proxy=None)
    finally:
        if away.exists() and not directory.exists():
            restore()


def test_database_gone_for_a_moment_503_then_recovers_by_itself(app, world, outage):
    """Cut: every kind of request answers 503 "cannot be reached", twice in a row, nothing stored.
    Back: the very next requests succeed, with no restart; then the stored data is all there."""
    person = Person(outage.app, world)
    visitor = outage.app.test_client()  # someone about to sign in
    visitor_csrf = csrf_token(visitor, "/login")
    sign_in = {"email": VOTER, "password": PASSWORD}
    assert person.page().status_code == 200
    assert person.api_get().status_code == 200
    if outage.proxy is not None:
        assert outage.proxy.connections() > 0  # the app's connections do go through the proxy
    before = snapshot(app)
    answers = Answers(outage.app)

    outage.cut()
    try:
        for _attempt in range(2):  # the second attempt must not find a broken session or pool either
            assert_page_503(outage.app, person.page(), dberr.UNAVAILABLE)
            assert_page_503(outage.app, person.poll_page(), dberr.UNAVAILABLE)
            assert_page_503(outage.app, person.form_post(), dberr.UNAVAILABLE)
            assert_api_503(outage.app, person.api_get(), dberr.UNAVAILABLE)
            assert_api_503(outage.app, person.api_post(), dberr.UNAVAILABLE)
            assert_api_503(outage.app, person.ballot(), dberr.UNAVAILABLE)
            assert_page_503(outage.app, visitor.post("/login", data={**sign_in, "csrf_token": visitor_csrf}),
                            dberr.UNAVAILABLE)
            assert_api_503(outage.app, visitor.post("/api/v1/auth/token", json=sign_in), dberr.UNAVAILABLE)
    finally:
        outage.restore()

    # back: the first try of each request works
    page = person.page()
    assert page.status_code == 200 and "Faults" in page.get_data(as_text=True)
    assert person.api_get().get_json()["slug"] == world.slug
    kept = snapshot(app)
    assert kept == before  # nothing was stored while the database was away, nothing lost
    assert person.form_post().status_code == 302
    assert person.api_post().status_code == 201
    assert person.ballot().status_code == 201
    assert visitor.post("/login", data={**sign_in, "csrf_token": visitor_csrf}).status_code == 302
    assert visitor.post("/api/v1/auth/token", json=sign_in).status_code == 200
    assert documents(app) == ["API motion", "Form motion", "Platform"]
    assert ballots(app, world.poll_id) == 1
    tried("Database faults", outages=1, answered_503=answers.statuses[503],
          answered_500=answers.statuses[500] + answers.unhandled, stored_rows_checked=sum(map(len, before.values())),
          rows_lost=rows_lost(before, kept))


def test_database_gone_and_back_between_requests(app, world, outage):
    """The database restarts while nobody asks: the pooled connections are dead, yet the first
    request afterwards succeeds (pool_pre_ping tests a connection before lending it out)."""
    person = Person(outage.app, world)
    assert person.page().status_code == 200
    assert person.api_post("Before").status_code == 201
    outage.cut()
    outage.restore()
    assert person.page().status_code == 200
    assert person.api_post("After").status_code == 201
    assert person.ballot().status_code == 201
    assert documents(app) == ["After", "Before", "Platform"]
    tried("Database faults", outages=1)


# ------------------------------------------------------------------ (b) read-only, (c) disk full

def _admin(app, database: str | None = None):
    """An autocommit connection to the test's PostgreSQL database (its triggers), or to another
    database of its server (to change the test database's settings while it is read-only)."""
    import psycopg

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    if database:
        url = url.set(database=database)
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


class ReadOnly:
    def __init__(self, app):
        self.app = app
        self.name = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database

    @staticmethod
    def _query_only(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    def __enter__(self):
        if PG_URL:
            with _admin(self.app, "postgres") as conn:
                conn.execute(f'ALTER DATABASE "{self.name}" SET default_transaction_read_only = on')
        else:
            with self.app.app_context():
                event.listen(db.engine, "connect", self._query_only)
        dispose(self.app)  # new connections, which get the setting
        return self

    def __exit__(self, *exc):
        if PG_URL:
            with _admin(self.app, "postgres") as conn:
                conn.execute(f'ALTER DATABASE "{self.name}" RESET default_transaction_read_only')
        else:
            with self.app.app_context():
                event.remove(db.engine, "connect", self._query_only)
        dispose(self.app)


def test_read_only_database_refuses_writes_and_keeps_everything(app, world):
    person = Person(app, world)
    assert person.api_post("Stored before").status_code == 201
    before = snapshot(app)
    answers = Answers(app)
    with ReadOnly(app):
        for _attempt in range(2):
            refused = person.form_post()
            assert_page_503(app, refused, dberr.READ_ONLY)
            assert "Ada" in refused.get_data(as_text=True)  # the page still shows who is signed in
            assert_api_503(app, person.api_post(), dberr.READ_ONLY)
            assert_api_503(app, person.ballot(), dberr.READ_ONLY)
        # pages and reads still work, and show what is stored
        page = person.page()
        assert page.status_code == 200 and "Faults" in page.get_data(as_text=True)
        assert person.poll_page().status_code == 200
        assert person.api_get().status_code == 200
        listed = person.client.get(f"/api/v1/meetings/{world.slug}/people", headers=bearer(world.token))
        assert listed.status_code == 200 and {p["email"] for p in listed.get_json()} == {EMAIL, VOTER}
        kept = snapshot(app)
        assert kept == before  # nothing changed, nothing lost
    # writable again: the same requests succeed, no restart
    assert person.form_post().status_code == 302
    assert person.api_post().status_code == 201
    assert person.ballot().status_code == 201
    assert documents(app) == ["API motion", "Form motion", "Platform", "Stored before"]
    assert ballots(app, world.poll_id) == 1
    tried("Database faults", database_made_read_only=1, answered_503=answers.statuses[503],
          answered_500=answers.statuses[500] + answers.unhandled, stored_rows_checked=sum(map(len, before.values())),
          rows_lost=rows_lost(before, kept))


DISK_FULL_FUNCTION = """
CREATE FUNCTION fault_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device'
    USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
END $$
"""


class DiskFull:
    """SQLite: the database may not grow past its current size (plus two pages). PostgreSQL: a new
    document is answered with the error a full disk gives (SQLSTATE 53100)."""

    def __init__(self, app):
        self.app = app
        self.limit = None

    def _max_pages(self, dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count={int(self.limit)}")
        cursor.close()

    def room(self) -> int:
        """SQLite: the bytes a write may take before the file would have to grow."""
        with self.app.app_context():
            page_size = db.session.execute(text("PRAGMA page_size")).scalar()
            free = db.session.execute(text("PRAGMA freelist_count")).scalar()
            db.session.remove()
        return (free + 2) * page_size

    def __enter__(self):
        if PG_URL:
            with _admin(self.app) as conn:
                conn.execute(DISK_FULL_FUNCTION)
                conn.execute("CREATE TRIGGER fault_disk_full BEFORE INSERT ON document "
                             "FOR EACH ROW EXECUTE FUNCTION fault_disk_full()")
        else:
            with self.app.app_context():
                self.limit = db.session.execute(text("PRAGMA page_count")).scalar() + 2
                db.session.remove()
                event.listen(db.engine, "connect", self._max_pages)
        dispose(self.app)
        return self

    def __exit__(self, *exc):
        if PG_URL:
            with _admin(self.app) as conn:
                conn.execute("DROP TRIGGER IF EXISTS fault_disk_full ON document")
                conn.execute("DROP FUNCTION IF EXISTS fault_disk_full()")
        else:
            with self.app.app_context():
                event.remove(db.engine, "connect", self._max_pages)
        dispose(self.app)


def sqlite_integrity(app) -> list[str]:
    with app.app_context():
        rows = db.session.execute(text("PRAGMA integrity_check")).scalars().all()
        db.session.remove()
    return rows


def test_full_disk_refuses_a_growing_write_and_keeps_everything(app, world):
    person = Person(app, world)
    full = DiskFull(app)
    # a document larger than the free room in the file: storing it needs the file to grow
    paragraphs = max(200, (0 if PG_URL else full.room()) // 400 + 50)
    big = "\n\n".join(f"Clause {i}: " + "the assembly resolves to keep every record safe " * 8
                      for i in range(paragraphs))
    before = snapshot(app)
    answers = Answers(app)
    with full:
        for _attempt in range(2):
            assert_page_503(app, person.form_post("Big form motion", big), dberr.READ_ONLY)
            assert_api_503(app, person.api_post("Big API motion", big), dberr.READ_ONLY)
        assert person.page().status_code == 200  # reading needs no room
        kept = snapshot(app)
        assert kept == before
        if not PG_URL:  # (PostgreSQL's own checks are in test_fault_crash)
            assert sqlite_integrity(app) == ["ok"]
    # room again: the same writes succeed
    assert person.form_post("Big form motion", big).status_code == 302
    assert person.api_post("Big API motion", big).status_code == 201
    assert documents(app) == ["Big API motion", "Big form motion", "Platform"]
    if not PG_URL:
        assert sqlite_integrity(app) == ["ok"]
    tried("Database faults", disk_filled=1, answered_503=answers.statuses[503],
          answered_500=answers.statuses[500] + answers.unhandled, stored_rows_checked=sum(map(len, before.values())),
          rows_lost=rows_lost(before, kept))

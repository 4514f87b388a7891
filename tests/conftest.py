"""Fixtures in the style of the Flask tutorial: app, client, auth, plus factories for test data.

The database is SQLite by default (a fresh copy of a migrated template per test). With
MOTIONS_TEST_DATABASE_URL=postgresql://... the same tests run on PostgreSQL (migrated once,
tables emptied after each test). Migrations, not create_all(), build the schema, so the
tests also prove the migrations.
"""
from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from motions import create_app
from motions.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PG_URL = os.environ.get("MOTIONS_TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"


def _reuse_url_builders() -> None:
    """Every test makes its own app, and werkzeug compiles two URL builders (Python source, then
    `compile`) for each of the app's ~170 routes: some 85 ms a test, most of an app's making. A
    builder depends only on its rule (its text, its parsed trace and its defaults) and is bound to
    the rule it builds for, so the suite compiles each once and binds it to each app's rule."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict = {}

    def _compile_builder(self, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = _compile_builder


_reuse_url_builders()


def _reuse_compiled_templates() -> None:
    """Likewise each app's Jinja environment compiled every template it rendered, test after test
    (Jinja's parse and `compile`: more time than the pages' rendering). All the suite's apps share
    one in-memory bytecode cache; Jinja checks each entry against its template's source."""
    from flask import Flask
    from jinja2 import BytecodeCache

    class Shared(BytecodeCache):
        def __init__(self) -> None:
            self.compiled: dict[str, bytes] = {}

        def load_bytecode(self, bucket) -> None:
            if bucket.key in self.compiled:
                bucket.bytecode_from_string(self.compiled[bucket.key])

        def dump_bytecode(self, bucket) -> None:
            self.compiled[bucket.key] = bucket.bytecode_to_string()

    shared = Shared()
    create_jinja_environment = Flask.create_jinja_environment

    def _create_jinja_environment(self):
        environment = create_jinja_environment(self)
        environment.bytecode_cache = shared
        return environment

    Flask.create_jinja_environment = _create_jinja_environment


_reuse_compiled_templates()


# The suite's longest tests (tens of seconds each), run first: pytest-xdist hands the first items
# out in turn to its workers, so these start at once on different workers, and the run ends on
# short tests rather than one worker finishing a long one while the others wait.
LONG_FIRST = (
    "integration/test_api_fuzz.py::test_fuzz_as_",
    "integration/test_attack_csrf.py::test_every_",
    "integration/test_load_suite.py::",
    "browser/",
    "integration/test_production_serve.py::",
    "integration/test_fault_",
    "integration/test_backup.py::",
    "unit/test_audit_chain.py::test_random_",
)


def _long_first(item) -> int:
    where = item.nodeid.removeprefix("tests/")
    return next((rank for rank, prefix in enumerate(LONG_FIRST) if where.startswith(prefix)), len(LONG_FIRST))


def pytest_collection_modifyitems(config, items):
    """Tests about PostgreSQL itself run in the PostgreSQL pass; the SQLite pass leaves them out
    (deselected, not skipped: nothing is skipped in CI). The longest tests go first (LONG_FIRST)."""
    items.sort(key=_long_first)  # stable: the rest keep their order
    if PG_URL:
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgresql_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _cheap_password_hashes(request, monkeypatch):
    """scrypt costs about 0.1 s a hash and as much again at every sign-in: most tests are not about
    passwords, and several hundred sign-ins of the role and attack suites made minutes of a run.
    Passwords made in tests get a cheap salted PBKDF2 hash instead, unless the test is marked
    `real_password_hashing` (the tests of the hashing itself); the app's own code is unchanged."""
    if request.node.get_closest_marker("real_password_hashing"):
        return
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("motions.auth.models.generate_password_hash",
                        lambda password, method=None: generate_password_hash(password, method="pbkdf2:sha256:1000"))


def _config(uri: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret-key",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "EVENT_HUB_LINGER": 0.5,  # each test's app has its own engine, so its own feed hub: let it stop soon
    }


def _upgrade(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app(_config(uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextmanager
def private_database(folder: Path, name: str):
    """A database of the kind under test that nobody else uses: a new SQLite file in `folder`, or a
    new PostgreSQL database on the test server (MOTIONS_TEST_DATABASE_URL), dropped afterwards."""
    if not PG_URL:
        yield f"sqlite:///{folder / name}.sqlite3"
        return
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(PG_URL)
    database = f"{server.database or 'test'}_{name}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield server.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A private, freshly created PostgreSQL database for this test run (dropped afterwards), so
    that several runs against one server never meet."""
    if not PG_URL:
        yield None
        return
    with private_database(tmp_path_factory.getbasetemp(), "run") as url:
        yield url


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, postgres_url):
    """A migrated database: a SQLite file to copy per test, or the PostgreSQL URL."""
    if postgres_url:
        _upgrade(postgres_url)
        return postgres_url
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_uri(database_template, tmp_path):
    if PG_URL:
        yield database_template
        return
    target = tmp_path / "motions.sqlite3"
    shutil.copyfile(database_template, target)
    yield f"sqlite:///{target}"


def _empty_postgres(app) -> None:
    """Every table emptied, children first, and every id sequence restarted. DELETE, not TRUNCATE:
    the tables hold a test's few rows, and TRUNCATE's new files cost some 60 ms a test against
    some 10 ms."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        sequences = db.session.execute(db.text(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")).scalars().all()
        db.session.execute(db.text("; ".join(f'DELETE FROM "{t}"' for t in reversed(tables))))
        if sequences:
            db.session.execute(db.text("; ".join(f'ALTER SEQUENCE "{s}" RESTART' for s in sequences)))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def app(database_uri, tmp_path):
    app = create_app({**_config(database_uri)})
    app.instance_path = str(tmp_path / "instance")
    yield app
    stop_feed_hub(app)
    if PG_URL:
        _empty_postgres(app)
    else:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def stop_feed_hub(app) -> None:
    """The app's feed hub (if a stream started one) stops now rather than lingering, and its
    waiting streams end: nothing may go on reading a database the suite empties or drops."""
    from motions.live.hub import stop_hub

    with app.app_context():
        stop_hub(db.engine)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no csrf_token on {path}"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD, follow_redirects: bool = False):
        token = csrf_token(self._client, "/login")
        return self._client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                                 follow_redirects=follow_redirects)

    def logout(self):
        token = csrf_token(self._client, "/")
        return self._client.post("/logout", data={"csrf_token": token})

    def post(self, path: str, data: dict | None = None, **kwargs):
        """POST a form with the session's CSRF token, as the page's form would."""
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(self._client, "/login"))
        return self._client.post(path, data=data, **kwargs)


@pytest.fixture
def auth(client):
    return AuthActions(client)


class Factory:
    """Builds test data through the same operations the app uses."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def meeting(self, slug: str = "test-meeting", **settings):
        from motions.meetings import operations

        with self.app.app_context():
            meeting = operations.create_meeting({"slug": slug, "title": settings.pop("title", "Test meeting"),
                                                 **settings}, creator=None)
            return meeting.slug

    def person(self, slug: str | None, *roles: str, email: str | None = None, name: str | None = None,
               organisation: str = "Test Union", vote_weight: int = 1, password: str = PASSWORD,
               organiser: bool = False) -> int:
        from motions.meetings import operations

        self._n += 1
        email = email or f"person{self._n}@example.org"
        name = name or f"Person {self._n}"
        with self.app.app_context():
            person = operations.save_person({"name": name, "email": email, "password": password,
                                             "organisation": organisation}, organiser=organiser)
            if slug:
                meeting = operations.get_meeting(slug)
                operations.add_person(meeting, {"name": name, "email": email, "organisation": organisation,
                                                "roles": list(roles) or ["delegate"], "vote_weight": vote_weight})
            return person.id

    def document(self, slug: str, text: str, title: str = "Draft platform", format: str = "markdown",
                 kind: str = "platform", state: str | None = None) -> int:
        from motions.documents import operations as docs
        from motions.meetings import operations

        with self.app.app_context():
            document = docs.import_document(operations.get_meeting(slug), title=title, text=text, format=format,
                                            kind=kind, by_id=None)
            if state == "open":
                docs.set_state(document, "open")
            return document.id

    def amendment(self, document_id: int, mover_id: int, clause_id: int | None = None, *, kind: str = "modify",
                  text: str | None = None, title: str = "", reason: str = "", replace: tuple[str, str] | None = None,
                  seconders: tuple[int, ...] = (), status: str | None = None) -> int:
        """Propose an amendment through the operation. clause_id None: the first paragraph or item.
        replace=(old, new) edits the clause text; seconders second it; status "admitted" admits it."""
        from motions.amendments import operations as amend
        from motions.auth.models import Person
        from motions.documents.models import Document
        from motions.extensions import db

        with self.app.app_context():
            document = db.session.get(Document, document_id)
            rows = list(document.version().clause_texts)
            if clause_id is None and kind != "insert_after":
                clause_id = next(r.clause_id for r in rows if r.kind != "heading")
            if kind == "modify" and text is None:
                row = next(r for r in rows if r.clause_id == clause_id)
                old, new = replace or (row.text, row.text + " Amended.")
                assert old in row.text, f"{old!r} is not in clause {row.number}: {row.text!r}"
                text = row.text.replace(old, new, 1)
            amendment = amend.propose(document, db.session.get(Person, mover_id), clause_id=clause_id, kind=kind,
                                      text=text, title=title, reason=reason)
            for person_id in seconders:
                amend.second(amendment, db.session.get(Person, person_id))
            if status == "admitted":
                amend.admit(amendment, db.session.get(Person, mover_id))
            return amendment.id

    def poll(self, slug: str, *, title: str = "", amendment_id: int | None = None, document_id: int | None = None,
             **settings) -> int:
        """A draft poll made by the operation: on an amendment, a document, or (neither) a free question."""
        from motions.meetings import operations
        from motions.polls import operations as polls

        subject = ({"type": "amendment", "id": amendment_id} if amendment_id else
                   {"type": "document", "id": document_id} if document_id else None)
        with self.app.app_context():
            poll = polls.create_poll(operations.get_meeting(slug), None, title=title or None, subject=subject,
                                     options=settings.pop("options", None),
                                     majority_rule=settings.pop("majority", "simple"), **settings)
            return poll.id

    def adopt(self, document_id: int) -> int:
        """The meeting carries the document as amended: a show of hands on the whole document,
        counted by the chair (the poll a document needs before it can become final)."""
        from motions.documents.models import Document
        from motions.extensions import db
        from motions.polls import operations as polls

        with self.app.app_context():
            slug = db.session.get(Document, document_id).meeting.slug
            if not polls.entitlement(db.session.get(Document, document_id).meeting)["entitled"]:
                self.person(slug, "delegate")  # a meeting with no delegates cannot carry anything
        with self.app.app_context():
            document = db.session.get(Document, document_id)
            poll = polls.create_poll(document.meeting, None, subject={"type": "document", "id": document_id},
                                     analog=True)
            entitled = polls.entitlement(document.meeting)["entitled"]
            polls.enter_count(poll, None, {"yes": entitled, "no": 0, "abstain": 0})
            assert poll.result["outcome"] == "carried"
            return poll.id

    def election(self, slug: str, *, title: str = "Steering Committee", seats: int = 3, method: str = "scottish",
                 candidates: tuple[str, ...] = (), state: str | None = None, **settings) -> int:
        """An election made by the operation, with `candidates` entered by the chair (standing at
        once); state "nominating" opens nominations, "nominations_closed" closes them again."""
        from motions.elections import operations as elections
        from motions.meetings import operations

        with self.app.app_context():
            election = elections.create_election(operations.get_meeting(slug), None, title=title, seats=seats,
                                                 method=method, **settings)
            election_id = election.id
        for name in candidates:
            self.candidate(election_id, name)
        with self.app.app_context():
            from motions.extensions import db
            from motions.elections.models import Election

            election = db.session.get(Election, election_id)
            if state in ("nominating", "nominations_closed"):
                elections.open_nominations(election, None)
            if state == "nominations_closed":
                elections.close_nominations(election, None)
            return election_id

    def candidate(self, election_id: int, name: str, *, in_group: bool = False, statement: str = "",
                  person_id: int | None = None) -> int:
        """A candidate entered by the meeting's chair (a chair is added to the meeting if it has none)."""
        from motions.auth.models import Person
        from motions.elections import operations as elections
        from motions.elections.models import Election
        from motions.extensions import db
        from motions.meetings.models import Membership

        with self.app.app_context():
            election = db.session.get(Election, election_id)
            chair = next((m.person_id for m in db.session.execute(
                db.select(Membership).where(Membership.meeting_id == election.meeting_id)).scalars()
                if "chair" in m.roles), None)
            slug = election_id and db.session.get(Election, election_id).meeting_id
        if chair is None:
            from motions.meetings.models import Meeting

            with self.app.app_context():
                slug = db.session.get(Meeting, slug).slug
            chair = self.person(slug, "chair")
        with self.app.app_context():
            election = db.session.get(Election, election_id)
            candidate = elections.nominate(election, db.session.get(Person, chair), name=name, person_id=person_id,
                                           in_group=in_group, statement=statement)
            return candidate.id

    def token(self, email: str, password: str = PASSWORD) -> str:
        from motions.auth import operations as auth_ops

        with self.app.app_context():
            return auth_ops.issue_token(auth_ops.authenticate(email, password))


@pytest.fixture
def factory(app):
    return Factory(app)


@pytest.fixture
def demo(app):
    """The demo founding meeting, loaded as `motions demo` loads it."""
    from motions.demo import load_demo

    with app.app_context():
        load_demo()
    return "founding-meeting"


def shared_file(relative: str) -> Path:
    """A file of ../shared, or a skip with the reason when this clone has none."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is not here (a fresh clone has no ../shared)")
    return path

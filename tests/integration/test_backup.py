"""Backups (issue 6, item 5): `motions backup FILE` while the server runs, `motions restore FILE`.

- A round trip through the command line: a meeting with amendments and a closed poll is backed
  up, changed, and restored to exactly the rows it had; its poll is served again.
- Refusals: a file that is not a backup, a backup of the other database kind, a SQLite database
  that is not ours: refused with a message, the database untouched. A backup that fails leaves no
  file, and an older backup of the same name stays as it was.
- The storm: the app served by gunicorn in its own process, delegates casting ballots from
  threads, and `motions backup` run in this process in the middle of it; the backup restored into
  a fresh database holds one moment of the poll: every ballot acknowledged before the backup
  began and none that was not acknowledged, the secret tallies and the turnout events agreeing
  with the ballot rows, the audit chain intact; the restored app serves and counts the poll.

Runs on SQLite and, with MOTIONS_TEST_DATABASE_URL, on PostgreSQL (pg_dump / pg_restore).
"""
from __future__ import annotations

import http.client
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from bench.vote_storm import CHOICES, WEIGHTS, Api, prepare, serve, stop
from motions import create_app
from motions.extensions import db
from tests.api_helpers import bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.conftest import PG_URL, _config, private_database
from tests.tried import tried

pytestmark = pytest.mark.usefixtures("fast_hashing")

TEXT = "# Platform\n\nWe fight for all workers.\n\nWe stand for peace.\n\nWe defend the commons.\n"


def _leftovers(folder: Path) -> list[str]:
    """Temporary files a backup may have left in the folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part") or ".part-" in p.name)


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------ the round trip

def _clause(app, document_id: int, word: str) -> int:
    """The id of the document's clause that holds `word`."""
    from motions.documents.models import Document

    with app.app_context():
        rows = db.session.get(Document, document_id).version().clause_texts
        return next(r.clause_id for r in rows if word in r.text)

def _meeting_with_a_closed_poll(app, client, factory):
    """A meeting in session: a chair, three delegates present, an open platform with two amendments
    (one admitted) and a closed named poll on the admitted one (yes, yes, no: carried)."""
    from motions.meetings import operations

    slug = factory.meeting("congress", title="Congress")
    chair = factory.person(slug, "chair", email="chair@example.org")
    delegates = [factory.person(slug, "delegate", email=f"d{i}@example.org") for i in range(3)]
    document = factory.document(slug, TEXT, state="open")
    admitted = factory.amendment(document, delegates[0], replace=("workers", "working people"), status="admitted")
    factory.amendment(document, delegates[1], _clause(app, document, "peace"), replace=("peace", "lasting peace"))
    with app.app_context():
        meeting = operations.get_meeting(slug)
        operations.set_meeting_state(meeting, "in_session")
        for person_id in delegates:
            membership = next(m for m in meeting.memberships if m.person_id == person_id)
            operations.set_attendance(meeting, membership, True)
        db.session.remove()
    chair_token = factory.token("chair@example.org")
    created = client.post(f"/api/v1/meetings/{slug}/polls", headers=bearer(chair_token),
                          json={"subject": {"type": "amendment", "id": admitted}})
    assert created.status_code == 201, created.get_data(as_text=True)
    poll_id = created.get_json()["id"]
    assert client.post(f"/api/v1/polls/{poll_id}/open", headers=bearer(chair_token)).status_code == 200
    for i, choice in enumerate(("yes", "yes", "no")):
        cast = client.post(f"/api/v1/polls/{poll_id}/ballots", headers=bearer(factory.token(f"d{i}@example.org")),
                           json={"choice": choice})
        assert cast.status_code == 201, cast.get_data(as_text=True)
    closed = client.post(f"/api/v1/polls/{poll_id}/close", headers=bearer(chair_token))
    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert closed.get_json()["result"]["outcome"] == "carried"
    return slug, chair, chair_token, document, poll_id


def test_backup_and_restore_bring_back_the_meeting_as_it_was(app, client, factory, runner, tmp_path):
    slug, chair, chair_token, document, poll_id = _meeting_with_a_closed_poll(app, client, factory)
    before = snapshot(app)
    backup = tmp_path / "congress.backup"

    made = runner.invoke(args=["backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert str(backup) in made.output and "checked" in made.output
    assert backup.is_file() and backup.stat().st_size > 0
    assert _leftovers(tmp_path) == []
    assert oct(backup.stat().st_mode & 0o777) == oct(0o600)  # it holds password hashes
    assert snapshot(app) == before  # taking a backup changes nothing

    # the meeting goes on: a third amendment, another meeting, a delegate added
    factory.amendment(document, chair, _clause(app, document, "commons"), replace=("commons", "common good"))
    factory.meeting("next-congress")
    factory.person(slug, "delegate", email="late@example.org")
    changed = snapshot(app)
    assert changed != before

    # restore asks first; "no" changes nothing
    declined = runner.invoke(args=["restore", str(backup)], input="n\n")
    assert declined.exit_code != 0
    assert "Stop the server first" in declined.output
    assert snapshot(app) == changed

    restored = runner.invoke(args=["restore", str(backup)], input="y\n")
    assert restored.exit_code == 0, restored.output
    assert snapshot(app) == before  # every row of every table as it was when the backup was taken
    assert (f"meetings {len(before['meeting'])}, people {len(before['person'])}, "
            f"amendments {len(before['amendment'])}, ballots {len(before['ballot'])}.") in restored.output
    assert len(before["ballot"]) == 3 and len(before["amendment"]) == 2
    assert "chain intact" in restored.output

    # the restored database serves the meeting: the closed poll with its count, the audit log verifies
    poll = client.get(f"/api/v1/polls/{poll_id}", headers=bearer(chair_token))
    assert poll.status_code == 200, poll.get_data(as_text=True)
    body = poll.get_json()
    assert (body["state"], body["voted"], body["result"]["counts"], body["result"]["outcome"]) == \
        ("closed", 3, {"yes": 2, "no": 1, "abstain": 0}, "carried")
    assert client.get("/api/v1/meetings/next-congress", headers=bearer(chair_token)).status_code == 404
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    tried("Backup and restore", round_trips=1, rows_restored_as_they_were=sum(map(len, before.values())))


def test_restore_refuses_what_is_not_a_backup_of_this_database(app, factory, runner, tmp_path):
    factory.meeting("congress")
    before = snapshot(app)
    notes = tmp_path / "notes.txt"
    notes.write_bytes("Minutes of the congress\n".encode())
    stranger = tmp_path / "stranger.sqlite3"  # a SQLite database, not made by motions
    with sqlite3.connect(stranger) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    if PG_URL:  # a real SQLite backup of a motions database, offered to PostgreSQL
        other = tmp_path / "other.sqlite3"
        other_app = create_app(_config(f"sqlite:///{other}"))
        assert other_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
        _dispose(other_app)
        wrong_kind, wrong_message = other, "is a SQLite database, but the configured database is PostgreSQL"
        stranger_message = "is a SQLite database, but the configured database is PostgreSQL"
    else:  # a file that starts as pg_dump's custom format does, offered to SQLite
        wrong_kind = tmp_path / "congress.dump"
        wrong_kind.write_bytes(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01\x01" + bytes(200))
        wrong_message = "is a PostgreSQL dump (pg_dump --format=custom), but the configured database is SQLite"
        stranger_message = "is a SQLite database but not a motions backup: it has no alembic_version"
    refused = 0
    for path, message in ((notes, "is not a backup: neither a SQLite database nor a PostgreSQL dump"),
                          (wrong_kind, wrong_message), (stranger, stranger_message)):
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 1, result.output
        assert f"Error: {path} {message}" in result.output
        assert snapshot(app) == before
        refused += 1
    tried("Backup and restore", wrong_files_refused=refused)


def test_a_failed_backup_leaves_no_file_and_keeps_the_older_backup(app, runner, factory, tmp_path, monkeypatch):
    factory.meeting("congress")
    folder = tmp_path / "backups"
    folder.mkdir()
    older = folder / "nightly.backup"
    older.write_bytes(b"yesterday's backup")
    if PG_URL:  # no pg_dump on PATH
        monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
        failing, message = runner, "pg_dump is not installed (or not on PATH)"
    else:  # the configured database file is damaged: not a database at all
        broken = tmp_path / "broken.sqlite3"
        broken.write_bytes(b"\x00garbage" * 1000)
        failing, message = create_app(_config(f"sqlite:///{broken}")).test_cli_runner(), "The SQLite backup failed"
    result = failing.invoke(args=["backup", str(older)])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["nightly.backup"]
    assert older.read_bytes() == b"yesterday's backup"

    missing = runner.invoke(args=["backup", str(tmp_path / "no-such-folder" / "x.backup")])
    assert missing.exit_code == 1 and "There is no folder" in missing.output


# ------------------------------------------------------------------ the storm

VOTERS = 600  # enough to outlast the backup; the storm stops soon after it (see AFTER)
THREADS = 6
BEFORE = 40  # the backup starts once this many ballots have been acknowledged ...
AFTER = 20  # ... and the storm goes on until this many more are acknowledged after it ended


class Storm:
    """Delegates cast ballots from threads through HTTP (keep-alive connections, bearer tokens);
    each request's status and when it was sent and answered (time.monotonic) are kept."""

    def __init__(self, base: str, poll_id: int, tokens: list[str], choices: list[str]):
        self.address = base.removeprefix("http://")
        self.path = f"/api/v1/polls/{poll_id}/ballots"
        self.tokens, self.choices = tokens, choices
        self.results: dict[int, tuple[int, float, float]] = {}
        self.lock = threading.Lock()
        self.next = iter(range(len(tokens)))
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._cast, daemon=True) for _ in range(THREADS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _cast(self) -> None:
        connection = http.client.HTTPConnection(self.address, timeout=60)
        try:
            while not self.stopping.is_set():
                with self.lock:
                    i = next(self.next, None)
                if i is None:
                    return
                started = time.monotonic()
                try:
                    connection.request("POST", self.path, body=json.dumps({"choice": self.choices[i]}),
                                       headers={"Authorization": f"Bearer {self.tokens[i]}",
                                                "Content-Type": "application/json"})
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    status = 0  # no answer: whether it was stored is unknown (the test fails on it)
                    connection.close()
                with self.lock:
                    self.results[i] = (status, started, time.monotonic())
        finally:
            connection.close()

    def acknowledged(self, after: float | None = None) -> int:
        with self.lock:
            return sum(1 for status, _s, end in self.results.values()
                       if status == 201 and (after is None or end > after))

    def wait(self, condition, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline or not any(t.is_alive() for t in self.threads):
                return
            time.sleep(0.002)

    def finish(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)


def _person_ids(uri: str, tokens: list[str]) -> list[int]:
    """Whose token each is (the tokens table keeps their SHA-256)."""
    from motions.auth.models import ApiToken

    app = create_app(_config(uri))
    with app.app_context():
        owner = dict(db.session.execute(db.select(ApiToken.token_hash, ApiToken.person_id)).all())
        db.session.remove()
        db.engine.dispose()
    return [owner[ApiToken.digest(token)] for token in tokens]


def _stored(uri: str, poll_id: int) -> dict:
    """What the database holds of the poll: ballot rows (voter ids), the secret tallies per choice,
    the turnout events; and the storage's own check."""
    from motions.live.models import MeetingEvent
    from motions.polls.models import Ballot, PollTally

    app = create_app(_config(uri))
    with app.app_context():
        voters = db.session.execute(db.select(Ballot.voter_id).where(Ballot.poll_id == poll_id)).scalars().all()
        tallies = Counter()
        for choice, headcount in db.session.execute(db.select(PollTally.choice, PollTally.headcount)
                                                    .where(PollTally.poll_id == poll_id)):
            tallies[choice] += headcount
        events = 0
        for data in db.session.execute(db.select(MeetingEvent.data).where(MeetingEvent.kind == "poll.turnout")) \
                .scalars():
            data = data if isinstance(data, dict) else json.loads(data)
            events += data.get("poll") == poll_id
        if db.engine.dialect.name == "sqlite":
            health = db.session.execute(db.text("PRAGMA integrity_check")).scalars().all()
        else:  # every constraint (keys, foreign keys, one ballot per voter) rebuilt and checked by the restore
            unchecked = db.session.execute(db.text(
                "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = 'public' AND NOT c.convalidated")).scalar()
            constraints = db.session.execute(db.text(
                "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE n.nspname = 'public' AND c.contype IN ('p', 'f', 'u')")).scalar()
            health = ["ok"] if unchecked == 0 and constraints > 0 else [f"{unchecked} of {constraints} unchecked"]
        db.session.remove()
        db.engine.dispose()
    return {"voters": voters, "tallies": tallies, "events": events, "health": health}


def test_a_backup_taken_during_a_vote_storm_restores_one_consistent_moment():
    with ExitStack() as cleanup:
        folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="backup-storm-")))
        live = cleanup.enter_context(private_database(folder, "storm"))
        chair, tokens = prepare(live, VOTERS)
        voter_of = _person_ids(live, tokens)
        server, base, log = serve(live, "--workers 2 --threads 4", str(folder))
        cleanup.callback(stop, server)  # runs before the databases are dropped and the folder removed
        api = Api(base, chair)
        status, poll = api.call("POST", "/api/v1/meetings/storm/polls",
                                {"title": "Backup storm", "subject": {"type": "none"}, "secret": True})
        assert status == 201, poll
        poll_id = poll["id"]
        status, opened = api.call("POST", f"/api/v1/polls/{poll_id}/open")
        assert status == 200, opened
        import random

        choices = random.Random(6).choices(CHOICES, WEIGHTS, k=VOTERS)
        storm = Storm(base, poll_id, tokens, choices)
        cleanup.callback(storm.finish)

        # the backup, in this process, while the ballots pour in
        backup = folder / "storm.backup"
        live_app = create_app(_config(live))
        cleanup.callback(_dispose, live_app)
        runner = live_app.test_cli_runner()
        storm.start()
        storm.wait(lambda: storm.acknowledged() >= BEFORE)
        began = time.monotonic()
        made = runner.invoke(args=["backup", str(backup)])
        ended = time.monotonic()
        assert made.exit_code == 0, made.output
        storm.wait(lambda: storm.acknowledged(after=ended) >= AFTER)
        storm.finish()

        results = storm.results
        statuses = Counter(status for status, _s, _e in results.values())
        assert set(statuses) == {201}, f"every ballot sent is answered 201: {statuses}\n{log.read_text()[-2000:]}"
        acked = {voter_of[i] for i in results}
        acked_before = {voter_of[i] for i, (_st, _s, end) in results.items() if end < began}
        sent_before_end = {voter_of[i] for i, (_st, start, _e) in results.items() if start < ended}
        # the backup ran inside the storm: ballots acknowledged before it began and after it ended
        assert len(acked_before) >= BEFORE
        assert storm.acknowledged(after=ended) > 0, "the storm ended before the backup did"
        # the live poll counted every acknowledged ballot
        status, live_poll = api.call("GET", f"/api/v1/polls/{poll_id}")
        assert (status, live_poll["voted"]) == (200, len(acked))
        stop(server)

        restored = cleanup.enter_context(private_database(folder, "restored"))
        restored_app = create_app(_config(restored))
        cleanup.callback(_dispose, restored_app)
        answer = restored_app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
        assert answer.exit_code == 0, answer.output
        assert "chain intact" in answer.output

        held = _stored(restored, poll_id)
        voters = held["voters"]
        assert held["health"] == ["ok"]
        assert len(voters) == len(set(voters))
        # one moment: every ballot acknowledged before the backup began, none that was not acknowledged,
        # none sent after it ended
        assert acked_before <= set(voters) <= acked
        assert set(voters) <= sent_before_end
        assert len(acked_before) <= len(voters) <= len(acked)
        # the counters written in the same transactions as the ballot rows agree with them
        assert sum(held["tallies"].values()) == len(voters)
        assert held["events"] == len(voters)
        sent = Counter(choices[i] for i in results)
        sent_before = Counter(choices[i] for i, (_st, _s, end) in results.items() if end < began)
        for choice in CHOICES:
            assert sent_before[choice] <= held["tallies"][choice] <= sent[choice], choice

        # the restored database serves the poll with the same turnout, and counts it
        client = restored_app.test_client()
        poll = client.get(f"/api/v1/polls/{poll_id}", headers=bearer(chair))
        assert poll.status_code == 200, poll.get_data(as_text=True)
        assert (poll.get_json()["state"], poll.get_json()["voted"]) == ("open", len(voters))
        closed = client.post(f"/api/v1/polls/{poll_id}/close", headers=bearer(chair))
        assert closed.status_code == 200, closed.get_data(as_text=True)
        assert closed.get_json()["result"]["counts"] == {c: held["tallies"][c] for c in CHOICES}
        verified = restored_app.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
    assert not folder.exists()
    assert not os.path.exists(backup)
    tried("Backup and restore", backups_during_a_vote_storm=1, ballots_acknowledged_during_the_storm=len(acked),
          acknowledged_before_the_backup_began=len(acked_before), in_the_restored_copy=len(voters),
          acknowledged_before_but_missing=len(acked_before - set(voters)),
          restored_but_never_acknowledged=len(set(voters) - acked))

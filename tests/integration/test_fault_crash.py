"""kill -9 in the middle of a vote storm (issue 6, the fault suite), on SQLite and PostgreSQL.

The app is served by gunicorn in its own process group (bench/vote_storm.py's prepare() and
serve(): one meeting in session, VOTERS delegates present with bearer tokens). THREADS threads post
one ballot per delegate while the chair's thread checks herself in and out (each change is an
entry of the hash-chained audit log). Once a third of the ballots have been answered, the whole
process group (the gunicorn master and its workers) is killed with SIGKILL: nothing is flushed,
no transaction is finished. Every request's outcome is recorded: its answer (201 or another
status), refused (the connection was refused: the server never saw it), or no answer (sent, then
the server died).

Then gunicorn is started again on the same database, and:

- every ballot that got a 201 is stored, with the choice sent; no ballot is stored for a request
  that got another answer or was refused; a stored ballot without a 201 can only come from a
  request that had no answer when the server died (how many is reported);
- the server works: the poll's turnout counts the stored ballots, a delegate whose ballot was lost
  with the server votes now, a stored ballot's delegate gets 409 already_voted, the closed poll's
  counts equal the choices of the stored ballots;
- the audit chain verifies (as `motions audit verify` does), and holds every attendance change
  that was answered;
- the database is sound: SQLite's PRAGMA integrity_check says ok and foreign_key_check finds
  nothing; PostgreSQL's amcheck (bt_index_check with heapallindexed on every B-tree index of our
  tables, verify_heapam on every table) finds nothing; every foreign key has its row (by query,
  on both). These checks run on the database as the crash left it, and again at the end.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import and_, create_engine, func, not_, select, text
from sqlalchemy.engine import make_url

from bench.vote_storm import CHOICES, SLUG, Api, prepare, serve, stop
from motions import create_app
from motions.extensions import db
from tests.conftest import private_database
from tests.tried import tried

VOTERS = 240
THREADS = 16
KILL_AFTER = VOTERS // 3  # answered ballots before the kill
OPTIONS = "--workers 2 --threads 4"
CHAIR = "chair@storm.example.org"
#: the database checks run (SQLite's PRAGMAs, PostgreSQL's amcheck calls, foreign-key queries)
CHECKS_RUN = Counter()


# ------------------------------------------------------------------ the database

@pytest.fixture
def storm_uri(tmp_path):
    """A database of its own for the served app: a SQLite file, or a private PostgreSQL database."""
    with private_database(tmp_path, "crash") as uri:
        yield uri


# ------------------------------------------------------------------ the server

def kill_group(server) -> None:
    """SIGKILL to the gunicorn master and every worker (the process group serve() started), and
    wait until none of them runs any more."""
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _group_alive(server.pid):
        assert time.monotonic() < deadline, "gunicorn workers still run after SIGKILL"
        time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    """A process of the group that is still running (zombies, waiting to be reaped, do not count)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (name) ": state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Storm:
    """The ballots, posted from THREADS threads; every request's outcome, by delegate index."""

    def __init__(self, base: str, poll_id: int, tokens: list[str], choices: list[str]):
        self.address = base.removeprefix("http://")
        self.path = f"/api/v1/polls/{poll_id}/ballots"
        self.tokens, self.choices = tokens, choices
        self.outcomes: dict[int, tuple[str, int | None]] = {}
        self.lock = threading.Lock()
        self.answered = 0
        self.time_to_kill = threading.Event()

    def post(self, index: int) -> None:
        outcome = send(self.address, "POST", self.path, self.tokens[index], {"choice": self.choices[index]})
        with self.lock:
            self.outcomes[index] = outcome
            if outcome[0] == "answer":
                self.answered += 1
                if self.answered >= KILL_AFTER:
                    self.time_to_kill.set()


def send(address: str, method: str, path: str, token: str, body: dict) -> tuple[str, int | None]:
    """("answer", status), ("refused", None): never reached the server, or ("no answer", None)."""
    connection = http.client.HTTPConnection(address, timeout=30)
    try:
        try:
            connection.connect()
        except OSError:
            return "refused", None
        try:
            connection.request(method, path, body=json.dumps(body).encode(),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            return "answer", response.status
        except (OSError, http.client.HTTPException):
            return "no answer", None
    finally:
        connection.close()


class Attendance(threading.Thread):
    """The chair checks herself in and out until the server dies: audited writes during the storm."""

    def __init__(self, base: str, chair_token: str, chair_id: int, present: bool):
        super().__init__(daemon=True)
        self.address, self.token, self.chair_id = base.removeprefix("http://"), chair_token, chair_id
        self.present = present  # now: every request changes it (and is audited)
        self.outcomes: list[tuple[str, int | None]] = []
        self.changed = threading.Event()  # one change is answered: the storm may begin

    def run(self) -> None:
        present = not self.present
        while True:
            outcome = send(self.address, "POST", f"/api/v1/meetings/{SLUG}/attendance", self.token,
                           {"person_id": self.chair_id, "present": present})
            self.outcomes.append(outcome)
            if outcome != ("answer", 200):
                self.changed.set()
                return
            self.changed.set()
            present = not present


# ------------------------------------------------------------------ the checks

def database_problems(uri: str) -> list[str]:
    """What the database's own checks find, and foreign keys without their row; empty when sound."""
    problems: list[str] = []
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                integrity = conn.execute(text("PRAGMA integrity_check")).scalars().all()
                if integrity != ["ok"]:
                    problems += [f"integrity_check: {row}" for row in integrity]
                problems += [f"foreign_key_check: {tuple(row)}"
                             for row in conn.execute(text("PRAGMA foreign_key_check")).all()]
                CHECKS_RUN["integrity_checks"] += 2
            else:
                problems += _amcheck(conn)
            problems += _orphans(conn)
    finally:
        engine.dispose()
    return problems


def _amcheck(conn) -> list[str]:
    """PostgreSQL's amcheck on our tables and their B-tree indexes, where the server has the
    extension (PostgreSQL's contrib; checked, not assumed: without it, the foreign-key query remains)."""
    available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'")).first()
    if available is None:
        print("amcheck is not available on this PostgreSQL server: foreign keys are checked by query only")
        return []
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
    conn.commit()
    tables = [t.name for t in db.metadata.sorted_tables]
    indexes = conn.execute(text(
        "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
        "WHERE am.amname = 'btree' AND t.relname = ANY(:tables) AND t.relnamespace = 'public'::regnamespace"),
        {"tables": tables}).scalars().all()
    assert len(indexes) >= len(tables)  # every table has its primary key's index at least
    problems = []
    for index in indexes:
        try:
            conn.execute(text("SELECT bt_index_check(CAST(:index AS regclass), true)"), {"index": index})
            CHECKS_RUN["integrity_checks"] += 1
        except Exception as error:  # amcheck raises on the first corruption it finds
            conn.rollback()
            problems.append(f"bt_index_check({index}): {error}")
    has_heap_check = conn.execute(text("SELECT 1 FROM pg_proc WHERE proname = 'verify_heapam'")).first()
    if has_heap_check:
        for table in tables:
            rows = conn.execute(text("SELECT blkno, offnum, msg FROM verify_heapam(CAST(:t AS regclass))"),
                                {"t": f'public."{table}"'}).all()
            problems += [f"verify_heapam({table}): {tuple(row)}" for row in rows]
            CHECKS_RUN["integrity_checks"] += 1
    conn.rollback()
    return problems


def _orphans(conn) -> list[str]:
    """Foreign keys whose row is missing, by query over the schema the migrations built."""
    problems = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            pairs = [(e.parent, e.column) for e in fk.elements]
            parent = pairs[0][1].table
            missing = conn.execute(
                select(func.count()).select_from(table).where(
                    and_(*[child.isnot(None) for child, _p in pairs]),
                    not_(select(1).select_from(parent).where(and_(*[p == child for child, p in pairs])).exists()))
            ).scalar()
            CHECKS_RUN["integrity_checks"] += 1
            if missing:
                problems.append(f"{table.name}.{','.join(c.name for c, _p in pairs)}: {missing} rows without "
                                f"their {parent.name}")
    return problems


def stored_ballots(uri: str, poll_id: int) -> dict[int, str]:
    """person id → choice of every ballot stored in the poll."""
    from motions.polls.models import Ballot

    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(Ballot.voter_id, Ballot.choice).where(Ballot.poll_id == poll_id)).all())
    finally:
        engine.dispose()


def people_of(uri: str, tokens: list[str]) -> list[int]:
    """The person id behind each bearer token (the table stores the tokens' digests)."""
    from motions.auth.models import ApiToken

    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            by_digest = dict(conn.execute(select(ApiToken.token_hash, ApiToken.person_id)).all())
    finally:
        engine.dispose()
    return [by_digest[ApiToken.digest(t)] for t in tokens]


def audit_of(uri: str):
    """(the chain's report as `motions audit verify` makes it, the attendance changes it holds)."""
    from motions import audit
    from motions.audit.models import AuditEntry

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "crash-test", "TESTING": True})
    with app.app_context():
        try:
            report = audit.verify_report()
            changes = db.session.execute(select(func.count()).select_from(AuditEntry)
                                         .where(AuditEntry.action == "attendance.changed")).scalar()
            return report, changes
        finally:
            db.session.remove()
            db.engine.dispose()


# ------------------------------------------------------------------ the test

def test_kill_9_mid_vote_storm_loses_no_answered_ballot(storm_uri, tmp_path):
    chair_token, tokens = prepare(storm_uri, VOTERS)
    people = people_of(storm_uri, tokens)
    rng = random.Random(6)
    choices = rng.choices(CHOICES, k=VOTERS)
    late = VOTERS - 1  # this delegate waits for the restart to vote
    CHECKS_RUN.clear()
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()

    server, base, log = serve(storm_uri, OPTIONS, str(first_dir))
    restarted = None
    try:
        chair = Api(base, chair_token)
        status, poll = chair.call("POST", f"/api/v1/meetings/{SLUG}/polls",
                                  {"title": "Crash", "subject": {"type": "none"}})
        assert status == 201, poll
        poll_id = poll["id"]
        assert chair.call("POST", f"/api/v1/polls/{poll_id}/open")[0] == 200
        status, listed = chair.call("GET", f"/api/v1/meetings/{SLUG}/people")
        assert status == 200, listed
        chair_row = next(p for p in listed if p["email"] == CHAIR)

        # the storm, and the kill in its middle
        storm = Storm(base, poll_id, tokens, choices)
        attendance = Attendance(base, chair_token, chair_row["id"], chair_row["present"])
        attendance.start()
        assert attendance.changed.wait(30) and attendance.outcomes[0] == ("answer", 200), attendance.outcomes
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(storm.post, i) for i in range(VOTERS) if i != late]
            assert storm.time_to_kill.wait(120), f"only {storm.answered} ballots answered: {log.read_text()[-3000:]}"
            kill_group(server)
            for future in futures:
                future.result()
        attendance.join(30)
        assert not attendance.is_alive()

        outcomes = storm.outcomes
        kinds = Counter(kind if kind != "answer" else status for kind, status in outcomes.values())
        answered = {i for i, o in outcomes.items() if o == ("answer", 201)}
        other = {i for i, (kind, status) in outcomes.items() if kind == "answer" and status != 201}
        refused = {i for i, (kind, _s) in outcomes.items() if kind == "refused"}
        unanswered = {i for i, (kind, _s) in outcomes.items() if kind == "no answer"}
        # the kill did land in the middle of the storm
        assert len(answered) >= KILL_AFTER and refused | unanswered, kinds

        # the database as the crash left it
        assert database_problems(storm_uri) == []

        # what is stored
        stored = stored_ballots(storm_uri, poll_id)
        index_of = {person: i for i, person in enumerate(people)}
        stored_index = {index_of[p] for p in stored}
        lost = answered - stored_index
        assert not lost, f"{len(lost)} ballots answered 201 are not stored: {sorted(lost)[:20]}"
        assert not stored_index & other, f"ballots stored although answered {kinds}"
        assert not stored_index & refused, "ballots stored for requests the server never received"
        extra = stored_index - answered
        assert extra <= unanswered
        assert all(stored[people[i]] == choices[i] for i in stored_index), "a stored choice differs from the one sent"
        print(f"\nkill -9 mid vote storm ({make_url(storm_uri).get_backend_name()}): outcomes {dict(kinds)}; "
              f"stored {len(stored)}: {len(answered)} answered 201, {len(extra)} of the {len(unanswered)} "
              f"without an answer were committed before the kill")

        # the server again, on the same database
        restarted, base, second_log = serve(storm_uri, OPTIONS, str(second_dir))
        chair = Api(base, chair_token)
        status, poll = chair.call("GET", f"/api/v1/polls/{poll_id}")
        assert status == 200 and poll["state"] == "open" and poll["voted"] == len(stored), poll
        voted_now = [late] + sorted((unanswered | refused) - stored_index)[:3]
        for i in voted_now:
            assert send(base.removeprefix("http://"), "POST", f"/api/v1/polls/{poll_id}/ballots", tokens[i],
                        {"choice": choices[i]}) == ("answer", 201)
        again = min(answered)
        status, body = Api(base, tokens[again]).call("POST", f"/api/v1/polls/{poll_id}/ballots",
                                                     {"choice": choices[again]})
        assert status == 409 and body["error"]["code"] == "already_voted", body
        status, closed = chair.call("POST", f"/api/v1/polls/{poll_id}/close")
        assert status == 200, closed
        expected = Counter(choices[i] for i in stored_index | set(voted_now))
        assert closed["voted"] == len(stored) + len(voted_now)
        assert {k: closed["result"]["counts"].get(k, 0) for k in CHOICES} == {k: expected[k] for k in CHOICES}
        assert "Traceback" not in second_log.read_text(), second_log.read_text()[-3000:]

        # the audit chain, and the answered attendance changes in it
        report, changes = audit_of(storm_uri)
        assert report.problems == [] and report.entries > 0, report.problems
        done = sum(1 for o in attendance.outcomes if o == ("answer", 200))
        maybe = sum(1 for o in attendance.outcomes if o[0] == "no answer")
        assert done > 0 and done <= changes <= done + maybe, (attendance.outcomes[-3:], changes)
        print(f"audit: {report.entries} entries, chain intact; {changes} attendance changes stored for "
              f"{done} answered and {maybe} without an answer")
    finally:
        for running in (server, restarted):
            if running is not None and running.poll() is None:
                stop(running)

    assert database_problems(storm_uri) == []
    tried("kill -9 mid vote storm", server_killed_with_sigkill=1, ballots_sent=len(outcomes),
          answered_201_before_the_kill=len(answered), without_an_answer=len(unanswered), refused=len(refused),
          stored_after_restart=poll["voted"], lost=len(lost), ballots_after_restart=len(voted_now),
          audited_attendance_changes_answered=done, integrity_checks_run=CHECKS_RUN["integrity_checks"])

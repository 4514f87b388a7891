"""The load suite of issue 6 (bench/load.py) at a small scale, against gunicorn serving a database of
the kind under test (its own: a SQLite file, or a PostgreSQL database on the test server), with the
suite's worker options (one worker on SQLite, four on PostgreSQL). The long runs are `make bench`.

- The vote storm: 30 delegates vote through HTTP; every ballot is answered 201 and counted, the
  projector's stream shows the whole turnout, the ceiling requests are answered.
- Browse + submit: 20 delegates signed in with a cookie session browse a platform with its
  amendments (locust users) while 5 propose amendments through the API; no request fails, none is
  answered 5xx, every proposal answered 201 is stored and nothing else is.
- Open event streams: 50 delegates hold the meeting's event stream open while the chair opens and
  closes a poll and 20 delegates vote; the streams last 3 s, and half the ballots come only once
  every stream has ended and reconnected (Last-Event-ID); every stream receives every event
  exactly once and the final turnout.

What is measured (times, rates) is printed by the bench, never asserted here.
"""
from __future__ import annotations

from collections import Counter

import pytest

from bench import load
from bench.vote_storm import CHOICES
from tests.conftest import private_database


@pytest.fixture
def database(tmp_path):
    """An empty database for the suite ("bench" in its name: the vote storm drops and creates it)."""
    with private_database(tmp_path, "loadbench") as uri:
        yield uri


def test_a_vote_storm_on_the_suites_workers(database, monkeypatch):
    monkeypatch.setenv("BENCH_QUIET_WAIT", "0")  # do not wait for the shared machine to calm down
    f = load.storm(database, voters=30, concurrency=8)
    assert f["storm"]["statuses"] == {201: 30}
    assert f["voted"] == 30
    assert {c: f["counts"].get(c, 0) for c in CHOICES} == {c: f["sent"].get(c, 0) for c in CHOICES}
    assert f["projector_error"] is None and f["turnout_delay"] is not None, "the projector never showed 30 votes"
    assert f["ceiling"]["statuses"] == {200: 30}
    assert f["server_errors"] == 0


def test_delegates_browse_the_platform_while_others_propose_amendments(database, tmp_path):
    f = load.browse(database, str(tmp_path), browsers=20, submitters=5, delegates=40, clauses=20, amendments=60,
                    seconds=8, ramp=3, think=(0.5, 2.0), timeout=30, ceiling_requests=200, concurrency=8)
    run = f["load"]
    assert run["failures_total"] == 0, run["failure_examples"]
    assert run["server_errors_total"] == 0
    statuses = {int(k) for k in run["statuses_total"]}
    assert statuses <= {200, 201, 302}, run["statuses_total"]
    # every kind of request was made, signed in (the pages are checked for the sign-out form)
    assert set(run["requests"]) >= {"page: the platform", "page: an amendment", "page script: an amendment inline",
                                    "API: preview an amendment", "API: propose an amendment"}, set(run["requests"])
    assert run["spawned"] == 25
    submitted = run["submitted"]
    assert submitted["no_answer"] == 0
    assert submitted["201"] == submitted["sent"] > 0
    assert f["stored"] == submitted["201"], "every amendment acknowledged is stored, and no other"
    assert f["ceiling"]["statuses"] == {200: 200}
    assert f["server_errors"] == []


def test_every_open_stream_gets_every_event_once_across_reconnections(database, tmp_path):
    f = load.streams(database, str(tmp_path), n=50, voters=20, seconds=3, idle=1, rate=10, ceiling_requests=200,
                     concurrency=8, limit=30)
    c = f["check"]
    assert f["connected"] == 50
    assert not c["refused"], f"stream requests refused: {dict(c['refused'])}"
    assert c["cut"] == 0
    assert Counter(status for status, _s, _e in f["ballots"]) == {201: 20}
    assert c["expected"] >= 4  # poll.created, poll.opened, floor.changed, poll.closed at least
    # the second half of the ballots came after every stream had ended and reconnected
    assert min(c["reconnected_during"]) >= 1
    assert (c["duplicated"], c["missing"]) == (0, 0), f"events missed (kind: streams): {c['missed']}"
    assert c["complete"] == 50
    assert (c["final"], c["saw_final"]) == (20, 50)
    assert f["server_errors"] == []

"""Ballot integrity under real concurrency, on SQLite and on PostgreSQL (issue 4).

Every thread has its own `app.test_client()`, so each request runs in its own app context with
its own session and database connection, against the real file-backed SQLite database or the
PostgreSQL test database; a `threading.Barrier` starts them together. The assertions are about
what is stored and answered, never about timing:

- one delegate's ballot sent 50 times at once: exactly one 201 and one row, the rest 409
  `already_voted` (the UNIQUE(poll_id, voter_id) constraint decides, not the application);
- the same with the delegate and the holder of their proxy voting for them at once;
- 60 delegates voting while the chair closes the poll: the 201 answers, the stored ballots and
  the counted result are the same ballots, and every other answer is a 409 with nothing stored
  (named and secret polls).
"""
from __future__ import annotations

import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, func, select, update

from motions.extensions import db
from tests.api_helpers import assert_error, bearer, fast_hashing  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")

SAME = 50  # threads sending one delegate's ballot
VOTERS = 60  # delegates voting while the poll closes
CLOSE_AFTER = 20  # the chair closes once this many ballots have been answered (to land the close midway)
OPTIONS = ("yes", "no", "abstain")


# ------------------------------------------------------------------ the meeting

@pytest.fixture
def race(app, factory):
    """A meeting in session: a chair and VOTERS delegates, all present, each with a bearer token."""
    from motions.auth.models import ApiToken, Person
    from motions.meetings import delegate_csv, operations
    from motions.meetings.models import Membership

    slug = factory.meeting("race", title="Race")
    factory.person(slug, "chair", email="chair@race.org", name="Chair")
    chair_token = factory.token("chair@race.org")
    with app.app_context():
        meeting = operations.get_meeting(slug)
        # one transaction for the delegate list (the secretary's CSV import), one for their tokens
        operations.import_delegates(meeting, [
            delegate_csv.DelegateRow(line=i + 2, name=f"Delegate {i:02d}", email=f"d{i:02d}@race.org",
                                     organisation="Union", vote_weight=1 + i % 3, roles=["delegate"])
            for i in range(VOTERS)])
        delegates = list(db.session.execute(select(Person.id).where(Person.email.like("d%@race.org"))
                                            .order_by(Person.email)).scalars())
        tokens = {}
        for person_id in delegates:
            tokens[person_id] = secrets.token_urlsafe(32)
            db.session.add(ApiToken(person_id=person_id, token_hash=ApiToken.digest(tokens[person_id])))
        db.session.execute(update(Membership).where(Membership.meeting_id == meeting.id).values(present=True))
        db.session.commit()
        operations.set_meeting_state(meeting, "in_session")
        meeting_id = meeting.id
        db.session.remove()
    assert len(delegates) == VOTERS
    return SimpleNamespace(app=app, slug=slug, meeting_id=meeting_id, chair=chair_token, delegates=delegates,
                           tokens=tokens)


def open_poll(race, **body) -> int:
    client = race.app.test_client()
    response = client.post(f"/api/v1/meetings/{race.slug}/polls", json={"title": "Race", **body},
                           headers=bearer(race.chair))
    assert response.status_code == 201, response.get_json()
    poll_id = response.get_json()["id"]
    response = client.post(f"/api/v1/polls/{poll_id}/open", headers=bearer(race.chair))
    assert response.status_code == 200, response.get_json()
    return poll_id


def run_together(jobs: list) -> list:
    """Run each job in its own thread, all released at once by a barrier; their results in order.
    An exception in a thread is raised here."""
    barrier = threading.Barrier(len(jobs), timeout=60)

    def start(job):
        barrier.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(start, job) for job in jobs]
        return [future.result(timeout=120) for future in futures]


def ballot_job(app, poll_id: int, token: str, choice: str, on_behalf_of: int | None = None, done=None):
    """A delegate's browser: its own client, one POST; (status, body)."""
    client = app.test_client()

    def job():
        body = {"choice": choice}
        if on_behalf_of is not None:
            body["on_behalf_of"] = on_behalf_of
        response = client.post(f"/api/v1/polls/{poll_id}/ballots", json=body, headers=bearer(token))
        if response.status_code != 201:
            assert_error(response, 409)
        if done is not None:
            done()
        return SimpleNamespace(status=response.status_code, body=response.get_json(), choice=choice)

    return job


def stored(app, poll_id: int) -> SimpleNamespace:
    """What a fresh connection (a new engine, as another process would) finds for the poll."""
    from motions.polls.models import Ballot, Poll, PollTally

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as connection:
            ballots = connection.execute(select(Ballot.voter_id, Ballot.cast_by_id, Ballot.choice)
                                         .where(Ballot.poll_id == poll_id)).all()
            tallies = connection.execute(select(func.coalesce(func.sum(PollTally.headcount), 0))
                                         .where(PollTally.poll_id == poll_id)).scalar()
            poll = connection.execute(select(Poll.state, Poll.result).where(Poll.id == poll_id)).one()
    finally:
        engine.dispose()
    return SimpleNamespace(ballots=ballots, tallies=int(tallies), state=poll.state, result=poll.result)


# ------------------------------------------------------------------ one delegate, fifty times at once

@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_fifty_simultaneous_ballots_of_one_delegate_store_exactly_one(race, secret):
    poll_id = open_poll(race, secret=secret)
    voter = race.delegates[0]
    answers = run_together([ballot_job(race.app, poll_id, race.tokens[voter], OPTIONS[i % 3]) for i in range(SAME)])

    statuses = Counter(a.status for a in answers)
    print(f"\n[{race.app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}] one delegate x{SAME} "
          f"({'secret' if secret else 'named'}): {dict(statuses)}")
    assert statuses == {201: 1, 409: SAME - 1}
    assert {a.body["error"]["code"] for a in answers if a.status == 409} == {"already_voted"}
    winner = next(a for a in answers if a.status == 201)
    assert winner.body == {"poll_id": poll_id, "voter_id": voter, "on_behalf_of": None, "choice": winner.choice,
                           "weight": 1}

    found = stored(race.app, poll_id)
    assert [(b.voter_id, b.cast_by_id) for b in found.ballots] == [(voter, voter)]
    if secret:
        assert found.ballots[0].choice is None
        assert found.tallies == 1  # the refused 49 left nothing in the anonymous counters either
    else:
        assert found.ballots[0].choice == winner.choice

    # and the count agrees: one ballot, the winner's choice
    client = race.app.test_client()
    closed = client.post(f"/api/v1/polls/{poll_id}/close", headers=bearer(race.chair)).get_json()
    assert closed["result"]["voted"] == 1
    assert closed["result"]["counts"] == {o: int(o == winner.choice) for o in OPTIONS}


def test_a_delegate_and_their_proxy_holder_at_once_store_one_ballot(race):
    """One ballot per entitlement: the giver voting and the holder voting for them are the same vote."""
    giver, holder = race.delegates[0], race.delegates[1]
    with race.app.app_context():
        from motions.meetings import operations as meetings
        from motions.polls import operations

        operations.set_proxy(meetings.get_meeting(race.slug), None, giver, holder)
        db.session.remove()
    poll_id = open_poll(race)
    jobs = [ballot_job(race.app, poll_id, race.tokens[giver], "yes") for _ in range(SAME // 2)]
    jobs += [ballot_job(race.app, poll_id, race.tokens[holder], "no", on_behalf_of=giver) for _ in range(SAME // 2)]
    answers = run_together(jobs)

    statuses = Counter(a.status for a in answers)
    assert statuses == {201: 1, 409: SAME - 1}
    assert {a.body["error"]["code"] for a in answers if a.status == 409} == {"already_voted"}
    winner = next(a for a in answers if a.status == 201)
    found = stored(race.app, poll_id)
    assert len(found.ballots) == 1
    ballot = found.ballots[0]
    assert ballot.voter_id == giver and ballot.choice == winner.choice
    assert ballot.cast_by_id == (giver if winner.choice == "yes" else holder)


def test_the_database_itself_refuses_a_second_ballot_row(race):
    """UNIQUE(poll_id, voter_id) is in the schema: a second row for the same vote fails in the
    database, whatever code writes it (here: plain SQL on a fresh connection)."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import IntegrityError

    from motions.polls.models import Ballot

    poll_id = open_poll(race)
    voter = race.delegates[0]
    engine = create_engine(race.app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        assert ["poll_id", "voter_id"] in [u["column_names"] for u in inspect(engine).get_unique_constraints("ballot")]
        row = {"poll_id": poll_id, "voter_id": voter, "cast_by_id": voter, "choice": "yes", "weight": 1}
        with engine.begin() as connection:
            connection.execute(Ballot.__table__.insert().values(**row))
        for other in ({**row, "choice": "no"}, {**row, "cast_by_id": race.delegates[1]}):
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(Ballot.__table__.insert().values(**other))
    finally:
        engine.dispose()
    assert [(b.voter_id, b.choice) for b in stored(race.app, poll_id).ballots] == [(voter, "yes")]


# ------------------------------------------------------------------ ballots racing the close

@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_ballots_racing_the_close_counted_equals_stored_equals_201(race, secret):
    poll_id = open_poll(race, secret=secret)
    answered = threading.Semaphore(0)
    count_lock = threading.Lock()
    seen = [0]

    def one_answered():
        with count_lock:
            seen[0] += 1
            if seen[0] == CLOSE_AFTER:
                answered.release()

    jobs = [ballot_job(race.app, poll_id, race.tokens[d], OPTIONS[i % 3], done=one_answered)
            for i, d in enumerate(race.delegates)]
    chair = race.app.test_client()

    def close():
        # wait for some ballots to be answered (not a timing assertion: only to land the close
        # among the ballots; if every ballot were in first the invariants still have to hold)
        answered.acquire(timeout=60)
        return chair.post(f"/api/v1/polls/{poll_id}/close", headers=bearer(race.chair))

    *answers, closing = run_together([*jobs, close])

    assert closing.status_code == 200, closing.get_json()
    result = closing.get_json()["result"]
    accepted = [(d, a) for d, a in zip(race.delegates, answers) if a.status == 201]
    refused = [(d, a) for d, a in zip(race.delegates, answers) if a.status != 201]
    print(f"\n[{race.app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}] close race "
          f"({'secret' if secret else 'named'}): {len(accepted)} x 201, {len(refused)} x 409, "
          f"counted {result['voted']}")

    # every refusal is the poll-not-open conflict, and nothing of it was stored
    assert all(a.status == 409 and a.body["error"]["code"] == "poll_not_open" for _, a in refused)
    found = stored(race.app, poll_id)
    assert found.state == "closed"
    stored_voters = [b.voter_id for b in found.ballots]
    assert len(stored_voters) == len(set(stored_voters))
    # 201 answers == stored ballots == counted ballots: the same number, the same voters, the same choices
    assert (len(accepted), len(found.ballots), result["voted"]) == (len(accepted),) * 3
    assert set(stored_voters) == {d for d, _ in accepted}
    assert result["voted"] == sum(result["counts"].values())
    assert result["counts"] == {o: sum(1 for _, a in accepted if a.choice == o) for o in OPTIONS}
    assert set(stored_voters).isdisjoint(d for d, _ in refused)
    if secret:
        assert all(b.choice is None for b in found.ballots)
        assert found.tallies == 0  # the per-shard counters are gone; only the totals remain
    else:
        assert Counter(b.choice for b in found.ballots) == Counter(a.choice for _, a in accepted)
    assert found.result["voted"] == result["voted"]

    # the turnout the poll shows agrees too
    shown = chair.get(f"/api/v1/polls/{poll_id}", headers=bearer(race.chair)).get_json()
    assert shown["voted"] == len(accepted)
    # and once closed, any further ballot is refused with nothing stored
    late = race.app.test_client().post(f"/api/v1/polls/{poll_id}/ballots", json={"choice": "yes"},
                                       headers=bearer(race.tokens[(refused or accepted)[0][0]]))
    assert_error(late, 409, "poll_not_open")
    assert len(stored(race.app, poll_id).ballots) == len(accepted)


# ------------------------------------------------------------------ SQLite writers' turns

def _try_turn(path: str, queue) -> None:
    """In another process: can this process take the ballot writers' turn right now?"""
    import fcntl

    with open(f"{path}-writers.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            queue.put("waits")
        else:
            queue.put("takes")


def test_sqlite_ballot_writers_of_different_processes_take_turns(app):
    """On SQLite a ballot is written only in its turn, which is held across worker processes (a
    file lock beside the database): while one process writes, another waits in the kernel rather
    than in SQLite's sleeping busy handler. Other databases (and in-memory SQLite) take no turn."""
    import multiprocessing

    from sqlalchemy import make_url

    from motions.polls.operations import writer_turn

    with app.app_context():
        bind = db.engine
    if bind.dialect.name != "sqlite":
        turn = writer_turn(bind)
        assert type(turn).__name__ == "nullcontext"  # PostgreSQL serialises nothing here
        return
    path = make_url(str(bind.url)).database
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    with writer_turn(bind):
        other = context.Process(target=_try_turn, args=(path, queue))
        other.start()
        assert queue.get(timeout=60) == "waits"
        other.join(60)
    other = context.Process(target=_try_turn, args=(path, queue))
    other.start()
    assert queue.get(timeout=60) == "takes"
    other.join(60)
    memory = create_engine("sqlite://")
    assert type(writer_turn(memory)).__name__ == "nullcontext"

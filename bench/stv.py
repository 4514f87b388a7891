"""The STV scale of issue 7: 10,000 ranked ballots, 20 candidates, 10 seats.

``python -m bench.stv`` counts one seeded, realistic ballot set by Scottish STV
(:mod:`motions.counting.scottish`) and, when :mod:`motions.counting.meek` exists and has a
``count``, by Meek STV too; it prints one row per method: ballots, candidates, seats, the best of
three timings and the number of stages.  The goals (issue 7): Scottish under 2 s, Meek under 10 s
on the 2-core machine.

The ballots: a few popular candidates (popularity falls off as 1/rank, like first preferences in
a real multi-member count), two loose slates whose supporters rank each other next, and ballots
of every length from 1 to 20 (most short: half rank 4 or fewer).  Identical ballots are grouped
by weight, as a BLT file or the app's store would hand them over.
"""
from __future__ import annotations

import random
import sys
import time

CANDIDATES = 20
SEATS = 10
BALLOTS = 10_000
SEED = 7


def ballots(n: int = BALLOTS, candidates: int = CANDIDATES, seed: int = SEED):
    """``n`` ballots over ``candidates`` candidates, grouped into weighted Ballots."""
    from motions.counting.stv import Ballot

    rng = random.Random(seed)
    popularity = [1.0 / (rank + 1) for rank in range(candidates)]
    rng.shuffle(popularity)
    slate = [c % 3 for c in range(candidates)]  # 0, 1: two slates; 2: independents
    grouped: dict[tuple[int, ...], int] = {}
    for _ in range(n):
        length = min(candidates, max(1, int(rng.expovariate(1 / 4.5)) + 1))
        left = list(range(candidates))
        weights = list(popularity)
        ranking: list[int] = []
        for _ in range(length):
            pick = rng.choices(range(len(left)), weights)[0]
            c = left.pop(pick)
            weights.pop(pick)
            ranking.append(c)
            if slate[c] != 2:  # a slate's supporters favour its other candidates next
                weights = [w * (3.0 if slate[d] == slate[c] else 1.0) for d, w in zip(left, weights)]
        key = tuple(ranking)
        grouped[key] = grouped.get(key, 0) + 1
    return tuple(Ballot(prefs, weight) for prefs, weight in grouped.items())


def methods():
    from motions.counting import scottish

    found = [("scottish", scottish.count)]
    try:
        from motions.counting import meek
    except ImportError:
        meek = None
    if meek is not None and callable(getattr(meek, "count", None)):
        found.append(("meek", meek.count))
    return found


def in_the_app(papers, url: str | None = None) -> list[tuple[str, float, str]]:
    """The same papers in an election of the app: closing it (read the papers, count, regroup, store
    the result), then the result page, its CSV and PDF, and the BLT download, through the test
    client. A fresh SQLite database, or BENCH_DATABASE_URL (a database whose name has "bench" in
    it, dropped and created again). The voters and papers are inserted in bulk: casting 10,000
    ballots is the vote storm's business (bench/vote_storm.py)."""
    import secrets
    import tempfile

    from sqlalchemy import insert

    from bench.common import sign_in
    from bench.vote_storm import drop_database, fresh_database
    from motions import create_app
    from motions.auth.models import Person
    from motions.elections import operations
    from motions.elections.models import Election as ElectionRow
    from motions.elections.models import ElectionPaper, ElectionVoter
    from motions.extensions import db
    from motions.meetings import operations as meetings

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        uri = url or f"sqlite:///{tmp}/stv.sqlite3"
        fresh_database(uri)
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            meeting = meetings.create_meeting({"slug": "stv-bench", "title": "STV bench"}, creator=None)
            chair = meetings.add_person(meeting, {"name": "Chair", "email": "chair@bench.org", "roles": ["chair"],
                                                  "password": "bench-password"}).person_id
            meetings.set_meeting_state(meeting, "in_session")
            election = operations.create_election(meeting, None, title="Steering Committee", seats=SEATS,
                                                  method="scottish")
            person = db.session.get(Person, chair)
            for i in range(CANDIDATES):
                operations.nominate(election, person, name=f"Candidate {i + 1}")
            operations.open_ballots(election, person, confirm_without_quorum=True)
            ids = [c.id for c in operations.standing(election)]
            voters = [{"name": f"Voter {i}", "email": f"v{i}@bench.org", "organisation": "", "is_organiser": False,
                       "password_hash": "x", "session_generation": 0} for i in range(BALLOTS)]
            db.session.execute(insert(Person), voters)
            first = chair + 1
            db.session.execute(insert(ElectionVoter), [{"election_id": election.id, "voter_id": first + i,
                                                        "cast_by_id": first + i} for i in range(BALLOTS)])
            db.session.execute(insert(ElectionPaper), [
                {"id": secrets.randbits(62), "election_id": election.id, "count": 1,
                 "preferences": " ".join(str(ids[c]) for c in ballot.preferences)}
                for ballot in papers for _ in range(ballot.weight)])
            db.session.commit()
            election_id = election.id
            t = time.perf_counter()
            operations.close_ballots(db.session.get(ElectionRow, election_id), person)
            rows.append(("close the ballots: read 10,000 papers, count, regroup, store", time.perf_counter() - t,
                         f"{len(db.session.get(ElectionRow, election_id).result['counts'][0]['outcome']['stages'])}"
                         " stages"))
            db.session.remove()
        client = app.test_client()
        sign_in(client, "chair@bench.org", "bench-password")
        for name, path in (("the result page", f"/elections/{election_id}/result"),
                           ("the result sheet as CSV", f"/elections/{election_id}/result.csv"),
                           ("the result sheet as PDF", f"/elections/{election_id}/result.pdf"),
                           ("the papers as a BLT file", f"/elections/{election_id}/ballots.blt")):
            best = float("inf")
            size = 0
            for _ in range(3):
                t = time.perf_counter()
                response = client.get(path)
                best = min(best, time.perf_counter() - t)
                assert response.status_code == 200, (path, response.status_code)
                size = len(response.get_data())
            rows.append((name, best, f"{size // 1024} KB"))
        with app.app_context():
            db.engine.dispose()
        drop_database(uri)
    return rows


def main() -> int:
    import os

    from motions.counting.stv import Election

    start = time.perf_counter()
    papers = ballots()
    made = time.perf_counter() - start
    election = Election(candidates=tuple(f"Candidate {i + 1}" for i in range(CANDIDATES)), seats=SEATS,
                        ballots=papers, title="bench")
    print(f"{BALLOTS:,} ballots ({len(papers):,} distinct rankings, made in {made:.2f} s), "
          f"{CANDIDATES} candidates, {SEATS} seats")
    print()
    print("| method   | ballots | candidates | seats | seconds (best of 3) | stages |")
    print("|----------|---------|------------|-------|---------------------|--------|")
    for name, count in methods():
        best, result = float("inf"), None
        for _ in range(3):
            t = time.perf_counter()
            result = count(election, seed="bench")
            best = min(best, time.perf_counter() - t)
        print(f"| {name:<8} | {BALLOTS:>7,} | {CANDIDATES:>10} | {SEATS:>5} | {best:>19.3f} | "
              f"{len(result.stages):>6} |")
    url = os.environ.get("BENCH_DATABASE_URL")
    print()
    print(f"In the app ({'PostgreSQL' if url else 'SQLite'}; the same papers, Scottish STV; pages best of 3):")
    print()
    print("| step | seconds | note |")
    print("|---|---|---|")
    for name, seconds, note in in_the_app(papers, url):
        print(f"| {name} | {seconds:.3f} | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

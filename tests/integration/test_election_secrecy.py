"""An election's ballots are secret (issue 7): nothing stored links a voter to a paper, checked
against the raw database on SQLite and PostgreSQL with the scanner of the secret polls
(tests/integration/test_secret_ballot.py): every table, every column, every value inside JSON.
Also: the papers carry no voter, time or order of casting (on SQLite their random key is the
rowid itself), and once counted no row written by a voter's transaction holds a paper."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import inspect, text

from motions.elections import operations as elections
from motions.elections.models import Election
from motions.extensions import db
from motions.meetings import operations as meetings
from tests.api_helpers import fast_hashing  # noqa: F401  (a fixture)
from tests.conftest import PG_URL
from tests.integration.test_secret_ballot import SCANNED, database, linking
from tests.tried import tried

pytestmark = pytest.mark.usefixtures("fast_hashing")

VOTERS = 12


@pytest.fixture
def hall(app, factory):
    slug = factory.meeting("secret-election")
    chair = factory.person(slug, "chair")
    voters = [factory.person(slug, "delegate") for _ in range(VOTERS)]
    with app.app_context():
        meeting = meetings.get_meeting(slug)
        meetings.set_meeting_state(meeting, "in_session")
        for v in voters:
            meetings.set_attendance(meeting, meetings.get_membership(meeting, v), True)
    eid = factory.election(slug, seats=2, candidates=("Ann", "Bob", "Cy", "Di", "Ed"))
    with app.app_context():
        from motions.auth.models import Person

        election = db.session.get(Election, eid)
        elections.open_ballots(election, db.session.get(Person, chair))
        ids = [c.id for c in elections.standing(election)]
    # every voter a different ranking, so each paper is a string found nowhere else by chance
    rankings = [list(p[:3]) for p in itertools.permutations(ids, 3)][:VOTERS]
    return app, eid, chair, voters, rankings


def papers_as_stored(rankings) -> set[str]:
    return {" ".join(map(str, r)) for r in rankings}


def test_no_row_holds_a_voter_and_their_paper_open_or_counted(hall):
    app, eid, chair, voters, rankings = hall
    with app.app_context():
        for voter, ranking in zip(voters, rankings):
            elections.cast_ballot(eid, voter, ranking)
        db.session.remove()
    strings = papers_as_stored(rankings)
    for moment in ("open", "counted"):
        if moment == "counted":
            with app.app_context():
                from motions.auth.models import Person

                elections.close_ballots(db.session.get(Election, eid), db.session.get(Person, chair))
                db.session.remove()
        rows = database(app)
        assert linking(rows, set(voters), strings) == [], moment
        holding = [r for r in rows if r.strings & strings]
        assert {r.table for r in holding} == {"election_paper"}, moment
        assert all(not r.people for r in holding)
        voter_rows = [r.row for r in rows if r.table == "election_voter"]
        assert sorted(r["voter_id"] for r in voter_rows) == sorted(voters)
        assert all(set(r) == {"id", "election_id", "voter_id", "cast_by_id", "at"} for r in voter_rows)
        # the turnout events say only which election
        for r in rows:
            if r.table == "meeting_event" and r.row["kind"] == "election.turnout":
                data = r.row["data"]
                assert "preferences" not in str(data) and not (set(map(str, rankings[0])) & set(str(data).split()))
    tried("Secret ballot", **SCANNED, election_papers=len(rankings))


def test_the_paper_table_keeps_no_voter_time_or_order(hall):
    app, eid, chair, voters, rankings = hall
    with app.app_context():
        for voter, ranking in zip(voters, rankings):
            elections.cast_ballot(eid, voter, ranking)
        inspector = inspect(db.engine)
        columns = {c["name"] for c in inspector.get_columns("election_paper")}
        foreign = [(fk["constrained_columns"], fk["referred_table"]) for fk in inspector.get_foreign_keys("election_paper")]
        cast_order = [row.preferences for row in db.session.execute(text(
            "SELECT p.preferences FROM election_paper p ORDER BY p.id"))]
        if not PG_URL:
            same = db.session.execute(text("SELECT count(*) FROM election_paper WHERE rowid = id")).scalar()
            assert same == len(rankings)  # the random key is the rowid: no hidden counter of the order
        db.session.remove()
    assert columns == {"id", "election_id", "preferences", "count"}
    assert foreign == [(["election_id"], "election")]
    # ordered by their key, the papers are not in the order they were cast (12! orders, one of them that)
    assert cast_order != [" ".join(map(str, r)) for r in rankings]
    assert sorted(cast_order) == sorted(papers_as_stored(rankings))


@pytest.mark.postgresql_only  # xmin, the id of the writing transaction, is a PostgreSQL system column
def test_once_counted_no_row_written_by_a_voters_transaction_holds_a_paper_postgresql(hall):
    app, eid, chair, voters, rankings = hall
    with app.app_context():
        for voter, ranking in zip(voters, rankings):
            elections.cast_ballot(eid, voter, ranking)
        from motions.auth.models import Person

        elections.close_ballots(db.session.get(Election, eid), db.session.get(Person, chair))
        with db.engine.connect() as connection:
            xids = set(connection.execute(text("SELECT xmin::text FROM election_voter WHERE election_id = :e"),
                                          {"e": eid}).scalars())
            written = connection.execute(text("SELECT xmin::text AS x, preferences FROM election_paper")).all()
        db.session.remove()
    assert len(xids) == VOTERS
    assert not [row for row in written if row.x in xids]  # the papers were rewritten, grouped, at the count

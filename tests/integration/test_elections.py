"""Elections through their operations (issue 7): nominations with the meeting's seconder rule,
withdrawals, the ballot paper, ballots (one each, proxies, the close race), the count stored and
read back, BLT out and in, and what is refused, with nothing stored half-way. Both databases."""
from __future__ import annotations

import random
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from motions.auth.models import Person
from motions.counting import blt
from motions.elections import operations as elections
from motions.elections import reading
from motions.elections.models import (
    Candidate, CandidateState, Election, ElectionPaper, ElectionState, ElectionVoter,
)
from motions.errors import Forbidden, OperationError, StateConflict, ValidationFailed
from motions.extensions import db
from motions.meetings import operations as meetings
from tests.api_helpers import fast_hashing  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def world(app, factory):
    """A meeting in session needing one seconder: a chair, eight delegates (d1..d8) present, d8's
    proxy held by d1, and a secretary."""
    slug = factory.meeting("elections", seconders_required=1)
    w = SimpleNamespace(app=app, slug=slug, ids={})
    w.ids["chair"] = factory.person(slug, "chair", name="Chair Person")
    w.ids["secretary"] = factory.person(slug, "secretary", name="Secretary Person")
    for i in range(1, 9):
        w.ids[f"d{i}"] = factory.person(slug, "delegate", name=f"Delegate {i}", email=f"d{i}@e.org")
    with app.app_context():
        meeting = meetings.get_meeting(slug)
        meetings.set_meeting_state(meeting, "in_session")
        for i in range(1, 8):
            meetings.set_attendance(meeting, meetings.get_membership(meeting, w.ids[f"d{i}"]), True)
        from motions.polls import operations as polls

        polls.set_proxy(meeting, None, w.ids["d8"], w.ids["d1"])
    return w


def person(w, who: str) -> Person:
    return db.session.get(Person, w.ids[who])


def election(w, election_id: int) -> Election:
    return db.session.get(Election, election_id)


def test_nominations_follow_the_seconder_rule_and_withdrawals_end_at_the_ballot(world, factory):
    w = world
    eid = factory.election(w.slug, seats=2, state="nominating")
    with w.app.app_context():
        e = election(w, eid)
        ann = elections.nominate(e, person(w, "d1"), person_id=w.ids["d2"], statement="For the campaign.")
        assert ann.state is CandidateState.nominated and ann.name == "Delegate 2"
        with pytest.raises(Forbidden):
            elections.second(ann, person(w, "d1"))  # the nominator
        with pytest.raises(Forbidden):
            elections.second(ann, person(w, "d2"))  # the candidate
        elections.second(ann, person(w, "d3"))
        assert ann.state is CandidateState.standing and [s.person_id for s in ann.seconders] == [w.ids["d3"]]
        with pytest.raises(StateConflict) as again:
            elections.second(ann, person(w, "d3"))
        assert again.value.code == "already_seconded"
        with pytest.raises(StateConflict) as twice:
            elections.nominate(e, person(w, "d4"), person_id=w.ids["d2"])
        assert twice.value.code == "already_nominated"
        self_nominated = elections.nominate(e, person(w, "d5"), person_id=w.ids["d5"])
        entered = elections.nominate(e, person(w, "chair"), name="Outside Ally", organisation="Friends")
        assert entered.state is CandidateState.standing  # the chair's entry stands at once
        with pytest.raises(Forbidden):
            elections.withdraw(entered, person(w, "d6"))  # neither candidate, nominator nor chair
        elections.withdraw(self_nominated, person(w, "d5"))
        assert self_nominated.state is CandidateState.withdrawn
        with pytest.raises(Forbidden):
            elections.nominate(e, person(w, "secretary"), person_id=w.ids["d6"])
        elections.close_nominations(e, person(w, "chair"))
        with pytest.raises(StateConflict):
            elections.nominate(e, person(w, "d6"), person_id=w.ids["d6"])  # nominations closed
        elections.open_ballots(e, person(w, "chair"))
        assert [c.name for c in elections.standing(e)] == ["Delegate 2", "Outside Ally"]
        assert [c.position for c in elections.standing(e)] == [1, 2]
        with pytest.raises(StateConflict) as late:
            elections.withdraw(ann, person(w, "d2"))
        assert late.value.code == "ballots_opened"


def test_a_nomination_after_the_deadline_is_refused(world, factory):
    from datetime import datetime, timedelta, timezone

    w = world
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    eid = factory.election(w.slug, state="nominating", nominations_close_at=past)
    with w.app.app_context():
        with pytest.raises(StateConflict) as refused:
            elections.nominate(election(w, eid), person(w, "d1"), person_id=w.ids["d1"])
        assert refused.value.code == "nominations_closed"
        assert db.session.execute(select(func.count()).select_from(Candidate)).scalar() == 0


@pytest.mark.parametrize("settings, field", [
    ({"seats": 0}, "seats"), ({"seats": "many"}, "seats"), ({"method": "borda"}, "method"), ({"title": ""}, "title"),
    ({"reserved_seats": 3}, "reserved_seats"), ({"reserved_seats": 1, "reserved_group": ""}, "reserved_group"),
    ({"nominations_close_at": "soon"}, "nominations_close_at"), ({"title": "x" * 301}, "title"),
])
def test_bad_settings_are_refused_by_field(world, settings, field):
    w = world
    with w.app.app_context():
        values = {"title": "Steering Committee", "seats": 3, "method": "scottish", **settings}
        with pytest.raises(ValidationFailed) as refused:
            elections.create_election(meetings.get_meeting(w.slug), person(w, "chair"), **values)
        assert field in refused.value.fields
        assert db.session.execute(select(func.count()).select_from(Election)).scalar() == 0


def test_more_seats_than_candidates_cannot_open(world, factory):
    w = world
    eid = factory.election(w.slug, seats=3, candidates=("Ann", "Bob"))
    with w.app.app_context():
        with pytest.raises(StateConflict) as refused:
            elections.open_ballots(election(w, eid), person(w, "chair"))
        assert refused.value.code == "too_few_candidates"
        assert "3 seats" in refused.value.message
        assert election(w, eid).state is ElectionState.draft


def open_election(w, factory, names=("Ann Able", "Bob Baker", "Cy Cole", "Di Dunn"), **settings) -> tuple[int, dict]:
    eid = factory.election(w.slug, candidates=names, **settings)
    with w.app.app_context():
        e = election(w, eid)
        elections.open_ballots(e, person(w, "chair"))
        return eid, {c.name: c.id for c in elections.standing(e)}


def test_ballots_one_each_proxies_refusals_and_the_count(world, factory):
    w = world
    eid, ids = open_election(w, factory, seats=2)
    A, B, C, D = (ids[n] for n in ("Ann Able", "Bob Baker", "Cy Cole", "Di Dunn"))
    with w.app.app_context():
        assert elections.cast_ballot(eid, person(w, "d1"), [A, B])["on_behalf_of"] is None
        assert elections.cast_ballot(eid, person(w, "d1"), [C], on_behalf_of=w.ids["d8"])["on_behalf_of"] == w.ids["d8"]
        refusals = [
            (lambda: elections.cast_ballot(eid, person(w, "d1"), [A]), StateConflict, "already_voted"),
            (lambda: elections.cast_ballot(eid, person(w, "d2"), [A, A]), ValidationFailed, "validation_failed"),
            (lambda: elections.cast_ballot(eid, person(w, "d2"), [A, 999999]), ValidationFailed, "validation_failed"),
            (lambda: elections.cast_ballot(eid, person(w, "d2"), "A"), ValidationFailed, "validation_failed"),
            (lambda: elections.cast_ballot(eid, person(w, "d2"), [A], on_behalf_of=w.ids["d8"]), Forbidden, "no_proxy"),
            (lambda: elections.cast_ballot(eid, person(w, "chair"), [A]), Forbidden, "forbidden"),
        ]
        for call, kind, code in refusals:
            with pytest.raises(kind) as refused:
                call()
            assert refused.value.code == code
            db.session.rollback()
        for who, ranking in (("d2", [A, C]), ("d3", [B, D, A]), ("d4", [C, B]), ("d5", [D]), ("d6", [A, D]), ("d7", [])):
            elections.cast_ballot(eid, person(w, who), [ids_ for ids_ in ranking])
        assert elections.turnout(eid) == 8
        e = election(w, eid)
        elections.close_ballots(e, person(w, "chair"))
        result = reading.result(e)
        assert result.papers == 8 and result.invalid == 1 and result.valid == 7  # d7's empty ballot
        # 7 valid, 2 seats: quota floor(7/3)+1 = 3. First preferences A 3 (d1, d2, d6), B 1, C 2, D 1:
        # A elected at once; the count then elects one of the others
        count = result.counts[0]
        assert count.outcome.quota == 3 and count.outcome.stages[0].votes[0] == 3
        assert result.elected[0]["name"] == "Ann Able" and len(result.elected) == 2
        with pytest.raises(StateConflict) as closed:
            elections.cast_ballot(eid, person(w, "d2"), [A])
        assert closed.value.code == "election_not_open"


def test_the_papers_are_grouped_at_the_close_and_the_blt_file_repeats_the_count(world, factory):
    w = world
    eid, ids = open_election(w, factory, seats=2)
    rankings = [[ids["Ann Able"], ids["Bob Baker"]]] * 3 + [[ids["Cy Cole"]]] * 2 + [[ids["Di Dunn"], ids["Cy Cole"]]]
    with w.app.app_context():
        for i, ranking in enumerate(rankings, start=1):
            elections.cast_ballot(eid, person(w, f"d{i}"), ranking)
        assert db.session.execute(select(func.count()).select_from(ElectionPaper)).scalar() == 6
        e = election(w, eid)
        elections.close_ballots(e, person(w, "chair"))
        rows = db.session.execute(select(ElectionPaper.preferences, ElectionPaper.count)).all()
        assert sorted(count for _p, count in rows) == [1, 2, 3]  # one row per distinct paper
        text = elections.export_blt(e)
    parsed = blt.parse(text)
    assert parsed.seats == 2 and parsed.title == "Steering Committee"
    assert sorted((b.preferences, b.weight) for b in parsed.ballots) == sorted(
        [((0, 1), 3), ((2,), 2), ((3, 2), 1)])
    from motions.counting import scottish

    with w.app.app_context():
        stored = [election(w, eid).result["elected_ids"]]
        names = {c.id: c.name for c in election(w, eid).candidates}
    again = scottish.count(parsed, seed="x")
    assert [parsed.candidates[i] for i in again.elected] == [names[i] for i in stored[0]]


def test_a_blt_file_is_imported_and_counted(world, factory):
    w = world
    eid = factory.election(w.slug, seats=1)
    text = '3 1\n4 1 2 0\n3 2 3 0\n2 3 0\n0\n"Ann"\n"Bob"\n"Cy"\n"Imported"\n'
    with w.app.app_context():
        e = election(w, eid)
        elections.import_blt(e, person(w, "chair"), text)
        assert e.state is ElectionState.closed and e.imported
        result = reading.result(e)
        assert result.papers == 9 and [x["name"] for x in result.elected] in (["Ann"], ["Bob"])
        assert e.result["elected_ids"] and len(e.result["elected_ids"]) == 1


@pytest.mark.parametrize("text, words", [
    ('2 1\n1 1 2\n0\n"A"\n"B"\n"T"\n', "line 2"),
    ('2 2\n1 1 2 0\n0\n"A"\n"B"\n"T"\n', "2 seats"),
    ('2 1\n1 1 0\n0\n"Ann"\n"Zed"\n"T"\n', "Zed"),
])
def test_a_bad_blt_file_is_refused_with_its_line_and_nothing_is_stored(world, factory, text, words):
    w = world
    eid = factory.election(w.slug, seats=1, candidates=("Ann", "Bob"))
    with w.app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            elections.import_blt(election(w, eid), person(w, "chair"), text)
        assert words.lower() in refused.value.message.lower()
        db.session.rollback()
        e = election(w, eid)
        assert e.state is ElectionState.draft and not e.result
        assert db.session.execute(select(func.count()).select_from(ElectionPaper)).scalar() == 0
        assert sorted(c.name for c in e.candidates) == ["Ann", "Bob"]


def test_racing_ballots_and_the_close_count_exactly_the_stored_papers(world, factory):
    """Delegates vote while the chair closes: every ballot answered stored is counted, every
    refused one left nothing behind (the poll's close race, for elections)."""
    w = world
    eid, ids = open_election(w, factory, seats=1)
    order = list(ids.values())
    outcomes: dict[str, str] = {}

    def vote(who: str) -> None:
        with w.app.app_context():
            try:
                elections.cast_ballot(eid, w.ids[who], random.sample(order, 2))
                outcomes[who] = "stored"
            except OperationError as error:
                outcomes[who] = error.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=vote, args=(f"d{i}",)) for i in range(1, 8)]
    for t in threads[:4]:
        t.start()
    with w.app.app_context():
        elections.close_ballots(election(w, eid), person(w, "chair"))
        db.session.remove()
    for t in threads[4:]:
        t.start()
    for t in threads:
        t.join()
    with w.app.app_context():
        e = election(w, eid)
        stored = sum(1 for v in outcomes.values() if v == "stored")
        assert set(outcomes.values()) <= {"stored", "election_not_open"}
        assert e.result["papers"] == stored == elections.turnout(eid)
        assert db.session.execute(select(func.sum(ElectionPaper.count))).scalar() or 0 == stored


def test_reserved_seats_are_filled_from_the_group_first(world, factory):
    w = world
    eid = factory.election(w.slug, seats=2, reserved_seats=1, reserved_group="women")
    names = {}
    for name, woman in (("Ann", True), ("Bob", False), ("Cy", False), ("Di", True)):
        names[name] = factory.candidate(eid, name, in_group=woman)
    with w.app.app_context():
        e = election(w, eid)
        elections.open_ballots(e, person(w, "chair"))
        # Bob and Cy top the poll; Di is the women's favourite
        for who, ranking in (("d1", ["Bob", "Di"]), ("d2", ["Bob", "Cy"]), ("d3", ["Cy", "Bob"]),
                             ("d4", ["Cy", "Ann"]), ("d5", ["Di", "Bob"]), ("d6", ["Bob", "Cy"]), ("d7", ["Cy"])):
            elections.cast_ballot(eid, person(w, who), [names[n] for n in ranking])
        elections.close_ballots(e, person(w, "chair"))
        result = reading.result(e)
        assert [c.part for c in result.counts] == ["reserved", "general"]
        elected = {x["name"]: x["reserved"] for x in result.elected}
        assert elected["Di"] is True and len(elected) == 2
        assert e.result["reserved_ids"] == [names["Di"]]
        # ballots ranking only men take no part in the first count, and ranking only Di none in the
        # second, but they are valid ballots of the election: nothing here was invalid
        assert (result.papers, result.valid, result.invalid) == (7, 7, 0)
        reserved, general = result.counts
        ending = {row[0]: row[-1] for row in general.table}
        assert ending["Di"] == "Elected (reserved seat)"
        ending = {row[0]: row[-1] for row in reserved.table}
        assert ending["Bob"] == ending["Cy"] == "Not of the group"


def test_the_audit_log_records_the_election_and_verifies(world, factory):
    from motions.audit import log

    w = world
    eid, ids = open_election(w, factory, seats=1)
    with w.app.app_context():
        elections.cast_ballot(eid, person(w, "d1"), [ids["Ann Able"]])
        elections.close_ballots(election(w, eid), person(w, "chair"))
        meeting = meetings.get_meeting(w.slug)
        actions = [entry.action for entry in log.entries(meeting.id)]
        assert {"election.created", "election.nominated", "election.opened", "election.closed"} <= set(actions)
        assert log.verify(meeting.id) == []
        closed = [entry for entry in log.entries(meeting.id) if entry.action == "election.closed"][0]
        assert closed.data["elected"] == ["Ann Able"] and closed.data["seed"] == election(w, eid).seed
        # no audit entry per ballot: the log never says who voted how
        assert not any("ballot" in a for a in actions)


def test_only_empty_ballots_close_with_the_reason_and_nobody_elected(world, factory):
    w = world
    eid, ids = open_election(w, factory, seats=1)
    with w.app.app_context():
        for who in ("d1", "d2"):
            elections.cast_ballot(eid, person(w, who), [])
        e = election(w, eid)
        elections.close_ballots(e, person(w, "chair"))
        result = reading.result(e)
        assert e.state is ElectionState.closed
        assert result.error and "no valid ballot" in result.error
        assert result.elected == [] and result.papers == 2 and result.invalid == 2


def test_the_live_feed_says_how_many_have_voted_in_an_election(world, factory):
    """election.turnout events are coalesced per election with the count read after them (as polls' are)."""
    from motions.live import feed

    w = world
    eid, ids = open_election(w, factory, seats=1)
    with w.app.app_context():
        start = feed.last_id(db.session.connection())
        for who in ("d1", "d2", "d3"):
            elections.cast_ballot(eid, person(w, who), [ids["Ann Able"]])
        cursor = feed.Cursor(meetings.get_meeting(w.slug).id, start)
        with db.engine.connect() as connection:
            events = feed.turnout_counts(connection, cursor.fetch(connection))
    turnout = [e for e in events if e["kind"] == "election.turnout"]
    assert len(turnout) == 1 and turnout[0]["election"] == eid and turnout[0]["voted"] == 3

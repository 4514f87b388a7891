"""The demo founding meeting: the draft platform from the announcement, and demo people."""
from __future__ import annotations

from pathlib import Path

from motions.auth.models import Person
from motions.documents import operations as docs
from motions.extensions import db
from motions.meetings import delegate_csv
from motions.meetings import operations as meetings
from motions.meetings.models import Meeting

HERE = Path(__file__).parent
SLUG = "founding-meeting"
TITLE = "Founding meeting: united workers campaign for the people of China, Taiwan, Hong Kong, Tibet & the Uyghur Region"
PASSWORD = "solidarity"  # demo only: printed by `motions demo`


def load_demo(*, amendments: bool = False) -> list[tuple[str, str, str]]:
    """Create what is missing of the demo meeting; running it twice changes nothing.

    With `amendments`, the platform also gets a few amendments, as a meeting has them a week
    before: one seconded and admitted (with a draft poll on it), one that collides with it, and a
    new clause."""
    meeting = db.session.execute(db.select(Meeting).filter_by(slug=SLUG)).scalar_one_or_none()
    if meeting is None:
        meeting = meetings.create_meeting({"slug": SLUG, "title": TITLE, "seconders_required": 1,
                                           "quorum": "1/3", "casting_vote": True, "self_checkin": True},
                                          creator=None)
    rows, problems = delegate_csv.parse((HERE / "delegates.csv").read_text(encoding="utf-8"))
    assert not problems, problems
    known = {p.email for p in db.session.execute(db.select(Person)).scalars()}
    missing = [r for r in rows if r.email not in known]
    if missing:
        meetings.import_delegates(meeting, missing)
        for row in missing:
            person = db.session.execute(db.select(Person).filter_by(email=row.email)).scalar_one()
            person.set_password(PASSWORD)
            if "organiser" in row.roles:
                person.is_organiser = True
        db.session.commit()
    if not meeting.documents:
        docs.import_document(meeting, title="Draft platform", text=(HERE / "platform.md").read_text(encoding="utf-8"),
                             format="markdown", kind="platform", by_id=None)
        document = meeting.documents[0]
        docs.set_state(document, "open")
    if amendments:
        _demo_amendments(meeting)
    _demo_election(meeting)
    return [(", ".join(r.roles), r.email, PASSWORD) for r in rows]


def _person(email: str) -> Person:
    return db.session.execute(db.select(Person).filter_by(email=email)).scalar_one()


def _demo_amendments(meeting: Meeting) -> None:
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment

    document = meeting.documents[0]
    if document.state.value != "open" or db.session.execute(
            db.select(Amendment.id).where(Amendment.document_id == document.id).limit(1)).first():
        return
    rows = {row.text.split(":")[0].split(",")[0]: row for row in document.version().clause_texts}
    climate = rows["For environmental protections"]
    racism = next(row for row in document.version().clause_texts if row.text.startswith("Fight racism"))
    first = amend.propose(document, _person("delegate1@example.org"), clause_id=climate.clause_id, kind="modify",
                          text=climate.text.replace("just transition", "a just transition for workers"),
                          title="A just transition for workers",
                          reason="The transition must not be paid for by the workers who lose their jobs.")
    amend.second(first, _person("delegate2@example.org"))
    amend.admit(first, _person("chair@example.org"))
    from motions.polls import operations as polls

    # the vote on it, ready for the chair to open once the session is open
    polls.create_poll(meeting, _person("chair@example.org"), subject={"type": "amendment", "id": first.id})
    amend.propose(document, _person("delegate3@example.org"), clause_id=climate.clause_id, kind="modify",
                  text=climate.text.replace("just transition", "a just transition led by workers and their unions"),
                  title="Led by the unions", reason="Workers must lead the transition, not only gain from it.")
    amend.propose(document, _person("delegate4@example.org"), clause_id=racism.clause_id, kind="insert_after",
                  text="Defend Chinese, Tibetan, Uyghur and Hong Kong students and workers in the UK against "
                       "surveillance and intimidation by agents of the Chinese state.",
                  title="Transnational repression", reason="Our members are watched and threatened here too.")


def _demo_election(meeting: Meeting) -> None:
    """The Steering Committee election the meeting ends with: five seats by Scottish STV, at least
    two for women; nominations open, four delegates nominated and seconded."""
    from motions.elections import operations as elections
    from motions.elections.models import Election

    if db.session.execute(db.select(Election.id).where(Election.meeting_id == meeting.id).limit(1)).first():
        return
    chair = _person("chair@example.org")
    election = elections.create_election(meeting, chair, title="Steering Committee", seats=5, method="scottish",
                                         reserved_seats=2, reserved_group="women")
    elections.open_nominations(election, chair)
    nominations = [
        ("delegate1@example.org", "delegate2@example.org", "delegate3@example.org", False,
         "Organiser with Power to Hongkongers; I will build links with the unions in every region."),
        ("delegate3@example.org", "delegate4@example.org", "delegate5@example.org", True,
         "I will make sure the campaign reaches every trades council."),
        ("delegate6@example.org", "delegate6@example.org", "delegate7@example.org", True,
         "Workers' rights in China and here are one struggle."),
        ("delegate4@example.org", "delegate8@example.org", "delegate1@example.org", False,
         "Tibetan workers and students need a voice on the committee."),
    ]
    for candidate_email, nominator_email, seconder_email, woman, statement in nominations:
        candidate = elections.nominate(election, _person(nominator_email), person_id=_person(candidate_email).id,
                                       statement=statement, in_group=woman)
        elections.second(candidate, _person(seconder_email))

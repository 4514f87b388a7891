"""Election operations: set up, nominate, second, withdraw, open the ballots, cast a ballot, close
and count, void, import and export ballots (BLT). The only place that changes elections and
commits.

Ballots and the close race work as for polls (motions/polls/operations.py): the voter row is one
statement, `INSERT INTO election_voter ... SELECT ... FROM election WHERE id = ? AND state = 'open'`
(PostgreSQL: `FOR SHARE`, which waits for a closing transaction), and its anonymous paper is
written in the same transaction; closing moves the election row from open to closed first and
counts in a new statement, which sees every ballot that committed. Nothing of a refused ballot
remains.

The count itself is pure (motions.counting): Scottish STV, Meek STV, approval or plurality at
large, with reserved seats counted as motions.counting.reserved describes. Its stored form
(`Election.result`) is:

    {"format": 1, "method": ..., "seed": ..., "candidate_ids": [ids in ballot order],
     "counts": [{"part": "all" | "reserved" | "general", "outcome": motions.counting.stored.dump(...)}],
     "elected_ids": [...], "reserved_ids": [...], "papers": n, "valid": n, "invalid": n,
     "error": null | [template, params]}

Candidate i of a count is `candidate_ids[i]`.
"""
from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from motions import audit
from motions.auth.models import Person, utcnow
from motions.elections.models import (
    METHODS, RANKED, Candidate, CandidateSeconder, CandidateState, Election, ElectionPaper, ElectionState,
    ElectionVoter,
)
from motions.errors import Forbidden, NotFound, StateConflict, ValidationFailed
from motions.extensions import db
from motions.labels import label
from motions.live import publish
from motions.meetings.models import Meeting, MeetingState, Membership, MembershipRole
from motions.polls.models import Proxy
from motions.polls.operations import writer_turn
from motions.states import IllegalTransition

MAX_TITLE = 300
MAX_SEATS = 100
MAX_CANDIDATES = 200
MAX_NAME = 200
MAX_STATEMENT = 2_000
MAX_GROUP = 100
MAX_REASON = 2_000
MAX_BLT = 5_000_000  # bytes of an imported BLT file
MAX_PAPERS = 10_000_000  # ballot papers in an imported file (a paper row's count is a 32-bit integer)

_ELECTION = Election.__table__
_VOTER_T = ElectionVoter.__table__
_PAPER = ElectionPaper.__table__
_MEMBER = Membership.__table__
_ROLE = MembershipRole.__table__
BEFORE_BALLOTS = (ElectionState.draft, ElectionState.nominating, ElectionState.nominations_closed)


def _commit():
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _clean(value, limit: int, fields: dict, name: str, *, lines: bool = False) -> str:
    """NFC, spaces collapsed (a statement keeps its line breaks), at most `limit` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields[name] = _("Enter text.")
        return ""
    value = unicodedata.normalize("NFC", value).replace("\x00", "")
    if lines:
        value = "\n".join(" ".join(line.split()) for line in value.replace("\r\n", "\n").split("\n")).strip()
    else:
        value = " ".join(value.split())
    if len(value) > limit:
        fields[name] = _("This is too long (at most %(n)d characters).", n=limit)
    return value


def _whole(value, fields: dict, name: str, low: int, high: int) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fields[name] = _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        return None
    return value


def state_label(state) -> str:
    from motions.elections.labels import ELECTION_STATE_LABELS

    return label(ELECTION_STATE_LABELS, state)


def _move(election: Election, target: ElectionState) -> ElectionState:
    before = election.state
    try:
        election.state = election.state.become(target)
    except IllegalTransition:
        raise StateConflict(_("An election that is “%(current)s” cannot become “%(target)s”.",
                              current=state_label(before), target=state_label(target)),
                            code="illegal_transition") from None
    return before


def _audit(election: Election, person: Person | None, action: str, **data) -> None:
    audit.append(election.meeting_id, person, f"election.{action}", "election", election.id,
                 {"title": election.title, **data})


def _event(election: Election, kind: str, **data) -> None:
    publish(election.meeting_id, f"election.{kind}", {"election": election.id, "state": election.state.value,
                                                      **data})


def get_election(election_id: int) -> Election:
    election = db.session.get(Election, election_id)
    if election is None:
        raise NotFound(_("There is no such election."))
    return election


def get_candidate(candidate_id: int) -> Candidate:
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(_("There is no such candidate."))
    return candidate


def elections(meeting: Meeting) -> list[Election]:
    return list(db.session.execute(select(Election).where(Election.meeting_id == meeting.id)
                                   .order_by(Election.id.desc())).scalars())


def open_election_of(meeting: Meeting) -> Election | None:
    return db.session.execute(select(Election).where(Election.meeting_id == meeting.id,
                                                     Election.state == ElectionState.open)
                              .order_by(Election.id.desc())).scalars().first()


def standing(election: Election) -> list[Candidate]:
    """The candidates on the ballot paper, in its order (by position once the ballots opened,
    alphabetically by name before)."""
    rows = [c for c in election.candidates if c.state is CandidateState.standing]
    if all(c.position is not None for c in rows):
        return sorted(rows, key=lambda c: c.position)
    return sorted(rows, key=_ballot_order)


def _ballot_order(candidate: Candidate):
    return (candidate.name.casefold(), candidate.name, candidate.id)


def roles_of(meeting_id: int, person: Person | None) -> list[str]:
    if person is None:
        return []
    membership = db.session.get(Meeting, meeting_id).membership_of(person)
    return membership.roles if membership else []


# ---------------------------------------------------------------- setting up

def _settings(meeting: Meeting, fields: dict, *, title, seats, method, reserved_seats, reserved_group,
              nominations_close_at) -> dict:
    title = _clean(title, MAX_TITLE, fields, "title")
    if not title and "title" not in fields:
        fields["title"] = _("Give the election a title.")
    seats = _whole(seats, fields, "seats", 1, MAX_SEATS)
    if method not in METHODS:
        fields["method"] = _("Choose one of: %(choices)s.", choices=", ".join(METHODS))
    reserved = _whole(0 if reserved_seats in (None, "") else reserved_seats, fields, "reserved_seats", 0, MAX_SEATS)
    group = _clean(reserved_group, MAX_GROUP, fields, "reserved_group")
    if reserved and "reserved_seats" not in fields:
        if seats is not None and reserved >= seats:
            fields["reserved_seats"] = _("Reserve fewer seats than there are seats to fill.")
        if not group and "reserved_group" not in fields:
            fields["reserved_group"] = _("Name the group the reserved seats are for (for example: women).")
    if not reserved:
        group = ""
    close_at = nominations_close_at
    if isinstance(close_at, str):
        close_at = close_at.strip() or None
        if close_at is not None:
            try:
                close_at = datetime.fromisoformat(close_at.replace("Z", "+00:00"))
            except ValueError:
                fields["nominations_close_at"] = _("Enter a date and time, for example 2026-12-06T15:30.")
                close_at = None
    if close_at is not None and not isinstance(close_at, datetime):
        fields["nominations_close_at"] = _("Enter a date and time, for example 2026-12-06T15:30.")
        close_at = None
    if isinstance(close_at, datetime) and close_at.tzinfo is None:
        close_at = close_at.replace(tzinfo=timezone.utc)
    if isinstance(close_at, datetime):
        try:  # in UTC: a time at the edge of the calendar ("0001-01-01T00:00+01:00") has none
            close_at = close_at.astimezone(timezone.utc)
        except OverflowError:
            fields["nominations_close_at"] = _("Enter a date and time, for example 2026-12-06T15:30.")
            close_at = None
    return {"title": title, "seats": seats, "method": method, "reserved_seats": reserved or 0,
            "reserved_group": group, "nominations_close_at": close_at}


def create_election(meeting: Meeting, person: Person | None, *, title=None, seats=None, method="scottish",
                    reserved_seats=0, reserved_group="", nominations_close_at=None) -> Election:
    fields: dict[str, str] = {}
    values = _settings(meeting, fields, title=title, seats=seats, method=method, reserved_seats=reserved_seats,
                       reserved_group=reserved_group, nominations_close_at=nominations_close_at)
    if fields:
        raise ValidationFailed(_("Some fields need correcting."), fields=fields)
    election = Election(meeting_id=meeting.id, created_by_id=person.id if person else None, **values)
    db.session.add(election)
    db.session.flush()
    _audit(election, person, "created", seats=election.seats, method=election.method,
           reserved_seats=election.reserved_seats, reserved_group=election.reserved_group,
           nominations_close_at=election.nominations_close_at.isoformat() if election.nominations_close_at else None)
    _event(election, "created")
    _commit()
    return election


def update_election(election: Election, person: Person | None, **settings) -> Election:
    """Change the title, seats, method, reserved seats or nomination deadline: until the ballots open."""
    if election.state not in BEFORE_BALLOTS:
        raise StateConflict(_("The election's settings can only be changed before the ballots open."),
                            code="ballots_opened")
    current = {"title": election.title, "seats": election.seats, "method": election.method,
               "reserved_seats": election.reserved_seats, "reserved_group": election.reserved_group,
               "nominations_close_at": election.nominations_close_at}
    current.update({k: v for k, v in settings.items() if k in current})
    fields: dict[str, str] = {}
    meeting = db.session.get(Meeting, election.meeting_id)
    values = _settings(meeting, fields, **current)
    if fields:
        raise ValidationFailed(_("Some fields need correcting."), fields=fields)
    changed = {k: v for k, v in values.items() if getattr(election, k) != v}
    for key, value in changed.items():
        setattr(election, key, value)
    if changed:
        _audit(election, person, "changed", **{k: (v.isoformat() if isinstance(v, datetime) else v)
                                               for k, v in changed.items()})
        _event(election, "changed")
    _commit()
    return election


def open_nominations(election: Election, person: Person | None) -> Election:
    before = _move(election, ElectionState.nominating)
    _audit(election, person, "nominations_opened", **{"from": before.value, "to": election.state.value})
    _event(election, "changed")
    _commit()
    return election


def close_nominations(election: Election, person: Person | None) -> Election:
    before = _move(election, ElectionState.nominations_closed)
    _audit(election, person, "nominations_closed", **{"from": before.value, "to": election.state.value},
           standing=[c.name for c in standing(election)])
    _event(election, "changed")
    _commit()
    return election


def nominations_open(election: Election, now: datetime | None = None) -> bool:
    """Delegates may nominate and second: nominations are open and the deadline (if any) not past."""
    if election.state is not ElectionState.nominating:
        return False
    deadline = election.nominations_close_at
    if deadline is None:
        return True
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=timezone.utc)
    return (now or datetime.now(timezone.utc)) < deadline


def _meeting_person(meeting_id: int, person_id) -> Person | None:
    if isinstance(person_id, bool) or not isinstance(person_id, int) or not 1 <= person_id <= 2**31 - 1:
        return None
    row = db.session.execute(select(Person).join(Membership, Membership.person_id == Person.id)
                             .where(Membership.meeting_id == meeting_id, Person.id == person_id)).scalar_one_or_none()
    return row


# ---------------------------------------------------------------- nominations

def nominate(election: Election, person: Person, *, person_id=None, name=None, organisation=None, statement="",
             in_group=False) -> Candidate:
    """A delegate nominates a member of the meeting (themself included) while nominations are open;
    the chair enters a candidate (a member, or any name) until the ballots open. With the meeting's
    seconder rule a delegate's nomination stands once it has that many seconders; the chair's stands
    at once."""
    roles = roles_of(election.meeting_id, person)
    by_chair = "chair" in roles
    if election.state not in BEFORE_BALLOTS:
        raise StateConflict(_("Nominations are closed: the ballots have opened."), code="nominations_closed")
    if not by_chair:
        if "delegate" not in roles:
            raise Forbidden(_("Only delegates nominate candidates."))
        if not nominations_open(election):
            raise StateConflict(_("Nominations are not open for this election."), code="nominations_closed")
    fields: dict[str, str] = {}
    nominee = None
    if person_id not in (None, ""):
        nominee = _meeting_person(election.meeting_id, person_id)
        if nominee is None:
            fields["person_id"] = _("Choose a member of this meeting.")
    elif not by_chair:
        fields["person_id"] = _("Choose the member of this meeting you nominate.")
    name = _clean(name, MAX_NAME, fields, "name")
    organisation = _clean(organisation, MAX_NAME, fields, "organisation")
    statement = _clean(statement, MAX_STATEMENT, fields, "statement", lines=True)
    if not isinstance(in_group, bool):
        fields["in_group"] = _("Answer true or false.")
    if nominee is not None:
        name = name or nominee.name
        organisation = organisation or (nominee.organisation or "")
    if not name and "name" not in fields and "person_id" not in fields:
        fields["name"] = _("Give the candidate's name.")
    if fields:
        raise ValidationFailed(_("Some fields need correcting."), fields=fields)
    live = [c for c in election.candidates if c.state is not CandidateState.withdrawn]
    if len(live) >= MAX_CANDIDATES:
        raise StateConflict(_("An election has at most %(n)d candidates.", n=MAX_CANDIDATES), code="too_many")
    for other in live:
        if (nominee is not None and other.person_id == nominee.id) or \
                (other.name.casefold() == name.casefold() and other.organisation.casefold() == organisation.casefold()):
            raise StateConflict(_("Already a candidate in this election: %(name)s.", name=other.name),
                                code="already_nominated")
    meeting = db.session.get(Meeting, election.meeting_id)
    needed = 0 if by_chair else (meeting.seconders_required or 0)
    candidate = Candidate(election_id=election.id, person_id=nominee.id if nominee else None, name=name,
                          organisation=organisation, statement=statement, in_group=bool(in_group),
                          nominated_by_id=person.id,
                          state=CandidateState.standing if needed == 0 else CandidateState.nominated)
    db.session.add(candidate)
    db.session.flush()
    _audit(election, person, "nominated", candidate_id=candidate.id, name=name, organisation=organisation,
           in_group=candidate.in_group, state=candidate.state.value, by_chair=by_chair)
    _event(election, "candidates")
    _commit()
    return candidate


def seconders_needed(candidate: Candidate) -> int:
    meeting_id = db.session.get(Election, candidate.election_id).meeting_id
    return db.session.get(Meeting, meeting_id).seconders_required or 0


def second(candidate: Candidate, person: Person) -> Candidate:
    election = db.session.get(Election, candidate.election_id)
    roles = roles_of(election.meeting_id, person)
    if "delegate" not in roles:
        raise Forbidden(_("Only delegates second nominations."))
    if not nominations_open(election):
        raise StateConflict(_("Nominations are not open for this election."), code="nominations_closed")
    if candidate.state is CandidateState.withdrawn:
        raise StateConflict(_("This candidate has withdrawn."), code="withdrawn")
    if candidate.nominated_by_id == person.id:
        raise Forbidden(_("You made this nomination: someone else must second it."), code="own_nomination")
    if candidate.person_id == person.id:
        raise Forbidden(_("Candidates cannot second their own nomination."), code="own_nomination")
    if any(s.person_id == person.id for s in candidate.seconders):
        raise StateConflict(_("You have already seconded this nomination."), code="already_seconded")
    candidate.seconders.append(CandidateSeconder(person_id=person.id))
    db.session.flush()
    became = ""
    if candidate.state is CandidateState.nominated and len(candidate.seconders) >= seconders_needed(candidate):
        candidate.state = candidate.state.become(CandidateState.standing)
        became = "standing"
    _audit(election, person, "seconded", candidate_id=candidate.id, name=candidate.name,
           seconders=len(candidate.seconders), **({"to": became} if became else {}))
    _event(election, "candidates")
    try:
        _commit()
    except IntegrityError:
        raise StateConflict(_("You have already seconded this nomination."), code="already_seconded") from None
    return candidate


def may_change_candidate(candidate: Candidate, person: Person | None, roles=None) -> bool:
    """The candidate, the delegate who nominated them, or the chair."""
    if person is None:
        return False
    roles = roles if roles is not None else roles_of(candidate.election.meeting_id, person)
    return "chair" in roles or person.id in (candidate.person_id, candidate.nominated_by_id)


def withdraw(candidate: Candidate, person: Person) -> Candidate:
    election = db.session.get(Election, candidate.election_id)
    if not may_change_candidate(candidate, person):
        raise Forbidden(_("Only the candidate, their nominator or the chair can withdraw a candidate."))
    if election.state not in BEFORE_BALLOTS:
        raise StateConflict(_("Candidates can withdraw only until the ballots open."), code="ballots_opened")
    try:
        candidate.state = candidate.state.become(CandidateState.withdrawn)
    except IllegalTransition:
        raise StateConflict(_("This candidate has already withdrawn."), code="withdrawn") from None
    candidate.withdrawn_at = utcnow()
    _audit(election, person, "withdrawn", candidate_id=candidate.id, name=candidate.name)
    _event(election, "candidates")
    _commit()
    return candidate


def edit_candidate(candidate: Candidate, person: Person, *, statement=None, in_group=None, name=None,
                   organisation=None) -> Candidate:
    """The statement and the group: the candidate, their nominator or the chair; the name and
    organisation: the chair. Until the ballots open."""
    election = db.session.get(Election, candidate.election_id)
    roles = roles_of(election.meeting_id, person)
    if not may_change_candidate(candidate, person, roles):
        raise Forbidden(_("Only the candidate, their nominator or the chair can change a nomination."))
    if election.state not in BEFORE_BALLOTS:
        raise StateConflict(_("A nomination can be changed only until the ballots open."), code="ballots_opened")
    if candidate.state is CandidateState.withdrawn:
        raise StateConflict(_("This candidate has withdrawn."), code="withdrawn")
    fields: dict[str, str] = {}
    changed = {}
    if statement is not None:
        value = _clean(statement, MAX_STATEMENT, fields, "statement", lines=True)
        if value != candidate.statement:
            changed["statement"] = value
    if in_group is not None:
        if not isinstance(in_group, bool):
            fields["in_group"] = _("Answer true or false.")
        elif in_group != candidate.in_group:
            changed["in_group"] = in_group
    for key, value in (("name", name), ("organisation", organisation)):
        if value is None:
            continue
        if "chair" not in roles:
            fields[key] = _("Only the chair can change a candidate's name or organisation.")
            continue
        value = _clean(value, MAX_NAME, fields, key)
        if key == "name" and not value and key not in fields:
            fields[key] = _("Give the candidate's name.")
        elif value != getattr(candidate, key):
            changed[key] = value
    if fields:
        raise ValidationFailed(_("Some fields need correcting."), fields=fields)
    for key, value in changed.items():
        setattr(candidate, key, value)
    if changed:
        _audit(election, person, "candidate_changed", candidate_id=candidate.id, name=candidate.name,
               changed=sorted(changed))
        _event(election, "candidates")
    _commit()
    return candidate


# ---------------------------------------------------------------- opening the ballots

def _check_can_count(election: Election, on_ballot: list[Candidate]) -> None:
    if len(on_ballot) < election.seats:
        raise StateConflict(_("There are %(seats)d seats to fill but only %(n)d candidates standing: there must be at "
                              "least as many candidates as seats.", seats=election.seats, n=len(on_ballot)),
                            code="too_few_candidates")
    if election.reserved_seats:
        in_group = sum(1 for c in on_ballot if c.in_group)
        if in_group < election.reserved_seats:
            raise StateConflict(_("Too few candidates of %(group)s are standing for the reserved seats: %(k)d reserved, %(n)d "
                                  "standing.", k=election.reserved_seats, group=election.reserved_group, n=in_group), code="too_few_candidates")


def open_ballots(election: Election, person: Person | None, *, confirm_without_quorum: bool = False) -> Election:
    from motions.meetings.operations import attendance_counts

    meeting = db.session.get(Meeting, election.meeting_id)
    if meeting.state is not MeetingState.in_session:
        raise StateConflict(_("Open the session before opening a vote."), code="not_in_session")
    if election.state not in (ElectionState.draft, ElectionState.nominations_closed):
        if election.state is ElectionState.nominating:
            raise StateConflict(_("Close the nominations before opening the ballots."), code="nominating")
        raise StateConflict(_("An election that is “%(current)s” cannot become “%(target)s”.",
                              current=state_label(election.state), target=state_label(ElectionState.open)),
                            code="illegal_transition")
    on_ballot = sorted((c for c in election.candidates if c.state is CandidateState.standing), key=_ballot_order)
    _check_can_count(election, on_ballot)
    counts = attendance_counts(meeting)
    if not counts["quorum_met"] and not confirm_without_quorum:
        raise StateConflict(_("There is no quorum: %(present)d present, %(needed)d needed. Confirm to open the "
                              "vote anyway; the result will record that there was no quorum.",
                              present=counts["present"], needed=counts["needed"] or 0), code="no_quorum")
    for position, candidate in enumerate(on_ballot, start=1):
        candidate.position = position
    before = _move(election, ElectionState.open)
    election.quorum_met = counts["quorum_met"]
    election.opened_at = utcnow()
    meeting.item_type, meeting.item_id = "election", election.id
    _audit(election, person, "opened", **{"from": before.value, "to": "open", "quorum_met": election.quorum_met,
                                          "present": counts["present"], "registered": counts["registered"],
                                          "ballot": [c.name for c in on_ballot]})
    _event(election, "opened")
    publish(meeting.id, "floor.changed", {"item_type": "election", "item_id": election.id})
    _commit()
    return election


# ---------------------------------------------------------------- ballots

_VOTER = (
    select(_ELECTION.c.id, _ELECTION.c.meeting_id, _ELECTION.c.state, _ELECTION.c.method, _ELECTION.c.seats,
           _MEMBER.c.id, _MEMBER.c.present, _ROLE.c.role)
    .select_from(_ELECTION.outerjoin(_MEMBER, and_(_MEMBER.c.meeting_id == _ELECTION.c.meeting_id,
                                                    _MEMBER.c.person_id == bindparam("person_id")))
                 .outerjoin(_ROLE, _ROLE.c.membership_id == _MEMBER.c.id))
    .where(_ELECTION.c.id == bindparam("election_id"))
)
_IF_OPEN = (select(_ELECTION.c.id, bindparam("voter_id", type_=Integer), bindparam("cast_by_id", type_=Integer),
                   bindparam("at", type_=DateTime(timezone=True)))
            .where(_ELECTION.c.id == bindparam("election_id"), _ELECTION.c.state == ElectionState.open.value))
_VOTER_COLUMNS = ["election_id", "voter_id", "cast_by_id", "at"]
_INSERT_VOTER = {
    "sqlite": insert(_VOTER_T).from_select(_VOTER_COLUMNS, _IF_OPEN).execution_options(preserve_rowcount=True),
    "postgresql": insert(_VOTER_T).from_select(_VOTER_COLUMNS, _IF_OPEN.with_for_update(read=True))
    .execution_options(preserve_rowcount=True),
}
_INSERT_PAPER = insert(_PAPER)


class Voter:
    """What a ballot needs to know about its election and the person casting it, read in one statement."""

    __slots__ = ("election_id", "meeting_id", "state", "method", "seats", "person_id", "member", "present", "roles")

    def __init__(self, rows, person_id: int):
        first = rows[0]
        self.election_id, self.meeting_id, self.state, self.method, self.seats = first[0], first[1], first[2], \
            first[3], first[4]
        self.person_id = person_id
        self.member = first[5] is not None
        self.present = bool(first[6])
        self.roles = tuple(sorted({r[7] for r in rows if r[7] is not None}))


def voter(election_id: int, person_id: int) -> Voter | None:
    rows = db.session.execute(_VOTER, {"election_id": election_id, "person_id": person_id}).all()
    return Voter(rows, person_id) if rows else None


def check_preferences(election: Election, preferences) -> list[int]:
    """The candidate ids of a ballot, in order of preference (approval and plurality: the ones
    marked), checked: candidates on this ballot paper, none twice, at most `seats` in plurality.
    An empty list is an empty ballot: stored, and counted as invalid."""
    if not isinstance(preferences, list) or any(isinstance(p, bool) or not isinstance(p, int) for p in preferences):
        raise ValidationFailed(_("Send the candidates as a list of candidate ids."),
                               fields={"preferences": _("Send the candidates as a list of candidate ids.")})
    on_ballot = {c.id: c for c in standing(election) if c.position is not None}
    unknown = [p for p in preferences if p not in on_ballot]
    if unknown:
        raise ValidationFailed(_("A candidate on your ballot is not standing in this election."),
                               fields={"preferences": _("Not candidates in this election: %(ids)s.",
                                                        ids=", ".join(map(str, unknown[:10])))})
    seen = set()
    for p in preferences:
        if p in seen:
            message = (_("You ranked %(name)s more than once.", name=on_ballot[p].name) if election.ranked
                       else _("You marked %(name)s more than once.", name=on_ballot[p].name))
            raise ValidationFailed(message, fields={"preferences": message})
        seen.add(p)
    if election.method == "plurality" and len(preferences) > election.seats:
        message = _("Mark at most %(n)d candidates.", n=election.seats)
        raise ValidationFailed(message, fields={"preferences": message})
    return list(preferences)


def cast_ballot(election_id: int, person: Person | int, preferences, on_behalf_of=None, *,
                context: Voter | None = None) -> dict:
    """Store one ballot (201) or refuse it with nothing stored. The receipt names no candidate."""
    person_id = person if isinstance(person, int) else person.id
    v = context if context is not None and context.election_id == election_id and context.person_id == person_id \
        else voter(election_id, person_id)
    if v is None:
        raise NotFound(_("There is no such election."))
    if v.state != ElectionState.open.value:
        raise StateConflict(_("This election is not open for voting: it is “%(state)s”.",
                              state=state_label(ElectionState(v.state))), code="election_not_open")
    election = db.session.get(Election, election_id)
    preferences = check_preferences(election, preferences)
    if not v.member or "delegate" not in v.roles:
        raise Forbidden(_("Only delegates vote."))
    if not v.present:
        raise StateConflict(_("Check in as present before voting."), code="not_present")
    voter_id = person_id
    if on_behalf_of is not None and on_behalf_of != person_id:
        if not isinstance(on_behalf_of, int) or isinstance(on_behalf_of, bool):
            raise ValidationFailed(_("Some fields need correcting."), fields={"on_behalf_of": _("Enter a whole number.")})
        held = db.session.execute(select(Proxy.id).where(Proxy.meeting_id == v.meeting_id, Proxy.giver_id == on_behalf_of,
                                                         Proxy.holder_id == person_id)).first()
        if held is None:
            raise Forbidden(_("You do not hold this delegate's proxy."), code="no_proxy")
        voter_id = on_behalf_of
    bind = db.session.get_bind()
    with writer_turn(bind):
        try:
            stored = db.session.execute(_INSERT_VOTER[bind.dialect.name], {
                "election_id": election_id, "voter_id": voter_id, "cast_by_id": person_id, "at": utcnow()}).rowcount
            if stored != 1:  # closed (or voided) since it was read above
                db.session.rollback()
                raise StateConflict(_("The election closed before your ballot arrived; it was not counted."),
                                    code="election_not_open")
            db.session.execute(_INSERT_PAPER, {"id": secrets.randbits(62), "election_id": election_id,
                                               "preferences": " ".join(map(str, preferences)), "count": 1})
            publish(v.meeting_id, "election.turnout", {"election": election_id})
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if voter_id != person_id:
                raise StateConflict(_("A ballot for this delegate has already been cast in this election."),
                                    code="already_voted") from None
            raise StateConflict(_("You have already voted in this election."), code="already_voted") from None
        except StateConflict:
            raise
        except Exception:
            db.session.rollback()
            raise
    return {"election_id": election_id, "voter_id": voter_id,
            "on_behalf_of": voter_id if voter_id != person_id else None}


def turnout(election_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(_VOTER_T)
                              .where(_VOTER_T.c.election_id == election_id)).scalar()


def voted(election_id: int, voter_ids) -> set[int]:
    """Which of these delegates' votes have been used in the election."""
    ids = list(voter_ids)
    if not ids:
        return set()
    return set(db.session.execute(select(_VOTER_T.c.voter_id).where(_VOTER_T.c.election_id == election_id,
                                                                   _VOTER_T.c.voter_id.in_(ids))).scalars())


def papers(election_id: int) -> list[tuple[tuple[int, ...], int]]:
    """The papers: (candidate ids in order, how many identical papers), in the order of the papers."""
    grouped: dict[tuple[int, ...], int] = {}
    for preferences, count in db.session.execute(select(_PAPER.c.preferences, _PAPER.c.count)
                                                 .where(_PAPER.c.election_id == election_id)):
        key = tuple(int(p) for p in preferences.split())
        grouped[key] = grouped.get(key, 0) + count
    return sorted(grouped.items())


# ---------------------------------------------------------------- counting

def count_papers(election: Election, on_ballot: list[Candidate], grouped, seed: str) -> dict:
    """The count of the papers by the election's method: the stored form (module docstring)."""
    from motions.counting import meek, plurality, reserved, scottish, stored
    from motions.counting.stv import Ballot, CountError, validate
    from motions.counting.stv import Election as Count

    ids = [c.id for c in on_ballot]
    index = {cid: i for i, cid in enumerate(ids)}
    ballots = tuple(Ballot(tuple(index.get(cid, -1) for cid in preferences), weight)
                    for preferences, weight in grouped)
    count = Count(candidates=tuple(c.name for c in on_ballot), seats=election.seats, ballots=ballots,
                  title=election.title)
    group = frozenset(i for i, c in enumerate(on_ballot) if c.in_group)
    papers_total = sum(weight for _p, weight in grouped)
    base = {"format": 1, "method": election.method, "seed": seed, "candidate_ids": ids, "counts": [],
            "elected_ids": [], "reserved_ids": [], "papers": papers_total, "valid": 0, "invalid": 0,
            "error": None}
    try:
        if election.method in RANKED:
            method_count = scottish.count if election.method == "scottish" else meek.count
            if election.reserved_seats:
                first, second = reserved.count_reserved(count, group, election.reserved_seats, method_count,
                                                        seed=seed)
                parts = [("reserved", first), ("general", second)]
                base["reserved_ids"] = [ids[c] for c in first.elected]
                elected = list(first.elected) + list(second.elected)
                # the election's own valid and invalid ballots: each count sets aside, besides these,
                # the ballots that rank none of its candidates (valid ballots all the same)
                _ok, invalid, _why = validate(count.candidates, count.ballots)
                valid = papers_total - invalid
            else:
                result = method_count(count, seed=seed)
                parts = [("all", result)]
                elected = list(result.elected)
                valid, invalid = int(result.valid), int(result.invalid)
        else:
            tally = plurality.count(count, method=election.method, seed=seed, group=group,
                                    reserved=election.reserved_seats)
            parts = [("all", tally)]
            elected = list(tally.elected)
            base["reserved_ids"] = [ids[c] for c in tally.reserved_elected]
            valid, invalid = tally.valid, tally.invalid
    except CountError as error:
        base["error"] = stored.dump_note(error.note)
        base["invalid"] = papers_total  # nothing could be counted
        return base
    base["counts"] = [{"part": part, "outcome": stored.dump(outcome)} for part, outcome in parts]
    base["elected_ids"] = [ids[c] for c in elected]
    base["valid"], base["invalid"] = valid, invalid
    return base


def _claim_close(election: Election, allowed: tuple[ElectionState, ...]) -> bool:
    done = db.session.execute(update(_ELECTION).where(_ELECTION.c.id == election.id,
                                                      _ELECTION.c.state.in_([s.value for s in allowed]))
                              .values(state=ElectionState.closed.value, closed_at=utcnow()))
    return done.rowcount == 1


def _regroup(election_id: int, grouped) -> None:
    """Replace the papers by one row per distinct paper, in the order of the papers: nothing stored
    keeps the order in which they were cast (nor, on PostgreSQL, the transaction that cast them)."""
    db.session.execute(delete(_PAPER).where(_PAPER.c.election_id == election_id))
    if grouped:
        db.session.execute(_INSERT_PAPER, [{"id": secrets.randbits(62), "election_id": election_id,
                                            "preferences": " ".join(map(str, preferences)), "count": weight}
                                           for preferences, weight in grouped])


def _finish(election: Election, person: Person | None, before: ElectionState, grouped, action: str) -> None:
    on_ballot = standing(election)
    seed = secrets.token_hex(8)
    election.seed = seed
    election.result = count_papers(election, on_ballot, grouped, seed)
    _regroup(election.id, grouped)
    names = {c.id: c.name for c in election.candidates}
    _audit(election, person, action, **{"from": before.value, "to": "closed", "seed": seed,
                                        "papers": election.result["papers"], "valid": election.result["valid"],
                                        "invalid": election.result["invalid"],
                                        "elected": [names[i] for i in election.result["elected_ids"]]})
    _event(election, "closed")


def close_ballots(election: Election, person: Person | None) -> Election:
    before = election.state
    if before is not ElectionState.open:
        raise StateConflict(_("Only an open election can be closed; this one is “%(state)s”.",
                              state=state_label(before)), code="election_not_open")
    if not _claim_close(election, (ElectionState.open,)):
        db.session.rollback()
        raise StateConflict(_("This election is no longer open."), code="election_not_open")
    db.session.refresh(election)
    grouped = papers(election.id)
    if turnout(election.id) != sum(weight for _p, weight in grouped):
        db.session.rollback()
        raise StateConflict(_("The ballot papers do not match the list of voters; the election stays open. "
                              "Tell the system administrator."), code="paper_mismatch")
    _finish(election, person, before, grouped, "closed")
    _commit()
    return election


def void_election(election: Election, person: Person | None, reason) -> Election:
    reason = " ".join(unicodedata.normalize("NFC", reason).split()) if isinstance(reason, str) else ""
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(_("Give the reason for voiding the election."),
                               fields={"reason": _("Give the reason (at most %(n)d characters).", n=MAX_REASON)})
    before = _move(election, ElectionState.void)
    election.void_reason = reason
    _audit(election, person, "voided", **{"from": before.value, "to": "void", "reason": reason})
    _event(election, "voided")
    _commit()
    return election


# ---------------------------------------------------------------- BLT interchange

def export_blt(election: Election) -> str:
    """The papers in BLT form (candidates in ballot order): a count that can be repeated by any
    program that reads BLT. Only once the election is closed, so no running tally leaks out."""
    from motions.counting import blt
    from motions.counting.stv import Ballot
    from motions.counting.stv import Election as Count

    if election.state is not ElectionState.closed:
        raise StateConflict(_("The ballots can be downloaded once the election is closed."), code="not_closed")
    on_ballot = standing(election)
    index = {c.id: i for i, c in enumerate(on_ballot)}
    ballots = tuple(Ballot(tuple(index[cid] for cid in preferences if cid in index), weight)
                    for preferences, weight in papers(election.id))
    return blt.dump(Count(candidates=_blt_names(on_ballot), seats=election.seats, ballots=ballots,
                          title=_blt_text(election.title)))


def _blt_text(text: str) -> str:
    """A name or title as BLT can hold it: between double quotes on one line (a double quote
    becomes an apostrophe; names and titles are stored on one line already)."""
    return " ".join(text.replace('"', "'").split())


def _blt_names(on_ballot: list[Candidate]) -> tuple[str, ...]:
    """The candidates' names for a BLT file, each different (BLT refuses two of one name): a name
    that two candidates share gets the organisation, then a number."""
    names = [_blt_text(c.name) for c in on_ballot]
    shared = {n.casefold() for n in names if sum(1 for m in names if m.casefold() == n.casefold()) > 1}
    names = [_blt_text(c.label) if n.casefold() in shared else n for n, c in zip(names, on_ballot)]
    seen: set[str] = set()
    out = []
    for name in names:
        unique, k = name, 1
        while unique.casefold() in seen:
            k += 1
            unique = f"{name} ({k})"
        seen.add(unique.casefold())
        out.append(unique)
    return tuple(out)


def _line_past(text: str, limit: int) -> int:
    """The line of a well-formed BLT file at which its ballots' weights pass `limit` papers."""
    total, seen = 0, 0
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        content = raw.split("#", 1)[0].strip()
        if not content:
            continue
        seen += 1
        if seen == 1 or content.startswith("-"):  # the header, the withdrawn candidates
            continue
        total += int(content.split()[0])
        if total > limit:
            return number
    return 1


def import_blt(election: Election, person: Person | None, text) -> Election:
    """Papers counted elsewhere (a paper ballot, another program): the BLT file's papers become the
    election's, and it is counted and closed. Before the ballots open, with no ballot cast here.
    The file's candidates must be the election's standing candidates (by name, in any order); an
    election with no candidate yet takes the file's. Withdrawn (negative) candidates are refused."""
    from motions.counting import blt, stv

    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed(_("Choose a BLT file to import."), fields={"file": _("The file is empty.")})
    if len(text.encode("utf-8")) > MAX_BLT:
        raise ValidationFailed(_("The file is too large (at most %(n)s MB).", n=MAX_BLT // 1_000_000),
                               fields={"file": _("The file is too large (at most %(n)s MB).", n=MAX_BLT // 1_000_000)})
    if election.state not in (ElectionState.draft, ElectionState.nominations_closed):
        raise StateConflict(_("Ballots can be imported only before the ballots open, with nominations closed."),
                            code="illegal_transition")
    try:
        parsed = blt.parse(text)
    except blt.BltError as error:
        message = _("Line %(line)d of the file: %(reason)s.", line=error.line,
                    reason=stv.render(error.note, _))
        raise ValidationFailed(message, fields={"file": message}) from None
    if sum(ballot.weight for ballot in parsed.ballots) > MAX_PAPERS:
        message = _("Line %(line)d of the file: %(reason)s.", line=_line_past(text, MAX_PAPERS),
                    reason=_("the ballot lines add up to more than %(n)s papers", n=f"{MAX_PAPERS:,}"))
        raise ValidationFailed(message, fields={"file": message})
    if parsed.withdrawn:
        message = _("The file withdraws candidates; remove them from the file, or withdraw them here.")
        raise ValidationFailed(message, fields={"file": message})
    if parsed.seats != election.seats:
        message = _("The file is for %(file)d seats; this election fills %(seats)d.", file=parsed.seats,
                    seats=election.seats)
        raise ValidationFailed(message, fields={"file": message})
    fields: dict[str, str] = {}
    file_names = [_clean(n, MAX_NAME, fields, "file") for n in parsed.candidates]
    if fields:
        raise ValidationFailed(_("A candidate's name in the file is too long."), fields=fields)
    current = [c for c in election.candidates if c.state is CandidateState.standing]
    waiting = [c for c in election.candidates if c.state is CandidateState.nominated]
    if not current and not waiting:
        if len(file_names) > MAX_CANDIDATES:
            raise ValidationFailed(_("An election has at most %(n)d candidates.", n=MAX_CANDIDATES))
        for name in file_names:
            candidate = Candidate(election_id=election.id, name=name, state=CandidateState.standing,
                                  nominated_by_id=person.id if person else None)
            db.session.add(candidate)
        db.session.flush()
        db.session.refresh(election)
        current = [c for c in election.candidates if c.state is CandidateState.standing]
    by_name: dict[str, Candidate] = {}
    for c in current:
        by_name.setdefault(c.name.casefold(), c)
    missing = [n for n in file_names if n.casefold() not in by_name]
    extra = sorted({c.name for c in current} - {c.name for c in current if c.name.casefold() in
                                                 {n.casefold() for n in file_names}})
    if missing or extra or len(set(n.casefold() for n in file_names)) != len(file_names) or len(by_name) != len(current):
        db.session.rollback()
        message = _("The file's candidates are not this election's: not standing here: %(missing)s; not in the "
                    "file: %(extra)s.", missing=", ".join(missing) or "–", extra=", ".join(extra) or "–")
        raise ValidationFailed(message, fields={"file": message})
    if turnout(election.id):
        db.session.rollback()
        raise StateConflict(_("Ballots have already been cast electronically in this election."), code="has_ballots")
    try:
        _check_can_count(election, current)
    except StateConflict:
        db.session.rollback()
        raise
    on_file = [by_name[n.casefold()] for n in file_names]
    for position, candidate in enumerate(sorted(current, key=_ballot_order), start=1):
        candidate.position = position
    grouped: dict[tuple[int, ...], int] = {}
    for ballot in parsed.ballots:
        key = tuple(on_file[i].id for i in ballot.preferences)
        grouped[key] = grouped.get(key, 0) + ballot.weight
    before = election.state
    if not _claim_close(election, (before,)):
        db.session.rollback()
        raise StateConflict(_("This election changed meanwhile; reload and try again."), code="conflict")
    db.session.refresh(election)
    election.imported = True
    _finish(election, person, before, sorted(grouped.items()), "imported")
    _commit()
    return election

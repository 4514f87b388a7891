"""Poll operations: create, open, cast a ballot, close and count, enter a hand count, void,
the casting vote; proxies. The only place that changes polls, ballots and proxies, and commits.

Ballots and the close race (how "counted = stored = 201" holds on both databases):

- A ballot is one statement, `INSERT INTO ballot ... SELECT ... FROM poll WHERE id = ? AND
  state = 'open'`: the row is written only if the poll is open when the statement runs
  (UNIQUE(poll_id, voter_id): a second ballot of the same entitlement fails there, in the
  database). On SQLite the INSERT holds the database's write lock, so its read sees every commit
  before it; on PostgreSQL the SELECT is `FOR SHARE`, which waits for a closing transaction and
  then reads the poll as that left it. No row written means the poll is no longer open: the
  transaction rolls back (409) and nothing of the ballot remains.
- Closing UPDATEs the poll row from open to closed first (PostgreSQL: this waits for every
  ballot holding its share lock to commit; SQLite: the write lock), then counts in a new
  statement, which sees every ballot that committed. A ballot after that finds the poll closed.
"""
from __future__ import annotations

import json
import os
import random
import threading
import unicodedata
from contextlib import contextmanager, nullcontext
from typing import NamedTuple

try:
    import fcntl
except ImportError:  # not on Windows: ballots then wait in SQLite's busy handler
    fcntl = None

from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, String, and_, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from motions import audit
from motions.amendments.models import Amendment, AmendmentStatus
from motions.auth.models import Person, utcnow
from motions.counting import majority
from motions.documents.models import Document
from motions.errors import Forbidden, NotFound, StateConflict, ValidationFailed
from motions.extensions import db
from motions.labels import label
from motions.live import publish
from motions.meetings.models import Meeting, MeetingState, Membership, MembershipRole
from motions.polls.models import (
    DEFAULT_OPTIONS, SUBJECTS, TALLY_SHARDS, Ballot, Poll, PollState, PollTally, Proxy,
)
from motions.states import IllegalTransition

MAX_TITLE = 300
MAX_OPTION = 100
MAX_OPTIONS = 20
MAX_REASON = 2_000
MAX_COUNT = 10_000_000

_BALLOT = Ballot.__table__
_POLL = Poll.__table__
_TALLY = PollTally.__table__


def _commit():
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def get_poll(poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise NotFound(_("There is no such poll."))
    return poll


def poll_state_label(state) -> str:
    from motions.labels import POLL_STATE_LABELS

    return label(POLL_STATE_LABELS, state)


def _move(poll: Poll, target: PollState) -> PollState:
    before = poll.state
    try:
        poll.state = poll.state.become(target)
    except IllegalTransition:
        raise StateConflict(_("A poll that is “%(current)s” cannot become “%(target)s”.",
                              current=poll_state_label(before), target=poll_state_label(target)),
                            code="illegal_transition") from None
    return before


def _audit(poll: Poll, person: Person | None, action: str, **data) -> None:
    audit.append(poll.meeting_id, person, f"poll.{action}", "poll", poll.id,
                 {"title": poll.title, "subject": poll.subject_type, "subject_id": poll.subject_id, **data})


def _event(poll: Poll, kind: str, **data) -> None:
    publish(poll.meeting_id, f"poll.{kind}", {"poll": poll.id, "state": poll.state.value, **data})


# ---------------------------------------------------------------- who may vote

def delegate_ids(meeting_id: int):
    """A select of the person ids entitled to vote in the meeting: its delegates."""
    return (select(Membership.person_id).join(MembershipRole, MembershipRole.membership_id == Membership.id)
            .where(Membership.meeting_id == meeting_id, MembershipRole.role == "delegate"))


def entitlement(meeting: Meeting) -> dict:
    """Delegates entitled to vote, and present (in person, or by a proxy held by a delegate present):
    as a headcount and as vote weight."""
    rows = db.session.execute(
        select(Membership.person_id, Membership.vote_weight, Membership.present)
        .where(Membership.person_id.in_(delegate_ids(meeting.id)), Membership.meeting_id == meeting.id)
    ).all()
    weight = {r.person_id: r.vote_weight for r in rows}
    present = {r.person_id for r in rows if r.present}
    for giver, holder in db.session.execute(
            select(Proxy.giver_id, Proxy.holder_id).where(Proxy.meeting_id == meeting.id)):
        if holder in present and giver in weight:
            present.add(giver)
    return {"entitled": len(weight), "entitled_weight": sum(weight.values()), "present_ids": present,
            "weights": weight}


# ---------------------------------------------------------------- creating

def _clean_title(value, fields: dict) -> str:
    value = value if isinstance(value, str) else ""
    value = " ".join(unicodedata.normalize("NFC", value).split())
    if len(value) > MAX_TITLE:
        fields["title"] = _("This is too long (at most %(n)d characters).", n=MAX_TITLE)
    return value


def _clean_options(value, fields: dict) -> list[str]:
    if value is None:
        return list(DEFAULT_OPTIONS)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fields["options"] = _("Send the options as a list of texts.")
        return []
    options = [" ".join(unicodedata.normalize("NFC", v).split()) for v in value]
    if not 2 <= len(options) <= MAX_OPTIONS:
        fields["options"] = _("A poll has between 2 and %(n)d options.", n=MAX_OPTIONS)
    elif any(not o for o in options):
        fields["options"] = _("An option cannot be empty.")
    elif any(len(o) > MAX_OPTION for o in options):
        fields["options"] = _("An option is at most %(n)d characters long.", n=MAX_OPTION)
    elif len(set(options)) != len(options):
        fields["options"] = _("Each option must be different.")
    return options


def is_motion_vote(options: list[str]) -> bool:
    """A yes/no question (with or without abstain): the majority rules apply to it."""
    return "yes" in options and "no" in options and set(options) <= {"yes", "no", "abstain"}


def _subject(meeting: Meeting, value, fields: dict) -> tuple[str, Amendment | None, Document | None]:
    if value is None:
        return "none", None, None
    if not isinstance(value, dict) or value.get("type") not in SUBJECTS:
        fields["subject"] = _("Choose what the poll decides: an amendment, a document or none (a free question).")
        return "none", None, None
    kind, ident = value["type"], value.get("id")
    if kind == "none":
        return "none", None, None
    if not isinstance(ident, int) or isinstance(ident, bool) or not 1 <= ident <= 2**31 - 1:
        fields["subject"] = _("Give the id of the %(kind)s.", kind=kind)
        return kind, None, None
    if kind == "amendment":
        amendment = db.session.get(Amendment, ident)
        if amendment is None or db.session.get(Document, amendment.document_id).meeting_id != meeting.id:
            fields["subject"] = _("There is no such amendment in this meeting.")
        elif amendment.status is not AmendmentStatus.admitted:
            fields["subject"] = _("Only an admitted amendment can be put to the vote.")
        return kind, amendment, None
    document = db.session.get(Document, ident)
    if document is None or document.meeting_id != meeting.id:
        fields["subject"] = _("There is no such document in this meeting.")
    return kind, None, document


def create_poll(meeting: Meeting, person: Person | None, *, title=None, subject=None, options=None,
                majority_rule="simple", secret=False, weighted=False, analog=False) -> Poll:
    fields: dict[str, str] = {}
    title = _clean_title(title, fields)
    kind, amendment, document = _subject(meeting, subject, fields)
    options = _clean_options(options, fields)
    rule = majority_rule if majority_rule is not None else "simple"
    if rule not in majority.RULES:
        fields["majority"] = _("Choose one of: %(choices)s.", choices=", ".join(majority.RULES))
    if kind != "none" and options and not is_motion_vote(options) and "options" not in fields:
        fields["options"] = _("A vote on an amendment or a document has the options yes, no and abstain.")
    for name, value in (("secret", secret), ("weighted", weighted), ("analog", analog)):
        if not isinstance(value, bool):
            fields[name] = _("Answer true or false.")
    if not title and "title" not in fields:
        if amendment is not None:
            title = _("Amendment %(number)s", number=amendment.number)
            if amendment.title:
                title = f"{title}: {amendment.title}"[:MAX_TITLE]
        elif document is not None:
            title = _("%(title)s as amended", title=document.title)[:MAX_TITLE]
        else:
            fields["title"] = _("Give the question a title.")
    if fields:
        raise ValidationFailed(_("Some fields need correcting."), fields=fields)
    poll = Poll(meeting_id=meeting.id, title=title, subject_type=kind,
                amendment_id=amendment.id if amendment else None, document_id=document.id if document else None,
                majority=rule, options=options, secret=secret, weighted=weighted, analog=analog,
                created_by_id=person.id if person else None)
    db.session.add(poll)
    db.session.flush()
    _audit(poll, person, "created", majority=rule, secret=secret, weighted=weighted, analog=analog, options=options)
    _event(poll, "created")
    _commit()
    return poll


# ---------------------------------------------------------------- opening

def open_poll(poll: Poll, person: Person | None, *, confirm_without_quorum: bool = False) -> Poll:
    from motions.meetings.operations import attendance_counts

    meeting = db.session.get(Meeting, poll.meeting_id)
    if meeting.state is not MeetingState.in_session:
        raise StateConflict(_("Open the session before opening a vote."), code="not_in_session")
    if poll.analog:
        raise StateConflict(_("This poll is a show of hands: enter the count instead of opening it."),
                            code="analog_poll")
    if poll.amendment_id is not None:
        amendment = db.session.get(Amendment, poll.amendment_id)
        if amendment is None or amendment.status is not AmendmentStatus.admitted:
            raise StateConflict(_("Only an admitted amendment can be put to the vote."), code="not_admitted")
        if not amendment.applies_cleanly:
            raise StateConflict(_("This amendment no longer applies to the text: resolve it, or declare it "
                                  "fallen, before it is put to the vote."), code="does_not_apply")
    other = db.session.execute(select(Poll.id, Poll.title).where(
        Poll.meeting_id == poll.meeting_id, Poll.state == PollState.open, Poll.id != poll.id)).first()
    if other is not None:
        raise StateConflict(_("Another vote is open (“%(title)s”); close it first.", title=other.title),
                            code="poll_open")
    counts = attendance_counts(meeting)
    if not counts["quorum_met"] and not confirm_without_quorum:
        raise StateConflict(_("There is no quorum: %(present)d present, %(needed)d needed. Confirm to open the "
                              "vote anyway; the result will record that there was no quorum.",
                              present=counts["present"], needed=counts["needed"] or 0), code="no_quorum")
    before = _move(poll, PollState.open)
    poll.quorum_met = counts["quorum_met"]
    poll.opened_at = utcnow()
    if poll.secret:
        db.session.execute(insert(_TALLY), [{"poll_id": poll.id, "choice": option, "shard": shard, "headcount": 0,
                                             "weight": 0}
                                            for option in poll.options for shard in range(TALLY_SHARDS)])
    meeting.item_type, meeting.item_id = "poll", poll.id
    _audit(poll, person, "opened", **{"from": before.value, "to": "open", "quorum_met": poll.quorum_met,
                                      "present": counts["present"], "registered": counts["registered"]})
    _event(poll, "opened")
    publish(meeting.id, "floor.changed", {"item_type": "poll", "item_id": poll.id})
    _commit()
    return poll


# ---------------------------------------------------------------- ballots

class Voter(NamedTuple):
    """What a ballot needs to know about its poll and the person casting it, read in one statement."""

    poll_id: int
    meeting_id: int
    state: str
    options: list
    secret: bool
    weighted: bool
    person_id: int
    member: bool  # the person belongs to the poll's meeting
    present: bool
    vote_weight: int
    roles: tuple[str, ...]


_MEMBER = Membership.__table__
_ROLE = MembershipRole.__table__
# Built once: a ballot is the busiest request of a meeting, and building a statement costs more
# than running it (see docs/performance.md, "Votes").
_VOTER = (
    select(_POLL.c.id, _POLL.c.meeting_id, _POLL.c.state, _POLL.c.options, _POLL.c.secret, _POLL.c.weighted,
           _MEMBER.c.id, _MEMBER.c.present, _MEMBER.c.vote_weight, _ROLE.c.role)
    .select_from(_POLL.outerjoin(_MEMBER, and_(_MEMBER.c.meeting_id == _POLL.c.meeting_id,
                                                _MEMBER.c.person_id == bindparam("person_id")))
                 .outerjoin(_ROLE, _ROLE.c.membership_id == _MEMBER.c.id))
    .where(_POLL.c.id == bindparam("poll_id"))
)
# The ballot row, inserted only while the poll is open: one statement that reads the poll's state
# (on PostgreSQL FOR SHARE, which waits for a closing transaction) and writes the ballot.
_IF_OPEN = (select(_POLL.c.id, bindparam("voter_id", type_=Integer), bindparam("cast_by_id", type_=Integer),
                   bindparam("choice", type_=String), bindparam("weight", type_=Integer),
                   bindparam("at", type_=DateTime(timezone=True)))
            .where(_POLL.c.id == bindparam("poll_id"), _POLL.c.state == PollState.open.value))
_BALLOT_COLUMNS = ["poll_id", "voter_id", "cast_by_id", "choice", "weight", "at"]
_INSERT_BALLOT = {  # preserve_rowcount: SQLAlchemy keeps an INSERT's row count only when asked
    "sqlite": insert(_BALLOT).from_select(_BALLOT_COLUMNS, _IF_OPEN).execution_options(preserve_rowcount=True),
    "postgresql": insert(_BALLOT).from_select(_BALLOT_COLUMNS, _IF_OPEN.with_for_update(read=True))
    .execution_options(preserve_rowcount=True),
}
class _WriterTurn:
    """SQLite has one write lock for the whole database, and a writer that finds it taken sleeps
    in growing steps (1, 2, 5, 10 ... 100 ms) before trying again: under a vote storm those sleeps
    are the slowest ballots. Ballot writers therefore queue for their turn in the kernel instead
    (`flock` on a file beside the database, which wakes the next waiter at once), after the threads
    of one process have queued on a lock of that process. Other databases need no turn."""

    def __init__(self):
        self.lock = threading.Lock()
        self.files: dict[tuple[int, str], object] = {}

    def __call__(self, bind):
        path = bind.url.database if bind.dialect.name == "sqlite" else None
        if not path or path == ":memory:" or path.startswith("file:") or fcntl is None:
            return nullcontext()
        return self._turn(path)

    @contextmanager
    def _turn(self, path: str):
        with self.lock:
            key = (os.getpid(), path)  # a forked worker opens its own file: flock is per open file
            handle = self.files.get(key)
            if handle is None:
                handle = self.files[key] = open(f"{path}-writers.lock", "a+b")  # noqa: SIM115 (kept open)
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


writer_turn = _WriterTurn()
_COUNT_SECRET = (update(_TALLY)
                 .where(_TALLY.c.poll_id == bindparam("tally_poll"), _TALLY.c.choice == bindparam("tally_choice"),
                        _TALLY.c.shard == bindparam("tally_shard"))
                 .values(headcount=_TALLY.c.headcount + 1, weight=_TALLY.c.weight + bindparam("tally_weight")))


def voter(poll_id: int, person_id: int) -> Voter | None:
    """The poll and the person's membership of its meeting with their roles; None: no such poll."""
    rows = db.session.execute(_VOTER, {"poll_id": poll_id, "person_id": person_id}).all()
    if not rows:
        return None
    first = rows[0]
    roles = tuple(sorted({r[9] for r in rows if r[9] is not None}))
    options = first[3]
    if isinstance(options, str):  # a JSON column read through a plain select on some drivers
        options = json.loads(options)
    return Voter(first[0], first[1], first[2], options, bool(first[4]), bool(first[5]), person_id,
                 first[6] is not None, bool(first[7]), first[8] or 0, roles)


def cast_ballot(poll_id: int, person: Person | int, choice, on_behalf_of=None, *,
                context: Voter | None = None) -> dict:
    """Store one ballot (201) or refuse it with nothing stored. Returns the receipt.

    person: the voter, or their id. context: the poll and voter as `voter()` reads them, when the
    caller has already read them (the API route has, for its permission check)."""
    person_id = person if isinstance(person, int) else person.id
    v = context if context is not None and context.poll_id == poll_id and context.person_id == person_id \
        else voter(poll_id, person_id)
    if v is None:
        raise NotFound(_("There is no such poll."))
    if v.state != PollState.open.value:
        raise StateConflict(_("This poll is not open for voting: it is “%(state)s”.",
                              state=poll_state_label(PollState(v.state))), code="poll_not_open")
    if not isinstance(choice, str) or choice not in v.options:
        raise ValidationFailed(_("Choose one of the options."),
                               fields={"choice": _("Choose one of: %(choices)s.", choices=", ".join(v.options))})
    if not v.member or "delegate" not in v.roles:
        raise Forbidden(_("Only delegates vote."))
    if not v.present:
        raise StateConflict(_("Check in as present before voting."), code="not_present")
    voter_id, weight = person_id, v.vote_weight
    if on_behalf_of is not None and on_behalf_of != person_id:
        if not isinstance(on_behalf_of, int) or isinstance(on_behalf_of, bool):
            raise ValidationFailed(_("Some fields need correcting."), fields={"on_behalf_of": _("Enter a whole number.")})
        giver = db.session.execute(
            select(Membership.vote_weight).join(Proxy, and_(Proxy.giver_id == Membership.person_id,
                                                            Proxy.meeting_id == Membership.meeting_id))
            .where(Proxy.meeting_id == v.meeting_id, Proxy.giver_id == on_behalf_of,
                   Proxy.holder_id == person_id)).first()
        if giver is None:
            raise Forbidden(_("You do not hold this delegate's proxy."), code="no_proxy")
        voter_id, weight = on_behalf_of, giver.vote_weight
    if not v.weighted:
        weight = 1
    receipt = {"poll_id": poll_id, "voter_id": voter_id, "on_behalf_of": voter_id if voter_id != person_id else None,
               "choice": choice, "weight": weight}
    bind = db.session.get_bind()
    dialect = bind.dialect.name
    with writer_turn(bind):
        try:
            stored = db.session.execute(_INSERT_BALLOT[dialect], {
                "poll_id": poll_id, "voter_id": voter_id, "cast_by_id": person_id,
                "choice": None if v.secret else choice, "weight": weight, "at": utcnow()}).rowcount
            if stored != 1:  # the poll closed (or was voided) since it was read above
                db.session.rollback()
                raise StateConflict(_("The poll closed before your ballot arrived; it was not counted."),
                                    code="poll_not_open")
            if v.secret:
                db.session.execute(_COUNT_SECRET, {
                    "tally_poll": poll_id, "tally_choice": choice, "tally_weight": weight,
                    "tally_shard": random.randrange(TALLY_SHARDS),  # noqa: S311 (spreads updates; not a secret)
                })
            publish(v.meeting_id, "poll.turnout", {"poll": poll_id})
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if voter_id != person_id:
                raise StateConflict(_("A ballot for this delegate has already been cast in this poll."),
                                    code="already_voted") from None
            raise StateConflict(_("You have already voted in this poll."), code="already_voted") from None
        except StateConflict:
            raise
        except Exception:
            db.session.rollback()
            raise
    return receipt


# ---------------------------------------------------------------- counting

def turnout(poll_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(_BALLOT).where(_BALLOT.c.poll_id == poll_id)).scalar()


def _totals(poll: Poll) -> tuple[dict[str, int], dict[str, int]]:
    """(headcount, weight) per option, from the ballots (named) or the anonymous tallies (secret)."""
    heads = {option: 0 for option in poll.options}
    weights = {option: 0 for option in poll.options}
    if poll.secret:
        rows = db.session.execute(select(_TALLY.c.choice, func.sum(_TALLY.c.headcount), func.sum(_TALLY.c.weight))
                                  .where(_TALLY.c.poll_id == poll.id).group_by(_TALLY.c.choice)).all()
    else:
        rows = db.session.execute(select(_BALLOT.c.choice, func.count(), func.sum(_BALLOT.c.weight))
                                  .where(_BALLOT.c.poll_id == poll.id).group_by(_BALLOT.c.choice)).all()
    for choice, count, weight in rows:
        heads[choice] = int(count or 0)
        weights[choice] = int(weight or 0)
    return heads, weights


def _result(poll: Poll, meeting: Meeting, heads: dict[str, int], weights: dict[str, int] | None,
            present_ids: set[int], ent: dict) -> dict:
    """The stored result: counts (weighted in a card vote), headcount, base, threshold, outcome."""
    voted = sum(heads.values())
    if poll.weighted and weights is not None:
        present = sum(ent["weights"].get(p, 0) for p in present_ids)
        entitled = ent["entitled_weight"]
    else:
        present, entitled = len(present_ids), ent["entitled"]
    counted = weights if (poll.weighted and weights is not None) else heads
    result = {"counts": counted, "headcount": heads if (poll.weighted and weights is not None) else None,
              "voted": voted, "present": present, "entitled": entitled, "quorum_met": poll.quorum_met,
              "majority": poll.majority, "base": None, "threshold": None, "outcome": None, "casting": None}
    if not is_motion_vote(poll.options):
        return result  # a free choice between options: the counts are the result
    counts = majority.Counts(counted.get("yes", 0), counted.get("no", 0), counted.get("abstain", 0))
    headcount = None
    if result["headcount"] is not None:
        headcount = majority.Counts(heads.get("yes", 0), heads.get("no", 0), heads.get("abstain", 0))
    present = max(present, counts.cast)
    entitled = max(entitled, present)
    decided = majority.decide(poll.majority, counts, present=present, entitled=entitled,
                              casting_vote=meeting.casting_vote, headcount=headcount)
    result.update(base=decided.base, threshold=decided.threshold, outcome=decided.outcome,
                  present=present, entitled=entitled)
    return result


def result_of(poll: Poll) -> majority.Result | None:
    """The stored result as the counting core's Result (None for a free choice or no result)."""
    r = poll.result
    if not r or r.get("outcome") is None:
        return None
    counts = majority.Counts(**{k: r["counts"].get(k, 0) for k in ("yes", "no", "abstain")})
    headcount = (majority.Counts(**{k: r["headcount"].get(k, 0) for k in ("yes", "no", "abstain")})
                 if r.get("headcount") else None)
    return majority.Result(r["outcome"], r["majority"], counts, r["base"], r["threshold"], headcount, r.get("casting"))


def _settle_subject(poll: Poll, person: Person | None, outcome: str | None) -> None:
    """Closing a poll on an amendment carries or loses it (a tie waits for the casting vote)."""
    if poll.amendment_id is None or outcome not in ("carried", "lost"):
        return
    from motions.amendments.operations import settle

    amendment = db.session.get(Amendment, poll.amendment_id)
    if amendment is not None and amendment.status is AmendmentStatus.admitted:
        settle(amendment, person, outcome, note=poll.title, poll_id=poll.id)


def _claim_close(poll: Poll, allowed: tuple[PollState, ...]) -> bool:
    """Move the poll row to closed in the database first (the lock every racing ballot waits on)."""
    done = db.session.execute(update(_POLL).where(_POLL.c.id == poll.id, _POLL.c.state.in_([s.value for s in allowed]))
                              .values(state=PollState.closed.value, closed_at=utcnow()))
    return done.rowcount == 1


def close_poll(poll: Poll, person: Person | None) -> Poll:
    if poll.analog:
        raise StateConflict(_("This poll is a show of hands: enter the count to close it."), code="analog_poll")
    before = poll.state
    if not before.can_become(PollState.closed) or before is PollState.draft:
        raise StateConflict(_("Only an open poll can be closed; this one is “%(state)s”.",
                              state=poll_state_label(before)), code="poll_not_open")
    if not _claim_close(poll, (PollState.open,)):
        db.session.rollback()
        raise StateConflict(_("This poll is no longer open."), code="poll_not_open")
    db.session.refresh(poll)
    meeting = db.session.get(Meeting, poll.meeting_id)
    heads, weights = _totals(poll)
    ent = entitlement(meeting)
    voters = set(db.session.execute(select(_BALLOT.c.voter_id).where(_BALLOT.c.poll_id == poll.id)).scalars())
    if poll.secret and len(voters) != sum(heads.values()):  # the tallies and the voter list must agree
        db.session.rollback()
        raise StateConflict(_("The secret tallies do not match the list of voters; the poll stays open. "
                              "Tell the system administrator."), code="tally_mismatch")
    poll.result = _result(poll, meeting, heads, weights, ent["present_ids"] | voters, ent)
    if poll.secret:
        # only the totals outlive the poll: the per-shard counters go
        db.session.execute(_TALLY.delete().where(_TALLY.c.poll_id == poll.id))
    _audit(poll, person, "closed", **{"from": before.value, "to": "closed", "counts": poll.result["counts"],
                                      "outcome": poll.result["outcome"], "voted": poll.result["voted"]})
    _event(poll, "closed", outcome=poll.result["outcome"])
    _settle_subject(poll, person, poll.result["outcome"])
    _commit()
    return poll


def enter_count(poll: Poll, person: Person | None, counts) -> Poll:
    """An analog poll (a show of hands): the chair enters the count, which closes the poll."""
    fields: dict[str, str] = {}
    if not isinstance(counts, dict):
        raise ValidationFailed(_("Enter a count for each option."),
                               fields={"counts": _("Send an object: option → number of votes.")})
    clean: dict[str, int] = {}
    for option in poll.options:
        value = counts.get(option, 0)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COUNT:
            fields[option] = _("Enter a whole number from 0 to %(n)s.", n=f"{MAX_COUNT:,}")
        else:
            clean[option] = value
    unknown = sorted(set(counts) - set(poll.options))
    if unknown:
        fields["counts"] = _("These are not options of this poll: %(names)s.", names=", ".join(map(str, unknown)))
    if fields:
        raise ValidationFailed(_("Enter a count for each option."), fields=fields)
    if poll.state not in (PollState.draft, PollState.open):
        raise StateConflict(_("The count can only be entered while the poll is a draft or open; it is “%(state)s”.",
                              state=poll_state_label(poll.state)), code="poll_not_open")
    if poll.amendment_id is not None:
        amendment = db.session.get(Amendment, poll.amendment_id)
        if amendment is None or amendment.status is not AmendmentStatus.admitted:
            raise StateConflict(_("Only an admitted amendment can be put to the vote."), code="not_admitted")
        if not amendment.applies_cleanly:
            raise StateConflict(_("This amendment no longer applies to the text: resolve it, or declare it "
                                  "fallen, before it is put to the vote."), code="does_not_apply")
    meeting = db.session.get(Meeting, poll.meeting_id)
    from motions.meetings.operations import attendance_counts

    quorum_met = attendance_counts(meeting)["quorum_met"]
    ent = entitlement(meeting)
    if sum(clean.values()) > ent["entitled_weight" if poll.weighted else "entitled"]:
        raise ValidationFailed(_("The count is not possible: more votes than delegates entitled to vote."),
                               fields={"counts": _("More votes than delegates entitled to vote.")})
    before = poll.state
    if not _claim_close(poll, (PollState.draft, PollState.open)):
        db.session.rollback()
        raise StateConflict(_("This poll is no longer open."), code="poll_not_open")
    if turnout(poll.id):
        db.session.rollback()
        raise StateConflict(_("Ballots have already been cast electronically in this poll; close it instead."),
                            code="has_ballots")
    db.session.refresh(poll)
    poll.analog = True
    if poll.quorum_met is None:
        poll.quorum_met = quorum_met
    poll.result = _result(poll, meeting, clean, None, ent["present_ids"], ent)
    if poll.secret:
        db.session.execute(_TALLY.delete().where(_TALLY.c.poll_id == poll.id))
    _audit(poll, person, "counted", **{"from": before.value, "to": "closed", "counts": clean,
                                       "outcome": poll.result["outcome"]})
    _event(poll, "closed", outcome=poll.result["outcome"])
    _settle_subject(poll, person, poll.result["outcome"])
    _commit()
    return poll


def casting_vote(poll: Poll, person: Person | None, choice) -> Poll:
    """The chair breaks a tie: "yes" carries, "no" loses."""
    if choice not in majority.CHOICES:
        raise ValidationFailed(_("The casting vote is yes or no."), fields={"choice": _("Choose yes or no.")})
    if poll.state is not PollState.closed or not poll.result or poll.result.get("outcome") != "tie":
        raise StateConflict(_("A casting vote only decides a tied poll."), code="not_a_tie")
    decided = majority.apply_casting_vote(result_of(poll), choice)
    poll.result = {**poll.result, "outcome": decided.outcome, "casting": choice}
    _audit(poll, person, "casting_vote", choice=choice, outcome=decided.outcome)
    _event(poll, "closed", outcome=decided.outcome)
    _settle_subject(poll, person, decided.outcome)
    _commit()
    return poll


def void_poll(poll: Poll, person: Person | None, reason) -> Poll:
    reason = " ".join(unicodedata.normalize("NFC", reason).split()) if isinstance(reason, str) else ""
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(_("Give the reason for voiding the poll."),
                               fields={"reason": _("Give the reason (at most %(n)d characters).", n=MAX_REASON)})
    if poll.state is PollState.closed and poll.amendment_id is not None:
        amendment = db.session.get(Amendment, poll.amendment_id)
        if amendment is not None and amendment.status is not AmendmentStatus.admitted:
            raise StateConflict(_("This poll has already decided amendment %(number)s; it cannot be voided.",
                                  number=amendment.number), code="already_decided")
    before = _move(poll, PollState.void)
    poll.void_reason = reason
    if before is PollState.open and poll.secret:
        db.session.execute(_TALLY.delete().where(_TALLY.c.poll_id == poll.id))
    _audit(poll, person, "voided", **{"from": before.value, "to": "void", "reason": reason})
    _event(poll, "voided")
    _commit()
    return poll


# ---------------------------------------------------------------- proxies

def set_proxy(meeting: Meeting, person: Person | None, giver_id, holder_id) -> Proxy:
    """The secretary records that `holder` carries `giver`'s vote (replacing an earlier proxy)."""
    fields: dict[str, str] = {}
    delegates = set(db.session.execute(delegate_ids(meeting.id)).scalars())
    for name, value in (("giver_id", giver_id), ("holder_id", holder_id)):
        if not isinstance(value, int) or isinstance(value, bool) or value not in delegates:
            fields[name] = _("Choose a delegate of this meeting.")
    if not fields and giver_id == holder_id:
        fields["holder_id"] = _("A delegate cannot hold their own proxy.")
    if not fields:
        if db.session.execute(select(Proxy.id).where(Proxy.meeting_id == meeting.id,
                                                     Proxy.holder_id == giver_id)).first():
            fields["giver_id"] = _("This delegate holds proxies of others and cannot give their own away.")
        elif db.session.execute(select(Proxy.id).where(Proxy.meeting_id == meeting.id,
                                                       Proxy.giver_id == holder_id)).first():
            fields["holder_id"] = _("This delegate has given their own proxy away.")
    if fields:
        raise ValidationFailed(_("Some fields need correcting."), fields=fields)
    proxy = db.session.execute(select(Proxy).where(Proxy.meeting_id == meeting.id,
                                                   Proxy.giver_id == giver_id)).scalar_one_or_none()
    if proxy is None:
        proxy = Proxy(meeting_id=meeting.id, giver_id=giver_id, holder_id=holder_id)
        db.session.add(proxy)
    proxy.holder_id = holder_id
    db.session.flush()
    giver, holder = db.session.get(Person, giver_id), db.session.get(Person, holder_id)
    audit.append(meeting.id, person, "proxy.set", "person", giver_id, {"giver": giver.name, "holder": holder.name,
                                                                         "holder_id": holder_id})
    publish(meeting.id, "attendance.changed", {})
    try:
        _commit()
    except IntegrityError:
        raise StateConflict(_("Someone else changed this proxy at the same moment; try again."),
                            code="conflict") from None
    return proxy


def remove_proxy(meeting: Meeting, person: Person | None, giver_id: int) -> None:
    proxy = db.session.execute(select(Proxy).where(Proxy.meeting_id == meeting.id,
                                                   Proxy.giver_id == giver_id)).scalar_one_or_none()
    if proxy is None:
        raise NotFound(_("This delegate has given no proxy."))
    holder = proxy.holder
    audit.append(meeting.id, person, "proxy.removed", "person", giver_id,
                 {"giver": proxy.giver.name, "holder": holder.name, "holder_id": holder.id})
    db.session.delete(proxy)
    publish(meeting.id, "attendance.changed", {})
    _commit()


def proxies(meeting: Meeting) -> list[Proxy]:
    return list(db.session.execute(select(Proxy).where(Proxy.meeting_id == meeting.id)
                                   .order_by(Proxy.id)).scalars())


def proxies_held(meeting_id: int, holder_id: int) -> list[Proxy]:
    return list(db.session.execute(select(Proxy).where(Proxy.meeting_id == meeting_id,
                                                       Proxy.holder_id == holder_id).order_by(Proxy.id)).scalars())


def polls(meeting: Meeting) -> list[Poll]:
    return list(db.session.execute(select(Poll).where(Poll.meeting_id == meeting.id)
                                   .order_by(Poll.id.desc())).scalars())

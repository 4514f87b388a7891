"""What a poll shows: turnout, the result in words, the roll call of a named poll, and what the
person looking may still do (their own ballot, the proxies they hold). Used by pages and the API."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from motions.auth.models import Person
from motions.counting import majority
from motions.extensions import db
from motions.i18n import gettext
from motions.labels import MAJORITY_LABELS, OPTION_LABELS, label
from motions.meetings.models import Membership
from motions.polls.models import Ballot, Poll, PollState
from motions.polls.operations import delegate_ids, entitlement, proxies_held, result_of, turnout


def option_label(option: str) -> str:
    return label(OPTION_LABELS, option)


def describe(poll: Poll) -> str | None:
    """The result in words: "Carried: 41 for, 12 against, 3 abstentions; simple majority of votes cast."."""
    if poll.state is not PollState.closed or not poll.result:
        return None
    result = result_of(poll)
    if result is not None:
        return majority.describe(result, gettext)
    counts = poll.result.get("counts", {})
    return "; ".join(f"{option_label(o)}: {counts.get(o, 0):,}" for o in poll.options)


@dataclass
class Entitlement:
    """One vote the person may cast: their own, or one they hold by proxy."""
    voter_id: int
    name: str
    own: bool
    voted: bool


@dataclass
class PollView:
    poll: Poll
    voted: int
    entitled: int
    description: str | None
    mine: list[Entitlement] = field(default_factory=list)  # the viewer's own vote and proxies
    roll_call: list[dict] | None = None  # a named poll once closed: each delegate's vote
    present: bool = False  # the viewer is checked in (may vote)

    @property
    def can_vote(self) -> bool:
        return self.poll.state is PollState.open and not self.poll.analog and self.present \
            and any(not e.voted for e in self.mine)

    def bars(self) -> list[dict]:
        """The result as bars: option, label, count, share of the largest (for the SVG chart)."""
        counts = (self.poll.result or {}).get("counts", {})
        top = max([counts.get(o, 0) for o in self.poll.options] + [1])
        return [{"option": o, "label": option_label(o), "count": counts.get(o, 0),
                 "share": counts.get(o, 0) / top} for o in self.poll.options]


def view(poll: Poll, person: Person | None) -> PollView:
    ent = db.session.execute(select(db.func.count()).select_from(delegate_ids(poll.meeting_id).subquery())).scalar()
    voted = turnout(poll.id)
    pv = PollView(poll=poll, voted=voted, entitled=ent, description=describe(poll))
    if person is not None:
        me = db.session.execute(select(Membership).where(
            Membership.meeting_id == poll.meeting_id, Membership.person_id == person.id,
            Membership.person_id.in_(delegate_ids(poll.meeting_id)))).scalar_one_or_none()
        if me is not None:
            pv.present = me.present
            voters = [(person.id, person.name, True)] + [(p.giver_id, p.giver.name, False)
                                                         for p in proxies_held(poll.meeting_id, person.id)]
            done = set(db.session.execute(select(Ballot.voter_id).where(
                Ballot.poll_id == poll.id, Ballot.voter_id.in_([v[0] for v in voters]))).scalars())
            pv.mine = [Entitlement(v, n, own, v in done) for v, n, own in voters]
    if poll.state is PollState.closed and not poll.secret and not poll.analog:
        rows = db.session.execute(select(Ballot).where(Ballot.poll_id == poll.id)
                                  .options(db.joinedload(Ballot.voter), db.joinedload(Ballot.cast_by))).scalars()
        pv.roll_call = sorted(({"voter_id": b.voter_id, "name": b.voter.name,
                                "organisation": b.voter.organisation or "", "choice": b.choice, "weight": b.weight,
                                "cast_by_id": b.cast_by_id,
                                "by_proxy": b.cast_by.name if b.cast_by_id != b.voter_id else None}
                               for b in rows), key=lambda r: (r["name"].casefold(), r["voter_id"]))
    return pv


def majority_label(rule: str) -> str:
    return label(MAJORITY_LABELS, rule)


__all__ = ["PollView", "Entitlement", "view", "describe", "option_label", "majority_label", "entitlement"]

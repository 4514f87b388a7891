"""The one permission table: which meeting role may do what.

Pure: no Flask, no models. Every view and API handler names one action from ACTIONS;
tests walk the URL map and check each route against this table for every role.
"""
from __future__ import annotations

from collections.abc import Iterable

DELEGATE, CHAIR, SECRETARY, ORGANISER = "delegate", "chair", "secretary", "organiser"
ROLES = (DELEGATE, CHAIR, SECRETARY, ORGANISER)
EVERYONE = frozenset(ROLES)

ACTIONS: dict[str, frozenset[str]] = {
    # the meeting
    "meeting.view": EVERYONE,
    "meeting.edit": frozenset({CHAIR, SECRETARY, ORGANISER}),
    "meeting.state": frozenset({CHAIR}),  # open the session, close it, resume it
    # people and attendance
    "people.view": frozenset({CHAIR, SECRETARY, ORGANISER}),
    "people.add": frozenset({SECRETARY, ORGANISER}),
    "people.import": frozenset({SECRETARY, ORGANISER}),
    "attendance.mark": frozenset({CHAIR, SECRETARY}),
    "attendance.self": frozenset({DELEGATE}),  # and only where the meeting allows self check-in
    # documents
    "document.view": EVERYONE,
    "document.import": frozenset({SECRETARY, ORGANISER}),
    "document.edit_draft": frozenset({SECRETARY}),
    "document.state": frozenset({CHAIR, SECRETARY}),
    "document.export": EVERYONE,  # download a version, or a redline of two, as a file; compare versions
    # amendments
    "amendment.view": EVERYONE,
    "amendment.propose": frozenset({DELEGATE}),
    "amendment.second": frozenset({DELEGATE}),  # not the mover: the operation checks that
    # withdraw and revise: only the mover (checked by the operation), whatever role moved it
    "amendment.move": EVERYONE,
    "amendment.screen": frozenset({CHAIR}),  # admit, or rule out of order with a reason
    "amendment.composite": frozenset({CHAIR, SECRETARY}),
    "amendment.decide": frozenset({CHAIR}),  # carried, lost, remitted or fallen without a poll
    "amendment.resolve": frozenset({SECRETARY}),  # restate one that no longer applies after a carry
    # the floor: what the chair has taken up (the projector shows it)
    "floor.set": frozenset({CHAIR}),
    "projector.view": EVERYONE,
    "events.view": EVERYONE,  # the live event stream
    # debate
    "speakers.view": EVERYONE,
    "speakers.request": frozenset({DELEGATE}),  # ask to speak, or withdraw one's own request
    "speakers.manage": frozenset({CHAIR}),  # call, move, remove, close, reopen, set the speaking time
    "comment.view": EVERYONE,
    "comment.post": EVERYONE,
    "comment.moderate": frozenset({CHAIR}),  # hide a comment (the audit log keeps it)
    # polls
    "poll.view": EVERYONE,  # a secret poll never shows who chose what, to anyone
    "poll.manage": frozenset({CHAIR}),  # create, open, close, void, enter a hand count, casting vote
    "poll.vote": frozenset({DELEGATE}),  # present delegates; a proxy holder also for the giver
    "proxy.view": frozenset({CHAIR, SECRETARY}),
    "proxy.manage": frozenset({SECRETARY}),
    # elections: nominations, ranked or marked secret ballots, the count
    "election.view": EVERYONE,  # the election, its candidates, turnout, the result sheet, the papers once counted
    "election.manage": frozenset({CHAIR}),  # set up, open and close nominations and ballots, void, import papers
    "election.nominate": frozenset({DELEGATE, CHAIR}),  # a delegate while nominations are open; the chair enters
    "election.second": frozenset({DELEGATE}),  # not one's own nomination: the operation checks that
    # withdraw a candidate or change their statement: the candidate, their nominator or the chair (the operation)
    "candidate.change": EVERYONE,
    "election.vote": frozenset({DELEGATE}),  # present delegates; a proxy holder also for the giver
    # the record of proceedings: every amendment, how it was decided, the votes
    "record.view": EVERYONE,
    # the audit log: every state change, who made it and when
    "audit.view": frozenset({CHAIR, SECRETARY}),
}

# Actions that need no meeting role: any signed-in person (or the global organiser flag).
GLOBAL_ACTIONS: dict[str, str] = {
    "public": "public",
    "signed_in": "signed_in",
    "meetings.list": "signed_in",
    "meetings.create": "organiser",
}


def allowed(roles: Iterable[str], action: str) -> bool:
    """True when one of the person's roles in the meeting may perform the action."""
    try:
        permitted = ACTIONS[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}; add it to motions.permissions.ACTIONS") from None
    return any(role in permitted for role in roles)


def roles_for(action: str) -> frozenset[str]:
    return ACTIONS[action]

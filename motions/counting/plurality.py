"""Approval voting and plurality at large: each voter marks candidates, each mark is a vote, and
the candidates with the most votes fill the seats (:func:`count`, giving a :class:`Tally`).

The methods.

* ``"approval"``: a voter marks any number of candidates (one or more).
* ``"plurality"`` (plurality at large, "block vote"): a voter marks at most as many candidates
  as there are seats.

A ballot is an :class:`~motions.counting.stv.Ballot` whose ``preferences`` are the candidates
marked (their order means nothing), with its whole-number ``weight`` (how many identical papers
it stands for).  Every valid ballot gives one vote, times its weight, to each candidate it
marks; the ``seats`` candidates standing with the most votes are elected.

Invalid ballots are set aside, for their first fault in this order, and counted by weight in
``Tally.invalid``, a note for each kind found in ``Tally.notes``: empty (no mark); marking a
number that is not a candidate; marking a candidate twice; plurality only, *over-voted* (more
marks than seats, withdrawn candidates' marks included: they are on the paper); marking only
withdrawn candidates (whose marks are struck off every ballot, as if never on the paper).  A
ballot of weight 0 stands for no paper and is dropped; a weight that is not a whole number
>= 0 is refused.

Ties.  When candidates with equal votes compete for the last seat(s), as many as are needed
are drawn by lot, one draw per seat:
``random.Random(f"{seed}:{round}:{tied}").choice(tied)``, where ``tied`` are the candidates
still in the draw, their numbers in ascending order joined by commas, and ``round`` is 1 for
the seats of an election without reserved seats and for the reserved seats, 2 for the general
seats after reserved ones.  This is the draw of the STV counts
(:mod:`motions.counting.scottish`, :mod:`motions.counting.meek`), with the round where they have
the stage.  With ``seed=None`` a fresh seed is generated (``secrets.token_hex(8)``); it is
always recorded in ``Tally.seed`` and counting again with it gives the same tally.  A note says
who was chosen by lot among whom.

Reserved seats (``group`` and ``reserved`` K): "at least K of the seats for the group".  First
the K group candidates with the most votes are elected (the reserved seats); then the remaining
seats go to the candidates with the most votes among all the others, the group's candidates not
yet elected included (the general seats).  The same votes serve both.  Refused as
:func:`motions.counting.reserved.check_reserved` refuses (an empty or unknown group, K below 1
or not fewer than the seats, fewer group candidates standing than K).  :data:`RESERVED_RULE_TEXT`
says it in plain words.

``Tally.elected`` is in the order of election: the reserved seats first, then the others; within
each, by votes, highest first (candidate number on equal votes).

Refused with :class:`~motions.counting.stv.CountError`: an unknown method, no seat, more seats
than candidates standing, a withdrawn number that is not a candidate, a bad weight, no valid
ballot, reserved seats that cannot be filled.  Notes and errors are translatable notes, as in
the whole core (:mod:`motions.counting.stv`).

Pure: standard library only.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field

from motions.counting.reserved import check_reserved
from motions.counting.stv import (
    N_,
    CountError,
    Election,
    Note,
    check_election,
    no_valid_ballot,
    render,
    weight_error,
)

__all__ = ["METHODS", "RESERVED_RULE_TEXT", "Tally", "count"]

METHODS = ("approval", "plurality")

RESERVED_RULE_TEXT = N_(
    "Some seats are reserved: at least the stated number of seats must go to candidates of the "
    "named group. First the reserved seats go to the group's candidates with the most votes. Then "
    "the remaining seats go to the candidates with the most votes among all the others, including "
    "the group's candidates not yet elected. Group candidates can also win the remaining seats: the "
    "reserved number is a minimum, not a limit. A tie for a last seat is decided by lot."
)


@dataclass(frozen=True)
class Tally:
    """The outcome of an approval or plurality count (see the module docstring).

    ``valid``/``invalid``: the valid ballots and those set aside (total weight).  ``votes``: each
    candidate's votes (index = candidate number; 0 for a withdrawn one).  ``elected``: in order
    of election, ``reserved_elected`` the reserved seats' (the first ``reserved`` of ``elected``).
    ``notes``: in English, ``render(note)`` of each of ``note_parts`` (invalid ballots, then ties
    drawn by lot).  ``seed``: the lot's."""

    method: str  # "approval" | "plurality"
    candidates: tuple[str, ...]
    seats: int
    valid: int
    invalid: int
    votes: tuple[int, ...]
    elected: tuple[int, ...]
    reserved_elected: tuple[int, ...]
    withdrawn: frozenset[int]
    seed: str
    notes: tuple[str, ...]
    note_parts: tuple[Note, ...] = field(hash=False)
    group: frozenset[int] = frozenset()
    reserved: int = 0


def count(election: Election, *, method: str, seed: str | None = None, group: frozenset[int] = frozenset(),
          reserved: int = 0) -> Tally:
    """Count ``election``'s marks by approval or plurality at large (see the module docstring)."""
    if method not in METHODS:
        raise CountError(N_("unknown counting method %(method)r: approval or plurality"), method=method)
    if group or reserved:
        group = check_reserved(election, group, reserved)
        withdrawn = frozenset(election.withdrawn)
    else:
        group = frozenset()
        withdrawn = check_election(election)
    names = tuple(election.candidates)
    n = len(names)
    seats = election.seats

    faults = {"empty": 0, "unknown": 0, "repeated": 0, "over": 0, "withdrawn": 0}
    votes = [0] * n
    valid = 0
    for ballot in election.ballots:
        weight = ballot.weight
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise weight_error(weight)
        if weight == 0:
            continue
        marks = tuple(ballot.preferences)
        if not marks:
            faults["empty"] += weight
        elif any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < n for c in marks):
            faults["unknown"] += weight
        elif len(set(marks)) != len(marks):
            faults["repeated"] += weight
        elif method == "plurality" and len(marks) > seats:
            faults["over"] += weight
        elif all(c in withdrawn for c in marks):
            faults["withdrawn"] += weight
        else:
            valid += weight
            for c in marks:
                if c not in withdrawn:
                    votes[c] += weight
    if valid == 0:
        raise no_valid_ballot()
    notes = _fault_notes(faults)
    if seed is None:
        seed = secrets.token_hex(8)

    standing = [c for c in range(n) if c not in withdrawn]
    if reserved:
        in_group = [c for c in standing if c in group]
        reserved_elected = _select(names, in_group, reserved, votes, 1, seed, notes, reserved=True)
        others = [c for c in standing if c not in reserved_elected]
        general = _select(names, others, seats - reserved, votes, 2, seed, notes)
    else:
        reserved_elected = []
        general = _select(names, standing, seats, votes, 1, seed, notes)
    return Tally(method=method, candidates=names, seats=seats, valid=valid, invalid=sum(faults.values()),
                 votes=tuple(votes), elected=tuple(reserved_elected + general),
                 reserved_elected=tuple(reserved_elected), withdrawn=withdrawn, seed=seed,
                 notes=tuple(render(note) for note in notes), note_parts=tuple(notes), group=group,
                 reserved=reserved)


def _fault_notes(faults: dict[str, int]) -> list[Note]:
    """One note per kind of invalid ballot found, in the order of the checks."""
    notes: list[Note] = []
    one, many = faults["empty"] == 1, faults["empty"]
    if one:
        notes.append((N_("1 empty ballot (no mark)"), {}))
    elif many:
        notes.append((N_("%(n)d empty ballots (no mark)"), {"n": many}))
    one, many = faults["unknown"] == 1, faults["unknown"]
    if one:
        notes.append((N_("1 invalid ballot marking an unknown candidate"), {}))
    elif many:
        notes.append((N_("%(n)d invalid ballots marking an unknown candidate"), {"n": many}))
    one, many = faults["repeated"] == 1, faults["repeated"]
    if one:
        notes.append((N_("1 invalid ballot marking a candidate more than once"), {}))
    elif many:
        notes.append((N_("%(n)d invalid ballots marking a candidate more than once"), {"n": many}))
    one, many = faults["over"] == 1, faults["over"]
    if one:
        notes.append((N_("1 over-voted ballot (more marks than seats)"), {}))
    elif many:
        notes.append((N_("%(n)d over-voted ballots (more marks than seats)"), {"n": many}))
    one, many = faults["withdrawn"] == 1, faults["withdrawn"]
    if one:
        notes.append((N_("1 ballot set aside: it marks only withdrawn candidates"), {}))
    elif many:
        notes.append((N_("%(n)d ballots set aside: they mark only withdrawn candidates"), {"n": many}))
    return notes


def _select(names: tuple[str, ...], pool: list[int], places: int, votes: list[int], round_: int, seed: str,
            notes: list[Note], *, reserved: bool = False) -> list[int]:
    """The ``places`` candidates of ``pool`` with the most votes, a tie for the last places drawn
    by lot (a note says so); by votes, highest first, candidate number on equal votes."""
    ranked = sorted(pool, key=lambda c: (-votes[c], c))
    if places >= len(ranked):
        return ranked
    edge = votes[ranked[places - 1]]
    sure = [c for c in ranked if votes[c] > edge]
    tied = [c for c in ranked if votes[c] == edge]
    need = places - len(sure)
    if need == len(tied):
        return sure + tied
    draw = sorted(tied)
    drawn: list[int] = []
    while len(drawn) < need:
        chosen = random.Random(f"{seed}:{round_}:{','.join(map(str, draw))}").choice(draw)
        drawn.append(chosen)
        draw.remove(chosen)
    params: dict = {"tied": tuple(names[c] for c in sorted(tied)), "votes": edge,
                    "chosen": tuple(names[c] for c in sorted(drawn)), "seed": seed}
    if need > 1:
        params["places"] = need
    if reserved and need == 1:
        template = N_("%(tied)s had equal votes (%(votes)d) for the last reserved seat: %(chosen)s chosen "
                      "by lot (seed %(seed)r)")
    elif reserved:
        template = N_("%(tied)s had equal votes (%(votes)d) for the last %(places)d reserved seats: "
                      "%(chosen)s chosen by lot (seed %(seed)r)")
    elif need == 1:
        template = N_("%(tied)s had equal votes (%(votes)d) for the last seat: %(chosen)s chosen by lot "
                      "(seed %(seed)r)")
    else:
        template = N_("%(tied)s had equal votes (%(votes)d) for the last %(places)d seats: %(chosen)s "
                      "chosen by lot (seed %(seed)r)")
    notes.append((template, params))
    return sorted(sure + drawn, key=lambda c: (-votes[c], c))

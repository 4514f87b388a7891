"""Reserved seats: "at least K of the seats for group G" (for example women), counted as UK unions
and parties commonly do it, in two counts from the same ballots:

1. **The reserved count**: K seats among the group's candidates only.  Every other candidate is
   struck off every ballot, as if withdrawn, so each ballot counts for its highest-ranked group
   candidate; a ballot that ranks no group candidate takes no part in this count (the count
   sets it aside, and its quota is worked out on the ballots that do take part).
2. **The general count**: the remaining seats among all the other candidates, the group's
   candidates not yet elected included, with those elected in the reserved count struck off
   every ballot, as if withdrawn, so every ballot passes to its next preference.

Both counts use the same method (``method_count``: :func:`motions.counting.scottish.count` or
Meek's) and the same lot seed, so the pair is reproduced from one seed.  K is a minimum: group
candidates can win general seats too.  Candidates withdrawn from the election stay withdrawn in
both counts.

Refused with :class:`~motions.counting.stv.CountError` (:func:`check_reserved`, before any
count): a group naming no candidate or an unknown one; K below 1, or not fewer than the seats
(with every seat reserved there is no general count: count the group alone); fewer group
candidates standing than K; what every count refuses (no seat, an unknown withdrawn candidate,
more seats than candidates standing); and then what either count refuses (for example a
reserved count in which no ballot ranks a group candidate), its message prefixed with "the
reserved count:" or "the general count:" (a note whose ``reason`` is the count's own note).

:data:`RULE_TEXT`, the rule in plain words for the voters and the result sheet, is marked for
translation (``gettext(RULE_TEXT)`` gives it in another language).

Pure: standard library only.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace

from motions.counting.stv import N_, CountError, Election, Result, check_election

__all__ = ["RULE_TEXT", "check_reserved", "count_reserved"]

RULE_TEXT = N_(
    "Some seats are reserved: at least the stated number of seats must go to candidates of the "
    "named group. The ballots are counted twice. First the reserved seats are filled from the "
    "group's candidates alone: every other candidate is treated as withdrawn, so each ballot counts "
    "for the group candidate it ranks highest, and ballots that rank no group candidate take no part "
    "in this first count. Then the remaining seats are filled by a second count of all the ballots "
    "among all the other candidates, including the group's candidates not yet elected, with the "
    "candidates elected in the first count treated as withdrawn, so those ballots pass to their next "
    "preference. Group candidates can also win seats in the second count: the reserved number is a "
    "minimum, not a limit. Both counts use the election's counting method and the same seed for any "
    "drawing of lots."
)


def check_reserved(election: Election, group: frozenset[int], reserved: int) -> frozenset[int]:
    """The refusals of reserved seats that cannot be filled (see the module docstring), made
    before any count; returns the group as a frozenset.  Used by the approval and plurality counts
    (:mod:`motions.counting.plurality`) too."""
    n = len(election.candidates)
    group = frozenset(group)
    if not group:
        raise CountError(N_("the reserved-seat group names no candidate"))
    for c in group:
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < n:
            raise CountError(N_("the reserved-seat group names %(candidate)r, which is not one of the "
                                "%(n)d candidates"), candidate=c, n=n)
    if isinstance(reserved, bool) or not isinstance(reserved, int) or reserved < 1:
        raise CountError(N_("the number of reserved seats must be at least 1, not %(reserved)r"),
                         reserved=reserved)
    seats = election.seats
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise CountError(N_("an election needs at least one seat to fill (seats: %(seats)r)"), seats=seats)
    if reserved >= seats:
        raise CountError(N_("%(reserved)d reserved of %(seats)d seats: reserved seats must be fewer than "
                            "the seats (with every seat reserved, count the group's candidates alone)"),
                         reserved=reserved, seats=seats)
    standing_in_group = len(group - frozenset(election.withdrawn))
    if standing_in_group < reserved:
        if reserved == 1:  # and none standing
            raise CountError(N_("1 seat is reserved for the group but none of its candidates is standing"))
        if standing_in_group == 1:
            raise CountError(N_("%(reserved)d seats are reserved for the group but only 1 of its candidates "
                                "is standing"), reserved=reserved)
        raise CountError(N_("%(reserved)d seats are reserved for the group but only %(standing)d of its "
                            "candidates are standing"), reserved=reserved, standing=standing_in_group)
    check_election(election)
    return group


def count_reserved(election: Election, group: frozenset[int], reserved: int,
                   method_count: Callable[..., Result], seed: str | None = None) -> tuple[Result, Result]:
    """The reserved count, then the general count (see the module docstring); returns both
    results, in that order.  ``method_count(election, seed=...)`` counts one election."""
    group = check_reserved(election, group, reserved)
    n = len(election.candidates)
    withdrawn = frozenset(election.withdrawn)
    others = frozenset(range(n)) - group
    general_seats = election.seats - reserved
    if seed is None:
        seed = secrets.token_hex(8)

    title = election.title or "Election"
    try:
        first = method_count(replace(election, seats=reserved, withdrawn=withdrawn | others,
                                     title=f"{title}: reserved seats"), seed=seed)
    except CountError as error:
        raise CountError(N_("the reserved count: %(reason)s"), reason=error.note) from error
    taken = frozenset(first.elected)
    try:
        second = method_count(replace(election, seats=general_seats, withdrawn=withdrawn | taken,
                                      title=f"{title}: general seats"), seed=seed)
    except CountError as error:
        raise CountError(N_("the general count: %(reason)s"), reason=error.note) from error
    return first, second

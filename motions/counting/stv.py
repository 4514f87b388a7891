"""What every single-transferable-vote count takes and gives: the shared model of the counting
methods (:mod:`motions.counting.scottish`, :mod:`motions.counting.meek`).

Candidates are numbered ``0 .. n-1`` in the order of ``Election.candidates`` (the order of the
ballot paper and of the BLT file).  A ballot is a tuple of candidate numbers, most preferred
first, with a whole-number ``weight`` (how many identical papers it stands for: a BLT line's
count).  An empty ballot, or one that names a candidate twice or an unknown one, is invalid:
:func:`validate` sorts them out before a count, and the result reports how many were set aside.

Votes are exact: :class:`decimal.Decimal` values with the method's fixed number of decimal places
(Scottish STV: 5, truncated), never floats.  At every stage of every count

    sum(stage.votes) + stage.non_transferable + stage.loss == result.valid

holds exactly (:func:`check_invariant`).

Pure: standard library only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Sequence

__all__ = ["Ballot", "Election", "Stage", "Result", "CountError", "validate", "check_invariant"]


class CountError(ValueError):
    """A count that cannot be made as asked (more seats than candidates, no valid ballot ...),
    with a message a returning officer can act on."""


@dataclass(frozen=True)
class Ballot:
    preferences: tuple[int, ...]
    weight: int = 1


@dataclass(frozen=True)
class Election:
    candidates: tuple[str, ...]
    seats: int
    ballots: tuple[Ballot, ...]
    withdrawn: frozenset[int] = frozenset()  # candidates withdrawn before the count (BLT's -n line)
    title: str = ""


@dataclass(frozen=True)
class Stage:
    """One stage of a count, as the returning officer's table shows it.

    ``action``: "first" (first preferences), "surplus" (a surplus transferred), "exclusion" (an
    excluded candidate's papers transferred), "last" (the continuing candidates fill the remaining
    seats without a transfer; the Scottish count never makes such a stage: under its rule 52 they
    are deemed elected at the end of the stage where the condition arises), or "iteration" (Meek:
    the keep values settled once more).
    ``subject``: the candidate whose surplus or papers are transferred (None otherwise).
    ``votes``: each candidate's votes at the end of the stage (index = candidate number).
    ``transfers``: what the stage moved to each candidate (``votes`` minus the previous stage's;
    the first stage's are its votes); ``non_transferable`` and ``loss`` are running totals at
    the end of the stage, ``non_transferable_change``/``loss_change`` what this stage added.
    ``elected``/``excluded``: decided at this stage, in that order.  ``note``: how a tie was
    broken, if one was (the lot's seed is in ``Result.seed``).
    """

    number: int
    action: str
    subject: int | None
    votes: tuple[Decimal, ...]
    transfers: tuple[Decimal, ...]
    non_transferable: Decimal
    non_transferable_change: Decimal
    loss: Decimal
    loss_change: Decimal
    elected: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()
    note: str = ""
    keep: tuple[Decimal, ...] = ()  # Meek only: each candidate's keep value after the stage


@dataclass(frozen=True)
class Result:
    method: str  # "scottish" | "meek"
    candidates: tuple[str, ...]
    seats: int
    valid: Decimal  # the valid ballots (their total weight)
    invalid: int  # ballots set aside as invalid (total weight)
    quota: Decimal  # Scottish: fixed; Meek: the final quota
    stages: tuple[Stage, ...]
    elected: tuple[int, ...]  # in the order they were elected
    seed: str = ""  # the lot's seed (reproduces every tie broken by lot)
    withdrawn: frozenset[int] = frozenset()
    notes: tuple[str, ...] = field(default_factory=tuple)


def validate(candidates: Sequence[str], ballots: Sequence[Ballot]) -> tuple[list[Ballot], int, list[str]]:
    """Split ballots into the valid ones and the total weight of the invalid ones, with a reason
    for each kind of invalid ballot found (empty, a candidate named twice, an unknown candidate).

    A ballot is invalid when it names no candidate (empty), names a number that is not a
    candidate (unknown: not an ``int`` in ``0 .. len(candidates) - 1``), or names a candidate
    twice (checked in that order: a ballot is set aside for its first fault).  A ballot of weight
    0 stands for no paper and is dropped; a weight that is not a whole number >= 0 is not a
    ballot at all and raises :class:`CountError`.  The reasons read, for example,
    ``"2 empty ballots (no preference)"``, one per kind found, in that order.
    """
    n = len(candidates)
    valid: list[Ballot] = []
    faults = {"empty": 0, "unknown": 0, "repeated": 0}
    for ballot in ballots:
        weight = ballot.weight
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise CountError(f"a ballot's weight must be a whole number of papers, not {weight!r}")
        if weight == 0:
            continue
        prefs = ballot.preferences
        if not prefs:
            faults["empty"] += weight
        elif any(isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < n for p in prefs):
            faults["unknown"] += weight
        elif len(set(prefs)) != len(prefs):
            faults["repeated"] += weight
        else:
            valid.append(ballot)
    words = {"empty": "(no preference)", "unknown": "naming an unknown candidate",
             "repeated": "naming a candidate more than once"}
    reasons = []
    for kind, total in faults.items():
        if total:
            adjective = "empty " if kind == "empty" else "invalid "
            reasons.append(f"{total} {adjective}ballot{'' if total == 1 else 's'} {words[kind]}")
    return valid, sum(faults.values()), reasons


def check_invariant(result: Result) -> None:
    """Raise AssertionError naming the stage where votes + non-transferable + loss != valid."""
    for stage in result.stages:
        total = sum(stage.votes, Decimal(0)) + stage.non_transferable + stage.loss
        if total != result.valid:
            raise AssertionError(f"stage {stage.number}: {total} != {result.valid} valid ballots")

"""What every single-transferable-vote count takes and gives: the shared model of the counting
methods (:mod:`motions.counting.scottish`, :mod:`motions.counting.meek`), and the translatable
sentences of the whole counting core.

Candidates are numbered ``0 .. n-1`` in the order of ``Election.candidates`` (the order of the
ballot paper and of the BLT file).  A ballot is a tuple of candidate numbers, most preferred
first, with a whole-number ``weight`` (how many identical papers it stands for: a BLT line's
count).  An empty ballot, or one that names a candidate twice or an unknown one, is invalid:
:func:`validate` sorts them out before a count, and the result reports how many were set aside.
:func:`prepare` makes the checks and the ballot grouping that both STV counts start with.

Votes are exact: :class:`decimal.Decimal` values with the method's fixed number of decimal places
(Scottish STV: 5, truncated), never floats.  At every stage of every count

    sum(stage.votes) + stage.non_transferable + stage.loss == result.valid

holds exactly (:func:`check_invariant`).

Sentences (notes and errors) are translatable.  Every sentence the core writes (a stage's note,
a result's notes, the reasons of :func:`validate`, a :class:`CountError`'s message) is made of
*notes*: a :data:`Note` is ``(template, params)``, an English template with ``%(name)s`` /
``%(n)d`` placeholders and the values to fill in.  Every template appears literally inside
:func:`N_` in the source, so the project's message extraction (``pybabel extract -k N_``) finds
it; :func:`render` translates a template with a gettext function and fills it in, and
:func:`render_parts` joins several (a stage's ``parts``) with the translated ``"; "``.  The
params are ``str`` (a name, a decimal figure written out as in the tables, a seed), ``int``
(counts, stage numbers), a tuple of names (joined with the translated ``", "`` and ``" and "``:
"A, B and C") or, in an error only, another note (``"the reserved count: %(reason)s"``; also as
the list ``[template, params]`` that JSON gives back: :mod:`motions.counting.stored`).  No
ngettext: a sentence about "1 ballot" and one about "%(n)d ballots" are two templates, the core
chooses.  ``Stage.note`` and ``Result.notes`` hold the English rendering (``render_parts(parts)``,
``render(note)``), alongside the notes themselves in ``Stage.parts`` and ``Result.note_parts``.

Pure: standard library only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Sequence

__all__ = ["Ballot", "Election", "Stage", "Result", "CountError", "Note", "N_", "is_note", "render",
           "render_parts", "validate", "validate_notes", "check_election", "weight_error", "seats_error",
           "only_withdrawn_note", "no_valid_ballot", "Prepared", "prepare", "check_invariant"]

Note = tuple[str, dict]  # (an English template with %(name)s placeholders, its parameters)


def N_(message: str) -> str:
    """Marks a template for translation (``pybabel extract -k N_``) without translating it."""
    return message


def is_note(value) -> bool:
    """Whether a param's value is a note of its own (``(str, dict)``, or ``[str, dict]`` as JSON
    gives it back), not names: a list of names holds no dict."""
    return (isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], dict))


def _identity(message: str) -> str:
    return message


def _value(value, gettext: Callable[[str], str]):
    """A parameter as it is filled in: names joined, a nested note rendered, a Decimal in full."""
    if is_note(value):
        return render((value[0], value[1]), gettext)
    if isinstance(value, (list, tuple)):
        names = [str(v) for v in value]
        if len(names) <= 1:
            return "".join(names)
        return gettext(N_(", ")).join(names[:-1]) + gettext(N_(" and ")) + names[-1]
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def render(note: Note, gettext: Callable[[str], str] | None = None) -> str:
    """The sentence of ``note``: its template passed through ``gettext`` (the identity when None:
    English) and filled in with its params (see the module docstring).  A template without
    params is not %-formatted (as gettext does it)."""
    g = gettext or _identity
    template, params = note
    text = g(template)
    if not params:
        return text
    return text % {key: _value(value, g) for key, value in params.items()}


def render_parts(parts: Sequence[Note], gettext: Callable[[str], str] | None = None) -> str:
    """Several notes as one text (a stage's note): each rendered, joined by the translated "; "."""
    g = gettext or _identity
    return g(N_("; ")).join(render(part, g) for part in parts) if parts else ""


class CountError(ValueError):
    """A count that cannot be made as asked (more seats than candidates, no valid ballot ...),
    with a message a returning officer can act on: ``CountError(template, **params)``, the
    template marked with :func:`N_`; ``str(error)`` is the English sentence, ``error.note``
    (``(error.template, error.params)``) renders it in another language."""

    def __init__(self, template: str, **params) -> None:
        self.template = template
        self.params = params
        super().__init__(render((template, params)))

    @property
    def note(self) -> Note:
        return (self.template, self.params)

    def __reduce__(self):
        return (_count_error, (self.template, self.params))


def _count_error(template: str, params: dict) -> CountError:
    return CountError(template, **params)


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
    broken, if one was (the lot's seed is in ``Result.seed``), in English: ``render_parts(parts)``,
    where ``parts`` are its sentences as notes (see the module docstring).
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
    parts: tuple[Note, ...] = field(default=(), hash=False)  # the note's sentences


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
    notes: tuple[str, ...] = field(default_factory=tuple)  # in English: render(note) of each note_parts
    note_parts: tuple[Note, ...] = field(default=(), hash=False)


def weight_error(weight) -> CountError:
    """The refusal of a ballot whose weight is not a whole number of papers (>= 0)."""
    return CountError(N_("a ballot's weight must be a whole number of papers, not %(weight)r"), weight=weight)


def validate_notes(candidates: Sequence[str],
                   ballots: Sequence[Ballot]) -> tuple[list[Ballot], int, list[Note]]:
    """:func:`validate`, with the reasons as notes."""
    n = len(candidates)
    valid: list[Ballot] = []
    faults = {"empty": 0, "unknown": 0, "repeated": 0}
    for ballot in ballots:
        weight = ballot.weight
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise weight_error(weight)
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
    reasons: list[Note] = []
    if faults["empty"] == 1:
        reasons.append((N_("1 empty ballot (no preference)"), {}))
    elif faults["empty"]:
        reasons.append((N_("%(n)d empty ballots (no preference)"), {"n": faults["empty"]}))
    if faults["unknown"] == 1:
        reasons.append((N_("1 invalid ballot naming an unknown candidate"), {}))
    elif faults["unknown"]:
        reasons.append((N_("%(n)d invalid ballots naming an unknown candidate"), {"n": faults["unknown"]}))
    if faults["repeated"] == 1:
        reasons.append((N_("1 invalid ballot naming a candidate more than once"), {}))
    elif faults["repeated"]:
        reasons.append((N_("%(n)d invalid ballots naming a candidate more than once"),
                        {"n": faults["repeated"]}))
    return valid, sum(faults.values()), reasons


def validate(candidates: Sequence[str], ballots: Sequence[Ballot]) -> tuple[list[Ballot], int, list[str]]:
    """Split ballots into the valid ones and the total weight of the invalid ones, with a reason
    for each kind of invalid ballot found (empty, a candidate named twice, an unknown candidate).

    A ballot is invalid when it names no candidate (empty), names a number that is not a
    candidate (unknown: not an ``int`` in ``0 .. len(candidates) - 1``), or names a candidate
    twice (checked in that order: a ballot is set aside for its first fault).  A ballot of weight
    0 stands for no paper and is dropped; a weight that is not a whole number >= 0 is not a
    ballot at all and raises :class:`CountError`.  The reasons read, for example,
    ``"2 empty ballots (no preference)"``, one per kind found, in that order, in English
    (:func:`validate_notes` gives them as notes).
    """
    valid, invalid, reasons = validate_notes(candidates, ballots)
    return valid, invalid, [render(reason) for reason in reasons]


def seats_error(seats: int, standing: int) -> CountError:
    """The refusal of more seats than candidates standing."""
    if seats == 1:
        return CountError(N_("1 seat to fill but only %(standing)d candidates standing: "
                             "more seats than candidates"), standing=standing)
    if standing == 1:
        return CountError(N_("%(seats)d seats to fill but only 1 candidate standing: "
                             "more seats than candidates"), seats=seats)
    return CountError(N_("%(seats)d seats to fill but only %(standing)d candidates standing: "
                         "more seats than candidates"), seats=seats, standing=standing)


def check_election(election: Election) -> frozenset[int]:
    """The checks every count makes first; returns the withdrawn candidates.  Raises
    :class:`CountError`: no seat, a withdrawn number that is not a candidate, more seats than
    candidates standing (not withdrawn)."""
    n = len(election.candidates)
    seats = election.seats
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise CountError(N_("an election needs at least one seat to fill (seats: %(seats)r)"), seats=seats)
    withdrawn = frozenset(election.withdrawn)
    for c in withdrawn:
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < n:
            raise CountError(N_("withdrawn candidate %(candidate)r is not one of the %(n)d candidates"),
                             candidate=c, n=n)
    standing = n - len(withdrawn)
    if seats > standing:
        raise seats_error(seats, standing)
    return withdrawn


def only_withdrawn_note(weight: int) -> Note:
    """The note on ballots set aside because they name only withdrawn candidates."""
    if weight == 1:
        return (N_("1 ballot set aside: it names only withdrawn candidates"), {})
    return (N_("%(n)d ballots set aside: they name only withdrawn candidates"), {"n": weight})


def no_valid_ballot() -> CountError:
    return CountError(N_("no valid ballot: there is nothing to count"))


@dataclass(frozen=True)
class Prepared:
    """An election ready for an STV count: ``groups`` maps each ranking (withdrawn candidates
    struck off) to its number of papers; ``invalid`` and ``notes`` cover every ballot set aside."""

    names: tuple[str, ...]
    seats: int
    withdrawn: frozenset[int]
    groups: dict[tuple[int, ...], int]
    valid: int
    invalid: int
    notes: tuple[Note, ...]


def prepare(election: Election) -> Prepared:
    """:func:`check_election`, :func:`validate_notes`, withdrawn candidates struck off every ballot
    (one naming only withdrawn candidates set aside too), identical rankings grouped.  Raises
    :class:`CountError` as those do, and when no valid ballot is left."""
    withdrawn = check_election(election)
    names = tuple(election.candidates)
    valid_ballots, invalid, notes = validate_notes(names, election.ballots)
    groups: dict[tuple[int, ...], int] = {}
    only_withdrawn = 0
    for ballot in valid_ballots:
        prefs = ballot.preferences
        if withdrawn:
            prefs = tuple(p for p in prefs if p not in withdrawn)
            if not prefs:
                only_withdrawn += ballot.weight
                continue
        groups[prefs] = groups.get(prefs, 0) + ballot.weight
    if only_withdrawn:
        invalid += only_withdrawn
        notes.append(only_withdrawn_note(only_withdrawn))
    valid = sum(groups.values())
    if valid == 0:
        raise no_valid_ballot()
    return Prepared(names, election.seats, withdrawn, groups, valid, invalid, tuple(notes))


def check_invariant(result: Result) -> None:
    """Raise AssertionError naming the stage where votes + non-transferable + loss != valid."""
    for stage in result.stages:
        total = sum(stage.votes, Decimal(0)) + stage.non_transferable + stage.loss
        if total != result.valid:
            raise AssertionError(f"stage {stage.number}: {total} != {result.valid} valid ballots")

"""Scottish STV: the count of the Scottish Local Government Elections Order 2007 (SSI 2007/42),
schedule 1, rules 45-52, exactly as written.

Every rule, and how it is done here (rule numbers are the 2007 Order's.  The 2011 Order, SSI
2011/399, under which the 2012, 2017 and 2022 council elections were counted, carries the same
counting rules one number later: its rule 53 fills the last vacancies, as rule 52 does here,
according to the explanatory note of SSI 2021/437, which amended it):

45  First stage.  Each valid ballot is credited, at a value of one, to the candidate of its first
    preference.
46  Quota = the valid ballots divided by (seats + 1), decimals ignored, plus one:
    ``valid // (seats + 1) + 1``.
47  A candidate whose votes equal or exceed the quota at any stage is deemed elected.  Those
    reaching it at the same stage are listed by votes, highest first (candidate number on equal
    votes: the order within a stage decides nothing, rule 49 orders the surpluses).
48  Surplus transfer (weighted inclusive Gregory).  *All* the papers the elected candidate holds
    are sorted by their next available preference (the next preference for a *continuing*
    candidate: neither deemed elected nor excluded).  Each paper passes at the transfer value
    ``surplus x (the paper's value when the candidate received it) / (the candidate's votes)``,
    "calculated to five decimal places (any remainder being ignored)": truncated, never rounded.
    A paper with no next available preference is non-transferable.  Afterwards the candidate
    keeps exactly the quota.  The figures of a surplus stage:
    ``transferred + non-transferable + loss = surplus``, where the non-transferable papers are
    counted at the transfer value they would have had, and the *loss from truncation* is the
    rest: what the ignored remainders add up to.
49  Largest surplus first: when several deemed-elected candidates have surpluses not yet
    transferred, the largest goes first (one surplus per stage; the others wait, and a surplus
    that arises later competes with them on size).  Equal surpluses: the candidate who had the
    most votes "at the end of the most recent preceding stage at which they had unequal numbers
    of votes" goes first; equal at every stage: by lot.
50  When no surplus is left to transfer and vacancies remain, the continuing candidate with the
    fewest votes is excluded, one candidate per stage, and *all* their papers pass in that one
    stage, each at the value it had when the excluded candidate received it (one for their
    first preferences).  No truncation happens, so an exclusion adds nothing to the loss.
51  Equal lowest: the one with the fewest votes at the end of the most recent preceding stage at
    which they had unequal numbers of votes is excluded; equal at every stage: by lot.
52  When the continuing candidates are as many as the vacancies left, they are all deemed
    elected and no further transfer is made (also over a surplus still waiting).  This is no
    stage of its own: the Order's stages are only first preferences, surplus transfers and
    exclusions (article 2, "stage of the count"), so they are deemed elected at the end of the
    stage after which the condition holds, listed after any elected on the quota at that stage,
    and the stage's note says so.  (The shared model also knows an action ``"last"``, a stage
    with no transfer; the Scottish count never makes one, so that its stage numbers are the
    official ones: the 2017 Portobello/Craigmillar count has six stages, its last councillor
    elected at the sixth.)

Ties (rules 49(2) and 51(2)).  The issue asked for "the most recent stage at which the
candidates differed, then by lot": that is what the Order says for both kinds of tie (not the
earliest stage, as some other STV rules have it).  The Order does not say what to do when three
or more are tied and, at the most recent stage where they differ, two of them are still equal
at the top (surplus) or bottom (exclusion).  Here the look-back narrows: the candidates not at
that extreme are out of the tie, and the look-back goes on, further into the past, among those
still tied (so a candidate who was ahead more recently is never excluded because of an older
stage).  Droop (J. Lundell's implementation) instead restarts with the whole group at each
older stage; the two differ only in that three-way case.

The lot is a deterministic draw from a seed: ``random.Random(f"{seed}:{stage}:{tied}")`` chooses
among the tied candidates in candidate-number order (``stage`` is the number of the stage about
to be made; ``tied`` the comma-separated candidate numbers).  With ``seed=None`` a fresh one is
generated (``secrets.token_hex(8)``); it is always recorded in ``Result.seed``, and counting again
with that seed reproduces the result exactly.  A stage where a tie was broken says how in
``Stage.note`` (and ``Stage.parts``, its sentences as translatable notes: the tie and the first
look-back; "of those, ..." for each further look-back, every one with its rule; who had equal
votes at every stage; who was chosen by lot, with the rule, the seed and the stage).

Ballots.  :func:`motions.counting.stv.prepare` sets aside empty ballots and those naming a
candidate twice or an unknown one; withdrawn candidates are struck off every ballot before the
count (as if never on the paper), and a ballot naming only withdrawn candidates is set aside
too.  ``Result.invalid`` counts all of them; ``Result.notes`` (``Result.note_parts``) says why.

Arithmetic.  Integers scaled by 10**5 throughout (one vote = 100000), so that every figure is
exact; the result has :class:`decimal.Decimal` values with five decimal places.  Identical
ballots are grouped, and papers move in parcels: (ballot, position of the preference, value,
number of papers).

Pure: standard library only.
"""
from __future__ import annotations

import random
import secrets
from decimal import Decimal

from motions.counting.stv import N_, Election, Note, Result, Stage, prepare, render, render_parts

__all__ = ["SCALE", "count"]

SCALE = 100_000  # one vote; transfer values have five decimal places (rule 48(3))

_HOPEFUL, _ELECTED, _EXCLUDED, _WITHDRAWN = 0, 1, 2, 3


def _dec(value: int) -> Decimal:
    """A scaled integer as a Decimal with exactly five decimal places."""
    return Decimal(value).scaleb(-5)


def count(election: Election, *, seed: str | None = None) -> Result:
    """Count ``election`` under SSI 2007/42, schedule 1, rules 45-52 (see the module docstring).

    Raises :class:`~motions.counting.stv.CountError` when the count cannot be made: no seat, more
    seats than the candidates standing (not withdrawn), a withdrawn number that is not a
    candidate, no valid ballot.
    """
    ready = prepare(election)
    seats, valid = ready.seats, ready.valid
    quota = valid // (seats + 1) + 1  # rule 46
    if seed is None:
        seed = secrets.token_hex(8)
    stages, elected = _Count(ready.names, seats, ready.withdrawn, ready.groups, quota, seed).run()
    return Result(method="scottish", candidates=ready.names, seats=seats, valid=Decimal(valid),
                  invalid=ready.invalid, quota=Decimal(quota), stages=tuple(stages), elected=tuple(elected),
                  seed=seed, withdrawn=ready.withdrawn, notes=tuple(render(note) for note in ready.notes),
                  note_parts=ready.notes)


class _Count:
    """The state of one count: parcels of papers per candidate, votes (scaled), the stages."""

    def __init__(self, names: tuple[str, ...], seats: int, withdrawn: frozenset[int],
                 groups: dict[tuple[int, ...], int], quota: int, seed: str) -> None:
        self.names = names
        self.n = len(names)
        self.vacancies = seats
        self.quota = quota * SCALE
        self.seed = seed
        self.state = [_WITHDRAWN if c in withdrawn else _HOPEFUL for c in range(self.n)]
        self.prefs: list[tuple[int, ...]] = list(groups)
        self.papers = list(groups.values())
        # parcels[c]: (ballot group, index of the preference for c, value, number of papers)
        self.parcels: list[list[tuple[int, int, int, int]]] = [[] for _ in range(self.n)]
        self.votes = [0] * self.n
        self.non_transferable = 0
        self.loss = 0
        self.history: list[list[int]] = []  # votes at the end of each stage
        self.stages: list[Stage] = []
        self.elected: list[int] = []
        self.pending: list[int] = []  # deemed elected, surplus not yet transferred

    # -- the count -------------------------------------------------------------------------

    def run(self) -> tuple[list[Stage], list[int]]:
        # rule 45: first preferences, one vote per paper
        for b, prefs in enumerate(self.prefs):
            c, k = prefs[0], self.papers[b]
            self.parcels[c].append((b, 0, SCALE, k))
            self.votes[c] += k * SCALE
        self._end_stage("first", None, 0, 0, (), [])
        while self.vacancies > 0:
            if self.pending:  # rules 48 and 49
                self._transfer_surplus()
            else:  # rules 50 and 51
                self._exclude()
        return self.stages, self.elected

    def _end_stage(self, action: str, subject: int | None, nt_change: int, loss_change: int,
                   excluded: tuple[int, ...], parts: list[Note]) -> None:
        """Rule 47, then rule 52, at the end of a stage; then record the stage."""
        elected = self._deem_elected()
        continuing = [c for c in range(self.n) if self.state[c] == _HOPEFUL]
        if self.vacancies and len(continuing) == self.vacancies:
            # rule 52: deemed elected at the end of this stage, no further transfer
            last = sorted(continuing, key=lambda c: (-self.votes[c], c))
            for c in last:
                self.state[c] = _ELECTED
                self.elected.append(c)
            self.vacancies = 0
            self.pending.clear()
            elected += tuple(last)
            parts = parts + [(N_("%(names)s deemed elected: as many continuing candidates as vacancies left, "
                                 "no further transfer (rule 52)"), {"names": self._names(last)})]
        self._record(action, subject, nt_change, loss_change, elected, excluded, parts)

    def _deem_elected(self) -> tuple[int, ...]:
        """Rule 47: every continuing candidate at or over the quota is deemed elected."""
        reached = [c for c in range(self.n) if self.state[c] == _HOPEFUL and self.votes[c] >= self.quota]
        reached.sort(key=lambda c: (-self.votes[c], c))
        # never more than the vacancies: (seats + 1) quotas exceed the valid votes
        for c in reached:
            self.state[c] = _ELECTED
            self.elected.append(c)
            self.vacancies -= 1
            if self.votes[c] > self.quota:
                self.pending.append(c)
        return tuple(reached)

    def _transfer_surplus(self) -> None:
        """Rules 48 and 49: the largest surplus waiting, all its papers at truncated values."""
        top = max(self.votes[c] for c in self.pending)
        tied = [c for c in self.pending if self.votes[c] == top]
        parts: list[Note] = []
        if len(tied) > 1:
            subject, parts = self._break_tie(tied, highest=True)
        else:
            subject = tied[0]
        self.pending.remove(subject)
        total = self.votes[subject]
        surplus = total - self.quota
        cache: dict[int, int] = {}

        def transfer_value(value: int) -> int:  # rule 48(3): A / B, five places, remainder ignored
            tv = cache.get(value)
            if tv is None:
                tv = cache[value] = surplus * value // total
            return tv

        moved, nt = self._move(subject, transfer_value)
        self.votes[subject] = self.quota
        loss = surplus - moved - nt
        self.non_transferable += nt
        self.loss += loss
        self._end_stage("surplus", subject, nt, loss, (), parts)

    def _exclude(self) -> None:
        """Rules 50 and 51: the lowest continuing candidate; all papers at their values."""
        continuing = [c for c in range(self.n) if self.state[c] == _HOPEFUL]
        low = min(self.votes[c] for c in continuing)
        tied = [c for c in continuing if self.votes[c] == low]
        parts: list[Note] = []
        if len(tied) > 1:
            subject, parts = self._break_tie(tied, highest=False)
        else:
            subject = tied[0]
        self.state[subject] = _EXCLUDED
        _, nt = self._move(subject, lambda value: value)
        self.votes[subject] = 0
        self.non_transferable += nt
        self._end_stage("exclusion", subject, nt, 0, (subject,), parts)

    def _move(self, source: int, value_of) -> tuple[int, int]:
        """Pass every paper of ``source`` to its next available preference (a continuing
        candidate) at ``value_of(its value)``; return (votes moved, non-transferable votes)."""
        state, prefs, parcels, votes = self.state, self.prefs, self.parcels, self.votes
        moved = nt = 0
        for b, pos, value, k in parcels[source]:
            new = value_of(value)
            ranking = prefs[b]
            for i in range(pos + 1, len(ranking)):
                to = ranking[i]
                if state[to] == _HOPEFUL:
                    parcels[to].append((b, i, new, k))
                    votes[to] += k * new
                    moved += k * new
                    break
            else:
                nt += k * new
        parcels[source] = []
        return moved, nt

    # -- ties --------------------------------------------------------------------------------

    def _names(self, candidates) -> tuple[str, ...]:
        return tuple(self.names[c] for c in candidates)

    def _break_tie(self, tied: list[int], *, highest: bool) -> tuple[int, list[Note]]:
        """Rules 49(2)-(3) and 51(2): look back for the most recent stage at which the tied
        candidates had unequal votes; keep those at the top (surplus) or bottom (exclusion) and
        look further back among them; still equal at every stage: by lot.  Returns the candidate
        and the notes saying how: the first one names the tie, each look-back step says who had
        the most (fewest) votes at which stage, and a lot says who was chosen among whom."""
        pool = sorted(tied)
        parts: list[Note] = []
        for index in range(len(self.history) - 1, -1, -1):
            row = self.history[index]
            values = {row[c] for c in pool}
            if len(values) > 1:
                target = max(values) if highest else min(values)
                pool = [c for c in pool if row[c] == target]
                params = {"names": self._names(pool), "stage": index + 1}
                if not parts:
                    params["tied"] = self._names(sorted(tied))
                if highest and not parts:
                    template = N_("tie for surplus between %(tied)s: %(names)s had the most votes at the "
                                  "end of stage %(stage)d, the most recent stage at which they differed "
                                  "(rule 49(2))")
                elif highest:
                    template = N_("of those, %(names)s had the most votes at the end of stage %(stage)d, "
                                  "the most recent stage at which they differed (rule 49(2))")
                elif not parts:
                    template = N_("tie for exclusion between %(tied)s: %(names)s had the fewest votes at "
                                  "the end of stage %(stage)d, the most recent stage at which they differed "
                                  "(rule 51(2)(a))")
                else:
                    template = N_("of those, %(names)s had the fewest votes at the end of stage %(stage)d, "
                                  "the most recent stage at which they differed (rule 51(2)(a))")
                parts.append((template, params))
                if len(pool) == 1:
                    break
        if len(pool) == 1:
            return pool[0], parts
        stage_number = len(self.stages) + 1
        chosen = random.Random(f"{self.seed}:{stage_number}:{','.join(map(str, pool))}").choice(pool)
        equal = {"names": self._names(pool)}
        if parts:
            parts.append((N_("%(names)s had equal votes at every stage"), equal))
        elif highest:
            parts.append((N_("tie for surplus between %(tied)s: %(names)s had equal votes at every stage"),
                          {"tied": self._names(sorted(tied)), **equal}))
        else:
            parts.append((N_("tie for exclusion between %(tied)s: %(names)s had equal votes at every stage"),
                          {"tied": self._names(sorted(tied)), **equal}))
        lot = {"chosen": self.names[chosen], "seed": self.seed, "stage": stage_number}
        if highest:
            parts.append((N_("%(chosen)s chosen by lot (rule 49(3); seed %(seed)r, stage %(stage)d)"), lot))
        else:
            parts.append((N_("%(chosen)s chosen by lot (rule 51(2)(b); seed %(seed)r, stage %(stage)d)"),
                          lot))
        return chosen, parts

    # -- the record --------------------------------------------------------------------------

    def _record(self, action: str, subject: int | None, nt_change: int, loss_change: int,
                elected: tuple[int, ...], excluded: tuple[int, ...], parts: list[Note]) -> None:
        previous = self.history[-1] if self.history else [0] * self.n
        now = list(self.votes)
        self.history.append(now)
        self.stages.append(Stage(
            number=len(self.stages) + 1, action=action, subject=subject,
            votes=tuple(_dec(v) for v in now),
            transfers=tuple(_dec(v - p) for v, p in zip(now, previous)),
            non_transferable=_dec(self.non_transferable), non_transferable_change=_dec(nt_change),
            loss=_dec(self.loss), loss_change=_dec(loss_change),
            elected=elected, excluded=excluded, note=render_parts(parts), parts=tuple(parts)))


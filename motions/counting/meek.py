"""Meek STV: the count of Hill, Wichmann and Woodall, "Algorithm 123: Single transferable vote by
Meek's method", The Computer Journal 30(3), 1987, pp. 277-281, in exact fixed-point arithmetic.

The method.  Every candidate has a *keep value*: 1 while hopeful, 0 once excluded (or withdrawn),
and for an elected candidate the fraction of each vote reaching them that they keep.  Each paper
starts with a value of one and goes down its preferences: a candidate with keep value ``k`` takes
``value x k`` of it and passes ``value x (1 - k)`` to the next preference.  A hopeful candidate
therefore takes all that reaches them; an excluded one is passed over; an *elected* candidate is
not passed over (as in Gregory counts) but keeps only part and passes the rest on.  What reaches
the end of a paper is the *excess* (non-transferable).  The quota is the votes held by the
candidates divided by (seats + 1); an elected candidate's keep value is lowered, by
``k := k x quota / votes``, until every elected candidate holds about a quota.  After each
exclusion, and after each election, the keep values are found again from scratch over all papers.

The count (as the Algorithm 123 program does it).

* First stage ("first"): first preferences (all keep values 1).  A hopeful candidate with at least
  the quota is elected.
* After a stage that elected someone: an "iteration" stage.  The keep values are iterated until
  they settle (the surpluses of the elected have gone wherever the papers lead, also on to other
  elected candidates); every hopeful candidate then at or over the quota is elected.  Nobody may
  reach it: such a stage is the Meek counterpart of a Gregory surplus transfer.
* Otherwise an "exclusion" stage: the hopeful candidate with the fewest votes at the end of the
  previous stage is excluded (one candidate per stage, as in the program; see below), its keep
  value becomes 0, the keep values settle again and every hopeful candidate at or over the quota
  is elected.
* When the hopeful candidates are as many as the seats left, a "last" stage elects them all (no
  transfer: its votes are the previous stage's).
* Once every seat is filled the count stops.  Candidates elected at one stage are listed by
  votes, highest first (candidate number on equal votes).

Every stage's votes are therefore a *settled* state of the count, and the decision to exclude a
candidate can be checked against the previous stage's figures.  ``Stage.keep`` holds the keep
values that produced the stage's votes; the stage's ``note`` gives the quota at that stage (it
changes as papers exhaust), how the iteration ended, and any tie broken (``parts``: the same
sentences as translatable notes, see :mod:`motions.counting.stv`; figures in them are written out
with their six places, a total surplus of nothing as 0.000000).

Arithmetic.  Algorithm 123's published Pascal program computes in ``real`` (floating point),
with the quota (total - excess) / (seats + 1) and an iteration that stops when every elected
candidate's votes are within 0.001% of the quota.  This count is exact instead: every figure is
an integer number of millionths (fixed point to 6 decimal places), with these rules:

* a candidate's share of a paper, ``value x k``, is rounded *down* to 6 places, and so is the
  value passed on, ``value x (1 - k)``: the two can fall short of the paper's value by 0.000001
  per paper and per elected candidate passed, and that shortfall is the *rounding loss*;
* quota = (the votes held by candidates) / (seats + 1), rounded down to 6 places, plus 0.000001
  (so that no more than ``seats`` candidates can reach it); the votes held are the valid ballots
  less the excess and the rounding loss (without rounding: the program's total - excess);
* keep values are rounded *up* to 6 places (``ceil(k x quota / votes)``, never above 1), so that
  rounding errs on the side of an elected candidate keeping the quota;
* the iteration ends when the total surplus (over the elected candidates, their votes above the
  quota) is below 0.00001, or when it no longer falls from one iteration to the next (no further
  progress: six places cannot always get closer; with many papers a keep value's last place
  moves a candidate's votes by more than 0.00001).  It always ends: the surplus is a whole
  number of millionths that must fall at every iteration.

Each stage's figures satisfy ``sum(votes) + non_transferable + loss == valid`` exactly, where
``non_transferable`` is the excess (the value that ran off the end of papers, having reached no
hopeful candidate) and ``loss`` the rounding loss defined above.  Both are *states*, not running
totals: Meek recounts every paper at every iteration, so the excess and the loss of a stage are
those of its final distribution, and ``non_transferable_change``/``loss_change`` (the difference
from the previous stage) may be negative.

Exclusion one at a time.  Algorithm 123's program excludes exactly one candidate (the lowest)
each time no one can be elected, and so does this count; it does not exclude several "sure
losers" at once (as some later Meek rules do).  In exact arithmetic that would exclude the same
candidates, only in fewer stages (a hopeful candidate's votes do not fall when another is
excluded), and one stage per exclusion lets every exclusion be checked in the table.

Ties are broken by lot, as in Algorithm 123 (which draws from AS 183 seeded by the election's own
data).  Here: ``random.Random(f"{seed}:{stage}:{tied}").choice(tied)``, where ``tied`` are the tied
candidate numbers in ascending order (joined by commas) and ``stage`` the number of the stage
being made: the same draw as the Scottish count (:mod:`motions.counting.scottish`).  With
``seed=None`` a fresh seed is generated (``secrets.token_hex(8)``); it is always recorded in
``Result.seed`` and counting again with it reproduces the count exactly.  A lot is drawn for the
lowest candidate to exclude, and, should more hopeful candidates reach the quota at once than
there are seats left (a "multi-way tie" in the paper), for the last places among those with
equal votes (the others go by votes, highest first).

Ballots, as in the Scottish count: :func:`motions.counting.stv.prepare` sets aside empty ballots
and those naming a candidate twice or an unknown one; withdrawn candidates are struck off every
paper, and a paper naming only withdrawn candidates is set aside too.  ``Result.invalid`` counts
them all (by weight), ``Result.notes`` (``Result.note_parts``) says why.

Speed.  Identical ballots are grouped, and for each stage the papers are folded into a tree of
the sequences of *elected* candidates they pass through before reaching a hopeful candidate or
running out (excluded candidates are simply skipped, a hopeful one ends the path): one
distribution walks this tree once, computing each node's value per paper once for all the papers
through it, which is exactly the per-paper arithmetic above.

Pure: standard library only.
"""
from __future__ import annotations

import random
import secrets
from decimal import Decimal

from motions.counting.stv import N_, Election, Note, Result, Stage, prepare, render, render_parts

__all__ = ["SCALE", "TOLERANCE", "count"]

SCALE = 10**6  # one vote: figures have six decimal places
TOLERANCE = 10  # the iteration has converged when the total surplus is below 0.00001

_HOPEFUL, _ELECTED, _EXCLUDED, _WITHDRAWN = 0, 1, 2, 3


def _dec(value: int) -> Decimal:
    """A scaled integer as a Decimal with exactly six decimal places."""
    return Decimal(value).scaleb(-6)


def _text(value: int) -> str:
    """A scaled integer written out with six decimal places, as in the notes."""
    return format(_dec(value), "f")


def count(election: Election, *, seed: str | None = None) -> Result:
    """Count ``election`` by Meek's method (Algorithm 123; see the module docstring).

    Raises :class:`~motions.counting.stv.CountError` when the count cannot be made: no seat, more
    seats than the candidates standing (not withdrawn), a withdrawn number that is not a
    candidate, no valid ballot.
    """
    ready = prepare(election)
    if seed is None:
        seed = secrets.token_hex(8)
    counter = _Count(ready.names, ready.seats, ready.withdrawn, ready.groups, seed)
    counter.run()
    return Result(method="meek", candidates=ready.names, seats=ready.seats, valid=Decimal(ready.valid),
                  invalid=ready.invalid, quota=_dec(counter.quota), stages=tuple(counter.stages),
                  elected=tuple(counter.elected), seed=seed, withdrawn=ready.withdrawn,
                  notes=tuple(render(note) for note in ready.notes), note_parts=ready.notes)


class _Count:
    """The state of one count: candidates' states and keep values, the current distribution."""

    def __init__(self, names: tuple[str, ...], seats: int, withdrawn: frozenset[int],
                 groups: dict[tuple[int, ...], int], seed: str) -> None:
        self.names = names
        self.n = len(names)
        self.seats = seats
        self.vacancies = seats
        self.seed = seed
        self.groups = list(groups.items())
        self.state = [_WITHDRAWN if c in withdrawn else _HOPEFUL for c in range(self.n)]
        self.keep = [0 if c in withdrawn else SCALE for c in range(self.n)]
        self.elected: list[int] = []
        self.stages: list[Stage] = []
        # the current distribution (scaled integers)
        self.votes = [0] * self.n
        self.excess = 0
        self.loss = 0
        self.quota = 0
        self.keep_used = list(self.keep)  # the keep values of the current distribution
        self.history: list[tuple[list[int], int, int]] = []  # (votes, excess, loss) per stage

    # -- the count -------------------------------------------------------------------------

    def run(self) -> None:
        self._build()
        self._distribute()
        self._stage("first", None, [self._quota_note()])
        while self.vacancies > 0:
            hopeful = [c for c in range(self.n) if self.state[c] == _HOPEFUL]
            if len(hopeful) <= self.vacancies:
                self._last(hopeful)
            elif self.stages[-1].elected:
                how = self._settle()
                self._stage("iteration", None, [self._quota_note(), how])
            else:
                self._exclude(hopeful)

    def _quota_note(self) -> Note:
        return (N_("quota %(quota)s"), {"quota": _text(self.quota)})

    def _names(self, candidates) -> tuple[str, ...]:
        return tuple(self.names[c] for c in candidates)

    def _exclude(self, hopeful: list[int]) -> None:
        """The hopeful candidate with the fewest votes (at the end of the previous stage)."""
        low = min(self.votes[c] for c in hopeful)
        tied = [c for c in hopeful if self.votes[c] == low]
        lot: list[Note] = []
        if len(tied) > 1:
            subject = self._lot(tied, 1)[0]
            lot.append((N_("%(names)s equal lowest with %(votes)s votes: %(chosen)s excluded by lot "
                           "(seed %(seed)r)"),
                        {"names": self._names(tied), "votes": _text(low), "chosen": self.names[subject],
                         "seed": self.seed}))
        else:
            subject = tied[0]
        self.state[subject] = _EXCLUDED
        self.keep[subject] = 0
        self._build()
        how = self._settle()
        self._stage("exclusion", subject, [self._quota_note(), how] + lot, excluded=(subject,))

    def _last(self, hopeful: list[int]) -> None:
        """The hopeful candidates fill the seats left: all elected, no transfer."""
        chosen = sorted(hopeful, key=lambda c: (-self.votes[c], c))
        for c in chosen:
            self.state[c] = _ELECTED
            self.elected.append(c)
        self.vacancies -= len(chosen)
        self._record("last", None, tuple(chosen), (), [
            self._quota_note(),
            (N_("%(names)s elected: as many hopeful candidates as seats left"),
             {"names": self._names(chosen)})])

    def _stage(self, action: str, subject: int | None, parts: list[Note],
               excluded: tuple[int, ...] = ()) -> None:
        """Elect every hopeful candidate at or over the quota, then record the stage."""
        reached = [c for c in range(self.n) if self.state[c] == _HOPEFUL and self.votes[c] >= self.quota]
        reached.sort(key=lambda c: (-self.votes[c], c))
        if len(reached) > self.vacancies:
            # more reach the quota than there are seats left: by votes, equal votes by lot
            edge = self.votes[reached[self.vacancies - 1]]
            sure = [c for c in reached if self.votes[c] > edge]
            tied = [c for c in reached if self.votes[c] == edge]
            places = self.vacancies - len(sure)
            if places < len(tied):
                drawn = self._lot(tied, places)
                parts = parts + [(N_("more candidates reached the quota than seats left: of %(tied)s, "
                                     "equal with %(votes)s votes, %(chosen)s elected by lot (seed %(seed)r)"),
                                  {"tied": self._names(tied), "votes": _text(edge),
                                   "chosen": self._names(sorted(drawn)), "seed": self.seed})]
            else:
                drawn = tied
                parts = parts + [(N_("more candidates reached the quota than seats left, elected by votes"),
                                  {})]
            reached = sure + sorted(drawn)
        for c in reached:
            self.state[c] = _ELECTED
            self.elected.append(c)
        self.vacancies -= len(reached)
        self._record(action, subject, tuple(reached), excluded, parts)
        for c in reached:  # Algorithm 123: a newly elected candidate's keep value is quota / votes
            self.keep[c] = min(SCALE, -(-SCALE * self.quota // self.votes[c]))
        if reached and self.vacancies:
            self._build()

    def _lot(self, tied: list[int], places: int) -> list[int]:
        """Draw ``places`` of the ``tied`` candidates by lot (one draw per place)."""
        pool = sorted(tied)
        drawn: list[int] = []
        stage_number = len(self.stages) + 1
        while len(drawn) < places:
            draw = random.Random(f"{self.seed}:{stage_number}:{','.join(map(str, pool))}")
            chosen = draw.choice(pool)
            drawn.append(chosen)
            pool.remove(chosen)
        return drawn

    # -- the distribution ------------------------------------------------------------------

    def _build(self) -> None:
        """Fold the ballot groups into the tree of elected-candidate paths for the current states.

        Node 0 is the root (a paper's full value).  Each other node is a sequence of elected
        candidates a paper passes through (excluded and withdrawn ones skipped); ``weight`` is
        the number of papers through it.  ``ends`` lists (node, hopeful candidate, papers): the
        papers that reach that hopeful candidate after the node; ``runs_off`` (node, papers): the
        papers that end after the node, reaching no hopeful candidate.
        """
        state = self.state
        index: dict[tuple[int, int], int] = {}
        parent = [0]
        cand = [-1]
        weight = [0]
        ends: dict[tuple[int, int], int] = {}
        runs_off: dict[int, int] = {}
        for prefs, papers in self.groups:
            node = 0
            for c in prefs:
                s = state[c]
                if s == _HOPEFUL:
                    key = (node, c)
                    ends[key] = ends.get(key, 0) + papers
                    break
                if s == _ELECTED:
                    key = (node, c)
                    child = index.get(key)
                    if child is None:
                        child = index[key] = len(parent)
                        parent.append(node)
                        cand.append(c)
                        weight.append(0)
                    weight[child] += papers
                    node = child
            else:
                runs_off[node] = runs_off.get(node, 0) + papers
        self.tree = (parent, cand, weight)
        self.ends = [(node, c, papers) for (node, c), papers in ends.items()]
        self.runs_off = list(runs_off.items())

    def _distribute(self) -> None:
        """One pass over all papers with the current keep values: votes, excess, loss, quota."""
        parent, cand, weight = self.tree
        keep = self.keep
        votes = [0] * self.n
        value = [0] * len(parent)  # per paper, after the node's candidate took its share
        value[0] = SCALE
        loss = 0
        for i in range(1, len(parent)):
            v = value[parent[i]]
            if v:
                c = cand[i]
                k = keep[c]
                share = v * k // SCALE
                passed = v * (SCALE - k) // SCALE
                w = weight[i]
                votes[c] += w * share
                loss += w * (v - share - passed)
                value[i] = passed
        for node, c, papers in self.ends:
            votes[c] += papers * value[node]
        self.excess = sum(papers * value[node] for node, papers in self.runs_off)
        self.votes = votes
        self.loss = loss
        self.keep_used = list(keep)
        self.quota = sum(votes) // (self.seats + 1) + 1

    def _settle(self) -> Note:
        """Iterate the keep values of the elected candidates until the total surplus is below
        0.00001 or stops falling; return how the iteration ended."""
        elected = [c for c in range(self.n) if self.state[c] == _ELECTED]
        previous = None
        iterations = 0
        while True:
            self._distribute()
            iterations += 1
            votes, quota = self.votes, self.quota
            surplus = sum(max(votes[c] - quota, 0) for c in elected)
            if surplus < TOLERANCE:
                converged = True
                break
            if previous is not None and surplus >= previous:
                converged = False
                break
            previous = surplus
            for c in elected:
                if votes[c]:
                    self.keep[c] = min(SCALE, -(-self.keep[c] * quota // votes[c]))
        params: dict = {"surplus": _text(surplus)}
        if iterations > 1:
            params["n"] = iterations
        if converged:
            params["tolerance"] = _text(TOLERANCE)
        if iterations == 1 and converged:
            template = N_("keep values settled after 1 iteration (total surplus %(surplus)s, "
                          "below %(tolerance)s)")
        elif converged:
            template = N_("keep values settled after %(n)d iterations (total surplus %(surplus)s, below "
                          "%(tolerance)s)")
        elif iterations == 1:
            template = N_("keep values settled after 1 iteration (total surplus %(surplus)s, "
                          "no longer falling)")
        else:
            template = N_("keep values settled after %(n)d iterations (total surplus %(surplus)s, "
                          "no longer falling)")
        return (template, params)

    # -- the record ------------------------------------------------------------------------

    def _record(self, action: str, subject: int | None, elected: tuple[int, ...],
                excluded: tuple[int, ...], parts: list[Note]) -> None:
        previous, nt_before, loss_before = self.history[-1] if self.history else ([0] * self.n, 0, 0)
        self.history.append((list(self.votes), self.excess, self.loss))
        self.stages.append(Stage(
            number=len(self.stages) + 1, action=action, subject=subject,
            votes=tuple(_dec(v) for v in self.votes),
            transfers=tuple(_dec(v - p) for v, p in zip(self.votes, previous)),
            non_transferable=_dec(self.excess), non_transferable_change=_dec(self.excess - nt_before),
            loss=_dec(self.loss), loss_change=_dec(self.loss - loss_before),
            elected=elected, excluded=excluded, note=render_parts(parts),
            keep=tuple(_dec(k) for k in self.keep_used), parts=tuple(parts)))


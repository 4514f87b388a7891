"""The STV scale of issue 7: 10,000 ranked ballots, 20 candidates, 10 seats.

``python -m bench.stv`` counts one seeded, realistic ballot set by Scottish STV
(:mod:`motions.counting.scottish`) and, when :mod:`motions.counting.meek` exists and has a
``count``, by Meek STV too; it prints one row per method: ballots, candidates, seats, the best of
three timings and the number of stages.  The goals (issue 7): Scottish under 2 s, Meek under 10 s
on the 2-core machine.

The ballots: a few popular candidates (popularity falls off as 1/rank, like first preferences in
a real multi-member count), two loose slates whose supporters rank each other next, and ballots
of every length from 1 to 20 (most short: half rank 4 or fewer).  Identical ballots are grouped
by weight, as a BLT file or the app's store would hand them over.
"""
from __future__ import annotations

import random
import sys
import time

CANDIDATES = 20
SEATS = 10
BALLOTS = 10_000
SEED = 7


def ballots(n: int = BALLOTS, candidates: int = CANDIDATES, seed: int = SEED):
    """``n`` ballots over ``candidates`` candidates, grouped into weighted Ballots."""
    from motions.counting.stv import Ballot

    rng = random.Random(seed)
    popularity = [1.0 / (rank + 1) for rank in range(candidates)]
    rng.shuffle(popularity)
    slate = [c % 3 for c in range(candidates)]  # 0, 1: two slates; 2: independents
    grouped: dict[tuple[int, ...], int] = {}
    for _ in range(n):
        length = min(candidates, max(1, int(rng.expovariate(1 / 4.5)) + 1))
        left = list(range(candidates))
        weights = list(popularity)
        ranking: list[int] = []
        for _ in range(length):
            pick = rng.choices(range(len(left)), weights)[0]
            c = left.pop(pick)
            weights.pop(pick)
            ranking.append(c)
            if slate[c] != 2:  # a slate's supporters favour its other candidates next
                weights = [w * (3.0 if slate[d] == slate[c] else 1.0) for d, w in zip(left, weights)]
        key = tuple(ranking)
        grouped[key] = grouped.get(key, 0) + 1
    return tuple(Ballot(prefs, weight) for prefs, weight in grouped.items())


def methods():
    from motions.counting import scottish

    found = [("scottish", scottish.count)]
    try:
        from motions.counting import meek
    except ImportError:
        meek = None
    if meek is not None and callable(getattr(meek, "count", None)):
        found.append(("meek", meek.count))
    return found


def main() -> int:
    from motions.counting.stv import Election

    start = time.perf_counter()
    papers = ballots()
    made = time.perf_counter() - start
    election = Election(candidates=tuple(f"Candidate {i + 1}" for i in range(CANDIDATES)), seats=SEATS,
                        ballots=papers, title="bench")
    print(f"{BALLOTS:,} ballots ({len(papers):,} distinct rankings, made in {made:.2f} s), "
          f"{CANDIDATES} candidates, {SEATS} seats")
    print()
    print("| method   | ballots | candidates | seats | seconds (best of 3) | stages |")
    print("|----------|---------|------------|-------|---------------------|--------|")
    for name, count in methods():
        best, result = float("inf"), None
        for _ in range(3):
            t = time.perf_counter()
            result = count(election, seed="bench")
            best = min(best, time.perf_counter() - t)
        print(f"| {name:<8} | {BALLOTS:>7,} | {CANDIDATES:>10} | {SEATS:>5} | {best:>19.3f} | "
              f"{len(result.stages):>6} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

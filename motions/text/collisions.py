"""Which amendments collide: carrying one changes the text the other was written against.

Amendments are written against one version (``base``) of one clause.  Two of them collide
when they cannot both be applied as written, so that if one is carried the other falls or must
be resolved by hand.

Rules
    * Only amendments to the same clause and the same base version can collide.  (Amendments
      to different versions are a matter for rebasing, not for this module.)
    * Two changes to a clause ("modify") collide when a changed range of one meets a changed
      range of the other as CLOSED intervals of the old text: ``s1 <= e2 and s2 <= e1``.
      Ranges are ``(start, end)`` character offsets of the old text, ``start == end`` for an
      insertion point (:func:`motions.text.diff.changed_ranges`).  So overlapping changes
      collide, so do adjacent ones (one ends where the other starts: the result depends on
      their order), two insertions at the same point, and an insertion inside (or at the edge
      of) a deleted range.  Changes separated by at least one unchanged character (two words of
      a sentence with the space between them unchanged) do not collide: both can be applied.
    * Deleting the clause ("delete") collides with every modification and every other deletion
      of it.
    * A new clause inserted after the clause ("insert_after") never collides: two new clauses
      after the same clause can both be carried (in the order they are carried).

Pure standard library.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence

__all__ = ["collide", "Candidate", "find_collisions", "collision_groups"]

Range = tuple[int, int]


def collide(a: Iterable[Range], b: Iterable[Range]) -> bool:
    """Does any range of ``a`` meet any range of ``b`` (closed intervals)?"""
    marked = sorted([(s, 0, e) for s, e in a] + [(s, 1, e) for s, e in b])
    reach = [-1, -1]  # furthest end seen so far on each side
    for s, side, e in marked:
        # every interval of the other side seen so far starts at or before s: one of them
        # meets this one iff the furthest of their ends reaches s
        if reach[1 - side] >= s:
            return True
        if e > reach[side]:
            reach[side] = e
    return False


@dataclass(frozen=True)
class Candidate:
    """An amendment as far as collisions go.

    ``key``: identifies it (e.g. the amendment id); ``clause``: the clause it amends;
    ``base``: the version of the clause text it was written against; ``kind``: "modify",
    "delete" or "insert_after"; ``ranges``: for "modify" the changed ranges of the old text,
    for "delete" ``[(0, len(text))]``, ignored for "insert_after".
    """

    key: Hashable
    clause: Hashable
    base: Hashable
    kind: str
    ranges: Sequence[Range] = ()


def find_collisions(candidates: Iterable[Candidate]) -> dict[Hashable, list[Hashable]]:
    """For each candidate's key, the keys of the candidates it collides with, in the order the
    candidates were given (every key is present, most with an empty list).

    Per (clause, base) group, the ranges of all modifications are swept in order of their
    start, keeping the ranges still open (a heap by end): O(n log n) plus the collisions found.
    """
    cands = list(candidates)
    found: dict[Hashable, set[int]] = {c.key: set() for c in cands}
    groups: dict[tuple[Hashable, Hashable], list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        if c.kind != "insert_after":
            groups[(c.clause, c.base)].append(i)

    def link(i: int, j: int) -> None:
        if i != j:
            found[cands[i].key].add(j)
            found[cands[j].key].add(i)

    for members in groups.values():
        if len(members) < 2:
            continue
        deletes = [i for i in members if cands[i].kind == "delete"]
        for d in deletes:
            for j in members:
                link(d, j)
        intervals = sorted(
            (s, e, i) for i in members if cands[i].kind != "delete" for s, e in cands[i].ranges
        )
        open_: list[tuple[int, int]] = []  # (end, candidate index)
        for s, e, i in intervals:
            while open_ and open_[0][0] < s:  # closed before this one starts
                heapq.heappop(open_)
            for _, j in open_:
                link(i, j)
            heapq.heappush(open_, (e, i))

    return {key: [cands[j].key for j in sorted(js)] for key, js in found.items()}


def collision_groups(
    order: Sequence[Hashable], collisions: dict[Hashable, Sequence[Hashable]]
) -> list[list[Hashable]]:
    """Connected components of the collision graph over the keys of ``order``: each listed in
    the given order, components ordered by their first member.  A key that collides with
    nothing is a component of its own; keys not in ``order`` are left out."""
    index = {key: i for i, key in enumerate(order)}
    parent = list(range(len(order)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for key, others in collisions.items():
        if key not in index:
            continue
        for other in others:
            if other in index:
                a, b = find(index[key]), find(index[other])
                if a != b:
                    parent[max(a, b)] = min(a, b)

    components: dict[int, list[Hashable]] = {}
    for i, key in enumerate(order):
        components.setdefault(find(i), []).append(key)
    return list(components.values())

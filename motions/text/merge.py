"""Carry an amendment into a clause and carry the pending amendments over onto the new text.

When an amendment to a clause is carried, the clause gets its new text (:func:`carry`: exactly
the amendment's new text when the clause is as the amendment found it, otherwise its
diff-match-patch patch applied with ``patch_apply``, every hunk or nothing). Every other pending
amendment to that clause is then *re-based* onto the new text (:func:`rebase`): its hunks and
the carried amendment's hunks, both at their places in the old text, make its new text, and its
diff is taken again against the new clause. Two amendments whose changes meet
(:func:`motions.text.collisions.collide`) cannot both be made: the pending one no longer applies
and is left for a person to resolve (or to fall); nothing is ever half-applied.

Carrying amendments to one clause whose changes do not meet gives the same text in any order,
and re-basing never changes text outside the changes of the two amendments (the property tests
in tests/unit/test_merge.py).

Pure: no Flask, no database.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from motions.text.collisions import collide
from motions.text.diff import apply_patch, changed_ranges, diff_words, hunks, make_patch, new_text, old_text

__all__ = ["NoLongerApplies", "Rebased", "carry", "fingerprint", "merge_hunks", "rebase"]

Op = tuple[int, str]


class NoLongerApplies(Exception):
    """The amendment's change cannot be made on the text as it now stands."""


@dataclass(frozen=True)
class Rebased:
    """A pending modification re-based onto a clause's new text."""

    text: str  # the clause as the amendment would now make it
    ops: list[Op]  # word-level diff, new clause text -> text
    patch: str  # diff-match-patch patch against the new clause text
    ranges: list[tuple[int, int]]  # changed ranges in the new clause text


def merge_hunks(old: str, *changes: Sequence[Op]) -> str | None:
    """The text that all `changes` (word diffs of the same `old`) make together, each hunk at its
    own place in `old`; None when two changes meet (overlap, touch, or insert at one point)."""
    if any(old_text(ops) != old for ops in changes):
        raise ValueError("every change must be a diff of the same old text")
    for i, a in enumerate(changes):
        for b in changes[i + 1:]:
            if collide(changed_ranges(a), changed_ranges(b)):
                return None
    every = sorted((h for ops in changes for h in hunks(ops)), key=lambda h: (h.start, h.end))
    out, at = [], 0
    for h in every:
        out.append(old[at:h.start])
        out.append(h.inserted)
        at = h.end
    out.append(old[at:])
    return "".join(out)


def carry(base: str, current: str, ops: Sequence[Op], patch: str) -> str:
    """The clause text after carrying a modification written against `base` (its word diff `ops`
    and patch `patch`) onto the clause as it stands now (`current`). Raises NoLongerApplies."""
    if current == base:
        return new_text(ops)
    result, every_hunk = apply_patch(patch, current)
    if not every_hunk:
        raise NoLongerApplies
    return result


def rebase(pending: Sequence[Op], carried: Sequence[Op]) -> Rebased | None:
    """Carry a pending modification over a carried one; both are word diffs of the same clause
    text. None: it no longer applies (the two changes meet, or the carried one already made it).

    The result is the exact merge of the two word diffs, not diff-match-patch's ``patch_apply``:
    ``patch_apply`` matches fuzzily, and in repetitive text (the same words close together) it
    put a hunk a few words from its place in 5 of about 1,200 generated cases whose changes did
    not meet (tests/unit/test_merge.py keeps such a case). Where the changes do not meet, their
    exact merge is unambiguous."""
    old = old_text(carried)
    if old_text(pending) != old:
        raise ValueError("the pending and the carried amendment must have the same base text")
    clause = new_text(carried)
    merged = merge_hunks(old, carried, pending)
    if merged is None or merged == clause:
        return None
    ops = diff_words(clause, merged)
    return Rebased(merged, [tuple(op) for op in ops], make_patch(clause, ops), changed_ranges(ops))


def fingerprint(text: str) -> str:
    """SHA-256 (hex) of a document's text, UTF-8: what a final document's exports carry."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""Unit and property tests for motions.text.merge: carrying an amendment and re-basing the others."""
from __future__ import annotations

from itertools import permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motions.text.collisions import collide
from motions.text.diff import changed_ranges, diff_words, hunks, make_patch, new_text
from motions.text.merge import NoLongerApplies, carry, fingerprint, merge_hunks, rebase

CLAUSE = "We demand fair wages for all workers in every town."
WORDS = ["the", "workers", "union", "right", "to", "strike", "and", "all", "of", "a", "fair", "wage",
         "工人", "权利", "démocratie", "the", "the"]


def carry_in_order(old: str, edits: list[str]) -> str:
    """Carry the amendments `edits` (new texts of `old`) one after another, re-basing the rest
    onto each new text as the meeting does; returns the final clause text."""
    pending = [diff_words(old, e) for e in edits]
    text = old
    while pending:
        carried = pending.pop(0)
        text = carry(text, text, carried, make_patch(text, carried))
        rebased = [rebase(p, carried) for p in pending]
        assert all(r is not None for r in rebased), "a change that met no other was refused"
        pending = [r.ops for r in rebased]
    return text


@st.composite
def clause_and_edits(draw, most: int = 3):
    """A clause of words and up to `most` amendments, each one word replaced, deleted or inserted."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=4, max_size=24))
    edits = []
    for _ in range(draw(st.integers(2, most))):
        w = list(words)
        i = draw(st.integers(0, len(w) - 1))
        kind = draw(st.sampled_from(["replace", "delete", "insert"]))
        if kind == "replace":
            w[i] = draw(st.sampled_from([*WORDS, "new", "X"]))
        elif kind == "delete" and len(w) > 1:
            del w[i]
        else:
            w.insert(i, draw(st.sampled_from([*WORDS, "new"])))
        edits.append(" ".join(w))
    return " ".join(words), edits


def _meet(old: str, edits: list[str]) -> bool:
    ranges = [changed_ranges(diff_words(old, e)) for e in edits]
    return any(collide(a, b) for i, a in enumerate(ranges) for b in ranges[i + 1:])


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(clause_and_edits())
def test_amendments_that_do_not_meet_give_one_text_in_any_order(case):
    old, edits = case
    if any(e == old for e in edits) or _meet(old, edits):
        return
    finals = {carry_in_order(old, list(order)) for order in permutations(edits)}
    assert len(finals) == 1
    assert finals == {merge_hunks(old, *[diff_words(old, e) for e in edits])}


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(clause_and_edits(most=2))
def test_carrying_and_rebasing_change_nothing_outside_the_carried_hunks(case):
    old, (carried_text, pending_text) = case
    carried, pending = diff_words(old, carried_text), diff_words(old, pending_text)
    if carried_text == old or pending_text == old:
        return
    new = carry(old, old, carried, make_patch(old, carried))
    assert new == carried_text
    # outside the carried hunks, the new clause is the old one, character for character
    kept = [(a, b) for a, b in zip(*_equal_spans(carried))]
    for (old_start, old_end), (new_start, new_end) in kept:
        assert new[new_start:new_end] == old[old_start:old_end]
    rebased = rebase(pending, carried)
    if collide(changed_ranges(carried), changed_ranges(pending)):
        assert rebased is None
        return
    if rebased is None:  # nothing left: the carried amendment made the same change
        assert merge_hunks(old, carried, pending) == new
        return
    # the re-based amendment makes the same change as before: it deletes and inserts the same
    # words (a diff may align a repeated word's space on either side)
    assert _words(rebased.ops) == _words(pending)
    assert new_text(rebased.ops) == merge_hunks(old, carried, pending)
    # and its patch, applied to the new clause, gives exactly its text
    assert carry(new, new, rebased.ops, rebased.patch) == rebased.text


def _equal_spans(ops):
    """The unchanged stretches of a diff: (old start, old end) and (new start, new end) each."""
    olds, news, o, n = [], [], 0, 0
    for op, text in ops:
        if op == 0:
            olds.append((o, o + len(text)))
            news.append((n, n + len(text)))
        if op <= 0:
            o += len(text)
        if op >= 0:
            n += len(text)
    return olds, news


def _words(ops) -> tuple[list[str], list[str]]:
    deleted, inserted = _changes(ops)
    return sorted(deleted.split()), sorted(inserted.split())


def _changes(ops) -> tuple[str, str]:
    return ("".join(h.deleted for h in hunks(ops)), "".join(h.inserted for h in hunks(ops)))


def test_a_pending_amendment_is_rebased_with_its_own_change_against_the_new_text():
    carried = diff_words(CLAUSE, CLAUSE.replace("fair wages", "living wages"))
    pending = diff_words(CLAUSE, CLAUSE.replace("every town", "every town and village"))
    rebased = rebase(pending, carried)
    assert rebased is not None
    assert rebased.text == "We demand living wages for all workers in every town and village."
    assert _changes(rebased.ops) == ("", " and village")
    assert rebased.ranges == [(len("We demand living wages for all workers in every town"),) * 2]


def test_amendments_whose_changes_meet_cannot_both_be_carried():
    carried = diff_words(CLAUSE, CLAUSE.replace("fair wages", "living wages"))
    pending = diff_words(CLAUSE, CLAUSE.replace("fair wages", "decent pay"))
    assert rebase(pending, carried) is None
    neighbour = diff_words(CLAUSE, CLAUSE.replace("demand fair", "want fair"))  # one unchanged space between
    assert rebase(neighbour, carried).text == "We want living wages for all workers in every town."
    deleting = [(-1, CLAUSE)]
    assert rebase(deleting, carried) is None


def test_the_same_change_carried_twice_leaves_nothing_to_rebase():
    change = diff_words(CLAUSE, CLAUSE.replace("fair", "living"))
    assert rebase(change, change) is None


def test_repetitive_text_where_fuzzy_patching_misplaced_a_hunk_is_merged_exactly():
    # patch_apply put "wage" in the wrong place here (found while building this module)
    old = "wage right wage to the the"
    carried = diff_words(old, "wage right wage to wage the the")
    pending = diff_words(old, "wage right wage strike the the")
    rebased = rebase(pending, carried)
    assert rebased is not None
    assert rebased.text == "wage right wage strike wage the the"


def test_carry_onto_changed_text_applies_every_hunk_or_refuses():
    ops = diff_words(CLAUSE, CLAUSE.replace("every town", "every town and village"))
    patch = make_patch(CLAUSE, ops)
    moved = CLAUSE.replace("We demand", "We insist on")
    assert carry(CLAUSE, moved, ops, patch) == moved.replace("every town", "every town and village")
    with pytest.raises(NoLongerApplies):
        carry(CLAUSE, "Something else entirely, with no towns at all in it.", ops, patch)


def test_merge_hunks_refuses_different_old_texts():
    with pytest.raises(ValueError):
        merge_hunks("a b", diff_words("a b", "a c"), diff_words("x y", "x z"))


def test_fingerprint_is_the_sha256_of_the_utf8_text():
    assert fingerprint("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert fingerprint("工人") != fingerprint("工 人")
    assert len(fingerprint(CLAUSE)) == 64

"""Unit tests for motions.text.collisions: which amendments to a clause cannot both be carried."""

import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from motions.text.collisions import Candidate, collide, collision_groups, find_collisions
from motions.text.diff import changed_ranges, diff_words

TEXT = "We demand fair wages for all workers in every town."


def ranges(new: str) -> list[tuple[int, int]]:
    return changed_ranges(diff_words(TEXT, new))


def modify(key, new, clause=1, base=1):
    return Candidate(key, clause, base, "modify", ranges(new))


# ------------------------------------------------------------------------------------------
# collide
# ------------------------------------------------------------------------------------------


def test_overlapping_ranges_collide():
    assert collide([(5, 10)], [(8, 12)])
    assert collide([(5, 10)], [(6, 7)])  # one inside the other
    assert collide([(0, 3), (20, 30)], [(25, 26)])


def test_adjacent_ranges_collide():
    assert collide([(5, 10)], [(10, 12)])
    assert collide([(10, 12)], [(5, 10)])


def test_same_insertion_point_collides():
    assert collide([(7, 7)], [(7, 7)])


def test_insertion_inside_or_at_the_edge_of_a_deletion_collides():
    assert collide([(5, 10)], [(7, 7)])
    assert collide([(7, 7)], [(5, 10)])
    assert collide([(5, 10)], [(5, 5)]) and collide([(5, 10)], [(10, 10)])


def test_separated_ranges_do_not_collide():
    assert not collide([(5, 10)], [(11, 12)])
    assert not collide([(7, 7)], [(8, 8)])
    assert not collide([(5, 10)], [(11, 11)])
    assert not collide([], [(0, 100)])
    assert not collide([(0, 3), (20, 30)], [(4, 19), (31, 40)])


def test_real_amendments():
    fair = ranges(TEXT.replace("fair wages", "decent wages"))  # changes "fair"
    all_ = ranges(TEXT.replace("all workers", "every worker"))  # changes "all workers"
    town = ranges(TEXT.replace("every town", "every town and village"))  # inserts at the end
    wages = ranges(TEXT.replace("wages", "pay"))
    for_ = ranges(TEXT.replace("for all", "to all"))
    assert fair == [(10, 14)] and wages == [(15, 20)] and for_ == [(21, 24)]
    # "fair" and "wages" are one space apart: both can be carried
    assert not collide(fair, wages)
    assert not collide(wages, for_)
    assert not collide(fair, all_) and not collide(all_, town)
    # two changes of the same word, or of overlapping words, collide
    assert collide(all_, ranges(TEXT.replace("all workers", "all the workers")))
    assert collide(fair, ranges(TEXT.replace("fair wages", "fairer wages")))
    # an insertion after the space that follows a changed word does not
    assert ranges(TEXT.replace("fair wages", "fair and equal wages")) == [(15, 15)]
    assert not collide(fair, [(15, 15)]) and collide(wages, [(15, 15)])
    # inserting right where another change ends collides (the order would matter)
    assert collide(wages, ranges(TEXT.replace("wages for", "wages, pensions for")))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5)), max_size=4),
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5)), max_size=4),
)
def test_collide_is_pairwise_closed_interval_overlap(a, b):
    a = [(s, s + n) for s, n in a]
    b = [(s, s + n) for s, n in b]
    expected = any(s1 <= e2 and s2 <= e1 for s1, e1 in a for s2, e2 in b)
    assert collide(a, b) == expected
    assert collide(b, a) == expected


# ------------------------------------------------------------------------------------------
# find_collisions
# ------------------------------------------------------------------------------------------


def test_find_collisions_by_clause_and_base():
    cands = [
        modify("A", TEXT.replace("all workers", "every worker")),
        modify("B", TEXT.replace("all workers", "all the workers")),
        modify("C", TEXT.replace("fair wages", "decent wages")),
        modify("D", TEXT.replace("all workers", "all staff"), clause=2),  # another clause
        modify("E", TEXT.replace("all workers", "all staff"), base=2),  # another version
        Candidate("F", 1, 1, "insert_after", []),
        Candidate("G", 1, 1, "insert_after", []),
    ]
    assert find_collisions(cands) == {
        "A": ["B"], "B": ["A"], "C": [], "D": [], "E": [], "F": [], "G": [],
    }


def test_delete_collides_with_every_modify_and_delete_but_no_insert():
    cands = [
        modify(1, TEXT.replace("fair", "decent")),
        Candidate(2, "c", 1, "insert_after", []),
        Candidate(3, 1, 1, "delete", [(0, len(TEXT))]),
        modify(4, TEXT.replace("town", "city")),
        Candidate(5, 1, 1, "delete", [(0, len(TEXT))]),
        Candidate(6, 1, 1, "insert_after", []),
        modify(7, TEXT.replace("town", "city"), clause=2),
    ]
    result = find_collisions(cands)
    assert result[3] == [1, 4, 5]
    assert result[5] == [1, 3, 4]
    assert result[1] == [3, 5] and result[4] == [3, 5]
    assert result[2] == [] and result[6] == [] and result[7] == []


def test_results_keep_the_order_given():
    cands = [modify(k, TEXT.replace("all workers", f"all workers {k}")) for k in ("z", "a", "m")]
    assert find_collisions(cands) == {"z": ["a", "m"], "a": ["z", "m"], "m": ["z", "a"]}


candidate = st.builds(
    Candidate,
    key=st.none(),
    clause=st.integers(0, 2),
    base=st.integers(0, 1),
    kind=st.sampled_from(["modify", "modify", "delete", "insert_after"]),
    ranges=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), max_size=3).map(
        lambda rs: sorted((s, s + n) for s, n in rs)
    ),
)


def brute_force(cands):
    out = {}
    for a in cands:
        hits = []
        for b in cands:
            if a is b or (a.clause, a.base) != (b.clause, b.base):
                continue
            if "insert_after" in (a.kind, b.kind):
                continue
            if "delete" in (a.kind, b.kind) or collide(a.ranges, b.ranges):
                hits.append(b.key)
        out[a.key] = hits
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(candidate, max_size=12))
def test_find_collisions_agrees_with_pairwise_checks(cands):
    cands = [Candidate(i, c.clause, c.base, c.kind, c.ranges) for i, c in enumerate(cands)]
    result = find_collisions(cands)
    assert result == brute_force(cands)
    for key, others in result.items():  # symmetric
        assert all(key in result[o] for o in others)


def test_find_collisions_is_fast():
    rnd = random.Random(7)
    cands = []
    for key in range(3000):
        length = rnd.randrange(50, 2000)
        rs = []
        for _ in range(rnd.randrange(1, 4)):
            s = rnd.randrange(length)
            rs.append((s, min(length, s + rnd.randrange(0, 30))))
        kind = rnd.choices(["modify", "delete", "insert_after"], [90, 5, 5])[0]
        cands.append(Candidate(key, rnd.randrange(200), rnd.choice([1, 1, 2]), kind, sorted(rs)))
    best = min(_timed(find_collisions, cands) for _ in range(3))
    assert best < 0.25  # measured ~15 ms; generous for slow machines
    result = find_collisions(cands)
    assert sum(map(len, result.values())) > 1000
    sample = cands[:300]
    assert find_collisions(sample) == brute_force(sample)


def _timed(fn, *args):
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------
# groups
# ------------------------------------------------------------------------------------------


def test_collision_groups():
    order = ["A", "B", "C", "D", "E", "F"]
    collisions = {"A": ["D"], "B": [], "C": ["E"], "D": ["A", "F"], "E": ["C"], "F": ["D"]}
    assert collision_groups(order, collisions) == [["A", "D", "F"], ["B"], ["C", "E"]]
    # the order given decides the order inside and between groups
    assert collision_groups(["F", "E", "D", "C", "B", "A"], collisions) == [
        ["F", "D", "A"], ["E", "C"], ["B"],
    ]
    # keys not in the order are left out
    assert collision_groups(["A", "B"], {"A": ["X"], "X": ["A", "B"]}) == [["A"], ["B"]]
    assert collision_groups([], {}) == []


def test_collision_groups_from_find_collisions():
    cands = [
        modify(1, TEXT.replace("fair wages", "decent wages")),  # "fair"
        modify(2, TEXT.replace("all workers", "every worker")),
        modify(3, TEXT.replace("fair wages", "fair pay")),  # "wages"
        modify(4, TEXT.replace("every town", "every city")),
    ]
    collisions = find_collisions(cands)
    assert collisions == {1: [], 2: [], 3: [], 4: []}
    assert collision_groups([1, 2, 3, 4], collisions) == [[1], [2], [3], [4]]
    # "a living wage" for "fair wages" meets both "fair" and "wages": one group of three
    cands.append(modify(5, TEXT.replace("fair wages", "a living wage")))
    collisions = find_collisions(cands)
    assert collisions == {1: [5], 2: [], 3: [5], 4: [], 5: [1, 3]}
    assert collision_groups([1, 2, 3, 4, 5], collisions) == [[1, 3, 5], [2], [4]]

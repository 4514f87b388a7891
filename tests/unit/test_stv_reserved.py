"""Unit tests for motions.counting.reserved: "at least K of the seats for group G"."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motions.counting import reserved as reserved_module
from motions.counting.reserved import RULE_TEXT, count_reserved
from motions.counting.scottish import count
from motions.counting.stv import Ballot, CountError, Election, check_invariant

NAMES = ("M1", "M2", "M3", "W1", "W2", "W3")
M1, M2, M3, W1, W2, W3 = range(6)
WOMEN = frozenset({W1, W2, W3})


def steering(seats: int = 3) -> Election:
    return Election(candidates=NAMES, seats=seats, title="Steering Committee", ballots=(
        Ballot((M1, M2), 30), Ballot((M2, M1), 25), Ballot((M3,), 20), Ballot((W1, M3), 10),
        Ballot((W2, W1), 8), Ballot((M1, W3), 7)))


def names(result, numbers) -> set[str]:
    return {result.candidates[c] for c in numbers}


def test_without_a_reserved_seat_no_woman_is_elected():
    # 100 ballots, quota 26: M1 37 elected, M2 (25 + 30 x 11/37) elected, M3 beats W1 (10 + 8)
    assert names(count(steering(), seed="r"), count(steering(), seed="r").elected) == {"M1", "M2", "M3"}


def test_reserved_count_among_the_group_then_general_count_for_the_rest():
    first, second = count_reserved(steering(), WOMEN, 1, count, seed="r")
    # reserved count, one seat, men struck off: 75 ballots rank no woman and take no part;
    # W1 10, W2 8, W3 7 of 25, quota 25 // 2 + 1 = 13.  W3 out, then W2 (8 to W1): W1 18.
    assert first.seats == 1 and first.valid == 25 and first.invalid == 75 and first.quota == 13
    assert any("only withdrawn candidates" in note for note in first.notes)
    assert names(first, first.elected) == {"W1"}
    assert first.withdrawn == frozenset({M1, M2, M3})
    # general count, two seats, W1 struck off: all 100 ballots count, quota 100 // 3 + 1 = 34;
    # M1 37 elected; W3, W2 and M2 excluded in turn; M3 (20 + W1's 10) takes the last seat
    assert second.seats == 2 and second.valid == 100 and second.quota == 34
    assert second.withdrawn == frozenset({W1})
    assert names(second, second.elected) == {"M1", "M3"}
    assert not set(first.elected) & set(second.elected)
    check_invariant(first)
    check_invariant(second)
    assert first.seed == second.seed == "r"


def test_group_candidates_can_also_win_general_seats():
    e = Election(candidates=NAMES, seats=3, ballots=(
        Ballot((W1,), 40), Ballot((W2,), 35), Ballot((M1,), 30), Ballot((M2,), 5)))
    first, second = count_reserved(e, WOMEN, 1, count, seed="g")
    assert names(first, first.elected) == {"W1"}
    assert names(second, second.elected) == {"W2", "M1"}


def test_both_counts_use_the_method_given_and_one_seed():
    calls = []

    def method(election, *, seed=None):
        calls.append((election.seats, election.withdrawn, seed, election.title))
        return count(election, seed=seed)

    first, second = count_reserved(steering(4), WOMEN, 2, method)
    (s1, w1, seed1, t1), (s2, w2, seed2, t2) = calls
    assert (s1, w1) == (2, frozenset({M1, M2, M3}))
    assert s2 == 2 and w2 == frozenset(first.elected)
    assert seed1 and seed1 == seed2 == first.seed == second.seed
    assert t1 == "Steering Committee: reserved seats" and t2 == "Steering Committee: general seats"


def test_withdrawn_candidates_stay_withdrawn_in_both_counts():
    e = Election(NAMES, 3, steering().ballots, withdrawn=frozenset({W1, M2}))
    first, second = count_reserved(e, WOMEN, 1, count, seed="w")
    assert W1 not in first.elected and W1 not in second.elected and M2 not in second.elected
    assert {W1, M2} <= second.withdrawn


@pytest.mark.parametrize("group, k, seats, withdrawn, message", [
    (frozenset(), 1, 3, frozenset(), "names no candidate"),
    (frozenset({W1, 9}), 1, 3, frozenset(), "not one of the 6 candidates"),
    (WOMEN, 0, 3, frozenset(), "at least 1"),
    (WOMEN, 3, 3, frozenset(), "reserved seats must be fewer than the seats"),
    (frozenset({W1, W2}), 3, 4, frozenset(), "only 2 of its candidates are standing"),
    (WOMEN, 2, 3, frozenset({W1, W2}), "only 1 of its candidates is standing"),
    (WOMEN, 1, 5, frozenset({M1, M2}), "5 seats to fill but only 4 candidates standing"),
])
def test_reserved_seats_that_cannot_be_counted_say_why(group, k, seats, withdrawn, message):
    e = Election(NAMES, seats, steering().ballots, withdrawn=withdrawn)
    with pytest.raises(CountError, match=message):
        count_reserved(e, group, k, count, seed="x")


def test_no_ballot_for_the_group_is_a_clear_error():
    e = Election(NAMES, 2, (Ballot((M1,), 5), Ballot((M2,), 4)))
    with pytest.raises(CountError, match="the reserved count: no valid ballot"):
        count_reserved(e, WOMEN, 1, count, seed="x")


def test_rule_text_is_one_plain_paragraph():
    assert isinstance(RULE_TEXT, str) and len(RULE_TEXT) > 200
    assert "\n" not in RULE_TEXT
    for idea in ("reserved", "withdrawn", "next preference", "minimum"):
        assert idea in RULE_TEXT
    assert reserved_module.__all__ == ["RULE_TEXT", "check_reserved", "count_reserved"]


@st.composite
def reserved_elections(draw):
    n = draw(st.integers(3, 7))
    seats = draw(st.integers(2, n - 1))
    k = draw(st.integers(1, seats - 1))
    group = draw(st.frozensets(st.integers(0, n - 1), min_size=k, max_size=n - (seats - k)))
    ranking = st.permutations(range(n)).flatmap(lambda p: st.integers(1, n).map(lambda m: tuple(p[:m])))
    ballots = draw(st.lists(st.builds(Ballot, ranking, st.integers(1, 5)), min_size=1, max_size=25))
    return Election(tuple(f"C{i}" for i in range(n)), seats, tuple(ballots)), group, k


@settings(max_examples=150, deadline=None)
@given(reserved_elections())
def test_at_least_k_of_the_group_and_exactly_the_seats_are_elected(case):
    e, group, k = case
    if not any(set(b.preferences) & group for b in e.ballots):
        with pytest.raises(CountError):
            count_reserved(e, group, k, count, seed="p")
        return
    try:
        first, second = count_reserved(e, group, k, count, seed="p")
    except CountError as error:
        # every ballot ranks only candidates elected in the reserved count: nothing left to count
        assert str(error) == "the general count: no valid ballot: there is nothing to count"
        reserved_winners = set(count(Election(e.candidates, k, e.ballots, frozenset(range(len(e.candidates)))
                                              - group), seed="p").elected)
        assert all(set(b.preferences) <= reserved_winners for b in e.ballots)
        return
    elected = list(first.elected) + list(second.elected)
    assert len(elected) == len(set(elected)) == e.seats
    assert len(first.elected) == k and set(first.elected) <= group
    assert len(set(elected) & group) >= k
    check_invariant(first)
    check_invariant(second)

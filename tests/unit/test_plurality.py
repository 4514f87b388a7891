"""Unit tests for motions.counting.plurality: approval voting and plurality at large, with
reserved seats, and their sheet (motions.counting.sheet.tally_rows / text)."""
from __future__ import annotations

import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from motions.counting import plurality, sheet
from motions.counting.plurality import RESERVED_RULE_TEXT, Tally, count
from motions.counting.stv import Ballot, CountError, Election, render

NAMES = ("Ann", "Bob", "Cy", "Di", "Eve")
ANN, BOB, CY, DI, EVE = range(5)


def marks(*ballots: tuple[int, str], names: str = "ABCDE") -> tuple[Ballot, ...]:
    """(papers, "marked letters") -> Ballots over NAMES (A = Ann ...)."""
    return tuple(Ballot(tuple(names.index(c) for c in marked), k) for k, marked in ballots)


def committee(seats: int = 2, withdrawn: frozenset[int] = frozenset()) -> Election:
    # Ann 10 + 4 = 14, Bob 10 + 3 = 13, Cy 6 + 4 = 10, Di 3 + 3 = 6, Eve 2
    return Election(NAMES, seats, marks((10, "AB"), (6, "C"), (4, "AC"), (3, "BD"), (3, "D"), (2, "E")),
                    withdrawn)


# ------------------------------------------------------------------------------------------
# the methods
# ------------------------------------------------------------------------------------------

def test_approval_gives_each_mark_a_vote_and_elects_the_most_voted():
    tally = count(committee(), method="approval", seed="a")
    assert isinstance(tally, Tally) and tally.method == "approval"
    assert tally.votes == (14, 13, 10, 6, 2)
    assert tally.valid == 28 and tally.invalid == 0
    assert tally.elected == (ANN, BOB) and tally.reserved_elected == ()
    assert tally.seed == "a" and tally.notes == () and tally.note_parts == ()
    assert tally.candidates == NAMES and tally.seats == 2
    assert tally.group == frozenset() and tally.reserved == 0


def test_plurality_sets_aside_a_ballot_with_more_marks_than_seats():
    e = Election(NAMES, 2, marks((5, "ABC"), (4, "AB"), (3, "C"), (1, "ABCDE")))
    approval = count(e, method="approval", seed="p")
    assert approval.votes == (10, 10, 9, 1, 1) and approval.invalid == 0
    tally = count(e, method="plurality", seed="p")
    assert tally.votes == (4, 4, 3, 0, 0)
    assert tally.valid == 7 and tally.invalid == 6
    assert tally.notes == ("6 over-voted ballots (more marks than seats)",)
    assert tally.elected == (ANN, BOB)


def test_invalid_ballots_are_set_aside_for_their_first_fault_with_a_note_each():
    e = Election(NAMES, 1, (
        Ballot((ANN,), 5), Ballot((), 2), Ballot((ANN, 9), 1), Ballot((BOB, BOB), 3), Ballot((CY, DI), 1),
        Ballot((EVE,), 1), Ballot((EVE, DI), 2), Ballot((BOB,), 0), Ballot((True,), 1)), frozenset({EVE}))
    tally = count(e, method="plurality", seed="i")
    assert tally.notes == ("2 empty ballots (no mark)", "2 invalid ballots marking an unknown candidate",
                           "3 invalid ballots marking a candidate more than once",
                           "3 over-voted ballots (more marks than seats)",
                           "1 ballot set aside: it marks only withdrawn candidates")
    assert tally.invalid == 2 + 2 + 3 + 3 + 1 and tally.valid == 5
    assert tally.votes == (5, 0, 0, 0, 0) and tally.withdrawn == frozenset({EVE})
    approval = count(e, method="approval", seed="i")
    # under approval the two-mark ballots count: Cy + Di 1, Di 2 (Eve struck off)
    assert approval.votes == (5, 0, 1, 3, 0) and approval.valid == 8
    assert "1 invalid ballot marking an unknown candidate" not in approval.notes
    assert approval.notes[-1] == "1 ballot set aside: it marks only withdrawn candidates"


def test_withdrawn_candidates_are_struck_off_and_never_elected():
    tally = count(committee(withdrawn=frozenset({ANN})), method="approval", seed="w")
    assert tally.votes == (0, 13, 10, 6, 2)
    assert tally.valid == 28  # every ballot marking Ann marks someone else too
    assert tally.elected == (BOB, CY)


def test_marks_may_come_in_any_container_and_any_order():
    e = Election(NAMES, 1, (Ballot(frozenset({ANN, BOB}), 2), Ballot((BOB, ANN), 1), Ballot([CY], 2)))
    assert count(e, method="approval", seed="o").votes == (3, 3, 2, 0, 0)


# ------------------------------------------------------------------------------------------
# ties by lot
# ------------------------------------------------------------------------------------------

def test_a_tie_for_the_last_seat_is_drawn_by_the_documented_lot():
    # Bob and Cy 4 each behind Ann 6, one seat left for two
    e = Election(NAMES, 2, marks((6, "A"), (4, "B"), (4, "C"), (1, "D")))
    for seed in ("s1", "s2", "founding meeting", "0"):
        tally = count(e, method="approval", seed=seed)
        winner = random.Random(f"{seed}:1:{BOB},{CY}").choice([BOB, CY])
        assert tally.elected == (ANN, winner)
        assert tally.notes == (f"Bob and Cy had equal votes (4) for the last seat: {NAMES[winner]} chosen by lot "
                               f"(seed {seed!r})",)
    assert {count(e, method="approval", seed=str(i)).elected for i in range(40)} == {(ANN, BOB), (ANN, CY)}


def test_a_tie_for_several_seats_draws_one_seat_at_a_time():
    e = Election(NAMES, 3, marks((3, "A"), (3, "B"), (3, "C"), (3, "D"), (9, "E")))
    tally = count(e, method="plurality", seed="k")
    pool = [ANN, BOB, CY, DI]
    first = random.Random(f"k:1:{','.join(map(str, pool))}").choice(pool)
    pool.remove(first)
    second = random.Random(f"k:1:{','.join(map(str, pool))}").choice(pool)
    assert tally.elected == (EVE, *sorted([first, second]))
    chosen = [NAMES[c] for c in sorted([first, second])]
    assert tally.notes == (f"Ann, Bob, Cy and Di had equal votes (3) for the last 2 seats: {chosen[0]} and "
                           f"{chosen[1]} chosen by lot (seed 'k')",)


def test_a_tie_that_fills_every_place_left_needs_no_lot():
    e = Election(NAMES, 3, marks((6, "A"), (4, "B"), (4, "C"), (1, "D")))
    tally = count(e, method="approval", seed="n")
    assert tally.elected == (ANN, BOB, CY) and tally.notes == ()


def test_without_a_seed_one_is_made_and_recorded():
    e = Election(NAMES, 1, marks((2, "A"), (2, "B")))
    tally = count(e, method="approval")
    assert len(tally.seed) == 16
    assert count(e, method="approval", seed=tally.seed) == tally


# ------------------------------------------------------------------------------------------
# reserved seats
# ------------------------------------------------------------------------------------------

def test_reserved_seats_go_to_the_groups_most_voted_then_the_rest_to_the_most_voted():
    # 3 seats, 1 reserved for {Cy, Di, Eve}: Cy (10) takes the reserved seat; Ann and Bob the others
    group = frozenset({CY, DI, EVE})
    tally = count(committee(3), method="approval", seed="r", group=group, reserved=1)
    assert tally.reserved_elected == (CY,)
    assert tally.elected == (CY, ANN, BOB)
    assert tally.group == group and tally.reserved == 1
    # two reserved: Cy and Di; the last seat to Ann
    tally = count(committee(3), method="approval", seed="r", group=group, reserved=2)
    assert tally.reserved_elected == (CY, DI) and tally.elected == (CY, DI, ANN)


def test_group_candidates_can_win_general_seats_too():
    group = frozenset({ANN, CY})
    tally = count(committee(3), method="approval", seed="g", group=group, reserved=1)
    assert tally.reserved_elected == (ANN,)
    assert tally.elected == (ANN, BOB, CY)  # Cy wins a general seat on votes


def test_a_tie_for_a_reserved_seat_is_drawn_in_round_one_the_general_seats_in_round_two():
    e = Election(NAMES, 2, marks((5, "A"), (5, "B"), (2, "C"), (2, "D")))
    group = frozenset({CY, DI})
    tally = count(e, method="plurality", seed="t", group=group, reserved=1)
    reserved_winner = random.Random(f"t:1:{CY},{DI}").choice([CY, DI])
    general_winner = random.Random(f"t:2:{ANN},{BOB}").choice([ANN, BOB])
    assert tally.elected == (reserved_winner, general_winner)
    assert tally.notes[0].startswith("Cy and Di had equal votes (2) for the last reserved seat: ")
    assert tally.notes[1].startswith("Ann and Bob had equal votes (5) for the last seat: ")


@pytest.mark.parametrize("group, k, seats, withdrawn, message", [
    (frozenset(), 1, 3, frozenset(), "names no candidate"),
    (frozenset({CY, 9}), 1, 3, frozenset(), "not one of the 5 candidates"),
    (frozenset({CY}), 0, 3, frozenset(), "at least 1"),
    (frozenset({CY, DI}), 3, 3, frozenset(), "reserved seats must be fewer than the seats"),
    (frozenset({CY, DI}), 3, 4, frozenset(), "only 2 of its candidates are standing"),
    (frozenset({CY, DI}), 2, 3, frozenset({DI}), "only 1 of its candidates is standing"),
    (frozenset({CY}), 1, 3, frozenset({CY}), "none of its candidates is standing"),
    (frozenset({CY, DI}), 1, 4, frozenset({ANN, BOB}), "4 seats to fill but only 3 candidates standing"),
])
def test_reserved_seats_that_cannot_be_filled_are_refused(group, k, seats, withdrawn, message):
    with pytest.raises(CountError, match=message):
        count(committee(seats, withdrawn), method="approval", seed="x", group=group, reserved=k)


# ------------------------------------------------------------------------------------------
# refusals
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("e, method, message", [
    (committee(), "borda", "unknown counting method 'borda'"),
    (committee(0), "approval", "at least one seat"),
    (committee(6), "approval", "6 seats to fill but only 5 candidates standing"),
    (committee(2, frozenset({0, 1, 2, 3})), "plurality", "2 seats to fill but only 1 candidate standing"),
    (committee(1, frozenset({7})), "approval", "withdrawn candidate 7 is not one of the 5 candidates"),
    (Election(NAMES, 1, ()), "approval", "no valid ballot"),
    (Election(NAMES, 1, marks((3, ""), (2, "AB"))), "plurality", "no valid ballot"),
    (Election(NAMES, 1, (Ballot((ANN,), -1),)), "approval", "whole number of papers"),
    (Election(NAMES, 1, (Ballot((ANN,), 1.5),)), "approval", "whole number of papers"),
])
def test_counts_that_cannot_be_made_say_why(e, method, message):
    with pytest.raises(CountError, match=message) as caught:
        count(e, method=method, seed="x")
    assert render(caught.value.note) == str(caught.value)


def test_reserved_rule_text_is_one_plain_paragraph():
    assert "\n" not in RESERVED_RULE_TEXT and "minimum" in RESERVED_RULE_TEXT and "lot" in RESERVED_RULE_TEXT
    assert plurality.__all__ == ["METHODS", "RESERVED_RULE_TEXT", "Tally", "count"]
    assert plurality.METHODS == ("approval", "plurality")


# ------------------------------------------------------------------------------------------
# the sheet
# ------------------------------------------------------------------------------------------

def test_tally_rows_show_each_candidates_votes_and_how_it_ended():
    tally = count(committee(3, frozenset({EVE})), method="approval", seed="r", group=frozenset({CY, DI}),
                  reserved=1)
    assert sheet.tally_rows(tally) == [
        ["Candidate", "Votes", "Result"],
        ["Ann", "14", "Elected"],
        ["Bob", "13", "Elected"],
        ["Cy", "10", "Elected (reserved seat)"],
        ["Di", "6", "Not elected"],
        ["Eve", "", "Withdrawn"],
        ["Valid ballots", "26", ""],
        ["Invalid ballots", "2", ""],  # the two marking only Eve, withdrawn
    ]
    table = sheet.tally_rows(tally, labels={"elected_reserved": "当选（保留席位）", "votes": "票数"})
    assert table[0][1] == "票数" and table[3][2] == "当选（保留席位）"


def test_text_of_a_tally():
    e = Election(NAMES, 2, marks((6, "A"), (4, "B"), (4, "C"), (1, ""), (2, "ABC")))
    out = sheet.text(count(e, method="plurality", seed="t"))
    assert out.startswith("Method: Plurality at large\nSeats: 2    Valid ballots: 14    Invalid ballots: 3\n"
                          "Seed for any lot: t\n")
    assert "1 empty ballot (no mark)" in out and "2 over-voted ballots (more marks than seats)" in out
    assert "Bob and Cy had equal votes (4) for the last seat" in out
    assert out.rstrip().splitlines()[-1].startswith("Elected: Ann, ")
    reserved = sheet.text(count(committee(3), method="approval", seed="r", group=frozenset({DI, EVE}),
                                reserved=1))
    assert "Method: Approval voting" in reserved and "Reserved seats: 1 (Di, Eve)" in reserved
    assert reserved.rstrip().endswith("Elected: Di, Ann, Bob")
    translated = sheet.text(count(e, method="plurality", seed="t"), gettext=lambda s: {
        "1 empty ballot (no mark)": "1张空白选票（无标记）"}.get(s, s))
    assert "1张空白选票（无标记）" in translated


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

@st.composite
def cases(draw):
    n = draw(st.integers(1, 7))
    seats = draw(st.integers(1, n))
    withdrawn = draw(st.frozensets(st.integers(0, n - 1), max_size=n - seats))
    marked = st.one_of(
        st.permutations(range(n)).flatmap(lambda p: st.integers(0, n).map(lambda k: tuple(p[:k]))),
        st.lists(st.integers(0, n), max_size=3).map(tuple),  # may repeat a mark or name no candidate
    )
    ballots = draw(st.lists(st.builds(Ballot, marked, st.integers(0, 5)), max_size=30))
    method = draw(st.sampled_from(plurality.METHODS))
    group, reserved = frozenset(), 0
    standing = [c for c in range(n) if c not in withdrawn]
    if seats >= 2 and draw(st.booleans()):
        reserved = draw(st.integers(1, seats - 1))
        group = draw(st.frozensets(st.sampled_from(standing), min_size=reserved))
    return Election(tuple(f"C{i}" for i in range(n)), seats, tuple(ballots), withdrawn), method, group, reserved


def valid_marks(e: Election, method: str) -> list[tuple[Ballot, set[int]]]:
    """The valid ballots by the module's rules, each with its marks for standing candidates."""
    out = []
    for b in e.ballots:
        m = list(b.preferences)
        if b.weight == 0 or not m or any(not 0 <= c < len(e.candidates) for c in m) or len(set(m)) != len(m):
            continue
        if method == "plurality" and len(m) > e.seats:
            continue
        if not set(m) - e.withdrawn:
            continue
        out.append((b, set(m) - e.withdrawn))
    return out


@settings(max_examples=300, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_properties_of_every_tally(case, rnd):
    e, method, group, reserved = case
    good = valid_marks(e, method)
    if not good:
        with pytest.raises(CountError, match="no valid ballot"):
            count(e, method=method, seed="p", group=group, reserved=reserved)
        return
    tally = count(e, method=method, seed="p", group=group, reserved=reserved)
    standing = [c for c in range(len(e.candidates)) if c not in e.withdrawn]
    # the ballots add up
    assert tally.valid == sum(b.weight for b, _ in good)
    assert tally.valid + tally.invalid == sum(b.weight for b in e.ballots)
    assert sum(tally.votes) == sum(b.weight * len(m) for b, m in good)
    for c in range(len(e.candidates)):
        assert tally.votes[c] == sum(b.weight for b, m in good if c in m)
    # exactly the seats, nobody twice, nobody withdrawn
    assert len(tally.elected) == min(e.seats, len(standing)) == e.seats == len(set(tally.elected))
    assert not set(tally.elected) & e.withdrawn
    # the reserved seats: K of the group, none of the group left out had more votes
    assert tally.reserved_elected == tally.elected[:reserved] and len(tally.reserved_elected) == reserved
    assert set(tally.reserved_elected) <= group
    assert len(set(tally.elected) & group) >= reserved
    for w in tally.reserved_elected:
        for c in group - set(tally.reserved_elected) - e.withdrawn:
            assert tally.votes[w] >= tally.votes[c]
    # the other seats: every one elected has at least the votes of every one not elected
    general = tally.elected[reserved:]
    losers = [c for c in standing if c not in tally.elected]
    for w in general:
        for c in losers:
            assert tally.votes[w] >= tally.votes[c]
    # in order of election: by votes within each part
    for part in (tally.reserved_elected, general):
        assert [tally.votes[c] for c in part] == sorted((tally.votes[c] for c in part), reverse=True)
    # a lot only where there was a tie, and notes as English renderings of their parts
    assert tally.notes == tuple(render(n) for n in tally.note_parts)
    # reproducible with the seed, whatever the order of the ballots
    assert count(e, method=method, seed="p", group=group, reserved=reserved) == tally
    shuffled = list(e.ballots)
    rnd.shuffle(shuffled)
    again = count(Election(e.candidates, e.seats, tuple(shuffled), e.withdrawn), method=method, seed="p",
                  group=group, reserved=reserved)
    assert again == tally


@settings(max_examples=50, deadline=None)
@given(cases())
def test_the_seed_recorded_reproduces_the_tally(case):
    e, method, group, reserved = case
    assume(valid_marks(e, method))
    tally = count(e, method=method, group=group, reserved=reserved)
    assert count(e, method=method, seed=tally.seed, group=group, reserved=reserved) == tally



def test_the_candidates_rows_begin_after_the_header_rows_each_sheet_declares():
    from motions.counting import scottish

    tally_table = sheet.tally_rows(count(committee(2), method="approval", seed="r"))
    first = sheet.TALLY_HEADER_ROWS
    assert [row[0] for row in tally_table[first:first + len(NAMES)]] == list(NAMES)
    result = scottish.count(Election(NAMES[:3], 1, marks((3, "AB"), (2, "BA"), (1, "C"))), seed="r")
    stv_table = sheet.rows(result)
    first = sheet.HEADER_ROWS
    assert [row[0] for row in stv_table[first:first + 3]] == ["Ann", "Bob", "Cy"]
    assert stv_table[first - 1][0] == "Candidate"  # the last header row

"""Unit tests for motions.counting.stored: a count's Result or Tally as JSON-safe data and back."""
from __future__ import annotations

import copy
import dataclasses
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motions.counting import meek, plurality, reserved, scottish, stored
from motions.counting.plurality import Tally
from motions.counting.stv import Ballot, CountError, Election, Result, Stage, render

NAMES = ("M1", "M2", "M3", "W1", "W2", "W3")
STEERING = Election(NAMES, 3, (
    Ballot((0, 1), 30), Ballot((1, 0), 25), Ballot((2,), 20), Ballot((3, 2), 10), Ballot((4, 3), 8),
    Ballot((0, 5), 7), Ballot((), 2), Ballot((1, 1), 1)), withdrawn=frozenset({5}))
WOMEN = frozenset({3, 4, 5})
TIED = Election(("A", "B", "C", "D"), 1,
                (Ballot((0,), 2), Ballot((1,), 2), Ballot((2, 0), 1), Ballot((3, 1), 1)))


def same(a, b, where="") -> None:
    """Equal, and of the same types all the way down (a Decimal with the same places)."""
    assert type(a) is type(b), (where, a, b)
    if isinstance(a, Decimal):
        assert a.as_tuple() == b.as_tuple(), (where, a, b)
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            same(a[key], b[key], f"{where}[{key!r}]")
    else:
        assert a == b, (where, a, b)


def json_safe(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_safe(v) for v in value)
    return value is None or isinstance(value, (str, int, bool))


def round_trip(outcome) -> None:
    data = stored.dump(outcome)
    assert json_safe(data)
    assert data["format"] == 1 and data["kind"] == ("stv" if isinstance(outcome, Result) else "tally")
    back = stored.load(data)
    assert back == outcome
    same(back, outcome)
    through_json = json.loads(json.dumps(data))
    assert through_json == data
    same(stored.load(through_json), outcome)
    assert stored.dump(back) == data


def test_an_stv_result_is_stored_with_its_figures_written_out():
    result = scottish.count(STEERING, seed="s")
    data = stored.dump(result)
    assert data["valid"] == "100" and data["quota"] == "26" and data["invalid"] == 3
    assert data["stages"][0]["votes"][0] == "37.00000" and data["stages"][0]["keep"] == []
    assert data["withdrawn"] == [5]
    assert data["note_parts"] == [["%(n)d empty ballots (no preference)", {"n": 2}],
                                  ["1 invalid ballot naming a candidate more than once", {}]]
    round_trip(result)


def test_meek_keep_values_and_notes_with_names_come_back():
    result = meek.count(TIED, seed="tie")
    data = stored.dump(result)
    lot = [p for s in data["stages"] for p in s["parts"] if "lot" in p[0]]
    assert lot and isinstance(lot[0][1]["names"], list)
    assert all(len(s["keep"]) == 4 for s in data["stages"])
    round_trip(result)
    assert any(isinstance(p[1]["names"], tuple) for s in stored.load(data).stages for p in s.parts
               if "names" in p[1])


def test_reserved_counts_and_tallies_come_back():
    for method in (scottish.count, meek.count):
        for result in reserved.count_reserved(STEERING, WOMEN, 1, method, seed="r"):
            round_trip(result)
    for method in plurality.METHODS:
        tally = plurality.count(STEERING, method=method, seed="t", group=WOMEN, reserved=1)
        data = stored.dump(tally)
        assert data["group"] == [3, 4, 5] and data["reserved"] == 1 and data["votes"][0] == tally.votes[0]
        round_trip(tally)


def test_a_hand_made_result_without_note_parts_comes_back():
    result = scottish.count(TIED, seed="x")
    bare = dataclasses.replace(result, note_parts=(), stages=tuple(dataclasses.replace(s, parts=())
                                                                   for s in result.stages))
    round_trip(bare)


# ------------------------------------------------------------------------------------------
# properties over many counts
# ------------------------------------------------------------------------------------------

@st.composite
def elections(draw) -> Election:
    n = draw(st.integers(2, 6))
    seats = draw(st.integers(1, n))
    withdrawn = draw(st.frozensets(st.integers(0, n - 1), max_size=n - seats))
    ranking = st.one_of(
        st.permutations(range(n)).flatmap(lambda p: st.integers(0, n).map(lambda k: tuple(p[:k]))),
        st.lists(st.integers(0, n), max_size=3).map(tuple),
    )
    ballots = draw(st.lists(st.builds(Ballot, ranking, st.integers(1, 7)), max_size=25))
    return Election(tuple(f"Candidate {i}" for i in range(n)), seats, tuple(ballots), withdrawn)


@settings(max_examples=150, deadline=None)
@given(elections(), st.sampled_from(["scottish", "meek", "approval", "plurality", "reserved-scottish",
                                     "reserved-meek", "reserved-approval"]), st.data())
def test_every_count_comes_back_from_its_stored_form(e, how, data):
    try:
        if how in ("scottish", "meek"):
            outcomes = [(meek if how == "meek" else scottish).count(e, seed="p")]
        elif how in ("approval", "plurality"):
            outcomes = [plurality.count(e, method=how, seed="p")]
        else:
            if e.seats < 2:
                return
            k = data.draw(st.integers(1, e.seats - 1))
            group = data.draw(st.frozensets(st.integers(0, len(e.candidates) - 1), min_size=1))
            method = how.split("-")[1]
            if method == "approval":
                outcomes = [plurality.count(e, method="approval", seed="p", group=group, reserved=k)]
            else:
                outcomes = list(reserved.count_reserved(e, group, k, meek.count if method == "meek"
                                                        else scottish.count, seed="p"))
    except CountError:
        return
    for outcome in outcomes:
        round_trip(outcome)


# ------------------------------------------------------------------------------------------
# malformed
# ------------------------------------------------------------------------------------------

def mutated(outcome, change):
    data = copy.deepcopy(stored.dump(outcome))
    change(data)
    return data


RESULT = meek.count(TIED, seed="tie")
TALLY = plurality.count(STEERING, method="approval", seed="t", group=WOMEN, reserved=1)


def _set(path, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _delete(path):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


@pytest.mark.parametrize("outcome, change, message", [
    (RESULT, _set(("format",), 2), "format 2 is not known"),
    (RESULT, _delete(("format",)), "no 'format'"),
    (RESULT, _set(("format",), True), "format True is not known"),
    (RESULT, _set(("kind",), "borda"), "unknown kind 'borda'"),
    (RESULT, _delete(("quota",)), "lacks 'quota'"),
    (RESULT, _set(("extra",), 1), "unexpected 'extra'"),
    (RESULT, _set(("valid",), 6), "decimal number written out as text"),
    (RESULT, _set(("valid",), "1e3"), "decimal number written out as text"),
    (RESULT, _set(("valid",), "NaN"), "decimal number written out as text"),
    (RESULT, _set(("seats",), "1"), "whole number"),
    (RESULT, _set(("seats",), True), "whole number"),
    (RESULT, _set(("invalid",), -1), "whole number"),
    (RESULT, _set(("elected",), [7]), "not one of the 4 candidates"),
    (RESULT, _set(("withdrawn",), [1, 1]), "names a candidate twice"),
    (RESULT, _set(("candidates",), ["A", 2, "C", "D"]), "list of text"),
    (RESULT, _set(("stages",), {}), "must be a list"),
    (RESULT, _set(("stages", 0, "votes"), ["1.0"]), "one figure per candidate"),
    (RESULT, _set(("stages", 0, "keep"), ["1.0"]), "must be empty or have one figure per candidate"),
    (RESULT, _set(("stages", 0, "subject"), 9), "candidate number or None"),
    (RESULT, _delete(("stages", 1, "note")), "stages'][1] lacks 'note'"),
    (RESULT, _set(("stages", 0, "parts"), ["quota"]), "must be a note"),
    (RESULT, _set(("stages", 0, "parts"), [["quota %(quota)s", {"quota": 1.5}]]), "a note's parameter"),
    (RESULT, _set(("note_parts",), [["x", {"n": [1, 2]}]]), "a note's parameter"),
    (TALLY, _set(("votes",), [1, 2]), "one figure per candidate (6)"),
    (TALLY, _set(("votes",), [1, 2, 3, 4, 5, -6]), "whole numbers >= 0"),
    (TALLY, _set(("group",), [9]), "not one of the 6 candidates"),
    (TALLY, _delete(("reserved_elected",)), "lacks 'reserved_elected'"),
    (TALLY, _set(("valid",), "97"), "whole number"),
])
def test_malformed_data_is_refused_with_a_clear_message(outcome, change, message):
    with pytest.raises(ValueError, match="stored count: .*" + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        stored.load(mutated(outcome, change))


@pytest.mark.parametrize("data", [None, [], "stv", 1])
def test_what_is_not_a_dict_is_refused(data):
    with pytest.raises(ValueError, match="stored count: expected a dict"):
        stored.load(data)


def test_only_results_and_tallies_are_dumped_and_params_must_be_storable():
    with pytest.raises(TypeError):
        stored.dump(STEERING)
    result = scottish.count(TIED, seed="x")
    odd = dataclasses.replace(result, note_parts=(("quota %(quota)s", {"quota": Decimal("1.5")}),))
    with pytest.raises(ValueError, match="cannot be stored"):
        stored.dump(odd)


def test_the_stored_form_is_what_the_module_docstring_says():
    assert stored.FORMAT == 1 and stored.__all__ == ["FORMAT", "dump", "load", "dump_note", "load_note"]
    stage_fields = {f.name for f in dataclasses.fields(Stage)}
    assert set(stored.dump(RESULT)["stages"][0]) == stage_fields
    assert set(stored.dump(RESULT)) == {f.name for f in dataclasses.fields(Result)} | {"format", "kind"}
    assert set(stored.dump(TALLY)) == {f.name for f in dataclasses.fields(Tally)} | {"format", "kind"}


def test_an_errors_note_is_stored_through_json_and_still_renders():
    e = Election(NAMES, 2, (Ballot((0,), 5), Ballot((1,), 4)))
    with pytest.raises(CountError) as caught:
        reserved.count_reserved(e, WOMEN, 1, scottish.count, seed="x")
    error = caught.value
    data = json.loads(json.dumps(stored.dump_note(error.note)))
    assert data == ["the reserved count: %(reason)s", {"reason": ["no valid ballot: there is nothing to count", {}]}]
    assert stored.load_note(data) == error.note
    assert render(stored.load_note(data)) == render(data) == str(error)  # render takes the JSON form too
    with pytest.raises(CountError) as caught:
        scottish.count(Election(NAMES, "3", ()))
    odd = stored.dump_note(caught.value.note)
    assert odd == ["an election needs at least one seat to fill (seats: %(seats)r)", {"seats": "3"}]
    assert stored.dump_note(("%(x)s", {"x": Decimal("1.5"), "names": ("A", "B")})) == [
        "%(x)s", {"x": "Decimal('1.5')", "names": ["A", "B"]}]
    with pytest.raises(ValueError, match="must be \\[template, params\\]"):
        stored.load_note(["x"])

"""Unit tests for motions.counting.blt: reading and writing the BLT ballot format."""
from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motions.counting.blt import BltError, dump, parse
from motions.counting.stv import Ballot, Election
from tests.conftest import shared_file

EXAMPLE = """\
# a comment before the header
4 2
-4
12 1 3 0
5 2 0      # five papers ranking Bob only

1 0
3 3 1 2 0
0
"Ann Able"
"Bob Baker"   # the sitting treasurer
"Cy Cole"
"Di #4 Dunn"
"Steering Committee 2025"
"""


def test_parse_reads_header_withdrawn_ballots_names_and_title():
    e = parse(EXAMPLE)
    assert e == Election(
        candidates=("Ann Able", "Bob Baker", "Cy Cole", "Di #4 Dunn"), seats=2,
        ballots=(Ballot((0, 2), 12), Ballot((1,), 5), Ballot((), 1), Ballot((2, 0, 1), 3)),
        withdrawn=frozenset({3}), title="Steering Committee 2025")


def test_parse_accepts_windows_line_endings_and_a_byte_order_mark():
    assert parse("\ufeff" + EXAMPLE.replace("\n", "\r\n")) == parse(EXAMPLE)


def test_dump_writes_the_format_and_parses_back():
    e = parse(EXAMPLE)
    text = dump(e)
    assert text.splitlines()[:3] == ["4 2", "-4", "12 1 3 0"]
    assert '"Di #4 Dunn"' in text and text.endswith('"Steering Committee 2025"\n')
    assert parse(text) == e


VALID_TAIL = '0\n"A"\n"B"\n"T"\n'


MALFORMED = [  # (a file the parser refuses, the line it names, part of the reason)
    ("", 1, "the file is empty"),
    ("2\n", 1, "expected two numbers"),
    ("2 1 3\n", 1, "expected two numbers"),
    ("two 1\n", 1, "'two' is not a whole number"),
    ("0 1\n", 1, "at least 1"),
    ("2 -1\n", 1, "cannot be negative"),
    ("2 1\n-3\n" + VALID_TAIL, 2, "withdrawn candidate 3 does not exist"),
    ("2 1\n-1 -1\n" + VALID_TAIL, 2, "candidate 1 is withdrawn twice"),
    ("2 1\n-1 2\n" + VALID_TAIL, 2, "written as negative numbers"),
    ("2 1\n1 1 x 0\n" + VALID_TAIL, 2, "'x' is not a whole number"),
    ("2 1\n1 1.5 0\n" + VALID_TAIL, 2, "'1.5' is not a whole number"),
    ("2 1\n1 1 2\n" + VALID_TAIL, 2, "must end with 0"),
    ("2 1\n3\n" + VALID_TAIL, 2, "must end with 0"),
    ("2 1\n1 1 0 2 0\n" + VALID_TAIL, 2, "0 only ends a ballot line"),
    ("2 1\n1 3 0\n" + VALID_TAIL, 2, "preference 3 names no candidate"),
    ("2 1\n1 1 -2 0\n" + VALID_TAIL, 2, "preference -2 names no candidate"),
    ("2 1\n1 2 1 2 0\n" + VALID_TAIL, 2, "candidate 2 is ranked twice"),
    ("2 1\n1 1=2 0\n" + VALID_TAIL, 2, "equal rankings ('=') are not supported"),
    ("2 1\n1 1 - 2 0\n" + VALID_TAIL, 2, "skipped rankings are not supported"),
    ("2 1\n(a7) 1 1 2 0\n" + VALID_TAIL, 2, "ballot ids"),
    ("2 1\n1 1 0\n-2 1 0\n" + VALID_TAIL, 3, "negative weight -2"),
    ("2 1\n0 1 0\n" + VALID_TAIL, 2, "weight 0"),
    ("2 1\n1 1 0\n", 3, "expected a line '0' after the last ballot"),
    ("2 1\n1 1 0\n0\n", 4, "too few names: 0 of 2"),
    ("2 1\n1 1 0\n0\n\"A\"\n", 5, "too few names: 1 of 2"),
    ("2 1\n1 1 0\n0\n\"A\"\n\"T\"\n", 6, "the title is missing after the 2 names (too few names?)"),
    ("2 1\n1 1 0\n0\nA\n\"B\"\n\"T\"\n", 4, "expected the name of candidate 1 in double quotes"),
    ("2 1\n1 1 0\n0\n\"A\n\"B\"\n\"T\"\n", 4, "no closing double quote"),
    ("2 1\n1 1 0\n0\n\"A\" x\n\"B\"\n\"T\"\n", 4, "unexpected text after the name"),
    ("2 1\n1 1 0\n0\n\"  \"\n\"B\"\n\"T\"\n", 4, "the name of candidate 1 is empty"),
    ("2 1\n1 1 0\n0\n\"A\"\n\"A\"\n\"T\"\n", 5, "both named 'A'"),
    ("2 1\n1 1 0\n0\n\"A\"\n\"B\"\nT\n", 6, "expected the title in double quotes"),
    ("2 1\n1 1 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n", 7, "unexpected line after the title"),
    ("2 x\n", 1, "'x' is not a whole number (the number of seats)"),
    ("2 1\n-x\n" + VALID_TAIL, 2, "'-x' is not a whole number (a withdrawn candidate)"),
    ("2 1\n1 1 0\n0\n\"A\"\n\"B\"\n\"T\n", 6, "the title has no closing double quote"),
    ("2 1\n1 1 0\n0\n\"A\"\n\"B\"\n\"T\" x\n", 6, "unexpected text after the title: 'x'"),
]


@pytest.mark.parametrize("text, line, reason", MALFORMED)
def test_malformed_files_say_which_line_and_why(text, line, reason):
    with pytest.raises(BltError) as caught:
        parse(text)
    error = caught.value
    assert error.line == line
    assert reason in error.reason
    assert str(error) == f"line {line}: {error.reason}"
    assert isinstance(error, ValueError)


def test_a_blt_error_keeps_its_reason_as_a_note():
    template = "preference %(preference)d names no candidate: there are %(n)d candidates"
    error = BltError(3, template, preference=5, n=2)
    assert (error.line, error.template, error.params) == (3, template, {"preference": 5, "n": 2})
    assert error.note == (error.template, error.params)
    assert error.reason == "preference 5 names no candidate: there are 2 candidates"
    assert str(error) == "line 3: preference 5 names no candidate: there are 2 candidates"
    again = pickle.loads(pickle.dumps(error))
    assert (again.line, again.note, str(again)) == (error.line, error.note, str(error))
    with pytest.raises(BltError) as caught:
        parse('2 1\n1 1 0\n0\n"A"\n"A"\n"T"\n')
    assert caught.value.note == ("two candidates are both named %(name)s", {"name": "'A'"})


@pytest.mark.parametrize("e, message", [
    (Election(("A", 'B "the" C'), 1, ()), "cannot be written"),
    (Election(("A", "B\nC"), 1, ()), "cannot be written"),
    (Election(("A", " "), 1, ()), "empty name"),
    (Election(("A", "A"), 1, ()), "same name"),
    (Election(("A", "B"), 1, (Ballot((0, 0), 1),)), "twice"),
    (Election(("A", "B"), 1, (Ballot((2,), 1),)), "unknown candidate"),
    (Election(("A", "B"), 1, (Ballot((0,), 0),)), "weight"),
    (Election(("A", "B"), 1, (), title='say "hi"'), "title"),
    (Election(("A", "B"), 1, (), withdrawn=frozenset({2})), "withdrawn"),
    (Election((), 1, ()), "at least one candidate"),
])
def test_dump_refuses_what_the_format_cannot_hold(e, message):
    with pytest.raises(ValueError, match=message):
        dump(e)


def test_an_edinburgh_file_parses_and_round_trips():
    text = shared_file("data/stv/edinburgh-2017/ward_13_-_leith.blt").read_text(encoding="utf-8")
    e = parse(text)
    assert e.seats == 3 and len(e.candidates) == 5
    assert e.candidates[0] == "Chas BOOTH" and e.title == "Ward 13 - Leith"
    assert sum(b.weight for b in e.ballots) == 7613  # the valid ballots the council declared
    assert parse(dump(e)) == e


# ------------------------------------------------------------------------------------------
# round trip over random elections
# ------------------------------------------------------------------------------------------

name_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).filter(
    lambda s: s.strip() and '"' not in s and len((s + "x").splitlines()) == 1)


@st.composite
def elections(draw) -> Election:
    names = draw(st.lists(name_text, min_size=1, max_size=6, unique=True))
    n = len(names)
    ballots = draw(st.lists(st.builds(
        Ballot,
        st.permutations(range(n)).flatmap(lambda p: st.integers(0, n).map(lambda k: tuple(p[:k]))),
        st.integers(1, 10_000)), max_size=20))
    title = draw(st.one_of(st.just(""), name_text))
    return Election(tuple(names), draw(st.integers(0, n + 2)), tuple(ballots),
                    draw(st.frozensets(st.integers(0, n - 1))), title)


@settings(max_examples=200, deadline=None)
@given(elections())
def test_dump_then_parse_gives_the_same_election(e):
    assert parse(dump(e)) == e


@settings(max_examples=100, deadline=None)
@given(elections())
def test_parse_is_indifferent_to_blank_lines_comments_and_spacing(e):
    text = dump(e)
    noisy = "\n".join(f"  {line.replace(' ', '   ')}  \n# a comment\n" if not line.startswith('"') else line
                      for line in text.splitlines())
    assert parse(noisy) == e

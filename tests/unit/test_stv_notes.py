"""Every sentence the counting core writes can be shown in another language: stage notes, result
notes, the reasons of validate, CountError messages, the reasons of BltError (a malformed BLT file)
and reserved.RULE_TEXT are notes (an English template marked with N_ in the source, and its
parameters) that render() passes through gettext.

Checked over many counts (the Edinburgh 2017 wards, the hand-made ties of the other tests, Meek
counts, reserved seats, invalid ballots, random elections, refused counts) and over the malformed
BLT files of test_stv_blt.py:

* rendered with no gettext, the notes give exactly Stage.note, Result.notes and str(error);
* rendered with a gettext that wraps every message in << >>, nothing is left outside a wrapped
  message (no English outside gettext), every template went through gettext, and the
  parameters are only names, figures, counts and seeds (no English hidden in a value);
* every template used is among the messages Babel extracts from the source with -k N_.
"""
from __future__ import annotations

import ast
import csv
import functools
import pickle
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from hypothesis import given, settings
from hypothesis import strategies as st

import motions.counting
from motions.counting import blt, meek, plurality, reserved, scottish
from motions.counting.stv import (
    N_,
    Ballot,
    CountError,
    Election,
    Note,
    render,
    render_parts,
    validate,
    validate_notes,
)
from tests.unit.test_stv_blt import MALFORMED

COUNTING = Path(motions.counting.__file__).resolve().parent
EDINBURGH = Path(__file__).resolve().parents[3] / "shared" / "data" / "stv" / "edinburgh-2017"
PLACEHOLDER = re.compile(r"%\((\w+)\)([sdr])")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def election(names: str, seats: int, *ballots: tuple[int, str], withdrawn: str = "") -> Election:
    """Candidates are single letters; a ballot is (papers, "ranking as letters")."""
    return Election(candidates=tuple(names), seats=seats,
                    ballots=tuple(Ballot(tuple(names.index(c) for c in ranking), k) for k, ranking in ballots),
                    withdrawn=frozenset(names.index(c) for c in withdrawn))


# the hand-made counts of test_stv_scottish.py and test_stv_meek.py
SURPLUS_TIE = election("APQRSZ", 4, (12, "AQ"), (28, "A"), (15, "PS"), (12, "QR"), (11, "R"), (10, "S"),
                       (6, "ZP"), (3, "ZQ"))
EXCLUSION_TIE = election("ABYXZ", 2, (4, "AY"), (34, "A"), (7, "B"), (5, "XB"), (4, "Y"), (1, "ZX"))
THREE_WAY = election("ABWXYZ", 2, (6, "AW"), (2, "AX"), (40, "A"), (7, "B"), (3, "W"), (4, "X"), (5, "Y"),
                     (1, "ZX"), (1, "ZY"))
LOT = election("ABC", 1, (2, "A"), (2, "B"), (2, "C"))
EQUAL_SURPLUSES = election("ABCD", 3, (5, "AC"), (5, "BD"), (2, "C"), (1, "D"))
RULE_52 = election("ABC", 2, (4, "A"), (3, "B"), (2, "C"))
RETRANSFER = election("ACDE", 2, (40, "AD"), (25, "C"), (17, "D"), (18, "EAC"))
EXHAUST = election("ABC", 2, (4, "A"), (3, "B"), (2, "C"))
ONE_AT_A_TIME = election("ABCDE", 1, (8, "A"), (6, "B"), (4, "CB"), (2, "DC"), (1, "EDC"))
MEEK_TIE = election("ABCD", 1, (2, "A"), (2, "B"), (1, "CA"), (1, "DB"))
WITHDRAWN_LAST = election("ABW", 2, (3, "A"), (1, "WB"), withdrawn="W")
INVALID = Election(("A", "B", "C"), 1, (
    Ballot((0, 1), 5), Ballot((), 2), Ballot((1, 1), 1), Ballot((0, 7), 1), Ballot((2,), 3), Ballot((1,), 0)))
INVALID_ONE_EACH = Election(("A", "B", "C"), 1, (
    Ballot((0, 1), 5), Ballot((), 1), Ballot((1, 1), 1), Ballot((0, 7), 1), Ballot((1, 2), 1), Ballot((2,), 1)),
    frozenset({2}))
ONLY_WITHDRAWN = election("ABC", 1, (3, "BA"), (2, "C"), (1, "B"), (2, "BC"), withdrawn="BC")
HAND_MADE = [SURPLUS_TIE, EXCLUSION_TIE, THREE_WAY, LOT, EQUAL_SURPLUSES, RULE_52, RETRANSFER, EXHAUST,
             ONE_AT_A_TIME, MEEK_TIE, WITHDRAWN_LAST, INVALID, INVALID_ONE_EACH, ONLY_WITHDRAWN]

STEERING = Election(("M1", "M2", "M3", "W1", "W2", "W3"), 3, (
    Ballot((0, 1), 30), Ballot((1, 0), 25), Ballot((2,), 20), Ballot((3, 2), 10), Ballot((4, 3), 8),
    Ballot((0, 5), 7)))
WOMEN = frozenset({3, 4, 5})

REFUSED = [  # (a call that raises CountError)
    lambda: scottish.count(election("AB", 0, (1, "A"))),
    lambda: meek.count(election("AB", 3, (1, "A"))),
    lambda: scottish.count(election("ABC", 2, (1, "A"), withdrawn="BC")),
    lambda: scottish.count(election("AB", 1, (1, "A"), withdrawn="AB")),
    lambda: scottish.count(election("ABC", 3, (1, "A"), withdrawn="C")),
    lambda: meek.count(Election(("A", "B"), 1, (Ballot((), 3),))),
    lambda: scottish.count(Election(("A", "B"), 1, (Ballot((0,), -1),))),
    lambda: scottish.count(Election(("A", "B"), 1, (Ballot((0,), 1),), withdrawn=frozenset({5}))),
    lambda: reserved.count_reserved(STEERING, frozenset(), 1, scottish.count),
    lambda: reserved.count_reserved(STEERING, frozenset({3, 9}), 1, scottish.count),
    lambda: reserved.count_reserved(STEERING, WOMEN, 0, scottish.count),
    lambda: reserved.count_reserved(STEERING, WOMEN, 3, scottish.count),
    lambda: reserved.count_reserved(Election(STEERING.candidates, 4, STEERING.ballots), frozenset({3, 4}), 3,
                                    scottish.count),
    lambda: reserved.count_reserved(Election(STEERING.candidates, 3, STEERING.ballots, frozenset({3, 4})),
                                    WOMEN, 2, scottish.count),
    lambda: reserved.count_reserved(Election(STEERING.candidates, 3, STEERING.ballots, frozenset({3, 4, 5})),
                                    WOMEN, 1, scottish.count),
    lambda: reserved.count_reserved(Election(STEERING.candidates, 5, STEERING.ballots, frozenset({0, 1})),
                                    WOMEN, 1, scottish.count),
    lambda: reserved.count_reserved(Election(STEERING.candidates, 2, (Ballot((0,), 5), Ballot((1,), 4))),
                                    WOMEN, 1, meek.count),
    lambda: reserved.count_reserved(Election(STEERING.candidates, 2, (Ballot((3,), 5),)), WOMEN, 1,
                                    scottish.count),
    lambda: plurality.count(STEERING, method="borda"),
    lambda: plurality.count(Election(("A", "B"), 1, (Ballot((0, 1), 3),)), method="plurality"),
    lambda: plurality.count(Election(("A", "B"), 1, (Ballot((0,), 1.5),)), method="approval"),
    lambda: plurality.count(STEERING, method="approval", group=WOMEN, reserved=3),
]


def edinburgh() -> list[Election]:
    if not (EDINBURGH / "winners.csv").exists():
        return []
    from motions.counting.blt import parse

    with open(EDINBURGH / "winners.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [parse((EDINBURGH / row["file"]).read_text(encoding="utf-8")) for row in rows]


def results():
    """Every count of the corpus (Results), each with the seeds that vary its lots."""
    for e in HAND_MADE:
        for seed in ("a", "b", "tie", "s1", "0"):
            for method in (scottish.count, meek.count):
                yield method(e, seed=seed)
    for seed in ("r", "s"):
        for method in (scottish.count, meek.count):
            yield from reserved.count_reserved(STEERING, WOMEN, 1, method, seed=seed)
    for e in edinburgh():
        yield scottish.count(e, seed="edinburgh-2017")
    for e in edinburgh()[:3]:
        yield meek.count(e, seed="edinburgh-2017")


def errors() -> list[CountError]:
    found = []
    for call in REFUSED:
        with pytest.raises(CountError) as caught:
            call()
        found.append(caught.value)
    return found


class Wrapping:
    """A gettext that wraps every message in << >> and remembers what it was given."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, message: str) -> str:
        self.seen.add(message)
        return f"<<{message}>>"


def outside(text: str) -> str:
    """What of ``text`` stands outside every << >>."""
    depth, out, i = 0, [], 0
    while i < len(text):
        if text.startswith("<<", i):
            depth, i = depth + 1, i + 2
        elif text.startswith(">>", i) and depth:
            depth, i = depth - 1, i + 2
        else:
            if depth == 0:
                out.append(text[i])
            i += 1
    assert depth == 0, text
    return "".join(out)


def templates(note: Note) -> set[str]:
    """The template of ``note`` and of every note nested in its params."""
    template, params = note
    found = {template}
    for value in params.values():
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
            found |= templates(value)
    return found


@functools.cache
def extracted() -> frozenset[str]:
    """The messages Babel extracts from the counting core with the keyword N_."""
    messages = set()
    for path in sorted(COUNTING.glob("*.py")):
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"N_": None}):
            messages.add(message)
    return frozenset(messages)


def check_note(note: Note, names: tuple[str, ...], seed: str | None) -> None:
    """The template is one Babel extracts; the placeholders are exactly the params, and each
    value is a name, a figure, a count or the seed, never English words."""
    template, params = note
    assert isinstance(template, str) and isinstance(params, dict)
    assert template in extracted(), f"{template!r} is not extracted by pybabel -k N_"
    assert {name for name, _ in PLACEHOLDER.findall(template)} == set(params), note
    for key, value in params.items():
        conversion = dict(PLACEHOLDER.findall(template))[key]
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
            check_note(value, names, seed)
        elif isinstance(value, tuple):
            assert value and all(v in names for v in value), (key, value)
        elif isinstance(value, int):
            assert not isinstance(value, bool) and conversion in "dr", (key, value)
        elif conversion == "r":  # a seed, or the faulty value of an error
            assert value == seed or seed is None, (key, value)
        else:
            assert isinstance(value, str) and (value in names or NUMBER.fullmatch(value)), (key, value)


def check_rendering(parts: tuple[Note, ...], english: str, names, seed, joined: bool, seen: set[str]) -> None:
    """The notes render to the English text, and every word of them goes through gettext."""
    text = render_parts(parts) if joined else render(parts[0])
    assert text == english
    wrapping = Wrapping()
    wrapped = render_parts(parts, wrapping) if joined else render(parts[0], wrapping)
    assert outside(wrapped) == "", wrapped
    for part in parts:
        check_note(part, names, seed)
        assert templates(part) <= wrapping.seen
        seen |= templates(part)
    if len(parts) > 1:
        assert "; " in wrapping.seen


def check_result(result, seen: set[str]) -> None:
    names, seed = result.candidates, result.seed
    for stage in result.stages:
        assert bool(stage.parts) == bool(stage.note)
        check_rendering(stage.parts, stage.note, names, seed, True, seen)
    assert len(result.notes) == len(result.note_parts)
    for english, note in zip(result.notes, result.note_parts):
        check_rendering((note,), english, names, seed, False, seen)


def check_error(error: CountError, seen: set[str]) -> None:
    assert render(error.note) == str(error)
    assert (error.template, error.params) == error.note
    wrapping = Wrapping()
    assert outside(render(error.note, wrapping)) == ""
    assert templates(error.note) <= wrapping.seen
    check_note(error.note, ("A", "B", "C", "M1", "M2", "M3", "W1", "W2", "W3"), None)
    seen |= templates(error.note)


def test_every_note_of_every_count_renders_to_the_english_and_passes_through_gettext():
    seen: set[str] = set()
    count = 0
    for result in results():
        check_result(result, seen)
        count += 1
    assert count > 100
    # the corpus meets the sentences it is there for
    for template in ("tie for surplus between %(tied)s: %(names)s had the most votes at the end of stage "
                     "%(stage)d, the most recent stage at which they differed (rule 49(2))",
                     "tie for exclusion between %(tied)s: %(names)s had the fewest votes at the end of stage "
                     "%(stage)d, the most recent stage at which they differed (rule 51(2)(a))",
                     "of those, %(names)s had the fewest votes at the end of stage %(stage)d, the most recent "
                     "stage at which they differed (rule 51(2)(a))",
                     "%(chosen)s chosen by lot (rule 51(2)(b); seed %(seed)r, stage %(stage)d)",
                     "%(chosen)s chosen by lot (rule 49(3); seed %(seed)r, stage %(stage)d)",
                     "%(names)s deemed elected: as many continuing candidates as vacancies left, no further "
                     "transfer (rule 52)",
                     "%(names)s equal lowest with %(votes)s votes: %(chosen)s excluded by lot (seed %(seed)r)",
                     "%(names)s elected: as many hopeful candidates as seats left",
                     "quota %(quota)s",
                     "1 ballot set aside: it names only withdrawn candidates",
                     "%(n)d ballots set aside: they name only withdrawn candidates",
                     "1 empty ballot (no preference)", "%(n)d empty ballots (no preference)",
                     "1 invalid ballot naming a candidate more than once"):
        assert template in seen, template
    assert any(t.startswith("keep values settled after %(n)d iterations") for t in seen)


def test_every_error_renders_to_its_message_and_passes_through_gettext():
    seen: set[str] = set()
    for error in errors():
        check_error(error, seen)
    assert len(seen) >= 12
    nested = [e for e in errors() if e.template.startswith("the reserved count")]
    assert nested and render(nested[0].note, Wrapping()).startswith("<<the reserved count: <<no valid ballot")


def blt_errors() -> list[blt.BltError]:
    """The BltError of every malformed file of test_stv_blt.py."""
    found = []
    for text, _line, _reason in MALFORMED:
        with pytest.raises(blt.BltError) as caught:
            blt.parse(text)
        found.append(caught.value)
    return found


@functools.cache
def extracted_from(path: Path) -> frozenset[str]:
    """The messages Babel extracts from one source file with the keyword N_."""
    return frozenset(message for _, message, _, _ in extract_from_file("python", str(path),
                                                                        keywords={"N_": None}))


def check_blt_note(note: Note) -> None:
    """The template is one Babel extracts; the placeholders are exactly the params; each value is a
    number, a nested note, or text of the file written as repr writes it (a token, a name: quoted,
    so that no English word hides in a value)."""
    template, params = note
    assert isinstance(template, str) and isinstance(params, dict)
    assert template in extracted(), f"{template!r} is not extracted by pybabel -k N_"
    assert {name for name, _ in PLACEHOLDER.findall(template)} == set(params), note
    for key, value in params.items():
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
            check_blt_note(value)
        elif isinstance(value, int):
            conversion = dict(PLACEHOLDER.findall(template))[key]
            assert not isinstance(value, bool) and conversion == "d", (key, value)
        else:
            assert isinstance(value, str) and isinstance(ast.literal_eval(value), str), (key, value)


def test_every_blt_error_renders_to_its_reason_and_passes_through_gettext():
    seen: set[str] = set()
    for error in blt_errors():
        assert (error.template, error.params) == error.note
        assert render(error.note) == error.reason and str(error) == f"line {error.line}: {error.reason}"
        wrapping = Wrapping()
        wrapped = render(error.note, wrapping)
        assert outside(wrapped) == "", wrapped
        assert templates(error.note) <= wrapping.seen
        check_blt_note(error.note)
        seen |= templates(error.note)
    # every sentence the parser can write is met by the corpus, and each is extracted from blt.py
    assert seen == extracted_from(COUNTING / "blt.py")
    nested = [e for e in blt_errors() if e.template == "unexpected text after the %(what)s: %(found)s"]
    assert {render(e.note, Wrapping()) for e in nested} == {
        "<<unexpected text after the <<name of candidate 1>>: 'x'>>",
        "<<unexpected text after the <<title>>: 'x'>>"}


def test_a_blt_error_renders_in_the_language_of_the_gettext():
    chinese = {"two candidates are both named %(name)s": "两名候选人的姓名都是 %(name)s",
               "%(token)s is not a whole number (%(what)s)": "%(token)s 不是整数（%(what)s）",
               "the number of seats": "席位数"}
    errors = {e.template: e for e in blt_errors()}
    named = errors["two candidates are both named %(name)s"]
    assert render(named.note, lambda s: chinese.get(s, s)) == "两名候选人的姓名都是 'A'"
    seats = next(e for e in blt_errors() if e.params.get("what") == ("the number of seats", {}))
    assert render(seats.note, lambda s: chinese.get(s, s)) == "'x' 不是整数（席位数）"


def tallies():
    """Approval and plurality counts: invalid ballots of every kind, ties, reserved seats."""
    faulty = Election(("A", "B", "C", "D"), 1, (
        Ballot((0,), 5), Ballot((), 2), Ballot((0, 9), 1), Ballot((1, 1), 3), Ballot((2, 3), 1), Ballot((3,), 2),
        Ballot((3, 2), 2), Ballot((1, 7), 1)), frozenset({3}))
    single = Election(("A", "B", "C", "D"), 1, (
        Ballot((0,), 5), Ballot((), 1), Ballot((0, 9), 1), Ballot((1, 1), 1), Ballot((2, 3), 1), Ballot((3,), 1)),
        frozenset({3}))
    tied = Election(("A", "B", "C", "D", "E"), 3, tuple(Ballot((c,), 3) for c in range(4)) + (Ballot((4,), 9),))
    for seed in ("a", "b", "c"):
        for method in plurality.METHODS:
            yield plurality.count(faulty, method=method, seed=seed)
            yield plurality.count(single, method=method, seed=seed)
            yield plurality.count(tied, method=method, seed=seed)
            yield plurality.count(Election(tied.candidates, 2, tied.ballots), method=method, seed=seed)
            yield plurality.count(STEERING, method=method, seed=seed, group=WOMEN, reserved=1)
            yield plurality.count(tied, method=method, seed=seed, group=frozenset({0, 1, 2}), reserved=1)
            yield plurality.count(tied, method=method, seed=seed, group=frozenset({0, 1, 2}), reserved=2)


def test_every_note_of_every_tally_renders_to_the_english_and_passes_through_gettext():
    seen: set[str] = set()
    for tally in tallies():
        assert len(tally.notes) == len(tally.note_parts)
        for english, note in zip(tally.notes, tally.note_parts):
            check_rendering((note,), english, tally.candidates, tally.seed, False, seen)
    assert {"1 empty ballot (no mark)", "%(n)d empty ballots (no mark)",
            "1 invalid ballot marking an unknown candidate", "%(n)d invalid ballots marking an unknown candidate",
            "1 invalid ballot marking a candidate more than once",
            "%(n)d invalid ballots marking a candidate more than once",
            "1 over-voted ballot (more marks than seats)", "%(n)d over-voted ballots (more marks than seats)",
            "1 ballot set aside: it marks only withdrawn candidates",
            "%(n)d ballots set aside: they mark only withdrawn candidates"} <= seen
    assert {t for t in seen if "chosen by lot" in t} == {
        "%(tied)s had equal votes (%(votes)d) for the last seat: %(chosen)s chosen by lot (seed %(seed)r)",
        "%(tied)s had equal votes (%(votes)d) for the last %(places)d seats: %(chosen)s chosen by lot "
        "(seed %(seed)r)",
        "%(tied)s had equal votes (%(votes)d) for the last reserved seat: %(chosen)s chosen by lot "
        "(seed %(seed)r)",
        "%(tied)s had equal votes (%(votes)d) for the last %(places)d reserved seats: %(chosen)s chosen by lot "
        "(seed %(seed)r)"}
    assert plurality.RESERVED_RULE_TEXT in extracted()


def test_validate_gives_its_reasons_as_notes_too():
    ballots = [Ballot((0, 1), 2), Ballot((), 1), Ballot((0, 0), 3), Ballot((2,), 1), Ballot((), 1)]
    valid, invalid, reasons = validate(("A", "B"), ballots)
    valid_n, invalid_n, notes = validate_notes(("A", "B"), ballots)
    assert (valid, invalid) == (valid_n, invalid_n)
    assert reasons == [render(note) for note in notes] == [
        "2 empty ballots (no preference)", "1 invalid ballot naming an unknown candidate",
        "3 invalid ballots naming a candidate more than once"]
    for note in notes:
        check_note(note, ("A", "B"), None)


@st.composite
def elections(draw) -> Election:
    n = draw(st.integers(1, 6))
    seats = draw(st.integers(1, n))
    withdrawn = draw(st.frozensets(st.integers(0, n - 1), max_size=n - seats))
    ranking = st.one_of(
        st.permutations(range(n)).flatmap(lambda p: st.integers(0, n).map(lambda k: tuple(p[:k]))),
        st.lists(st.integers(0, n + 1), max_size=3).map(tuple),  # may repeat or name an unknown one
    )
    ballots = draw(st.lists(st.builds(Ballot, ranking, st.integers(1, 3)), max_size=25))
    return Election(tuple(f"C{i}" for i in range(n)), seats, tuple(ballots), withdrawn)


@settings(max_examples=150, deadline=None)
@given(elections(), st.sampled_from(["scottish", "meek"]))
def test_random_counts_render_their_notes_through_gettext(e, method):
    try:
        result = (meek if method == "meek" else scottish).count(e, seed="h")
    except CountError as error:
        check_error(error, set())
        return
    check_result(result, set())


def test_names_are_joined_in_the_language_of_the_gettext():
    chinese = {", ": "、", " and ": "和", "; ": "；",
               "%(names)s elected: as many hopeful candidates as seats left": "%(names)s当选：候选人与剩余席位一样多"}
    note = (N_("%(names)s elected: as many hopeful candidates as seats left"), {"names": ("甲", "乙", "丙")})
    assert render(note, lambda s: chinese.get(s, s)) == "甲、乙和丙当选：候选人与剩余席位一样多"
    assert render(note) == "甲, 乙 and 丙 elected: as many hopeful candidates as seats left"
    assert render((note[0], {"names": ("甲",)})) == "甲 elected: as many hopeful candidates as seats left"
    assert render_parts([note, ("quota %(quota)s", {"quota": "2.5"})], lambda s: chinese.get(s, s)) == (
        "甲、乙和丙当选：候选人与剩余席位一样多；quota 2.5")
    assert render(("quota %(quota)s", {"quota": Decimal("0.000000")})) == "quota 0.000000"
    assert render_parts([]) == ""


def test_count_error_keeps_its_template_and_params():
    error = CountError(N_("withdrawn candidate %(candidate)r is not one of the %(n)d candidates"), candidate=5, n=2)
    assert str(error) == "withdrawn candidate 5 is not one of the 2 candidates"
    assert error.note == ("withdrawn candidate %(candidate)r is not one of the %(n)d candidates",
                          {"candidate": 5, "n": 2})
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.note == error.note
    assert isinstance(error, ValueError)


def test_rule_text_and_the_separators_are_messages_of_their_own():
    assert reserved.RULE_TEXT in extracted()
    assert {", ", " and ", "; "} <= extracted()


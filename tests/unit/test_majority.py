"""Unit tests for motions.counting.majority: the majority rules, casting votes, card votes, words."""

import io
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from hypothesis import given, settings
from hypothesis import strategies as st

import motions.counting.majority as majority_module
from motions.counting.majority import (
    RULES,
    Counts,
    Result,
    apply_casting_vote,
    decide,
    describe,
    threshold,
)

# ------------------------------------------------------------------------------------------
# the table
# ------------------------------------------------------------------------------------------

S, T, P, E = RULES
C = Counts

# rule, counts, present, entitled, casting vote, headcount -> outcome, base, threshold
CASES = [
    # simple: more yes than no; abstentions do not count
    pytest.param(S, C(9, 8), None, None, False, None, "carried", 17, 9, id="simple 9-8 carries"),
    pytest.param(S, C(8, 9), None, None, False, None, "lost", 17, 9, id="simple 8-9 loses"),
    pytest.param(S, C(41, 12, 3), None, None, False, None, "carried", 53, 27, id="simple 41-12-3"),
    pytest.param(S, C(1, 0, 50), None, None, False, None, "carried", 1, 1, id="simple 1-0 with 50 abstaining"),
    pytest.param(S, C(9, 9, 2), None, None, False, None, "lost", 18, 10, id="simple tie loses"),
    pytest.param(S, C(9, 9, 2), None, None, True, None, "tie", 18, 10, id="simple tie with casting vote"),
    pytest.param(S, C(1, 1), None, None, True, None, "tie", 2, 2, id="simple 1-1 with casting vote"),
    pytest.param(S, C(10, 9), None, None, True, None, "carried", 19, 10, id="casting vote not needed"),
    pytest.param(S, C(0, 0), None, None, False, None, "lost", 0, 1, id="simple no votes"),
    pytest.param(S, C(0, 0), None, None, True, None, "lost", 0, 1, id="simple 0-0 is no tie"),
    pytest.param(S, C(0, 0, 12), None, None, False, None, "lost", 0, 1, id="simple all abstain"),
    pytest.param(S, C(0, 0, 12), None, None, True, None, "lost", 0, 1, id="simple all abstain, casting"),
    pytest.param(S, C(9, 8), 20, 25, False, None, "carried", 17, 9, id="simple ignores present"),
    # two thirds of yes + no
    pytest.param(T, C(2, 1), None, None, False, None, "carried", 3, 2, id="2/3 2-1 carries"),
    pytest.param(T, C(1, 1), None, None, False, None, "lost", 2, 2, id="2/3 1-1 loses"),
    pytest.param(T, C(1, 1), None, None, True, None, "lost", 2, 2, id="2/3 no casting vote"),
    pytest.param(T, C(1, 0), None, None, False, None, "carried", 1, 1, id="2/3 1-0 carries"),
    pytest.param(T, C(0, 1), None, None, False, None, "lost", 1, 1, id="2/3 0-1 loses"),
    pytest.param(T, C(20, 10), None, None, False, None, "carried", 30, 20, id="2/3 20-10 carries"),
    pytest.param(T, C(19, 10), None, None, False, None, "lost", 29, 20, id="2/3 19-10 loses"),
    pytest.param(T, C(200, 100), None, None, False, None, "carried", 300, 200, id="2/3 200-100"),
    pytest.param(T, C(666, 334), None, None, False, None, "lost", 1000, 667, id="2/3 666-334 loses"),
    pytest.param(T, C(667, 333), None, None, False, None, "carried", 1000, 667, id="2/3 667-333"),
    pytest.param(T, C(700, 250, 50), None, None, False, None, "carried", 950, 634, id="2/3 700-250-50"),
    pytest.param(T, C(0, 0), None, None, False, None, "lost", 0, 1, id="2/3 no votes"),
    pytest.param(T, C(0, 0, 7), None, None, False, None, "lost", 0, 1, id="2/3 all abstain"),
    # absolute majority of those present: abstaining and not voting count against
    pytest.param(P, C(500, 100), 1000, None, False, None, "lost", 1000, 501, id="present 500 of 1000"),
    pytest.param(P, C(501, 100), 1000, None, False, None, "carried", 1000, 501, id="present 501 of 1000"),
    pytest.param(P, C(60, 30, 20), 110, None, False, None, "carried", 110, 56, id="present 60 of 110"),
    pytest.param(P, C(60, 30, 30), 120, None, False, None, "lost", 120, 61, id="abstentions count against"),
    pytest.param(P, C(60, 0), 121, None, False, None, "lost", 121, 61, id="non-voters count against"),
    pytest.param(P, C(60, 0), 119, None, False, None, "carried", 119, 60, id="60 of 119 present"),
    pytest.param(P, C(50, 50), 100, None, True, None, "lost", 100, 51, id="present no casting vote"),
    pytest.param(P, C(0, 0), 0, None, False, None, "lost", 0, 1, id="present nobody"),
    pytest.param(P, C(0, 0), 10, None, False, None, "lost", 10, 6, id="present no votes"),
    pytest.param(P, C(0, 0, 10), 10, None, False, None, "lost", 10, 6, id="present all abstain"),
    pytest.param(P, C(1, 0), 1, None, False, None, "carried", 1, 1, id="present 1 of 1"),
    # absolute majority of those entitled to vote
    pytest.param(E, C(500, 0), None, 1000, False, None, "lost", 1000, 501, id="entitled 500 of 1000"),
    pytest.param(E, C(501, 0), None, 1000, False, None, "carried", 1000, 501, id="entitled 501 of 1000"),
    pytest.param(E, C(501, 0), 600, 1000, False, None, "carried", 1000, 501, id="entitled, present given"),
    pytest.param(E, C(600, 10), None, 1200, False, None, "lost", 1200, 601, id="entitled 600 of 1200"),
    pytest.param(E, C(601, 10), None, 1200, False, None, "carried", 1200, 601, id="entitled 601 of 1200"),
    pytest.param(E, C(300, 0), 400, 700, False, None, "lost", 700, 351, id="absent count against"),
    pytest.param(E, C(40, 40), None, 80, True, None, "lost", 80, 41, id="entitled no casting vote"),
    pytest.param(E, C(0, 0), None, 0, False, None, "lost", 0, 1, id="entitled nobody"),
    pytest.param(E, C(0, 0, 9), None, 9, False, None, "lost", 9, 5, id="entitled all abstain"),
    # card votes: the rule is applied to the weighted totals, the ballots are kept
    pytest.param(S, C(5200, 3100, 400), None, None, False, C(41, 30, 4), "carried", 8300, 4151, id="card agrees"),
    pytest.param(S, C(5000, 3000), None, None, False, C(10, 30), "carried", 8000, 4001, id="card: weights carry"),
    pytest.param(S, C(1000, 3000), None, None, False, C(30, 10), "lost", 4000, 2001, id="card: weights lose"),
    pytest.param(S, C(3000, 3000), None, None, True, C(30, 10), "tie", 6000, 3001, id="card: weighted tie"),
    pytest.param(S, C(0, 0), None, None, True, C(3, 3), "lost", 0, 1, id="card: zero weights"),
    pytest.param(T, C(2000, 1000), None, None, False, C(5, 40), "carried", 3000, 2000, id="card two thirds"),
    pytest.param(P, C(4000, 3000, 1000), 9000, None, False, C(50, 20, 5), "lost", 9000, 4501, id="card present"),
    pytest.param(E, C(6001, 0), 6500, 12000, False, C(3, 0), "carried", 12000, 6001, id="card entitled"),
]


@pytest.mark.parametrize(
    "rule, counts, present, entitled, casting_vote, headcount, outcome, base, needed", CASES
)
def test_majority_table(rule, counts, present, entitled, casting_vote, headcount, outcome, base, needed):
    result = decide(
        rule, counts, present=present, entitled=entitled, casting_vote=casting_vote, headcount=headcount
    )
    assert (result.outcome, result.base, result.threshold) == (outcome, base, needed)
    assert result == Result(outcome, rule, counts, base, needed, headcount)
    assert result.carried == (outcome == "carried")
    assert result.card_vote == (headcount is not None)
    assert threshold(rule, base) == needed
    assert isinstance(result.threshold, int) and isinstance(result.base, int)


def test_counts():
    assert Counts(3, 2, 1).cast == 6
    assert Counts(3, 2) == Counts(3, 2, 0)


@pytest.mark.parametrize("bad", [-1, 1.0, 0.5, True, "3", None])
def test_counts_must_be_non_negative_ints(bad):
    with pytest.raises(ValueError):
        Counts(bad, 0, 0)
    with pytest.raises(ValueError):
        Counts(0, bad, 0)
    with pytest.raises(ValueError):
        Counts(0, 0, bad)


@pytest.mark.parametrize(
    "rule, counts, kwargs, message",
    [
        ("majority", C(1, 0), {}, "unknown majority rule"),
        ("", C(1, 0), {}, "unknown majority rule"),
        (P, C(1, 0), {}, "needs the number present"),
        (P, C(1, 0), {"entitled": 5}, "needs the number present"),
        (E, C(1, 0), {}, "needs the number entitled"),
        (E, C(1, 0), {"present": 5}, "needs the number entitled"),
        (P, C(6, 3, 2), {"present": 10}, "11 votes were cast but only 10 are present"),
        (E, C(6, 3, 2), {"entitled": 10}, "11 votes were cast but only 10 are entitled"),
        (S, C(6, 3, 2), {"present": 10}, "only 10 are present"),
        (E, C(1, 0), {"present": 11, "entitled": 10}, "11 are present but only 10 are entitled"),
        (P, C(1, 0), {"present": -1}, "cannot be negative"),
        (P, C(1, 0), {"present": 5.0}, "whole number"),
        (E, C(1, 0), {"entitled": True}, "whole number"),
        (S, C(10, 0), {"headcount": C(0, 3)}, "no ballot chose yes"),
        (S, C(0, 0, 1), {"headcount": C(3, 3)}, "no ballot chose abstain"),
    ],
)
def test_impossible_input_is_refused(rule, counts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        decide(rule, counts, **kwargs)


def test_wrong_types_are_refused():
    with pytest.raises(TypeError):
        decide(S, (1, 0, 0))
    with pytest.raises(TypeError):
        decide(S, C(1, 0), headcount=(1, 0, 0))
    with pytest.raises(ValueError):
        threshold(S, -1)
    with pytest.raises(ValueError):
        threshold("plurality", 3)


def test_casting_vote():
    tie = decide(S, C(9, 9, 2), casting_vote=True)
    carried = apply_casting_vote(tie, "yes")
    lost = apply_casting_vote(tie, "no")
    assert (carried.outcome, carried.casting, carried.counts) == ("carried", "yes", C(9, 9, 2))
    assert (lost.outcome, lost.casting, lost.counts) == ("lost", "no", C(9, 9, 2))
    assert tie.casting is None and tie.outcome == "tie"  # frozen: the tie is unchanged
    card = apply_casting_vote(decide(S, C(30, 30), casting_vote=True, headcount=C(2, 5)), "yes")
    assert card.headcount == C(2, 5) and card.carried
    with pytest.raises(ValueError, match="only decides a tie"):
        apply_casting_vote(carried, "no")
    with pytest.raises(ValueError, match="only decides a tie"):
        apply_casting_vote(decide(S, C(9, 9)), "yes")
    with pytest.raises(ValueError, match="casting vote is one of"):
        apply_casting_vote(tie, "abstain")


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

RANK = {"lost": 0, "tie": 1, "carried": 2}
small = st.integers(0, 400)


@st.composite
def polls(draw):
    """A rule, counts, and present/entitled leaving room for at least one more vote."""
    rule = draw(st.sampled_from(RULES))
    counts = Counts(draw(small), draw(small), draw(small))
    present = counts.cast + 1 + draw(small)
    entitled = present + draw(small)
    return rule, counts, present, entitled, draw(st.booleans())


def _decide(rule, counts, present, entitled, casting_vote):
    return decide(rule, counts, present=present, entitled=entitled, casting_vote=casting_vote)


@settings(max_examples=400, deadline=None)
@given(polls())
def test_carried_exactly_when_yes_reaches_the_threshold(poll):
    rule, counts, present, entitled, casting_vote = poll
    result = _decide(*poll)
    assert result.carried == (counts.yes >= result.threshold)
    assert result.threshold == threshold(rule, result.base)
    # the rules as the issue states them, in integers
    yes, no = counts.yes, counts.no
    expected = {
        "simple": yes > no,
        "two_thirds": yes + no > 0 and 3 * yes >= 2 * (yes + no),
        "absolute_present": 2 * yes > present,
        "absolute_entitled": 2 * yes > entitled,
    }[rule]
    assert result.carried == expected
    tie = rule == "simple" and casting_vote and yes == no and yes > 0
    assert (result.outcome == "tie") == tie


@settings(max_examples=400, deadline=None)
@given(polls())
def test_monotone_in_yes_and_no(poll):
    rule, counts, present, entitled, casting_vote = poll
    before = RANK[_decide(*poll).outcome]
    more_yes = Counts(counts.yes + 1, counts.no, counts.abstain)
    more_no = Counts(counts.yes, counts.no + 1, counts.abstain)
    assert RANK[_decide(rule, more_yes, present, entitled, casting_vote).outcome] >= before
    assert RANK[_decide(rule, more_no, present, entitled, casting_vote).outcome] <= before
    # a delegate who abstained voting yes instead, or one who voted yes abstaining instead
    if counts.abstain:
        moved = Counts(counts.yes + 1, counts.no, counts.abstain - 1)
        assert RANK[_decide(rule, moved, present, entitled, casting_vote).outcome] >= before
    if counts.yes:
        moved = Counts(counts.yes - 1, counts.no, counts.abstain + 1)
        assert RANK[_decide(rule, moved, present, entitled, casting_vote).outcome] <= before


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["simple", "two_thirds"]), small, small, small, small, st.booleans())
def test_abstentions_never_change_simple_or_two_thirds(rule, yes, no, abstain, other, casting_vote):
    a = decide(rule, Counts(yes, no, abstain), casting_vote=casting_vote)
    b = decide(rule, Counts(yes, no, other), casting_vote=casting_vote)
    assert (a.outcome, a.base, a.threshold) == (b.outcome, b.base, b.threshold)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["simple", "two_thirds"]), st.integers(1, 2000), st.booleans())
def test_threshold_is_the_least_yes_that_carries_out_of_the_votes_cast(rule, base, casting_vote):
    t = threshold(rule, base)
    # the least yes that carries, found by trying every split of the votes cast (None: no split carries)
    least = next((yes for yes in range(base + 1)
                  if decide(rule, Counts(yes, base - yes), casting_vote=casting_vote).carried), None)
    assert t == least
    assert decide(rule, Counts(t, base - t), casting_vote=casting_vote).carried
    assert not decide(rule, Counts(t - 1, base - t + 1), casting_vote=casting_vote).carried


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["absolute_present", "absolute_entitled"]), st.integers(0, 2000), st.data())
def test_threshold_is_the_least_yes_that_carries_out_of_the_base(rule, base, data):
    t = threshold(rule, base)
    key = "present" if rule == "absolute_present" else "entitled"
    if t <= base:
        rest = base - t
        no = data.draw(st.integers(0, rest))
        abstain = data.draw(st.integers(0, rest - no))
        assert decide(rule, Counts(t, no, abstain), **{key: base}).carried
    else:
        assert base == 0  # nobody there: nothing can carry
    rest = base - (t - 1)
    no = data.draw(st.integers(0, rest))
    result = decide(rule, Counts(t - 1, no, data.draw(st.integers(0, rest - no))), **{key: base})
    assert result.outcome == "lost"


@settings(max_examples=300, deadline=None)
@given(small, small)
def test_simple_with_no_fixed_needs_one_more_yes_than_no(no, abstain):
    assert decide(S, Counts(no + 1, no, abstain)).carried
    assert not decide(S, Counts(no, no, abstain)).carried


ballots = st.lists(st.tuples(st.sampled_from(["yes", "no", "abstain"]), st.integers(0, 500)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(RULES), ballots, st.integers(0, 3000), st.booleans())
def test_card_votes_apply_the_rule_to_the_weights(rule, cast, absent_weight, casting_vote):
    headcount = Counts(*(sum(1 for c, _ in cast if c == option) for option in ("yes", "no", "abstain")))
    weighted = Counts(*(sum(w for c, w in cast if c == option) for option in ("yes", "no", "abstain")))
    present = weighted.cast + absent_weight // 2
    entitled = weighted.cast + absent_weight
    kwargs = {"present": present, "entitled": entitled, "casting_vote": casting_vote}
    card = decide(rule, weighted, headcount=headcount, **kwargs)
    plain = decide(rule, weighted, **kwargs)
    assert card.counts == weighted and card.headcount == headcount
    assert (card.outcome, card.base, card.threshold) == (plain.outcome, plain.base, plain.threshold)


# ------------------------------------------------------------------------------------------
# wording
# ------------------------------------------------------------------------------------------

WORDING = [
    (decide(S, C(41, 12, 3)), "Carried: 41 for, 12 against, 3 abstentions; simple majority of votes cast."),
    (decide(S, C(8, 9)), "Lost: 8 for, 9 against, 0 abstentions; simple majority of votes cast."),
    (decide(S, C(8, 7, 1)), "Carried: 8 for, 7 against, 1 abstention; simple majority of votes cast."),
    (decide(S, C(9, 9, 2), casting_vote=True), "Tie: 9 for, 9 against, 2 abstentions; the chair has the casting vote."),
    (
        apply_casting_vote(decide(S, C(9, 9, 2), casting_vote=True), "yes"),
        "Carried on the chair's casting vote: 9 for, 9 against, 2 abstentions; simple majority of votes cast.",
    ),
    (
        apply_casting_vote(decide(S, C(9, 9, 1), casting_vote=True), "no"),
        "Lost on the chair's casting vote: 9 for, 9 against, 1 abstention; simple majority of votes cast.",
    ),
    (
        decide(T, C(700, 250, 50)),
        "Carried: 700 for, 250 against, 50 abstentions; two-thirds majority of votes cast (634 needed).",
    ),
    (
        decide(T, C(666, 334)),
        "Lost: 666 for, 334 against, 0 abstentions; two-thirds majority of votes cast (667 needed).",
    ),
    (
        decide(P, C(501, 300, 100), present=1000),
        (
            "Carried: 501 for, 300 against, 100 abstentions; "
            "absolute majority of the 1,000 delegates present (501 needed)."
        ),
    ),
    (
        decide(E, C(600, 200, 100), entitled=1200),
        (
            "Lost: 600 for, 200 against, 100 abstentions; "
            "absolute majority of the 1,200 delegates entitled to vote (601 needed)."
        ),
    ),
    (
        decide(S, C(5200, 3100, 400), headcount=C(41, 30, 4)),
        (
            "Carried: 5,200 for, 3,100 against, 400 abstentions "
            "(card vote; 41 for, 30 against, 4 abstentions by headcount); simple majority of votes cast."
        ),
    ),
    (
        decide(P, C(4000, 3000, 1000), present=9000, headcount=C(50, 20, 1)),
        (
            "Lost: 4,000 for, 3,000 against, 1,000 abstentions "
            "(card vote; 50 for, 20 against, 1 abstention by headcount); "
            "absolute majority of the 9,000 votes held by the delegates present (4,501 needed)."
        ),
    ),
    (
        decide(E, C(1_234_567, 0, 0), entitled=2_000_000, headcount=C(12, 0, 0)),
        (
            "Carried: 1,234,567 for, 0 against, 0 abstentions "
            "(card vote; 12 for, 0 against, 0 abstentions by headcount); "
            "absolute majority of the 2,000,000 votes held by the delegates entitled to vote (1,000,001 needed)."
        ),
    ),
    (
        apply_casting_vote(decide(S, C(3000, 3000), casting_vote=True, headcount=C(30, 10)), "no"),
        (
            "Lost on the chair's casting vote: 3,000 for, 3,000 against, 0 abstentions "
            "(card vote; 30 for, 10 against, 0 abstentions by headcount); simple majority of votes cast."
        ),
    ),
    (
        decide(S, C(5, 5, 1), casting_vote=True, headcount=C(1, 1, 1)),
        (
            "Tie: 5 for, 5 against, 1 abstention (card vote; 1 for, 1 against, 1 abstention by headcount); "
            "the chair has the casting vote."
        ),
    ),
    (decide(T, C(0, 0)), "Lost: 0 for, 0 against, 0 abstentions; two-thirds majority of votes cast (1 needed)."),
]


@pytest.mark.parametrize("result, text", WORDING)
def test_describe_in_english(result, text):
    assert describe(result) == text


def extracted() -> set:
    source = Path(majority_module.__file__).read_bytes()
    return {message for _, message, _, _ in extract("python", io.BytesIO(source), keywords=DEFAULT_KEYWORDS)}


MSGIDS = {
    "%(yes)s for, %(no)s against, %(abstain)s abstentions",
    "%(yes)s for, %(no)s against, 1 abstention",
    "%(weighted)s (card vote; %(ballots)s by headcount)",
    "simple majority of votes cast",
    "two-thirds majority of votes cast (%(needed)s needed)",
    "absolute majority of the %(base)s delegates present (%(needed)s needed)",
    "absolute majority of the %(base)s delegates entitled to vote (%(needed)s needed)",
    "absolute majority of the %(base)s votes held by the delegates present (%(needed)s needed)",
    "absolute majority of the %(base)s votes held by the delegates entitled to vote (%(needed)s needed)",
    "Carried: %(counts)s; %(rule)s.",
    "Lost: %(counts)s; %(rule)s.",
    "Tie: %(counts)s; the chair has the casting vote.",
    "Carried on the chair's casting vote: %(counts)s; %(rule)s.",
    "Lost on the chair's casting vote: %(counts)s; %(rule)s.",
}


def test_every_message_is_extracted_by_babel():
    assert extracted() == MSGIDS


def test_every_piece_of_every_sentence_goes_through_gettext():
    used = set()

    def marking(msgid, **variables):
        used.add(msgid)
        assert msgid in MSGIDS
        return "⟦" + msgid % variables + "⟧"

    for result, text in WORDING:
        marked = describe(result, marking)
        assert marked.startswith("⟦") and marked.endswith("⟧")
        # with the marks taken out it is the English sentence: nothing was added outside gettext
        assert marked.replace("⟦", "").replace("⟧", "") == text
    assert describe(WORDING[0][0], marking) == (
        "⟦Carried: ⟦41 for, 12 against, 3 abstentions⟧; ⟦simple majority of votes cast⟧.⟧"
    )
    assert describe(WORDING[10][0], marking) == (
        "⟦Carried: ⟦⟦5,200 for, 3,100 against, 400 abstentions⟧ (card vote; "
        "⟦41 for, 30 against, 4 abstentions⟧ by headcount)⟧; ⟦simple majority of votes cast⟧.⟧"
    )
    assert used == MSGIDS  # every message is used, and the table above exercises each one


def test_describe_uses_the_gettext_given():
    catalogue = {
        "Carried: %(counts)s; %(rule)s.": "通过：%(counts)s；%(rule)s。",
        "%(yes)s for, %(no)s against, %(abstain)s abstentions": "赞成%(yes)s票，反对%(no)s票，弃权%(abstain)s票",
        "absolute majority of the %(base)s delegates present (%(needed)s needed)": (
            "须获出席的%(base)s名代表的绝对多数（需%(needed)s票）"
        ),
    }
    calls = []

    def gettext(msgid, **variables):
        calls.append((msgid, variables))
        return catalogue.get(msgid, msgid) % variables

    text = describe(decide(P, C(501, 300, 100), present=1000), gettext)
    assert text == "通过：赞成501票，反对300票，弃权100票；须获出席的1,000名代表的绝对多数（需501票）。"
    assert calls[0] == (
        "%(yes)s for, %(no)s against, %(abstain)s abstentions",
        {"yes": "501", "no": "300", "abstain": "100"},
    )


@pytest.mark.parametrize("result, text", WORDING)
def test_flask_babel_style_gettext_without_variables_is_called_bare(result, text):
    """Flask-Babel formats only when variables are given; messages without any must not need it."""

    def gettext(msgid, **variables):
        if not variables:
            assert "%" not in msgid
            return msgid
        return msgid % variables

    assert describe(result, gettext) == text


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_describe_never_fails(data):
    rule = data.draw(st.sampled_from(RULES))
    counts = Counts(data.draw(small), data.draw(small), data.draw(small))
    present = counts.cast + data.draw(small)
    card = data.draw(st.booleans())
    headcount = Counts(*(max(1, n // 7) if n else 0 for n in (counts.yes, counts.no, counts.abstain))) if card else None
    result = decide(rule, counts, present=present, entitled=present + data.draw(small),
                    casting_vote=data.draw(st.booleans()), headcount=headcount)
    if result.outcome == "tie":
        result = apply_casting_vote(result, data.draw(st.sampled_from(["yes", "no"])))
    text = describe(result)
    assert text.startswith(("Carried", "Lost")) and text.endswith(".")
    assert f"{counts.yes:,} for" in text

"""Unit tests for motions.text.summary: line numbers of changes, redlines and the wording."""

import io
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract
from hypothesis import given, settings
from hypothesis import strategies as st

import motions.text.summary as summary_module
from motions.text.diff import diff_words
from motions.text.lines import wrap
from motions.text.summary import (
    Delete,
    DeleteClause,
    Insert,
    InsertClause,
    RedlineLine,
    Replace,
    describe,
    instructions,
    line_of,
    line_spans,
    redline,
    summary,
)

CLAUSE = "We demand decent housing and fair wages for all workers in every city and town of the country."
LINES = wrap(CLAUSE, 30)
FIRST = 34


def modify(new: str) -> str:
    return summary("modify", diff_words(CLAUSE, new), LINES, FIRST)


def test_the_clause_used_here_wraps_over_four_lines():
    assert LINES == [
        "We demand decent housing and ",  # line 34, offsets 0..29
        "fair wages for all workers in ",  # line 35, 29..59
        "every city and town of the ",  # line 36, 59..86
        "country.",  # line 37, 86..94
    ]


# ------------------------------------------------------------------------------------------
# lines
# ------------------------------------------------------------------------------------------


def test_line_spans():
    assert line_spans(LINES, FIRST) == [(34, 0, 29), (35, 29, 59), (36, 59, 86), (37, 86, 94)]
    assert line_spans([""], 7) == [(7, 0, 0)]
    assert line_spans([], 7) == []


def test_line_of_characters_and_insertion_points():
    spans = line_spans(LINES, FIRST)
    assert [line_of(o, spans) for o in (0, 28, 29, 58, 59, 86, 93, 94, 500)] == [
        34, 34, 35, 35, 36, 37, 37, 37, 37,
    ]
    # an insertion point at the start of a line is after the word at the end of the line before
    assert line_of(29, spans, insertion=True) == 34
    assert line_of(59, spans, insertion=True) == 35
    assert line_of(30, spans, insertion=True) == 35
    assert line_of(94, spans, insertion=True) == 37
    # ... except at the start of the clause
    assert line_of(0, spans, insertion=True) == 34
    assert line_of(0, line_spans([""], 7), insertion=True) == 7
    # a clause ending with a line break has an empty last line
    spans = line_spans(["a\n", ""], 3)
    assert line_of(2, spans) == 4 and line_of(2, spans, insertion=True) == 3


# ------------------------------------------------------------------------------------------
# instructions and wording
# ------------------------------------------------------------------------------------------


def test_insert_after_a_word():
    new = CLAUSE.replace("all workers", "all workers and migrants")
    assert instructions("modify", diff_words(CLAUSE, new), LINES, FIRST) == [
        Insert(35, "workers", "and migrants")
    ]
    assert modify(new) == "Line 35: after “workers”, insert “and migrants”."


def test_insert_at_a_line_start_is_cited_on_the_line_before():
    new = CLAUSE.replace("and fair", "and the right to fair")
    assert modify(new) == "Line 34: after “and”, insert “the right to”."


def test_insert_at_the_start():
    assert modify("Now " + CLAUSE) == "Line 34: at the start, insert “Now”."


def test_insert_after_punctuation_names_the_word_before():
    assert modify(CLAUSE[:-1] + ", without exception.") == (
        "Line 37: after “country”, insert “, without exception”."
    )


def test_delete_on_one_line_and_across_lines():
    assert modify(CLAUSE.replace("decent ", "")) == "Line 34: delete “decent”."
    assert instructions("modify", diff_words(CLAUSE, CLAUSE.replace("decent ", "")), LINES, FIRST) == [
        Delete(34, 34, "decent")
    ]
    assert modify(CLAUSE.replace("housing and fair wages for", "housing for")) == (
        "Lines 34–35: delete “and fair wages”."
    )


def test_replace_on_one_line_and_across_lines():
    new = CLAUSE.replace("all workers", "every worker")
    assert instructions("modify", diff_words(CLAUSE, new), LINES, FIRST) == [
        Replace(35, 35, "all workers", "every worker")
    ]
    assert modify(new) == "Line 35: delete “all workers”, insert “every worker”."
    assert modify(CLAUSE.replace("city and town of the country", "village")) == (
        "Lines 36–37: delete “city and town of the country”, insert “village”."
    )


def test_several_hunks_give_several_sentences():
    new = CLAUSE.replace("decent", "affordable").replace("all workers", "workers")
    new = new.replace("the country", "the whole country")
    assert modify(new) == (
        "Line 34: delete “decent”, insert “affordable”. "
        "Line 35: delete “all”. "
        "Line 36: after “the”, insert “whole”."
    )


def test_changes_one_word_apart_read_as_one():
    # the semantic cleanup absorbs a short unchanged stretch between two changes
    new = "Now we demand housing and fair wages for all workers in every city and town of the country."
    assert modify(new) == "Line 34: delete “We demand decent”, insert “Now we demand”."


def test_whitespace_only_change_is_quoted_as_it_is():
    new = CLAUSE.replace("fair wages", "fair  wages")
    assert instructions("modify", diff_words(CLAUSE, new), LINES, FIRST) == [Replace(35, 35, " ", "  ")]


def test_chinese_clause():
    text = "每个人都有参加工会的权利，工人有罢工的自由。"
    lines = wrap(text, 12)
    assert lines == ["每个人都有参", "加工会的权", "利，工人有罢", "工的自由。"]
    new = text.replace("工人有", "工人和农民有")
    assert summary("modify", diff_words(text, new), lines, 5) == "Line 7: after “人”, insert “和农民”."
    new = text.replace("的自由", "的权利")
    assert summary("modify", diff_words(text, new), lines, 5) == "Line 8: delete “自由”, insert “权利”."


def test_clause_delete():
    assert instructions("delete", [], LINES, FIRST) == [DeleteClause(34, 37)]
    assert summary("delete", [(-1, CLAUSE)], LINES, FIRST) == "Delete lines 34–37."
    assert summary("delete", [(-1, "Short.")], ["Short."], 12) == "Delete line 12."


def test_clause_insert():
    ops = [(1, " A new clause on peace. ")]
    assert instructions("insert_after", ops, [], 0, anchor_line=40) == [
        InsertClause(40, "A new clause on peace.")
    ]
    assert summary("insert_after", ops, [], 0, anchor_line=40) == (
        "Insert after line 40: “A new clause on peace.”."
    )
    assert summary("insert_after", ops, [], 0) == "Insert at the start: “A new clause on peace.”."


def test_describe_single_line_forms():
    assert describe([Replace(3, 3, "a", "b"), Delete(4, 5, "c"), DeleteClause(9, 9)]) == (
        "Line 3: delete “a”, insert “b”. Lines 4–5: delete “c”. Delete line 9."
    )
    assert describe([]) == ""


def test_describe_uses_the_gettext_given():
    catalogue = {
        "Line %(line)d: after “%(after)s”, insert “%(new)s”.": "第%(line)d行：在“%(after)s”之后插入“%(new)s”。",
        "Delete lines %(first)d–%(last)d.": "删去第%(first)d至%(last)d行。",
    }
    calls = []

    def gettext(msgid, **variables):
        calls.append((msgid, variables))
        return catalogue.get(msgid, msgid) % variables

    text = describe([Insert(35, "工人", "和农民"), DeleteClause(3, 4)], gettext)
    assert text == "第35行：在“工人”之后插入“和农民”。 删去第3至4行。"
    assert calls[1] == ("Delete lines %(first)d–%(last)d.", {"first": 3, "last": 4})


def test_user_text_with_percent_signs_is_not_formatted():
    assert describe([Delete(1, 1, "100%(x)s %d")]) == "Line 1: delete “100%(x)s %d”."


def test_every_message_is_extracted_by_babel():
    source = Path(summary_module.__file__).read_bytes()
    found = {message for _, message, _, _ in extract("python", io.BytesIO(source), keywords=DEFAULT_KEYWORDS)}
    assert found == {
        "Line %(line)d: delete “%(old)s”, insert “%(new)s”.",
        "Lines %(first)d–%(last)d: delete “%(old)s”, insert “%(new)s”.",
        "Line %(line)d: delete “%(old)s”.",
        "Lines %(first)d–%(last)d: delete “%(old)s”.",
        "Line %(line)d: after “%(after)s”, insert “%(new)s”.",
        "Line %(line)d: at the start, insert “%(new)s”.",
        "Delete line %(line)d.",
        "Delete lines %(first)d–%(last)d.",
        "Insert after line %(line)d: “%(text)s”.",
        "Insert at the start: “%(text)s”.",
    }


# ------------------------------------------------------------------------------------------
# redline
# ------------------------------------------------------------------------------------------


def test_redline_cuts_at_line_boundaries():
    new = "We demand housing and the right to fair wages for all workers in every village of the country."
    assert redline(diff_words(CLAUSE, new), LINES, FIRST) == [
        RedlineLine(34, [(0, "We demand "), (-1, "decent "), (0, "housing and "), (1, "the right to ")]),
        RedlineLine(35, [(0, "fair wages for all workers in ")]),
        RedlineLine(36, [(0, "every "), (-1, "city and town"), (1, "village"), (0, " of the ")]),
        RedlineLine(37, [(0, "country.")]),
    ]


def test_redline_of_a_deletion_across_lines():
    ops = diff_words(CLAUSE, CLAUSE.replace("housing and fair wages for", "housing for"))
    lines = redline(ops, LINES, FIRST)
    assert lines[0] == RedlineLine(34, [(0, "We demand decent housing "), (-1, "and ")])
    assert lines[1] == RedlineLine(35, [(-1, "fair wages "), (0, "for all workers in ")])


def test_redline_of_a_new_clause():
    assert redline([(1, "New text.")], [], 0) == [RedlineLine(None, [(1, "New text.")])]


edit = st.tuples(st.integers(0, len(CLAUSE)), st.integers(0, 12), st.sampled_from(["", "new words ", "X", " and more"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(edit, max_size=4))
def test_redline_covers_every_line_once(edits):
    new = CLAUSE
    for at, length, insert in edits:
        at = min(at, len(new))
        new = new[:at] + insert + new[at + length :]
    ops = diff_words(CLAUSE, new)
    lines = redline(ops, LINES, FIRST)
    assert [line.number for line in lines] == [34, 35, 36, 37]
    assert ["".join(t for op, t in line.segments if op <= 0) for line in lines] == LINES
    assert "".join(t for line in lines for op, t in line.segments if op >= 0) == new
    for line in lines:
        assert all(t for _, t in line.segments)
        assert all(a[0] != b[0] for a, b in zip(line.segments, line.segments[1:]))
    # one sentence per hunk, each citing lines of this clause
    items = instructions("modify", ops, LINES, FIRST)
    for item in items:
        cited = [item.line] if isinstance(item, Insert) else [item.first, item.last]
        assert all(34 <= n <= 37 for n in cited)


@given(st.text(alphabet=st.sampled_from(list("ab c,.'-\u00e9\u4e00\u3042 ")), max_size=400))
@settings(max_examples=300, deadline=None)
def test_word_before_reads_only_the_end_yet_agrees_with_the_whole_text(text):
    """The windowed look-up gives the same word as tokenising the whole text, also for words longer
    than the first window (64 characters)."""
    from motions.text.diff import is_word_token, tokenize
    from motions.text.summary import _word_before

    whole = [t for t in tokenize(text) if is_word_token(t)]
    assert _word_before(text) == (whole[-1] if whole else None)
    long_word = "x" * 150
    assert _word_before(text + " " + long_word) == long_word

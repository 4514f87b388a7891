"""Unit tests for motions.text.lines: display widths, wrapping and continuous line numbers."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from motions.text.lines import (
    DEFAULT_WIDTH,
    NumberedClause,
    _graphemes_general,
    _is_simple,
    _text_width_general,
    _wrap_general,
    char_width,
    graphemes,
    number_lines,
    text_width,
    wrap,
)

FAMILY = "👨\u200d👩\u200d👧\u200d👦"


def visible(line: str) -> str:
    """A display line without the "\\n" that ends it and the breaking spaces that hang past
    the margin (trailing whitespace other than the no-break spaces U+00A0, U+202F, U+2007)."""
    gs = graphemes(line[:-1] if line.endswith("\n") else line)
    while gs and gs[-1][0].isspace() and gs[-1][0] not in "\xa0\u202f\u2007":
        gs.pop()
    return "".join(gs)


# ------------------------------------------------------------------------------------------
# widths and graphemes
# ------------------------------------------------------------------------------------------


def test_char_width():
    assert DEFAULT_WIDTH == 80
    assert char_width("a") == 1
    assert char_width("é") == 1
    assert char_width("ئ") == 1
    assert char_width("ཀ") == 1
    assert char_width("中") == 2
    assert char_width("。") == 2
    assert char_width("Ａ") == 2  # fullwidth
    assert char_width("ｶ") == 1  # halfwidth katakana
    assert char_width("😀") == 2
    assert char_width("\u0301") == 0  # combining acute (Mn)
    assert char_width("\u20dd") == 0  # enclosing circle (Me)
    assert char_width("\u0f7a") == 0  # Tibetan vowel sign e (Mn)
    for zw in "\u200d\u200c\u200b\ufe0f\ufe00":
        assert char_width(zw) == 0
    assert char_width("\n") == 0


def test_text_width():
    assert text_width("") == 0
    assert text_width("abc") == 3
    assert text_width("中文abc") == 7
    assert text_width("e\u0301") == 1
    assert text_width(FAMILY) == 2  # one glyph
    assert text_width("🇫🇷") == 2
    assert text_width("中" * 40) == 80


def test_graphemes():
    assert graphemes("") == []
    assert graphemes("abc") == ["a", "b", "c"]
    assert graphemes("e\u0301a") == ["e\u0301", "a"]
    assert graphemes(FAMILY + "x") == [FAMILY, "x"]
    assert graphemes("🇫🇷🇩🇪🇭") == ["🇫🇷", "🇩🇪", "🇭"]
    assert graphemes("✊🏽!") == ["✊🏽", "!"]
    assert graphemes("❤\ufe0f") == ["❤\ufe0f"]
    assert graphemes("\u1100\u1161\u11a8") == ["\u1100\u1161\u11a8"]  # conjoining Hangul
    assert graphemes("བསྒྲུབས") == ["བ", "སྒྲུ", "བ", "ས"]  # stacked Tibetan letters
    assert graphemes("a\r\nb") == ["a", "\r\n", "b"]
    assert graphemes("\u0301x") == ["\u0301", "x"]  # a leading mark is its own cluster


# ------------------------------------------------------------------------------------------
# wrap
# ------------------------------------------------------------------------------------------


def test_wrap_empty_and_short():
    assert wrap("") == [""]
    assert wrap("short clause") == ["short clause"]


def test_wrap_latin_at_width():
    text = "The meeting will discuss and vote on proposals to establish a new campaign organisation."
    lines = wrap(text, 30)
    assert lines == [
        "The meeting will discuss and ",
        "vote on proposals to establish ",  # 30 visible columns; the space hangs
        "a new campaign organisation.",
    ]
    assert all(text_width(line.rstrip(" ")) <= 30 for line in lines)
    assert "".join(lines) == text


def test_wrap_default_width_is_80():
    text = " ".join(["solidarity"] * 20)  # 219 columns
    lines = wrap(text)
    assert [len(line) for line in lines] == [77, 77, 65]
    assert wrap(text, 80) == lines


def test_wrap_spaces_stay_at_end_of_line():
    assert wrap("aaa   bbb", 6) == ["aaa   ", "bbb"]
    assert wrap("aaa bbb ccc", 8) == ["aaa bbb ", "ccc"]


def test_wrap_trailing_spaces_hang_past_the_margin():
    # the width bound applies to the line without its trailing spaces
    assert wrap("aaa bbb ccc", 7) == ["aaa bbb ", "ccc"]
    assert wrap("aaa bbb ccc", 6) == ["aaa ", "bbb ", "ccc"]
    assert wrap("aaa   bbb", 3) == ["aaa   ", "bbb"]
    assert wrap("aaa\t\u2003bbb", 3) == ["aaa\t\u2003", "bbb"]  # any breaking space hangs
    assert wrap("aaa\xa0bbb ccc", 7) == ["aaa\xa0bbb ", "ccc"]  # a no-break space does not break
    assert wrap("aaaaaaaaaa   b", 5) == ["aaaaa", "aaaaa   ", "b"]  # also after a hard break
    assert wrap("中文中文 中文", 8) == ["中文中文 ", "中文"]
    assert wrap("   ") == ["   "]


def test_wrap_line_of_exactly_width_visible_columns_fits():
    words = ["organise"] * 8 + ["unions"]  # 8 * 9 + 6 = 78 columns with one space between words
    line = " ".join(words) + " ok"  # 81 columns: "ok" does not fit
    assert wrap(line) == [" ".join(words) + " ", "ok"]
    line80 = " ".join(words) + " a"  # exactly 80 visible columns
    assert text_width(line80) == 80
    assert wrap(line80 + " next") == [line80 + " ", "next"]
    assert wrap(line80 + " ") == [line80 + " "]
    assert wrap(line80 + "   \nnext") == [line80 + "   \n", "next"]
    assert wrap("x" * 80 + " y") == ["x" * 80 + " ", "y"]
    assert wrap("x" * 81 + " y") == ["x" * 80, "x y"]
    assert wrap("中" * 40 + " abc") == ["中" * 40 + " ", "abc"]
    assert wrap("well-" + "x" * 75 + " b") == ["well-" + "x" * 75 + " ", "b"]


def test_wrap_cjk_double_width():
    assert wrap("中" * 40) == ["中" * 40]
    assert wrap("中" * 41) == ["中" * 40, "中"]
    assert wrap("中" * 41, 80) == ["中" * 40, "中"]
    assert wrap("中" * 5, 9) == ["中" * 4, "中"]


def test_wrap_mixed_cjk_latin_breaks_around_cjk():
    assert wrap("abc中文def", 5) == ["abc中", "文def"]
    assert wrap("abc中文def", 4) == ["abc", "中文", "def"]


def test_wrap_kinsoku_no_closing_punctuation_at_line_start():
    # a naive break after 四 would start the line with 。
    assert wrap("一二三四五。六七", 10) == ["一二三四", "五。六七"]
    assert wrap("一二三，」四五", 6) == ["一二", "三，」", "四五"]
    lines = wrap("我们支持工人的权利。工人有权组织独立工会！你同意吗？（是的）「团结」", 12)
    assert "".join(lines) == "我们支持工人的权利。工人有权组织独立工会！你同意吗？（是的）「团结」"
    for line in lines:
        assert line[0] not in "。，、！？）」』"
        assert line[-1] not in "（「『"
        assert text_width(line) <= 12


def test_wrap_kinsoku_no_opening_punctuation_at_line_end():
    assert wrap("一二三四「五六」", 10) == ["一二三四", "「五六」"]
    assert wrap("一二三四（五）", 10) == ["一二三四", "（五）"]


def test_wrap_japanese_small_kana_and_long_vowel_not_at_line_start():
    # naive 4-per-line breaks would give "あいうち" / "ょっと" and "あいうコ" / "ーヒー"
    assert wrap("あいうちょっと", 8) == ["あいう", "ちょっと"]
    assert wrap("あいうコーヒー", 8) == ["あいう", "コーヒー"]
    # a unit wider than the line is broken hard at grapheme boundaries
    assert wrap("コーヒー", 2) == ["コ", "ー", "ヒ", "ー"]


def test_wrap_after_hyphen():
    assert wrap("well-known fact", 6) == ["well-", "known ", "fact"]
    assert wrap("a -5 b", 3) == ["a ", "-5 ", "b"]  # no break inside "-5"


def test_wrap_tibetan_after_tsheg_and_shad():
    text = "བོད་ཀྱི་མི་དམངས། ང་ཚོ་མཉམ་དུ་འཐབ་རྩོད་བྱེད།"
    lines = wrap(text, 8)
    assert "".join(lines) == text
    assert len(lines) > 2
    for line in lines[:-1]:
        assert line.rstrip(" ")[-1] in "་།"
    for line in lines:
        assert text_width(line.rstrip(" ")) <= 8
        assert line[0] not in "་།"
        assert unicodedata.category(line[0]) != "Mn"  # never starts inside a stack


def test_wrap_uyghur_breaks_at_spaces():
    text = "بىز ئىشچىلارنىڭ ھوقۇقىنى قوغدايمىز"
    assert wrap(text, 16) == ["بىز ئىشچىلارنىڭ ", "ھوقۇقىنى ", "قوغدايمىز"]


def test_wrap_never_splits_graphemes():
    assert wrap("e\u0301" * 10, 3) == ["e\u0301" * 3] * 3 + ["e\u0301"]
    assert wrap(FAMILY * 5, 4) == [FAMILY * 2, FAMILY * 2, FAMILY]
    assert wrap("🇫🇷🇩🇪🇭🇰", 2) == ["🇫🇷", "🇩🇪", "🇭🇰"]


def test_wrap_hard_breaks_overlong_unit():
    assert wrap("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]
    url = "https://example.org/" + "x" * 30
    lines = wrap("see " + url, 20)
    assert lines[0] == "see "
    assert all(text_width(line.rstrip(" ")) <= 20 for line in lines)
    assert "".join(lines) == "see " + url


def test_wrap_newlines_start_new_lines():
    assert wrap("ab\ncd") == ["ab\n", "cd"]
    assert wrap("ab\n    cd", 3) == ["ab\n", "    ", "cd"]
    assert wrap("code\n\n  more", 80) == ["code\n", "\n", "  more"]
    assert wrap("x\n") == ["x\n", ""]


def test_wrap_tiny_width_single_wide_grapheme():
    assert wrap("中文", 1) == ["中", "文"]
    assert wrap("ab", 0) == ["a", "b"]


def test_wrap_korean_breaks_at_spaces_and_between_syllables():
    # Hangul counts double; a break is allowed at spaces and, as for other wide characters,
    # between syllables
    text = "우리는 노동자의 권리를 지지합니다"
    assert text_width("우리는") == 6
    assert wrap(text, 16) == ["우리는 노동자의 ", "권리를 지지합니", "다"]
    assert wrap("가나다라마", 4) == ["가나", "다라", "마"]


# ------------------------------------------------------------------------------------------
# the fast path for simple text
# ------------------------------------------------------------------------------------------


def test_fast_path_takes_simple_text_only():
    assert _is_simple("")
    assert _is_simple("Égalité, fraternité -- l’“union” (well-known) 50% \xa0\t…")
    assert _is_simple("Солидарность ελευθερία ئەركىنلىك")
    for not_simple in ("中", "e\u0301", "\u200d", "❤\ufe0f", "\u200b", "ｶ", "\n", "\r", "한",
                       "\u00ad", "་", "🇫", "\u3000", "\u2028"):
        assert not _is_simple("abc " + not_simple), repr(not_simple)


def test_fast_path_examples_match_general():
    cases = [
        ("well-known fact", 6), ("a -5 b", 3), ("--a--b-- c", 3), ("a-)b a-(b a-'b", 3),
        ("x‐y‐z", 2), ("  lead", 3), ("aaa bbb ccc", 7), ("a" * 25, 10), ("", 5),
        ("e.g. (see “x”) — and ‘y’.", 4), ("tab\there", 3), ("wo rd" * 40, 1),
    ]
    for text, width in cases:
        assert _is_simple(text)
        assert wrap(text, width) == _wrap_general(text, width), (text, width)


# Latin-heavy text: words, hyphens (ASCII and U+2010), runs of spaces, tabs, no-break spaces,
# kinsoku punctuation, long words, and now and then something that is not simple
LATIN_PIECES = [
    "a", "word", "Égalité", "l’union", "x" * 30, "y" * 90, "-", "--", "‐", "-5", " ", " ",
    "    ", "\t", "\u2003", "\xa0", "\u202f", ",", ".", ";", "!", "?", "(", ")", "[", "]",
    "'", '"', "“", "”", "«", "»", "…", "%", "¿", "—", "–", "Ωμέγα", "ئۇيغۇر", "\n",
]
latin_text = st.lists(
    st.one_of(
        st.sampled_from(LATIN_PIECES),
        st.text(alphabet=st.characters(max_codepoint=0x2FFF), max_size=5),
    ),
    max_size=80,
).map("".join)
any_text = st.one_of(st.text(), latin_text, st.lists(st.sampled_from(LATIN_PIECES)).map("".join))


@settings(max_examples=1000, deadline=None)
@given(any_text, st.integers(min_value=1, max_value=120))
def test_property_fast_path_equals_general(text, width):
    assert wrap(text, width) == _wrap_general(text, width)
    assert graphemes(text) == _graphemes_general(text)
    assert text_width(text) == _text_width_general(text)


# ------------------------------------------------------------------------------------------
# number_lines
# ------------------------------------------------------------------------------------------


def test_number_lines_continuity_and_empty_clause():
    numbered = number_lines(["中" * 41, "", "short", "word " * 40])
    assert [(c.first_line, c.last_line) for c in numbered] == [(1, 2), (3, 3), (4, 4), (5, 7)]
    assert numbered[1] == NumberedClause(lines=[""], first_line=3, last_line=3)
    assert numbered[0].lines == ["中" * 40, "中"]


def test_number_lines_start_and_width():
    numbered = number_lines(["aaa bbb ccc", "ddd"], width=4, start=10)
    assert [c.lines for c in numbered] == [["aaa ", "bbb ", "ccc"], ["ddd"]]
    assert [(c.first_line, c.last_line) for c in numbered] == [(10, 12), (13, 13)]
    assert number_lines([]) == []


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

PIECES = [
    " ", "  ", "\n", "-", "—", "中", "文", "。", "，", "「", "」", "（", "）", "ー", "っ",
    "e\u0301", "\u0301", "\u200d", "\ufe0f", FAMILY, "✊🏽", "🇫", "🇷", "་", "།", "བསྒྲུབས",
    "ئۇيغۇر", "\xa0", "\u200b", "\t", "word", "longerword", "x" * 15, "ｶﾞ", "\u1100\u1161",
]
wrap_text = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=60).map("".join),
)


def _boundaries(parts):
    out, pos = set(), 0
    for p in parts:
        pos += len(p)
        out.add(pos)
    return out


@settings(max_examples=300, deadline=None)
@given(wrap_text, st.integers(min_value=10, max_value=120))
def test_property_wrap(text, width):
    lines = wrap(text, width)
    assert "".join(lines) == text
    assert lines
    for i, line in enumerate(lines):
        body = line[:-1] if line.endswith("\n") else line
        assert "\n" not in body
        # trailing spaces hang past the margin: the bound is on the visible part
        vis = visible(line)
        assert text_width(vis) <= width or len(graphemes(vis)) == 1
        if line and line == " " * len(line) and i < len(lines) - 1:
            # only the leading spaces of a text (or of a line after a "\n") make such a line
            assert i == 0 or lines[i - 1].endswith("\n")
        if i < len(lines) - 1:
            assert line, "only the last line may be empty"
    if lines[-1] == "":
        assert text == "" or text.endswith("\n")
    # line breaks fall on grapheme boundaries
    assert _boundaries(lines) <= _boundaries(graphemes(text)) | {0}


@settings(max_examples=150, deadline=None)
@given(st.lists(wrap_text, max_size=8), st.integers(min_value=10, max_value=120),
       st.integers(min_value=0, max_value=1000))
def test_property_number_lines(texts, width, start):
    numbered = number_lines(texts, width, start)
    assert len(numbered) == len(texts)
    expected_first = start
    for clause, text in zip(numbered, texts):
        assert clause.lines == wrap(text, width)
        assert clause.first_line == expected_first
        assert clause.last_line == clause.first_line + len(clause.lines) - 1 >= clause.first_line
        expected_first = clause.last_line + 1
    for prev, nxt in zip(numbered, numbered[1:]):
        assert nxt.first_line == prev.last_line + 1


@settings(max_examples=100, deadline=None)
@given(wrap_text)
def test_property_graphemes_lossless(text):
    gs = graphemes(text)
    assert "".join(gs) == text
    assert all(gs)
    assert text_width(text) == sum(text_width(g) for g in gs)

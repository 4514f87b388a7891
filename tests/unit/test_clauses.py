"""Unit tests for motions.text.clauses: normalisation, lossless clause splitting, numbering,
sentence splitting and joining, for several scripts."""

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motions.text.clauses import (
    FORMATS,
    Block,
    join_texts,
    normalise,
    number,
    reassemble,
    render_source,
    split,
    split_sentences,
)

# the repository is /work/main and the shared seeds live in /work/shared/seeds
_HERE = Path(__file__).resolve()
SEEDS = (_HERE.parents[3] if len(_HERE.parents) > 3 else _HERE.parent) / "shared" / "seeds"
SEED_ANNOUNCEMENT = SEEDS / "000_554130889969b33e.txt"
SEED_LONG = SEEDS / "004_a8fe0755eb1f9db2.txt"


def _read_seed(path: Path) -> str:
    if not path.is_file():
        pytest.skip(f"seed text {path} is not available (shared seeds directory absent)")
    return path.read_text(encoding="utf-8")


def kinds(blocks):
    return [b.kind for b in blocks]


def texts(blocks):
    return [b.text for b in blocks]


# ------------------------------------------------------------------------------------------
# normalise
# ------------------------------------------------------------------------------------------


def test_normalise_line_endings_bom_blank_lines_and_trailing_space():
    raw = "\ufeff \n\t\n  First line\r\nSecond\rThird   \r\n\r\n  \n"
    assert normalise(raw) == "  First line\nSecond\nThird\n"


def test_normalise_empty_and_whitespace_only():
    assert normalise("") == ""
    assert normalise(" \n\r\n\t \u3000\n") == ""
    assert normalise("\ufeff") == ""


def test_normalise_nfc():
    nfd = unicodedata.normalize("NFD", "Décision générale à l’unanimité")
    assert nfd != unicodedata.normalize("NFC", nfd)
    assert normalise(nfd) == "Décision générale à l’unanimité\n"


def test_normalise_is_idempotent_in_tricky_case():
    # dropping the blank first line exposes a BOM; the result must still be a fixed point
    once = normalise("\n\ufeff\nx")
    assert once == "x\n"
    assert normalise(once) == once


def test_normalise_keeps_inner_blank_lines_and_indentation():
    assert normalise("a\n\n\n  b\n") == "a\n\n\n  b\n"


# ------------------------------------------------------------------------------------------
# seeds
# ------------------------------------------------------------------------------------------


def test_seed_announcement_as_text():
    raw = _read_seed(SEED_ANNOUNCEMENT)
    blocks = split(raw, "text")
    assert reassemble(blocks) == normalise(raw)
    # 39 non-blank lines, each its own clause; 25 of them are "- " items
    assert len(blocks) == 39
    items = [b for b in blocks if b.kind == "item"]
    assert len(items) == 25
    assert all(b.marker == "-" and b.level == 0 for b in items)
    assert blocks[0].kind == "paragraph"
    assert blocks[0].text.startswith("For a united workers campaign for the people of China")
    democratic = [b for b in items if b.text.startswith("For democratic and workers’ rights")]
    assert len(democratic) == 1
    item = democratic[0]
    assert item.text.endswith("to practise any religion or none.")
    assert item.source == "- " + item.text
    assert "\n" not in item.source
    assert blocks[-1].text == "You must be logged in to post a comment."
    assert blocks[-1].separator == "\n"
    # no headings -> plain numbers
    assert number(blocks)[:3] == ["1", "2", "3"]
    assert number(blocks)[-1] == "39"


def test_seed_announcement_as_markdown():
    raw = _read_seed(SEED_ANNOUNCEMENT)
    blocks = split(raw, "markdown")
    assert reassemble(blocks) == normalise(raw)
    # the first two lines form one paragraph; then lines 3-8 run together into one paragraph
    # until the first "- " item; each item absorbs the lazy non-item line after it
    assert kinds(blocks).count("item") == 25
    assert blocks[0].text.startswith("For a united workers campaign")
    assert "\n" in blocks[0].source
    assert blocks[0].text.count("Region. A coalition") == 1  # wrapped lines joined by one space
    sixth = [b for b in blocks if b.kind == "item"][5]
    assert sixth.text.startswith("Against exploitation")
    assert sixth.text.endswith("The campaign should therefore also:")


def test_seed_long_english_french_both_formats():
    raw = _read_seed(SEED_LONG)
    for fmt in FORMATS:
        blocks = split(raw, fmt)
        assert reassemble(blocks) == normalise(raw)
        assert all(b.source for b in blocks)
    text_blocks = split(raw, "text")
    md_blocks = split(raw, "markdown")
    assert len(text_blocks) == 324  # one per non-blank line
    assert len(md_blocks) == 322  # two "Date ... / Time ..." pairs are two-line paragraphs
    bullets = [b for b in md_blocks if b.kind == "item"]
    assert len(bullets) == 18
    # "  • Name" lists are indented as a whole: still top-level items
    assert {(b.marker, b.level) for b in bullets} == {("•", 0)}
    assert bullets[0].text.startswith("Danny Haiphong")
    french = [b for b in md_blocks if "On décolonise" in b.text]
    assert french and french[0].text == "Silence! On décolonise"
    date = [b for b in md_blocks if b.text.startswith("Date Sunday 16 June")]
    assert date[0].text == "Date Sunday 16 June Time4pm Britain / 11am US Eastern / 8am US Pacific"


# ------------------------------------------------------------------------------------------
# markdown structure
# ------------------------------------------------------------------------------------------

CHINESE_MD = """# 工人团结运动

我们支持香港、台湾、西藏和维吾尔地区人民的民主权利。工人有权组织独立工会！你同意吗？

## 要求

- 言论自由
- 结社自由，
  包括组织独立工会的权利。
1. 罢工权

### 细则

团结就是力量。
"""


def test_chinese_markdown():
    blocks = split(CHINESE_MD)
    assert reassemble(blocks) == CHINESE_MD
    assert kinds(blocks) == [
        "heading", "paragraph", "heading", "item", "item", "item", "heading", "paragraph",
    ]
    assert blocks[0].text == "工人团结运动"
    assert (blocks[0].level, blocks[0].marker) == (1, "#")
    assert (blocks[2].level, blocks[2].marker) == (2, "##")
    assert blocks[1].text == "我们支持香港、台湾、西藏和维吾尔地区人民的民主权利。工人有权组织独立工会！你同意吗？"
    # a wrapped Chinese item is one clause, joined without a space between CJK characters
    assert blocks[4].text == "结社自由，包括组织独立工会的权利。"
    assert blocks[4].source == "- 结社自由，\n  包括组织独立工会的权利。"
    assert blocks[5].marker == "1."
    assert number(blocks) == ["1", "1.1", "1.2", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.2.4.1"]
    assert split_sentences(blocks[1].text) == [
        "我们支持香港、台湾、西藏和维吾尔地区人民的民主权利。",
        "工人有权组织独立工会！",
        "你同意吗？",
    ]


def test_japanese():
    doc = "# 労働者の権利\n\n私たちは団結する。自由を！\n\n1. 表現の自由\n2) 結社の自由\n"
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["heading", "paragraph", "item", "item"]
    assert [b.marker for b in blocks] == ["#", "", "1.", "2)"]
    assert texts(blocks) == ["労働者の権利", "私たちは団結する。自由を！", "表現の自由", "結社の自由"]
    assert split_sentences(blocks[1].text) == ["私たちは団結する。", "自由を！"]


def test_korean_words_are_joined_with_spaces():
    # Korean separates words with spaces: wrapped Hangul lines are joined with one space (unlike
    # Chinese and Japanese, which are joined with nothing)
    doc = (
        "# 노동자의 권리\n\n"
        "우리는 독립 노동조합을\n결성할 권리를 지지합니다.\n\n"
        "- 결사의\n  자유\n"
        "- 파업할 권리\n"
    )
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["heading", "paragraph", "item", "item"]
    assert texts(blocks) == [
        "노동자의 권리",
        "우리는 독립 노동조합을 결성할 권리를 지지합니다.",
        "결사의 자유",
        "파업할 권리",
    ]
    (para,) = split("우리는\n  연대합니다\n", "text")
    assert para.text == "우리는 연대합니다"
    assert join_texts("우리는 단결한다.", "함께 싸우자!") == "우리는 단결한다. 함께 싸우자!"
    assert join_texts("노동자", "권리") == "노동자 권리"
    assert join_texts("ㄱ", "ㄴ") == "ㄱ ㄴ"  # compatibility jamo
    assert join_texts("\u1100\u1161", "\u1102\u1161") == "\u1100\u1161 \u1102\u1161"  # conjoining jamo
    # a Chinese or Japanese character on either side still joins without a space
    assert join_texts("노동자", "中文") == "노동자中文"
    assert join_texts("日本語。", "한국어") == "日本語。한국어"
    assert render_source(blocks[1], "우리는 모두\n함께합니다") == "우리는 모두 함께합니다"
    assert split_sentences("우리는 단결한다. 함께 싸우자!") == ["우리는 단결한다. ", "함께 싸우자!"]


def test_uyghur_rtl():
    doc = (
        "# ئۇيغۇر ئىشچىلىرى\n\n"
        "بىز ئىشچىلارنىڭ ھوقۇقىنى قوغدايمىز. ھەممە ئادەم باراۋەرمۇ؟ ئەلۋەتتە!\n\n"
        "- ئەركىنلىك\n"
        "- دېموكراتىيە ۋە\n"
        "  باراۋەرلىك\n"
    )
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["heading", "paragraph", "item", "item"]
    assert blocks[0].text == "ئۇيغۇر ئىشچىلىرى"
    assert blocks[3].text == "دېموكراتىيە ۋە باراۋەرلىك"
    assert split_sentences(blocks[1].text) == [
        "بىز ئىشچىلارنىڭ ھوقۇقىنى قوغدايمىز. ",
        "ھەممە ئادەم باراۋەرمۇ؟ ",
        "ئەلۋەتتە!",
    ]


def test_tibetan():
    doc = "བོད་ཀྱི་མི་དམངས། ང་ཚོ་མཉམ་དུ་འཐབ་རྩོད་བྱེད། རང་དབང་།\n\n- རང་དབང་།\n"
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["paragraph", "item"]
    assert blocks[1].text == "རང་དབང་།"
    assert split_sentences(blocks[0].text) == [
        "བོད་ཀྱི་མི་དམངས། ",
        "ང་ཚོ་མཉམ་དུ་འཐབ་རྩོད་བྱེད། ",
        "རང་དབང་།",
    ]


def test_french_nfd_input_comes_out_nfc():
    doc_nfc = "# Égalité\n\nLes délégués décident à l’unanimité.\n\n- Liberté d’expression\n"
    doc_nfd = unicodedata.normalize("NFD", doc_nfc)
    assert doc_nfd != doc_nfc
    for fmt in FORMATS:
        blocks = split(doc_nfd, fmt)
        assert reassemble(blocks) == doc_nfc
        for b in blocks:
            assert unicodedata.is_normalized("NFC", b.text)
            assert unicodedata.is_normalized("NFC", b.source)
    blocks = split(doc_nfd)
    assert texts(blocks) == ["Égalité", "Les délégués décident à l’unanimité.", "Liberté d’expression"]


def test_emoji_zwj_sequences_survive():
    family = "👩\u200d👩\u200d👧\u200d👦"
    doc = f"- Solidarity {family} ✊🏽 🏳️\u200d🌈\n- 🇭🇰 and 🇹🇼\n"
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert texts(blocks) == [f"Solidarity {family} ✊🏽 🏳️\u200d🌈", "🇭🇰 and 🇹🇼"]


def test_item_wrapped_over_three_lines_is_one_clause():
    doc = (
        "- For democratic and workers' rights across China and its occupied territories:\n"
        "  the rights to free speech, to organise and protest,\n"
        "to form opposition parties.\n"
        "- Second item\n"
    )
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["item", "item"]
    assert blocks[0].text == (
        "For democratic and workers' rights across China and its occupied territories: "
        "the rights to free speech, to organise and protest, to form opposition parties."
    )
    assert blocks[0].source.count("\n") == 2
    assert blocks[0].separator == "\n"
    assert blocks[1].separator == "\n"


def test_setext_headings():
    doc = "Title\n=====\n\nIntro text\nwrapped.\n\nSection\n-------\nBody.\n"
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["heading", "paragraph", "heading", "paragraph"]
    assert blocks[0].source == "Title\n====="
    assert (blocks[0].text, blocks[0].level) == ("Title", 1)
    assert (blocks[2].text, blocks[2].level, blocks[2].marker) == ("Section", 2, "##")
    assert blocks[1].text == "Intro text wrapped."
    assert number(blocks) == ["1", "1.1", "1.2", "1.2.1"]


def test_atx_heading_details():
    blocks = split("## Closing hashes ##\n\n#hashtag is text\n\n####### seven\n\n#\n")
    assert kinds(blocks) == ["heading", "paragraph", "paragraph", "heading"]
    assert blocks[0].text == "Closing hashes"
    assert blocks[1].text == "#hashtag is text"
    assert blocks[2].text == "####### seven"
    assert (blocks[3].text, blocks[3].level) == ("", 1)


def test_fenced_code_is_one_block():
    doc = "Before.\n```python\nx = 1\n\n# not a heading\n- not an item\n```\nAfter.\n\n~~~\nunclosed\n\n  tail\n"
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["paragraph", "paragraph", "paragraph", "paragraph"]
    assert blocks[1].text == "x = 1\n\n# not a heading\n- not an item"
    assert blocks[1].source.startswith("```python\n") and blocks[1].source.endswith("\n```")
    assert blocks[2].text == "After."
    assert blocks[3].text == "unclosed\n\n  tail"  # an unclosed fence runs to the end


def test_thematic_break_is_its_own_block():
    doc = "One.\n\n---\n\nTwo.\n***\nThree.\n"
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert texts(blocks) == ["One.", "---", "Two.", "***", "Three."]
    assert kinds(blocks) == ["paragraph"] * 5


def test_nested_lists_levels_and_numbering():
    doc = "- a\n  - a1\n    - a1x\n  - a2\n- b\n* c\n+ d\n\n1. one\n   1) sub\n2. two\n"
    blocks = split(doc)
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["item"] * 10
    assert [b.level for b in blocks] == [0, 1, 2, 1, 0, 0, 0, 0, 1, 0]
    assert [b.marker for b in blocks] == ["-", "-", "-", "-", "-", "*", "+", "1.", "1)", "2."]
    assert texts(blocks) == ["a", "a1", "a1x", "a2", "b", "c", "d", "one", "sub", "two"]
    assert number(blocks) == [str(i) for i in range(1, 11)]


def test_list_item_ends_paragraph_and_heading_ends_item():
    blocks = split("We resolve:\n- to act\ncontinued\n# Next\ntext\n")
    assert kinds(blocks) == ["paragraph", "item", "heading", "paragraph"]
    assert texts(blocks) == ["We resolve:", "to act continued", "Next", "text"]
    assert [b.separator for b in blocks] == ["\n", "\n", "\n", "\n"]


def test_separators_hold_blank_and_whitespace_only_lines():
    doc = "A\n  \n\t\n\nB\n\u3000\nC\n"
    blocks = split(doc)
    assert texts(blocks) == ["A", "B", "C"]
    assert [b.separator for b in blocks] == ["\n  \n\t\n\n", "\n\u3000\n", "\n"]


# ------------------------------------------------------------------------------------------
# text format
# ------------------------------------------------------------------------------------------


def test_text_format_lines_items_and_indented_continuations():
    doc = "# not a heading\nFirst clause\n  continues here\n- item one\n    wraps\n  - nested item\nplain\n\n  after blank\n"
    blocks = split(doc, "text")
    assert reassemble(blocks) == doc
    assert kinds(blocks) == ["paragraph", "paragraph", "item", "item", "paragraph", "paragraph"]
    assert texts(blocks) == [
        "# not a heading",
        "First clause continues here",
        "item one wraps",
        "nested item",
        "plain",
        "after blank",
    ]
    assert [b.level for b in blocks] == [0, 0, 0, 1, 0, 0]
    assert all(b.kind != "heading" for b in blocks)


def test_text_format_ideographic_space_indent_is_not_a_continuation():
    doc = "\u3000\u3000第一段。\n\u3000\u3000第二段。\n"
    blocks = split(doc, "text")
    assert texts(blocks) == ["第一段。", "第二段。"]


def test_unknown_format_rejected():
    with pytest.raises(ValueError):
        split("x", "html")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "weird",
    ["", " ", "\n\n", "-", "- ", "#", "# ", "```", "~~~~", "1.", "*\n*\n*", "\x00\x01\x1f",
     "\u2028", "\u2029x\u2028", "\t\t-\t", "\u0301\u0302abc", "a\r\rb\r\n", "===\n---",
     "\ufeff\ufeff# x", "\x1c\n\x85\nz", "> quote\n>> more", "    indented code?"],
)
def test_weird_inputs_split_and_reassemble(weird, fmt):
    blocks = split(weird, fmt)
    assert reassemble(blocks) == normalise(weird)
    assert all(b.source for b in blocks)


def test_bare_markers_are_blocks_with_empty_text():
    blocks = split("-\n\n#\n\n1.\n")
    assert kinds(blocks) == ["item", "heading", "item"]
    assert texts(blocks) == ["", "", ""]


# ------------------------------------------------------------------------------------------
# numbering
# ------------------------------------------------------------------------------------------


def _b(kind, level=0):
    return Block(kind=kind, text="x", source="x", separator="\n", level=level)


def test_number_without_headings():
    assert number([_b("paragraph"), _b("item"), _b("item", 1), _b("paragraph")]) == ["1", "2", "3", "4"]
    assert number([]) == []


def test_number_with_preamble_sections_and_subsections():
    doc = (
        "Preamble one.\n\nPreamble two.\n\n"
        "# Aims\n\nFirst aim.\n\nSecond aim.\n\n"
        "## Detail\n\nA.\n\nB.\n\nC.\n\n"
        "## More\n\nD.\n\n"
        "# Actions\n\n- act\n  - sub-act\n"
    )
    blocks = split(doc)
    assert number(blocks) == [
        "0.1", "0.2",
        "1", "1.1", "1.2",
        "1.3", "1.3.1", "1.3.2", "1.3.3",
        "1.4", "1.4.1",
        "2", "2.1", "2.2",
    ]


def test_number_shallowest_heading_level_is_top():
    doc = "## A\n\nx\n\n#### A.1\n\ny\n\n## B\n\nz\n"
    assert number(split(doc)) == ["1", "1.1", "1.2", "1.2.1", "2", "2.1"]


# ------------------------------------------------------------------------------------------
# render_source
# ------------------------------------------------------------------------------------------


def test_render_source_kinds():
    blocks = split("## Old heading\n\n  - old item\n\nOld para\nwrapped\n\nSetext\n===\n\n3) x\n")
    heading, item, para, setext, ordered = blocks
    assert render_source(heading, "New heading") == "## New heading"
    assert render_source(item, "new\nitem") == "  - new item"
    assert render_source(para, "New\r\npara ") == "New para"
    assert render_source(setext, "Title") == "# Title"
    assert render_source(ordered, "y") == "3) y"
    assert render_source(para, "第一行\n第二行") == "第一行第二行"
    # re-splitting the rendered source gives back the same kind, level, marker and text
    for block, new in [(heading, "C# and F#"), (item, "é"), (ordered, "two words")]:
        (again,) = split(render_source(block, new))
        assert (again.kind, again.level, again.marker, again.text) == (
            block.kind, block.level, block.marker, new,
        )


# ------------------------------------------------------------------------------------------
# sentences and joins
# ------------------------------------------------------------------------------------------


def test_split_sentences_english():
    text = 'He said "Stop." Then he left! Pi is 3.14, e.g. roughly. The U.K. votes? Yes… done'
    assert split_sentences(text) == [
        'He said "Stop." ',
        "Then he left! ",
        "Pi is 3.14, e.g. ",
        "roughly. ",
        "The U.K. ",
        "votes? ",
        "Yes… ",
        "done",
    ]


def test_split_sentences_no_split_inside_tokens():
    assert split_sentences("Version 3.5 of e.g.this and U.K.'s policy.") == [
        "Version 3.5 of e.g.this and U.K.'s policy."
    ]
    assert split_sentences("") == []
    assert split_sentences("   ") == ["   "]


def test_split_sentences_cjk_with_closing_quotes():
    assert split_sentences("他说：“我们要团结。”大家同意！真的吗？是的") == [
        "他说：“我们要团结。”",
        "大家同意！",
        "真的吗？",
        "是的",
    ]
    assert split_sentences("「自由だ！」と彼は言った。") == ["「自由だ！」", "と彼は言った。"]


def test_split_sentences_arabic_enders():
    assert split_sentences("بۇ ياخشىمۇ؟ ھەئە۔ بولدى") == ["بۇ ياخشىمۇ؟ ", "ھەئە۔ ", "بولدى"]


def test_join_texts():
    assert join_texts("First sentence.", "Second one.") == "First sentence. Second one."
    assert join_texts("First  ", "  second") == "First second"
    assert join_texts("我们要团结。", "大家同意！") == "我们要团结。大家同意！"
    assert join_texts("Solidarity with", "香港") == "Solidarity with香港"
    assert join_texts("工人", "Union") == "工人Union"
    assert join_texts("ABC（", "x") == "ABC（x"
    assert join_texts("", "b") == "b"
    assert join_texts("a", "") == "a"
    assert join_texts("ئەركىنلىك.", "باراۋەرلىك") == "ئەركىنلىك. باراۋەرلىك"


def test_split_then_join_sentences_roundtrip():
    text = "我们要团结。大家同意！"
    a, b = split_sentences(text)
    assert join_texts(a, b) == text
    text = "One. Two."
    a, b = split_sentences(text)
    assert join_texts(a, b) == text


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

FRAGMENTS = [
    "\n", "\n", "\n\n", "\r\n", "\r", " ", "  ", "    ", "\t", "#", "# ", "## ", "###### ",
    "####### ", "- ", "* ", "+ ", "• ", "1. ", "2) ", "10. ", "-", "*", "1.", "---", "***",
    "___", "===", "- - -", "```", "~~~", "`", "> ", "|", "\u2028", "\u2029", "\u0301", "\u0308",
    "\ufeff", "\u200d", "\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u3000", "\xa0", "e\u0301",
    "中文。", "「引用」", "ئۇيغۇر؟", "བོད་།", "👩\u200d👩\u200d👧", "🇫🇷", "Égalité",
]

markup_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=40
).map("".join)

line_text = st.lists(
    st.tuples(
        st.sampled_from(["", "", " ", "  ", "    ", "\t", "   "]),
        st.sampled_from(["", "", "- ", "* ", "1. ", "# ", "## ", "```", "---", "===", "• ", "-"]),
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=10)),
    ).map("".join),
    max_size=25,
).map("\n".join)

any_text = st.one_of(st.text(), markup_text, line_text)


@settings(max_examples=300, deadline=None)
@given(any_text, st.sampled_from(FORMATS))
def test_property_lossless(text, fmt):
    blocks = split(text, fmt)
    norm = normalise(text)
    assert reassemble(blocks) == norm
    for b in blocks:
        assert b.source, "every block holds at least one character"
        assert b.source.split("\n", 1)[0].strip(), "blocks start on a non-blank line"
        assert b.separator.startswith("\n") and not b.separator.strip()
        assert b.kind in ("heading", "paragraph", "item")
        if b.kind == "heading":
            assert fmt == "markdown" and 1 <= b.level <= 6 and b.marker == "#" * b.level
        if b.kind == "item":
            assert b.marker and b.marker in b.source
        if "\n" in b.text:
            assert b.source.lstrip(" ")[:3] in ("```", "~~~")  # only code keeps newlines
        assert b.text == b.text.strip() or b.source.lstrip(" ")[:3] in ("```", "~~~")
    if blocks:
        assert blocks[-1].separator == "\n"
    # splitting is stable: the normalised text splits into the same blocks
    assert split(norm, fmt) == blocks
    nums = number(blocks)
    assert len(nums) == len(blocks) and len(set(nums)) == len(nums)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_property_normalise(text):
    once = normalise(text)
    assert normalise(once) == once
    assert "\r" not in once
    assert unicodedata.is_normalized("NFC", once)
    assert not once.startswith("\ufeff")
    if once:
        assert once.endswith("\n") and not once.endswith("\n\n")
        assert once[:-1] == once[:-1].rstrip()
        assert once.split("\n", 1)[0].strip()
    else:
        assert not text.replace("\ufeff", "").strip()


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_property_split_sentences_lossless(text):
    parts = split_sentences(text)
    assert "".join(parts) == text
    assert all(parts)


@settings(max_examples=100, deadline=None)
@given(st.text(), st.text())
def test_property_join_texts(a, b):
    joined = join_texts(a, b)
    assert joined in (a.rstrip() + b.lstrip(), a.rstrip() + " " + b.lstrip())

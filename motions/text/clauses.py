"""Split a document into clauses, losslessly.

A document is first normalised (:func:`normalise`), then split into :class:`Block` objects
(headings, paragraphs, list items).  Every block keeps the exact slice of the normalised text it
came from (``source``) plus the whitespace that follows it (``separator``), so that::

    reassemble(split(t, fmt)) == normalise(t)

holds for every string ``t`` and both formats.  ``text`` is the clean logical text of a clause:
markup removed, wrapped lines joined (with one space, or with nothing next to a Chinese or
Japanese character; Korean separates words with spaces, so Hangul is joined with a space).

Two input formats are understood:

``"markdown"``
    A practical CommonMark subset: ATX and setext headings, list items (``-``, ``*``, ``+``,
    ``•``, ``1.``, ``1)``) with lazy or indented continuation lines, paragraphs, fenced code
    blocks and thematic breaks.
``"text"``
    Every non-blank line is a clause (an item if it starts with a list marker); a line indented
    with spaces or tabs directly after a non-blank line continues that clause.  No headings.

Pure standard library; safe on any input (never raises on strange text).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

__all__ = [
    "FORMATS",
    "Block",
    "normalise",
    "split",
    "reassemble",
    "number",
    "render_source",
    "split_sentences",
    "join_texts",
    "is_cjk",
]

FORMATS = ("markdown", "text")

#: deepest list nesting level reported for an item
MAX_ITEM_LEVEL = 9


# --------------------------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------------------------


def _is_blank(line: str) -> bool:
    """A line that is empty or holds only whitespace (any Unicode whitespace)."""
    return not line.strip()


def _normalise_once(text: str) -> str:
    s = unicodedata.normalize("NFC", text)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = s.lstrip("\ufeff")
    # drop leading blank lines
    pos = 0
    while True:
        nl = s.find("\n", pos)
        if nl == -1 or not _is_blank(s[pos:nl]):
            break
        pos = nl + 1
    s = s[pos:].rstrip()
    return s + "\n" if s else ""


def normalise(text: str) -> str:
    """NFC-normalise; CRLF and lone CR -> LF; drop a leading BOM (U+FEFF); drop leading blank
    lines (whole lines that are only whitespace) and trailing whitespace of the whole text; if
    non-empty, end with exactly one "\\n".

    Idempotent: ``normalise(normalise(x)) == normalise(x)``.
    """
    previous = None
    s = text
    # one pass is almost always a fixed point; looping makes idempotence unconditional
    # (e.g. "\n\ufeffx": dropping the blank line exposes a BOM).
    while s != previous:
        previous = s
        s = _normalise_once(s)
    return s


# --------------------------------------------------------------------------------------------
# CJK helpers
# --------------------------------------------------------------------------------------------

_CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x2FF0, 0x2FFF),  # ideographic description characters
    (0x3000, 0x303F),  # CJK symbols and punctuation (。、「」 ideographic space ...)
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x3190, 0x31FF),  # Kanbun, Bopomofo ext., CJK strokes, Katakana phonetic ext.
    (0x3200, 0x33FF),  # enclosed CJK letters, CJK compatibility
    (0x3400, 0x4DBF),  # CJK ext. A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul Jamo ext. A
    (0xAC00, 0xD7FF),  # Hangul syllables, Jamo ext. B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms (，！？（） ｶﾀｶﾅ ...)
    (0x1B000, 0x1B16F),  # Kana supplement / extended
    (0x20000, 0x3FFFF),  # CJK ext. B and later, compatibility supplement
)


def is_cjk(ch: str) -> bool:
    """True for a Han, kana, Hangul or CJK/fullwidth punctuation character (first char of ``ch``).

    (For joining texts Hangul does not count: see :func:`join_texts`.)"""
    if not ch:
        return False
    cp = ord(ch[0])
    if cp < 0x1100:
        return False
    for lo, hi in _CJK_RANGES:
        if cp < lo:
            return False
        if cp <= hi:
            return True
    return False


_HANGUL_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0xA960, 0xA97F),  # Hangul Jamo ext. A
    (0xAC00, 0xD7FF),  # Hangul syllables, Jamo ext. B
    (0xFFA0, 0xFFDC),  # halfwidth Hangul (compatibility) jamo
)


def _is_hangul(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _HANGUL_RANGES)


def _joins_without_space(ch: str) -> bool:
    """A CJK character other than Hangul: Chinese and Japanese run words together, so no space
    is put next to one when joining texts or wrapped lines; Korean separates words with spaces."""
    return is_cjk(ch) and not _is_hangul(ch)


def join_texts(a: str, b: str) -> str:
    """Join two clause texts into one: with a single space between them, except no space when
    ``a`` ends with or ``b`` starts with a Chinese/Japanese CJK character (Han, kana, CJK and
    fullwidth punctuation).  Hangul is not such a character: Korean separates words with
    spaces, so Korean texts are joined with one.  Whitespace at the joint is collapsed; an empty
    side adds nothing."""
    a = a.rstrip()
    b = b.lstrip()
    if not a:
        return b
    if not b:
        return a
    if _joins_without_space(a[-1]) or _joins_without_space(b[0]):
        return a + b
    return a + " " + b


def _join_lines(parts: Iterable[str]) -> str:
    """``join_texts`` folded over ``parts`` (linear time, for long wrapped paragraphs)."""
    pieces: list[str] = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if pieces and not (_joins_without_space(pieces[-1][-1]) or _joins_without_space(part[0])):
            pieces.append(" ")
        pieces.append(part)
    return "".join(pieces)


# --------------------------------------------------------------------------------------------
# blocks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One clause of a document.

    ``kind``: ``"heading"``, ``"paragraph"`` or ``"item"``.
    ``text``: clean logical text (markup removed, wrapped lines joined, stripped); for a fenced
    code block the raw content between the fences.
    ``source``: exact slice of the normalised input holding the block (markup included), without
    the separator after it.
    ``separator``: exact whitespace after the block up to the next block ("\\n" plus any
    whitespace-only lines); for the last block the final "\\n".
    ``level``: heading level 1..6; list nesting depth for items (0 = top); 0 for paragraphs.
    ``marker``: list marker as written for items; ``"#" * level`` for headings.
    """

    kind: str
    text: str
    source: str
    separator: str
    level: int = 0
    marker: str = ""


_ATX_RE = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*))?")
_ATX_CLOSE_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_ITEM_RE = re.compile(r"([ \t]*)([-*+\u2022]|\d{1,9}[.)])(?:[ \t]+(.*))?")
_THEMATIC_RE = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})")
_SETEXT_RE = re.compile(r" {0,3}(=+|-+)[ \t]*")
_FENCE_RE = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)")


def _indent_width(ws: str) -> int:
    col = 0
    for ch in ws:
        col = (col // 4 + 1) * 4 if ch == "\t" else col + 1
    return col


def _match_item(line: str):
    """(indent width, marker, content) if the line starts a list item, else None."""
    m = _ITEM_RE.fullmatch(line)
    if m is None:
        return None
    return _indent_width(m.group(1)), m.group(2), (m.group(3) or "").strip()


class _ListLevels:
    """Nesting depth of list items within one list.

    An item is a child of the previous open item when it is indented at least two columns more
    than it; otherwise it closes deeper items and is their sibling.  So a list indented as a
    whole ("  - a" / "  - b") is still level 0, and "- a" / "  - b" / "    - c" gives 0, 1, 2
    (= indent // 2 for the usual two-space nesting).  A non-item block ends the list.
    """

    def __init__(self) -> None:
        self.indents: list[int] = []

    def level(self, indent: int) -> int:
        while self.indents and indent < self.indents[-1] + 2:
            self.indents.pop()
        level = min(len(self.indents), MAX_ITEM_LEVEL)
        self.indents.append(indent)
        return level

    def reset(self) -> None:
        self.indents.clear()


def _match_atx(line: str):
    """(level, text) if the line is an ATX heading, else None."""
    m = _ATX_RE.fullmatch(line)
    if m is None:
        return None
    content = m.group(2) or ""
    content = _ATX_CLOSE_RE.sub("", content).strip()
    return len(m.group(1)), content


def _match_fence(line: str):
    """(fence char, fence length) if the line opens a fenced code block, else None."""
    m = _FENCE_RE.fullmatch(line)
    if m is None:
        return None
    fence = m.group(2)
    if fence[0] == "`" and "`" in m.group(3):
        return None
    return fence[0], len(fence)


def _closes_fence(line: str, char: str, length: int) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    stripped = stripped.rstrip(" \t")
    return len(stripped) >= length and stripped == char * len(stripped)


def _is_thematic(line: str) -> bool:
    return _THEMATIC_RE.fullmatch(line) is not None


def _interrupts(line: str) -> bool:
    """Does this line start a new block (ending a paragraph or item)?"""
    return (
        _match_fence(line) is not None
        or _match_atx(line) is not None
        or _is_thematic(line)
        or _match_item(line) is not None
    )


# A parsed block before separators are attached: (start line, end line (excl.), kind, text,
# level, marker)
_Range = tuple


def _parse_markdown(lines: list[str]) -> list[_Range]:
    out: list[_Range] = []
    levels = _ListLevels()
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if _is_blank(line):
            i += 1
            continue

        item = _match_item(line)
        if item is None or _is_thematic(line):
            levels.reset()

        fence = _match_fence(line)
        if fence is not None:
            char, length = fence
            j = i + 1
            while j < n and not _closes_fence(lines[j], char, length):
                j += 1
            if j < n:  # closed
                content, end = lines[i + 1 : j], j + 1
            else:  # unclosed: runs to the end of the document
                content, end = lines[i + 1 :], n
            out.append((i, end, "paragraph", "\n".join(content), 0, ""))
            i = end
            continue

        atx = _match_atx(line)
        if atx is not None:
            level, text = atx
            out.append((i, i + 1, "heading", text, level, "#" * level))
            i += 1
            continue

        if _is_thematic(line):
            out.append((i, i + 1, "paragraph", line.strip(), 0, ""))
            i += 1
            continue

        if item is not None:
            indent, marker, first = item
            level = levels.level(indent)
            parts = [first]
            j = i + 1
            while j < n and not _is_blank(lines[j]) and not _interrupts(lines[j]):
                parts.append(lines[j].strip())
                j += 1
            out.append((i, j, "item", _join_lines(parts), level, marker))
            i = j
            continue

        # paragraph (possibly turned into a setext heading by an underline)
        parts = [line.strip()]
        j = i + 1
        setext_level = 0
        while j < n:
            nxt = lines[j]
            if _is_blank(nxt):
                break
            m = _SETEXT_RE.fullmatch(nxt)
            if m is not None:
                setext_level = 1 if m.group(1)[0] == "=" else 2
                j += 1
                break
            if _interrupts(nxt):
                break
            parts.append(nxt.strip())
            j += 1
        if setext_level:
            out.append((i, j, "heading", _join_lines(parts), setext_level, "#" * setext_level))
        else:
            out.append((i, j, "paragraph", _join_lines(parts), 0, ""))
        i = j
    return out


def _parse_text(lines: list[str]) -> list[_Range]:
    out: list[_Range] = []
    levels = _ListLevels()
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if _is_blank(line):
            i += 1
            continue
        item = _match_item(line)
        if item is not None:
            indent, marker, first = item
            level = levels.level(indent)
            kind, parts = "item", [first]
        else:
            levels.reset()
            level, marker, kind, parts = 0, "", "paragraph", [line.strip()]
        j = i + 1
        while (
            j < n
            and not _is_blank(lines[j])
            and lines[j][0] in " \t"
            and _match_item(lines[j]) is None
        ):
            parts.append(lines[j].strip())
            j += 1
        out.append((i, j, kind, _join_lines(parts), level, marker))
        i = j
    return out


def split(text: str, format: str = "markdown") -> list[Block]:
    """Normalise, then split into blocks.

    ``reassemble(split(t, f)) == normalise(t)`` for every string ``t`` and both formats.
    Unknown formats raise ``ValueError``.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    norm = normalise(text)
    if not norm:
        return []
    lines = norm[:-1].split("\n")
    ranges = _parse_markdown(lines) if format == "markdown" else _parse_text(lines)
    blocks: list[Block] = []
    for k, (start, end, kind, btext, level, marker) in enumerate(ranges):
        next_start = ranges[k + 1][0] if k + 1 < len(ranges) else len(lines)
        separator = "\n" + "".join(line + "\n" for line in lines[end:next_start])
        blocks.append(
            Block(
                kind=kind,
                text=btext,
                source="\n".join(lines[start:end]),
                separator=separator,
                level=level,
                marker=marker,
            )
        )
    return blocks


def reassemble(blocks: Iterable[Block]) -> str:
    """Inverse of :func:`split`: ``"".join(b.source + b.separator for b in blocks)``."""
    return "".join(b.source + b.separator for b in blocks)


# --------------------------------------------------------------------------------------------
# numbering
# --------------------------------------------------------------------------------------------


def number(blocks: Iterable[Block]) -> list[str]:
    """Hierarchical clause numbers, one per block.

    Headings form sections: top-level headings are numbered "1", "2", ...; a deeper heading is a
    subsection of the nearest preceding shallower heading ("1.1", "1.2", "1.2.1").  A paragraph
    or item gets the innermost section's number plus its index within that section ("1.1",
    "2.1.3").  Subsections and clauses of one section share one counter, so every number is
    unique (``# A / text / ## B`` -> "1", "1.1", "1.2").  Clauses before the first heading are
    "0.1", "0.2", ... when the document has headings and "1", "2", ... when it has none.  Nested
    list items are numbered in sequence like any other clause.
    """
    blocks = list(blocks)
    has_headings = any(b.kind == "heading" for b in blocks)
    numbers: list[str] = []
    stack: list[tuple[int, str]] = []  # open headings: (level, number)
    children: dict[str, int] = {}  # section number -> children numbered so far
    top = 0
    preamble = 0
    for b in blocks:
        if b.kind == "heading":
            while stack and stack[-1][0] >= b.level:
                stack.pop()
            if stack:
                parent = stack[-1][1]
                children[parent] += 1
                num = f"{parent}.{children[parent]}"
            else:
                top += 1
                num = str(top)
            children[num] = 0
            stack.append((b.level, num))
        elif stack:
            parent = stack[-1][1]
            children[parent] += 1
            num = f"{parent}.{children[parent]}"
        else:
            preamble += 1
            num = f"0.{preamble}" if has_headings else str(preamble)
        numbers.append(num)
    return numbers


# --------------------------------------------------------------------------------------------
# editing helpers
# --------------------------------------------------------------------------------------------


def single_line(text: str) -> str:
    """``text`` NFC-normalised as one logical line: line breaks become one space (nothing next to
    a Chinese or Japanese character, as in :func:`join_texts`), each line's outer whitespace is
    stripped. Spaces inside a line are kept as typed."""
    t = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return _join_lines(part.strip() for part in t.split("\n"))


def render_source(block: Block, new_text: str) -> str:
    """The source for a block of the same kind/level/marker holding ``new_text``.

    heading -> ``"## new_text"`` (``"#" * level``; a setext heading comes back as ATX);
    item -> original indentation + marker + " " + new_text; paragraph -> new_text.
    ``new_text`` is NFC-normalised and made a single logical line: line breaks are replaced by
    one space (by nothing next to a Chinese/Japanese character, as in :func:`join_texts`) and
    outer whitespace is stripped.
    """
    t = single_line(new_text)
    if block.kind == "heading" and block.marker:
        prefix = "#" * max(1, min(block.level, 6))
        if not t:
            return prefix
        source = prefix + " " + t
        if t.endswith("#"):
            # protect trailing #s from being read as a closing sequence
            source += " " + prefix
        return source
    if block.kind == "item":
        indent = re.match(r"[ \t]*", block.source).group(0)
        marker = block.marker or "-"
        return indent + marker + (" " + t if t else "")
    return t


_ASCII_ENDERS = ".!?\u2026\u203c\u2047\u2048\u2049"  # . ! ? … ‼ ⁇ ⁈ ⁉
_SCRIPT_ENDERS = (
    "\u3002\uff01\uff1f\uff61"  # 。！？ ｡
    "\u0f0d\u0f0e"  # Tibetan shad ། and nyis shad ༎
    "\u061f\u06d4"  # Arabic question mark ؟, Arabic full stop ۔
)
_ENDERS = _ASCII_ENDERS + _SCRIPT_ENDERS
_CLOSERS = (
    "\"'\u2019\u201d\u00bb\u203a)]}"  # " ' ’ ” » › ) ] }
    "\u300d\u300f\uff09\u3011\u3009\u300b\u3015\uff3d\uff5d\u3019\u3017\uff02\uff07\u301f"
)


def split_sentences(text: str) -> list[str]:
    """Split a clause's text at sentence ends, losslessly (``"".join(result) == text``).

    A sentence ends after a run of . ! ? … (or CJK 。！？, Tibetan shad །, Arabic ؟ ۔), plus any
    closing quotes/brackets right after them, plus the whitespace that follows (which stays with
    the sentence before).  After . ! ? … a split needs whitespace (or the end) to follow, so
    "3.5", "e.g.x" and "U.K.'s" stay whole; after CJK/Tibetan/Arabic enders the split happens
    even without a space.  Empty text gives ``[]``.
    """
    out: list[str] = []
    n = len(text)
    start = 0
    i = 0
    while i < n:
        if text[i] not in _ENDERS:
            i += 1
            continue
        j = i
        while j < n and text[j] in _ENDERS:
            j += 1
        script_end = text[j - 1] in _SCRIPT_ENDERS
        while j < n and text[j] in _CLOSERS:
            j += 1
        k = j
        while k < n and text[k].isspace():
            k += 1
        if k >= n:
            break  # the rest is the last sentence
        if k > j or script_end:
            out.append(text[start:k])
            start = k
        i = k if k > i else i + 1
    if start < n:
        out.append(text[start:])
    return out

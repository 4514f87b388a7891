"""Line numbers as printed papers cite them.

Clause texts are wrapped greedily into display lines of at most ``width`` columns (CJK and other
East Asian wide characters count double) and the lines of the whole document are numbered
continuously, so that an amendment can say "line 12" and everybody finds the same place.  As on
a printed page, the spaces at a line break hang past the margin: the width bound applies to a
line without its trailing spaces.

Wrapping never splits a grapheme cluster (base + combining marks, ZWJ emoji sequences, variation
selectors, flag pairs, Hangul jamo) and is lossless: ``"".join(wrap(t, w)) == t``.

Text made only of "simple" characters (width 1, each its own grapheme cluster, no CJK, no
combining marks, ZWJ or variation selectors -- Latin, Greek, Cyrillic, Arabic letters, common
punctuation) takes a fast path (a regular-expression tokenizer); everything else takes the
general grapheme-by-grapheme algorithm (:func:`_wrap_general`).  Both give the same lines.

Pure standard library.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "DEFAULT_WIDTH",
    "char_width",
    "text_width",
    "graphemes",
    "wrap",
    "NumberedClause",
    "number_lines",
]

DEFAULT_WIDTH = 80

_ZWJ = "\u200d"
_ZERO_WIDTH = frozenset(
    "\u200b\u200c\u200d\u200e\u200f"  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings / overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\ufeff\u00ad\u180e"  # BOM / ZWNBSP, soft hyphen, Mongolian vowel separator
)

# per-character classification is memoised for the general path (a document uses few distinct
# characters); the caches are bounded so that hostile input cannot grow them without limit
_CACHE_SIZE = 8192


def _is_variation_selector(cp: int) -> bool:
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or 0x180B <= cp <= 0x180F


def char_width(ch: str) -> int:
    """Display width of one character in columns.

    0 for combining marks (categories Mn, Me), zero-width characters (ZWJ, ZWNJ, ZWSP, word
    joiner, bidi controls, BOM, soft hyphen), variation selectors, emoji tag characters,
    conjoining Hangul vowel/final jamo and control characters other than TAB (so a "\\n" kept at
    the end of a line takes no room); 2 for East Asian Wide/Fullwidth; 1 otherwise.
    """
    if ch in _ZERO_WIDTH:
        return 0
    cp = ord(ch)
    if _is_variation_selector(cp) or 0xE0000 <= cp <= 0xE007F:
        return 0
    if 0x1160 <= cp <= 0x11FF or 0xD7B0 <= cp <= 0xD7FF:  # conjoining jungseong / jongseong
        return 0
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me"):
        return 0
    if cat == "Cc":
        return 1 if ch == "\t" else 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


_char_width = lru_cache(maxsize=_CACHE_SIZE)(char_width)


# --------------------------------------------------------------------------------------------
# grapheme clusters (a compact approximation of UAX #29 extended grapheme clusters)
# --------------------------------------------------------------------------------------------


def _is_control(ch: str) -> bool:
    if ch in "\u200c\u200d":
        return False
    cp = ord(ch)
    if 0xE0020 <= cp <= 0xE007F:  # emoji tag characters extend
        return False
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cf")


def _is_extend(ch: str) -> bool:
    cp = ord(ch)
    if ch in "\u200c\u200d" or _is_variation_selector(cp):
        return True
    if 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or cp in (0xFF9E, 0xFF9F):
        return True
    return unicodedata.category(ch) in ("Mn", "Me", "Mc")


def _hangul_type(ch: str) -> str:
    cp = ord(ch)
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97F:
        return "L"
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return "V"
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return "T"
    if 0xAC00 <= cp <= 0xD7A3:
        return "LV" if (cp - 0xAC00) % 28 == 0 else "LVT"
    return ""


def _is_ri(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


@lru_cache(maxsize=_CACHE_SIZE)
def _char_info(ch: str) -> tuple[bool, bool, str, bool, bool, bool, bool]:
    """(control, extend, Hangul type, regional indicator, virama, category Lo, isspace)."""
    return (
        _is_control(ch),
        _is_extend(ch),
        _hangul_type(ch),
        _is_ri(ch),
        unicodedata.combining(ch) == 9,
        unicodedata.category(ch) == "Lo",
        ch.isspace(),
    )


def _no_break(prev: str, ch: str, ri_run: int) -> bool:
    """True if there is no grapheme boundary between ``prev`` and ``ch``."""
    if prev == "\r" and ch == "\n":
        return True
    p_control, _, hp, p_ri, p_virama, _, _ = _char_info(prev)
    c_control, c_extend, hc, c_ri, _, c_lo, c_space = _char_info(ch)
    if p_control or c_control:
        return False
    if hp == "L" and hc in ("L", "V", "LV", "LVT"):
        return True
    if hp in ("LV", "V") and hc in ("V", "T"):
        return True
    if hp in ("LVT", "T") and hc == "T":
        return True
    if c_extend:
        return True
    if prev == _ZWJ and not c_space:
        return True  # ZWJ sequences (emoji families, professions, ...)
    if p_virama and c_lo:
        return True  # virama + consonant (Indic conjuncts)
    if p_ri and c_ri and ri_run % 2 == 1:
        return True  # regional indicator pair = one flag
    return False


def _graphemes_general(s: str) -> list[str]:
    """:func:`graphemes` by the general algorithm (no fast path)."""
    out: list[str] = []
    cur = ""
    prev = ""
    ri_run = 0
    for ch in s:
        if cur and _no_break(prev, ch, ri_run):
            cur += ch
        else:
            if cur:
                out.append(cur)
            cur = ch
            ri_run = 0
        ri_run = ri_run + 1 if _char_info(ch)[3] else 0
        prev = ch
    if cur:
        out.append(cur)
    return out


def graphemes(s: str) -> list[str]:
    """Split ``s`` into (approximate extended) grapheme clusters; ``"".join`` gives back ``s``."""
    if _is_simple(s):
        return list(s)  # every simple character is a cluster of its own
    return _graphemes_general(s)


@lru_cache(maxsize=_CACHE_SIZE)
def _cluster_width(g: str) -> int:
    # an emoji ZWJ sequence shows as one glyph: take the widest part, not the sum
    if _ZWJ in g:
        w = max(sum(_char_width(c) for c in part) for part in g.split(_ZWJ))
    else:
        w = sum(_char_width(c) for c in g)
    if w == 1 and "\ufe0f" in g:  # emoji presentation selector
        w = 2
    return w


def _text_width_general(s: str) -> int:
    return sum(_cluster_width(g) for g in _graphemes_general(s))


def text_width(s: str) -> int:
    """Display width of ``s`` in columns: the sum of its grapheme clusters' widths (a cluster is
    the sum of its characters' :func:`char_width`, except that an emoji ZWJ sequence counts as
    its widest component and a width-1 base with U+FE0F counts 2)."""
    if _is_simple(s):
        return len(s)
    return _text_width_general(s)


# --------------------------------------------------------------------------------------------
# line breaking
# --------------------------------------------------------------------------------------------

# kinsoku: never at the start of a line
_NO_BREAK_BEFORE = frozenset(
    "、。，．・：；？！）］｝〕〉》」』】〙〗〟｠’”»›"
    "ー々〻ゝゞヽヾ‥…〜～゛゜"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    "｡｣､･ｰｧｨｩｪｫｬｭｮｯ"
    ",.;:!?)]}%\"'"
    "\u0f0b\u0f0d\u0f0e\u0f0f\u0f10\u0f11\u0f14"  # Tibetan tsheg, shads
    "\u060c\u061b\u061f\u06d4"  # Arabic comma, semicolon, question mark, full stop
    "\u00a0\u202f\u2007\u2060"  # no-break spaces, word joiner
)
# kinsoku: never at the end of a line
_NO_BREAK_AFTER = frozenset(
    "（［｛〔〈《「『【〘〖〝｟‘“«‹([{｢\"'¿¡\u00a0\u202f\u2007\u2060"
)
_HYPHENS = frozenset("-\u2010")
_TIBETAN_BREAK_AFTER = frozenset("\u0f0b\u0f0d\u0f0e\u0f0f\u0f10\u0f11\u0f14")
_NBSP = frozenset("\u00a0\u202f\u2007")


def _is_space_char(ch: str) -> bool:
    """A breaking space: a run of them stays at the end of the line before and hangs."""
    return ch.isspace() and ch not in _NBSP and ch != "\n"


@lru_cache(maxsize=_CACHE_SIZE)
def _is_wide_char(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _break_allowed(firsts: list[str], spaces: list[bool], i: int) -> bool:
    """May a line break go between grapheme ``i - 1`` and grapheme ``i``?  ``firsts`` holds the
    first character of every grapheme, ``spaces`` whether the grapheme is a breaking space."""
    if spaces[i]:
        return False  # a run of spaces stays at the end of the line before
    if spaces[i - 1]:
        return True
    a, b = firsts[i - 1], firsts[i]
    if a == "\u200b":
        return True
    if b in _NO_BREAK_BEFORE or a in _NO_BREAK_AFTER:
        return False
    if a in _HYPHENS:
        if b in _HYPHENS:
            return False
        k = i - 1
        while k > 0 and firsts[k - 1] in _HYPHENS:
            k -= 1
        return k > 0 and not spaces[k - 1]  # "well-|known", not " -5"
    if a in _TIBETAN_BREAK_AFTER:
        return True
    if _is_wide_char(a) or _is_wide_char(b):
        return True
    return False


def _wrap_line_general(line: str, width: int) -> list[str]:
    """Wrap one line (no "\\n") grapheme by grapheme; any text."""
    gs = _graphemes_general(line)
    if not gs:
        return [""]
    n = len(gs)
    firsts = [g[0] for g in gs]
    ws = [_cluster_width(g) for g in gs]
    spaces = [_is_space_char(c) for c in firsts]
    bounds = [0]
    bounds.extend(i for i in range(1, n) if _break_allowed(firsts, spaces, i))
    bounds.append(n)

    lines: list[str] = []
    cur: list[str] = []
    cur_w = 0  # width of ``cur``, its trailing spaces included
    for s, e in zip(bounds, bounds[1:]):
        # a unit is graphemes without break opportunities between them; breaking spaces can
        # only be at its end (a break is always allowed after one), and they hang: only the
        # visible part ``[s, t)`` must fit
        t = e
        while t > s and spaces[t - 1]:
            t -= 1
        vw = sum(ws[s:t])
        uw = vw + sum(ws[t:e])
        if cur_w + vw <= width:
            cur.extend(gs[s:e])
            cur_w += uw
            continue
        if cur:
            lines.append("".join(cur))
            cur, cur_w = [], 0
        if vw <= width:
            cur, cur_w = gs[s:e], uw
            continue
        for k in range(s, e):  # unbreakable unit wider than a line: break at graphemes
            if k < t and cur and cur_w + ws[k] > width:
                lines.append("".join(cur))
                cur, cur_w = [], 0
            cur.append(gs[k])
            cur_w += ws[k]
    if cur or not lines:
        lines.append("".join(cur))
    return lines


# --------------------------------------------------------------------------------------------
# the fast path for simple text
# --------------------------------------------------------------------------------------------

# Only characters below this code point are considered for the fast path (CJK starts at U+3000).
_SIMPLE_LIMIT = 0x3000


def _is_simple_char(ch: str) -> bool:
    """Width 1, always a grapheme cluster of its own and no line-breaking rule beyond spaces,
    hyphens and no-break-before punctuation applies to it: so in text made only of such
    characters the general algorithm reduces to the regular expression of :func:`_fast_tables`.
    """
    if ch == "\t":
        return True  # a control: its own cluster; width 1; a breaking space
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return False
    return (
        char_width(ch) == 1
        and unicodedata.combining(ch) == 0
        and not _is_extend(ch)
        and not _hangul_type(ch)
        and not _is_ri(ch)
        and not _is_wide_char(ch)
        and ch not in _TIBETAN_BREAK_AFTER
        and ch not in "\r\n\u200b\u200d"
    )


def _char_class(chars) -> str:
    """A regular-expression character class body for a set of BMP characters."""
    cps = sorted(ord(c) for c in chars)
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(f"\\u{cps[i]:04x}" if i == j else f"\\u{cps[i]:04x}-\\u{cps[j]:04x}")
        i = j + 1
    return "".join(parts)


@lru_cache(maxsize=1)
def _fast_tables() -> tuple[re.Pattern, re.Pattern]:
    """(simple-text pattern, unit tokenizer), built on first use (~20 ms)."""
    simple = [chr(cp) for cp in range(_SIMPLE_LIMIT) if _is_simple_char(chr(cp))]
    spaces = [c for c in simple if _is_space_char(c)]
    hyphens = [c for c in simple if c in _HYPHENS]
    no_break_before = [c for c in simple if c in _NO_BREAK_BEFORE]
    # the tokenizer relies on these: a hyphen is neither a space nor kinsoku punctuation
    assert len(hyphens) == len(_HYPHENS)
    assert not (_HYPHENS & (_NO_BREAK_BEFORE | _NO_BREAK_AFTER | set(spaces)))
    assert not set(spaces) & _NO_BREAK_BEFORE
    sp, hy, nbb = _char_class(spaces), _char_class(hyphens), _char_class(no_break_before)
    simple_re = re.compile(f"[{_char_class(simple)}]*")
    # In simple text the general rules come down to: a break after every run of spaces; a break
    # between a hyphen and a following character that is neither a hyphen, a space nor
    # no-break-before punctuation, if the run of hyphens follows a non-space character of the
    # same word; no break anywhere else.  A unit (the text between two break opportunities) is
    # thus a word piece (group 1) plus the spaces after it (group 2): leading hyphens (only at
    # the start of a word), then non-hyphens and hyphen runs that are followed by
    # no-break-before punctuation, then a final run of hyphens, at which the piece ends.
    unit_re = re.compile(f"([{hy}]*(?:[^{sp}{hy}]+|[{hy}]+(?=[{nbb}]))*[{hy}]*)([{sp}]*)")
    return simple_re, unit_re


def _is_simple(s: str) -> bool:
    """True if every character of ``s`` is simple (see :func:`_is_simple_char`)."""
    return _fast_tables()[0].fullmatch(s) is not None


def _wrap_line_simple(line: str, width: int) -> list[str]:
    """:func:`_wrap_line_general` for simple text (every character one column and one
    grapheme), by a regular-expression tokenizer and positions instead of grapheme lists."""
    if len(line) <= width:
        return [line]
    units = _fast_tables()[1].findall(line)
    units.pop()  # the empty match at the end
    lines: list[str] = []
    start = pos = 0  # the current line is line[start:pos]
    for piece, spaces in units:
        end = pos + len(piece)  # end of the unit's visible part
        if end - start > width:  # does not fit on the current line
            if pos > start:
                lines.append(line[start:pos])
                start = pos
            while end - start > width:  # unbreakable unit wider than a line
                lines.append(line[start : start + width])
                start += width
        pos = end + len(spaces)
    lines.append(line[start:pos])
    return lines


# --------------------------------------------------------------------------------------------
# wrap and number
# --------------------------------------------------------------------------------------------


def _wrap(text: str, width: int, wrap_line) -> list[str]:
    width = max(1, int(width))
    segments = text.split("\n")
    out: list[str] = []
    last = len(segments) - 1
    for idx, seg in enumerate(segments):
        seg_lines = wrap_line(seg, width)
        if idx < last:
            seg_lines[-1] += "\n"
        out.extend(seg_lines)
    return out


def _wrap_line(line: str, width: int) -> list[str]:
    if _fast_tables()[0].fullmatch(line) is not None:
        return _wrap_line_simple(line, width)
    return _wrap_line_general(line, width)


def _wrap_general(text: str, width: int = DEFAULT_WIDTH) -> list[str]:
    """:func:`wrap` by the general algorithm only (no fast path); same result."""
    return _wrap(text, width, _wrap_line_general)


def wrap(text: str, width: int = DEFAULT_WIDTH) -> list[str]:
    """Greedy wrap of one clause's text into display lines.

    Every line has ``text_width(line) <= width`` once its trailing spaces are left out (as on a
    printed page, the spaces at a break hang past the margin, so a line of exactly ``width``
    visible columns fits, and so does ``"aaa bbb "`` in width 7), unless it is a single
    grapheme wider than ``width``.  Breaks are allowed after a run of spaces (which stay at the
    end of the line before), between and around CJK/wide characters (except before closing
    punctuation such as 。，、！？）」』 and after opening punctuation such as （「『 -- kinsoku),
    after a hyphen inside a word, and after the Tibetan tsheg ་ / shad །.  A unit with no break
    opportunity that is wider than ``width`` is broken at grapheme boundaries.  Grapheme
    clusters are never split.  A "\\n" ends its line (and stays at the end of it).  Lossless:
    ``"".join(wrap(t, w)) == t``; empty text gives ``[""]``.

    "Spaces" are breaking whitespace (space, TAB, EM SPACE, ...), not the no-break spaces
    U+00A0, U+202F, U+2007.

    Memoised (the result depends on the text and the width only): a carried amendment lays the
    whole document out again, and all but one of its clauses have been wrapped before.
    """
    if len(text) > _MEMO_LONGEST:
        return _wrap(text, width, _wrap_line)
    return list(_wrap_memo(text, width))


_MEMO_LONGEST = 20_000  # characters: longer texts are rare and wrapped afresh


@lru_cache(maxsize=8192)
def _wrap_memo(text: str, width: int) -> tuple[str, ...]:
    return tuple(_wrap(text, width, _wrap_line))


@dataclass(frozen=True)
class NumberedClause:
    """The display lines of one clause and the document line numbers they occupy."""

    lines: list[str]
    first_line: int
    last_line: int


def number_lines(
    texts: list[str], width: int = DEFAULT_WIDTH, start: int = 1
) -> list[NumberedClause]:
    """Number the lines of a whole document continuously.

    Clause ``i`` starts on the line after clause ``i - 1``'s last line (blank lines between
    clauses are not numbered).  An empty clause still occupies one line.
    """
    out: list[NumberedClause] = []
    line_no = start
    for text in texts:
        lines = wrap(text, width)
        out.append(NumberedClause(lines=lines, first_line=line_no, last_line=line_no + len(lines) - 1))
        line_no += len(lines)
    return out

"""Word diffs of amendment texts, and patches made from them.

An amendment changes a clause from ``old`` to ``new`` text.  What delegates read is a diff in
whole words ("delete “for all”, insert “to every”"), never a scatter of letters, so the texts
are compared token by token, not character by character.

Tokens (:func:`tokenize`, lossless: ``"".join(tokenize(t)) == t``)
    The text is first cut into grapheme clusters (:func:`motions.text.lines.graphemes`), so a
    combining accent stays with its letter and an emoji ZWJ sequence or a flag stays whole; a
    cluster is classified by its first character:

    * a run of whitespace clusters is one token (``"  "``, ``"\\n"``);
    * a run of word clusters (letters, digits, marks: Unicode categories L, N, M) is one token;
      inside a word (between two word clusters) an apostrophe ``'`` ``’`` ``ʼ`` or a hyphen
      ``-`` ``‐`` ``‑`` stays in the word, and so does ``.`` or ``,`` between two digits: so
      ``don't``, ``anti-racist``, ``3.5`` and ``1,000`` are one token each, and so are the
      French elisions ``l'État``, ``d’une``, ``aujourd’hui`` (changing the noun of "l'État"
      replaces the whole "l'État", which reads well in French);
    * each Han, kana, Hangul and other CJK character (CJK and fullwidth punctuation included;
      :func:`motions.text.clauses.is_cjk`) is a token of its own, since Chinese and Japanese
      put no spaces between words (``每个汉字一个词``); so is each character of the other
      scripts written without spaces (Thai, Lao, Khmer, Myanmar);
    * every other cluster (punctuation, symbols, emoji, controls) is a token of its own:
      ``«`` and ``»`` in ``« guillemets »``, the ``,`` after a word.

Diff (:func:`diff_words`)
    Each distinct token is encoded as one private-use character (from U+F0000), diff-match-patch
    runs its Myers diff on the encoded strings with ``Diff_Timeout = 0`` (so the result does
    not depend on the machine's speed) and its semantic cleanup, still in token space: an
    unchanged stretch between two changes that is no longer (in tokens) than the changes on
    either side of it -- say the single space in "for all" -> "to every" -- is absorbed into
    one change, and overlap elimination can only move whole tokens.  The cleanup's
    "lossless" step, which slides an edit sideways to a nicer boundary (after a sentence end,
    at a line break, next to whitespace), scores exactly as diff-match-patch's does, but on
    the decoded characters and only at token boundaries, so it can never cut a word.  Finally
    each maximal run of changes is written as one deletion followed by one insertion.  (Texts
    with more than 131,072 distinct tokens, far beyond :data:`MAX_TEXT`, cannot be encoded:
    they get one change between their common token prefix and suffix.)

    The result satisfies: the ops with ``op <= 0`` concatenate to ``old``, those with
    ``op >= 0`` to ``new``; every op boundary is a token boundary of both texts; equal inputs
    give equal outputs.

Time bound
    Myers' algorithm takes time proportional to the product of the length and the number of
    differences: two unrelated 20,000-character texts took ~17 s.  Every bisection may run at
    most :data:`EDIT_BUDGET` rounds (one round = one more edit on each side) -- counted, not
    timed, so the result is the same on any machine; one that runs out returns "delete all,
    insert all" for its part of the texts, which is still a correct diff, only a coarser one.
    A bisection meets in the middle after half as many rounds as its part has token edits, so
    any change of up to ``EDIT_BUDGET`` token edits (deleted plus inserted tokens) is always
    diffed exactly (and in practice up to about twice that).  Measured with ``EDIT_BUDGET =
    300`` (CPython 3.11, one core of an AMD EPYC server): two unrelated 20,000-character
    slices of an English article ~0.12 s; the worst case found, ~290 changed words spread over
    20,000 characters (just within the budget, so every bisection works nearly to its limit),
    ~0.19 s; one small edit of a 20,000-character text ~50 ms (mostly tokenising); a clause of
    a few hundred characters ~1 ms.

Patches (:func:`make_patch`, :func:`apply_patch`)
    diff-match-patch patch text, made from a word diff and applied with its fuzzy matching
    (deterministic here too: no timeout).  Applied to exactly the base text, a patch gives
    exactly the new text (checked with hypothesis on arbitrary text, and on 20,000-character
    texts with hunks of thousands of characters).  Unsafe: a lone surrogate (U+D800..U+DFFF,
    which cannot come from valid UTF-8 input) makes :func:`make_patch` raise
    UnicodeEncodeError.  The characters U+0001..U+0004 are diff-match-patch's padding while it
    applies a patch; no round trip failed with them, but they are control characters nobody
    types, so :func:`patch_safe` refuses them too.  Offsets in the patch text count Python
    characters (code points): the JavaScript diff-match-patch counts UTF-16 units, so a patch
    with characters beyond U+FFFF (emoji, rare Han) must be applied by this module, not in a
    browser.

Standard library plus the ``diff-match-patch`` package; no Flask, no database.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from diff_match_patch import diff_match_patch

from motions.text.clauses import is_cjk
from motions.text.lines import graphemes

__all__ = [
    "MAX_TEXT",
    "EDIT_BUDGET",
    "tokenize",
    "diff_words",
    "make_patch",
    "apply_patch",
    "patch_safe",
    "Hunk",
    "hunks",
    "changed_ranges",
    "is_word_token",
    "old_text",
    "new_text",
]

#: the longest amendment text (characters); the caller enforces it
MAX_TEXT = 20_000

#: rounds each Myers bisection may run before it gives up on its part of the texts (see
#: "Time bound" above: 400 measured ~0.3 s in the worst case, 300 ~0.19 s)
EDIT_BUDGET = 300

DELETE, EQUAL, INSERT = -1, 0, 1

Op = tuple[int, str]

# --------------------------------------------------------------------------------------------
# tokens
# --------------------------------------------------------------------------------------------

_SPACE, _WORD, _SINGLE = 0, 1, 2

_APOSTROPHES = frozenset("'\u2019\u02bc")  # ' ’ ʼ
_HYPHENS = frozenset("-\u2010\u2011")  # - ‐ ‑ (non-breaking hyphen)
_DIGIT_SEPARATORS = frozenset(".,")
_IN_WORD = _APOSTROPHES | _HYPHENS

# scripts written without spaces between words, besides CJK: one token per cluster
_UNSPACED_RANGES = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0xAA60, 0xAA7F),  # Myanmar extended-A
    (0xA9E0, 0xA9FF),  # Myanmar extended-B
)

_CACHE_SIZE = 8192


@lru_cache(maxsize=_CACHE_SIZE)
def _kind(ch: str) -> int:
    """Token class of a grapheme cluster, decided by its first character ``ch``."""
    if ch.isspace():
        return _SPACE
    cp = ord(ch)
    if is_cjk(ch) or any(lo <= cp <= hi for lo, hi in _UNSPACED_RANGES):
        return _SINGLE
    if unicodedata.category(ch)[0] in "LNM":
        return _WORD
    return _SINGLE


def tokenize(text: str) -> list[str]:
    """Cut ``text`` into diff tokens (see the module docstring); ``"".join`` gives it back."""
    gs = graphemes(text)
    n = len(gs)
    kinds = [_kind(g[0]) for g in gs]
    tokens: list[str] = []
    i = 0
    while i < n:
        k = kinds[i]
        j = i + 1
        if k == _SPACE:
            while j < n and kinds[j] == _SPACE:
                j += 1
        elif k == _WORD:
            while j < n:
                if kinds[j] == _WORD:
                    j += 1
                elif j + 1 < n and kinds[j + 1] == _WORD and (
                    gs[j] in _IN_WORD
                    or (
                        gs[j] in _DIGIT_SEPARATORS
                        and gs[j - 1][-1].isdecimal()
                        and gs[j + 1][0].isdecimal()
                    )
                ):
                    j += 2
                else:
                    break
        tokens.append(gs[i] if j == i + 1 else "".join(gs[i:j]))
        i = j
    return tokens


def is_word_token(token: str) -> bool:
    """A token made of word characters (or a single CJK character), not space/punctuation."""
    ch = token[0]
    if ch.isspace():
        return False
    return unicodedata.category(ch)[0] in "LNM"


# --------------------------------------------------------------------------------------------
# diff-match-patch with a deterministic work bound
# --------------------------------------------------------------------------------------------


class _Budget:
    """Stands in for diff-match-patch's deadline (a time in seconds) in ``diff_bisect``.

    ``diff_bisect`` checks ``time.time() > deadline`` once per round; ``float.__gt__`` returns
    NotImplemented for this object, so Python asks ``deadline.__lt__(now)``, which counts the
    round and answers True ("deadline passed") once more than ``steps`` rounds were asked for.
    The other comparisons answer consistently (``now < deadline`` = not yet passed).
    ``diff_bisectSplit`` passes the object on to ``diff_main``, which only compares it with
    None (identity); the next ``diff_bisect`` call gets a fresh budget anyway.
    """

    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps

    def _passed(self) -> bool:
        self.left -= 1
        return self.left < 0

    def __lt__(self, other) -> bool:  # now > deadline
        return self._passed()

    def __le__(self, other) -> bool:  # now >= deadline
        return self._passed()

    def __gt__(self, other) -> bool:  # now < deadline
        return not self._passed()

    def __ge__(self, other) -> bool:  # now <= deadline
        return not self._passed()


class _BoundedDMP(diff_match_patch):
    """diff-match-patch with no wall-clock timeout and a fixed number of rounds per bisection."""

    def __init__(self, budget: int = EDIT_BUDGET) -> None:
        super().__init__()
        self.Diff_Timeout = 0
        self.budget = budget

    def diff_bisect(self, text1, text2, deadline):
        return super().diff_bisect(text1, text2, _Budget(self.budget))


class _TokenDMP(_BoundedDMP):
    """Works on token-encoded strings; ``decode[ord(c) - _BASE]`` is the token of ``c``.

    Its ``diff_cleanupSemanticLossless`` (called by ``diff_cleanupSemantic``) scores a boundary
    on the decoded characters, so edits slide to nice places by whole tokens."""

    def __init__(self, decode: list[str], budget: int = EDIT_BUDGET) -> None:
        super().__init__(budget)
        self.decode = decode

    def _score(self, one: str, two: str) -> int:
        """diff-match-patch's ``diff_cleanupSemanticScore`` on the decoded texts: 6 at an edge,
        5 at a blank line, 4 at a line break, 3 at a sentence end, 2 next to whitespace, 1
        next to other non-alphanumerics, 0 inside a run of letters/digits."""
        if not one or not two:
            return 6
        before = self.decode[ord(one[-1]) - _BASE]  # whitespace runs are single tokens,
        after = self.decode[ord(two[0]) - _BASE]  # so these hold the whole run
        char1, char2 = before[-1], after[0]
        non_alnum1, non_alnum2 = not char1.isalnum(), not char2.isalnum()
        space1 = non_alnum1 and char1.isspace()
        space2 = non_alnum2 and char2.isspace()
        break1 = space1 and char1 in "\r\n"
        break2 = space2 and char2 in "\r\n"
        if (break1 and self.BLANKLINEEND.search(before)) or (
            break2 and self.BLANKLINESTART.match(after)
        ):
            return 5
        if break1 or break2:
            return 4
        if non_alnum1 and not space1 and space2:
            return 3
        if space1 or space2:
            return 2
        if non_alnum1 or non_alnum2:
            return 1
        return 0

    def diff_cleanupSemanticLossless(self, diffs):
        """diff-match-patch's algorithm (slide each single edit between two equalities to its
        best-scoring place, ties going right) with :meth:`_score`."""
        score = self._score
        pointer = 1
        while pointer < len(diffs) - 1:
            if diffs[pointer - 1][0] == EQUAL and diffs[pointer + 1][0] == EQUAL:
                equality1 = diffs[pointer - 1][1]
                edit = diffs[pointer][1]
                equality2 = diffs[pointer + 1][1]
                common = self.diff_commonSuffix(equality1, edit)
                if common:
                    shared = edit[-common:]
                    equality1 = equality1[:-common]
                    edit = shared + edit[:-common]
                    equality2 = shared + equality2
                best = (equality1, edit, equality2)
                best_score = score(equality1, edit) + score(edit, equality2)
                while edit and equality2 and edit[0] == equality2[0]:
                    equality1 += edit[0]
                    edit = edit[1:] + equality2[0]
                    equality2 = equality2[1:]
                    s = score(equality1, edit) + score(edit, equality2)
                    if s >= best_score:
                        best_score = s
                        best = (equality1, edit, equality2)
                if diffs[pointer - 1][1] != best[0]:
                    if best[0]:
                        diffs[pointer - 1] = (EQUAL, best[0])
                    else:
                        del diffs[pointer - 1]
                        pointer -= 1
                    diffs[pointer] = (diffs[pointer][0], best[1])
                    if best[2]:
                        diffs[pointer + 1] = (EQUAL, best[2])
                    else:
                        del diffs[pointer + 1]
                        pointer -= 1
            pointer += 1


# --------------------------------------------------------------------------------------------
# word diff
# --------------------------------------------------------------------------------------------

_BASE = 0xF0000  # planes 15 and 16: private use, no surrogates
_CODES = 0x110000 - _BASE  # 131072 distinct tokens


def _canonical(ops: Iterable[Op]) -> list[Op]:
    """Drop empty ops, merge equalities, and write each run of changes between equalities as
    one deletion followed by one insertion (both texts are unchanged by this)."""
    out: list[Op] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append((DELETE, "".join(deleted)))
            deleted.clear()
        if inserted:
            out.append((INSERT, "".join(inserted)))
            inserted.clear()

    for op, text in ops:
        if not text:
            continue
        if op == EQUAL:
            flush()
            if out and out[-1][0] == EQUAL:
                out[-1] = (EQUAL, out[-1][1] + text)
            else:
                out.append((EQUAL, text))
        elif op == DELETE:
            deleted.append(text)
        else:
            inserted.append(text)
    flush()
    return out


def _coarse(a: list[str], b: list[str]) -> list[Op]:
    """Common token prefix and suffix kept, everything between replaced."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    return _canonical(
        [
            (EQUAL, "".join(a[:p])),
            (DELETE, "".join(a[p : len(a) - s])),
            (INSERT, "".join(b[p : len(b) - s])),
            (EQUAL, "".join(a[len(a) - s :])),
        ]
    )


def diff_words(old: str, new: str, *, budget: int = EDIT_BUDGET) -> list[Op]:
    """Word diff of ``old`` and ``new``: a list of ``(op, text)`` with op -1 delete, 0 equal,
    1 insert (diff-match-patch's convention), in canonical form (no empty ops, no two
    equalities in a row, each run of changes one deletion then one insertion).  Deterministic.
    ``budget`` is for tests; see :data:`EDIT_BUDGET`."""
    if old == new:
        return [(EQUAL, old)] if old else []
    a, b = tokenize(old), tokenize(new)
    codes: dict[str, str] = {}
    decode: list[str] = []
    for token in a + b:
        if token not in codes:
            if len(decode) == _CODES:  # far beyond MAX_TEXT: no room to encode; be coarse
                return _coarse(a, b)
            codes[token] = chr(_BASE + len(decode))
            decode.append(token)
    a_enc = "".join(codes[t] for t in a)
    b_enc = "".join(codes[t] for t in b)
    dmp = _TokenDMP(decode, budget)
    diffs = dmp.diff_main(a_enc, b_enc, False)
    dmp.diff_cleanupSemantic(diffs)
    return _canonical(
        (op, "".join(decode[ord(c) - _BASE] for c in enc)) for op, enc in diffs
    )


def old_text(ops: Iterable[Op]) -> str:
    """The old text of a diff: its equal and deleted parts."""
    return "".join(text for op, text in ops if op <= 0)


def new_text(ops: Iterable[Op]) -> str:
    """The new text of a diff: its equal and inserted parts."""
    return "".join(text for op, text in ops if op >= 0)


# --------------------------------------------------------------------------------------------
# patches
# --------------------------------------------------------------------------------------------


def patch_safe(text: str) -> bool:
    """May ``text`` go into a patch (see the module docstring)?  False if it holds a lone
    surrogate or one of diff-match-patch's padding characters U+0001..U+0004."""
    return not any(ch in "\x01\x02\x03\x04" or "\ud800" <= ch <= "\udfff" for ch in text)


def make_patch(old: str, ops: Sequence[Op]) -> str:
    """diff-match-patch patch text turning ``old`` into the new text of ``ops`` (a diff of
    ``old``); "" when nothing changes."""
    dmp = _BoundedDMP()
    return dmp.patch_toText(dmp.patch_make(old, [tuple(o) for o in ops]))


def apply_patch(patch_text: str, text: str) -> tuple[str, bool]:
    """Apply a patch made by :func:`make_patch` to ``text``: (result, every hunk applied).
    On the patch's own base text this gives its new text exactly.  Deterministic (no wall-clock timeout in the fuzzy matching).  Raises ValueError
    for malformed patch text."""
    dmp = _BoundedDMP()
    patches = dmp.patch_fromText(patch_text)
    result, applied = dmp.patch_apply(patches, text)
    return result, all(applied)


# --------------------------------------------------------------------------------------------
# hunks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hunk:
    """One maximal run of changes: ``old[start:end]`` (``start == end`` for a pure insertion)
    is replaced by ``inserted``, which starts at ``new_start`` in the new text."""

    start: int
    end: int
    deleted: str
    inserted: str
    new_start: int


def hunks(ops: Iterable[Op]) -> list[Hunk]:
    """One :class:`Hunk` per maximal run of non-equal ops, in order."""
    out: list[Hunk] = []
    pos = new_pos = 0
    start = new_start = None
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if start is not None:
            out.append(Hunk(start, pos, "".join(deleted), "".join(inserted), new_start))

    for op, text in ops:
        if not text:
            continue
        if op == EQUAL:
            flush()
            start = new_start = None
            deleted.clear()
            inserted.clear()
            pos += len(text)
            new_pos += len(text)
            continue
        if start is None:
            start, new_start = pos, new_pos
        if op == DELETE:
            deleted.append(text)
            pos += len(text)
        else:
            inserted.append(text)
            new_pos += len(text)
    flush()
    return out


def changed_ranges(ops: Iterable[Op]) -> list[tuple[int, int]]:
    """``(start, end)`` in the old text of every hunk (``start == end`` for an insertion)."""
    return [(h.start, h.end) for h in hunks(ops)]

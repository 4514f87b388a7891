"""What an amendment does, in the words of conference papers, and its redline by display line.

An amendment to a clause is a word diff (:func:`motions.text.diff.diff_words`) of the clause's
text.  Delegates cite the printed line numbers, so both the instructions and the redline are
laid out over the clause's display lines (``lines = wrap(clause_text, width)``, numbered from
``first_line``; :mod:`motions.text.lines`).

Line of a change (:func:`line_of`)
    A deleted or replaced character is on the line that holds it; a change is cited by the
    lines of its first and last deleted character ("Lines 34–35").  An insertion point sits
    between two characters: it is cited on the line of the character before it, where the word
    it follows is ("after “workers”"), so an insertion exactly at the start of line 35 is on
    line 34; only an insertion at the very start of the clause is on the clause's first line.

Instructions (:func:`instructions`)
    One per hunk of a change to a clause ("modify"): :class:`Replace`, :class:`Delete` or
    :class:`Insert` (which names the last word before the insertion point, or says "at the
    start" when there is none); :class:`DeleteClause` for a whole clause struck out;
    :class:`InsertClause` for a new clause after the clause ending on ``anchor_line`` (or at
    the very start of the document).  Quoted text has its outer whitespace stripped (unless it
    is only whitespace, then it is quoted as it is).

Wording (:func:`describe`)
    ``Line 34: delete “for all workers”, insert “for all workers and migrants”.``
    ``Lines 34–35: delete “…”.``  ``Line 34: after “workers”, insert “and migrants”.``
    ``Line 34: at the start, insert “…”.``  ``Delete lines 12–14.``
    ``Insert after line 40: “…”.``  ``Insert at the start: “…”.``
    Every message is a literal first argument of ``_`` in this module (so Babel extracts it)
    and is formatted Flask-Babel style: ``gettext(msgid, **variables)``.

Pure: standard library and :mod:`motions.text`; no Flask, no database.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

from motions.text.diff import EQUAL, INSERT, hunks, is_word_token, tokenize

__all__ = [
    "KINDS",
    "line_spans",
    "line_of",
    "RedlineLine",
    "redline",
    "Replace",
    "Delete",
    "Insert",
    "DeleteClause",
    "InsertClause",
    "Instruction",
    "instructions",
    "describe",
    "summary",
]

Op = tuple[int, str]
Span = tuple[int, int, int]

KINDS = ("modify", "delete", "insert_after")


# --------------------------------------------------------------------------------------------
# lines
# --------------------------------------------------------------------------------------------


def line_spans(lines: Sequence[str], first_line: int) -> list[Span]:
    """``(line number, start, end)`` of each display line; offsets index the clause text
    ``"".join(lines)``."""
    spans: list[Span] = []
    pos = 0
    for i, line in enumerate(lines):
        spans.append((first_line + i, pos, pos + len(line)))
        pos += len(line)
    return spans


def line_of(offset: int, spans: Sequence[Span], *, insertion: bool = False) -> int:
    """The number of the line holding the character at ``offset``.  With ``insertion`` the
    offset is an insertion point: exactly at the start of a line (and not at the start of the
    text) it is on the previous line, after the word it follows.  Offsets past the end are on
    the last line; with no spans at all the answer is 0."""
    if not spans:
        return 0
    starts = [s for _, s, _ in spans]
    i = max(0, bisect_right(starts, offset) - 1)
    if insertion and offset > 0:
        while i > 0 and spans[i][1] >= offset:  # at (or before) the start of line i
            i -= 1
    return spans[i][0]


# --------------------------------------------------------------------------------------------
# redline
# --------------------------------------------------------------------------------------------


@dataclass
class RedlineLine:
    """One display line of an amended clause: its number (None for text not on any numbered
    line, i.e. a new clause) and its segments ``(op, text)`` (-1 deleted, 0 unchanged,
    1 inserted), adjacent segments of one kind merged."""

    number: int | None
    segments: list[Op] = field(default_factory=list)

    def add(self, op: int, text: str) -> None:
        if not text:
            return
        if self.segments and self.segments[-1][0] == op:
            self.segments[-1] = (op, self.segments[-1][1] + text)
        else:
            self.segments.append((op, text))


def redline(ops: Sequence[Op], lines: Sequence[str], first_line: int) -> list[RedlineLine]:
    """The ops laid out over the clause's display lines: unchanged and deleted text is cut at
    the old text's line boundaries; inserted text goes on the line of its insertion point
    (:func:`line_of` with ``insertion=True``).  Every old line appears exactly once, in order,
    unchanged ones included.  With no lines (a new clause) everything is on one line numbered
    None."""
    if not lines:
        only = RedlineLine(None)
        for op, text in ops:
            only.add(op, text)
        return [only]
    spans = line_spans(lines, first_line)
    out = [RedlineLine(number) for number, _, _ in spans]
    i = 0  # current line index
    pos = 0  # offset in the old text
    last = len(spans) - 1
    for op, text in ops:
        if not text:
            continue
        if op == INSERT:
            k = line_of(pos, spans, insertion=True) - first_line
            out[k].add(INSERT, text)
            continue
        k = 0
        while k < len(text):
            while i < last and pos >= spans[i][2]:
                i += 1
            take = len(text) - k if i == last else min(len(text) - k, spans[i][2] - pos)
            out[i].add(op, text[k : k + take])
            k += take
            pos += take
    return out


# --------------------------------------------------------------------------------------------
# instructions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replace:
    """Lines ``first``..``last``: delete ``deleted``, insert ``inserted``."""

    first: int
    last: int
    deleted: str
    inserted: str


@dataclass(frozen=True)
class Delete:
    """Lines ``first``..``last``: delete ``deleted``."""

    first: int
    last: int
    deleted: str


@dataclass(frozen=True)
class Insert:
    """Line ``line``: after the word ``after`` (None: at the start of the clause) insert
    ``inserted``."""

    line: int
    after: str | None
    inserted: str


@dataclass(frozen=True)
class DeleteClause:
    """Delete the whole clause, lines ``first``..``last``."""

    first: int
    last: int


@dataclass(frozen=True)
class InsertClause:
    """Insert a new clause ``text`` after line ``after_line`` (None: at the very start)."""

    after_line: int | None
    text: str


Instruction = Union[Replace, Delete, Insert, DeleteClause, InsertClause]


def _quote(text: str) -> str:
    """Text as quoted in an instruction: outer whitespace stripped, unless that leaves
    nothing (a change of whitespace only is quoted as it is)."""
    return text.strip() or text


def _word_before(text: str) -> str | None:
    """The last word token of ``text`` (None if it has none).

    Only the end of the text is tokenised, in a window that widens until the word found does not
    touch the window's start (where it might be cut) or the window is the whole text: a list of
    3,000 amendments would otherwise tokenise whole clauses 3,000 times."""
    size = 64
    while True:
        whole = size >= len(text)
        tokens = tokenize(text if whole else text[-size:])
        for i in range(len(tokens) - 1, -1, -1):
            if is_word_token(tokens[i]):
                if i == 0 and not whole:
                    break  # the word may go on before the window: widen it
                return tokens[i]
        else:
            if whole:
                return None
        if whole:
            return None
        size *= 4


def instructions(
    kind: str,
    ops: Sequence[Op],
    lines: Sequence[str],
    first_line: int,
    *,
    anchor_line: int | None = None,
) -> list[Instruction]:
    """The instructions for an amendment of ``kind`` "modify" (one per hunk of ``ops``, a diff
    of the clause text ``"".join(lines)``), "delete" (the clause, whatever ``ops``) or
    "insert_after" (a new clause: the new text of ``ops``, after ``anchor_line``)."""
    if kind == "delete":
        return [DeleteClause(first_line, first_line + max(len(lines), 1) - 1)]
    if kind == "insert_after":
        text = "".join(t for op, t in ops if op >= EQUAL)
        return [InsertClause(anchor_line, _quote(text))]
    if kind != "modify":
        raise ValueError(f"unknown amendment kind {kind!r}; expected one of {KINDS}")
    spans = line_spans(lines, first_line)
    old = "".join(t for op, t in ops if op <= EQUAL)
    out: list[Instruction] = []
    for h in hunks(ops):
        if h.deleted:
            first = line_of(h.start, spans)
            last = line_of(h.end - 1, spans)
            if h.inserted:
                out.append(Replace(first, last, _quote(h.deleted), _quote(h.inserted)))
            else:
                out.append(Delete(first, last, _quote(h.deleted)))
        else:
            line = line_of(h.start, spans, insertion=True)
            out.append(Insert(line, _word_before(old[: h.start]), _quote(h.inserted)))
    return out


# --------------------------------------------------------------------------------------------
# wording
# --------------------------------------------------------------------------------------------


def _default_gettext(msgid: str, **variables) -> str:
    return msgid % variables if variables else msgid


def _sentence(item: Instruction, _: Callable[..., str]) -> str:
    if isinstance(item, Replace):
        if item.first == item.last:
            return _(
                "Line %(line)d: delete “%(old)s”, insert “%(new)s”.",
                line=item.first,
                old=item.deleted,
                new=item.inserted,
            )
        return _(
            "Lines %(first)d–%(last)d: delete “%(old)s”, insert “%(new)s”.",
            first=item.first,
            last=item.last,
            old=item.deleted,
            new=item.inserted,
        )
    if isinstance(item, Delete):
        if item.first == item.last:
            return _("Line %(line)d: delete “%(old)s”.", line=item.first, old=item.deleted)
        return _(
            "Lines %(first)d–%(last)d: delete “%(old)s”.",
            first=item.first,
            last=item.last,
            old=item.deleted,
        )
    if isinstance(item, Insert):
        if item.after is None:
            return _("Line %(line)d: at the start, insert “%(new)s”.", line=item.line, new=item.inserted)
        return _(
            "Line %(line)d: after “%(after)s”, insert “%(new)s”.",
            line=item.line,
            after=item.after,
            new=item.inserted,
        )
    if isinstance(item, DeleteClause):
        if item.first == item.last:
            return _("Delete line %(line)d.", line=item.first)
        return _("Delete lines %(first)d–%(last)d.", first=item.first, last=item.last)
    if isinstance(item, InsertClause):
        if item.after_line is None:
            return _("Insert at the start: “%(text)s”.", text=item.text)
        return _("Insert after line %(line)d: “%(text)s”.", line=item.after_line, text=item.text)
    raise TypeError(f"not an instruction: {item!r}")


def describe(items: Sequence[Instruction], gettext: Callable[..., str] | None = None) -> str:
    """The instructions as sentences, joined by one space.  ``gettext(msgid, **variables)``
    translates and formats like Flask-Babel's ``gettext``; by default the English message is
    formatted with ``%``."""
    _ = gettext or _default_gettext
    return " ".join(_sentence(item, _) for item in items)


def summary(
    kind: str,
    ops: Sequence[Op],
    lines: Sequence[str],
    first_line: int,
    *,
    anchor_line: int | None = None,
    gettext: Callable[..., str] | None = None,
) -> str:
    """``describe(instructions(kind, ops, lines, first_line, anchor_line=...), gettext)``."""
    return describe(
        instructions(kind, ops, lines, first_line, anchor_line=anchor_line), gettext
    )


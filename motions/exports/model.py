"""What an export is made of: plain data, no Flask and no database.

`motions.exports.operations` reads the database into these; `motions.exports.render` turns them
into files. Every export shows the meeting, the date, the version, the clause and line numbers
the meeting used, and the fingerprint (SHA-256 of the adopted text) once the document is final.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Op = tuple[int, str]  # diff op: -1 delete, 0 equal, 1 insert (word-level, as motions.text.diff)
Gettext = Callable[..., str]  # gettext(msgid, **variables) -> the translated, formatted string


@dataclass(frozen=True)
class ExportClause:
    """A clause as it stands in the exported version."""

    number: str  # the clause number the meeting used ("3", "2.1"; a heading's own number)
    kind: str  # heading | paragraph | item
    level: int  # heading level 1-6; list nesting level for items
    text: str  # clean text (no markup)
    source: str  # the exact Markdown (or plain-text) source of the clause
    separator: str  # whitespace that follows the source in the document ("\n" or "\n\n")
    lines: list[str]  # the text wrapped as it was numbered; len(lines) == last_line - first_line + 1
    first_line: int
    last_line: int


@dataclass(frozen=True)
class ExportDocument:
    meeting: str  # the meeting's title
    title: str  # the document's title
    version: int
    date: str  # the date the version was made, ISO 8601 (YYYY-MM-DD)
    state: str  # draft | open | closed | final
    fingerprint: str | None  # SHA-256 hex of the adopted text (final documents), else None
    language: str  # "en", "zh_Hans" or "zh_Hant": the reader's language (html lang, fonts)
    clauses: list[ExportClause]
    made_by: str = ""  # the amendment that made this version ("A3"), "" for the draft


@dataclass(frozen=True)
class RedlineClause:
    """One clause of a comparison of two versions (usually the draft and the adopted text)."""

    number: str  # clause number in the newer version ("" when the clause was deleted)
    old_number: str  # clause number in the older version ("" when the clause was inserted)
    kind: str  # heading | paragraph | item (of the newer clause, or of the deleted one)
    level: int
    change: str  # unchanged | changed | inserted | deleted
    ops: list[Op]  # word-level diff old -> new of the clause text (all equal when unchanged)
    first_line: int  # lines in the newer version (for a deleted clause: in the older one)
    last_line: int
    amendments: list[str] = field(default_factory=list)  # labels of the carried amendments that made the change


@dataclass(frozen=True)
class Redline:
    meeting: str
    title: str
    old_version: int
    new_version: int
    old_label: str  # "Draft (version 1)"
    new_label: str  # "Adopted (version 7)"
    date: str
    fingerprint: str | None  # of the newer version, when it is final
    language: str
    clauses: list[RedlineClause]
    author: str = "motions"  # w:author of the tracked changes in DOCX


@dataclass(frozen=True)
class RecordRow:
    """One amendment in the record of proceedings."""

    number: str  # "A3" or "L12-1"
    document: str  # the document's title
    clause: str  # clause number it amends ("" for an insertion at the start)
    lines: str  # "12" or "12–14" (lines of its base version)
    kind: str  # modify | insert_after | delete, translated for the reader
    title: str
    summary: str  # "Line 12: delete “x”, insert “y”."
    mover: str  # name (organisation)
    seconders: list[str]
    status: str  # translated status label: Carried, Lost, ...
    decided: str  # how: "Poll 4: Carried: 41 for, 12 against, 3 abstentions; simple majority of votes cast." or "Decided by the chair: consent", "" while pending
    votes_for: int | None  # None when no counted poll decided it
    votes_against: int | None
    abstentions: int | None
    outcome: str  # carried | lost | fallen | remitted | withdrawn | ruled_out | pending ... (machine value)


@dataclass(frozen=True)
class Record:
    meeting: str
    date: str  # date of the export, ISO 8601
    language: str
    rows: list[RecordRow]
    fingerprints: list[tuple[str, str]] = field(default_factory=list)  # (document title, SHA-256) of final documents
    elections: list[ElectionSheet] = field(default_factory=list)  # counted and void elections, in order


@dataclass(frozen=True)
class SheetCount:
    """One count of an election's result sheet: the whole count, or with reserved seats the count
    for the reserved seats, then the count for the remaining seats."""

    part: str  # all | reserved | general
    label: str  # "The count", "Count for the reserved seats", in the reader's language
    kind: str  # stv | tally
    seats: int
    valid: str  # the valid ballots as the count has them ("120")
    invalid: int
    quota: str | None  # STV: the quota written in full (Meek: the final one); None for a tally
    # motions.counting.sheet.rows() (STV: 3 header rows, a row per candidate, then the figures
    # and the words of each stage; every row as long as the first) or tally_rows(), translated
    table: list[list[str]]
    notes: list[str] = field(default_factory=list)  # the count's notes (ballots set aside ...)

    @property
    def stages(self) -> int:
        """How many stages an STV table has (two columns each, between the first and the last)."""
        return (len(self.table[0]) - 2) // 2 if self.kind == "stv" and self.table else 0


@dataclass(frozen=True)
class ElectedCandidate:
    name: str
    reserved: bool = False  # elected to a reserved seat


@dataclass(frozen=True)
class ElectionSheet:
    """The returning officer's result sheet of one election (and its entry in the record)."""

    meeting: str
    title: str
    method: str  # scottish | meek | approval | plurality
    method_label: str  # in the reader's language
    seats: int
    state: str  # closed (counted) | void
    papers: int  # ballots
    valid: int
    invalid: int
    seed: str  # reproduces any tie decided by lot
    elected: list[ElectedCandidate]  # in the order elected
    counts: list[SheetCount]
    date: str  # date of the export, ISO 8601
    language: str
    counted: str = ""  # when the ballots were counted, "YYYY-MM-DD HH:MM" UTC ("" unknown)
    reserved: str = ""  # the reserved seats ("2 of the 5 seats for women"), "" without
    error: str | None = None  # why the count could not be made
    void_reason: str = ""  # a void election's reason
    election_id: int | None = None  # for the pages' links (None: not from the database)

    @property
    def has_result(self) -> bool:
        """Whether the election was counted (a void election may never have been)."""
        return bool(self.counts) or self.error is not None

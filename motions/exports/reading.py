"""What the exports show, read from the database into the plain data of
:mod:`motions.exports.model`, and the files made from it (:mod:`motions.exports.render`).

Read only: nothing here writes.  A file is rendered whole into memory before anything is sent,
so a failure gives an error, never half a file.  Used by the pages, the API and
``motions export``.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import func, select, tuple_

from motions.amendments.models import DECIDED, Amendment, AmendmentEvent, AmendmentStatus, Seconding
from motions.amendments.reading import Reader, order_key, positions
from motions.auth.models import Person
from motions.documents.models import ClauseText, Document, DocumentState, DocumentVersion
from motions.documents.operations import get_version
from motions.errors import StateConflict, ValidationFailed
from motions.exports.model import (
    ElectedCandidate,
    ElectionSheet,
    ExportClause,
    ExportDocument,
    Record,
    RecordRow,
    Redline,
    RedlineClause,
    SheetCount,
)
from motions.exports.render import (
    FORMATS,
    MEDIA_TYPES,
    RECORD_FORMATS,
    REDLINE_FORMATS,
    SHEET_FORMATS,
    render_document,
    render_record,
    render_redline,
    render_sheet,
)
from motions.extensions import db
from motions.i18n import gettext as _
from motions.i18n import select_locale
from motions.labels import AMENDMENT_KIND_LABELS, AMENDMENT_STATUS_LABELS, label
from motions.meetings.models import Meeting
from motions.polls.models import Poll, PollState
from motions.text.diff import diff_words
from motions.text.lines import wrap

__all__ = ["Export", "FORMATS", "REDLINE_FORMATS", "RECORD_FORMATS", "SHEET_FORMATS", "check_format",
           "document_export", "redline_export", "record_export", "election_sheet", "document_file", "record_file",
           "sheet_file", "ballots_file", "election_file", "ELECTION_FORMATS"]

ELECTION_FORMATS = (*SHEET_FORMATS, "blt")  # an election's files: the result sheet, or its papers


class Export(NamedTuple):
    body: bytes
    media_type: str
    filename: str


def _day(moment: datetime | None = None) -> str:
    """The date of `moment` (today by default), ISO 8601."""
    return (moment or datetime.now(timezone.utc)).date().isoformat()


def check_format(fmt: str | None, formats: tuple[str, ...]) -> str:
    """The format asked for, or ValidationFailed naming the ones there are."""
    if fmt not in formats:
        raise ValidationFailed(
            _("Unknown export format “%(format)s”.", format=fmt[:40]) if fmt else _("Choose an export format."),
            fields={"format": _("Choose one of: %(choices)s.", choices=", ".join(formats))})
    return fmt


def made_by(document: Document) -> dict[int, str]:
    """Each version's number → the number of the amendment that made it ("" for none)."""
    rows = db.session.execute(
        select(DocumentVersion.number, Amendment.number)
        .outerjoin(Amendment, Amendment.id == DocumentVersion.amendment_id)
        .where(DocumentVersion.document_id == document.id)
    ).all()
    return {number: made_by or "" for number, made_by in rows}


def _clause(row: ClauseText, width: int) -> ExportClause:
    lines = wrap(row.text, width)
    # wrap gives the lines the meeting numbered; keep the count equal to the stored range
    span = row.last_line - row.first_line + 1
    if len(lines) != span:
        lines = (lines + [""] * span)[:span]
    return ExportClause(number=row.number, kind=row.kind, level=row.level, text=row.text, source=row.source,
                        separator=row.separator, lines=lines, first_line=row.first_line, last_line=row.last_line)


def document_export(document: Document, version: int | None = None, *, language: str | None = None) -> ExportDocument:
    """A version of the document (the current one by default) as export data."""
    v = get_version(document, version)
    final = document.state is DocumentState.final and v.number == document.current_version
    return ExportDocument(
        meeting=document.meeting.title, title=document.title, version=v.number, date=_day(v.created_at),
        state=document.state.value if v.number == document.current_version else "superseded",
        fingerprint=document.fingerprint if final else None, language=language or select_locale(),
        clauses=[_clause(row, v.line_width) for row in v.clause_texts],
        made_by=made_by(document).get(v.number, ""))


def _changers(document: Document, old: int, new: int) -> dict[int, list[str]]:
    """clause id → the carried amendments that changed, inserted or deleted it between the versions."""
    out: dict[int, list[str]] = defaultdict(list)
    made = db.session.execute(
        select(DocumentVersion.number, Amendment.id, Amendment.number, Amendment.clause_id, Amendment.kind)
        .join(Amendment, Amendment.id == DocumentVersion.amendment_id)
        .where(DocumentVersion.document_id == document.id, DocumentVersion.number > old,
               DocumentVersion.number <= new)
        .order_by(DocumentVersion.number)
    ).all()
    inserts = {number: label_ for number, _id, label_, _clause, kind in made if kind.value == "insert_after"}
    if inserts:
        # a new clause was made by the version in which it first appears
        first_seen = db.session.execute(
            select(ClauseText.clause_id, func.min(DocumentVersion.number))
            .join(DocumentVersion, DocumentVersion.id == ClauseText.version_id)
            .where(DocumentVersion.document_id == document.id)
            .group_by(ClauseText.clause_id)
        ).all()
        for clause_id, number in first_seen:
            if number in inserts:
                out[clause_id].append(inserts[number])
    for _number, _id, label_, clause_id, kind in made:
        if kind.value != "insert_after" and clause_id is not None:
            out[clause_id].append(label_)
    return out


def redline_export(document: Document, old: int | None = 1, new: int | None = None, *,
                   language: str | None = None) -> Redline:
    """Two versions compared clause by clause (paired by the clause's identity, not its place):
    the draft against the adopted text by default."""
    old_v = get_version(document, old if old is not None else 1)
    new_v = get_version(document, new)
    labels = made_by(document)
    old_rows = list(old_v.clause_texts)
    new_rows = list(new_v.clause_texts)
    new_ids = {r.clause_id for r in new_rows}
    old_by_id = {r.clause_id: r for r in old_rows}
    changers = _changers(document, old_v.number, new_v.number) if new_v.number > old_v.number else {}
    # a deleted clause is shown where it stood: before the first clause after it that is still there
    # (so after any clause inserted in its place)
    deleted_before: dict[int | None, list[ClauseText]] = defaultdict(list)
    waiting: list[ClauseText] = []
    for r in old_rows:
        if r.clause_id in new_ids:
            deleted_before[r.clause_id].extend(waiting)
            waiting = []
        else:
            waiting.append(r)
    deleted_before[None].extend(waiting)  # after the last clause

    def gone(r: ClauseText) -> RedlineClause:
        return RedlineClause(number="", old_number=r.number, kind=r.kind, level=r.level, change="deleted",
                             ops=[(-1, r.text)], first_line=r.first_line, last_line=r.last_line,
                             amendments=changers.get(r.clause_id, []))

    clauses: list[RedlineClause] = []
    for r in new_rows:
        clauses.extend(gone(d) for d in deleted_before.get(r.clause_id, []))
        before = old_by_id.get(r.clause_id)
        if before is None:
            change, ops = "inserted", [(1, r.text)]
        elif before.text == r.text:
            change, ops = "unchanged", [(0, r.text)]
        else:
            change, ops = "changed", diff_words(before.text, r.text)
        clauses.append(RedlineClause(
            number=r.number, old_number=before.number if before is not None else "", kind=r.kind, level=r.level,
            change=change, ops=[tuple(op) for op in ops], first_line=r.first_line, last_line=r.last_line,
            amendments=changers.get(r.clause_id, []) if change != "unchanged" else []))
    clauses.extend(gone(d) for d in deleted_before.get(None, []))
    final = document.state is DocumentState.final and new_v.number == document.current_version
    return Redline(
        meeting=document.meeting.title, title=document.title, old_version=old_v.number, new_version=new_v.number,
        old_label=version_label(document, old_v.number, labels), new_label=version_label(document, new_v.number, labels),
        date=_day(new_v.created_at), fingerprint=document.fingerprint if final else None,
        language=language or select_locale(), clauses=clauses)


def version_label(document: Document, number: int, labels: dict[int, str] | None = None) -> str:
    """"Draft (version 1)", "Adopted (version 7)", "Version 4 (made by A3)"."""
    labels = made_by(document) if labels is None else labels
    if number == 1:
        return _("Draft (version %(n)d)", n=number)
    if number == document.current_version and document.state is DocumentState.final:
        return _("Adopted (version %(n)d)", n=number)
    if labels.get(number):
        return _("Version %(n)d (made by %(amendment)s)", n=number, amendment=labels[number])
    return _("Version %(n)d", n=number)


# ---------------------------------------------------------------- the record of proceedings

def _person(name: str | None, organisation: str | None) -> str:
    if not name:
        return ""
    return f"{name} ({organisation})" if organisation else name


def record_export(meeting: Meeting, *, language: str | None = None) -> Record:
    """Every amendment of every document of the meeting, in the order of business, with how it
    was decided; then the votes on whole documents; then each counted or void election."""
    from motions.polls.reading import describe

    documents = db.session.execute(
        select(Document).where(Document.meeting_id == meeting.id).order_by(Document.id)).scalars().all()
    doc_ids = [d.id for d in documents]
    amendments = db.session.execute(
        select(Amendment).where(Amendment.document_id.in_(doc_ids))).scalars().all() if doc_ids else []
    ids = [a.id for a in amendments]
    people = {p.id: p for p in db.session.execute(
        select(Person).where(Person.id.in_({a.mover_id for a in amendments if a.mover_id is not None}))).scalars()}
    seconders: dict[int, list[str]] = defaultdict(list)
    for amendment_id, name, organisation in db.session.execute(
            select(Seconding.amendment_id, Person.name, Person.organisation)
            .join(Person, Person.id == Seconding.person_id)
            .where(Seconding.amendment_id.in_(ids)).order_by(Seconding.created_at, Person.name)):
        seconders[amendment_id].append(_person(name, organisation))
    polls = db.session.execute(
        select(Poll).where(Poll.meeting_id == meeting.id, Poll.state == PollState.closed)
        .order_by(Poll.closed_at, Poll.id)).scalars().all()
    deciding: dict[int, Poll] = {}
    for poll in polls:
        outcome = (poll.result or {}).get("outcome")
        if poll.amendment_id is not None and outcome in ("carried", "lost"):
            deciding[poll.amendment_id] = poll  # the last poll that decided it
    notes: dict[int, str] = {}
    for amendment_id, note in db.session.execute(
            select(AmendmentEvent.amendment_id, AmendmentEvent.note)
            .where(AmendmentEvent.amendment_id.in_(ids),
                   AmendmentEvent.to_status.in_([s.value for s in DECIDED]))
            .order_by(AmendmentEvent.at, AmendmentEvent.id)):
        notes[amendment_id] = note or ""

    rows: list[RecordRow] = []
    by_doc: dict[int, list[Amendment]] = defaultdict(list)
    for a in amendments:
        by_doc[a.document_id].append(a)
    for document in documents:
        these = by_doc.get(document.id, [])
        reader = Reader(document)
        _preload(reader, document, these)
        where = positions(document)
        for a in sorted(these, key=lambda a: order_key(a, where)):
            row = reader.row(a)
            poll = deciding.get(a.id)
            counts = (poll.result or {}).get("counts", {}) if poll is not None else {}
            decided = ""
            by_poll = (a.status in DECIDED and poll is not None
                       and (poll.result or {}).get("outcome") == a.status.value)
            if by_poll:
                decided = _("%(poll)s: %(result)s", poll=poll.title, result=describe(poll) or "")
            elif a.status in DECIDED:
                note = notes.get(a.id, "")
                decided = _("Decided by the chair: %(note)s", note=note) if note else _("Decided by the chair")
            elif a.status is AmendmentStatus.ruled_out and a.ruling:
                decided = _("Ruled out of order: %(reason)s", reason=a.ruling)
            mover = people.get(a.mover_id)
            rows.append(RecordRow(
                number=a.number, document=document.title, clause=row.number if row is not None else "",
                lines=(str(a.first_line) if a.first_line == a.last_line else f"{a.first_line}–{a.last_line}"),
                kind=label(AMENDMENT_KIND_LABELS, a.kind), title=a.title, summary=reader.summary(a),
                mover=_person(mover.name, mover.organisation) if mover else "",
                seconders=seconders.get(a.id, []), status=label(AMENDMENT_STATUS_LABELS, a.status),
                decided=decided,
                votes_for=counts.get("yes") if by_poll else None,
                votes_against=counts.get("no") if by_poll else None,
                abstentions=counts.get("abstain") if by_poll else None,
                outcome=a.status.value))
        for poll in polls:
            outcome = (poll.result or {}).get("outcome")
            if poll.document_id == document.id and poll.amendment_id is None and outcome:
                counts = poll.result.get("counts", {})
                rows.append(RecordRow(
                    number="", document=document.title, clause="", lines="", kind=_("the whole document"),
                    title=poll.title, summary="", mover="", seconders=[],
                    status=label(AMENDMENT_STATUS_LABELS, outcome) if outcome in ("carried", "lost") else outcome,
                    decided=_("%(poll)s: %(result)s", poll=poll.title, result=describe(poll) or ""),
                    votes_for=counts.get("yes"), votes_against=counts.get("no"), abstentions=counts.get("abstain"),
                    outcome=outcome))
    language = language or select_locale()
    return Record(meeting=meeting.title, date=_day(), language=language, rows=rows,
                  fingerprints=[(d.title, d.fingerprint) for d in documents if d.fingerprint],
                  elections=_record_elections(meeting, language))


def _record_elections(meeting: Meeting, language: str) -> list[ElectionSheet]:
    """The meeting's counted and void elections, in the order they were set up."""
    from motions.elections.models import Election, ElectionState

    elections = db.session.execute(
        select(Election).where(Election.meeting_id == meeting.id,
                               Election.state.in_([ElectionState.closed, ElectionState.void]))
        .order_by(Election.id)).scalars().all()
    return [election_sheet(e, language=language, meeting=meeting) for e in elections]


# ---------------------------------------------------------------- an election's result sheet

def election_sheet(election, *, language: str | None = None, meeting: Meeting | None = None) -> ElectionSheet:
    """The result sheet of an election as export data, from the stored count read back in the
    reader's language (motions.elections.reading.result); an election never counted (a void one)
    has no counts."""
    from motions.elections import reading as elections

    result = elections.result(election)
    meeting = meeting if meeting is not None else db.session.get(Meeting, election.meeting_id)
    counts = []
    for c in result.counts if result is not None else ():
        outcome = c.outcome
        counts.append(SheetCount(
            part=c.part, label=c.part_label, kind=c.kind, seats=outcome.seats, valid=_figure(outcome.valid),
            invalid=int(outcome.invalid), quota=_figure(outcome.quota) if c.kind == "stv" else None,
            table=[list(row) for row in c.table], notes=list(c.notes)))
    reserved = ""
    if election.reserved_seats:
        reserved = _("%(k)d of the %(seats)d seats, for %(group)s", k=election.reserved_seats, seats=election.seats,
                     group=election.reserved_group)
    counted = result is not None and election.closed_at is not None
    return ElectionSheet(
        meeting=meeting.title, title=election.title, method=result.method if result else election.method,
        method_label=elections.method_label(result.method if result else election.method), seats=election.seats,
        state=election.state.value, papers=result.papers if result else 0, valid=result.valid if result else 0,
        invalid=result.invalid if result else 0, seed=result.seed if result else "",
        elected=[ElectedCandidate(x["name"], bool(x["reserved"])) for x in result.elected]
        if result is not None and result.error is None else [],
        counts=counts, date=_day(), language=language or select_locale(),
        counted=election.closed_at.strftime("%Y-%m-%d %H:%M") if counted else "", reserved=reserved,
        error=result.error if result is not None else None, void_reason=election.void_reason or "",
        election_id=election.id)


def _figure(value) -> str:
    """A figure of a count written in full, as the result sheet writes it (never rounded)."""
    from decimal import Decimal

    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _preload(reader: Reader, document: Document, amendments: list[Amendment]) -> None:
    """Load the base clause of every amendment in one query (not one per amendment)."""
    pairs = {(a.base_version, a.clause_id) for a in amendments if a.clause_id is not None}
    if not pairs:
        return
    found = db.session.execute(
        select(DocumentVersion.number, ClauseText)
        .join(DocumentVersion, ClauseText.version_id == DocumentVersion.id)
        .where(DocumentVersion.document_id == document.id,
               tuple_(DocumentVersion.number, ClauseText.clause_id).in_(list(pairs)))
    ).all()
    reader.preload({(number, row.clause_id): row for number, row in found}, pairs)


# ---------------------------------------------------------------- files

def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_).strip("-").lower()[:60] or "document"


def document_file(document: Document, fmt: str | None, *, version: int | None = None, redline: bool = False,
                  old: int | None = None) -> Export:
    """The document (or the redline of version `old`, the draft by default, against `version`) as a file."""
    if redline:
        check_format(fmt, REDLINE_FORMATS)
        data = redline_export(document, old or 1, version)
        body = render_redline(data, fmt, _)
        name = f"{_slug(document.title)}-redline-v{data.old_version}-v{data.new_version}.{fmt}"
    else:
        check_format(fmt, FORMATS)
        data = document_export(document, version)
        body = render_document(data, fmt, _)
        name = f"{_slug(document.title)}-v{data.version}.{fmt}"
    return Export(body, MEDIA_TYPES[fmt], name)


def sheet_file(election, fmt: str | None) -> Export:
    """The result sheet of a counted election as a file (409 `not_counted` before the count)."""
    check_format(fmt, SHEET_FORMATS)
    if not election.result:
        raise StateConflict(_("The result sheet can be downloaded once the election is counted."),
                            code="not_counted")
    body = render_sheet(election_sheet(election), fmt, _)
    return Export(body, MEDIA_TYPES[fmt], f"election-{election.id}-result.{fmt}")


def ballots_file(election) -> Export:
    """The papers of a counted election as a BLT file (409 `not_closed` before the count)."""
    from motions.elections.operations import export_blt

    return Export(export_blt(election).encode("utf-8"), "text/plain; charset=utf-8", f"election-{election.id}.blt")


def election_file(election, fmt: str | None) -> Export:
    """A counted election's result sheet (csv, pdf) or its papers (blt) as a file."""
    check_format(fmt, ELECTION_FORMATS)
    return ballots_file(election) if fmt == "blt" else sheet_file(election, fmt)


def record_file(meeting: Meeting, fmt: str | None) -> Export:
    """The record of proceedings of the meeting as a file."""
    check_format(fmt, RECORD_FORMATS)
    body = render_record(record_export(meeting), fmt, _)
    return Export(body, MEDIA_TYPES[fmt], f"{_slug(meeting.slug)}-record-{_day()}.{fmt}")

"""Amendment operations: propose, second, revise, withdraw, admit, rule out, composite, number.

The only place that changes amendments and commits. Every refusal is an OperationError with a
translated message (and the field it concerns), raised before anything is written.
"""
from __future__ import annotations

import re
from itertools import count
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from motions import audit
from motions.amendments.models import (
    PENDING, Amendment, AmendmentEvent, AmendmentKind, AmendmentRevision, AmendmentStatus, Seconding,
)
from motions.auth.models import Person, utcnow
from motions.documents.models import ClauseText, Document, DocumentState, DocumentVersion
from motions.errors import Forbidden, NotFound, StateConflict, ValidationFailed
from motions.extensions import db
from motions.labels import AMENDMENT_STATUS_LABELS, label
from motions.live import publish
from motions.meetings.models import IllegalTransition, Meeting, Numbering
from motions.text import diff as textdiff
from motions.text.clauses import single_line
from motions.text.lines import wrap
from motions.text.summary import line_of, line_spans

MAX_TITLE = 300
MAX_REASON = 20_000
MAX_TEXT = textdiff.MAX_TEXT
MAX_RULING = 2_000
# C0 controls other than TAB and line breaks, DEL, and the C1 controls: never part of a text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# ---------------------------------------------------------------- reading

def get_amendment(amendment_id: int) -> Amendment:
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFound(_("There is no such amendment."))
    return amendment


def clause_rows(document_id: int, version_number: int) -> dict[int, ClauseText]:
    """The clauses of one version of a document by clause id."""
    rows = db.session.execute(
        db.select(ClauseText).join(DocumentVersion, ClauseText.version_id == DocumentVersion.id)
        .where(DocumentVersion.document_id == document_id, DocumentVersion.number == version_number)
        .order_by(ClauseText.position)
    ).scalars()
    return {row.clause_id: row for row in rows}


def clause_row(document_id: int, version_number: int, clause_id: int) -> ClauseText | None:
    """One clause as it stands in one version (None when the version has no such clause)."""
    return db.session.execute(
        db.select(ClauseText).join(DocumentVersion, ClauseText.version_id == DocumentVersion.id)
        .where(DocumentVersion.document_id == document_id, DocumentVersion.number == version_number,
               ClauseText.clause_id == clause_id)
        .options(db.contains_eager(ClauseText.version))
    ).scalar_one_or_none()


# ---------------------------------------------------------------- checking input

_LINE_BREAKS = re.compile(r"\s*[\n\r\u2028\u2029]+\s*")


def _clean_line(value, name: str, limit: int, fields: dict, *, required: bool = False) -> str:
    """A one-line field (a title): line breaks become one space."""
    value = value if isinstance(value, str) else ""
    value = _LINE_BREAKS.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if required and not value:
        fields[name] = _("This field is required.")
    elif len(value) > limit:
        fields[name] = _("This is too long (at most %(n)d characters).", n=limit)
    elif _CONTROL.search(value):
        fields[name] = _("The text must not contain control characters.")
    return value


def _clean_multiline(value, name: str, limit: int, fields: dict) -> str:
    value = value if isinstance(value, str) else ""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(value) > limit:
        fields[name] = _("This is too long (at most %(n)d characters).", n=limit)
    elif _CONTROL.search(value):
        fields[name] = _("The text must not contain control characters.")
    return value


def _clean_text(value, fields: dict) -> str:
    """The amended clause text as one logical line (a clause is one paragraph or item)."""
    if value is not None and not isinstance(value, str):
        fields["text"] = _("Enter text.")
        return ""
    raw = value or ""
    if len(raw) > MAX_TEXT:
        fields["text"] = _("The text is too long (at most %(n)d characters).", n=MAX_TEXT)
        return ""
    if _CONTROL.search(raw):
        fields["text"] = _("The text must not contain control characters.")
        return ""
    return single_line(raw.replace("\u2028", "\n").replace("\u2029", "\n"))


def require_open(document: Document) -> None:
    if document.state is not DocumentState.open:
        raise StateConflict(_("Amendments to this document are closed: it is “%(state)s”.",
                              state=label_document_state(document)), code="amendments_closed")


def label_document_state(document: Document) -> str:
    from motions.labels import DOCUMENT_STATE_LABELS

    return label(DOCUMENT_STATE_LABELS, document.state)


def _kind(value, fields: dict) -> AmendmentKind | None:
    try:
        return AmendmentKind(value)
    except ValueError:
        fields["kind"] = _("Choose modify, insert_after or delete.")
        return None


def _derive(kind: AmendmentKind, row: ClauseText | None, text: str, line_width: int) -> dict:
    """The stored diff of an amendment against the clause at its base version: ops, patch, ranges, lines."""
    if kind is AmendmentKind.insert_after:
        line = row.last_line if row is not None else 0
        return {"ops": [[1, text]], "patch": "", "ranges": [], "first_line": line, "last_line": line}
    base = row.text
    if kind is AmendmentKind.delete:
        ops = [(-1, base)]
        return {"ops": [list(op) for op in ops], "patch": textdiff.make_patch(base, ops),
                "ranges": [[0, len(base)]], "first_line": row.first_line, "last_line": row.last_line}
    ops = textdiff.diff_words(base, text)
    first, last = changed_lines(base, ops, row.first_line, line_width)
    return {"ops": [list(op) for op in ops], "patch": textdiff.make_patch(base, ops),
            "ranges": [list(r) for r in textdiff.changed_ranges(ops)], "first_line": first, "last_line": last}


def changed_lines(text: str, ops, first_line: int, line_width: int) -> tuple[int, int]:
    """The lines a change (`ops`, a diff of `text`) touches, for a clause that starts at
    `first_line` and is wrapped at `line_width`."""
    ranges = textdiff.changed_ranges(ops)
    spans = line_spans(wrap(text, line_width), first_line)
    first = line_of(ranges[0][0], spans, insertion=ranges[0][0] == ranges[0][1])
    start, end = ranges[-1]
    last = line_of(start, spans, insertion=True) if start == end else line_of(end - 1, spans)
    return first, max(first, last)


def _checked(document: Document, *, clause_id, kind, text, title, reason, base_version) -> dict:
    """Validate a proposal (or a revision) against the current version; returns what to store."""
    fields: dict[str, str] = {}
    kind = _kind(kind, fields)
    title = _clean_line(title, "title", MAX_TITLE, fields)
    reason = _clean_multiline(reason, "reason", MAX_REASON, fields)
    text = _clean_text(text, fields) if kind is not AmendmentKind.delete else ""
    if base_version is not None and (not isinstance(base_version, int) or isinstance(base_version, bool)
                                     or not 1 <= base_version <= document.current_version):
        raise ValidationFailed(_("The amendment cannot be submitted as it is."), fields={
            "base_version": _("This document has no version %(n)s.", n=base_version)})
    if base_version is not None and base_version != document.current_version:
        raise StateConflict(
            _("The document has changed since this amendment was started (version %(old)s, now version "
              "%(new)s): look at the clause again and redo the change.", old=base_version,
              new=document.current_version), code="stale_base_version")
    row = None
    if clause_id is None:
        if kind is not AmendmentKind.insert_after:
            fields["clause_id"] = _("Choose the clause to amend.")
    elif not isinstance(clause_id, int) or isinstance(clause_id, bool) or not 1 <= clause_id <= 2**31 - 1:
        fields["clause_id"] = _("There is no such clause in this document.")
    else:
        row = clause_row(document.id, document.current_version, clause_id)
        if row is None:
            fields["clause_id"] = _("There is no such clause in this document.")
    if kind in (AmendmentKind.modify, AmendmentKind.insert_after) and "text" not in fields and not text:
        fields["text"] = (_("Enter the clause as it should read; to strike it out, propose its deletion.")
                          if kind is AmendmentKind.modify else _("Enter the text of the new clause."))
    if kind is AmendmentKind.modify and row is not None and text and text == row.text:
        fields["text"] = _("This amendment changes nothing: edit the text of the clause.")
    if fields:
        raise ValidationFailed(_("The amendment cannot be submitted as it is."), fields=fields)
    width = row.version.line_width if row is not None else document.meeting.line_width
    return {"kind": kind, "clause_id": clause_id, "title": title, "reason": reason, "text": text,
            "base_version": document.current_version, **_derive(kind, row, text, width)}


def preview(document: Document, *, clause_id, kind, text, base_version=None) -> dict:
    """What an amendment would be, without storing it (the live redline while a delegate types)."""
    require_open(document)
    return _checked(document, clause_id=clause_id, kind=kind, text=text, title="", reason="",
                    base_version=base_version)


# ---------------------------------------------------------------- numbering

def _line_label(line: int) -> str:
    return f"L{max(1, line)}-"


def _next_number(document: Document, first_line: int) -> tuple[str, int]:
    if document.meeting.numbering is Numbering.by_line:
        prefix = _line_label(first_line)
        taken = db.session.execute(
            db.select(func.count()).select_from(Amendment)
            .where(Amendment.document_id == document.id, Amendment.number.like(prefix + "%"))
        ).scalar_one()
        return f"{prefix}{taken + 1}", taken + 1
    highest = db.session.execute(
        db.select(func.max(Amendment.sequence)).where(Amendment.document_id == document.id)
    ).scalar_one()
    n = (highest or 0) + 1
    return f"A{n}", n


def _insert_numbered(document: Document, build, person: Person | None = None) -> Amendment:
    """Add the amendment `build()` makes with the next free number; two delegates submitting at the
    same moment may pick the same number, which the unique constraint refuses: then try again.
    The audit log gets its entry (by `person`) in the same transaction.

    Under load (a hundred delegates submitting at once) retrying alone is not enough: the writers
    of one document take turns from reading the highest number to the commit. PostgreSQL: the
    document's row is locked (FOR UPDATE) first; SQLite: the writers' turn of the polls (a lock
    file beside the database, which also orders the processes)."""
    from motions.polls.operations import writer_turn

    bind = db.session.get_bind()
    document_id = document.id
    for attempt in range(5):
        amendment = build()
        session = db.session()
        keep, session.expire_on_commit = session.expire_on_commit, False
        try:
            with writer_turn(bind):
                if bind.dialect.name == "postgresql":
                    db.session.execute(db.select(Document.id).where(Document.id == document_id).with_for_update())
                amendment.number, amendment.sequence = _next_number(document, amendment.first_line)
                db.session.add(amendment)
                db.session.flush()
                _audit(document, amendment, person, "submitted", kind=amendment.kind.value)
                # what was just written is what the answer shows: no need to read it all back
                db.session.commit()
            return amendment
        except IntegrityError:
            db.session.rollback()
            if attempt == 4:
                raise
        finally:
            session.expire_on_commit = keep
    raise AssertionError("unreachable")


def number_in_text_order(document: Document) -> dict[str, str]:
    """Sequential numbering: A1, A2 ... in the order amendments would be taken. Called when
    amendments close; the caller commits. Numbers given on submission are provisional until then,
    except for an amendment already dealt with, which keeps its number (the pending ones take the
    numbers left free, in text order). Returns the numbers that changed, old -> new."""
    from motions.amendments.reading import order_key, positions

    if document.meeting.numbering is not Numbering.sequential:
        return {}
    amendments = db.session.execute(db.select(Amendment).where(Amendment.document_id == document.id)).scalars().all()
    if not amendments:
        return {}
    where = positions(document)
    # an amendment already dealt with (decided, withdrawn, ruled out, composited) keeps its number:
    # versions, polls, the audit log and the record name it by that number
    kept = {a.number for a in amendments if a.status not in PENDING}
    ordered = sorted((a for a in amendments if a.status in PENDING), key=lambda a: order_key(a, where))
    free = (n for n in count(1) if f"A{n}" not in kept)
    changed = [(a, f"A{n}", n) for a, n in zip(ordered, free) if a.number != f"A{n}"]
    renumbered = {a.number: number for a, number, _n in changed}
    for a, _number, _n in changed:  # free the numbers first: they are unique per document
        a.number = f"~{a.id}"
    db.session.flush()
    for a, number, n in changed:
        _event(a, None, "renumbered", note=number)
        a.number, a.sequence = number, n
    return renumbered


# ---------------------------------------------------------------- history

def _event(amendment: Amendment, person: Person | None, action: str, *, before=None, note: str = "") -> None:
    amendment.events.append(AmendmentEvent(
        person_id=person.id if person is not None else None, action=action,
        from_status=before.value if before is not None else None, to_status=amendment.status.value, note=note,
    ))


def _audit(document: Document, amendment: Amendment, person: Person | None, action: str, *, before=None,
           **data) -> None:
    """The meeting's audit log entry for this change, in the transaction of the change."""
    moved = {"from": before.value, "to": amendment.status.value} if before is not None else {}
    audit.append(document.meeting_id, person, f"amendment.{action}", "amendment", amendment.id,
                 {"number": amendment.number, "document_id": amendment.document_id, **moved, **data})
    publish(document.meeting_id, "amendment.changed", {"amendment": amendment.id, "number": amendment.number,
                                                       "status": amendment.status.value, "action": action})


def _move(amendment: Amendment, target: AmendmentStatus) -> AmendmentStatus:
    before = amendment.status
    try:
        amendment.status = amendment.status.become(target)
    except IllegalTransition:
        raise StateConflict(_("An amendment that is “%(current)s” cannot become “%(target)s”.",
                              current=label(AMENDMENT_STATUS_LABELS, before),
                              target=label(AMENDMENT_STATUS_LABELS, target)), code="illegal_transition") from None
    amendment.updated_at = utcnow()
    return before


def _commit():
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


# ---------------------------------------------------------------- proposing and revising

def propose(document: Document, person: Person, *, clause_id, kind, text=None, title=None, reason=None,
            base_version=None) -> Amendment:
    require_open(document)
    values = _checked(document, clause_id=clause_id, kind=kind, text=text, title=title, reason=reason,
                      base_version=base_version)

    def build() -> Amendment:
        amendment = Amendment(document_id=document.id, mover_id=person.id, status=AmendmentStatus.submitted,
                              revision=1, **values)
        _event(amendment, person, "submitted")
        return amendment

    return _insert_numbered(document, build, person)


def revise(amendment: Amendment, person: Person, *, text=None, title=None, reason=None, base_version=None) -> Amendment:
    """The mover rewrites the amendment before it is admitted. The earlier wording is kept, and the
    seconders are released: they seconded a different text."""
    _require_mover(amendment, person, _("Only the mover may revise this amendment."))
    if amendment.status is not AmendmentStatus.submitted:
        raise StateConflict(_("Only a submitted amendment can be revised; this one is “%(status)s”.",
                              status=label(AMENDMENT_STATUS_LABELS, amendment.status)), code="illegal_transition")
    document = db.session.get(Document, amendment.document_id)
    require_open(document)
    if amendment.base_version != document.current_version and base_version != document.current_version:
        # its text was written against an older version: re-diffing it against the current clause would
        # silently undo what changed in between, so the mover must restate it against the current version
        raise StateConflict(
            _("This amendment was written against version %(old)s and the document is now at version %(new)s: "
              "restate its text against the current version.", old=amendment.base_version,
              new=document.current_version), code="stale_base_version")
    values = _checked(document, clause_id=amendment.clause_id, kind=amendment.kind.value,
                      text=text if amendment.kind is not AmendmentKind.delete else None,
                      title=title, reason=reason, base_version=base_version)
    if (values["text"], values["title"], values["reason"], values["base_version"]) == (
            amendment.text, amendment.title, amendment.reason, amendment.base_version):
        raise ValidationFailed(_("Nothing was changed."), fields={"text": _("Nothing was changed.")})
    amendment.revisions.append(AmendmentRevision(
        revision=amendment.revision, title=amendment.title, reason=amendment.reason, text=amendment.text,
        base_version=amendment.base_version, ops=amendment.ops))
    released = len(amendment.seconds)
    amendment.seconds = []
    for key, value in values.items():
        setattr(amendment, key, value)
    amendment.revision += 1
    amendment.updated_at = utcnow()
    _event(amendment, person, "revised",
           note=str(released) if released else "")
    _audit(document, amendment, person, "revised", revision=amendment.revision, seconders_released=released)
    _commit()
    return amendment


# ---------------------------------------------------------------- seconding

def _require_mover(amendment: Amendment, person: Person, message: str) -> None:
    if amendment.mover_id != person.id:
        raise Forbidden(message)


def _require_not_final(amendment: Amendment) -> Document:
    document = db.session.get(Document, amendment.document_id)
    if document.state is DocumentState.final:
        raise StateConflict(_("The document is final: its amendments can no longer change."), code="document_final")
    return document


def second(amendment: Amendment, person: Person) -> Amendment:
    if amendment.mover_id == person.id:
        raise Forbidden(_("You moved this amendment: another delegate must second it."))
    if amendment.status is not AmendmentStatus.submitted:
        raise StateConflict(_("Only a submitted amendment can be seconded; this one is “%(status)s”.",
                              status=label(AMENDMENT_STATUS_LABELS, amendment.status)), code="illegal_transition")
    document = _require_not_final(amendment)
    if any(s.person_id == person.id for s in amendment.seconds):
        raise StateConflict(_("You have already seconded this amendment."), code="already_seconded")
    amendment.seconds.append(Seconding(person_id=person.id))
    _event(amendment, person, "seconded")
    try:
        _audit(document, amendment, person, "seconded", seconders=len(amendment.seconds))
        db.session.commit()
    except IntegrityError:  # the same person seconding twice at the same moment
        db.session.rollback()
        raise StateConflict(_("You have already seconded this amendment."), code="already_seconded") from None
    return amendment


def unsecond(amendment: Amendment, person: Person) -> Amendment:
    if amendment.status is not AmendmentStatus.submitted:
        raise StateConflict(_("A second can only be withdrawn while the amendment is submitted."),
                            code="illegal_transition")
    mine = [s for s in amendment.seconds if s.person_id == person.id]
    if not mine:
        raise StateConflict(_("You have not seconded this amendment."), code="not_seconded")
    amendment.seconds.remove(mine[0])
    _event(amendment, person, "unseconded")
    _audit(db.session.get(Document, amendment.document_id), amendment, person, "unseconded",
           seconders=len(amendment.seconds))
    _commit()
    return amendment


# ---------------------------------------------------------------- screening

def withdraw(amendment: Amendment, person: Person) -> Amendment:
    _require_mover(amendment, person, _("Only the mover may withdraw this amendment."))
    document = _require_not_final(amendment)
    before = _move(amendment, AmendmentStatus.withdrawn)
    _event(amendment, person, "withdrawn", before=before)
    _audit(document, amendment, person, "withdrawn", before=before)
    _commit()
    return amendment


def admit(amendment: Amendment, person: Person) -> Amendment:
    document = _require_not_final(amendment)
    needed = document.meeting.seconders_required
    if amendment.status is AmendmentStatus.submitted and len(amendment.seconds) < needed:
        raise StateConflict(_("This amendment needs %(needed)d seconders before it can be admitted; it has "
                              "%(have)d.", needed=needed, have=len(amendment.seconds)), code="not_enough_seconders")
    before = _move(amendment, AmendmentStatus.admitted)
    _event(amendment, person, "admitted", before=before)
    _audit(document, amendment, person, "admitted", before=before, seconders=len(amendment.seconds))
    _commit()
    return amendment


def rule_out(amendment: Amendment, person: Person, reason) -> Amendment:
    fields: dict[str, str] = {}
    reason = _clean_multiline(reason, "reason", MAX_RULING, fields)
    if not reason and "reason" not in fields:
        fields["reason"] = _("Give the reason for the ruling.")
    if fields:
        raise ValidationFailed(_("Give the reason why the amendment is out of order."), fields=fields)
    document = _require_not_final(amendment)
    before = _move(amendment, AmendmentStatus.ruled_out)
    amendment.ruling = reason
    _event(amendment, person, "ruled_out", before=before, note=reason)
    _audit(document, amendment, person, "ruled_out", before=before, reason=reason)
    _commit()
    return amendment


# ---------------------------------------------------------------- compositing

def composite(meeting: Meeting, person: Person, *, amendment_ids, text=None, title=None, reason=None) -> Amendment:
    """Merge several pending amendments to one clause into one composite amendment (admitted); the
    originals become `composited` and link to it."""
    ids = amendment_ids if isinstance(amendment_ids, list) else []
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids) or len(set(ids)) < 2:
        raise ValidationFailed(_("Choose at least two amendments to composite."),
                               fields={"amendment_ids": _("Choose at least two amendments to composite.")})
    originals = db.session.execute(
        db.select(Amendment).join(Document, Amendment.document_id == Document.id)
        .where(Amendment.id.in_(set(ids)), Document.meeting_id == meeting.id).order_by(Amendment.id)
    ).scalars().all()
    if len(originals) != len(set(ids)):
        raise ValidationFailed(_("Some of these amendments do not exist in this meeting."),
                               fields={"amendment_ids": _("Some of these amendments do not exist in this meeting.")})
    if len({(a.document_id, a.clause_id) for a in originals}) != 1:
        raise ValidationFailed(_("Only amendments to the same clause can be composited."),
                               fields={"amendment_ids": _("Only amendments to the same clause can be composited.")})
    not_pending = [a.number for a in originals if a.status not in PENDING]
    if not_pending:
        raise StateConflict(_("Only submitted or admitted amendments can be composited (not %(numbers)s).",
                              numbers=", ".join(not_pending)), code="illegal_transition")
    kinds = {a.kind for a in originals}
    if AmendmentKind.insert_after in kinds and kinds != {AmendmentKind.insert_after}:
        raise ValidationFailed(_("A new clause cannot be composited with changes to an existing clause."),
                               fields={"amendment_ids": _("Choose amendments of the same kind.")})
    document = db.session.get(Document, originals[0].document_id)
    if document.state not in (DocumentState.open, DocumentState.closed):
        raise StateConflict(_("Amendments to this document are closed: it is “%(state)s”.",
                              state=label_document_state(document)), code="amendments_closed")
    if kinds == {AmendmentKind.insert_after}:
        kind = AmendmentKind.insert_after
    elif kinds == {AmendmentKind.delete} and not (text or "").strip():
        kind = AmendmentKind.delete
    else:
        kind = AmendmentKind.modify
    values = _checked(document, clause_id=originals[0].clause_id, kind=kind.value, text=text, title=title,
                      reason=reason, base_version=None)
    if not values["title"]:
        values["title"] = _("Composite of %(numbers)s", numbers=", ".join(a.number for a in originals))

    def build() -> Amendment:
        made = Amendment(document_id=document.id, mover_id=person.id, status=AmendmentStatus.admitted,
                         revision=1, **values)
        _event(made, person, "composited_from", note=", ".join(a.number for a in originals))
        return made

    # the composite and the originals' new status in one transaction
    for attempt in range(5):
        made = build()
        made.number, made.sequence = _next_number(document, made.first_line)
        db.session.add(made)
        try:
            db.session.flush()
            moves = []
            for original in originals:
                before = _move(original, AmendmentStatus.composited)
                original.composite_id = made.id
                _event(original, person, "composited", before=before, note=made.number)
                moves.append((original, before))
            _audit(document, made, person, "composite_made", to=made.status.value,
                   originals=[a.number for a in originals], original_ids=[a.id for a in originals])
            for original, before in moves:
                _audit(document, original, person, "composited", before=before, composite=made.number,
                       composite_id=made.id)
            db.session.commit()
            return made
        except IntegrityError:
            db.session.rollback()
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- deciding

OUTCOMES = ("carried", "lost", "remitted", "fallen")
MAX_NOTE = 2_000


def settle(amendment: Amendment, person: Person | None, outcome: str, *, note: str = "",
           poll_id: int | None = None) -> AmendmentStatus:
    """Set the decision on an amendment in the current transaction (the caller commits): a poll's
    close, or the chair's decision without a poll. A carried amendment is merged into a new version
    of its document at once (motions.amendments.merging); if it cannot be, nothing of the decision
    stays (the transaction is rolled back) and StateConflict says why."""
    document = db.session.get(Document, amendment.document_id)
    before = _move(amendment, AmendmentStatus(outcome))
    _event(amendment, person, outcome, before=before, note=note)
    data = {"note": note} if note else {}
    if poll_id is not None:
        data["poll_id"] = poll_id
    _audit(document, amendment, person, "decided", before=before, **data)
    if outcome == "carried":  # the decision is logged first, then the version it makes
        from motions.amendments.merging import merge_carried

        try:
            merge_carried(document, amendment, person)
        except Exception:
            db.session.rollback()
            raise
    return before


def decide(amendment: Amendment, person: Person | None, outcome, note=None) -> Amendment:
    """The chair decides an amendment without a poll (consent, a show of hands not counted) or
    remits it; "fallen" where another carried amendment made it impossible."""
    from motions.polls.models import Poll, PollState

    fields: dict[str, str] = {}
    if outcome not in OUTCOMES:
        fields["outcome"] = _("Choose one of: %(choices)s.", choices=", ".join(OUTCOMES))
    note = _clean_multiline(note, "note", MAX_NOTE, fields)
    if fields:
        raise ValidationFailed(_("Some fields need correcting."), fields=fields)
    _require_not_final(amendment)
    open_poll = db.session.execute(db.select(Poll.id).where(Poll.amendment_id == amendment.id,
                                                            Poll.state == PollState.open)).first()
    if open_poll is not None:
        raise StateConflict(_("A vote on this amendment is open; close or void it first."), code="poll_open")
    settle(amendment, person, outcome, note=note)
    _commit()
    return amendment


def resolve(amendment: Amendment, person: Person | None, text=None) -> Amendment:
    """The secretary restates an amendment that no longer applies (another amendment to its clause
    was carried) against the text as it now stands. The earlier wording is kept as a revision and
    the resolution is audited; the seconders stay (the meeting's intent is unchanged)."""
    document = _require_not_final(amendment)
    if amendment.status not in PENDING:
        raise StateConflict(_("Only a pending amendment can be resolved; this one is “%(status)s”.",
                              status=label(AMENDMENT_STATUS_LABELS, amendment.status)), code="illegal_transition")
    if amendment.applies_cleanly:
        raise StateConflict(_("This amendment applies to the text as it stands: there is nothing to resolve."),
                            code="applies_cleanly")
    values = _checked(document, clause_id=amendment.clause_id, kind=amendment.kind.value,
                      text=text if amendment.kind is not AmendmentKind.delete else None,
                      title=amendment.title, reason=amendment.reason, base_version=None)
    amendment.revisions.append(AmendmentRevision(
        revision=amendment.revision, title=amendment.title, reason=amendment.reason, text=amendment.text,
        base_version=amendment.base_version, ops=amendment.ops))
    for key, value in values.items():
        setattr(amendment, key, value)
    amendment.applies_cleanly = True
    amendment.revision += 1
    amendment.updated_at = utcnow()
    _event(amendment, person, "resolved")
    _audit(document, amendment, person, "resolved", revision=amendment.revision,
           base_version=amendment.base_version, text=amendment.text)
    _commit()
    return amendment


def resolution_proposal(amendment: Amendment) -> tuple[ClauseText | None, str]:
    """For the resolve editor: the clause as it stands now (None: it was deleted) and a starting
    text, the amendment's patch applied fuzzily to it (a person checks it), or the clause itself
    where even that fails."""
    document = db.session.get(Document, amendment.document_id)
    current = (clause_row(document.id, document.current_version, amendment.clause_id)
               if amendment.clause_id is not None else None)
    if amendment.kind is AmendmentKind.insert_after:
        return current, amendment.text
    if current is None or amendment.kind is AmendmentKind.delete:
        return current, ""
    try:
        return current, textdiff.apply_patch(amendment.patch, current.text)[0]
    except ValueError:
        return current, current.text

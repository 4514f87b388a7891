"""Document operations: import, draft editing (split, join, edit, reorder), state changes.

The only place that changes documents and commits. Views and the API parse input, call one
of these, and render the result.
"""
from __future__ import annotations

import unicodedata

from flask_babel import gettext as _

from motions import audit
from motions.auth.models import Person
from motions.documents.models import (
    Clause, ClauseText, Document, DocumentKind, DocumentState, DocumentVersion,
)
from motions.errors import NotFound, StateConflict, ValidationFailed
from motions.extensions import db
from motions.labels import DOCUMENT_STATE_LABELS, label
from motions.meetings.models import IllegalTransition, Meeting
from motions.text import clauses as textcore
from motions.text.layout import LaidClause, lay_out

MAX_TITLE = 300
MAX_TEXT = 1_000_000  # characters; the long seed text is about 107 KB


def validate_import(title: str | None, text: str | None, format: str | None, kind: str | None) -> dict:
    """Check an import request; returns the cleaned values or raises ValidationFailed."""
    fields: dict[str, str] = {}
    title = unicodedata.normalize("NFC", title.strip()) if isinstance(title, str) else ""
    if not title:
        fields["title"] = _("Give the document a title.")
    elif len(title) > MAX_TITLE:
        fields["title"] = _("The title is too long (at most %(n)d characters).", n=MAX_TITLE)
    elif "\x00" in title:
        fields["title"] = _("The title must not contain control characters.")
    if format not in textcore.FORMATS:
        fields["format"] = _("The format must be Markdown or plain text.")
    if kind not in {k.value for k in DocumentKind}:
        fields["kind"] = _("The kind must be platform or motion.")
    if text is None or not isinstance(text, str) or not text.strip():
        fields["text"] = _("The document has no text.")
    elif len(text) > MAX_TEXT:
        fields["text"] = _("The text is too long (at most %(n)d characters).", n=MAX_TEXT)
    elif "\x00" in text:  # a binary file (a .docx, a PDF); PostgreSQL cannot store NUL in text either
        fields["text"] = _("This is not text: upload a Markdown or plain-text file (.md or .txt), "
                           "not a word-processor file or a PDF.")
    if fields:
        raise ValidationFailed(_("The document cannot be imported as it is."), fields=fields)
    return {"title": title, "text": text, "format": format, "kind": kind}


def preview(text: str, format: str, width: int) -> list[LaidClause]:
    """How a text would be split and numbered, without storing anything."""
    blocks = textcore.split(text, format)
    if not blocks:  # e.g. only a byte order mark: nothing that import_document would store
        raise ValidationFailed(_("The document has no text."), fields={"text": _("The document has no text.")})
    return lay_out(blocks, width)


def store_layout(version: DocumentVersion, document: Document, laid: list[LaidClause],
                  clause_ids: list[int | None]) -> None:
    """Write a version's clauses; a None clause id creates a new clause identity.

    One flush for the new clause identities and one multi-row insert for the clause texts:
    a 200-clause platform is two round trips, not four hundred."""
    fresh = [Clause(document_id=document.id) for cid in clause_ids if cid is None]
    if fresh:
        db.session.add_all(fresh)
        db.session.flush()
    new_ids = iter(c.id for c in fresh)
    rows = []
    for position, (lc, clause_id) in enumerate(zip(laid, clause_ids)):
        b = lc.block
        rows.append(dict(
            version_id=version.id, clause_id=clause_id if clause_id is not None else next(new_ids),
            position=position, kind=b.kind, level=b.level, marker=b.marker, number=lc.number,
            heading=lc.heading, text=b.text, source=b.source, separator=b.separator,
            first_line=lc.first_line, last_line=lc.last_line,
        ))
    if rows:
        db.session.execute(db.insert(ClauseText), rows)
    db.session.expire(version, ["clause_texts"])


def import_document(meeting: Meeting, *, title: str, text: str, format: str, kind: str,
                    by_id: int | None) -> Document:
    values = validate_import(title, text, format, kind)
    blocks = textcore.split(values["text"], values["format"])
    if not blocks:
        raise ValidationFailed(_("The document has no text."), fields={"text": _("The document has no text.")})
    try:
        document = Document(meeting_id=meeting.id, title=values["title"], kind=DocumentKind(values["kind"]),
                            format=values["format"], state=DocumentState.draft, current_version=1)
        db.session.add(document)
        db.session.flush()
        version = DocumentVersion(document_id=document.id, number=1, reason="imported draft",
                                  created_by_id=by_id, line_width=meeting.line_width)
        db.session.add(version)
        db.session.flush()
        store_layout(version, document, lay_out(blocks, meeting.line_width), [None] * len(blocks))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return document


def get_document(document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None:
        raise NotFound(_("There is no such document."))
    return document


def get_version(document: Document, number: int | None) -> DocumentVersion:
    version = document.version(number)
    if version is None:
        raise NotFound(_("This document has no version %(n)s.", n=number))
    return version


# ---------------------------------------------------------------- draft editing

def _require_draft(document: Document) -> DocumentVersion:
    if document.state is not DocumentState.draft:
        raise StateConflict(_("Clauses can only be changed while the document is a draft."))
    return get_version(document, document.current_version)


def _row_index(rows: list[ClauseText], clause_id: int) -> int:
    for i, row in enumerate(rows):
        if row.clause_id == clause_id:
            return i
    raise NotFound(_("There is no such clause in this document."))


def separator_for(document: Document, kind: str) -> str:
    return "\n\n" if document.format == "markdown" and kind != "item" else "\n"


def _rewrite(document: Document, version: DocumentVersion,
             plan: list[tuple[int | None, str, str, str]]) -> None:
    """Replace a draft version's clauses by `plan`: (clause id or None, source, separator, kind) per block.

    The new text is split again and must give exactly the planned blocks, of the planned kinds, so
    an edit can never silently change the structure (for instance a paragraph turned into a list item)."""
    blocks = split_plan(document, plan)
    if blocks is None:
        raise ValidationFailed(
            _("This change would alter the document's structure; edit the clause text only."),
            fields={"text": _("The text must not start with list or heading markup (“- ”, “1. ”, “#”).")},
        )
    try:
        old_ids = {row.clause_id for row in version.clause_texts}
        for row in list(version.clause_texts):
            db.session.delete(row)
        db.session.flush()
        ids = [cid for cid, _s, _p, _k in plan]
        store_layout(version, document, lay_out(blocks, version.line_width), ids)
        for gone in old_ids - {i for i in ids if i is not None}:
            db.session.execute(db.delete(Clause).where(Clause.id == gone))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def split_plan(document: Document, plan: list[tuple[int | None, str, str, str]]) -> list[textcore.Block] | None:
    """The blocks of the text `plan` makes, or None when it would not split into exactly the
    planned blocks of the planned kinds (a change never silently alters the structure)."""
    full = "".join(src + sep for _cid, src, sep, _kind in plan)
    blocks = textcore.split(full, document.format)
    if [b.kind for b in blocks] != [kind for _cid, _src, _sep, kind in plan]:
        return None
    return blocks


def _plan(rows: list[ClauseText]) -> list[tuple[int | None, str, str, str]]:
    return [(r.clause_id, r.source, r.separator, r.kind) for r in rows]


def block_of(row: ClauseText) -> textcore.Block:
    return textcore.Block(kind=row.kind, text=row.text, source=row.source, separator=row.separator,
                          level=row.level, marker=row.marker)


def _clean_parts(new_text: str) -> list[str]:
    """A blank line in an edited clause splits it into several clauses."""
    new_text = textcore.normalise(new_text or "")
    parts = [" ".join(p.split()) for p in new_text.split("\n\n")]
    return [p for p in parts if p]


def edit_clause(document: Document, clause_id: int, new_text: str) -> None:
    version = _require_draft(document)
    rows = list(version.clause_texts)
    i = _row_index(rows, clause_id)
    if "\x00" in (new_text or ""):  # PostgreSQL cannot store it
        raise ValidationFailed(_("The text must not contain control characters."),
                               fields={"text": _("The text must not contain control characters.")})
    parts = _clean_parts(new_text)
    if not parts:
        raise ValidationFailed(_("A clause cannot be empty; join or delete it instead."),
                               fields={"text": _("Enter the clause text.")})
    row = rows[i]
    block = block_of(row)
    plan = _plan(rows)
    new = []
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        sep = row.separator if last else separator_for(document, row.kind)
        new.append((row.clause_id if k == 0 else None, textcore.render_source(block, part), sep, row.kind))
    plan[i:i + 1] = new
    _rewrite(document, version, plan)


def split_clause(document: Document, clause_id: int) -> int:
    """Split a clause at its sentence ends; returns how many clauses it became."""
    version = _require_draft(document)
    rows = list(version.clause_texts)
    row = rows[_row_index(rows, clause_id)]
    sentences = [s.strip() for s in textcore.split_sentences(row.text) if s.strip()]
    if len(sentences) < 2:
        raise ValidationFailed(_("This clause has only one sentence; edit it and put a blank line where it should be split."))
    edit_clause(document, clause_id, "\n\n".join(sentences))
    return len(sentences)


def join_with_next(document: Document, clause_id: int) -> None:
    version = _require_draft(document)
    rows = list(version.clause_texts)
    i = _row_index(rows, clause_id)
    if i + 1 >= len(rows):
        raise StateConflict(_("The last clause has no next clause to join."))
    first, second = rows[i], rows[i + 1]
    if first.kind == "heading" or second.kind == "heading":
        raise StateConflict(_("A heading cannot be joined with a clause."))
    joined = textcore.join_texts(first.text, second.text)
    plan = _plan(rows)
    plan[i:i + 2] = [(first.clause_id, textcore.render_source(block_of(first), joined), second.separator,
                      first.kind)]
    _rewrite(document, version, plan)


def move_clause(document: Document, clause_id: int, direction: int) -> None:
    """Move a clause up (-1) or down (+1); numbers and line numbers follow."""
    version = _require_draft(document)
    rows = list(version.clause_texts)
    i = _row_index(rows, clause_id)
    j = i + (1 if direction > 0 else -1)
    if not 0 <= j < len(rows):
        raise StateConflict(_("The clause cannot move further."))
    plan = _plan(rows)
    # separators stay in place: the blank lines belong to the position, not the clause
    (ci, si, pi, ki), (cj, sj, pj, kj) = plan[i], plan[j]
    plan[i], plan[j] = (cj, sj, pi, kj), (ci, si, pj, ki)
    _rewrite(document, version, plan)


def renumber(document: Document) -> None:
    """Recompute clause and line numbers of the draft (after the meeting's line width changed)."""
    version = _require_draft(document)
    version.line_width = document.meeting.line_width
    _rewrite(document, version, _plan(list(version.clause_texts)))


# ---------------------------------------------------------------- states

def _require_adopted(document: Document) -> None:
    """A document becomes final only once the meeting has carried it as amended: its last counted
    poll on the whole document carried, and no vote on it is still open."""
    from motions.polls.models import Poll, PollState

    polls = db.session.execute(
        db.select(Poll.state, Poll.result).where(Poll.document_id == document.id, Poll.amendment_id.is_(None),
                                                 Poll.state.in_([PollState.open, PollState.closed]))
        .order_by(Poll.closed_at, Poll.id)
    ).all()
    if any(state is PollState.open for state, _result in polls):
        raise StateConflict(_("The vote on this document is still open: close it first."), code="poll_open")
    last = next((result for state, result in reversed(polls) if state is PollState.closed), None)
    if not last or last.get("outcome") != "carried":
        raise StateConflict(_("The meeting has not adopted this document yet: put the document as amended to "
                              "a vote, and mark it final once the vote has carried it."), code="not_adopted")


def set_state(document: Document, target: str, *, by: Person | None = None) -> Document:
    """Move the document on (draft, open, closed, final); `by`: who did (for the audit log)."""
    try:
        wanted = DocumentState(target)
    except ValueError:
        raise ValidationFailed(_("Unknown document state."),
                               fields={"state": _("Choose draft, open, closed or final.")}) from None
    before = document.state
    if wanted is DocumentState.final and document.state.can_become(wanted):
        _require_adopted(document)
    try:
        document.state = document.state.become(wanted)
    except IllegalTransition:
        raise StateConflict(_("A document that is “%(current)s” cannot become “%(target)s”.",
                              current=label(DOCUMENT_STATE_LABELS, document.state),
                              target=label(DOCUMENT_STATE_LABELS, wanted))) from None
    try:
        renumbered = {}
        if wanted is DocumentState.final:
            from motions.text.merge import fingerprint

            document.fingerprint = fingerprint(get_version(document, document.current_version).text())
        if wanted is DocumentState.closed:
            # amendments close: sequential numbers are now given in the order amendments are taken
            from motions.amendments.operations import number_in_text_order

            renumbered = number_in_text_order(document)
        audit.append(document.meeting_id, by, "document.state", "document", document.id,
                     {"from": before.value, "to": wanted.value, **({"renumbered": renumbered} if renumbered else {}),
                      **({"fingerprint": document.fingerprint, "version": document.current_version}
                         if wanted is DocumentState.final else {})})
        from motions.live import publish

        publish(document.meeting_id, "document.changed", {"document": document.id, "state": wanted.value})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return document

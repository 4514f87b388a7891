"""Merging a carried amendment into a new version of its document, in the caller's transaction.

`merge_carried()` is called by `operations.settle()` when an amendment is carried (a poll's close
or the chair's decision); the caller commits, so the decision, the new version and the re-based
amendments are one transaction: a merge that fails leaves nothing behind.

What happens (the text work is the pure core, motions.text.merge):

1. The clause list of the current version is copied into version n+1 with the carried change
   made: a modified clause gets its new text (same clause identity), a deleted clause is left
   out, a new clause is inserted after its anchor with a new identity. Clause numbers and line
   numbers are laid out again, so clauses after an insertion or deletion show shifted numbers.
2. The pending amendments to the modified clause are re-based onto its new text; those whose
   change meets the carried one (or whose clause was deleted) are marked `applies_cleanly =
   false` and keep the text they were written against, to be resolved by hand or declared
   fallen. Nothing is half-applied.
3. Every other pending amendment that still applies moves to version n+1 as it is (its clause's
   text did not change); its stored line numbers follow the lines that moved.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, update

from motions import audit
from motions.amendments.models import PENDING, Amendment, AmendmentKind
from motions.auth.models import Person, utcnow
from motions.documents.models import ClauseText, Document, DocumentVersion
from motions.errors import StateConflict
from motions.extensions import db
from motions.live import publish
from motions.text import clauses as textcore
from motions.text import merge
from motions.text.diff import changed_ranges, make_patch, old_text
from motions.text.layout import lay_out
from motions.text.lines import wrap
from motions.text.summary import line_of, line_spans

_AMENDMENT = Amendment.__table__


@dataclass
class MergeReport:
    version: int  # the new version's number
    rebased: list[str]  # numbers of the pending amendments carried over onto the new text
    no_longer_apply: list[str]  # numbers of those that need resolving (or fall)


def _block(row: ClauseText) -> textcore.Block:
    return textcore.Block(kind=row.kind, text=row.text, source=row.source, separator=row.separator,
                          level=row.level, marker=row.marker)


def _separator(document: Document, kind: str) -> str:
    return "\n\n" if document.format == "markdown" and kind != "item" else "\n"


def _conflict(message: str):
    return StateConflict(message, code="does_not_apply")


def _new_clause_block(document: Document, anchor: ClauseText | None, text: str) -> textcore.Block:
    """A new clause after `anchor`: an item of the same list after an item, else a paragraph."""
    if anchor is not None and anchor.kind == "item":
        return textcore.Block(kind="item", text=text, source=textcore.render_source(_block(anchor), text),
                              separator=anchor.separator, level=anchor.level, marker=anchor.marker)
    paragraph = textcore.Block(kind="paragraph", text=text, source=text, separator="\n", level=0, marker="")
    return textcore.Block(kind="paragraph", text=text, source=textcore.render_source(paragraph, text),
                          separator=_separator(document, "paragraph"), level=0, marker="")


def _line_range(text: str, ops, first_line: int, width: int) -> tuple[int, int]:
    """The lines of a clause (starting at first_line, wrapped at width) that a change touches."""
    ranges = changed_ranges(ops)
    spans = line_spans(wrap(text, width), first_line)
    first = line_of(ranges[0][0], spans, insertion=ranges[0][0] == ranges[0][1])
    start, end = ranges[-1]
    last = line_of(start, spans, insertion=True) if start == end else line_of(end - 1, spans)
    return first, max(first, last)


def merge_carried(document: Document, amendment: Amendment, person: Person | None) -> MergeReport:
    """Make version n+1 with `amendment` carried and re-base the pending amendments (no commit)."""
    if not amendment.applies_cleanly:
        raise _conflict(_("Amendment %(number)s no longer applies to the text: resolve it, or declare it "
                          "fallen, before it is carried.", number=amendment.number))
    current = document.version()
    rows = list(current.clause_texts)
    by_id = {r.clause_id: r for r in rows}
    plan: list[tuple[int | None, textcore.Block]] = [(r.clause_id, _block(r)) for r in rows]
    index = {r.clause_id: i for i, r in enumerate(rows)}
    kind = amendment.kind
    carried_ops = [tuple(op) for op in amendment.ops]
    if kind is AmendmentKind.modify:
        row = by_id.get(amendment.clause_id)
        if row is None:
            raise _conflict(_("The clause amendment %(number)s changes is no longer in the document.",
                              number=amendment.number))
        base = old_text(carried_ops)  # the clause as the amendment found it
        try:
            new_text = merge.carry(base, row.text, carried_ops, amendment.patch).text
        except merge.NoLongerApplies:
            raise _conflict(_("Amendment %(number)s no longer applies to the text: resolve it, or declare it "
                              "fallen, before it is carried.", number=amendment.number)) from None
        block = _block(row)
        plan[index[row.clause_id]] = (row.clause_id, textcore.Block(
            kind=block.kind, text=new_text, source=textcore.render_source(block, new_text),
            separator=block.separator, level=block.level, marker=block.marker))
    elif kind is AmendmentKind.delete:
        if amendment.clause_id not in by_id:
            raise _conflict(_("The clause amendment %(number)s changes is no longer in the document.",
                              number=amendment.number))
        del plan[index[amendment.clause_id]]
    else:  # insert_after
        anchor = by_id.get(amendment.clause_id) if amendment.clause_id is not None else None
        if amendment.clause_id is not None and anchor is None:
            raise _conflict(_("The clause amendment %(number)s changes is no longer in the document.",
                              number=amendment.number))
        at = index[anchor.clause_id] + 1 if anchor is not None else 0
        plan.insert(at, (None, _new_clause_block(document, anchor, amendment.text)))
    if not plan:
        raise _conflict(_("Carrying amendment %(number)s would leave the document without any text.",
                          number=amendment.number))
    # the new text must split into exactly the planned clauses: a change never alters the structure
    full = "".join(b.source + b.separator for _cid, b in plan)
    blocks = textcore.split(full, document.format)
    if [b.kind for b in blocks] != [b.kind for _cid, b in plan]:
        raise _conflict(_("Amendment %(number)s would change the document's structure (its text reads as a "
                          "heading or a list); resolve its text first.", number=amendment.number))
    version = DocumentVersion(document_id=document.id, number=current.number + 1, amendment_id=amendment.id,
                              reason=f"carried {amendment.number}", created_by_id=person.id if person else None,
                              line_width=current.line_width)
    db.session.add(version)
    db.session.flush()
    from motions.documents.operations import store_layout

    laid = lay_out(blocks, current.line_width)
    store_layout(version, document, laid, [cid for cid, _b in plan])
    document.current_version = version.number
    new_rows = {r.clause_id: r for r in version.clause_texts}
    report = _carry_over(document, amendment, current, version, by_id, new_rows, carried_ops)
    audit.append(document.meeting_id, person, "document.version", "document", document.id,
                 {"version": version.number, "amendment": amendment.number, "rebased": report.rebased,
                  "no_longer_apply": report.no_longer_apply})
    publish(document.meeting_id, "document.changed", {"document": document.id, "version": version.number,
                                                      "amendment": amendment.id})
    return report


def _carry_over(document: Document, carried: Amendment, old: DocumentVersion, new: DocumentVersion,
                old_rows: dict[int, ClauseText], new_rows: dict[int, ClauseText], carried_ops) -> MergeReport:
    report = MergeReport(new.number, [], [])
    touched = carried.clause_id
    others = db.session.execute(
        db.select(Amendment).where(Amendment.document_id == document.id, Amendment.status.in_(PENDING),
                                   Amendment.id != carried.id, Amendment.applies_cleanly.is_(True),
                                   Amendment.clause_id == touched)
    ).scalars().all() if touched is not None and carried.kind is not AmendmentKind.insert_after else []
    handled = set()
    now = utcnow()
    for pending in others:
        handled.add(pending.id)
        if pending.kind is AmendmentKind.insert_after:
            if carried.kind is AmendmentKind.delete:  # its anchor is gone: after the clause before it
                before = [cid for cid in old_rows if cid in new_rows and
                          old_rows[cid].position < old_rows[touched].position]
                pending.clause_id = before[-1] if before else None
                anchor = new_rows.get(pending.clause_id)
                pending.first_line = pending.last_line = anchor.last_line if anchor else 0
            else:
                anchor = new_rows[touched]
                pending.first_line = pending.last_line = anchor.last_line
            pending.base_version = new.number
            pending.updated_at = now
            report.rebased.append(pending.number)
            continue
        row = new_rows.get(touched)
        if row is None or pending.base_version != old.number:
            pending.applies_cleanly = False
        elif pending.kind is AmendmentKind.delete:
            ops = [(-1, row.text)]
            pending.ops, pending.ranges = [list(o) for o in ops], [[0, len(row.text)]]
            pending.patch = make_patch(row.text, ops)
            pending.first_line, pending.last_line = row.first_line, row.last_line
            pending.base_version = new.number
        else:
            rebased = merge.rebase([tuple(op) for op in pending.ops], carried_ops)
            if rebased is None:
                pending.applies_cleanly = False
            else:
                pending.text, pending.patch = rebased.text, rebased.patch
                pending.ops = [list(op) for op in rebased.ops]
                pending.ranges = [list(r) for r in rebased.ranges]
                pending.first_line, pending.last_line = _line_range(row.text, rebased.ops, row.first_line,
                                                                    new.line_width)
                pending.base_version = new.number
        pending.updated_at = now
        (report.rebased if pending.applies_cleanly else report.no_longer_apply).append(pending.number)
        if not pending.applies_cleanly:
            publish(document.meeting_id, "amendment.changed", {"amendment": pending.id, "number": pending.number,
                                                               "status": pending.status.value,
                                                               "action": "no_longer_applies"})
    # everything else that still applies moves to the new version as it is; its lines follow
    shift = _line_shifts(old_rows, new_rows)
    clean_pending = and_(_AMENDMENT.c.document_id == document.id,
                         _AMENDMENT.c.status.in_([s.name for s in PENDING]),
                         _AMENDMENT.c.applies_cleanly.is_(True), _AMENDMENT.c.base_version == old.number,
                         _AMENDMENT.c.id != carried.id)
    if handled:
        clean_pending = and_(clean_pending, _AMENDMENT.c.id.not_in(handled))
    for delta, clause_ids in shift.items():
        db.session.execute(update(_AMENDMENT).where(clean_pending, _AMENDMENT.c.clause_id.in_(clause_ids))
                           .values(first_line=_AMENDMENT.c.first_line + delta,
                                   last_line=_AMENDMENT.c.last_line + delta))
    if carried.kind is AmendmentKind.delete:
        # new clauses meant to follow the deleted clause now follow the clause before it
        before = [cid for cid in old_rows if cid in new_rows and old_rows[cid].position < old_rows[touched].position]
        db.session.execute(update(_AMENDMENT).where(clean_pending, _AMENDMENT.c.clause_id == touched,
                                                    _AMENDMENT.c.kind == AmendmentKind.insert_after.name)
                           .values(clause_id=before[-1] if before else None))
    db.session.execute(update(_AMENDMENT).where(clean_pending).values(base_version=new.number))
    return report


def _line_shifts(old_rows: dict[int, ClauseText], new_rows: dict[int, ClauseText]) -> dict[int, list[int]]:
    """Clause ids grouped by how many lines they moved (those that did not move are left out)."""
    moved: dict[int, list[int]] = {}
    for cid, row in new_rows.items():
        before = old_rows.get(cid)
        if before is not None and row.first_line != before.first_line and row.text == before.text:
            moved.setdefault(row.first_line - before.first_line, []).append(cid)
    return moved

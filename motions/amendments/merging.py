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

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, case, update

from motions import audit
from motions.amendments.models import PENDING, Amendment, AmendmentKind
from motions.amendments.operations import changed_lines
from motions.auth.models import Person, utcnow
from motions.documents import operations as documents
from motions.documents.models import ClauseText, Document, DocumentVersion
from motions.errors import StateConflict
from motions.extensions import db
from motions.live import publish
from motions.text import clauses as textcore
from motions.text import merge
from motions.text.diff import make_patch, old_text
from motions.text.layout import lay_out

_AMENDMENT = Amendment.__table__

Plan = list[tuple[int | None, str, str, str]]  # (clause id or None for a new one, source, separator, kind)


@dataclass
class MergeReport:
    version: int  # the new version's number
    rebased: list[str] = field(default_factory=list)  # numbers of the pending amendments carried over
    no_longer_apply: list[str] = field(default_factory=list)  # numbers of those that need resolving (or fall)


def _conflict(message: str) -> StateConflict:
    return StateConflict(message, code="does_not_apply")


def _no_longer_applies(amendment: Amendment) -> StateConflict:
    return _conflict(_("Amendment %(number)s no longer applies to the text: resolve it, or declare it "
                       "fallen, before it is carried.", number=amendment.number))


def _clause_gone(amendment: Amendment) -> StateConflict:
    return _conflict(_("The clause amendment %(number)s changes is no longer in the document.",
                       number=amendment.number))


def _planned(document: Document, amendment: Amendment, rows: list[ClauseText]) -> Plan:
    """The current version's clauses with the carried change made."""
    plan: Plan = [(r.clause_id, r.source, r.separator, r.kind) for r in rows]
    index = {r.clause_id: i for i, r in enumerate(rows)}
    at = index.get(amendment.clause_id)
    if amendment.clause_id is not None and at is None:
        raise _clause_gone(amendment)
    if amendment.kind is AmendmentKind.modify:
        row = rows[at]
        ops = [tuple(op) for op in amendment.ops]
        try:
            text = merge.carry(old_text(ops), row.text, ops, amendment.patch)
        except merge.NoLongerApplies:
            raise _no_longer_applies(amendment) from None
        plan[at] = (row.clause_id, textcore.render_source(documents.block_of(row), text), row.separator, row.kind)
    elif amendment.kind is AmendmentKind.delete:
        del plan[at]
    else:  # insert_after: an item of the same list after an item, else a paragraph
        anchor = rows[at] if at is not None else None
        if anchor is not None and anchor.kind == "item":
            new = (None, textcore.render_source(documents.block_of(anchor), amendment.text), anchor.separator, "item")
        else:
            new = (None, textcore.single_line(amendment.text), documents.separator_for(document, "paragraph"),
                   "paragraph")
        plan.insert(at + 1 if at is not None else 0, new)
    return plan


def merge_carried(document: Document, amendment: Amendment, person: Person | None) -> MergeReport:
    """Make version n+1 with `amendment` carried and re-base the pending amendments (no commit)."""
    if not amendment.applies_cleanly:
        raise _no_longer_applies(amendment)
    current = document.version()
    rows = list(current.clause_texts)
    plan = _planned(document, amendment, rows)
    if not plan:
        raise _conflict(_("Carrying amendment %(number)s would leave the document without any text.",
                          number=amendment.number))
    blocks = documents.split_plan(document, plan)
    if blocks is None:
        raise _conflict(_("Amendment %(number)s would change the document's structure (its text reads as a "
                          "heading or a list); resolve its text first.", number=amendment.number))
    version = DocumentVersion(document_id=document.id, number=current.number + 1, amendment_id=amendment.id,
                              reason=f"carried {amendment.number}", created_by_id=person.id if person else None,
                              line_width=current.line_width)
    db.session.add(version)
    db.session.flush()
    documents.store_layout(version, document, lay_out(blocks, current.line_width), [cid for cid, *_ in plan])
    document.current_version = version.number
    report = _carry_over(document, amendment, current, version, {r.clause_id: r for r in rows},
                         {r.clause_id: r for r in version.clause_texts})
    audit.append(document.meeting_id, person, "document.version", "document", document.id,
                 {"version": version.number, "amendment": amendment.number, "rebased": report.rebased,
                  "no_longer_apply": report.no_longer_apply})
    publish(document.meeting_id, "document.changed", {"document": document.id, "version": version.number,
                                                      "amendment": amendment.id})
    return report


def _carry_over(document: Document, carried: Amendment, old: DocumentVersion, new: DocumentVersion,
                old_rows: dict[int, ClauseText], new_rows: dict[int, ClauseText]) -> MergeReport:
    report = MergeReport(new.number)
    touched = carried.clause_id
    # a new clause meant to follow a deleted clause follows the clause that stood before it
    successor = None
    if carried.kind is AmendmentKind.delete:
        before = [cid for cid, row in old_rows.items() if row.position < old_rows[touched].position]
        successor = before[-1] if before else None
    same_clause = db.session.execute(
        db.select(Amendment).where(Amendment.document_id == document.id, Amendment.status.in_(PENDING),
                                   Amendment.id != carried.id, Amendment.applies_cleanly.is_(True),
                                   Amendment.clause_id == touched)
    ).scalars().all() if touched is not None and carried.kind is not AmendmentKind.insert_after else []
    carried_ops = [tuple(op) for op in carried.ops]
    now = utcnow()
    row = new_rows.get(touched)
    for pending in same_clause:
        pending.updated_at = now
        if pending.kind is AmendmentKind.insert_after:
            pending.clause_id = touched if row is not None else successor
            anchor = new_rows.get(pending.clause_id)
            pending.first_line = pending.last_line = anchor.last_line if anchor else 0
            pending.base_version = new.number
        elif row is None or pending.base_version != old.number:
            pending.applies_cleanly = False
        elif pending.kind is AmendmentKind.delete:  # strikes out the clause as it now stands
            ops = [(-1, row.text)]
            pending.ops, pending.ranges, pending.patch = [list(ops[0])], [[0, len(row.text)]], make_patch(row.text, ops)
            pending.first_line, pending.last_line = row.first_line, row.last_line
            pending.base_version = new.number
        else:
            rebased = merge.rebase([tuple(op) for op in pending.ops], carried_ops)
            if rebased is None:
                pending.applies_cleanly = False
            else:
                pending.text, pending.patch = rebased.text, rebased.patch
                pending.ops, pending.ranges = [list(op) for op in rebased.ops], [list(r) for r in rebased.ranges]
                pending.first_line, pending.last_line = changed_lines(row.text, rebased.ops, row.first_line,
                                                                      new.line_width)
                pending.base_version = new.number
        if pending.applies_cleanly:
            report.rebased.append(pending.number)
        else:
            report.no_longer_apply.append(pending.number)
            publish(document.meeting_id, "amendment.changed", {"amendment": pending.id, "number": pending.number,
                                                               "status": pending.status.value,
                                                               "action": "no_longer_applies"})
    # everything else that still applies moves to the new version as it is; its lines follow
    rest = and_(_AMENDMENT.c.document_id == document.id, _AMENDMENT.c.status.in_([s.name for s in PENDING]),
                _AMENDMENT.c.applies_cleanly.is_(True), _AMENDMENT.c.base_version == old.number,
                _AMENDMENT.c.id.not_in([carried.id, *(p.id for p in same_clause)]))
    # one statement, each row written once: the new base version, and the lines that moved
    shifts = _line_shifts(old_rows, new_rows)
    values: dict = {"base_version": new.number}
    if shifts:
        delta = case(*((_AMENDMENT.c.clause_id.in_(ids), d) for d, ids in shifts.items()), else_=0)
        values.update(first_line=_AMENDMENT.c.first_line + delta, last_line=_AMENDMENT.c.last_line + delta)
    db.session.execute(update(_AMENDMENT).where(rest).values(**values))
    return report


def _line_shifts(old_rows: dict[int, ClauseText], new_rows: dict[int, ClauseText]) -> dict[int, list[int]]:
    """Unchanged clauses grouped by how many lines they moved (those that did not move are left out)."""
    moved: dict[int, list[int]] = {}
    for cid, row in new_rows.items():
        before = old_rows.get(cid)
        if before is not None and row.first_line != before.first_line and row.text == before.text:
            moved.setdefault(row.first_line - before.first_line, []).append(cid)
    return moved

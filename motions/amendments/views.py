"""Amendment pages: propose with a live redline, the list in order of business, one amendment, screening."""
from __future__ import annotations

import typing

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from motions.access import amendment_action, current_person, document_action, meeting_action
from motions.amendments import operations
from motions.amendments.forms import AmendmentForm, CompositeForm, FilterForm, ResolveForm, ReviseForm, RuleOutForm
from motions.amendments.models import PENDING, Amendment, AmendmentKind, AmendmentStatus
from motions.amendments.reading import Filters, Reader
from motions.auth.forms import EmptyForm
from motions.documents.models import Document, DocumentState
from motions.errors import OperationError
from motions.extensions import db
from motions.forms import choices
from motions.forms import to_id as _int
from motions.i18n import gettext
from motions.labels import AMENDMENT_STATUS_LABELS, label
from motions.meetings.views import apply_errors

bp = Blueprint("amendments", __name__)


def _clause_choices(reader: Reader) -> list:
    rows = reader.rows(reader.document.current_version).values()
    pairs = [("", _("At the start of the document (for a new clause)"))]
    for row in rows:
        text = row.text if len(row.text) <= 60 else row.text[:59] + "…"
        pairs.append((str(row.clause_id), f"{row.number} · {text}"))
    return choices(pairs)


# ---------------------------------------------------------------- proposing

@bp.route("/documents/<id:document_id>/amend", methods=["GET", "POST"])
@document_action("amendment.propose")
def propose(document_id):
    document = g.document
    reader = Reader(document)
    form = AmendmentForm()
    form.clause_id.choices = _clause_choices(reader)
    rows = reader.rows(document.current_version)
    if request.method == "GET":
        clause_id = _int(request.args.get("clause"))
        kind = request.args.get("kind", "modify")
        form.kind.data = kind if kind in ("modify", "insert_after", "delete") else "modify"
        if clause_id in rows:
            form.clause_id.data = str(clause_id)
            if form.kind.data == "modify":
                form.text.data = rows[clause_id].text
        form.base_version.data = str(document.current_version)
    status = 200
    result = None
    if document.state is not DocumentState.open:
        flash(_("Amendments to this document are closed: it is “%(state)s”.",
                state=operations.label_document_state(document)), "error")
        status = 409 if request.method == "POST" else 200
    elif form.validate_on_submit():
        values = dict(clause_id=_int(form.clause_id.data), kind=form.kind.data, text=form.text.data,
                      base_version=_int(form.base_version.data))
        try:
            if form.submit.data:
                amendment = operations.propose(document, current_person(), title=form.title.data,
                                               reason=form.reason.data, **values)
                flash(_("Amendment %(number)s is submitted.", number=amendment.number), "info")
                return redirect(url_for("amendments.view", amendment_id=amendment.id))
            result = reader.proposal(**values)
        except OperationError as error:
            apply_errors(form, error)
            status = error.status
    elif form.errors:
        status = 422
    selected = rows.get(_int(form.clause_id.data))
    selected_lines = reader.wrapped(document.current_version, selected) if selected is not None else []
    return render_template("amendments/propose.html", meeting=document.meeting, document=document, form=form,
                           selected=selected, selected_lines=selected_lines, preview=result), status


@bp.route("/documents/<id:document_id>/amend/preview", methods=["POST"])
@document_action("amendment.propose")
def preview(document_id):
    """The live redline: the proposal form posts here as the delegate types; an HTML fragment comes back."""
    form = AmendmentForm()
    reader = Reader(g.document)
    error = None
    result = None
    if not form.validate_on_submit():
        error = _("The page has expired: reload it and try again.")
    else:
        try:
            result = reader.proposal(**dict(clause_id=_int(form.clause_id.data), kind=form.kind.data,
                                           text=form.text.data, base_version=_int(form.base_version.data)))
        except OperationError as failure:
            error = " ".join(dict.fromkeys([*failure.fields.values()] or [failure.message]))
    return render_template("amendments/_preview.html", preview=result, error=error), (422 if error else 200)


# ---------------------------------------------------------------- reading

def _filters_form(reader: Reader) -> tuple[FilterForm, Filters]:
    form = FilterForm(request.args)
    rows = reader.rows(reader.document.current_version).values()
    form.clause_id.choices = choices([("", _("All clauses"))] + [(str(r.clause_id), r.number) for r in rows
                                                                 if r.kind != "heading"])
    form.status.choices = choices([("", _("Every status"))] + [(s.value, label(AMENDMENT_STATUS_LABELS, s))
                                                               for s in AmendmentStatus])
    movers = reader.movers()
    form.mover_id.choices = choices([("", _("Every mover"))] + [(str(p.id), p.name) for p in movers])
    organisations = sorted({p.organisation for p in movers if p.organisation})
    form.organisation.choices = choices([("", _("Every organisation"))] + [(o, o) for o in organisations])
    status = request.args.get("status") or None
    filters = Filters(status=status if status in {s.value for s in AmendmentStatus} else None,
                      clause_id=_int(request.args.get("clause_id")), mover_id=_int(request.args.get("mover_id")),
                      organisation=request.args.get("organisation") or None)
    return form, filters


def _page_number(count: int, per_page: int) -> tuple[int, int]:
    """The page asked for (?page=N, 1 when missing or not a number, the last when past it), and
    the number of pages."""
    pages = max(1, -(-count // per_page))
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        number = 1
    return min(max(number, 1), pages), pages


def page_links(number: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last, and those near the current one; None
    where numbers are left out."""
    shown = sorted({1, pages, *range(max(1, number - around), min(pages, number + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


@bp.route("/documents/<id:document_id>/amendments")
@document_action("amendment.view")
def index(document_id):
    """The list in the order of business, a page at a time (AMENDMENTS_PER_PAGE): a conference's
    3,000 amendments are cut into pages before any of them is read whole."""
    document = g.document
    reader = Reader(document)
    form, filters = _filters_form(reader)
    matching = reader.count(filters)
    per_page = current_app.config["AMENDMENTS_PER_PAGE"]
    number, pages = _page_number(matching, per_page)
    ids = reader.order(filters, offset=(number - 1) * per_page, limit=per_page)
    shown = reader.amendments(filters, with_text=False, ids=ids)
    pending = reader.load_collisions({a.clause_id for a in shown if a.status in PENDING})
    groups = reader.groups_among(pending)
    total = matching if filters == Filters() else reader.count()
    arguments = {k: request.args[k] for k in ("clause_id", "status", "mover_id", "organisation") if request.args.get(k)}
    return render_template("amendments/index.html", meeting=document.meeting, document=document, reader=reader,
                           amendments=shown, total=total, matching=matching, groups=groups, form=form,
                           roles=g.roles, filtered=filters != Filters(), row=_row_patterns(),
                           page=number, pages=pages, page_links=page_links(number, pages), arguments=arguments,
                           first=(number - 1) * per_page + 1, href=url_for("amendments.view", amendment_id=1)[:-1])


@bp.route("/documents/<id:document_id>/clauses/start/amendments", defaults={"clause_id": None})
@bp.route("/documents/<id:document_id>/clauses/<id:clause_id>/amendments")
@document_action("amendment.view")
def of_clause(document_id, clause_id):
    """One clause's amendments (start: the new clauses proposed for the start), as the document
    page's toggle loads them when it is opened: the page itself carries only the counts."""
    document = g.document
    reader = Reader(document)
    if clause_id is not None and clause_id not in reader.where:
        return render_template("error.html", status=404, title=_("Not found"),
                               message=_("There is no such clause in this document.")), 404
    these = reader.of_clause(clause_id)
    collisions = {r.id: found for r in these if (found := reader.conflicts_with(r))}
    return render_template("amendments/_clause.html", reader=reader, these=these, collisions=collisions)


def _row_patterns() -> dict:
    """What each row of a long list says, looked up once per page rather than once per row (a list
    of 3,000 amendments would otherwise spend a third of its time looking up the same sentences).
    The patterns keep their placeholders for the template's `format` filter (gettext without
    variables returns the translated pattern unformatted)."""
    return {
        "choose": gettext("Choose %(number)s for a composite"),
        "clause": gettext("Clause %(number)s"),
        "moved_by": gettext("Moved by %(name)s"),
        "seconders": gettext("%(have)d of %(needed)d seconders"),
        "status": {s.value: label(AMENDMENT_STATUS_LABELS, s) for s in AmendmentStatus},
    }


def _page(form: RuleOutForm, status: int = 200):
    """The amendment page (with the chair's ruling form as it stands)."""
    a = g.amendment
    reader = Reader(g.document)
    person = current_person()
    return render_template("amendments/view.html", meeting=g.document.meeting, document=g.document, a=a,
                           reader=reader, conflicts=_conflicts(reader, a), roles=g.roles, person=person,
                           seconded=any(s.person_id == person.id for s in a.seconds),
                           rule_out_form=form, action_form=EmptyForm()), status


def _conflicts(reader: Reader, a: Amendment) -> list:
    """The amendments `a` collides with, as light rows (id, number, status, kind, ops, clause, base
    version: what the page shows of each), in one query."""
    return reader.some(reader.conflicts_with(a))


@bp.route("/amendments/<id:amendment_id>")
@amendment_action("amendment.view")
def view(amendment_id):
    return _page(RuleOutForm())


@bp.route("/amendments/<id:amendment_id>/redline")
@amendment_action("amendment.view")
def redline(amendment_id):
    """The redline alone, for the document page's inline toggle."""
    reader = Reader(g.document)
    # their numbers came with the collisions: no query for them
    conflicts = [_Numbered(i, reader.number_of(i)) for i in reader.conflicts_with(g.amendment)]
    return render_template("amendments/_inline.html", a=g.amendment, reader=reader, conflicts=conflicts)


class _Numbered(typing.NamedTuple):
    id: int
    number: str


# ---------------------------------------------------------------- acting on one amendment

def _act(action, done_message):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            action(g.amendment, current_person())
        except OperationError as error:
            flash(error.message, "error")
        else:
            flash(done_message(g.amendment), "info")
    else:
        flash(_("The page has expired: reload it and try again."), "error")
    return redirect(url_for("amendments.view", amendment_id=g.amendment.id))


@bp.route("/amendments/<id:amendment_id>/second", methods=["POST"])
@amendment_action("amendment.second")
def second(amendment_id):
    return _act(operations.second, lambda a: _("You have seconded %(number)s.", number=a.number))


@bp.route("/amendments/<id:amendment_id>/unsecond", methods=["POST"])
@amendment_action("amendment.second")
def unsecond(amendment_id):
    return _act(operations.unsecond, lambda a: _("Your second of %(number)s is withdrawn.", number=a.number))


@bp.route("/amendments/<id:amendment_id>/withdraw", methods=["POST"])
@amendment_action("amendment.move")
def withdraw(amendment_id):
    return _act(operations.withdraw, lambda a: _("%(number)s is withdrawn.", number=a.number))


@bp.route("/amendments/<id:amendment_id>/admit", methods=["POST"])
@amendment_action("amendment.screen")
def admit(amendment_id):
    return _act(operations.admit, lambda a: _("%(number)s is admitted.", number=a.number))


@bp.route("/amendments/<id:amendment_id>/rule-out", methods=["POST"])
@amendment_action("amendment.screen")
def rule_out(amendment_id):
    a = g.amendment
    form = RuleOutForm()
    status = 422
    if form.validate_on_submit():
        try:
            operations.rule_out(a, current_person(), form.reason.data)
        except OperationError as error:
            apply_errors(form, error)
            status = error.status
        else:
            flash(_("%(number)s is ruled out of order.", number=a.number), "info")
            return redirect(url_for("amendments.view", amendment_id=a.id))
    return _page(form, status)


@bp.route("/amendments/<id:amendment_id>/revise", methods=["GET", "POST"])
@amendment_action("amendment.move")
def revise(amendment_id):
    a = g.amendment
    person = current_person()
    if a.mover_id != person.id:
        flash(_("Only the mover may revise this amendment."), "error")
        return redirect(url_for("amendments.view", amendment_id=a.id))
    if a.status is not AmendmentStatus.submitted:
        flash(_("Only a submitted amendment can be revised; this one is “%(status)s”.",
                status=label(AMENDMENT_STATUS_LABELS, a.status)), "error")
        return redirect(url_for("amendments.view", amendment_id=a.id))
    form = ReviseForm()
    if request.method == "GET":
        form.text.data, form.title.data, form.reason.data = a.text, a.title, a.reason
        form.base_version.data = str(g.document.current_version)
        if a.base_version != g.document.current_version:
            flash(_("This amendment was written against version %(old)s and the document is now at version %(new)s: "
                    "check its text against the clause as it stands now.", old=a.base_version,
                    new=g.document.current_version), "error")
    status = 200
    if form.validate_on_submit():
        try:
            operations.revise(a, person, text=form.text.data, title=form.title.data, reason=form.reason.data,
                              base_version=_int(form.base_version.data))
        except OperationError as error:
            apply_errors(form, error)
            status = error.status
        else:
            flash(_("%(number)s is revised.", number=a.number), "info")
            return redirect(url_for("amendments.view", amendment_id=a.id))
    elif form.errors:
        status = 422
    reader = Reader(g.document)
    return render_template("amendments/revise.html", meeting=g.document.meeting, document=g.document, a=a,
                           form=form, reader=reader), status


# ---------------------------------------------------------------- compositing

@bp.route("/m/<slug>/composite", methods=["GET", "POST"])
@meeting_action("amendment.composite")
def composite(slug):
    form = CompositeForm()
    raw = request.values.getlist("amendment") or (form.amendment_ids.data or "").split(",")
    ids = sorted({i for i in (_int(x) for x in raw) if i is not None})
    originals = []
    if ids:
        originals = db.session.execute(
            db.select(Amendment).join(Document, Amendment.document_id == Document.id)
            .where(Amendment.id.in_(ids), Document.meeting_id == g.meeting.id).order_by(Amendment.id)
        ).scalars().all()
    form.amendment_ids.data = ",".join(str(a.id) for a in originals)
    status = 200
    if request.method == "POST" and form.submit.data and form.validate_on_submit():
        try:
            made = operations.composite(g.meeting, current_person(), amendment_ids=[a.id for a in originals],
                                        text=form.text.data, title=form.title.data, reason=form.reason.data)
        except OperationError as error:
            apply_errors(form, error)
            if "amendment_ids" in error.fields:
                flash(error.fields["amendment_ids"], "error")
            status = error.status
        else:
            flash(_("The composite %(number)s is made and admitted.", number=made.number), "info")
            return redirect(url_for("amendments.view", amendment_id=made.id))
    elif request.method == "POST" and not form.submit.data:
        # coming from the list's check boxes: start the composite from the first original's text
        first = originals[0] if originals else None
        if first is not None and first.kind is not AmendmentKind.delete:
            form.text.data = first.text
        if len(originals) < 2:
            flash(_("Choose at least two amendments to composite."), "error")
            status = 422
    elif request.method == "POST":
        status = 422
    document = None
    reader = None
    if originals:
        document = db.session.get(Document, originals[0].document_id)
        reader = Reader(document)
    return render_template("amendments/composite.html", meeting=g.meeting, form=form, originals=originals,
                           document=document, reader=reader, pending=PENDING), status



@bp.route("/amendments/<id:amendment_id>/resolve", methods=["GET", "POST"])
@amendment_action("amendment.resolve")
def resolve(amendment_id):
    """The secretary restates an amendment that no longer applies against the current text."""
    a = g.amendment
    if a.applies_cleanly or a.status not in PENDING:
        flash(_("This amendment applies to the text as it stands: there is nothing to resolve."), "info")
        return redirect(url_for("amendments.view", amendment_id=a.id))
    current, proposal = operations.resolution_proposal(a)
    form = ResolveForm()
    status = 200
    if request.method == "GET":
        form.text.data = proposal
    if form.validate_on_submit():
        try:
            operations.resolve(a, current_person(), form.text.data)
        except OperationError as error:
            apply_errors(form, error)
            status = error.status
        else:
            flash(_("%(number)s is resolved against the current text.", number=a.number), "info")
            return redirect(url_for("amendments.view", amendment_id=a.id))
    elif form.errors:
        status = 422
    return render_template("amendments/resolve.html", meeting=g.document.meeting, document=g.document, a=a,
                           reader=Reader(g.document), current=current, form=form), status


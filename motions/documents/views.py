from __future__ import annotations

import functools
import typing

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from motions.access import document_action, meeting_action
from motions.amendments.reading import Reader
from motions.auth.forms import EmptyForm
from motions.documents import operations
from motions.documents.forms import ClauseEditForm, DocumentImportForm, DocumentStateForm
from motions.documents.models import DocumentState
from motions.errors import OperationError
from motions.exports.reading import FORMATS, REDLINE_FORMATS, made_by
from motions.exports.views import FORMAT_NAMES
from motions.forms import choices
from motions.i18n import gettext
from motions.labels import DOCUMENT_STATE_LABELS, label
from motions.meetings.delegate_csv import decode
from motions.meetings.views import apply_errors
from motions.text.lines import wrap

bp = Blueprint("documents", __name__)


@bp.route("/m/<slug>/documents/import", methods=["GET", "POST"])
@meeting_action("document.import")
def import_document(slug):
    meeting = g.meeting
    form = DocumentImportForm()
    preview = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        text = decode(upload.read()) if upload and getattr(upload, "filename", "") else (form.text.data or "")
        form.text.data = text
        try:
            values = operations.validate_import(form.title.data, text, form.format.data, form.kind.data)
            if form.confirm.data:
                document = operations.import_document(meeting, by_id=g.membership.person_id, **values)
                flash(_("The document is imported as a draft: check its clauses, then open it for amendments."), "info")
                return redirect(url_for("documents.view", document_id=document.id))
            preview = operations.preview(values["text"], values["format"], meeting.line_width)
        except OperationError as error:
            apply_errors(form, error)
            status = 422
    elif form.errors:
        status = 422
    return render_template("documents/import.html", meeting=meeting, form=form, preview=preview), status


@functools.lru_cache(maxsize=4096)
def clause_html(text: str, width: int, first_line: int) -> Markup:
    """A clause's lines with their numbers, as the _macros.html `clause_lines` macro draws them.
    The same text at the same width and first line always gives the same markup, so a process
    draws each clause once, not on every visit of the page (a 200-clause platform is 2,000 lines:
    most of the page's time). The key is the text itself: an edited draft clause is a new entry."""
    return Markup('<span class="lines">' + "".join(
        f'<span class="line"><span class="ln" aria-hidden="true">{first_line + i}</span>'
        f'<span class="lt" dir="auto">{escape(line)}</span></span>'
        for i, line in enumerate(wrap(text, width))) + "</span>")


@functools.lru_cache(maxsize=4096)
def clause_item(kind: str, level: int, clause_id: int, number: str, first_line: int, last_line: int, text: str,
                width: int, n: int | None, can_amend: bool, propose: str, listing: str, clause_list: str,
                language: str) -> Markup:
    """A clause of the document page, as the documents/_clause.html `clause_item` macro draws it:
    its number, its numbered lines, its count of amendments and the links to amend it. Drawn once
    per process for the same arguments (every one is content: the clause's text and place, the
    count, the links, the language its words are in), not for every phone that opens the page: a
    200-clause platform is most of the page's time otherwise. A new amendment to a clause changes
    its count, so its key: the page never shows a stale count."""
    macro = current_app.jinja_env.get_template("documents/_clause.html").module.clause_item
    ct = _ClauseFields(kind, level, clause_id, number, first_line, last_line)
    return Markup(macro(ct, clause_html(text, width, first_line), n, can_amend, _clause_patterns(), propose, listing,
                        clause_list))


class _ClauseFields(typing.NamedTuple):
    kind: str
    level: int
    clause_id: int
    number: str
    first_line: int
    last_line: int


def _state_form(document):
    form = DocumentStateForm()
    form.state.choices = choices((s.value, label(DOCUMENT_STATE_LABELS, s)) for s in DocumentState
                                 if document.state.can_become(s))
    return form


@bp.route("/documents/<id:document_id>")
@document_action("document.view")
def view(document_id):
    document = g.document
    number = request.args.get("version", type=int)
    try:
        version = operations.get_version(document, number)
    except OperationError as error:
        return render_template("error.html", status=404, title=_("Not found"), message=error.message), 404
    reader = Reader(document)
    current = version.number == document.current_version
    counts = reader.totals_by_clause() if current else {}
    propose = url_for("amendments.propose", document_id=document.id)
    listing = url_for("amendments.index", document_id=document.id)
    clause_list = url_for("amendments.of_clause", document_id=document.id, clause_id=1)[:-len("1/amendments")]
    can_amend = current and document.state is DocumentState.open and "delegate" in g.roles
    language, width = str(get_locale() or ""), version.line_width
    rows = [(ct, clause_item(ct.kind, ct.level, ct.clause_id, ct.number, ct.first_line, ct.last_line, ct.text, width,
                             counts.get(ct.clause_id), can_amend, propose, listing, clause_list, language))
            for ct in reader.rows(version.number).values()]
    return render_template("documents/view.html", meeting=document.meeting, document=document, version=version,
                           made_by=made_by(document) if document.current_version > 1 else {},
                           export_formats=FORMATS, redline_formats=REDLINE_FORMATS, export_names=FORMAT_NAMES,
                           rows=rows, roles=g.roles, state_form=_state_form(document), action_form=EmptyForm(),
                           counts=counts, say=_clause_patterns(), propose=propose, listing=listing,
                           clause_list=clause_list, can_amend=can_amend)


def _clause_patterns() -> dict:
    """What every clause of the page says, looked up once per page rather than once per clause (a
    200-clause platform would otherwise spend a third of its time on the same sentences); the
    template fills the placeholders with its `format` filter."""
    return {
        "clause": gettext("Clause %(number)s"),
        "line": gettext("line %(n)d"),
        "lines": gettext("lines %(first)d to %(last)d"),
        "amend": gettext("Amend"),
        "amend_clause": gettext("Amend clause %(number)s"),
        "after": gettext("New clause after"),
        "after_clause": gettext("New clause after clause %(number)s"),
        "delete": gettext("Delete"),
        "delete_clause": gettext("Delete clause %(number)s"),
        "clause_amendments": gettext("The amendments to clause %(number)s"),
    }


@bp.route("/documents/<id:document_id>/source")
@document_action("document.view")
def source(document_id):
    document = g.document
    try:
        version = operations.get_version(document, request.args.get("version", type=int))
    except OperationError as error:
        return render_template("error.html", status=404, title=_("Not found"), message=error.message), 404
    return Response(version.text(), mimetype="text/markdown",
                    headers={"Content-Disposition": f'inline; filename="document-{document.id}-v{version.number}.md"'})


@bp.route("/documents/<id:document_id>/state", methods=["POST"])
@document_action("document.state")
def change_state(document_id):
    document = g.document
    form = _state_form(document)
    if form.validate_on_submit():
        try:
            operations.set_state(document, form.state.data, by=g.membership.person)
        except OperationError as error:
            flash(error.message, "error")
        else:
            flash(_("The document is now “%(state)s”.", state=label(DOCUMENT_STATE_LABELS, document.state)), "info")
    else:
        flash(_("Choose a state the document can move to."), "error")
    return redirect(url_for("documents.view", document_id=document_id))


@bp.route("/documents/<id:document_id>/clauses/<id:clause_id>/edit", methods=["GET", "POST"])
@document_action("document.edit_draft")
def edit_clause(document_id, clause_id):
    document = g.document
    version = operations.get_version(document, None)
    row = next((ct for ct in version.clause_texts if ct.clause_id == clause_id), None)
    if row is None:
        return render_template("error.html", status=404, title=_("Not found"),
                               message=_("There is no such clause in this document.")), 404
    form = ClauseEditForm()
    if request.method == "GET":
        form.text.data = row.text
    status = 200
    if form.validate_on_submit():
        try:
            operations.edit_clause(document, clause_id, form.text.data)
        except OperationError as error:
            apply_errors(form, error)
            status = error.status  # 409 once the document is no longer a draft
        else:
            flash(_("Clause %(number)s saved.", number=row.number), "info")
            return redirect(url_for("documents.view", document_id=document_id, _anchor=f"clause-{clause_id}"))
    elif form.errors:
        status = 422
    return render_template("documents/edit_clause.html", meeting=document.meeting, document=document, row=row,
                           form=form), status


def _draft_action(document_id, clause_id, action, done):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            result = action(g.document, clause_id)
        except OperationError as error:
            flash(error.message, "error")
        else:
            flash(done(result), "info")
    return redirect(url_for("documents.view", document_id=document_id, _anchor=f"clause-{clause_id}"))


@bp.route("/documents/<id:document_id>/clauses/<id:clause_id>/split", methods=["POST"])
@document_action("document.edit_draft")
def split_clause(document_id, clause_id):
    return _draft_action(document_id, clause_id, operations.split_clause,
                         lambda n: _("The clause is split into %(n)d clauses; the clauses are renumbered.", n=n))


@bp.route("/documents/<id:document_id>/clauses/<id:clause_id>/join", methods=["POST"])
@document_action("document.edit_draft")
def join_clause(document_id, clause_id):
    return _draft_action(document_id, clause_id, operations.join_with_next,
                         lambda _r: _("The clauses are joined and renumbered."))


@bp.route("/documents/<id:document_id>/clauses/<id:clause_id>/up", methods=["POST"])
@document_action("document.edit_draft")
def move_up(document_id, clause_id):
    return _draft_action(document_id, clause_id, lambda d, c: operations.move_clause(d, c, -1),
                         lambda _r: _("The clause is moved; the clauses are renumbered."))


@bp.route("/documents/<id:document_id>/clauses/<id:clause_id>/down", methods=["POST"])
@document_action("document.edit_draft")
def move_down(document_id, clause_id):
    return _draft_action(document_id, clause_id, lambda d, c: operations.move_clause(d, c, +1),
                         lambda _r: _("The clause is moved; the clauses are renumbered."))


@bp.route("/documents/<id:document_id>/renumber", methods=["POST"])
@document_action("document.edit_draft")
def renumber(document_id):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            operations.renumber(g.document)
        except OperationError as error:
            flash(error.message, "error")
        else:
            flash(_("The clauses are renumbered."), "info")
    return redirect(url_for("documents.view", document_id=document_id))

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from motions.access import global_action, meeting_action
from motions.auth.forms import EmptyForm
from motions.errors import OperationError
from motions.extensions import db
from motions.meetings import delegate_csv, operations
from motions.meetings.forms import DelegateImportForm, MeetingSettingsForm, NewMeetingForm, PersonForm
from motions.labels import MEETING_STATE_LABELS, MEETING_STATE_MOVES, label
from motions.meetings.models import Meeting, MeetingState, Membership

bp = Blueprint("meetings", __name__)


def apply_errors(form, error: OperationError) -> None:
    """Show an operation's field errors next to the form's fields, the rest at the top."""
    shown = False
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and field.type != "HiddenField":
            field.errors = list(field.errors) + [message]
            shown = True
        elif field is not None:  # a hidden field has no place on the page to show its message
            flash(message, "error")
    if not shown or not error.fields:
        flash(error.message, "error")


@bp.route("/")
@global_action("meetings.list")
def index():
    memberships = db.session.execute(
        db.select(Membership).filter_by(person_id=current_user.id).join(Meeting).order_by(Meeting.created_at.desc())
    ).scalars().all()
    return render_template("meetings/index.html", memberships=memberships)


@bp.route("/meetings/new", methods=["GET", "POST"])
@global_action("meetings.create")
def new():
    form = NewMeetingForm()
    if form.validate_on_submit():
        data = {k: form[k].data for k in ("slug", "title", "seconders_required", "quorum", "casting_vote",
                                          "self_checkin", "line_width", "numbering")}
        try:
            meeting = operations.create_meeting(data, creator=current_user)
        except OperationError as error:
            apply_errors(form, error)
        else:
            flash(_("The meeting is created. Add its people and import its documents next."), "info")
            return redirect(url_for("meetings.home", slug=meeting.slug))
    return render_template("meetings/new.html", form=form), 422 if form.errors else 200


@bp.route("/m/<slug>/")
@meeting_action("meeting.view")
def home(slug):
    meeting = g.meeting
    moves = [(s.value, label(MEETING_STATE_MOVES, (meeting.state.value, s.value)))
             for s in MeetingState if meeting.state.can_become(s)] if "chair" in g.roles else []
    return render_template("meetings/home.html", meeting=meeting, membership=g.membership, roles=g.roles, moves=moves,
                           counts=operations.attendance_counts(meeting), form=EmptyForm())


@bp.route("/m/<slug>/settings", methods=["GET", "POST"])
@meeting_action("meeting.edit")
def settings(slug):
    meeting = g.meeting
    form = MeetingSettingsForm(obj=meeting)
    if request.method == "GET":
        form.numbering.data = meeting.numbering.value
    if form.validate_on_submit():
        data = {k: form[k].data for k in ("title", "seconders_required", "quorum", "casting_vote",
                                          "self_checkin", "line_width", "numbering")}
        try:
            operations.update_meeting(meeting, data)
        except OperationError as error:
            apply_errors(form, error)
        else:
            flash(_("Settings saved."), "info")
            return redirect(url_for("meetings.home", slug=slug))
    return render_template("meetings/settings.html", meeting=meeting, form=form), 422 if form.errors else 200


@bp.route("/m/<slug>/state", methods=["POST"])
@meeting_action("meeting.state")
def change_state(slug):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            operations.set_meeting_state(g.meeting, request.form.get("state", ""), by=g.membership.person)
        except OperationError as error:
            flash(error.message, "error")
        else:
            flash(_("The meeting is now “%(state)s”.", state=label(MEETING_STATE_LABELS, g.meeting.state)), "info")
    return redirect(url_for("meetings.home", slug=slug))


@bp.route("/m/<slug>/people")
@meeting_action("people.view")
def people(slug):
    meeting = g.meeting
    return render_template("meetings/people.html", meeting=meeting, members=operations.members(meeting),
                           counts=operations.attendance_counts(meeting), form=PersonForm(), action_form=EmptyForm())


@bp.route("/m/<slug>/people/add", methods=["POST"])
@meeting_action("people.add")
def add_person(slug):
    meeting = g.meeting
    form = PersonForm()
    if form.validate_on_submit():
        data = {k: form[k].data for k in ("name", "email", "organisation", "vote_weight", "roles")}
        data["password"] = form.password.data or None
        try:
            membership = operations.add_person(meeting, data)
        except OperationError as error:
            apply_errors(form, error)
        else:
            flash(_("%(name)s is now part of the meeting.", name=membership.person.name), "info")
            return redirect(url_for("meetings.people", slug=slug))
    return render_template("meetings/people.html", meeting=meeting, members=operations.members(meeting),
                           counts=operations.attendance_counts(meeting), form=form, action_form=EmptyForm()), 422


@bp.route("/m/<slug>/people/import", methods=["GET", "POST"])
@meeting_action("people.import")
def import_people(slug):
    meeting = g.meeting
    form = DelegateImportForm()
    rows, problems, preview = [], [], None
    if form.validate_on_submit():
        upload = form.file.data
        text = delegate_csv.decode(upload.read()) if upload and getattr(upload, "filename", "") else (form.text.data or "")
        rows, problems = delegate_csv.parse(text)
        form.text.data = text
        if not problems and form.confirm.data:
            result = operations.import_delegates(meeting, rows)
            flash(_("Imported: %(created)d new, %(updated)d updated.", **result), "info")
            return redirect(url_for("meetings.people", slug=slug))
        if not problems:
            preview = operations.preview_delegates(meeting, rows)
    status = 422 if problems else 200
    return render_template("meetings/import.html", meeting=meeting, form=form, preview=preview,
                           problems=problems), status


@bp.route("/m/<slug>/people/<id:person_id>/attendance", methods=["POST"])
@meeting_action("attendance.mark")
def mark_attendance(slug, person_id):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            membership = operations.get_membership(g.meeting, person_id)
            operations.set_attendance(g.meeting, membership, request.form.get("present") == "1",
                                      by=g.membership.person)
        except OperationError as error:
            flash(error.message, "error")
    return redirect(url_for("meetings.people", slug=slug))


@bp.route("/m/<slug>/check-in", methods=["POST"])
@meeting_action("attendance.self")
def check_in(slug):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            operations.check_in_self(g.meeting, g.membership, request.form.get("present", "1") == "1")
        except OperationError as error:
            flash(error.message, "error")
        else:
            flash(_("You are checked in.") if g.membership.present else _("You are checked out."), "info")
    return redirect(url_for("meetings.home", slug=slug))

"""Debate pages: the speakers panel and the comments thread (included on the amendment and document
pages through the Jinja globals `speakers_panel` and `comments_panel`), their fragments for the live
refresh, the meeting's general business page, and the forms' actions (Post/Redirect/Get)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from motions.access import amendment_action, document_action, meeting_action
from motions.access import current_person as _person
from motions.api.schemas import iso
from motions.debate import operations, reading
from motions.debate.forms import (
    CommentActionForm,
    CommentForm,
    HideForm,
    MoveForm,
    RequestForm,
    SpeakerForm,
    SpeakingTimeForm,
    SubjectForm,
    parse_speaking_time,
    to_int,
)
from motions.debate.models import Speaker
from motions.errors import OperationError
from motions.labels import SPEAKER_SIDE_LABELS, label
from motions.permissions import allowed

bp = Blueprint("debate", __name__)

# the sides a delegate is offered on each kind of item (a point of order is always offered)
OFFERED_SIDES = {
    "amendment": ("for", "against"),
    "document": ("for", "against", "neutral"),
    "meeting": ("neutral",),
}


def page_url(subject_type: str, subject_id: int) -> str:
    """The page an item's panels live on."""
    if subject_type == "amendment":
        return url_for("amendments.view", amendment_id=subject_id)
    if subject_type == "document":
        return url_for("documents.view", document_id=subject_id)
    return url_for("debate.general", slug=g.meeting.slug)


def local_path(value) -> str | None:
    """A path on this site to go back to (never another site: no scheme, no host, no //)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or len(value) > 500:
        return None
    if "\\" in value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def _back_to(subject_type: str, subject_id: int) -> str | None:
    """Where the panel's forms return to when that is not the item's own page (the chair's console,
    say): the page it is shown on, or for a fragment the page named by its ?back=."""
    if request.endpoint in ("debate.general_panel", "debate.document_speakers", "debate.amendment_speakers"):
        back = local_path(request.args.get("back"))
    elif request.method == "GET":
        back = request.full_path if request.query_string else request.path
    else:  # a page shown again after a refused POST: its address takes no GET
        back = None
    return back if back and back != page_url(subject_type, subject_id) else None


def panel_url(subject_type: str, subject_id: int, projector: bool = False, back: str | None = None) -> str:
    """The fragment a live refresh fetches for this item's speakers panel."""
    extra = {"projector": 1} if projector else {}
    if back:
        extra["back"] = back
    if subject_type == "amendment":
        return url_for("debate.amendment_speakers", amendment_id=subject_id, **extra)
    if subject_type == "document":
        return url_for("debate.document_speakers", document_id=subject_id, **extra)
    return url_for("debate.general_panel", slug=g.meeting.slug, **extra)


def comments_url(subject_type: str, subject_id: int) -> str:
    if subject_type == "amendment":
        return url_for("debate.amendment_comments", amendment_id=subject_id)
    return url_for("debate.document_comments", document_id=subject_id)


# ---------------------------------------------------------------- the speakers panel

def speakers_context(subject_type: str, subject_id: int, projector: bool = False) -> dict:
    meeting = g.meeting
    queue = reading.queue(meeting.id, subject_type, subject_id)
    roles = g.get("roles") or []
    person = _person() if current_user.is_authenticated else None
    remaining = queue.remaining()
    back = None if projector else _back_to(subject_type, subject_id)
    mine = queue.request_of(person.id) if person is not None else None
    movable = {}  # who can go up, who down: points of order and the others each keep to their own part
    for group in ([s for s in queue.waiting if s.side == "point_of_order"],
                  [s for s in queue.waiting if s.side != "point_of_order"]):
        for i, s in enumerate(group):
            movable[s.id] = (i > 0, i < len(group) - 1)
    return {
        "meeting": meeting, "queue": queue, "subject_type": subject_type, "subject_id": subject_id,
        "key": f"{subject_type}-{subject_id}", "projector": projector,
        "can_request": not projector and allowed(roles, "speakers.request"),
        "can_manage": not projector and allowed(roles, "speakers.manage"),
        "mine": mine, "position_of_mine": queue.waiting.index(mine) + 1 if mine is not None else None,
        "movable": movable,
        "sides": OFFERED_SIDES.get(subject_type, ("neutral",)),
        "ends_at": iso(queue.ends_at()), "remaining": reading.mmss(remaining) if remaining is not None else None,
        "time_up": remaining == 0,
        "speaking_time": reading.mmss(queue.speaking_time) if queue.speaking_time else "",
        "src": panel_url(subject_type, subject_id, projector, back), "back": back,
        "side_label": lambda side: label(SPEAKER_SIDE_LABELS, side),
    }


@bp.app_template_global()
def speakers_panel(subject_type: str, subject_id: int, projector: bool = False) -> Markup:
    """The speakers panel of an item for the meeting of the page (g.meeting) and whoever looks at it:
    the queue, who speaks now with the countdown, the delegate's and the chair's buttons. projector=True:
    large type, no buttons. Wrapped for the live refresh (data-live, data-live-src)."""
    if g.get("meeting") is None:
        return Markup("")
    return Markup(render_template("debate/_speakers.html", **speakers_context(subject_type, subject_id, projector)))


def _speakers_fragment(subject_type: str, subject_id: int):
    """The panel's content alone: what the live refresh puts inside the panel's <section>."""
    projector = request.args.get("projector") in ("1", "true")
    response = render_template("debate/_speakers_body.html", **speakers_context(subject_type, subject_id, projector))
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/m/<slug>/speakers")
@meeting_action("speakers.view")
def general(slug):
    """The speakers list of the meeting's general business (no particular amendment or document)."""
    return render_template("debate/general.html", meeting=g.meeting)


@bp.route("/m/<slug>/speakers/panel")
@meeting_action("speakers.view")
def general_panel(slug):
    return _speakers_fragment("meeting", g.meeting.id)


@bp.route("/documents/<id:document_id>/speakers")
@document_action("speakers.view")
def document_speakers(document_id):
    return _speakers_fragment("document", document_id)


@bp.route("/amendments/<id:amendment_id>/speakers")
@amendment_action("speakers.view")
def amendment_speakers(amendment_id):
    return _speakers_fragment("amendment", amendment_id)


# ---------------------------------------------------------------- the comments panel

def _when(moment) -> tuple[str, str]:
    """A stored time for <time>: the ISO form and what the page shows (UTC, as the audit log)."""
    moment = reading.as_utc(moment)
    return iso(moment), moment.strftime("%Y-%m-%d %H:%M UTC")


def comments_context(subject_type: str, subject_id: int) -> dict:
    meeting = g.meeting
    rows = reading.comments(meeting.id, subject_type, subject_id)
    roles = g.get("roles") or []
    return {
        "meeting": meeting, "subject_type": subject_type, "subject_id": subject_id, "key": f"{subject_type}-{subject_id}",
        "nodes": reading.thread(rows), "count": len(rows),
        "can_post": allowed(roles, "comment.post"), "can_moderate": allowed(roles, "comment.moderate"),
        "src": comments_url(subject_type, subject_id), "max_length": operations.MAX_COMMENT, "when": _when,
    }


@bp.app_template_global()
def comments_panel(subject_type: str, subject_id: int) -> Markup:
    """The discussion of an amendment or a document: the thread, the post and reply forms, the chair's
    hide and show; wrapped for the live refresh like the speakers panel."""
    if g.get("meeting") is None:
        return Markup("")
    return Markup(render_template("debate/_comments.html", **comments_context(subject_type, subject_id)))


def _comments_fragment(subject_type: str, subject_id: int):
    return render_template("debate/_comments_body.html", **comments_context(subject_type, subject_id)), 200, \
        {"Cache-Control": "no-store"}


@bp.route("/documents/<id:document_id>/comments")
@document_action("comment.view")
def document_comments(document_id):
    return _comments_fragment("document", document_id)


@bp.route("/amendments/<id:amendment_id>/comments")
@amendment_action("comment.view")
def amendment_comments(amendment_id):
    return _comments_fragment("amendment", amendment_id)


# ---------------------------------------------------------------- acting

def _subject_of(form) -> tuple[str | None, int | None]:
    return form.subject_type.data or None, to_int(form.subject_id.data)


def _back(subject_type, subject_id, panel: str, anchor: str | None = None):
    """Back to where the form came from: the page in the form's `next` (a path on this site), else the
    item's page, at the panel (`speakers` or `comments`) or at `anchor`; the general business page
    when the item is not one of this meeting's."""
    back = local_path(request.form.get("next"))
    try:
        subject_type, subject_id = operations.check_subject(g.meeting, subject_type, subject_id)
    except OperationError:
        return redirect(back or url_for("debate.general", slug=g.meeting.slug))
    anchor = anchor or f"{panel}-{subject_type}-{subject_id}"
    return redirect(f"{(back or page_url(subject_type, subject_id)).split('#')[0]}#{anchor}")


def _flash_error(error: OperationError) -> None:
    flash(error.message, "error")
    for message in dict.fromkeys(error.fields.values()):
        if message != error.message:
            flash(message, "error")


def _expired():
    flash(_("The page has expired: reload it and try again."), "error")
    return redirect(local_path(request.form.get("next")) or url_for("debate.general", slug=g.meeting.slug))


def _name(speaker: Speaker | None) -> str:
    return speaker.person.name if speaker is not None and speaker.person is not None else _("The speaker")


def _on_list(form_class, action, done):
    """An action on a list (call next, finish, close, reopen): run it, say what happened, go back."""
    form = form_class()
    if not form.validate_on_submit():
        if form.errors:
            subject_type, subject_id = _subject_of(form)
            for errors in form.errors.values():
                for message in errors:
                    flash(message, "error")
            return _back(subject_type, subject_id, "speakers")
        return _expired()
    subject_type, subject_id = _subject_of(form)
    try:
        result = action(form, subject_type, subject_id)
    except OperationError as error:
        _flash_error(error)
    else:
        flash(done(result), "info")
    return _back(subject_type, subject_id, "speakers")


def _on_speaker(form_class, action, done):
    """An action on one request (withdraw, call, move, remove)."""
    form = form_class()
    if not form.validate_on_submit():
        return _expired()
    try:
        speaker = operations.speaker_in(g.meeting, to_int(form.speaker_id.data))
    except OperationError as error:
        _flash_error(error)
        return redirect(local_path(request.form.get("next")) or url_for("debate.general", slug=g.meeting.slug))
    subject = (speaker.speakers_list.subject_type, speaker.speakers_list.subject_id)
    name = _name(speaker)
    try:
        action(form, speaker)
    except OperationError as error:
        _flash_error(error)
    else:
        flash(done(name), "info")
    return _back(*subject, "speakers")


@bp.route("/m/<slug>/speakers/request", methods=["POST"])
@meeting_action("speakers.request")
def ask(slug):
    def act(form, subject_type, subject_id):
        return operations.request_to_speak(g.meeting, _person(), subject_type, subject_id, form.side.data or None)

    def done(speaker):
        if speaker.side == "point_of_order":
            return _("Your point of order is at the front of the queue.")
        return _("You are on the speakers list (%(side)s).", side=label(SPEAKER_SIDE_LABELS, speaker.side))

    return _on_list(RequestForm, act, done)


@bp.route("/m/<slug>/speakers/withdraw", methods=["POST"])
@meeting_action("speakers.request")
def withdraw(slug):
    return _on_speaker(SpeakerForm, lambda form, speaker: operations.withdraw_request(speaker, _person()),
                       lambda name: _("Your request to speak is withdrawn."))


@bp.route("/m/<slug>/speakers/next", methods=["POST"])
@meeting_action("speakers.manage")
def call_next(slug):
    def act(form, subject_type, subject_id):
        operations.call_next(g.meeting, _person(), subject_type, subject_id)
        return reading.queue(g.meeting.id, subject_type, subject_id).speaking

    return _on_list(SubjectForm, act, lambda speaking: _("%(name)s has the floor.", name=_name(speaking))
                    if speaking is not None else _("The speaker has finished; nobody else is waiting."))


@bp.route("/m/<slug>/speakers/finish", methods=["POST"])
@meeting_action("speakers.manage")
def finish(slug):
    return _on_list(SubjectForm, lambda form, st, si: operations.finish(g.meeting, _person(), st, si),
                    lambda _sl: _("The speaker has finished."))


@bp.route("/m/<slug>/speakers/call", methods=["POST"])
@meeting_action("speakers.manage")
def call(slug):
    return _on_speaker(SpeakerForm, lambda form, speaker: operations.call(speaker, _person()),
                       lambda name: _("%(name)s has the floor.", name=name))


@bp.route("/m/<slug>/speakers/move", methods=["POST"])
@meeting_action("speakers.manage")
def move(slug):
    def act(form, speaker):
        position = form.position.data
        if position and position.strip():
            number = to_int(position)
            if number is None:
                raise operations.ValidationFailed(_("Say where the speaker should go."),
                                                  fields={"position": _("Enter a whole number, 1 or more.")})
            return operations.move(speaker, _person(), position=number)
        return operations.move(speaker, _person(), direction=form.direction.data or None)

    return _on_speaker(MoveForm, act, lambda name: _("%(name)s is moved.", name=name))


@bp.route("/m/<slug>/speakers/remove", methods=["POST"])
@meeting_action("speakers.manage")
def remove(slug):
    return _on_speaker(SpeakerForm, lambda form, speaker: operations.remove(speaker, _person()),
                       lambda name: _("%(name)s is taken off the speakers list.", name=name))


@bp.route("/m/<slug>/speakers/close", methods=["POST"])
@meeting_action("speakers.manage")
def close(slug):
    return _on_list(SubjectForm, lambda form, st, si: operations.close_list(g.meeting, _person(), st, si),
                    lambda _sl: _("The speakers list is closed: only points of order may still be raised."))


@bp.route("/m/<slug>/speakers/reopen", methods=["POST"])
@meeting_action("speakers.manage")
def reopen(slug):
    return _on_list(SubjectForm, lambda form, st, si: operations.reopen_list(g.meeting, _person(), st, si),
                    lambda _sl: _("The speakers list is open again."))


@bp.route("/m/<slug>/speakers/time", methods=["POST"])
@meeting_action("speakers.manage")
def speaking_time(slug):
    def act(form, subject_type, subject_id):
        seconds = parse_speaking_time(form.speaking_time.data)
        operations.set_speaking_time(g.meeting, _person(), subject_type, subject_id, seconds)
        return seconds

    return _on_list(SpeakingTimeForm, act, lambda seconds: _("Each speaker now has %(time)s.", time=reading.mmss(seconds))
                    if seconds else _("There is no limit on the speaking time."))


# ---------------------------------------------------------------- comments

@bp.route("/m/<slug>/comments", methods=["POST"])
@meeting_action("comment.post")
def post_comment(slug):
    form = CommentForm()
    if not form.validate_on_submit():
        return _expired()
    subject_type, subject_id = form.subject_type.data or None, to_int(form.subject_id.data)
    parent_raw = (form.parent_id.data or "").strip()
    parent_id = to_int(parent_raw) if parent_raw else None
    try:
        if parent_raw and parent_id is None:
            raise operations.ValidationFailed(_("The comment cannot be posted as it is."), fields={
                "parent_id": _("The comment you reply to is not part of this discussion.")})
        comment = operations.post_comment(g.meeting, _person(), subject_type, subject_id, form.text.data, parent_id)
    except OperationError as error:
        _flash_error(error)
        return _back(subject_type, subject_id, "comments")
    flash(_("Your comment is posted."), "info")
    return _back(subject_type, subject_id, "comments", anchor=f"comment-{comment.id}")


def _on_comment(form_class, action, done):
    form = form_class()
    if not form.validate_on_submit():
        return _expired()
    try:
        comment = operations.comment_in(g.meeting, to_int(form.comment_id.data))
    except OperationError as error:
        _flash_error(error)
        return redirect(url_for("debate.general", slug=g.meeting.slug))
    try:
        action(form, comment)
    except OperationError as error:
        _flash_error(error)
    else:
        flash(done, "info")
    return _back(comment.subject_type, comment.subject_id, "comments")


@bp.route("/m/<slug>/comments/hide", methods=["POST"])
@meeting_action("comment.moderate")
def hide_comment(slug):
    return _on_comment(HideForm, lambda form, comment: operations.hide_comment(comment, _person(), form.reason.data),
                       _("The comment is hidden."))


@bp.route("/m/<slug>/comments/unhide", methods=["POST"])
@meeting_action("comment.moderate")
def unhide_comment(slug):
    return _on_comment(CommentActionForm, lambda form, comment: operations.unhide_comment(comment, _person()),
                       _("The comment is shown again."))

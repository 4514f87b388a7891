"""Poll pages, the chair's console, the projector and the proxies page.

Live regions (static/live.js) load their fragment from the page's own URL with `?part=NAME`, under
the page's permission; every action posts a form (CSRF) and comes back to the page with the
operation's message flashed, so a refusal is always said on the page, never a 500.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from motions.access import amendment_action, meeting_action, poll_action
from motions.access import current_person as _person
from motions.amendments import operations as amendment_operations
from motions.amendments.models import PENDING, Amendment, AmendmentStatus
from motions.amendments.reading import Reader
from motions.auth.forms import EmptyForm
from motions.auth.models import Person
from motions.documents.models import Document
from motions.errors import OperationError
from motions.extensions import db
from motions.forms import choices
from motions.forms import to_id as _int
from motions.labels import AMENDMENT_STATUS_LABELS, POLL_STATE_LABELS, label
from motions.meetings import operations as meeting_operations
from motions.meetings.models import Meeting, Membership
from motions.meetings.views import apply_errors
from motions.polls import operations, reading
from motions.polls.forms import (
    DecideForm,
    FloorForm,
    OpenForm,
    PollForm,
    ProxyForm,
    VoidForm,
)
from motions.polls.models import Poll, PollState

bp = Blueprint("polls", __name__)


def _fragment(template: str, **context):
    """A live region's content: never cached, so a refresh always shows the state as it is."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(error: OperationError) -> None:
    """Flash an operation's refusal: its message and what it says about each field."""
    db.session.rollback()
    flash(error.message, "error")
    for message in error.fields.values():
        if message != error.message:
            flash(message, "error")


def _expired() -> None:
    flash(_("The page has expired: reload it and try again."), "error")


# ---------------------------------------------------------------- helpers for templates

@bp.app_template_global()
def events_url(meeting: Meeting) -> str:
    """The meeting's event stream, starting after the newest event when the page was made, so that
    nothing that happens between the page and the stream's first answer is missed."""
    from motions.live.feed import last_id

    return url_for("api.events_get", slug=meeting.slug, after=last_id(db.session.connection()))


@bp.app_template_global()
def open_poll_of(meeting: Meeting) -> Poll | None:
    return db.session.execute(select(Poll).where(Poll.meeting_id == meeting.id, Poll.state == PollState.open)
                              .order_by(Poll.id.desc())).scalars().first()


@bp.app_template_global()
def polls_on_amendment(amendment_id: int) -> list[Poll]:
    return list(db.session.execute(select(Poll).where(Poll.amendment_id == amendment_id)
                                   .order_by(Poll.id)).scalars())


@bp.app_template_global()
def poll_turnout(poll: Poll) -> int:
    return operations.turnout(poll.id)


@bp.app_template_global()
def option_label(option: str) -> str:
    return reading.option_label(option)


@bp.app_template_filter("thousands")
def thousands(value) -> str:
    """1234567 -> "1,234,567" (the separator the result sentences use in every language)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _poll_context(poll: Poll) -> dict:
    meeting = db.session.get(Meeting, poll.meeting_id)
    person = _person()
    pv = reading.view(poll, person)
    subject = None
    if poll.amendment_id is not None:
        subject = db.session.get(Amendment, poll.amendment_id)
    elif poll.document_id is not None:
        subject = db.session.get(Document, poll.document_id)
    return {"meeting": meeting, "poll": poll, "pv": pv, "subject": subject, "roles": g.roles,
            "counts": meeting_operations.attendance_counts(meeting) if "chair" in g.roles else None,
            "state_label": label(POLL_STATE_LABELS, poll.state),
            "majority_label": reading.majority_label(poll.majority)}


def _back(poll: Poll):
    """Back to where the chair acted from: the console (next=chair) or the poll's page."""
    if request.form.get("next") == "chair":
        return redirect(url_for("polls.chair", slug=db.session.get(Meeting, poll.meeting_id).slug))
    return redirect(url_for("polls.view", poll_id=poll.id))


# ---------------------------------------------------------------- the meeting's polls

@bp.route("/m/<slug>/polls")
@meeting_action("poll.view")
def index(slug):
    meeting = g.meeting
    part = request.args.get("part")
    if part == "vote-now":
        return _fragment("polls/_vote_now.html", meeting=meeting, poll=open_poll_of(meeting), roles=g.roles)
    rows = [(p, reading.describe(p)) for p in operations.polls(meeting)]
    turnouts = {p.id: operations.turnout(p.id) for p, _d in rows if p.state is PollState.open}
    context = {"meeting": meeting, "rows": rows, "turnouts": turnouts, "roles": g.roles}
    if part == "list":
        return _fragment("polls/_list.html", **context)
    return render_template("polls/index.html", **context)


def _subject_choices(meeting: Meeting) -> list:
    pairs = [("none", _("A free question (no amendment or document)"))]
    admitted = db.session.execute(
        select(Amendment).join(Document, Amendment.document_id == Document.id)
        .where(Document.meeting_id == meeting.id, Amendment.status == AmendmentStatus.admitted)
        .order_by(Document.id, Amendment.sequence, Amendment.id)).scalars()
    for a in admitted:
        text = _("Amendment %(number)s", number=a.number) + (f": {a.title}" if a.title else "")
        pairs.append((f"amendment:{a.id}", text[:120]))
    for d in meeting.documents:
        pairs.append((f"document:{d.id}", _("Document: %(title)s", title=d.title)[:120]))
    return choices(pairs)


def _subject(value: str | None):
    kind, _sep, ident = (value or "none").partition(":")
    if kind in ("amendment", "document"):
        return {"type": kind, "id": _int(ident) or 0}
    return None


@bp.route("/m/<slug>/polls/new", methods=["GET", "POST"])
@meeting_action("poll.manage")
def new(slug):
    meeting = g.meeting
    form = PollForm()
    form.subject.choices = _subject_choices(meeting)
    if request.method == "GET":
        if _int(request.args.get("amendment")):
            form.subject.data = f"amendment:{_int(request.args.get('amendment'))}"
        elif _int(request.args.get("document")):
            form.subject.data = f"document:{_int(request.args.get('document'))}"
    status = 200
    if form.validate_on_submit():
        options = [line for line in (form.options.data or "").splitlines() if line.strip()] or None
        try:
            poll = operations.create_poll(meeting, _person(), title=form.title.data, subject=_subject(form.subject.data),
                                          options=options, majority_rule=form.majority.data,
                                          secret=bool(form.secret.data), weighted=bool(form.weighted.data),
                                          analog=bool(form.analog.data))
        except OperationError as error:
            db.session.rollback()
            apply_errors(form, error)
            status = error.status
        else:
            flash(_("The poll “%(title)s” is created. Open it when the vote is to begin.", title=poll.title), "info")
            return redirect(url_for("polls.view", poll_id=poll.id))
    elif request.method == "POST":
        status = 422
        if "csrf_token" in form.errors:
            _expired()
    return render_template("polls/new.html", meeting=meeting, form=form), status


# ---------------------------------------------------------------- one poll

@bp.route("/polls/<id:poll_id>")
@poll_action("poll.view")
def view(poll_id):
    context = _poll_context(g.poll)
    part = request.args.get("part")
    if part == "controls" and "chair" not in g.roles:
        abort(403)
    if part in ("live", "controls", "record"):
        return _fragment(f"polls/_poll_{part}.html", **context)
    return render_template("polls/view.html", **context)


@bp.route("/polls/<id:poll_id>/vote", methods=["POST"])
@poll_action("poll.vote")
def vote(poll_id):
    poll = g.poll
    if not EmptyForm().validate_on_submit():
        _expired()
        return redirect(url_for("polls.view", poll_id=poll.id))
    choice = request.form.get("choice")
    on_behalf_of = _int(request.form.get("on_behalf_of"))
    person = _person()
    try:
        receipt = operations.cast_ballot(poll.id, person, choice, on_behalf_of)
    except OperationError as error:
        _refused(error)
    else:
        chosen = reading.option_label(receipt["choice"])
        giver = db.session.get(Person, receipt["on_behalf_of"]) if receipt["on_behalf_of"] else None
        if poll.secret:
            # the flash message travels in the session cookie: a secret choice never goes there
            if giver is not None:
                flash(_("The ballot of %(name)s is stored.", name=giver.name), "info")
            else:
                flash(_("Your ballot is stored."), "info")
        elif giver is not None:
            flash(_("The vote of %(name)s is stored: “%(choice)s”.", name=giver.name, choice=chosen), "info")
        else:
            flash(_("Your vote is stored: “%(choice)s”.", choice=chosen), "info")
    return redirect(url_for("polls.view", poll_id=poll.id))


@bp.route("/polls/<id:poll_id>/open", methods=["POST"])
@poll_action("poll.manage")
def open_poll(poll_id):
    poll = g.poll
    form = OpenForm()
    if not form.validate_on_submit():
        _expired()
        return _back(poll)
    try:
        operations.open_poll(poll, _person(), confirm_without_quorum=bool(form.confirm_without_quorum.data))
    except OperationError as error:
        db.session.rollback()
        if error.code == "no_quorum":
            # say so, and ask the chair to confirm on a page of its own
            form.confirm_without_quorum.data = False
            meeting = db.session.get(Meeting, poll.meeting_id)
            return render_template("polls/confirm_open.html", meeting=meeting, poll=poll, form=form,
                                   message=error.message, counts=meeting_operations.attendance_counts(meeting),
                                   next=request.form.get("next", "")), 409
        _refused(error)
    else:
        flash(_("The vote on “%(title)s” is open.", title=poll.title), "info")
    return _back(poll)


@bp.route("/polls/<id:poll_id>/close", methods=["POST"])
@poll_action("poll.manage")
def close_poll(poll_id):
    poll = g.poll
    if not EmptyForm().validate_on_submit():
        _expired()
        return _back(poll)
    try:
        operations.close_poll(poll, _person())
    except OperationError as error:
        _refused(error)
    else:
        flash(reading.describe(poll) or _("The poll is closed."), "info")
    return _back(poll)


@bp.route("/polls/<id:poll_id>/void", methods=["POST"])
@poll_action("poll.manage")
def void_poll(poll_id):
    poll = g.poll
    form = VoidForm()
    if not form.validate_on_submit():
        if form.errors.get("reason"):
            flash(form.errors["reason"][0], "error")
        else:
            _expired()
        return _back(poll)
    try:
        operations.void_poll(poll, _person(), form.reason.data)
    except OperationError as error:
        _refused(error)
    else:
        flash(_("The poll is void."), "info")
    return _back(poll)


@bp.route("/polls/<id:poll_id>/count", methods=["POST"])
@poll_action("poll.manage")
def count(poll_id):
    """A show of hands: the chair enters the count of each option, which closes the poll."""
    poll = g.poll
    if not EmptyForm().validate_on_submit():
        _expired()
        return _back(poll)
    counts = {}
    for i, option in enumerate(poll.options):
        value = (request.form.get(f"count-{i}") or "").strip()
        if value:
            counts[option] = value
    try:
        operations.enter_count(poll, _person(), counts)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "error")
        for name, message in error.fields.items():
            if name in poll.options:
                flash(f"{reading.option_label(name)}: {message}", "error")
            else:
                flash(message, "error")
    else:
        flash(reading.describe(poll) or _("The count is entered."), "info")
    return _back(poll)


@bp.route("/polls/<id:poll_id>/casting-vote", methods=["POST"])
@poll_action("poll.manage")
def casting(poll_id):
    poll = g.poll
    if not EmptyForm().validate_on_submit():
        _expired()
        return _back(poll)
    try:
        operations.casting_vote(poll, _person(), request.form.get("choice"))
    except OperationError as error:
        _refused(error)
    else:
        flash(reading.describe(poll) or "", "info")
    return _back(poll)


# ---------------------------------------------------------------- amendments decided without a poll

@bp.route("/amendments/<id:amendment_id>/decide", methods=["POST"])
@amendment_action("amendment.decide")
def decide(amendment_id):
    a = g.amendment
    form = DecideForm()
    if not form.validate_on_submit():
        if form.errors.get("note"):
            flash(form.errors["note"][0], "error")
        else:
            _expired()
        return redirect(url_for("amendments.view", amendment_id=a.id))
    try:
        amendment_operations.decide(a, _person(), form.outcome.data, form.note.data)
    except OperationError as error:
        _refused(error)
    else:
        flash(_("%(number)s is now “%(status)s”.", number=a.number,
                status=label(AMENDMENT_STATUS_LABELS, a.status)), "info")
    return redirect(url_for("amendments.view", amendment_id=a.id))


# ---------------------------------------------------------------- the floor and the chair's console

def _floor(meeting: Meeting) -> dict:
    """The item on the floor, with what the console and the projector show of it."""
    item = {"type": meeting.item_type, "amendment": None, "document": None, "poll": None, "pv": None,
            "reader": None, "speakers": ("meeting", meeting.id), "election": None, "ev": None, "result": None}
    if meeting.item_type == "poll" and meeting.item_id:
        poll = db.session.get(Poll, meeting.item_id)
        if poll is not None:
            item["poll"], item["pv"] = poll, reading.view(poll, None)
            if poll.amendment_id is not None:
                item["amendment"] = db.session.get(Amendment, poll.amendment_id)
            elif poll.document_id is not None:
                item["document"] = db.session.get(Document, poll.document_id)
    elif meeting.item_type == "election" and meeting.item_id:
        from motions.elections import reading as election_reading
        from motions.elections.models import Election

        election = db.session.get(Election, meeting.item_id)
        if election is not None:
            item["election"], item["ev"] = election, election_reading.view(election, None)
            item["result"] = election_reading.result(election)
    elif meeting.item_type == "amendment" and meeting.item_id:
        item["amendment"] = db.session.get(Amendment, meeting.item_id)
    elif meeting.item_type == "document" and meeting.item_id:
        item["document"] = db.session.get(Document, meeting.item_id)
    if item["amendment"] is not None:
        item["document"] = db.session.get(Document, item["amendment"].document_id)
        item["reader"] = Reader(item["document"])
        item["speakers"] = ("amendment", item["amendment"].id)
    elif item["document"] is not None:
        item["speakers"] = ("document", item["document"].id)
    return item


def _floor_choices(meeting: Meeting) -> list:
    pairs = [("", _("Nothing (clear the floor)"))]
    pending = db.session.execute(
        select(Amendment).join(Document, Amendment.document_id == Document.id)
        .where(Document.meeting_id == meeting.id, Amendment.status.in_(list(PENDING)))
        .order_by(Document.id, Amendment.sequence, Amendment.id)).scalars()
    for a in pending:
        text = _("Amendment %(number)s", number=a.number) + (f": {a.title}" if a.title else "")
        pairs.append((f"amendment:{a.id}", f"{text[:100]} ({label(AMENDMENT_STATUS_LABELS, a.status)})"))
    for d in meeting.documents:
        pairs.append((f"document:{d.id}", _("Document: %(title)s", title=d.title)[:120]))
    from motions.elections.operations import elections

    for e in elections(meeting):
        if e.state.value != "void":
            pairs.append((f"election:{e.id}", _("Election: %(title)s", title=e.title)[:120]))
    return choices(pairs)


def _console_polls(meeting: Meeting) -> dict:
    everything = operations.polls(meeting)
    current = next((p for p in everything if p.state is PollState.open), None)
    return {"open": current, "open_view": reading.view(current, None) if current else None,
            "drafts": [p for p in everything if p.state is PollState.draft],
            "closed": [(p, reading.describe(p)) for p in everything if p.state is PollState.closed][:3]}


@bp.route("/m/<slug>/chair")
@meeting_action("poll.manage")
def chair(slug):
    meeting = g.meeting
    context = {"meeting": meeting, "roles": g.roles, "counts": meeting_operations.attendance_counts(meeting),
               "floor": _floor(meeting), "polls": _console_polls(meeting)}
    part = request.args.get("part")
    if part in ("quorum", "floor", "polls"):
        return _fragment(f"polls/_chair_{part}.html", **context)
    form = FloorForm()
    form.item.choices = _floor_choices(meeting)
    form.next.data = "chair"
    if meeting.item_type in ("amendment", "document", "election"):
        form.item.data = f"{meeting.item_type}:{meeting.item_id}"
    return render_template("polls/chair.html", floor_form=form, **context)


@bp.route("/m/<slug>/floor", methods=["POST"])
@meeting_action("floor.set")
def set_floor(slug):
    meeting = g.meeting
    form = FloorForm()
    if form.validate_on_submit():
        kind, _sep, ident = (form.item.data or "").partition(":")
        try:
            meeting_operations.set_floor(meeting, kind or None, _int(ident) if kind else None, by=_person())
        except OperationError as error:
            _refused(error)
        else:
            flash(_("The floor is cleared.") if not kind else _("The item is on the floor."), "info")
    else:
        _expired()
    if form.next.data != "chair" and meeting.item_type == "amendment" and meeting.item_id:
        return redirect(url_for("amendments.view", amendment_id=meeting.item_id))
    if form.next.data != "chair" and meeting.item_type == "poll" and meeting.item_id:
        return redirect(url_for("polls.view", poll_id=meeting.item_id))
    if form.next.data != "chair" and meeting.item_type == "election" and meeting.item_id:
        return redirect(url_for("elections.view", election_id=meeting.item_id))
    return redirect(url_for("polls.chair", slug=slug))


# ---------------------------------------------------------------- the projector

@bp.route("/m/<slug>/projector")
@meeting_action("projector.view")
def projector(slug):
    meeting = g.meeting
    context = {"meeting": meeting, "floor": _floor(meeting)}
    if request.args.get("part") == "live":
        return _fragment("polls/_projector.html", **context)
    return render_template("polls/projector.html", **context)


# ---------------------------------------------------------------- proxies

def _delegates(meeting: Meeting) -> list[Person]:
    rows = db.session.execute(select(Person).join(Membership, Membership.person_id == Person.id)
                              .where(Membership.meeting_id == meeting.id,
                                     Membership.person_id.in_(operations.delegate_ids(meeting.id)))
                              .order_by(Person.name, Person.id)).scalars()
    return list(rows)


def _proxies_page(form: ProxyForm, status: int = 200):
    meeting = g.meeting
    delegates = _delegates(meeting)
    people = choices([("", _("Choose a delegate"))] + [
        (str(p.id), f"{p.name} ({p.organisation})" if p.organisation else p.name) for p in delegates])
    form.giver_id.choices = people
    form.holder_id.choices = people
    return render_template("polls/proxies.html", meeting=meeting, proxies=operations.proxies(meeting), form=form,
                           roles=g.roles, action_form=EmptyForm()), status


@bp.route("/m/<slug>/proxies")
@meeting_action("proxy.view")
def proxies(slug):
    return _proxies_page(ProxyForm())


@bp.route("/m/<slug>/proxies", methods=["POST"])
@meeting_action("proxy.manage")
def give_proxy(slug):
    form = ProxyForm()
    status = 422
    if form.validate_on_submit():
        try:
            proxy = operations.set_proxy(g.meeting, _person(), _int(form.giver_id.data), _int(form.holder_id.data))
        except OperationError as error:
            db.session.rollback()
            apply_errors(form, error)
            status = error.status
        else:
            flash(_("%(holder)s now holds the proxy of %(giver)s.", holder=proxy.holder.name,
                    giver=proxy.giver.name), "info")
            return redirect(url_for("polls.proxies", slug=slug))
    else:
        _expired()
    return _proxies_page(form, status)


@bp.route("/m/<slug>/proxies/<id:person_id>/remove", methods=["POST"])
@meeting_action("proxy.manage")
def remove_proxy(slug, person_id):
    if not EmptyForm().validate_on_submit():
        _expired()
        return redirect(url_for("polls.proxies", slug=slug))
    giver = db.session.get(Person, person_id)
    try:
        operations.remove_proxy(g.meeting, _person(), person_id)
    except OperationError as error:
        _refused(error)
    else:
        flash(_("The proxy of %(name)s is taken back.", name=giver.name if giver else person_id), "info")
    return redirect(url_for("polls.proxies", slug=slug))

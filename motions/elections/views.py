"""Election pages: the list, setting one up, nominations, the ballot (rank or mark, review, cast),
the chair's controls, the result sheet and its downloads.

Every action posts a form (CSRF) and comes back to the page with the operation's message flashed,
so a refusal is said on the page, never a 500. The ballot being filled in is never stored and
never goes into the session cookie: it travels in the form until it is cast, and a flash message
never names a candidate the voter chose.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from motions.access import candidate_action, election_action, meeting_action
from motions.access import current_person as _person
from motions.auth.forms import EmptyForm
from motions.auth.models import Person
from motions.elections import operations, reading
from motions.elections.forms import (
    CandidateForm, ElectionForm, ImportForm, NominationForm, OpenBallotsForm, VoidForm,
)
from motions.elections.labels import HOW_TO_VOTE
from motions.elections.models import Candidate, Election, ElectionState
from motions.errors import OperationError
from motions.extensions import db
from motions.forms import choices
from motions.forms import to_id as _int
from motions.meetings import operations as meeting_operations
from motions.meetings.models import Meeting, Membership
from motions.meetings.views import apply_errors

bp = Blueprint("elections", __name__)


def _fragment(template: str, **context):
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(error: OperationError) -> None:
    db.session.rollback()
    flash(error.message, "error")
    for message in error.fields.values():
        if message != error.message:
            flash(message, "error")


def _expired() -> None:
    flash(_("The page has expired: reload it and try again."), "error")


def _back(election: Election):
    return redirect(url_for("elections.view", election_id=election.id))


# ---------------------------------------------------------------- template helpers

@bp.app_template_global()
def open_election_of(meeting: Meeting) -> Election | None:
    return operations.open_election_of(meeting)


@bp.app_template_global()
def election_turnout(election: Election) -> int:
    return operations.turnout(election.id)


@bp.app_template_global()
def election_state_label(election: Election) -> str:
    return reading.state_label(election)


@bp.app_template_global()
def election_method_label(method: str) -> str:
    return reading.method_label(method)


@bp.app_template_global()
def candidate_state_label(candidate: Candidate) -> str:
    return reading.candidate_state_label(candidate)


@bp.app_template_global()
def candidate_names(election: Election) -> dict[int, str]:
    return {c.id: c.name for c in election.candidates}


@bp.app_template_global()
def chart_of(count, names: dict) -> reading.Chart:
    return reading.chart(count, names)


# ---------------------------------------------------------------- the meeting's elections

@bp.route("/m/<slug>/elections")
@meeting_action("election.view")
def index(slug):
    meeting = g.meeting
    rows = operations.elections(meeting)
    context = {"meeting": meeting, "rows": rows, "roles": g.roles,
               "results": {e.id: reading.result(e) for e in rows if e.state is ElectionState.closed}}
    if request.args.get("part") == "list":
        return _fragment("elections/_list.html", **context)
    if request.args.get("part") == "vote-now":
        return _fragment("elections/_vote_now.html", meeting=meeting, election=operations.open_election_of(meeting),
                         roles=g.roles)
    return render_template("elections/index.html", **context)


def _settings_from(form: ElectionForm) -> dict:
    return {"title": form.title.data, "seats": form.seats.data if form.seats.data is not None else request.form.get("seats"),
            "method": form.method.data, "reserved_seats": form.reserved_seats.data or 0,
            "reserved_group": form.reserved_group.data, "nominations_close_at": form.nominations_close_at.data}


def _form_errors_status(form) -> int:
    """A form that did not validate: 422, and the expired message when the CSRF token was the fault."""
    if "csrf_token" in form.errors:
        _expired()
    for name in ("seats", "reserved_seats"):
        field = getattr(form, name, None)
        if field is not None and field.errors:
            field.errors = [_("Enter a whole number.")]
    return 422


@bp.route("/m/<slug>/elections/new", methods=["GET", "POST"])
@meeting_action("election.manage")
def new(slug):
    meeting = g.meeting
    form = ElectionForm()
    status = 200
    if request.method == "GET":
        form.seats.data = None
    if form.validate_on_submit():
        try:
            election = operations.create_election(meeting, _person(), **_settings_from(form))
        except OperationError as error:
            db.session.rollback()
            apply_errors(form, error)
            status = error.status
        else:
            flash(_("The election “%(title)s” is set up. Open nominations, or enter the candidates.",
                    title=election.title), "info")
            return redirect(url_for("elections.view", election_id=election.id))
    elif request.method == "POST":
        status = _form_errors_status(form)
    return render_template("elections/new.html", meeting=meeting, form=form, election=None), status


@bp.route("/elections/<id:election_id>/settings", methods=["GET", "POST"])
@election_action("election.manage")
def settings(election_id):
    election = g.election
    meeting = g.meeting
    form = ElectionForm(obj=None if request.method == "POST" else election)
    if request.method == "GET" and election.nominations_close_at:
        form.nominations_close_at.data = election.nominations_close_at.strftime("%Y-%m-%d %H:%M")
    status = 200
    if form.validate_on_submit():
        try:
            operations.update_election(election, _person(), **_settings_from(form))
        except OperationError as error:
            db.session.rollback()
            apply_errors(form, error)
            status = error.status
        else:
            flash(_("The election's settings are saved."), "info")
            return _back(election)
    elif request.method == "POST":
        status = _form_errors_status(form)
    return render_template("elections/new.html", meeting=meeting, form=form, election=election), status


# ---------------------------------------------------------------- one election

def _members(meeting: Meeting) -> list[Person]:
    return list(db.session.execute(select(Person).join(Membership, Membership.person_id == Person.id)
                                   .where(Membership.meeting_id == meeting.id).order_by(Person.name, Person.id))
                .scalars())


def _nomination_form(election: Election, ev, form: NominationForm | None = None) -> NominationForm | None:
    if not ev.can_nominate:
        return None
    form = form or NominationForm(formdata=None)
    people = [("", _("Choose a member of the meeting"))] + [
        (str(p.id), f"{p.name} ({p.organisation})" if p.organisation else p.name) for p in _members(g.meeting)]
    form.person_id.choices = choices(people)
    return form


def _election_context(election: Election, nomination_form=None) -> dict:
    person = _person()
    ev = reading.view(election, person)
    roles = g.roles
    context = {"meeting": g.meeting, "election": election, "ev": ev, "roles": roles, "person": person,
               "result": reading.result(election) if election.state is ElectionState.closed else None,
               "nomination_form": _nomination_form(election, ev, nomination_form),
               "may_change": {c.id: operations.may_change_candidate(c, person, roles) for c in election.candidates}}
    if "chair" in roles:
        context.update(open_form=OpenBallotsForm(formdata=None), void_form=VoidForm(formdata=None),
                       import_form=ImportForm(formdata=None),
                       counts=meeting_operations.attendance_counts(g.meeting))
    return context


@bp.route("/elections/<id:election_id>")
@election_action("election.view")
def view(election_id):
    election = g.election
    part = request.args.get("part")
    if part == "controls" and "chair" not in g.roles:
        abort(403)
    context = _election_context(election)
    if part in ("live", "controls", "candidates"):
        return _fragment(f"elections/_{part}.html", **context)
    return render_template("elections/view.html", **context)


def _manage(election: Election, action, done: str):
    if not EmptyForm().validate_on_submit():
        _expired()
        return _back(election)
    try:
        action(election, _person())
    except OperationError as error:
        _refused(error)
    else:
        flash(done, "info")
    return _back(election)


@bp.route("/elections/<id:election_id>/nominations/open", methods=["POST"])
@election_action("election.manage")
def open_nominations(election_id):
    return _manage(g.election, operations.open_nominations, _("Nominations are open."))


@bp.route("/elections/<id:election_id>/nominations/close", methods=["POST"])
@election_action("election.manage")
def close_nominations(election_id):
    return _manage(g.election, operations.close_nominations, _("Nominations are closed."))


@bp.route("/elections/<id:election_id>/open", methods=["POST"])
@election_action("election.manage")
def open_ballots(election_id):
    election = g.election
    form = OpenBallotsForm()
    if not form.validate_on_submit():
        _expired()
        return _back(election)
    try:
        operations.open_ballots(election, _person(), confirm_without_quorum=bool(form.confirm_without_quorum.data))
    except OperationError as error:
        db.session.rollback()
        if error.code == "no_quorum":
            form.confirm_without_quorum.data = False
            return render_template("elections/confirm_open.html", meeting=g.meeting, election=election, form=form,
                                   message=error.message,
                                   counts=meeting_operations.attendance_counts(g.meeting)), 409
        _refused(error)
    else:
        flash(_("The ballots for “%(title)s” are open.", title=election.title), "info")
    return _back(election)


@bp.route("/elections/<id:election_id>/close", methods=["POST"])
@election_action("election.manage")
def close_ballots(election_id):
    election = g.election
    if not EmptyForm().validate_on_submit():
        _expired()
        return _back(election)
    try:
        operations.close_ballots(election, _person())
    except OperationError as error:
        _refused(error)
    else:
        result = reading.result(election)
        if result and result.error:
            flash(_("The ballots are closed, but the count could not be made: %(reason)s", reason=result.error),
                  "error")
        else:
            flash(_("The ballots are closed and counted. Elected: %(names)s.",
                    names=", ".join(e["name"] for e in result.elected) if result else ""), "info")
    return _back(election)


@bp.route("/elections/<id:election_id>/void", methods=["POST"])
@election_action("election.manage")
def void(election_id):
    election = g.election
    form = VoidForm()
    if not form.validate_on_submit():
        if form.errors.get("reason"):
            flash(form.errors["reason"][0], "error")
        else:
            _expired()
        return _back(election)
    try:
        operations.void_election(election, _person(), form.reason.data)
    except OperationError as error:
        _refused(error)
    else:
        flash(_("The election is void."), "info")
    return _back(election)


@bp.route("/elections/<id:election_id>/import", methods=["POST"])
@election_action("election.manage")
def import_ballots(election_id):
    election = g.election
    form = ImportForm()
    if not form.validate_on_submit():
        _expired()
        return _back(election)
    upload = form.file.data
    raw = upload.read() if upload is not None and hasattr(upload, "read") else b""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("The file is not UTF-8 text."), "error")
        return _back(election)
    try:
        operations.import_blt(election, _person(), text)
    except OperationError as error:
        _refused(error)
    else:
        flash(_("The ballots are imported and counted."), "info")
    return _back(election)


# ---------------------------------------------------------------- nominations

@bp.route("/elections/<id:election_id>/nominate", methods=["POST"])
@election_action("election.nominate")
def nominate(election_id):
    election = g.election
    form = NominationForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _expired()
            return _back(election)
        return render_template("elections/view.html", **_election_context(election, form)), 422
    try:
        candidate = operations.nominate(election, _person(), person_id=_int(form.person_id.data), name=form.name.data,
                                        organisation=form.organisation.data, statement=form.statement.data,
                                        in_group=bool(form.in_group.data))
    except OperationError as error:
        db.session.rollback()
        apply_errors(form, error)
        return render_template("elections/view.html", **_election_context(election, form)), error.status
    if candidate.state.value == "standing":
        flash(_("%(name)s is nominated and standing.", name=candidate.name), "info")
    else:
        flash(ngettext("%(name)s is nominated; the nomination stands once it has %(num)d seconder.",
                       "%(name)s is nominated; the nomination stands once it has %(num)d seconders.",
                       operations.seconders_needed(candidate), name=candidate.name), "info")
    return _back(election)


@bp.route("/candidates/<id:candidate_id>/second", methods=["POST"])
@candidate_action("election.second")
def second(candidate_id):
    candidate = g.candidate
    if not EmptyForm().validate_on_submit():
        _expired()
        return _back(g.election)
    try:
        operations.second(candidate, _person())
    except OperationError as error:
        _refused(error)
    else:
        flash(_("You have seconded the nomination of %(name)s.", name=candidate.name), "info")
    return _back(g.election)


@bp.route("/candidates/<id:candidate_id>/withdraw", methods=["POST"])
@candidate_action("candidate.change")
def withdraw(candidate_id):
    candidate = g.candidate
    if not EmptyForm().validate_on_submit():
        _expired()
        return _back(g.election)
    try:
        operations.withdraw(candidate, _person())
    except OperationError as error:
        _refused(error)
    else:
        flash(_("%(name)s has withdrawn.", name=candidate.name), "info")
    return _back(g.election)


@bp.route("/candidates/<id:candidate_id>/edit", methods=["GET", "POST"])
@candidate_action("candidate.change")
def edit_candidate(candidate_id):
    candidate, election = g.candidate, g.election
    person = _person()
    if not operations.may_change_candidate(candidate, person, g.roles):
        flash(_("Only the candidate, their nominator or the chair can change a nomination."), "error")
        return _back(election)
    form = CandidateForm(obj=None if request.method == "POST" else candidate)
    status = 200
    chair = "chair" in g.roles
    if form.validate_on_submit():
        try:
            operations.edit_candidate(candidate, person, statement=form.statement.data, in_group=bool(form.in_group.data),
                                      name=form.name.data if chair else None,
                                      organisation=form.organisation.data if chair else None)
        except OperationError as error:
            db.session.rollback()
            apply_errors(form, error)
            status = error.status
        else:
            flash(_("The nomination of %(name)s is saved.", name=candidate.name), "info")
            return _back(election)
    elif request.method == "POST":
        status = _form_errors_status(form)
    return render_template("elections/edit_candidate.html", meeting=g.meeting, election=election, candidate=candidate,
                           form=form, chair=chair), status


# ---------------------------------------------------------------- the ballot

def _ranking(raw: str | None, on_ballot: dict[int, Candidate]) -> list[int]:
    """The ranking so far from the form: known candidates, each once, in order (anything else dropped:
    the form is the voter's own, and the final check is the operation's)."""
    out: list[int] = []
    for token in (raw or "").split()[:500]:
        cid = _int(token)
        if cid in on_ballot and cid not in out:
            out.append(cid)
    return out


def _whose(election: Election, ev, raw) -> tuple[int, str, bool] | None:
    """Whose vote the ballot is: (voter id, name, own) among the person's entitlements not yet used."""
    wanted = _int(raw) if raw else None
    for e in ev.mine:
        if (wanted is None and e.own) or e.voter_id == wanted:
            return e.voter_id, e.name, e.own
    return None


def _ballot_page(election: Election, ev, ranking: list[int], whose, *, review: bool = False, status: int = 200,
                 error: str | None = None, announce: str = "", focus: str = ""):
    on_ballot = ev.standing
    by_id = {c.id: c for c in on_ballot}
    chosen = [by_id[cid] for cid in ranking if cid in by_id]
    rest = [c for c in on_ballot if c.id not in ranking]
    how = HOW_TO_VOTE.get(election.method, "")
    how = str(how) % {"seats": election.seats} if "%(seats)" in str(how) else str(how)
    return render_template("elections/ballot.html", meeting=g.meeting, election=election, ev=ev, chosen=chosen,
                           rest=rest, ranking=" ".join(map(str, ranking)), whose=whose, review=review,
                           how_to_vote=how, error=error, announce=announce, focus=focus,
                           script_labels=_script_labels()), status


def _focus_after(verb: str, cid: int | None, before: list[int], ranking: list[int], paper: list[int]) -> str:
    """The button a tap's answer gives the focus to (autofocus; static/ballot.js does the same without a
    round trip): where the keyboard was, on the candidate that takes the place of the one moved away."""
    if verb == "add":
        rest = [c for c in paper if c not in before]  # the list the tapped one left, in the paper's order
        i = rest.index(cid)
        neighbour = rest[i + 1] if i + 1 < len(rest) else rest[i - 1] if i > 0 else None
        return f"add:{neighbour}" if neighbour is not None else "review"
    if verb == "remove":
        i = before.index(cid)
        neighbour = before[i + 1] if i + 1 < len(before) else before[i - 1] if i > 0 else None
        return f"remove:{neighbour}" if neighbour is not None else f"add:{cid}"
    if verb in ("up", "down"):
        return f"{verb}:{cid}"
    if verb == "clear":
        return f"add:{paper[0]}" if paper else ""
    return ""


def _script_labels() -> dict[str, str]:
    """What static/ballot.js says, in the reader's language: templates it fills in itself
    (gettext without variables leaves the placeholders as they are)."""
    return {"next": _("preference %(n)d"), "added": _("%(name)s is your preference %(n)d."),
            "removed": _("%(name)s is no longer on your ballot."), "moved": _("%(name)s is now your preference %(n)d.")}


def _ballot_guard(election: Election, ev):
    """Why this person cannot fill in a ballot now (a message), or None."""
    if election.state is not ElectionState.open:
        return _("This election is not open for voting: it is “%(state)s”.", state=ev.state_label)
    if not ev.mine:
        return _("Only delegates vote.")
    if not ev.present:
        return _("Check in as present before voting.")
    return None


@bp.route("/elections/<id:election_id>/ballot", methods=["GET", "POST"])
@election_action("election.vote")
def ballot(election_id):
    """The ballot: tap candidates in order (each tap posts back, or the page's script does it at
    once), review, cast. Nothing is stored until it is cast."""
    election = g.election
    ev = reading.view(election, _person())
    problem = _ballot_guard(election, ev)
    if problem:
        flash(problem, "error")
        return _back(election)
    source = request.form if request.method == "POST" else request.args
    whose = _whose(election, ev, source.get("on_behalf_of"))
    if whose is None:
        flash(_("You do not hold this delegate's proxy."), "error")
        return _back(election)
    if next((e for e in ev.mine if e.voter_id == whose[0] and e.voted), None):
        flash(_("You have already voted in this election.") if whose[2] else
              _("A ballot for this delegate has already been cast in this election."), "info")
        return _back(election)
    by_id = {c.id: c for c in ev.standing}
    if request.method == "GET":
        return _ballot_page(election, ev, [], whose)
    if not EmptyForm().validate_on_submit():
        _expired()
        return _ballot_page(election, ev, [], whose, status=400)
    ranking = _ranking(request.form.get("ranking"), by_id)
    if not election.ranked:
        marked = [cid for cid in (_int(v) for v in request.form.getlist("mark")) if cid in by_id]
        ranking = [c.id for c in ev.standing if c.id in marked]
    action = request.form.get("action", "")
    verb, _sep, target = action.partition(":")
    cid = _int(target)
    announce = ""
    before = list(ranking)
    if verb == "add" and cid in by_id and cid not in ranking:
        ranking.append(cid)
        announce = _("%(name)s is your preference %(n)d.", name=by_id[cid].name, n=len(ranking))
    elif verb == "remove" and cid in ranking:
        ranking.remove(cid)
        announce = _("%(name)s is no longer on your ballot.", name=by_id[cid].name)
    elif verb in ("up", "down") and cid in ranking:
        i = ranking.index(cid)
        j = i - 1 if verb == "up" else i + 1
        if 0 <= j < len(ranking):
            ranking[i], ranking[j] = ranking[j], ranking[i]
        announce = _("%(name)s is now your preference %(n)d.", name=by_id[cid].name, n=ranking.index(cid) + 1)
    elif verb == "clear":
        ranking = []
        announce = _("No candidate ranked yet: tap your first choice below.")
    elif verb != "review":
        verb = ""  # nothing done: nothing to announce, the focus where the page puts it
    if verb == "review":
        if election.method == "plurality" and len(ranking) > election.seats:
            return _ballot_page(election, ev, ranking, whose, status=422,
                                error=_("Mark at most %(n)d candidates.", n=election.seats))
        return _ballot_page(election, ev, ranking, whose, review=True)
    focus = _focus_after(verb, cid, before, ranking, [c.id for c in ev.standing]) if election.ranked else ""
    return _ballot_page(election, ev, ranking, whose, announce=announce, focus=focus)


@bp.route("/elections/<id:election_id>/vote", methods=["POST"])
@election_action("election.vote")
def vote(election_id):
    election = g.election
    if not EmptyForm().validate_on_submit():
        _expired()
        return _back(election)
    person = _person()
    ev = reading.view(election, person)
    whose = _whose(election, ev, request.form.get("on_behalf_of"))
    by_id = {c.id: c for c in ev.standing}
    ranking = _ranking(request.form.get("ranking"), by_id)
    raw = (request.form.get("ranking") or "").split()
    if len(ranking) != len(raw):  # a candidate not on this ballot, or named twice: say so, store nothing
        flash(_("Your ballot named a candidate who is not on this ballot paper, or one twice; nothing was stored. "
                "Fill it in again."), "error")
        return redirect(url_for("elections.ballot", election_id=election.id,
                                **({"on_behalf_of": whose[0]} if whose and not whose[2] else {})))
    try:
        receipt = operations.cast_ballot(election.id, person, ranking,
                                         whose[0] if whose and not whose[2] else None)
    except OperationError as error:
        _refused(error)
    else:
        # the flash message travels in the session cookie: a ballot's content never goes there
        if receipt["on_behalf_of"]:
            giver = db.session.get(Person, receipt["on_behalf_of"])
            flash(_("The ballot of %(name)s is stored.", name=giver.name if giver else ""), "info")
        else:
            flash(_("Your ballot is stored."), "info")
    return _back(election)


# ---------------------------------------------------------------- the result and the papers

@bp.route("/elections/<id:election_id>/result")
@election_action("election.view")
def result(election_id):
    election = g.election
    r = reading.result(election)
    if r is None:
        flash(_("The result sheet is shown once the election is counted."), "info")
        return _back(election)
    return render_template("elections/result.html", meeting=g.meeting, election=election, result=r,
                           ev=reading.view(election, _person()))


@bp.route("/elections/<id:election_id>/ballots.blt")
@election_action("election.view")
def ballots_blt(election_id):
    return _download(g.election, "blt")


# ---------------------------------------------------------------- the result sheet as a file

def _download(election: Election, fmt: str):
    """The result sheet (csv, pdf) or the papers (blt) as an attachment; before the count, the
    refusal on the election's page."""
    from motions.exports.reading import election_file
    from motions.exports.views import send

    try:
        export = election_file(election, fmt)
    except OperationError as error:
        flash(error.message, "error")
        return _back(election)
    return send(export)


@bp.route("/elections/<id:election_id>/result.csv")
@election_action("election.view")
def result_csv(election_id):
    return _download(g.election, "csv")


@bp.route("/elections/<id:election_id>/result.pdf")
@election_action("election.view")
def result_pdf(election_id):
    return _download(g.election, "pdf")

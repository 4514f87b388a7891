"""Polls and ballots, proxies, deciding amendments without a poll, the floor, and the live event stream."""
from __future__ import annotations

from flask import Response, current_app, g, jsonify, request, stream_with_context
from flask_babel import gettext as _

from motions.amendments import operations as amendments
from motions.api import MAX_INT, ApiError, json_body, route
from motions.api.schemas import (B, DT, I, NI, NS, S, iso, obj, string)
from motions.counting.majority import RULES
from motions.meetings import operations as meetings
from motions.polls import operations, reading
from motions.polls.models import SUBJECTS

COUNTS = {"type": "object", "additionalProperties": I}
RESULT = {"type": ["object", "null"], "properties": {
    "counts": COUNTS, "headcount": {"type": ["object", "null"], "additionalProperties": I},
    "base": NI, "threshold": NI, "outcome": {"type": ["string", "null"], "enum": ["carried", "lost", "tie", None]},
    "quorum_met": {"type": ["boolean", "null"]}, "majority": S, "voted": I, "present": I, "entitled": I,
    "casting": NS, "description": NS}}
POLL = obj({
    "id": I, "title": S, "subject": obj({"type": S, "id": NI}), "state": S, "majority": S, "secret": B,
    "weighted": B, "analog": B, "options": {"type": "array", "items": S}, "voted": I, "entitled": I,
    "quorum_met": {"type": ["boolean", "null"]}, "result": RESULT, "void_reason": S,
    "opened_at": {"type": ["string", "null"]}, "closed_at": {"type": ["string", "null"]},
    "ballots": {"type": ["array", "null"], "items": obj({"voter_id": I, "name": S, "organisation": S,
                                                         "choice": S, "weight": I, "cast_by_id": I})},
    "you": obj({"can_vote": B, "present": B, "votes": {"type": "array", "items": obj(
        {"voter_id": I, "name": S, "own": B, "voted": B})}}),
})


def poll_json(poll, person=None) -> dict:
    pv = reading.view(poll, person)
    result = None
    if poll.result is not None:
        result = {k: poll.result.get(k) for k in ("counts", "headcount", "base", "threshold", "outcome", "quorum_met",
                                                  "majority", "voted", "present", "entitled", "casting")}
        result["description"] = pv.description
    return {
        "id": poll.id, "title": poll.title, "subject": {"type": poll.subject_type, "id": poll.subject_id},
        "state": poll.state.value, "majority": poll.majority, "secret": poll.secret, "weighted": poll.weighted,
        "analog": poll.analog, "options": list(poll.options), "voted": pv.voted, "entitled": pv.entitled,
        "quorum_met": poll.quorum_met, "result": result, "void_reason": poll.void_reason or "",
        "opened_at": iso(poll.opened_at), "closed_at": iso(poll.closed_at),
        "ballots": [{k: r[k] for k in ("voter_id", "name", "organisation", "choice", "weight", "cast_by_id")}
                    for r in pv.roll_call] if pv.roll_call is not None else None,
        "you": {"can_vote": pv.can_vote, "present": pv.present,
                "votes": [{"voter_id": e.voter_id, "name": e.name, "own": e.own, "voted": e.voted} for e in pv.mine]},
    }


POLL_IN = obj({
    "title": string(maxLength=operations.MAX_TITLE),
    "subject": {"type": ["object", "null"], "properties": {
        "type": {"type": "string", "enum": list(SUBJECTS)},
        "id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_INT}}, "required": ["type"]},
    "options": {"type": "array", "items": string(minLength=1, maxLength=operations.MAX_OPTION),
                "minItems": 2, "maxItems": operations.MAX_OPTIONS},
    "majority": {"type": "string", "enum": list(RULES)},
    "secret": B, "weighted": B, "analog": B,
}, [])


def _poll(poll, status: int = 200):
    return jsonify(poll_json(poll, g.api_person)), status


@route("/meetings/<slug>/polls", "POST", action="poll.manage",
       summary="Create a poll (state draft) on an amendment, a document or a free question",
       body=POLL_IN, response=POLL, status=201, errors=(400, 401, 403, 404, 413, 422))
def create_poll(slug):
    data = json_body()
    poll = operations.create_poll(g.meeting, g.api_person, title=data.get("title"), subject=data.get("subject"),
                                  options=data.get("options"), majority_rule=data.get("majority", "simple"),
                                  secret=data.get("secret", False), weighted=data.get("weighted", False),
                                  analog=data.get("analog", False))
    return _poll(poll, 201)


@route("/meetings/<slug>/polls", "GET", action="poll.view", summary="The meeting's polls, newest first",
       response={"type": "array", "items": POLL}, errors=(401, 403, 404))
def list_polls(slug):
    return jsonify([poll_json(p, g.api_person) for p in operations.polls(g.meeting)])


@route("/polls/<id:poll_id>", "GET", action="poll.view",
       summary="One poll: turnout, and once closed the result (a secret poll never shows who chose what)",
       response=POLL, errors=(401, 403, 404))
def get_poll(poll_id):
    return _poll(g.poll)


@route("/polls/<id:poll_id>/open", "POST", action="poll.manage",
       summary="Open the poll for ballots; without a quorum, send confirm_without_quorum=true",
       body=obj({"confirm_without_quorum": B}, []), response=POLL, errors=(400, 401, 403, 404, 409, 413, 422))
def open_poll(poll_id):
    data = json_body() if request.get_data(cache=True).strip() else {}
    return _poll(operations.open_poll(g.poll, g.api_person,
                                      confirm_without_quorum=bool(data.get("confirm_without_quorum", False))))


@route("/polls/<id:poll_id>/close", "POST", action="poll.manage",
       summary="Close the poll and count it; a poll on an amendment carries or loses it",
       response=POLL, errors=(401, 403, 404, 409))
def close_poll(poll_id):
    return _poll(operations.close_poll(g.poll, g.api_person))


@route("/polls/<id:poll_id>/void", "POST", action="poll.manage", summary="Void the poll with a reason (kept, marked void)",
       body=obj({"reason": string(minLength=1, maxLength=operations.MAX_REASON)}), response=POLL,
       errors=(400, 401, 403, 404, 409, 413, 422))
def void_poll(poll_id):
    data = json_body()
    return _poll(operations.void_poll(g.poll, g.api_person, data.get("reason")))


@route("/polls/<id:poll_id>/analog", "POST", action="poll.manage",
       summary="Enter the hand count of a show of hands: {counts: {option: n}}; closes the poll",
       body=obj({"counts": COUNTS}), response=POLL, errors=(400, 401, 403, 404, 409, 413, 422))
def analog(poll_id):
    data = json_body()
    return _poll(operations.enter_count(g.poll, g.api_person, data.get("counts")))


@route("/polls/<id:poll_id>/casting-vote", "POST", action="poll.manage",
       summary="The chair's casting vote on a tie (where the meeting grants one): yes carries, no loses",
       body=obj({"choice": {"type": "string", "enum": ["yes", "no"]}}), response=POLL,
       errors=(400, 401, 403, 404, 409, 413, 422))
def casting(poll_id):
    data = json_body()
    return _poll(operations.casting_vote(g.poll, g.api_person, data.get("choice")))


def _voter_scope(kwargs: dict, person_id: int) -> tuple[str, ...]:
    """The ballot route's scope in one statement: the poll, and the voter's membership and roles."""
    g.voter = operations.voter(kwargs["poll_id"], person_id)
    if g.voter is None:
        raise ApiError(404, _("There is no such poll."), "not_found")
    return g.voter.roles


BALLOT = obj({"poll_id": I, "voter_id": I, "on_behalf_of": NI, "choice": S, "weight": I})


@route("/polls/<id:poll_id>/ballots", "POST", action="poll.vote",
       summary="Cast a ballot (present delegates; a proxy holder also with on_behalf_of): 201 means it is stored",
       body=obj({"choice": string(minLength=1, maxLength=operations.MAX_OPTION),
                 "on_behalf_of": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_INT}}, ["choice"]),
       response=BALLOT, status=201, errors=(400, 401, 403, 404, 409, 413, 422), lean_scope=_voter_scope)
def ballot(poll_id):
    data = json_body()
    receipt = operations.cast_ballot(poll_id, g.api_person_id, data.get("choice"), data.get("on_behalf_of"),
                                     context=g.voter)
    return jsonify(receipt), 201


PROXY = obj({"giver_id": I, "giver": S, "holder_id": I, "holder": S, "created_at": DT})


def proxy_json(p) -> dict:
    return {"giver_id": p.giver_id, "giver": p.giver.name, "holder_id": p.holder_id, "holder": p.holder.name,
            "created_at": iso(p.created_at)}


@route("/meetings/<slug>/proxies", "GET", action="proxy.view", summary="Who holds whose proxy",
       response={"type": "array", "items": PROXY}, errors=(401, 403, 404))
def list_proxies(slug):
    return jsonify([proxy_json(p) for p in operations.proxies(g.meeting)])


@route("/meetings/<slug>/proxies", "POST", action="proxy.manage",
       summary="Give a delegate's proxy to another delegate (replaces an earlier one)",
       body=obj({"giver_id": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
                 "holder_id": {"type": "integer", "minimum": 1, "maximum": MAX_INT}}),
       response=PROXY, status=201, errors=(400, 401, 403, 404, 409, 413, 422))
def set_proxy(slug):
    data = json_body()
    return jsonify(proxy_json(operations.set_proxy(g.meeting, g.api_person, data.get("giver_id"),
                                                   data.get("holder_id")))), 201


@route("/meetings/<slug>/proxies/<id:giver_id>", "DELETE", action="proxy.manage",
       summary="Take back a delegate's proxy", status=204, errors=(401, 403, 404))
def remove_proxy(slug, giver_id):
    operations.remove_proxy(g.meeting, g.api_person, giver_id)
    return "", 204


@route("/meetings/<slug>/floor", "POST", action="floor.set",
       summary="Take up an item (what the projector shows): an amendment, a document or a poll; null clears it",
       body=obj({"item_type": {"type": ["string", "null"], "enum": ["amendment", "document", "poll", "election", None]},
                 "item_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_INT}}, ["item_type"]),
       response=obj({"item_type": NS, "item_id": NI}), errors=(400, 401, 403, 404, 413, 422))
def floor(slug):
    data = json_body()
    meeting = meetings.set_floor(g.meeting, data.get("item_type"), data.get("item_id"), by=g.api_person)
    return jsonify({"item_type": meeting.item_type, "item_id": meeting.item_id})


@route("/amendments/<id:amendment_id>/decide", "POST", action="amendment.decide",
       summary="Decide an amendment without a poll (consent, show of hands): carried, lost, remitted or fallen",
       body=obj({"outcome": {"type": "string", "enum": list(amendments.OUTCOMES)},
                 "note": string(maxLength=amendments.MAX_NOTE)}, ["outcome"]),
       errors=(400, 401, 403, 404, 409, 413, 422))
def decide(amendment_id):
    from motions.api.amendments import _one

    data = json_body()
    return _one(amendments.decide(g.amendment, g.api_person, data.get("outcome"), data.get("note")))


@route("/amendments/<id:amendment_id>/resolve", "POST", action="amendment.resolve",
       summary="Restate an amendment that no longer applies (another amendment to its clause was carried) "
               "against the text as it stands: a hand-made merge",
       body=obj({"text": string(maxLength=20_000)}), errors=(400, 401, 403, 404, 409, 413, 422))
def resolve(amendment_id):
    from motions.api.amendments import _one

    data = json_body()
    return _one(amendments.resolve(g.amendment, g.api_person, data.get("text")))


@route("/meetings/<slug>/events", "GET", action="events.view",
       summary="Server-sent events: every change of the meeting (poll opened, turnout, closed; amendment status; "
               "speakers list; attendance; the floor). Resume with the Last-Event-ID header or ?after=ID",
       media="text/event-stream", query=[{"name": "after", "in": "query", "required": False,
                                          "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT}}],
       errors=(401, 403, 404, 422))
def events(slug):
    from motions.live import feed

    raw = request.args.get("after")
    if raw and not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_INT):
        # as the audit log's ?after=: a bad number is refused, not read as "from now on"
        raise ApiError(422, _("Some fields need correcting."), "validation_failed",
                       {"after": _("Enter a whole number, 0 or more.")})
    after = request.headers.get("Last-Event-ID") or raw
    engine = current_app.extensions["sqlalchemy"].engine
    duration = current_app.config.get("EVENT_STREAM_SECONDS", 120.0)
    meeting_id = g.meeting.id
    from motions.extensions import db

    # the stream holds no session or connection while it waits; and the session's connection goes
    # back to the pool before another is taken (a thread holding one while waiting for a second
    # deadlocks the pool when many streams connect at once: found by the load suite)
    db.session.remove()
    if after is not None and str(after).isdigit() and int(after) <= MAX_INT:
        after = int(after)
    else:
        with engine.connect() as connection:
            after = feed.last_id(connection)
    body = feed.stream(engine, meeting_id, after, duration=duration, turnout=True,
                       linger=current_app.config.get("EVENT_HUB_LINGER", 10.0))
    return Response(stream_with_context(body), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

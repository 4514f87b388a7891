"""The debate: speakers lists (ask to speak, withdraw, call, move, remove, close, the speaking time) and
comments (post, hide, show again). The same operations as the pages (motions/debate/operations.py)."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from motions.api import MAX_INT, ApiError, json_body, route
from motions.api.schemas import (
    DT,
    NI,
    NS,
    PERSON_REF,
    B,
    I,
    S,
    iso,
    obj,
    person_ref,
    text,
)
from motions.auth.models import Person
from motions.debate import operations, reading
from motions.debate.models import SIDES, SUBJECTS
from motions.extensions import db

ID = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
REF = {"oneOf": [PERSON_REF, {"type": "null"}]}

SPEAKER = obj({"id": I, "person": REF, "side": {"type": "string", "enum": list(SIDES)}, "state": S,
               "position": NI, "requested_at": DT, "started_at": NS, "ended_at": NS})
QUEUE = obj({
    "subject_type": S, "subject_id": I, "closed": B, "speaking_time": NI,
    "speaking": {"oneOf": [SPEAKER, {"type": "null"}]}, "ends_at": NS, "remaining": NI,
    "waiting": {"type": "array", "items": SPEAKER}, "spoken": {"type": "array", "items": SPEAKER},
})
COMMENT = obj({"id": I, "subject_type": S, "subject_id": I, "parent_id": NI, "author": REF, "text": NS,
               "created_at": DT, "hidden": B, "hidden_reason": S, "hidden_by": REF, "hidden_at": NS})


def speaker_json(s, position: int | None = None) -> dict:
    """position: the place in the queue (1 is next), for a waiting speaker."""
    return {"id": s.id, "person": person_ref(s.person), "side": s.side, "state": s.state, "position": position,
            "requested_at": iso(s.requested_at), "started_at": iso(s.started_at), "ended_at": iso(s.ended_at)}


def queue_json(subject_type: str, subject_id: int) -> dict:
    queue = reading.queue(g.meeting.id, subject_type, subject_id)
    return {"subject_type": subject_type, "subject_id": subject_id, "closed": queue.closed,
            "speaking_time": queue.speaking_time,
            "speaking": speaker_json(queue.speaking) if queue.speaking is not None else None,
            "ends_at": iso(queue.ends_at()), "remaining": queue.remaining(),
            "waiting": [speaker_json(s, n) for n, s in enumerate(queue.waiting, start=1)],
            "spoken": [speaker_json(s) for s in queue.spoken]}


def comment_json(c) -> dict:
    """A hidden comment's text is never sent: everyone sees that the chair hid it, and why."""
    return {"id": c.id, "subject_type": c.subject_type, "subject_id": c.subject_id, "parent_id": c.parent_id,
            "author": person_ref(c.author), "text": None if c.hidden else c.text, "created_at": iso(c.created_at),
            "hidden": bool(c.hidden), "hidden_reason": (c.hidden_reason or "") if c.hidden else "",
            "hidden_by": person_ref(db.session.get(Person, c.hidden_by_id)) if c.hidden and c.hidden_by_id else None,
            "hidden_at": iso(c.hidden_at) if c.hidden else None}


def _subject_args(allowed: tuple[str, ...], default_meeting: bool) -> tuple[str, int]:
    """?subject_type=&subject_id= (for the speakers list, none: the meeting's general business)."""
    subject_type = request.args.get("subject_type") or None
    raw = request.args.get("subject_id") or None
    if default_meeting and subject_type in (None, "meeting") and raw is None:
        return "meeting", g.meeting.id
    fields = {}
    if subject_type not in allowed:
        fields["subject_type"] = _("Choose one of: %(choices)s.", choices=", ".join(allowed))
    subject_id = None
    if raw is None or not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_INT:
        fields["subject_id"] = _("Enter a whole number, 1 or more.")
    else:
        subject_id = int(raw)
    if fields:
        raise ApiError(422, _("Some fields need correcting."), "validation_failed", fields)
    return operations.check_subject(g.meeting, subject_type, subject_id, allowed)


def _queue(subject_type: str, subject_id: int, status: int = 200):
    return jsonify(queue_json(subject_type, subject_id)), status


def _queue_of(speakers_list):
    return _queue(speakers_list.subject_type, speakers_list.subject_id)


SUBJECT_QUERY = [
    {"name": "subject_type", "in": "query", "required": False, "schema": {"type": "string", "enum": list(SUBJECTS)}},
    {"name": "subject_id", "in": "query", "required": False, "schema": ID},
]
SUBJECT_IN = {"subject_type": {"type": "string", "enum": list(SUBJECTS)}, "subject_id": ID}


# ---------------------------------------------------------------- the speakers list

@route("/meetings/<slug>/speakers", "GET", action="speakers.view",
       summary="The speakers list of an item (an amendment, a document, or without a subject the meeting's "
               "general business): who speaks now and until when, who waits in order (points of order first)",
       query=SUBJECT_QUERY, response=QUEUE, errors=(401, 403, 404, 422))
def speakers_get(slug):
    return _queue(*_subject_args(SUBJECTS, default_meeting=True))


@route("/meetings/<slug>/speakers", "POST", action="speakers.request",
       summary="Ask to speak on an item: for, against, neutral, or a point of order (taken first, and allowed "
               "when the list is closed); one waiting request per delegate and list",
       body=obj({**SUBJECT_IN, "side": {"type": "string", "enum": list(SIDES)}}), response=SPEAKER, status=201,
       errors=(400, 401, 403, 404, 409, 413, 422))
def speakers_request(slug):
    data = json_body()
    speaker = operations.request_to_speak(g.meeting, g.api_person, data.get("subject_type"), data.get("subject_id"),
                                          data.get("side"))
    queue = reading.queue(g.meeting.id, speaker.speakers_list.subject_type, speaker.speakers_list.subject_id)
    place = next((n for n, s in enumerate(queue.waiting, start=1) if s.id == speaker.id), None)
    return jsonify(speaker_json(speaker, place)), 201


@route("/speakers/<id:speaker_id>/withdraw", "POST", action="speakers.request",
       summary="Withdraw your own waiting request to speak", response=QUEUE, errors=(401, 403, 404, 409))
def speakers_withdraw(speaker_id):
    return _queue_of(operations.withdraw_request(g.speaker, g.api_person))


@route("/meetings/<slug>/speakers/next", "POST", action="speakers.manage",
       summary="Call the next speaker (the chair): the current one has spoken, the first waiting speaks",
       body=obj(SUBJECT_IN), response=QUEUE, errors=(400, 401, 403, 404, 409, 413, 422))
def speakers_next(slug):
    data = json_body()
    speakers_list = operations.call_next(g.meeting, g.api_person, data.get("subject_type"), data.get("subject_id"))
    return _queue_of(speakers_list)


@route("/meetings/<slug>/speakers/finish", "POST", action="speakers.manage",
       summary="End the current speaker's turn without calling anyone (the chair)",
       body=obj(SUBJECT_IN), response=QUEUE, errors=(400, 401, 403, 404, 409, 413, 422))
def speakers_finish(slug):
    data = json_body()
    return _queue_of(operations.finish(g.meeting, g.api_person, data.get("subject_type"), data.get("subject_id")))


@route("/speakers/<id:speaker_id>/call", "POST", action="speakers.manage",
       summary="Give the floor to this waiting speaker now (the chair); the current speaker has spoken",
       response=QUEUE, errors=(401, 403, 404, 409))
def speakers_call(speaker_id):
    return _queue_of(operations.call(g.speaker, g.api_person))


@route("/speakers/<id:speaker_id>/move", "POST", action="speakers.manage",
       summary="Move a waiting speaker to a place in the queue (1 is next) or one up or down (the chair); "
               "points of order stay before the others",
       body=obj({"position": ID, "direction": {"type": "string", "enum": ["up", "down"]}}, []), response=QUEUE,
       errors=(400, 401, 403, 404, 409, 413, 422))
def speakers_move(speaker_id):
    data = json_body()
    return _queue_of(operations.move(g.speaker, g.api_person, direction=data.get("direction"),
                                     position=data.get("position")))


@route("/speakers/<id:speaker_id>/remove", "POST", action="speakers.manage",
       summary="Take a speaker off the list (the chair; kept as removed, and in the audit log)",
       response=QUEUE, errors=(401, 403, 404, 409))
def speakers_remove(speaker_id):
    return _queue_of(operations.remove(g.speaker, g.api_person))


@route("/meetings/<slug>/speakers/settings", "POST", action="speakers.manage",
       summary="Close or reopen an item's speakers list, or set its speaking time in seconds (0 or null: no "
               "limit, at most 3600); fields left out keep their value",
       body=obj({**SUBJECT_IN, "closed": B,
                 "speaking_time": {"type": ["integer", "null"], "minimum": 0,
                                   "maximum": operations.MAX_SPEAKING_TIME}}, ["subject_type", "subject_id"]),
       response=QUEUE, errors=(400, 401, 403, 404, 409, 413, 422))
def speakers_settings(slug):
    data = json_body()
    subject_type, subject_id = data.get("subject_type"), data.get("subject_id")
    operations.update_list(g.meeting, g.api_person, subject_type, subject_id,
                           closed=data.get("closed", operations.UNSET),
                           speaking_time=data.get("speaking_time", operations.UNSET))
    return _queue(subject_type, subject_id)


# ---------------------------------------------------------------- comments

@route("/meetings/<slug>/comments", "GET", action="comment.view",
       summary="The comments on an amendment or a document, oldest first (parent_id: the comment answered); "
               "a hidden comment has no text, only the chair's reason",
       query=[{**q, "required": True} for q in SUBJECT_QUERY], response={"type": "array", "items": COMMENT},
       errors=(401, 403, 404, 422))
def comments_get(slug):
    subject_type, subject_id = _subject_args(operations.COMMENT_SUBJECTS, default_meeting=False)
    return jsonify([comment_json(c) for c in reading.comments(g.meeting.id, subject_type, subject_id)])


@route("/meetings/<slug>/comments", "POST", action="comment.post",
       summary="Comment on an amendment or a document, or reply to a comment on it (parent_id)",
       body=obj({"subject_type": {"type": "string", "enum": list(operations.COMMENT_SUBJECTS)}, "subject_id": ID,
                 "text": text(operations.MAX_COMMENT), "parent_id": {"type": ["integer", "null"], "minimum": 1,
                                                                   "maximum": MAX_INT}},
                ["subject_type", "subject_id", "text"]),
       response=COMMENT, status=201, errors=(400, 401, 403, 404, 409, 413, 422))
def comments_post(slug):
    data = json_body()
    comment = operations.post_comment(g.meeting, g.api_person, data.get("subject_type"), data.get("subject_id"),
                                      data.get("text"), data.get("parent_id"))
    return jsonify(comment_json(comment)), 201


@route("/comments/<id:comment_id>/hide", "POST", action="comment.moderate",
       summary="Hide a comment, with the reason (the chair): its text stays stored and goes into the audit log",
       body=obj({"reason": text(operations.MAX_HIDE_REASON)}), response=COMMENT,
       errors=(400, 401, 403, 404, 409, 413, 422))
def comments_hide(comment_id):
    data = json_body()
    return jsonify(comment_json(operations.hide_comment(g.comment, g.api_person, data.get("reason"))))


@route("/comments/<id:comment_id>/unhide", "POST", action="comment.moderate",
       summary="Show a hidden comment again (the chair)", response=COMMENT, errors=(401, 403, 404, 409))
def comments_unhide(comment_id):
    return jsonify(comment_json(operations.unhide_comment(g.comment, g.api_person)))

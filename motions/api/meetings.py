"""Auth, meetings, people and attendance."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from motions import audit
from motions.api import MAX_INT, ApiError, json_body, route
from motions.api.schemas import (ATTENDANCE, AUDIT_ENTRY, MEETING, MEMBER, NO_NUL, PERSON, B, S, audit_entry_json,
                                 integer, iso, meeting_json, member_json, obj, person_json, string, text)
from motions.auth import operations as auth_ops
from motions.meetings import delegate_csv, operations
from motions.permissions import allowed


@route("/auth/token", "POST", action="public", summary="Exchange email and password for a bearer token",
       body=obj({"email": string(minLength=1), "password": string(minLength=1)}),
       response=obj({"token": S, "person": PERSON}),
       errors=(400, 401, 413, 422, 429))  # 429: too many failed sign-ins (motions/auth/ratelimit.py)
def token():
    data = json_body()
    fields = {k: _("Required.") for k in ("email", "password") if not isinstance(data.get(k), str) or not data.get(k)}
    if fields:
        raise ApiError(422, _("Send your email and password."), "validation_failed", fields)
    person = auth_ops.authenticate(data["email"], data["password"])
    if person is None:
        raise ApiError(401, _("The email or the password is wrong."), "invalid_credentials")
    return jsonify({"token": auth_ops.issue_token(person), "person": person_json(person)})


MEETING_IN = obj({"slug": {"type": "string", "pattern": operations.SLUG.pattern, "maxLength": 64},
                  "title": text(300), "seconders_required": integer(0, 100),
                  "quorum": {"type": ["string", "integer", "null"], "minimum": 0, "maximum": MAX_INT,
                             "pattern": NO_NUL},
                  "casting_vote": B, "self_checkin": B, "line_width": integer(20, 200),
                  "numbering": {"type": "string", "enum": ["sequential", "by_line"]}}, ["slug", "title"])


@route("/meetings", "POST", action="organiser", summary="Create a meeting (organisers)", body=MEETING_IN,
       response=MEETING, status=201, errors=(400, 401, 403, 413, 422))
def create_meeting():
    data = json_body(precheck=lambda d: operations.validate_settings(d, creating=True))
    meeting = operations.create_meeting(data, creator=g.api_person)
    return jsonify(meeting_json(meeting)), 201


@route("/meetings/<slug>", "GET", action="meeting.view", summary="A meeting, its settings and documents",
       response=MEETING, errors=(401, 403, 404))
def get_meeting(slug):
    return jsonify(meeting_json(g.meeting))


PERSON_IN = obj({"name": text(200),
                 "email": {"type": "string", "pattern": delegate_csv.EMAIL.pattern, "maxLength": 254},
                 "password": string(minLength=8, maxLength=200), "organisation": string(maxLength=200),
                 "roles": {"type": "array", "minItems": 1,
                           "items": {"type": "string", "enum": ["delegate", "chair", "secretary", "organiser"]}},
                 "vote_weight": integer(0, delegate_csv.MAX_WEIGHT)}, ["name", "email", "roles"])


@route("/meetings/<slug>/people", "POST", action="people.add", summary="Add (or update) a person in the meeting",
       body=PERSON_IN, response=MEMBER, status=201, errors=(400, 401, 403, 404, 413, 422))
def add_person(slug):
    data = json_body(precheck=operations.validate_person)  # roles is required by the schema
    membership = operations.add_person(g.meeting, data)
    return jsonify(member_json(membership)), 201


@route("/meetings/<slug>/people", "GET", action="people.view", summary="The meeting's people",
       response={"type": "array", "items": MEMBER}, errors=(401, 403, 404))
def list_people(slug):
    return jsonify([member_json(m) for m in operations.members(g.meeting)])


@route("/meetings/<slug>/attendance", "POST", action=None,
       summary="Mark a person present or absent (chair, secretary); without person_id: check yourself in",
       body=obj({"person_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_INT}, "present": B},
                ["present"]), response=ATTENDANCE,
       errors=(400, 401, 403, 404, 409, 413, 422))
def attendance(slug):
    data = json_body()  # types checked against the schema: present a boolean, person_id an integer
    meeting = g.meeting
    present = data["present"]
    person_id = data.get("person_id")
    if person_id is None or (g.membership is not None and person_id == g.membership.person_id):
        # yourself: chairs and secretaries may always mark themselves; delegates only where
        # the meeting allows self check-in (409 otherwise)
        if allowed(g.roles, "attendance.mark"):
            membership = operations.set_attendance(meeting, g.membership, present, by=g.api_person)
        elif allowed(g.roles, "attendance.self"):
            membership = operations.check_in_self(meeting, g.membership, present)
        else:
            raise ApiError(403, _("Your role in this meeting does not allow this."), "forbidden")
    else:
        if not allowed(g.roles, "attendance.mark"):
            raise ApiError(403, _("Your role in this meeting does not allow this."), "forbidden")
        membership = operations.get_membership(meeting, person_id)
        operations.set_attendance(meeting, membership, present, by=g.api_person)
    counts = operations.attendance_counts(meeting)
    return jsonify({"person_id": membership.person_id, "present": membership.present,
                    "present_since": iso(membership.present_since), "present_count": counts["present"],
                    "registered": counts["registered"], "quorum_needed": counts["needed"],
                    "quorum_met": counts["quorum_met"]})


AUDIT_QUERY = [{"name": "after", "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT}}]


@route("/meetings/<slug>/audit", "GET", action="audit.view",
       summary="The meeting's audit log in order (chair, secretary); ?after=N: only the entries after entry N",
       query=AUDIT_QUERY, response={"type": "array", "items": AUDIT_ENTRY}, errors=(401, 403, 404, 422))
def audit_log(slug):
    raw = request.args.get("after")
    after = None
    if raw is not None and raw != "":
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_INT:
            raise ApiError(422, _("Some fields need correcting."), "validation_failed",
                           {"after": _("Enter a whole number, 0 or more.")})
        after = int(raw)
    return jsonify([audit_entry_json(e) for e in audit.entries(g.meeting.id, after=after)])

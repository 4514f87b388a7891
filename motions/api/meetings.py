"""Auth, meetings, people and attendance."""
from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _

from motions.api import ApiError, json_body, route
from motions.api.schemas import (ATTENDANCE, MEETING, MEMBER, PERSON, B, I, NS, S, iso, meeting_json,
                                 member_json, obj, person_json)
from motions.auth import operations as auth_ops
from motions.meetings import operations
from motions.permissions import allowed


@route("/auth/token", "POST", action="public", summary="Exchange email and password for a bearer token",
       body=obj({"email": S, "password": S}), response=obj({"token": S, "person": PERSON}), errors=(400, 401))
def token():
    data = json_body()
    fields = {k: _("Required.") for k in ("email", "password") if not isinstance(data.get(k), str) or not data.get(k)}
    if fields:
        raise ApiError(422, _("Send your email and password."), "validation_failed", fields)
    person = auth_ops.authenticate(data["email"], data["password"])
    if person is None:
        raise ApiError(401, _("The email or the password is wrong."), "invalid_credentials")
    return jsonify({"token": auth_ops.issue_token(person), "person": person_json(person)})


MEETING_IN = obj({"slug": S, "title": S, "seconders_required": I, "quorum": {"type": ["string", "integer", "null"]},
                  "casting_vote": B, "self_checkin": B, "line_width": I,
                  "numbering": {"type": "string", "enum": ["sequential", "by_line"]}}, ["slug", "title"])


@route("/meetings", "POST", action="organiser", summary="Create a meeting (organisers)", body=MEETING_IN,
       response=MEETING, status=201, errors=(400, 401, 403, 422))
def create_meeting():
    data = json_body()
    meeting = operations.create_meeting(data, creator=g.api_person)
    return jsonify(meeting_json(meeting)), 201


@route("/meetings/<slug>", "GET", action="meeting.view", summary="A meeting, its settings and documents",
       response=MEETING, errors=(401, 403, 404))
def get_meeting(slug):
    return jsonify(meeting_json(g.meeting))


PERSON_IN = obj({"name": S, "email": S, "password": S, "organisation": S,
                 "roles": {"type": "array", "items": {"type": "string",
                                                      "enum": ["delegate", "chair", "secretary", "organiser"]}},
                 "vote_weight": I}, ["name", "email", "roles"])


@route("/meetings/<slug>/people", "POST", action="people.add", summary="Add (or update) a person in the meeting",
       body=PERSON_IN, response=MEMBER, status=201, errors=(400, 401, 403, 404, 422))
def add_person(slug):
    data = json_body()
    if "roles" not in data:
        raise ApiError(422, _("Some details of this person need correcting."), "validation_failed",
                       {"roles": _("Roles are one or more of delegate, chair, secretary and organiser.")})
    membership = operations.add_person(g.meeting, data)
    return jsonify(member_json(membership)), 201


@route("/meetings/<slug>/people", "GET", action="people.view", summary="The meeting's people",
       response={"type": "array", "items": MEMBER}, errors=(401, 403, 404))
def list_people(slug):
    return jsonify([member_json(m) for m in operations.members(g.meeting)])


@route("/meetings/<slug>/attendance", "POST", action=None,
       summary="Mark a person present or absent (chair, secretary); without person_id: check yourself in",
       body=obj({"person_id": I, "present": B}, ["present"]), response=ATTENDANCE,
       errors=(400, 401, 403, 404, 409, 422))
def attendance(slug):
    data = json_body()
    meeting = g.meeting
    present = data.get("present", True)
    if not isinstance(present, bool):
        raise ApiError(422, _("Say whether the person is present."), "validation_failed",
                       {"present": _("Answer true or false.")})
    person_id = data.get("person_id")
    if person_id is None or (g.membership and person_id == g.membership.person_id and not allowed(g.roles, "attendance.mark")):
        if not allowed(g.roles, "attendance.self"):
            raise ApiError(403, _("Your role in this meeting does not allow this."), "forbidden")
        membership = operations.check_in_self(meeting, g.membership, present)
    else:
        if not allowed(g.roles, "attendance.mark"):
            raise ApiError(403, _("Your role in this meeting does not allow this."), "forbidden")
        if isinstance(person_id, bool) or not isinstance(person_id, int):
            raise ApiError(422, _("person_id must be a person's id."), "validation_failed",
                           {"person_id": _("Enter a whole number.")})
        membership = operations.get_membership(meeting, person_id)
        operations.set_attendance(meeting, membership, present)
    counts = operations.attendance_counts(meeting)
    return jsonify({"person_id": membership.person_id, "present": membership.present,
                    "present_since": iso(membership.present_since), "present_count": counts["present"],
                    "registered": counts["registered"]})

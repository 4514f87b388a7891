"""Elections (issue 7): set up, nominations and seconders, withdrawals, open and close the ballots,
secret ranked or marked ballots (and proxies), the count stage by stage, void, BLT import and export.

A ballot is always secret: nothing here says who chose what (the receipt names no candidate, and
an election shows only turnout and, once counted, the result)."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from motions.api import MAX_INT, ApiError, json_body, route
from motions.api.schemas import B, I, NI, NS, S, iso, obj, string
from motions.elections import operations, reading
from motions.elections.models import METHODS
from motions.errors import ValidationFailed

ID = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
NULL_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_INT}
PERSON_NAME = obj({"id": I, "name": S})
STRINGS = {"type": "array", "items": S}
IDS = {"type": "array", "items": I}

CANDIDATE = obj({
    "id": I, "election_id": I, "person_id": NI, "name": S, "organisation": S, "statement": S, "in_group": B,
    "state": {"type": "string", "enum": ["nominated", "standing", "withdrawn"]}, "position": NI,
    "nominated_by": {"oneOf": [PERSON_NAME, {"type": "null"}]}, "seconders": {"type": "array", "items": PERSON_NAME},
    "seconders_needed": I,
})

STAGE = obj({"number": I, "action": S, "subject": NI, "votes": STRINGS, "transfers": STRINGS,
             "non_transferable": S, "loss": S, "elected": IDS, "excluded": IDS, "note": S})
COUNT = obj({
    "part": {"type": "string", "enum": ["all", "reserved", "general"]},
    "kind": {"type": "string", "enum": ["stv", "tally"]},
    "seats": I, "valid": S, "invalid": I, "candidate_ids": IDS, "notes": STRINGS,
    "table": {"type": "array", "items": STRINGS},
    "quota": NS,  # STV: the quota (Meek: the final one); null for approval and plurality
    "stages": {"type": "array", "items": STAGE},  # STV only; [] for approval and plurality
    "votes": {"type": ["array", "null"], "items": I},  # approval and plurality: marks per candidate
    "elected": IDS,
})
RESULT = {"type": ["object", "null"], "properties": {
    "method": {"type": "string", "enum": list(METHODS)}, "seed": S, "papers": I, "valid": I, "invalid": I,
    "error": NS, "elected": {"type": "array", "items": obj({"candidate_id": I, "name": S, "reserved": B})},
    "counts": {"type": "array", "items": COUNT}},
    "required": ["method", "seed", "papers", "valid", "invalid", "error", "elected", "counts"]}

ELECTION = obj({
    "id": I, "title": S, "seats": I, "method": {"type": "string", "enum": list(METHODS)},
    "state": {"type": "string", "enum": ["draft", "nominating", "nominations_closed", "open", "closed", "void"]},
    "reserved_seats": I, "reserved_group": S, "nominations_close_at": NS, "nominations_open": B,
    "rule": S, "reserved_rule": S, "candidates": {"type": "array", "items": CANDIDATE},
    "voted": I, "entitled": I, "quorum_met": {"type": ["boolean", "null"]}, "imported": B,
    "opened_at": NS, "closed_at": NS, "void_reason": S, "result": RESULT,
    "you": obj({"can_nominate": B, "can_vote": B, "present": B, "votes": {"type": "array", "items": obj(
        {"voter_id": I, "name": S, "own": B, "voted": B})}}),
})


def _person(person) -> dict | None:
    return None if person is None else {"id": person.id, "name": person.name}


def candidate_json(candidate, seconders_needed: int) -> dict:
    return {"id": candidate.id, "election_id": candidate.election_id, "person_id": candidate.person_id,
            "name": candidate.name, "organisation": candidate.organisation or "",
            "statement": candidate.statement or "", "in_group": bool(candidate.in_group),
            "state": candidate.state.value, "position": candidate.position,
            "nominated_by": _person(candidate.nominated_by),
            "seconders": [_person(s.person) for s in candidate.seconders], "seconders_needed": seconders_needed}


def election_json(election, person=None) -> dict:
    v = reading.view(election, person)
    return {
        "id": election.id, "title": election.title, "seats": election.seats, "method": election.method,
        "state": election.state.value, "reserved_seats": election.reserved_seats or 0,
        "reserved_group": election.reserved_group or "", "nominations_close_at": iso(election.nominations_close_at),
        "nominations_open": v.nominations_open, "rule": v.rule, "reserved_rule": v.reserved_rule,
        # on the ballot paper in its order, then those waiting for seconders, then the withdrawn
        "candidates": [candidate_json(c, v.seconders_needed) for c in v.standing + v.waiting + v.withdrawn],
        "voted": v.voted, "entitled": v.entitled, "quorum_met": election.quorum_met,
        "imported": bool(election.imported), "opened_at": iso(election.opened_at),
        "closed_at": iso(election.closed_at), "void_reason": election.void_reason or "",
        "result": reading.result_json(election),
        "you": {"can_nominate": v.can_nominate, "can_vote": v.can_vote, "present": v.present,
                "votes": [{"voter_id": e.voter_id, "name": e.name, "own": e.own, "voted": e.voted} for e in v.mine]},
    }


def _election(election, status: int = 200):
    return jsonify(election_json(election, g.api_person)), status


def _candidate(candidate, status: int = 200):
    return jsonify(candidate_json(candidate, operations.seconders_needed(candidate))), status


def _optional_body() -> dict:
    """A body that may be left out altogether (POST .../open)."""
    return json_body() if request.get_data(cache=True).strip() else {}


# ------------------------------------------------------------------ setting up

SETTINGS = {
    "title": string(maxLength=operations.MAX_TITLE),
    "seats": {"type": "integer", "minimum": 1, "maximum": operations.MAX_SEATS},
    "method": {"type": "string", "enum": list(METHODS)},
    "reserved_seats": {"type": "integer", "minimum": 0, "maximum": operations.MAX_SEATS},
    "reserved_group": string(maxLength=operations.MAX_GROUP),
    # ISO 8601 ("2026-12-06T15:30", "2026-12-06T15:30:00+01:00"); without a zone: UTC; null: none
    "nominations_close_at": {"type": ["string", "null"], "pattern": r"^[^\u0000]*$"},
}


def _check_settings(current: dict):
    """json_body's precheck: the operation's own checks of the settings, so that one 422 names
    every field to correct (those of the wrong type as well as, say, a seat count of 0)."""
    def check(data: dict) -> None:
        fields: dict[str, str] = {}
        operations._settings(g.meeting, fields, **{**current, **{k: v for k, v in data.items() if k in SETTINGS}})
        if fields:
            raise ValidationFailed(_("Some fields need correcting."), fields=fields)

    return check


NEW = {"title": None, "seats": None, "method": None, "reserved_seats": 0, "reserved_group": "",
       "nominations_close_at": None}


@route("/meetings/<slug>/elections", "GET", action="election.view", summary="The meeting's elections, newest first",
       response={"type": "array", "items": ELECTION}, errors=(401, 403, 404))
def list_elections(slug):
    return jsonify([election_json(e, g.api_person) for e in operations.elections(g.meeting)])


@route("/meetings/<slug>/elections", "POST", action="election.manage",
       summary="Create an election (state draft): seats, method (scottish, meek, approval, plurality), "
               "reserved seats for a group, the end of the nomination period",
       body=obj(SETTINGS, ["title", "seats", "method"]), response=ELECTION, status=201,
       errors=(400, 401, 403, 404, 413, 422))
def create_election(slug):
    data = json_body(_check_settings(NEW))
    election = operations.create_election(g.meeting, g.api_person, title=data.get("title"), seats=data.get("seats"),
                                          method=data.get("method"), reserved_seats=data.get("reserved_seats", 0),
                                          reserved_group=data.get("reserved_group", ""),
                                          nominations_close_at=data.get("nominations_close_at"))
    return _election(election, 201)


@route("/elections/<id:election_id>", "GET", action="election.view",
       summary="One election: its candidates, turnout, and once counted the result stage by stage "
               "(a ballot is secret: nothing says who chose what)",
       response=ELECTION, errors=(401, 403, 404))
def get_election(election_id):
    return _election(g.election)


@route("/elections/<id:election_id>/settings", "POST", action="election.manage",
       summary="Change the title, seats, method, reserved seats or nomination deadline (until the ballots open); "
               "fields left out keep their value",
       body=obj(SETTINGS, []), response=ELECTION, errors=(400, 401, 403, 404, 409, 413, 422))
def election_settings(election_id):
    e = g.election
    data = json_body(_check_settings({"title": e.title, "seats": e.seats, "method": e.method,
                                      "reserved_seats": e.reserved_seats, "reserved_group": e.reserved_group,
                                      "nominations_close_at": e.nominations_close_at}))
    return _election(operations.update_election(g.election, g.api_person,
                                                **{k: v for k, v in data.items() if k in SETTINGS}))


@route("/elections/<id:election_id>/nominations/open", "POST", action="election.manage",
       summary="Open nominations: delegates nominate and second until they close (or the deadline passes)",
       response=ELECTION, errors=(401, 403, 404, 409))
def open_nominations(election_id):
    return _election(operations.open_nominations(g.election, g.api_person))


@route("/elections/<id:election_id>/nominations/close", "POST", action="election.manage",
       summary="Close nominations: the candidates standing are the ballot paper's (they may still withdraw)",
       response=ELECTION, errors=(401, 403, 404, 409))
def close_nominations(election_id):
    return _election(operations.close_nominations(g.election, g.api_person))


# ------------------------------------------------------------------ candidates

@route("/elections/<id:election_id>/candidates", "POST", action="election.nominate",
       summary="Nominate a candidate: a delegate nominates a member of the meeting (person_id) while nominations "
               "are open, and the nomination stands once seconded as the meeting requires; the chair enters "
               "anyone (person_id or name) until the ballots open, standing at once",
       body=obj({"person_id": NULL_ID, "name": string(maxLength=operations.MAX_NAME),
                 "organisation": string(maxLength=operations.MAX_NAME),
                 "statement": string(maxLength=operations.MAX_STATEMENT), "in_group": B}, []),
       response=CANDIDATE, status=201, errors=(400, 401, 403, 404, 409, 413, 422))
def nominate_candidate(election_id):
    data = json_body()
    candidate = operations.nominate(g.election, g.api_person, person_id=data.get("person_id"), name=data.get("name"),
                                    organisation=data.get("organisation"), statement=data.get("statement", ""),
                                    in_group=data.get("in_group", False))
    return _candidate(candidate, 201)


@route("/candidates/<id:candidate_id>/second", "POST", action="election.second",
       summary="Second a nomination (delegates, not the nominator or the candidate) while nominations are open",
       response=CANDIDATE, errors=(401, 403, 404, 409))
def second_candidate(candidate_id):
    return _candidate(operations.second(g.candidate, g.api_person))


@route("/candidates/<id:candidate_id>/withdraw", "POST", action="candidate.change",
       summary="Withdraw a candidate (the candidate, their nominator or the chair) until the ballots open",
       response=CANDIDATE, errors=(401, 403, 404, 409))
def withdraw_candidate(candidate_id):
    return _candidate(operations.withdraw(g.candidate, g.api_person))


@route("/candidates/<id:candidate_id>", "PATCH", action="candidate.change",
       summary="Change a nomination until the ballots open: the statement and the group (the candidate, their "
               "nominator or the chair), the name and organisation (the chair)",
       body=obj({"statement": string(maxLength=operations.MAX_STATEMENT), "in_group": B,
                 "name": string(maxLength=operations.MAX_NAME), "organisation": string(maxLength=operations.MAX_NAME)},
                []),
       response=CANDIDATE, errors=(400, 401, 403, 404, 409, 413, 422))
def edit_candidate(candidate_id):
    data = json_body()
    return _candidate(operations.edit_candidate(g.candidate, g.api_person, statement=data.get("statement"),
                                                in_group=data.get("in_group"), name=data.get("name"),
                                                organisation=data.get("organisation")))


# ------------------------------------------------------------------ the ballots

@route("/elections/<id:election_id>/open", "POST", action="election.manage",
       summary="Open the ballots (nominations closed, enough candidates); without a quorum, send "
               "confirm_without_quorum=true",
       body=obj({"confirm_without_quorum": B}, []), response=ELECTION, errors=(400, 401, 403, 404, 409, 413, 422))
def open_ballots(election_id):
    data = _optional_body()
    return _election(operations.open_ballots(g.election, g.api_person,
                                             confirm_without_quorum=bool(data.get("confirm_without_quorum", False))))


@route("/elections/<id:election_id>/close", "POST", action="election.manage",
       summary="Close the ballots and count them: the result, stage by stage",
       response=ELECTION, errors=(401, 403, 404, 409))
def close_ballots(election_id):
    return _election(operations.close_ballots(g.election, g.api_person))


@route("/elections/<id:election_id>/void", "POST", action="election.manage",
       summary="Void the election with a reason (kept, marked void, not counted)",
       body=obj({"reason": string(minLength=1, maxLength=operations.MAX_REASON)}), response=ELECTION,
       errors=(400, 401, 403, 404, 409, 413, 422))
def void_election(election_id):
    data = json_body()
    return _election(operations.void_election(g.election, g.api_person, data.get("reason")))


def _voter_scope(kwargs: dict, person_id: int) -> tuple[str, ...]:
    """The ballot route's scope in one statement: the election, and the voter's membership and roles."""
    g.voter = operations.voter(kwargs["election_id"], person_id)
    if g.voter is None:
        raise ApiError(404, _("There is no such election."), "not_found")
    return g.voter.roles


BALLOT = obj({"election_id": I, "voter_id": I, "on_behalf_of": NI})


@route("/elections/<id:election_id>/ballots", "POST", action="election.vote",
       summary="Cast a secret ballot (present delegates; a proxy holder also with on_behalf_of): the candidates' "
               "ids in order of preference (approval and plurality: the candidates marked); [] is an empty ballot, "
               "counted as invalid. 201 means it is stored; the receipt names no candidate",
       body=obj({"preferences": {"type": "array", "items": ID, "maxItems": operations.MAX_CANDIDATES,
                                 "uniqueItems": True},
                 "on_behalf_of": NULL_ID}, ["preferences"]),
       response=BALLOT, status=201, errors=(400, 401, 403, 404, 409, 413, 422), lean_scope=_voter_scope)
def election_ballot(election_id):
    data = json_body()
    preferences = data.get("preferences")
    if isinstance(preferences, list):  # a whole number written as a decimal is an integer (JSON Schema)
        preferences = [int(p) if isinstance(p, float) and p.is_integer() and abs(p) <= MAX_INT else p
                       for p in preferences]
    receipt = operations.cast_ballot(election_id, g.api_person_id, preferences, data.get("on_behalf_of"),
                                     context=g.voter)
    return jsonify(receipt), 201


@route("/elections/<id:election_id>/ballots", "GET", action="election.view",
       summary="The counted election's ballot papers as a BLT file (anonymous, candidates in ballot order): "
               "the count can be repeated by any program that reads BLT",
       response={"type": "string"}, media="text/plain", errors=(401, 403, 404, 409))
def export_ballots(election_id):
    from motions.exports.reading import ballots_file
    from motions.exports.views import send

    return send(ballots_file(g.election))


@route("/elections/<id:election_id>/ballots/import", "POST", action="election.manage",
       summary="Import ballot papers counted elsewhere as a BLT file ({blt: the file's text}), before the ballots "
               "open: the election is counted and closed. A malformed file is a 422 naming the line",
       body=obj({"blt": string()}), response=ELECTION, errors=(400, 401, 403, 404, 409, 413, 422))
def import_ballots(election_id):
    data = json_body()
    try:
        election = operations.import_blt(g.election, g.api_person, data.get("blt"))
    except ValidationFailed as error:
        # the operation names the page's upload field ("file"); here the file is the body's "blt"
        if "file" in error.fields:
            error.fields["blt"] = error.fields.pop("file")
        raise
    return _election(election)

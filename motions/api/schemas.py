"""JSON shapes: the serialisers and their JSON Schemas for the OpenAPI description, side by side."""
from __future__ import annotations


def iso(dt) -> str | None:
    if dt is None:
        return None
    from datetime import timezone

    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


S = {"type": "string"}
I = {"type": "integer"}
B = {"type": "boolean"}
NS = {"type": ["string", "null"]}
NI = {"type": ["integer", "null"]}
DT = {"type": "string", "format": "date-time"}


NO_NUL = r"^[^\u0000]*$"  # no database stores NUL characters: they are refused with 422


def string(**constraints) -> dict:
    return {"type": "string", "pattern": NO_NUL, **constraints}


def text(max_length: int, min_length: int = 1) -> dict:
    """A string with something in it besides spaces (as the operations check), at most max_length long."""
    return {"type": "string", "minLength": min_length, "maxLength": max_length,
            "pattern": r"^[^\u0000]*[^\u0000\s][^\u0000]*$"}


def integer(minimum: int, maximum: int) -> dict:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def obj(props: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": props, "required": required if required is not None else list(props)}


ERROR = obj({"error": obj({"code": S, "message": S, "fields": {"type": "object", "additionalProperties": S}})})

PERSON = obj({"id": I, "name": S, "email": S, "organisation": S, "is_organiser": B})


def person_json(person) -> dict:
    return {"id": person.id, "name": person.name, "email": person.email, "organisation": person.organisation or "",
            "is_organiser": bool(person.is_organiser)}


MEMBER = obj({"id": I, "name": S, "email": S, "organisation": S, "roles": {"type": "array", "items": S},
              "vote_weight": I, "present": B})


def member_json(m) -> dict:
    return {"id": m.person.id, "name": m.person.name, "email": m.person.email,
            "organisation": m.person.organisation or "", "roles": m.roles, "vote_weight": m.vote_weight,
            "present": m.present}


MEETING = obj({"id": I, "slug": S, "title": S, "state": S, "seconders_required": I, "quorum": NS,
               "casting_vote": B, "self_checkin": B, "line_width": I, "numbering": S, "created_at": DT,
               "documents": {"type": "array", "items": obj({"id": I, "title": S, "kind": S, "state": S,
                                                              "version": I})}})


def meeting_json(meeting) -> dict:
    return {"id": meeting.id, "slug": meeting.slug, "title": meeting.title, "state": meeting.state.value,
            "seconders_required": meeting.seconders_required, "quorum": meeting.quorum,
            "casting_vote": meeting.casting_vote, "self_checkin": meeting.self_checkin,
            "line_width": meeting.line_width, "numbering": meeting.numbering.value,
            "created_at": iso(meeting.created_at),
            "documents": [{"id": d.id, "title": d.title, "kind": d.kind.value, "state": d.state.value,
                           "version": d.current_version} for d in meeting.documents]}


ATTENDANCE = obj({"person_id": I, "present": B, "present_since": {"type": ["string", "null"]},
                  "present_count": I, "registered": I})

CLAUSE = obj({"id": I, "number": S, "heading": NS, "text": S, "first_line": I, "last_line": I, "kind": S,
              "level": I})


def clause_json(ct) -> dict:
    return {"id": ct.clause_id, "number": ct.number, "heading": ct.heading, "text": ct.text,
            "first_line": ct.first_line, "last_line": ct.last_line, "kind": ct.kind, "level": ct.level}


DOCUMENT = obj({"id": I, "meeting": S, "title": S, "kind": S, "state": S, "format": S, "version": I,
                "line_width": I, "created_at": DT, "clauses": {"type": "array", "items": CLAUSE}})


def document_json(document, version) -> dict:
    return {"id": document.id, "meeting": document.meeting.slug, "title": document.title,
            "kind": document.kind.value, "state": document.state.value, "format": document.format,
            "version": version.number, "line_width": version.line_width, "created_at": iso(document.created_at),
            "clauses": [clause_json(ct) for ct in version.clause_texts]}


VERSION = obj({"version": I, "created_at": DT, "reason": S, "amendment_id": NI})


def version_json(v) -> dict:
    return {"version": v.number, "created_at": iso(v.created_at), "reason": v.reason, "amendment_id": v.amendment_id}

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
                  "present_count": I, "registered": I, "quorum_needed": NI, "quorum_met": B})

CLAUSE = obj({"id": I, "number": S, "heading": NS, "text": S, "first_line": I, "last_line": I, "kind": S,
              "level": I})


def clause_json(ct) -> dict:
    return {"id": ct.clause_id, "number": ct.number, "heading": ct.heading, "text": ct.text,
            "first_line": ct.first_line, "last_line": ct.last_line, "kind": ct.kind, "level": ct.level}


DOCUMENT = obj({"id": I, "meeting": S, "title": S, "kind": S, "state": S, "format": S, "version": I,
                "current_version": I, "fingerprint": NS, "line_width": I, "created_at": DT,
                "clauses": {"type": "array", "items": CLAUSE}})


def document_json(document, version) -> dict:
    return {"id": document.id, "meeting": document.meeting.slug, "title": document.title,
            "kind": document.kind.value, "state": document.state.value, "format": document.format,
            "version": version.number, "current_version": document.current_version,
            # SHA-256 of the adopted text, once the document is final
            "fingerprint": document.fingerprint, "line_width": version.line_width,
            "created_at": iso(document.created_at),
            "clauses": [clause_json(ct) for ct in version.clause_texts]}


VERSION = obj({"version": I, "created_at": DT, "reason": S, "amendment_id": NI})


def version_json(v) -> dict:
    return {"version": v.number, "created_at": iso(v.created_at), "reason": v.reason, "amendment_id": v.amendment_id}


PERSON_REF = obj({"id": I, "name": S, "organisation": S})


def person_ref(person) -> dict | None:
    if person is None:
        return None
    return {"id": person.id, "name": person.name, "organisation": person.organisation or ""}


EVENT = obj({"at": DT, "action": S, "person": {"oneOf": [PERSON_REF, {"type": "null"}]},
             "from_status": NS, "to_status": NS, "note": S})

OPS = {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "integer", "enum": [-1, 0, 1]}, S],
                                  "minItems": 2, "maxItems": 2}}

AMENDMENT = {
    **obj({"id": I, "number": S, "document_id": I, "clause_id": NI, "clause_number": NS, "kind": S, "status": S,
           "title": S, "reason": S, "mover": {"oneOf": [PERSON_REF, {"type": "null"}]},
           "seconders": {"type": "array", "items": PERSON_REF}, "seconders_required": I, "base_version": I,
           "text": S, "ops": OPS, "summary": S, "conflicts_with": {"type": "array", "items": I},
           "applies_cleanly": B, "first_line": I, "last_line": I, "ruling": S, "composite_id": NI,
           "composited_from": {"type": "array", "items": I}, "revision": I, "created_at": DT, "updated_at": DT,
           "history": {"type": "array", "items": EVENT}}),
}
AMENDMENT["required"] = [k for k in AMENDMENT["properties"] if k != "history"]


def amendment_json(a, reader, *, history: bool = False) -> dict:
    out = {"id": a.id, "number": a.number, "document_id": a.document_id, "clause_id": a.clause_id,
           "clause_number": reader.clause_number(a), "kind": a.kind.value, "status": a.status.value,
           "title": a.title, "reason": a.reason, "mover": person_ref(a.mover),
           "seconders": [person_ref(s.person) for s in a.seconds],
           "seconders_required": reader.document.meeting.seconders_required, "base_version": a.base_version,
           "text": a.text, "ops": [list(op) for op in a.ops], "summary": reader.summary(a),
           "conflicts_with": reader.conflicts_with(a), "applies_cleanly": a.applies_cleanly,
           "first_line": a.first_line, "last_line": a.last_line, "ruling": a.ruling, "composite_id": a.composite_id,
           "composited_from": [o.id for o in a.originals],
           "revision": a.revision, "created_at": iso(a.created_at), "updated_at": iso(a.updated_at)}
    if history:
        out["history"] = [{"at": iso(e.at), "action": e.action, "person": person_ref(e.person),
                           "from_status": e.from_status, "to_status": e.to_status, "note": e.note} for e in a.events]
    return out



AUDIT_ENTRY = obj({"seq": I, "at": DT, "actor": {"oneOf": [obj({"id": NI, "name": S}), {"type": "null"}]},
                   "action": S, "subject": obj({"type": S, "id": NI}), "data": {"type": "object"},
                   "prev_hash": S, "hash": S})


def audit_entry_json(e) -> dict:
    """`at` exactly as the hash covers it (UTC, six decimals), so that a client can check the chain."""
    from motions.audit.chain import format_at

    actor = None if e.actor_id is None and not e.actor_name else {"id": e.actor_id, "name": e.actor_name}
    return {"seq": e.seq, "at": format_at(e.at), "actor": actor, "action": e.action,
            "subject": {"type": e.subject_type, "id": e.subject_id}, "data": e.data, "prev_hash": e.prev_hash,
            "hash": e.hash}

"""Amendments: propose, list, second, withdraw, admit, rule out, composite; and document diffs."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from motions.amendments import operations
from motions.amendments.models import AmendmentStatus
from motions.amendments.reading import Filters, Reader
from motions.api import MAX_INT, ApiError, json_body, route
from motions.api.schemas import AMENDMENT, OPS, amendment_json, obj, string, text
from motions.documents import operations as documents
from motions.forms import version_arg
from motions.text.diff import diff_words

STATUSES = [s.value for s in AmendmentStatus]
KINDS = ["modify", "insert_after", "delete"]

AMENDMENT_IN = obj({
    "clause_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_INT},
    "kind": {"type": "string", "enum": KINDS},
    "text": string(maxLength=operations.MAX_TEXT),
    "title": string(maxLength=operations.MAX_TITLE),
    "reason": string(maxLength=operations.MAX_REASON),
    "base_version": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
}, ["clause_id", "kind"])


def _one(amendment, status: int = 200):
    reader = Reader(g.document)
    return jsonify(amendment_json(amendment, reader, history=True)), status


@route("/documents/<id:document_id>/amendments", "POST", action="amendment.propose",
       summary="Propose an amendment to a clause: its new text (modify), a new clause after it (insert_after) "
               "or its deletion (delete)",
       body=AMENDMENT_IN, response=AMENDMENT, status=201, errors=(400, 401, 403, 404, 409, 413, 422))
def propose(document_id):
    data = json_body(precheck=lambda d: operations.preview(
        g.document, clause_id=d.get("clause_id"), kind=d.get("kind"), text=d.get("text")))
    amendment = operations.propose(g.document, g.api_person, clause_id=data.get("clause_id"), kind=data.get("kind"),
                                   text=data.get("text"), title=data.get("title"), reason=data.get("reason"),
                                   base_version=data.get("base_version"))
    return _one(amendment, 201)


PREVIEW = obj({"ops": OPS, "summary": {"type": "string"}, "conflicts_with": {"type": "array", "items": {"type": "integer"}},
               "first_line": {"type": "integer"}, "last_line": {"type": "integer"}})


@route("/documents/<id:document_id>/amendments/preview", "POST", action="amendment.propose",
       summary="What an amendment would change (redline ops, summary, collisions), without storing it",
       body=AMENDMENT_IN, response=PREVIEW, errors=(400, 401, 403, 404, 409, 413, 422))
def preview(document_id):
    data = json_body()
    done = Reader(g.document).proposal(clause_id=data.get("clause_id"), kind=data.get("kind"), text=data.get("text"),
                                       base_version=data.get("base_version"))
    return jsonify({"ops": done["ops"], "summary": done["summary"], "conflicts_with": [a.id for a in done["collides"]],
                    "first_line": done["first_line"], "last_line": done["last_line"]})


LIST_QUERY = [
    {"name": "status", "in": "query", "required": False, "schema": {"type": "string", "enum": STATUSES}},
    {"name": "clause_id", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
    {"name": "mover_id", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
    {"name": "organisation", "in": "query", "required": False, "schema": {"type": "string"}},
]


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_INT:
        raise ApiError(422, _("Some fields need correcting."), "validation_failed",
                       {name: _("Enter a whole number, 1 or more.")})
    return int(raw)


def filters_from_args() -> Filters:
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(422, _("Some fields need correcting."), "validation_failed",
                       {"status": _("Choose one of: %(choices)s.", choices=", ".join(STATUSES))})
    organisation = request.args.get("organisation") or None
    if organisation is not None and "\x00" in organisation:
        raise ApiError(422, _("Some fields need correcting."), "validation_failed",
                       {"organisation": _("Remove the NUL characters from this text.")})
    return Filters(status=status, clause_id=_int_arg("clause_id"), mover_id=_int_arg("mover_id"),
                   organisation=organisation)


@route("/documents/<id:document_id>/amendments", "GET", action="amendment.view",
       summary="The document's amendments in the order they would be taken (text order)", query=LIST_QUERY,
       response={"type": "array", "items": AMENDMENT}, errors=(401, 403, 404, 422))
def list_amendments(document_id):
    reader = Reader(g.document)
    return jsonify([amendment_json(a, reader) for a in reader.amendments(filters_from_args())])


@route("/amendments/<id:amendment_id>", "GET", action="amendment.view", summary="One amendment with its history",
       response=AMENDMENT, errors=(401, 403, 404))
def get_amendment(amendment_id):
    return _one(g.amendment)


@route("/amendments/<id:amendment_id>/second", "POST", action="amendment.second",
       summary="Second an amendment (a delegate other than its mover)", response=AMENDMENT,
       errors=(401, 403, 404, 409))
def second(amendment_id):
    return _one(operations.second(g.amendment, g.api_person))


@route("/amendments/<id:amendment_id>/unsecond", "POST", action="amendment.second",
       summary="Withdraw your second (while the amendment is submitted)", response=AMENDMENT,
       errors=(401, 403, 404, 409))
def unsecond(amendment_id):
    return _one(operations.unsecond(g.amendment, g.api_person))


@route("/amendments/<id:amendment_id>/withdraw", "POST", action="amendment.move",
       summary="Withdraw an amendment (its mover)", response=AMENDMENT, errors=(401, 403, 404, 409))
def withdraw(amendment_id):
    return _one(operations.withdraw(g.amendment, g.api_person))


REVISE_IN = obj({"text": string(maxLength=operations.MAX_TEXT), "title": string(maxLength=operations.MAX_TITLE),
                 "reason": string(maxLength=operations.MAX_REASON),
                 "base_version": {"type": "integer", "minimum": 1, "maximum": MAX_INT}}, [])


@route("/amendments/<id:amendment_id>/revise", "POST", action="amendment.move",
       summary="Revise an amendment before it is admitted (its mover); the earlier wording is kept and the "
               "seconders are released; fields left out keep their value",
       body=REVISE_IN, response=AMENDMENT, errors=(400, 401, 403, 404, 409, 413, 422))
def revise(amendment_id):
    data = json_body()
    a = g.amendment
    return _one(operations.revise(a, g.api_person, text=data.get("text", a.text), title=data.get("title", a.title),
                                  reason=data.get("reason", a.reason), base_version=data.get("base_version")))


@route("/amendments/<id:amendment_id>/admit", "POST", action="amendment.screen",
       summary="Admit an amendment (the chair; it needs the meeting's number of seconders)", response=AMENDMENT,
       errors=(401, 403, 404, 409))
def admit(amendment_id):
    return _one(operations.admit(g.amendment, g.api_person))


@route("/amendments/<id:amendment_id>/rule-out", "POST", action="amendment.screen",
       summary="Rule an amendment out of order, with the reason (the chair)",
       body=obj({"reason": text(operations.MAX_RULING)}), response=AMENDMENT,
       errors=(400, 401, 403, 404, 409, 413, 422))
def rule_out(amendment_id):
    data = json_body()
    return _one(operations.rule_out(g.amendment, g.api_person, data.get("reason")))


COMPOSITE_IN = obj({
    "amendment_ids": {"type": "array", "minItems": 2, "items": {"type": "integer", "minimum": 1, "maximum": MAX_INT}},
    "text": string(maxLength=operations.MAX_TEXT), "title": string(maxLength=operations.MAX_TITLE),
    "reason": string(maxLength=operations.MAX_REASON)}, ["amendment_ids"])


@route("/meetings/<slug>/composites", "POST", action="amendment.composite",
       summary="Composite several amendments to one clause into one (the originals become composited)",
       body=COMPOSITE_IN, response=AMENDMENT, status=201, errors=(400, 401, 403, 404, 409, 413, 422))
def create_composite(slug):
    data = json_body()
    made = operations.composite(g.meeting, g.api_person, amendment_ids=data.get("amendment_ids"),
                                text=data.get("text"), title=data.get("title"), reason=data.get("reason"))
    g.document = documents.get_document(made.document_id)
    return _one(made, 201)


DIFF_QUERY = [{"name": "from", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
              {"name": "to", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}}]


@route("/documents/<id:document_id>/diff", "GET", action="document.view",
       summary="A word-level diff between two versions of the document (default: the first and the current)",
       query=DIFF_QUERY, response=obj({"from": {"type": "integer"}, "to": {"type": "integer"}, "ops": OPS}),
       errors=(401, 403, 404, 422))
def diff(document_id):
    old = documents.get_version(g.document, version_arg("from") or 1)
    new = documents.get_version(g.document, version_arg("to"))
    ops = diff_words(old.text(), new.text())
    return jsonify({"from": old.number, "to": new.number, "ops": [list(op) for op in ops]})

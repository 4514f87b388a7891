"""Documents, versions and their text."""
from __future__ import annotations

from flask import Response, g, jsonify

from motions.api import json_body, route
from motions.api.schemas import DOCUMENT, VERSION, document_json, obj, text, version_json
from motions.documents import operations
from motions.forms import version_arg

VERSION_QUERY = [{"name": "version", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}}]


DOCUMENT_IN = obj({"title": text(operations.MAX_TITLE), "text": text(operations.MAX_TEXT),
                   "format": {"type": "string", "enum": ["markdown", "text"]},
                   "kind": {"type": "string", "enum": ["platform", "motion"]}}, ["title", "text"])


@route("/meetings/<slug>/documents", "POST", action="document.import",
       summary="Import a document (Markdown or plain text); it is split into numbered clauses",
       body=DOCUMENT_IN, response=DOCUMENT, status=201, errors=(400, 401, 403, 404, 413, 422))
def create_document(slug):
    data = json_body(precheck=lambda d: operations.validate_import(
        d.get("title"), d.get("text"), d.get("format", "markdown"), d.get("kind", "platform")))
    document = operations.import_document(
        g.meeting, title=data.get("title"), text=data.get("text"), format=data.get("format", "markdown"),
        kind=data.get("kind", "platform"), by_id=g.api_person.id)
    return jsonify(document_json(document, document.version())), 201


@route("/documents/<id:document_id>", "GET", action="document.view",
       summary="A document with its clauses, numbers and line numbers", query=VERSION_QUERY, response=DOCUMENT,
       errors=(401, 403, 404, 422))
def get_document(document_id):
    version = operations.get_version(g.document, version_arg())
    return jsonify(document_json(g.document, version))


@route("/documents/<id:document_id>/text", "GET", action="document.view",
       summary="A version of the document reassembled as Markdown", query=VERSION_QUERY,
       response={"type": "string"}, media="text/markdown", errors=(401, 403, 404, 422))
def get_text(document_id):
    version = operations.get_version(g.document, version_arg())
    return Response(version.text(), mimetype="text/markdown")


@route("/documents/<id:document_id>/versions", "GET", action="document.view",
       summary="The document's versions, oldest first", response={"type": "array", "items": VERSION},
       errors=(401, 403, 404))
def get_versions(document_id):
    return jsonify([version_json(v) for v in g.document.versions])


@route("/documents/<id:document_id>/state", "POST", action="document.state",
       summary="Move the document: draft → open → closed → final",
       body=obj({"state": {"type": "string", "enum": ["draft", "open", "closed", "final"]}}), response=DOCUMENT,
       errors=(400, 401, 403, 404, 409, 413, 422))
def set_state(document_id):
    data = json_body()
    document = operations.set_state(g.document, data.get("state"), by=g.api_person)
    return jsonify(document_json(document, document.version()))

"""Exports: a document (or a redline of two versions) as a file, the record of proceedings."""
from __future__ import annotations

from flask import g, request

from motions.api import route
from motions.exports import reading
from motions.exports.render import MEDIA_TYPES
from motions.exports.views import send
from motions.forms import flag_arg, version_arg

BINARY = {"type": "string", "format": "binary"}


EXPORT_QUERY = [
    {"name": "format", "in": "query", "required": True,
     "schema": {"type": "string", "enum": list(reading.FORMATS)},
     "description": "md, txt, html, pdf, docx or odt; with redline=1: html, pdf or docx"},
    {"name": "version", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
     "description": "the version to export (default: the current one)"},
    {"name": "redline", "in": "query", "required": False, "schema": {"type": "string", "enum": ["0", "1"]},
     "description": "1: the changes from version `from` (default 1, the draft) to `version`, word by word"},
    {"name": "from", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
     "description": "with redline=1: the older version (default 1)"},
]


@route("/documents/<id:document_id>/export", "GET", action="document.export",
       summary="The document as a file; with redline=1 the changes between two versions (DOCX: tracked changes)",
       query=EXPORT_QUERY, response=BINARY, media=tuple(dict.fromkeys(MEDIA_TYPES[f] for f in reading.FORMATS)),
       errors=(401, 403, 404, 422))
def export_document(document_id):
    return send(reading.document_file(g.document, request.args.get("format"), version=version_arg(),
                                      redline=flag_arg("redline"), old=version_arg("from")))


@route("/meetings/<slug>/record", "GET", action="record.view",
       summary="The record of proceedings: every amendment, mover, seconders, outcome, vote counts",
       query=[{"name": "format", "in": "query", "required": True,
               "schema": {"type": "string", "enum": list(reading.RECORD_FORMATS)}}],
       response=BINARY, media=tuple(MEDIA_TYPES[f] for f in reading.RECORD_FORMATS), errors=(401, 403, 404, 422))
def get_record(slug):
    return send(reading.record_file(g.meeting, request.args.get("format")))


@route("/elections/<id:election_id>/result", "GET", action="election.view",
       summary="The result sheet of a counted election as a file: CSV (the figures of the count, then every row "
               "of every count's stage-by-stage table) or PDF (A4 landscape); 409 not_counted before the count",
       query=[{"name": "format", "in": "query", "required": True,
               "schema": {"type": "string", "enum": list(reading.SHEET_FORMATS)}, "description": "csv or pdf"}],
       response=BINARY, media=tuple(MEDIA_TYPES[f] for f in reading.SHEET_FORMATS), errors=(401, 403, 404, 409, 422))
def get_election_result(election_id):
    return send(reading.sheet_file(g.election, request.args.get("format")))

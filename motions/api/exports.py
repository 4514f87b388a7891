"""Exports: a document (or a redline of two versions) as a file, the record of proceedings."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from motions.api import ApiError, route
from motions.api.documents import _version_arg
from motions.exports import reading
from motions.exports.render import MEDIA_TYPES
from motions.exports.views import send

BINARY = {"type": "string", "format": "binary"}


def _choice(name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    raw = request.args.get(name, default)
    if raw is not None and raw not in allowed:
        raise ApiError(422, _("Unknown export format “%(format)s”.", format=raw[:40]) if name == "format"
                       else _("Give %(name)s as 0 or 1.", name=name), "validation_failed",
                       {name: _("Choose one of: %(choices)s.", choices=", ".join(allowed))})
    return raw


def _from_arg() -> int | None:
    raw = request.args.get("from")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ApiError(422, _("The version must be a whole number, 1 or more."), "validation_failed",
                       {"from": _("Enter a version number: 1 or more.")})
    return int(raw)


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
    redline = _choice("redline", ("0", "1"), "0") == "1"
    fmt = _choice("format", reading.REDLINE_FORMATS if redline else reading.FORMATS)
    if fmt is None:
        raise ApiError(422, _("Choose an export format."), "validation_failed",
                       {"format": _("Choose one of: %(choices)s.", choices=", ".join(
                           reading.REDLINE_FORMATS if redline else reading.FORMATS))})
    return send(reading.document_file(g.document, fmt, version=_version_arg(), redline=redline, old=_from_arg()))


@route("/meetings/<slug>/record", "GET", action="record.view",
       summary="The record of proceedings: every amendment, mover, seconders, outcome, vote counts",
       query=[{"name": "format", "in": "query", "required": True,
               "schema": {"type": "string", "enum": list(reading.RECORD_FORMATS)}}],
       response=BINARY, media=tuple(MEDIA_TYPES[f] for f in reading.RECORD_FORMATS), errors=(401, 403, 404, 422))
def get_record(slug):
    fmt = _choice("format", reading.RECORD_FORMATS)
    if fmt is None:
        raise ApiError(422, _("Choose an export format."), "validation_failed",
                       {"format": _("Choose one of: %(choices)s.", choices=", ".join(reading.RECORD_FORMATS))})
    return send(reading.record_file(g.meeting, fmt))

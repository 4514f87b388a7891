"""Pages: download a document or a redline as a file, compare two versions, the record of
proceedings. They parse the request, call :mod:`motions.exports.reading` and render."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from motions.access import document_action, meeting_action
from motions.errors import OperationError
from motions.exports import reading
from motions.exports.reading import FORMATS, RECORD_FORMATS, REDLINE_FORMATS, Export
from motions.forms import flag_arg, version_arg

bp = Blueprint("exports", __name__)

FORMAT_NAMES = {"md": "Markdown", "txt": _l("Plain text"), "html": "HTML", "pdf": "PDF", "docx": "Word (DOCX)",
                "odt": "OpenDocument (ODT)", "csv": "CSV", "xlsx": "Excel (XLSX)"}


def send(export: Export) -> Response:
    """The whole file as an attachment (rendered before anything is sent: never half a file)."""
    ascii_name = export.filename.encode("ascii", "replace").decode().replace('"', "")
    # content_type: the media type as it is (mimetype= would add a second "; charset=utf-8")
    return Response(export.body, content_type=export.media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(export.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


def _error(error: OperationError):
    status = error.status or 422
    return render_template("error.html", status=status, title=_("Cannot export"), message=error.message,
                           details=list((error.fields or {}).values())), status


@bp.route("/documents/<id:document_id>/export")
@document_action("document.export")
def export_document(document_id):
    try:
        export = reading.document_file(g.document, request.args.get("format"), version=version_arg(),
                                       redline=flag_arg("redline"), old=version_arg("from"))
    except OperationError as error:
        return _error(error)
    return send(export)


@bp.route("/documents/<id:document_id>/compare")
@document_action("document.export")
def compare(document_id):
    document = g.document
    try:
        redline = reading.redline_export(document, version_arg("from") or 1, version_arg("to"))
    except OperationError as error:
        return _error(error)
    made_by = reading.made_by(document)
    versions = [(v.number, reading.version_label(document, v.number, made_by)) for v in document.versions]
    return render_template("exports/compare.html", meeting=document.meeting, document=document, redline=redline,
                           versions=versions, formats=REDLINE_FORMATS, names=FORMAT_NAMES,
                           changed=sum(1 for c in redline.clauses if c.change != "unchanged"))


@bp.route("/m/<slug>/record")
@meeting_action("record.view")
def record(slug):
    fmt = request.args.get("format")
    if fmt is not None:
        try:
            return send(reading.record_file(g.meeting, fmt))
        except OperationError as error:
            return _error(error)
    data = reading.record_export(g.meeting)
    return render_template("exports/record.html", meeting=g.meeting, record=data, formats=RECORD_FORMATS,
                           names=FORMAT_NAMES, document_formats=FORMATS)

"""The audit log page of a meeting (chair, secretary): the entries, newest first, and whether the chain holds."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, g, render_template, request

from motions import audit
from motions.access import meeting_action
from motions.labels import (AMENDMENT_STATUS_LABELS, ATTENDANCE_LABELS, DOCUMENT_STATE_LABELS,
                            MEETING_STATE_LABELS, label)

bp = Blueprint("audit", __name__)

PAGE = 200

# which labels translate an entry's "from" and "to"
_STATES = {"amendment": AMENDMENT_STATUS_LABELS, "document": DOCUMENT_STATE_LABELS,
           "meeting": MEETING_STATE_LABELS, "attendance": ATTENDANCE_LABELS}


def state_label(action: str, value) -> str:
    return label(_STATES.get(action.split(".")[0], {}), value)


def utc(at: datetime) -> datetime:
    """SQLite gives the UTC wall clock without a zone, PostgreSQL the session's zone: show UTC either way."""
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


@bp.route("/m/<slug>/audit")
@meeting_action("audit.view")
def index(slug):
    meeting = g.meeting
    raw = request.args.get("before")
    before = None
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 2**31 - 1:
            abort(404)
        before = int(raw)
    shown = audit.entries(meeting.id, before=before, limit=PAGE, newest_first=True)
    report = audit.verify_report(meeting.id)
    problem = audit.describe(report.problems[0]) if report.problems else None
    older = shown[-1].seq if shown and shown[-1].seq > 1 else None
    return render_template("audit/index.html", meeting=meeting, entries=shown, total=report.entries,
                           problem=problem, older=older, newest=before is None, state_label=state_label,
                           utc=utc)

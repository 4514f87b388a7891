"""Translatable labels for the values stored in the database (roles, states, kinds)."""
from __future__ import annotations

from motions.i18n import lazy_gettext as _l

ROLE_LABELS = {
    "delegate": _l("delegate"),
    "chair": _l("chair"),
    "secretary": _l("secretary"),
    "organiser": _l("organiser"),
}

DOCUMENT_STATE_LABELS = {
    "draft": _l("draft"),
    "open": _l("open for amendments"),
    "closed": _l("amendments closed"),
    "final": _l("final"),
}

DOCUMENT_KIND_LABELS = {
    "platform": _l("platform"),
    "motion": _l("motion"),
}

MEETING_STATE_LABELS = {
    "preparing": _l("preparing"),
    "in_session": _l("in session"),
    "closed": _l("closed"),
}

# the chair's buttons: (from, to) -> what the button says
MEETING_STATE_MOVES = {
    ("preparing", "in_session"): _l("Open the session"),
    ("in_session", "closed"): _l("Close the session"),
    ("closed", "in_session"): _l("Resume the session"),
}

CLAUSE_KIND_LABELS = {
    "heading": _l("section heading"),
    "paragraph": _l("paragraph"),
    "item": _l("list item"),
}


def label(table: dict, value) -> str:
    value = getattr(value, "value", value)
    return str(table.get(value, value))

AMENDMENT_STATUS_LABELS = {
    "submitted": _l("submitted"),
    "admitted": _l("admitted"),
    "ruled_out": _l("ruled out of order"),
    "withdrawn": _l("withdrawn"),
    "composited": _l("composited"),
    "carried": _l("carried"),
    "lost": _l("lost"),
    "fallen": _l("fallen"),
    "remitted": _l("remitted"),
}

AMENDMENT_KIND_LABELS = {
    "modify": _l("change the clause"),
    "insert_after": _l("insert a new clause after it"),
    "delete": _l("delete the clause"),
}

# one line of an amendment's history
AMENDMENT_EVENT_LABELS = {
    "submitted": _l("submitted"),
    "seconded": _l("seconded"),
    "unseconded": _l("second withdrawn"),
    "revised": _l("revised by the mover"),
    "admitted": _l("admitted by the chair"),
    "ruled_out": _l("ruled out of order"),
    "withdrawn": _l("withdrawn by the mover"),
    "composited": _l("composited into"),
    "composited_from": _l("composite of"),
    "renumbered": _l("renumbered as"),
}

# the audit log: what an entry's action was
AUDIT_ACTION_LABELS = {
    "amendment.submitted": _l("amendment submitted"),
    "amendment.seconded": _l("amendment seconded"),
    "amendment.unseconded": _l("second withdrawn"),
    "amendment.revised": _l("amendment revised"),
    "amendment.withdrawn": _l("amendment withdrawn"),
    "amendment.admitted": _l("amendment admitted"),
    "amendment.ruled_out": _l("amendment ruled out of order"),
    "amendment.composited": _l("amendment composited"),
    "amendment.composite_made": _l("composite amendment made"),
    "attendance.changed": _l("attendance changed"),
    "meeting.state": _l("meeting state changed"),
    "document.state": _l("document state changed"),
    "amendment.decided": _l("amendment decided"),
    "poll.created": _l("poll created"),
    "poll.opened": _l("vote opened"),
    "poll.closed": _l("vote closed and counted"),
    "poll.counted": _l("hand count entered"),
    "poll.casting_vote": _l("casting vote given"),
    "poll.voided": _l("poll voided"),
    "proxy.set": _l("proxy given"),
    "proxy.removed": _l("proxy taken back"),
    "floor.changed": _l("item taken up"),
    "speakers.closed": _l("speakers list closed"),
    "speakers.reopened": _l("speakers list reopened"),
    "speakers.removed": _l("speaker removed"),
    "speakers.speaking_time": _l("speaking time set"),
    "comment.hidden": _l("comment hidden"),
    "comment.unhidden": _l("comment shown again"),
}

ATTENDANCE_LABELS = {
    "present": _l("present"),
    "absent": _l("absent"),
}

# the audit log: what the details of an entry are called (other keys show as they are stored)
AUDIT_DATA_LABELS = {
    "kind": _l("kind"),
    "seconders": _l("seconders"),
    "seconders_released": _l("seconders released"),
    "revision": _l("revision"),
    "reason": _l("reason"),
    "originals": _l("composited from"),
    "composite": _l("composited into"),
    "renumbered": _l("renumbered"),
}


POLL_STATE_LABELS = {
    "draft": _l("draft"),
    "open": _l("open for voting"),
    "closed": _l("closed"),
    "void": _l("void"),
}

MAJORITY_LABELS = {
    "simple": _l("simple majority of votes cast"),
    "two_thirds": _l("two-thirds majority of votes cast"),
    "absolute_present": _l("absolute majority of delegates present"),
    "absolute_entitled": _l("absolute majority of delegates entitled to vote"),
}

# the ballot options of a motion vote; other options are shown as the chair typed them
OPTION_LABELS = {
    "yes": _l("Yes"),
    "no": _l("No"),
    "abstain": _l("Abstain"),
}

OUTCOME_LABELS = {
    "carried": _l("carried"),
    "lost": _l("lost"),
    "tie": _l("tied"),
    "remitted": _l("remitted"),
    "fallen": _l("fallen"),
}

SPEAKER_SIDE_LABELS = {
    "for": _l("for"),
    "against": _l("against"),
    "neutral": _l("to speak"),
    "point_of_order": _l("point of order"),
}

SPEAKER_STATE_LABELS = {
    "waiting": _l("waiting"),
    "speaking": _l("speaking"),
    "spoken": _l("has spoken"),
    "removed": _l("removed"),
}

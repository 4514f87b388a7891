"""Debate operations: the speakers list (ask to speak, withdraw, call, move, remove, close, reopen, the
speaking time) and comments (post, hide, unhide).

The only place that changes speakers lists and comments, and commits. Every refusal is an
OperationError with a translated message, raised before anything is stored (a refusal found after
the list was locked rolls the transaction back). Every change publishes a live event in its own
transaction; the changes that matter to the record (a list closed or reopened, the speaking time,
a speaker removed by the chair, a comment hidden or shown again) are also appended to the audit log.

Concurrency: an operation that changes a list first locks the list's row (an UPDATE that changes
nothing: a row lock on PostgreSQL, the write lock on SQLite), then reads the speakers again, so two
chairs pressing "next" at once take turns and never leave two people speaking. The database keeps
one waiting request per person per list (a partial unique index); a second one is a 409.
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from motions import audit
from motions.auth.models import Person, utcnow
from motions.debate import reading
from motions.debate.models import SIDES, SUBJECTS, Comment, Speaker, SpeakersList
from motions.errors import (
    Forbidden,
    NotFound,
    OperationError,
    StateConflict,
    ValidationFailed,
)
from motions.extensions import db
from motions.live import publish
from motions.meetings.models import Meeting

COMMENT_SUBJECTS = ("amendment", "document")
MAX_COMMENT = 5_000
MAX_HIDE_REASON = 2_000
MAX_SPEAKING_TIME = 3_600  # seconds
MAX_INT = 2**31 - 1
# C0 controls other than TAB and line breaks, DEL, and the C1 controls: never part of a text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LIST = SpeakersList.__table__

UNSET = object()


# ---------------------------------------------------------------- checking input

def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_INT


def check_subject(meeting: Meeting, subject_type, subject_id, allowed: tuple[str, ...] = SUBJECTS) -> tuple[str, int]:
    """The item a speakers list or a comment is about: an amendment or a document of this meeting, or
    the meeting itself (its general business). 422 when the input is malformed, 404 when there is no
    such item in the meeting."""
    from motions.amendments.models import Amendment
    from motions.documents.models import Document

    fields: dict[str, str] = {}
    if subject_type not in allowed:
        fields["subject_type"] = _("Choose one of: %(choices)s.", choices=", ".join(allowed))
    if not _is_id(subject_id):
        fields["subject_id"] = _("Enter a whole number, 1 or more.")
    if fields:
        raise ValidationFailed(_("Say which item this is about."), fields=fields)
    if subject_type == "meeting":
        if subject_id != meeting.id:
            raise NotFound(_("There is no such item in this meeting."))
    elif subject_type == "amendment":
        amendment = db.session.get(Amendment, subject_id)
        if amendment is None or db.session.get(Document, amendment.document_id).meeting_id != meeting.id:
            raise NotFound(_("There is no such amendment in this meeting."))
    else:
        document = db.session.get(Document, subject_id)
        if document is None or document.meeting_id != meeting.id:
            raise NotFound(_("There is no such document in this meeting."))
    return subject_type, subject_id


def _clean_text(value, name: str, limit: int, fields: dict, empty_message: str) -> str:
    """A text of several lines: NFC, line breaks as \\n, trimmed, 1..limit characters, no control characters."""
    if value is not None and not isinstance(value, str):
        fields[name] = _("Enter text.")
        return ""
    value = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value:
        fields[name] = empty_message
    elif len(value) > limit:
        fields[name] = _("This is too long (at most %(n)d characters).", n=limit)
    elif _CONTROL.search(value):
        fields[name] = _("The text must not contain control characters.")
    return value


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


# ---------------------------------------------------------------- the speakers list

def get_speaker(speaker_id) -> Speaker:
    speaker = db.session.get(Speaker, speaker_id) if _is_id(speaker_id) else None
    if speaker is None:
        raise NotFound(_("There is no such request to speak."))
    return speaker


def speaker_in(meeting: Meeting, speaker_id) -> Speaker:
    """A request to speak on one of this meeting's lists (404 otherwise)."""
    speaker = get_speaker(speaker_id)
    if speaker.speakers_list.meeting_id != meeting.id:
        raise NotFound(_("There is no such request to speak."))
    return speaker


def _changed(sl: SpeakersList) -> None:
    publish(sl.meeting_id, "speakers.changed", {"subject_type": sl.subject_type, "subject_id": sl.subject_id})


def _audit(sl: SpeakersList, person: Person | None, action: str, **data) -> None:
    """The audit entry's subject is the item the list is about (the audit page links to it)."""
    if sl.subject_type == "amendment":
        from motions.amendments.models import Amendment

        data = {"number": db.session.get(Amendment, sl.subject_id).number, **data}
    audit.append(sl.meeting_id, person, f"speakers.{action}", sl.subject_type, sl.subject_id,
                 {"list_id": sl.id, **data})


def _lock(sl: SpeakersList) -> list[Speaker]:
    """Take the list's lock for this transaction, then read its state and its speakers afresh."""
    db.session.execute(update(_LIST).where(_LIST.c.id == sl.id).values(closed=_LIST.c.closed))
    db.session.refresh(sl)
    return list(db.session.execute(
        select(Speaker).where(Speaker.list_id == sl.id).order_by(Speaker.position, Speaker.id)
        .execution_options(populate_existing=True)).scalars())


def _fresh(speaker: Speaker, rows: list[Speaker], refusal: str) -> None:
    """The speaker as the locked list has them now: still there, and waiting (else 409 with `refusal`)."""
    if speaker not in rows or speaker.state != "waiting":
        raise StateConflict(refusal, code="not_waiting")


def _waiting(rows: list[Speaker]) -> list[Speaker]:
    """The queue in the order it is taken: points of order first, then by position."""
    return sorted((s for s in rows if s.state == "waiting"),
                  key=lambda s: (s.side != "point_of_order", s.position, s.id))


def _guarded(work):
    """Run `work()`; on a refusal, undo whatever it started (the lock, a new list) and re-raise."""
    try:
        return work()
    except OperationError:
        db.session.rollback()
        raise


def _list_for(meeting: Meeting, subject_type, subject_id, *, create: bool) -> SpeakersList | None:
    """The item's speakers list; made (in the current transaction) when `create` and there is none."""
    subject_type, subject_id = check_subject(meeting, subject_type, subject_id)
    sl = reading.speakers_list(meeting.id, subject_type, subject_id)
    if sl is None and create:
        sl = SpeakersList(meeting_id=meeting.id, subject_type=subject_type, subject_id=subject_id,
                          closed=False, speaking_time=None)
        db.session.add(sl)
        db.session.flush()
    return sl


def _retrying(attempt_once):
    """Two first requests on an item at the same moment both make its list: the unique constraint
    refuses one of them, which then runs again and finds the list."""
    for attempt in range(3):
        try:
            return attempt_once()
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def request_to_speak(meeting: Meeting, person: Person, subject_type, subject_id, side) -> Speaker:
    """A delegate asks to speak for, against, neutrally, or on a point of order (which is taken before
    everyone else waiting and may be raised even when the list is closed)."""
    if side not in SIDES:
        raise ValidationFailed(_("Say whether you want to speak for, against, or on a point of order."),
                               fields={"side": _("Choose one of: %(choices)s.", choices=", ".join(SIDES))})
    check_subject(meeting, subject_type, subject_id)

    def once() -> Speaker:
        def work() -> Speaker:
            sl = _list_for(meeting, subject_type, subject_id, create=True)
            rows = _lock(sl)
            if sl.closed and side != "point_of_order":
                raise StateConflict(_("The speakers list is closed: only a point of order may still be raised."),
                                    code="list_closed")
            if any(s.person_id == person.id and s.state == "waiting" for s in rows):
                raise StateConflict(_("You are already on the speakers list: withdraw that request first."),
                                    code="already_waiting")
            position = max((s.position for s in rows), default=0) + 1
            speaker = Speaker(list_id=sl.id, person_id=person.id, side=side, state="waiting", position=position,
                              requested_at=utcnow())
            db.session.add(speaker)
            db.session.flush()  # the unique index refuses a second waiting request here
            _changed(sl)
            return speaker

        speaker = _guarded(work)
        db.session.commit()  # an IntegrityError here is retried (and then found as a second request)
        return speaker

    try:
        return _retrying(once)
    except IntegrityError:
        raise StateConflict(_("You are already on the speakers list: withdraw that request first."),
                            code="already_waiting") from None


def withdraw_request(speaker: Speaker, person: Person) -> SpeakersList:
    """A delegate takes back their own request while it waits (the request is deleted)."""
    if speaker.person_id != person.id:
        raise Forbidden(_("Only the delegate who asked to speak may withdraw the request."))
    sl = speaker.speakers_list

    def work():
        _fresh(speaker, _lock(sl), _("Only a waiting request can be withdrawn."))
        db.session.delete(speaker)
        _changed(sl)

    _guarded(work)
    _commit()
    return sl


def _start(speaker: Speaker, now) -> None:
    speaker.state, speaker.started_at, speaker.ended_at = "speaking", now, None


def _end(rows: list[Speaker], now) -> Speaker | None:
    current = next((s for s in rows if s.state == "speaking"), None)
    if current is not None:
        current.state, current.ended_at = "spoken", now
    return current


def call_next(meeting: Meeting, person: Person, subject_type, subject_id) -> SpeakersList:
    """The chair calls the next speaker: whoever speaks now has spoken, and the first waiting (points
    of order first) speaks, with the time they started. With nobody waiting the current speaker ends."""
    def work():
        sl = _list_for(meeting, subject_type, subject_id, create=False)
        rows = _lock(sl) if sl is not None else []
        waiting = _waiting(rows)
        if not waiting and not any(s.state == "speaking" for s in rows):
            raise StateConflict(_("Nobody is waiting to speak."), code="nobody_waiting")
        now = utcnow()
        _end(rows, now)
        if waiting:
            _start(waiting[0], now)
        _changed(sl)
        return sl

    sl = _guarded(work)
    _commit()
    return sl


def call(speaker: Speaker, person: Person) -> SpeakersList:
    """The chair gives the floor to one particular waiting speaker (out of turn)."""
    sl = speaker.speakers_list

    def work():
        rows = _lock(sl)
        _fresh(speaker, rows, _("Only a waiting speaker can be called."))
        now = utcnow()
        _end(rows, now)
        _start(speaker, now)
        _changed(sl)

    _guarded(work)
    _commit()
    return sl


def finish(meeting: Meeting, person: Person, subject_type, subject_id) -> SpeakersList:
    """The current speaker's turn ends; nobody else is called."""
    def work():
        sl = _list_for(meeting, subject_type, subject_id, create=False)
        rows = _lock(sl) if sl is not None else []
        if _end(rows, utcnow()) is None:
            raise StateConflict(_("Nobody is speaking."), code="nobody_speaking")
        _changed(sl)
        return sl

    sl = _guarded(work)
    _commit()
    return sl


def move(speaker: Speaker, person: Person, *, direction=None, position=None) -> SpeakersList:
    """The chair moves a waiting speaker up or down the queue, or to a place in it (1: first). Points of
    order always stay before the other speakers: each kind is ordered among its own."""
    fields: dict[str, str] = {}
    if direction is not None and direction not in ("up", "down"):
        fields["direction"] = _("Choose one of: %(choices)s.", choices="up, down")
    if position is not None and not _is_id(position):
        fields["position"] = _("Enter a whole number, 1 or more.")
    if direction is None and position is None and not fields:
        fields["position"] = _("Give the place in the queue (1 is first), or move up or down.")
    if fields:
        raise ValidationFailed(_("Say where the speaker should go."), fields=fields)
    sl = speaker.speakers_list

    def work() -> bool:
        rows = _lock(sl)
        _fresh(speaker, rows, _("Only a waiting speaker can be moved."))
        queue = _waiting(rows)
        points = [s for s in queue if s.side == "point_of_order"]
        others = [s for s in queue if s.side != "point_of_order"]
        group, offset = (points, 0) if speaker.side == "point_of_order" else (others, len(points))
        here = group.index(speaker)
        if position is not None:
            if not offset + 1 <= position <= offset + len(group):
                raise ValidationFailed(_("Say where the speaker should go."), fields={"position": _(
                    "Choose a place from %(first)d to %(last)d.", first=offset + 1, last=offset + len(group))})
            there = position - 1 - offset
        else:
            there = max(0, min(len(group) - 1, here + (-1 if direction == "up" else 1)))
        if there == here:
            return False
        group.insert(there, group.pop(here))
        for number, s in enumerate(points + others, start=1):
            s.position = number
        _changed(sl)
        return True

    if _guarded(work):
        _commit()
    else:
        db.session.rollback()  # nothing to change: let go of the lock
    return sl


def remove(speaker: Speaker, person: Person) -> SpeakersList:
    """The chair takes a speaker off the list (waiting, or speaking: their turn ends). Kept as removed."""
    sl = speaker.speakers_list

    def work():
        if speaker not in _lock(sl) or speaker.state not in ("waiting", "speaking"):
            raise StateConflict(_("This speaker is no longer on the list."), code="not_waiting")
        before = speaker.state
        speaker.state = "removed"
        if before == "speaking":
            speaker.ended_at = utcnow()
        _audit(sl, person, "removed", speaker_id=speaker.id, person_id=speaker.person_id,
               name=speaker.person.name if speaker.person else "", side=speaker.side, was=before)
        _changed(sl)

    _guarded(work)
    _commit()
    return sl


def _check_speaking_time(value) -> int | None:
    if value is None:
        return None
    if not (isinstance(value, int) and not isinstance(value, bool)) or not 0 <= value <= MAX_SPEAKING_TIME:
        raise ValidationFailed(_("The speaking time cannot be set to that."), fields={"speaking_time": _(
            "Give the speaking time in seconds, from 0 (no limit) to %(max)d.", max=MAX_SPEAKING_TIME)})
    return value or None  # 0: no limit


def update_list(meeting: Meeting, person: Person, subject_type, subject_id, *, closed=UNSET,
                speaking_time=UNSET) -> SpeakersList | None:
    """The chair closes or reopens the list, or sets the speaking time (seconds; None or 0: no limit).
    Only what changes is stored (and audited); asking for the state the list is in changes nothing."""
    if closed is not UNSET and not isinstance(closed, bool):
        raise ValidationFailed(_("The speakers list cannot be set to that."),
                               fields={"closed": _("Answer true or false.")})
    if speaking_time is not UNSET:
        speaking_time = _check_speaking_time(speaking_time)
    check_subject(meeting, subject_type, subject_id)

    def once() -> SpeakersList | None:
        def work() -> tuple[SpeakersList, bool]:
            sl = _list_for(meeting, subject_type, subject_id, create=True)
            _lock(sl)
            changed = False
            if closed is not UNSET and closed != sl.closed:
                sl.closed = closed
                _audit(sl, person, "closed" if closed else "reopened")
                changed = True
            if speaking_time is not UNSET and speaking_time != sl.speaking_time:
                before, sl.speaking_time = sl.speaking_time, speaking_time
                _audit(sl, person, "speaking_time", **{"from": before or 0, "to": speaking_time or 0})
                changed = True
            if changed:
                _changed(sl)
            return sl, changed

        sl, changed = _guarded(work)
        if changed:
            _commit()
            return sl
        db.session.rollback()  # nothing changed: not even a new, empty list is kept
        return reading.speakers_list(meeting.id, subject_type, subject_id)

    return _retrying(once)


def close_list(meeting: Meeting, person: Person, subject_type, subject_id) -> SpeakersList | None:
    return update_list(meeting, person, subject_type, subject_id, closed=True)


def reopen_list(meeting: Meeting, person: Person, subject_type, subject_id) -> SpeakersList | None:
    return update_list(meeting, person, subject_type, subject_id, closed=False)


def set_speaking_time(meeting: Meeting, person: Person, subject_type, subject_id, seconds) -> SpeakersList | None:
    return update_list(meeting, person, subject_type, subject_id, speaking_time=seconds)


# ---------------------------------------------------------------- comments

def get_comment(comment_id) -> Comment:
    comment = db.session.get(Comment, comment_id) if _is_id(comment_id) else None
    if comment is None:
        raise NotFound(_("There is no such comment."))
    return comment


def comment_in(meeting: Meeting, comment_id) -> Comment:
    comment = get_comment(comment_id)
    if comment.meeting_id != meeting.id:
        raise NotFound(_("There is no such comment."))
    return comment


def _comment_changed(comment: Comment) -> None:
    publish(comment.meeting_id, "comment.changed", {"subject_type": comment.subject_type,
                                                    "subject_id": comment.subject_id, "comment": comment.id})


def post_comment(meeting: Meeting, person: Person, subject_type, subject_id, text, parent_id=None) -> Comment:
    """A comment on an amendment or a document, or a reply to a comment on the same item."""
    fields: dict[str, str] = {}
    text = _clean_text(text, "text", MAX_COMMENT, fields, _("Write your comment."))
    if parent_id is not None and not _is_id(parent_id):
        fields["parent_id"] = _("Enter a whole number, 1 or more.")
    if fields:
        raise ValidationFailed(_("The comment cannot be posted as it is."), fields=fields)
    subject_type, subject_id = check_subject(meeting, subject_type, subject_id, COMMENT_SUBJECTS)
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or (parent.meeting_id, parent.subject_type, parent.subject_id) != (
                meeting.id, subject_type, subject_id):
            raise ValidationFailed(_("The comment cannot be posted as it is."), fields={
                "parent_id": _("The comment you reply to is not part of this discussion.")})
        if parent.hidden:
            raise StateConflict(_("The chair has hidden this comment: it cannot be answered."),
                                code="comment_hidden")
    comment = Comment(meeting_id=meeting.id, subject_type=subject_type, subject_id=subject_id, parent_id=parent_id,
                      author_id=person.id, text=text, created_at=utcnow(), hidden=False, hidden_reason="")
    db.session.add(comment)
    db.session.flush()
    _comment_changed(comment)
    _commit()
    return comment


def hide_comment(comment: Comment, person: Person, reason) -> Comment:
    """The chair hides a comment, with the reason: everyone then sees "hidden by the chair" and the
    reason. The text stays in the database, and the audit log entry records it too."""
    fields: dict[str, str] = {}
    reason = _clean_text(reason, "reason", MAX_HIDE_REASON, fields, _("Give the reason for hiding the comment."))
    if fields:
        raise ValidationFailed(_("Give the reason for hiding the comment."), fields=fields)
    if comment.hidden:
        raise StateConflict(_("This comment is already hidden."), code="already_hidden")
    comment.hidden, comment.hidden_reason = True, reason
    comment.hidden_by_id, comment.hidden_at = person.id, utcnow()
    author = comment.author
    audit.append(comment.meeting_id, person, "comment.hidden", "comment", comment.id, {
        "subject_type": comment.subject_type, "subject_id": comment.subject_id, "reason": reason,
        "author_id": comment.author_id, "author": author.name if author else "", "text": comment.text})
    _comment_changed(comment)
    _commit()
    return comment


def unhide_comment(comment: Comment, person: Person) -> Comment:
    """The chair shows a hidden comment again."""
    if not comment.hidden:
        raise StateConflict(_("This comment is not hidden."), code="not_hidden")
    reason = comment.hidden_reason
    comment.hidden, comment.hidden_reason, comment.hidden_by_id, comment.hidden_at = False, "", None, None
    audit.append(comment.meeting_id, person, "comment.unhidden", "comment", comment.id, {
        "subject_type": comment.subject_type, "subject_id": comment.subject_id, "hidden_reason": reason})
    _comment_changed(comment)
    _commit()
    return comment


"""Meeting operations: create, settings, people and roles, delegate import, attendance.

The only place that changes meetings and memberships and commits.
"""
from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

from flask_babel import gettext as _

from motions import audit
from motions.auth.models import Person, utcnow
from motions.errors import NotFound, StateConflict, ValidationFailed
from motions.extensions import db
from motions.meetings import delegate_csv
from motions.labels import MEETING_STATE_LABELS, label
from motions.live import publish
from motions.meetings.models import IllegalTransition, Meeting, MeetingState, Membership, Numbering
from motions.permissions import ROLES

def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
EMAIL = delegate_csv.EMAIL


def parse_quorum(value) -> int | Fraction | None:
    """A quorum is a number of delegates ("25") or a fraction of those registered ("1/3", "50%")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError(value)
        return value
    text = str(value).strip()
    if text.endswith("%"):
        frac = Fraction(text[:-1].strip()) / 100
    elif "/" in text:
        frac = Fraction(text)
    else:
        n = int(text)
        if n < 0:
            raise ValueError(value)
        return n
    if not 0 < frac <= 1:
        raise ValueError(value)
    return frac


def quorum_text(value) -> str | None:
    q = parse_quorum(value)
    return None if q is None else str(q)


def get_meeting(slug: str) -> Meeting:
    meeting = db.session.execute(db.select(Meeting).filter_by(slug=slug)).scalar_one_or_none()
    if meeting is None:
        raise NotFound(_("There is no meeting “%(slug)s”.", slug=slug))
    return meeting


def validate_settings(data: dict, *, creating: bool) -> dict:
    """Check meeting fields; returns cleaned values. Raises ValidationFailed with every problem."""
    fields: dict[str, str] = {}
    out: dict = {}
    if creating or "slug" in data:
        slug = (data.get("slug") or "").strip().lower()
        if not isinstance(data.get("slug"), str) or not SLUG.match(slug):
            fields["slug"] = _("Use 3 to 64 lower-case letters, digits and hyphens.")
        elif db.session.execute(db.select(Meeting.id).filter_by(slug=slug)).first():
            fields["slug"] = _("A meeting with this short name already exists.")
        out["slug"] = slug
    if creating or "title" in data:
        title = data.get("title")
        title = nfc(" ".join(title.split())) if isinstance(title, str) else ""
        if not title:
            fields["title"] = _("Give the meeting a title.")
        elif "\x00" in title:  # PostgreSQL cannot store it
            fields["title"] = _("The title must not contain control characters.")
        elif len(title) > 300:
            fields["title"] = _("The title is too long (at most %(n)d characters).", n=300)
        out["title"] = title
    if "seconders_required" in data:
        n = data["seconders_required"]
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100:
            fields["seconders_required"] = _("Enter a whole number from 0 to 100.")
        out["seconders_required"] = n
    if "quorum" in data:
        try:
            out["quorum"] = quorum_text(data["quorum"])
        except (ValueError, ZeroDivisionError, TypeError):
            fields["quorum"] = _("Enter a number of delegates (25), a fraction (1/3) or a percentage (50%), or leave it empty.")
    for flag in ("casting_vote", "self_checkin"):
        if flag in data:
            if not isinstance(data[flag], bool):
                fields[flag] = _("Answer yes or no.")
            out[flag] = data[flag]
    if "line_width" in data:
        w = data["line_width"]
        if isinstance(w, bool) or not isinstance(w, int) or not 20 <= w <= 200:
            fields["line_width"] = _("Enter a line width from 20 to 200 characters.")
        out["line_width"] = w
    if "numbering" in data:
        if data["numbering"] not in {n.value for n in Numbering}:
            fields["numbering"] = _("Choose sequential (A1, A2) or by line (L34-1).")
        else:
            out["numbering"] = Numbering(data["numbering"])
    if fields:
        raise ValidationFailed(_("Some meeting settings need correcting."), fields=fields)
    return out


def create_meeting(data: dict, *, creator: Person | None) -> Meeting:
    values = validate_settings(data, creating=True)
    meeting = Meeting(**values)
    db.session.add(meeting)
    db.session.flush()
    if creator is not None:
        membership = Membership(meeting_id=meeting.id, person_id=creator.id)
        membership.set_roles(["organiser"])
        db.session.add(membership)
    db.session.commit()
    return meeting


def update_meeting(meeting: Meeting, data: dict) -> Meeting:
    values = validate_settings({k: v for k, v in data.items() if k != "slug"}, creating=False)
    for key, value in values.items():
        setattr(meeting, key, value)
    db.session.commit()
    return meeting


def set_meeting_state(meeting: Meeting, target: str, *, by: Person | None = None) -> Meeting:
    """The chair (`by`) opens the session, closes it, or resumes a closed one."""
    try:
        wanted = MeetingState(target)
    except ValueError:
        raise ValidationFailed(_("Unknown meeting state."),
                               fields={"state": _("Choose preparing, in session or closed.")}) from None
    before = meeting.state
    try:
        meeting.state = meeting.state.become(wanted)
    except IllegalTransition:
        raise StateConflict(_("A meeting that is “%(current)s” cannot become “%(target)s”.",
                              current=label(MEETING_STATE_LABELS, meeting.state),
                              target=label(MEETING_STATE_LABELS, wanted))) from None
    audit.append(meeting.id, by, "meeting.state", "meeting", meeting.id, {"from": before.value, "to": wanted.value})
    publish(meeting.id, "meeting.changed", {"state": wanted.value})
    db.session.commit()
    return meeting


# ---------------------------------------------------------------- people

def validate_person(data: dict, *, password_required: bool = False) -> dict:
    fields: dict[str, str] = {}
    name = data.get("name")
    name = nfc(" ".join(name.split())) if isinstance(name, str) else ""
    if not name:
        fields["name"] = _("Enter the person's name.")
    elif "\x00" in name:  # PostgreSQL cannot store it
        fields["name"] = _("The name must not contain control characters.")
    elif len(name) > 200:
        fields["name"] = _("The name is too long (at most %(n)d characters).", n=200)
    email = data.get("email")
    email = email.strip().lower() if isinstance(email, str) else ""
    if not email or not EMAIL.match(email) or len(email) > 254:
        fields["email"] = _("Enter a valid email address.")
    organisation = data.get("organisation") or ""
    if isinstance(organisation, str):
        organisation = nfc(organisation)
    if not isinstance(organisation, str) or len(organisation) > 200:
        fields["organisation"] = _("The organisation must be text of at most %(n)d characters.", n=200)
        organisation = ""
    elif "\x00" in organisation:
        fields["organisation"] = _("The organisation must not contain control characters.")
        organisation = ""
    password = data.get("password")
    if password is not None and (not isinstance(password, str) or len(password) < 8 or len(password) > 200):
        fields["password"] = _("A password needs 8 to 200 characters.")
    elif password is None and password_required:
        fields["password"] = _("Enter a password.")
    roles = data.get("roles", ["delegate"])
    if isinstance(roles, str):
        roles = [r for r in re.split(r"[;,\s]+", roles) if r]
    if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
        fields["roles"] = _("Roles are one or more of delegate, chair, secretary and organiser.")
        roles = []
    weight = data.get("vote_weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= delegate_csv.MAX_WEIGHT:
        fields["vote_weight"] = _("The vote weight must be a whole number from 0 to %(max)d.", max=delegate_csv.MAX_WEIGHT)
    if fields:
        raise ValidationFailed(_("Some details of this person need correcting."), fields=fields)
    return {"name": name, "email": email, "organisation": organisation.strip(), "password": password,
            "roles": sorted(set(roles), key=ROLES.index), "vote_weight": weight}


def _upsert_person(name: str, email: str, organisation: str, password: str | None,
                   replace_password: bool = True) -> Person:
    person = db.session.execute(db.select(Person).filter_by(email=email)).scalar_one_or_none()
    if person is None:
        person = Person(name=name, email=email, organisation=organisation)
        db.session.add(person)
    else:
        person.name = name
        if organisation:
            person.organisation = organisation
    # a meeting's secretary may give a new person a password, but never change the password
    # of an account that has one (it may be an organiser's, or another meeting's chair's)
    if password and (replace_password or not person.password_hash):
        person.set_password(password)
    return person


def _upsert_membership(meeting: Meeting, person: Person, roles: list[str], weight: int) -> Membership:
    db.session.flush()
    membership = meeting.membership_of(person)
    if membership is None:
        membership = Membership(meeting_id=meeting.id, person_id=person.id)
        db.session.add(membership)
    membership.vote_weight = weight
    membership.set_roles(roles)
    return membership


def add_person(meeting: Meeting, data: dict) -> Membership:
    """Add a person to the meeting (or update them, matched by email)."""
    v = validate_person(data)
    try:
        person = _upsert_person(v["name"], v["email"], v["organisation"], v["password"], replace_password=False)
        membership = _upsert_membership(meeting, person, v["roles"], v["vote_weight"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return membership


def members(meeting: Meeting) -> list[Membership]:
    return list(db.session.execute(
        db.select(Membership).join(Person).filter(Membership.meeting_id == meeting.id).order_by(Person.name, Person.id)
    ).scalars())


def get_membership(meeting: Meeting, person_id: int) -> Membership:
    membership = db.session.execute(
        db.select(Membership).filter_by(meeting_id=meeting.id, person_id=person_id)
    ).scalar_one_or_none()
    if membership is None:
        raise NotFound(_("This person is not part of the meeting."))
    return membership


def import_delegates(meeting: Meeting, rows: list[delegate_csv.DelegateRow]) -> dict:
    """Store parsed rows in one transaction: all of them or none."""
    created = updated = 0
    try:
        existing = {p.email: p for p in db.session.execute(
            db.select(Person).where(Person.email.in_([r.email for r in rows]))).scalars()}
        for row in rows:
            if row.email in existing:
                updated += 1
            else:
                created += 1
            person = _upsert_person(row.name, row.email, row.organisation, None)
            _upsert_membership(meeting, person, row.roles, row.vote_weight)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return {"created": created, "updated": updated}


def preview_delegates(meeting: Meeting, rows: list[delegate_csv.DelegateRow]) -> list[dict]:
    """Which rows would create a person, and which update someone already known."""
    known = {p.email for p in db.session.execute(
        db.select(Person).where(Person.email.in_([r.email for r in rows]))).scalars()}
    return [{"row": r, "new": r.email not in known} for r in rows]


# ---------------------------------------------------------------- attendance

def set_attendance(meeting: Meeting, membership: Membership, present: bool, *,
                   by: Person | None = None) -> Membership:
    """Mark a person present or absent; `by`: who marked them (the audit log records the change)."""
    if not isinstance(present, bool):
        raise ValidationFailed(_("Say whether the person is present."), fields={"present": _("Answer yes or no.")})
    if membership.present != present:
        membership.present = present
        membership.present_since = utcnow() if present else None
        audit.append(meeting.id, by, "attendance.changed", "person", membership.person_id,
                     {"name": membership.person.name, "from": "absent" if present else "present",
                      "to": "present" if present else "absent"})
        publish(meeting.id, "attendance.changed", {"person": membership.person_id, "present": present})
    db.session.commit()
    return membership


def check_in_self(meeting: Meeting, membership: Membership, present: bool = True) -> Membership:
    if not meeting.self_checkin:
        raise StateConflict(_("This meeting does not allow self check-in; ask the chair or the secretary."))
    return set_attendance(meeting, membership, present, by=membership.person)


def attendance_counts(meeting: Meeting) -> dict:
    """Delegates registered and present, and the quorum: how many it needs and whether it is met
    (`needed` None: the meeting has no quorum)."""
    from motions.counting import quorum

    rows = [m for m in members(meeting) if "delegate" in m.roles]
    registered, present = len(rows), sum(1 for m in rows if m.present)
    rule = parse_quorum(meeting.quorum)
    return {"registered": registered, "present": present, "needed": quorum.needed(rule, registered),
            "quorum_met": quorum.met(rule, present, registered)}


def save_person(data: dict, *, organiser: bool | None = None) -> Person:
    """Create or update a person by email (outside any meeting), e.g. from the command line."""
    v = validate_person({**data, "roles": ["delegate"]}, password_required=True)
    try:
        person = _upsert_person(v["name"], v["email"], v["organisation"], v["password"])
        if organiser is not None:
            person.is_organiser = organiser
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return person


# ---------------------------------------------------------------- the floor

FLOOR_ITEMS = ("amendment", "document", "poll", "election")


def set_floor(meeting: Meeting, item_type, item_id, *, by: Person | None = None) -> Meeting:
    """What the chair has taken up, which the projector shows: an amendment, a document, a poll,
    an election (item_type None clears the floor)."""
    from motions.amendments.models import Amendment
    from motions.documents.models import Document
    from motions.elections.models import Election
    from motions.polls.models import Poll

    if item_type in (None, ""):
        item_type, item_id = None, None
    else:
        if item_type not in FLOOR_ITEMS:
            raise ValidationFailed(_("Choose an amendment, a document, a poll or an election."),
                                   fields={"item_type": _("Choose one of: %(choices)s.", choices=", ".join(FLOOR_ITEMS))})
        model = {"amendment": Amendment, "document": Document, "poll": Poll, "election": Election}[item_type]
        thing = db.session.get(model, item_id) if isinstance(item_id, int) and not isinstance(item_id, bool) \
            and 1 <= item_id <= 2**31 - 1 else None
        owner = None
        if thing is not None:
            owner = db.session.get(Document, thing.document_id).meeting_id if item_type == "amendment" \
                else thing.meeting_id
        if owner != meeting.id:
            raise ValidationFailed(_("There is no such item in this meeting."),
                                   fields={"item_id": _("There is no such item in this meeting.")})
    meeting.item_type, meeting.item_id = item_type, item_id
    audit.append(meeting.id, by, "floor.changed", "meeting", meeting.id, {"item_type": item_type, "item_id": item_id})
    publish(meeting.id, "floor.changed", {"item_type": item_type, "item_id": item_id})
    db.session.commit()
    return meeting

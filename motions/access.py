"""Role checks for views: every route names one action of the permission table.

`@meeting_action("people.view")` on a view with a `slug` argument, `@document_action(...)`
on a view with a `document_id` argument. Signed-out people are sent to sign in; signed-in
people without a role that allows the action get 403. The action is kept on the view as
`view.permission` so that tests can walk the URL map against the table.
"""
from __future__ import annotations

import re
from functools import wraps

from flask import abort, g
from flask_login import current_user

from motions.extensions import db, login_manager
from motions.permissions import GLOBAL_ACTIONS, allowed

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]")


def current_person():
    """The signed-in Person itself (not Flask-Login's proxy), for the operations."""
    return current_user._get_current_object()


def _enter_meeting(meeting, action: str):
    membership = meeting.membership_of(current_user)
    roles = membership.roles if membership else []
    if not allowed(roles, action):
        abort(403)
    g.meeting, g.membership, g.roles = meeting, membership, roles


def meeting_action(action: str):
    from motions.meetings.models import Meeting

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            slug = kwargs["slug"]
            if not SLUG.fullmatch(slug):  # never send an impossible slug (NUL, 10 KB) to the database
                abort(404)
            meeting = db.session.execute(db.select(Meeting).filter_by(slug=slug)).scalar_one_or_none()
            if meeting is None:
                abort(404)
            _enter_meeting(meeting, action)
            return view(*args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator


def document_action(action: str):
    from motions.documents.models import Document

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            document = db.session.get(Document, kwargs["document_id"])
            if document is None:
                abort(404)
            _enter_meeting(document.meeting, action)
            g.document = document
            return view(*args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator


def global_action(action: str):
    """Routes outside a meeting: 'public', 'signed_in' or 'organiser' (the person's global flag)."""
    need = GLOBAL_ACTIONS.get(action, action)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if need != "public" and not current_user.is_authenticated:
                return login_manager.unauthorized()
            if need == "organiser" and not current_user.is_organiser:
                abort(403)
            return view(*args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator


def amendment_action(action: str):
    """For views with an `amendment_id` argument: sets g.amendment and g.document as well."""
    from motions.amendments.models import Amendment
    from motions.documents.models import Document

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            amendment = db.session.get(Amendment, kwargs["amendment_id"])
            if amendment is None:
                abort(404)
            document = db.session.get(Document, amendment.document_id)
            _enter_meeting(document.meeting, action)
            g.amendment, g.document = amendment, document
            return view(*args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator


def poll_action(action: str):
    """For views with a `poll_id` argument: sets g.poll (and g.meeting, g.membership, g.roles)."""
    from motions.polls.models import Poll

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            poll = db.session.get(Poll, kwargs["poll_id"])
            if poll is None:
                abort(404)
            from motions.meetings.models import Meeting

            _enter_meeting(db.session.get(Meeting, poll.meeting_id), action)
            g.poll = poll
            return view(*args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator


def election_action(action: str):
    """For views with an `election_id` argument: sets g.election (and g.meeting, g.membership, g.roles)."""
    from motions.elections.models import Election
    from motions.meetings.models import Meeting

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            election = db.session.get(Election, kwargs["election_id"])
            if election is None:
                abort(404)
            _enter_meeting(db.session.get(Meeting, election.meeting_id), action)
            g.election = election
            return view(*args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator


def candidate_action(action: str):
    """For views with a `candidate_id` argument: sets g.candidate and g.election."""
    from motions.elections.models import Candidate, Election
    from motions.meetings.models import Meeting

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            candidate = db.session.get(Candidate, kwargs["candidate_id"])
            if candidate is None:
                abort(404)
            election = db.session.get(Election, candidate.election_id)
            _enter_meeting(db.session.get(Meeting, election.meeting_id), action)
            g.candidate, g.election = candidate, election
            return view(*args, **kwargs)

        wrapper.permission = action
        return wrapper

    return decorator

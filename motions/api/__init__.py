"""/api/v1: parse JSON, call the same operations as the pages, one error handler.

The contract is ../shared/spec/api-v1.md; `GET /api/v1/openapi.json` describes what is served.
"""
from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, g, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from motions.api.errors import error_response
from motions.errors import OperationError
from motions.extensions import csrf, db
from motions.permissions import allowed

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Everything the OpenAPI description is built from: one entry per (path, method).
ROUTES: list[dict] = []


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.fields = status, message, code, fields


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, _("Send the header “Authorization: Bearer <token>”."), "unauthorized")
    return token.strip()


def authenticate():
    """The person behind this request: a bearer token, or the signed-in session (which then needs CSRF)."""
    from motions.auth.operations import person_for_token

    token = _bearer()
    if token is not None:
        person = person_for_token(token)
        if person is None:
            raise ApiError(401, _("The bearer token is not valid; ask for a new one."), "invalid_token")
        return person
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        return current_user._get_current_object()
    raise ApiError(401, _("Sign in first: send a valid bearer token."), "unauthorized")


def json_body() -> dict:
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, _("Send a JSON object as the request body."), "malformed_json")
    try:
        import json

        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, _("The request body is not valid JSON."), "malformed_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, _("Send a JSON object as the request body."), "malformed_json")
    return data


def _load_scope(kwargs):
    from motions.documents.models import Document
    from motions.meetings.models import Meeting

    if "slug" in kwargs:
        meeting = db.session.execute(db.select(Meeting).filter_by(slug=kwargs["slug"])).scalar_one_or_none()
        if meeting is None:
            raise ApiError(404, _("There is no meeting “%(slug)s”.", slug=kwargs["slug"]), "not_found")
        return meeting
    if "document_id" in kwargs:
        document = db.session.get(Document, kwargs["document_id"])
        if document is None:
            raise ApiError(404, _("There is no such document."), "not_found")
        g.document = document
        return document.meeting
    return None


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def sub(match):
        converter, name = match.group(1), match.group(2)
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer"} if converter == "int" else {"type": "string"}})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", sub, rule), params


def route(rule: str, method: str, *, action: str | None, summary: str, body: dict | None = None,
          response: dict | None = None, status: int = 200, query: list[dict] | None = None,
          media: str = "application/json", errors: tuple[int, ...] = ()):
    """Register an API view with its permission and its OpenAPI description.

    action: an action of the permission table (checked against the person's roles in the
    meeting named by <slug> or <document_id>), "signed_in", "organiser", "public", or None
    (the view checks for itself)."""

    def decorator(view):
        @wraps(view)
        def wrapper(**kwargs):
            if action != "public":
                g.api_person = authenticate()
            meeting = _load_scope(kwargs)
            if meeting is not None:
                membership = meeting.membership_of(g.api_person)
                g.meeting, g.membership = meeting, membership
                g.roles = membership.roles if membership else []
                if action not in (None, "signed_in") and not allowed(g.roles, action):
                    raise ApiError(403, _("Your role in this meeting does not allow this."), "forbidden")
            elif action == "organiser" and not g.api_person.is_organiser:
                raise ApiError(403, _("Only an organiser may do this."), "forbidden")
            return view(**kwargs)

        wrapper.permission = action or "custom"
        endpoint = f"{view.__name__}_{method.lower()}"
        bp.add_url_rule(rule, endpoint=endpoint, view_func=wrapper, methods=[method])
        path, params = _openapi_path(bp.url_prefix + rule)
        ROUTES.append({"path": path, "method": method.lower(), "summary": summary, "action": action,
                       "body": body, "response": response, "status": status, "params": params + (query or []),
                       "media": media, "errors": errors})
        return wrapper

    return decorator


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.message, code=error.code, fields=error.fields)


@bp.errorhandler(OperationError)
def _operation_error(error: OperationError):
    return error_response(error.status, error.message, code=error.code, fields=error.fields)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return error_response(error.code or 500, None)


def init_app(app) -> None:
    from motions.api import documents, meetings, openapi  # noqa: F401  (register the routes)

    csrf.exempt(bp)  # bearer requests need no CSRF; cookie requests are checked in authenticate()
    app.register_blueprint(bp)

"""/api/v1: parse JSON, call the same operations as the pages, one error handler.

The contract is ../shared/spec/api-v1.md; `GET /api/v1/openapi.json` describes what is served.
"""
from __future__ import annotations

import json
import re
import unicodedata
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

    return _authenticated(person_for_token, lambda user: user._get_current_object())


def authenticate_id() -> int:
    """As authenticate(), but only the person's id: one small statement, no Person loaded."""
    from motions.auth.operations import person_id_for_token

    return _authenticated(person_id_for_token, lambda user: user.id)


def _authenticated(by_token, by_session):
    token = _bearer()
    if token is not None:
        person = by_token(token)
        if person is None:
            raise ApiError(401, _("The bearer token is not valid; ask for a new one."), "invalid_token")
        return person
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        return by_session(current_user)
    raise ApiError(401, _("Sign in first: send a valid bearer token."), "unauthorized")


# The largest integer the database stores (PostgreSQL `integer`); anything larger is out of range.
MAX_INT = 2**31 - 1
SLUG = re.compile(r"^[a-z0-9-]{1,64}$")


def _reject_constant(name: str):
    raise ValueError(name)  # NaN and Infinity are not JSON


def json_body(precheck=None) -> dict:
    """The request's JSON object: 400 when it is not one, 422 when a field has the wrong type.

    Strings are NFC-normalised (passwords excepted: they are compared as typed); strings with
    NUL characters or unpaired surrogates are refused, since no database can store them.
    `precheck(data)`, the operation's own validation, is run on the well-typed fields when
    others are wrong, so that one answer names every field to correct."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, _("Send a JSON object as the request body."), "malformed_json")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, _("The request body is not valid JSON."), "malformed_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, _("Send a JSON object as the request body."), "malformed_json")
    fields: dict[str, str] = {}
    schema = getattr(g, "api_body", None)
    # fields the route does not take are ignored, and not checked either
    declared = schema["properties"] if schema else data
    data = {key: _clean(value, key, key, fields) if key in declared else value for key, value in data.items()}
    if schema and not fields:
        _check_types(data, schema, fields)
    if fields:
        if precheck is not None:
            try:
                precheck({k: v for k, v in data.items() if k not in fields})
            except OperationError as error:
                fields = {**error.fields, **fields}
        raise ApiError(422, _("Some fields need correcting."), "validation_failed", fields)
    return data


def _clean(value, name: str, top: str, fields: dict):
    if isinstance(value, str):
        if "\x00" in value:
            fields[name] = _("Remove the NUL characters from this text.")
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            fields[name] = _("This text is not valid Unicode.")
            return value
        return value if top == "password" else unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_clean(v, name, top, fields) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v, name, top, fields) for k, v in value.items()}
    return value


JSON_TYPES = {"string": str, "boolean": bool, "array": list, "object": dict, "null": type(None)}


def _type_ok(value, kind: str) -> bool:
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():  # JSON Schema: 3.0 is an integer
            value = int(value)
        return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT - 1 <= value <= MAX_INT
    return kind in JSON_TYPES and isinstance(value, JSON_TYPES[kind])


def _wrong_type(kinds: list[str], prop: dict, value=None) -> str:
    kinds = [k for k in kinds if k != "null"]
    if "enum" in prop:
        return _("Choose one of: %(choices)s.", choices=", ".join(map(str, prop["enum"])))
    if kinds == ["integer"]:
        if isinstance(value, int) and not isinstance(value, bool):
            return _("This number is too large.")
        return _("Enter a whole number.")
    if kinds == ["boolean"]:
        return _("Answer true or false.")
    if kinds == ["array"]:
        return _("Send a list.")
    if kinds == ["string"]:
        return _("Enter text.")
    return _("This value has the wrong type; /api/v1/openapi.json describes what this field takes.")


def _check_types(data: dict, schema: dict, fields: dict) -> None:
    """Check the body against the route's JSON Schema (types, enums, required): the same schema
    that /api/v1/openapi.json publishes, so the description and the checks cannot disagree."""
    for name in schema.get("required", []):
        if name not in data:
            fields[name] = _("This field is required.")
    for name, prop in schema.get("properties", {}).items():
        if name not in data:
            continue
        value = data[name]
        kinds = prop.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if kinds and not any(_type_ok(value, k) for k in kinds):
            fields[name] = _wrong_type(kinds, prop, value)
        elif "integer" in kinds and isinstance(value, float):
            data[name] = int(value)
        elif "enum" in prop and value not in prop["enum"]:
            fields[name] = _wrong_type(kinds, prop)
        elif isinstance(value, list) and "items" in prop:
            item = prop["items"]
            item_kinds = item.get("type", [])
            item_kinds = [item_kinds] if isinstance(item_kinds, str) else item_kinds
            if any(not any(_type_ok(v, k) for k in item_kinds) or ("enum" in item and v not in item["enum"])
                   for v in value):
                fields[name] = _wrong_type(item_kinds, item)


def _child_scopes() -> dict:
    """Path arguments naming a row that belongs to a meeting: (its model, the name it gets on `g`,
    the 404 message, its meeting's id). Models are imported late: the API loads before them."""
    def poll():
        from motions.polls.models import Poll
        return Poll

    def speaker():
        from motions.debate.models import Speaker
        return Speaker

    def comment():
        from motions.debate.models import Comment
        return Comment

    def election():
        from motions.elections.models import Election
        return Election

    def candidate():
        from motions.elections.models import Candidate
        return Candidate

    def candidate_meeting(row):
        from motions.elections.models import Election
        return db.session.get(Election, row.election_id).meeting_id

    return {
        "election_id": (election, "election", lambda: _("There is no such election."), lambda row: row.meeting_id),
        "candidate_id": (candidate, "candidate", lambda: _("There is no such candidate."), candidate_meeting),
        "poll_id": (poll, "poll", lambda: _("There is no such poll."), lambda row: row.meeting_id),
        "speaker_id": (speaker, "speaker", lambda: _("There is no such request to speak."),
                       lambda row: row.speakers_list.meeting_id),
        "comment_id": (comment, "comment", lambda: _("There is no such comment."), lambda row: row.meeting_id),
    }


def _load_scope(kwargs):
    from motions.documents.models import Document
    from motions.meetings.models import Meeting

    for name, value in kwargs.items():
        # an id no row can have (0, or past the largest integer the database stores): no such thing
        if name.endswith("_id") and not 1 <= value <= MAX_INT:
            raise ApiError(404, _("There is no such thing here."), "not_found")
    if "slug" in kwargs:
        # a slug that cannot exist is not looked up (PostgreSQL refuses NUL characters, for one)
        meeting = None
        if SLUG.match(kwargs["slug"]):
            query = db.select(Meeting).filter_by(slug=kwargs["slug"])
            meeting = db.session.execute(query).scalar_one_or_none()
        if meeting is None:
            raise ApiError(404, _("There is no meeting “%(slug)s”.", slug=kwargs["slug"]), "not_found")
        return meeting
    for name, (load, attribute, missing, meeting_of) in _child_scopes().items():
        if name in kwargs:
            row = db.session.get(load(), kwargs[name])
            if row is None:
                raise ApiError(404, missing(), "not_found")
            setattr(g, attribute, row)
            return db.session.get(Meeting, meeting_of(row))
    if "amendment_id" in kwargs:
        from motions.amendments.models import Amendment

        amendment = db.session.get(Amendment, kwargs["amendment_id"])
        if amendment is None:
            raise ApiError(404, _("There is no such amendment."), "not_found")
        g.amendment = amendment
        g.document = db.session.get(Document, amendment.document_id)
        return g.document.meeting
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
                       "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
                       if converter in ("int", "id") else {"type": "string"}})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", sub, rule), params


def route(rule: str, method: str, *, action: str | None, summary: str, body: dict | None = None,
          response: dict | None = None, status: int = 200, query: list[dict] | None = None,
          media: str | tuple[str, ...] = "application/json", errors: tuple[int, ...] = (), lean_scope=None):
    """Register an API view with its permission and its OpenAPI description.

    action: an action of the permission table (checked against the person's roles in the
    meeting named by <slug> or <document_id>), "signed_in", "organiser", "public", or None
    (the view checks for itself).
    lean_scope: for the busiest routes (a ballot): `lean_scope(kwargs, person_id)` reads the
    path's row and returns the person's roles in its meeting (404 when there is no such row), in
    place of loading the person, the meeting and the membership as objects; `g.api_person_id` is
    set and `g.api_person` is not. The permission check is the same."""

    def decorator(view):
        @wraps(view)
        def wrapper(**kwargs):
            g.api_body = body
            if lean_scope is not None:
                g.api_person_id = authenticate_id()
                if not all(1 <= value <= MAX_INT for name, value in kwargs.items() if name.endswith("_id")):
                    raise ApiError(404, _("There is no such thing here."), "not_found")
                g.roles = lean_scope(kwargs, g.api_person_id)
                if not allowed(g.roles, action):
                    raise ApiError(403, _("Your role in this meeting does not allow this."), "forbidden")
                return view(**kwargs)
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
        # Path ids take any digits here and an id out of range is the scope's 404: the `id` converter's
        # range check comes after werkzeug has matched the path, so an out-of-range id on a path that
        # another method also serves was answered 405 ("use POST"), not 404.
        bp.add_url_rule(rule.replace("<id:", "<int:"), endpoint=endpoint, view_func=wrapper, methods=[method])
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
    from motions.api import (  # noqa: F401  (register the routes)
        amendments, debate, documents, elections, exports, meetings, openapi, polls,
    )

    csrf.exempt(bp)  # bearer requests need no CSRF; cookie requests are checked in authenticate()
    app.register_blueprint(bp)

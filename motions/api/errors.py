"""The API's one error body: {"error": {"code", "message", "fields"}}."""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import default_exceptions

DEFAULT_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "state_conflict", 413: "too_large", 415: "unsupported_media_type", 422: "validation_failed",
    429: "too_many_requests", 500: "server_error", 503: "unavailable",
}


def body_limit_mb() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / (1024 * 1024):g}"


def _werkzeug_default(status: int, message: str) -> bool:
    """werkzeug's untranslated English description of an HTTP error, which we replace."""
    exc = default_exceptions.get(status)
    return exc is not None and message == exc.description


def default_message(status: int) -> str:
    return {
        400: _("The request could not be understood."),
        401: _("Sign in first: send a valid bearer token."),
        403: _("Your role in this meeting does not allow this."),
        404: _("There is no such thing here."),
        405: _("This address does not take that method."),
        409: _("This conflicts with the current state."),
        413: _("The request body is larger than the limit of %(mb)s MB.", mb=body_limit_mb()),
        422: _("Some fields need correcting."),
        500: _("The server could not finish this request. Nothing was changed; please try again."),
        503: _("The service is unavailable right now; please try again in a moment."),
    }.get(status, _("The request failed."))


WERKZEUG_PREFIXES = ("The requested URL", "The server could not", "The method is not",
                     "The browser (or proxy)", "You don't have the permission", "The data value transmitted",
                     "Internal Server Error", "The server encountered")


def error_response(status: int, message: str | None = None, *, code: str | None = None,
                   fields: dict | None = None, retry_after: int | None = None):
    # werkzeug's default English descriptions are replaced by our own, translatable sentences
    if not message or _werkzeug_default(status, str(message)) or str(message).startswith(WERKZEUG_PREFIXES):
        message = default_message(status)
    body = {"error": {"code": code or DEFAULT_CODES.get(status, "error"), "message": str(message),
                      "fields": {k: str(v) for k, v in (fields or {}).items()}}}
    response = jsonify(body)
    response.status_code = status
    if retry_after is not None:  # RFC 9110: when a 503 (or 429) is worth trying again, in seconds
        response.headers["Retry-After"] = str(int(retry_after))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="motions"'
    if status == 405:  # RFC 9110: say which methods the address does take
        valid = getattr(request.routing_exception, "valid_methods", None)
        if valid:
            response.headers["Allow"] = ", ".join(sorted(valid))
    return response

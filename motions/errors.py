"""Errors that operations raise; views turn them into form messages, the API into its error body."""
from __future__ import annotations


class OperationError(Exception):
    """Something a person asked for that cannot be done. `message` is a translated sentence."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = {k: str(v) for k, v in (fields or {}).items()}


class ValidationFailed(OperationError):
    status = 422
    code = "validation_failed"


class NotFound(OperationError):
    status = 404
    code = "not_found"


class StateConflict(OperationError):
    status = 409
    code = "state_conflict"


class Forbidden(OperationError):
    """The person's role allows the action in general, but not on this thing (not its mover, say)."""

    status = 403
    code = "forbidden"

"""Database errors that are not the request's fault, and what a person is told about them.

Two kinds answer 503 Service Unavailable (with Retry-After) instead of a 500:

- UNAVAILABLE: the database cannot be reached: the connection was refused or lost, the server is
  shutting down or refuses more connections, the SQLite file cannot be opened (its directory is
  gone, say). The request may or may not have reached the database, so nothing is promised about it.
- READ_ONLY: the database is there but refuses changes: it is read-only (SQLite's
  "attempt to write a readonly database", PostgreSQL's read_only_sql_transaction) or its disk is full
  (SQLite's "database or disk is full", PostgreSQL's disk_full). The change was refused as a whole.

Everything else (a constraint violated, a syntax error, ...) is a bug or a conflict, not an outage:
classify() returns None and the error takes its usual way.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError

UNAVAILABLE = "unavailable"
READ_ONLY = "read_only"

# API error codes and the seconds a client is asked to wait before trying again
CODES = {UNAVAILABLE: "database_unavailable", READ_ONLY: "database_read_only"}
RETRY_AFTER = {UNAVAILABLE: 5, READ_ONLY: 60}

# PostgreSQL SQLSTATEs (its manual, appendix A)
_PG_READ_ONLY = {
    "25006",  # read_only_sql_transaction (default_transaction_read_only, a hot standby)
    "53100",  # disk_full
}
_PG_UNAVAILABLE = {
    "53300",  # too_many_connections
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now (starting up, shutting down, in recovery)
    "3D000",  # invalid_catalog_name: the database is not there (dropped, not yet restored)
}
# SQLite's primary result codes, as Python's sqlite3 names them (sqlite_errorname)
_SQLITE_READ_ONLY = {"SQLITE_READONLY", "SQLITE_FULL"}
_SQLITE_UNAVAILABLE = {"SQLITE_CANTOPEN", "SQLITE_IOERR"}
# the same, by message, for drivers that give no code
_SQLITE_MESSAGES = {
    "attempt to write a readonly database": READ_ONLY,
    "database or disk is full": READ_ONLY,
    "unable to open database file": UNAVAILABLE,
    "disk i/o error": UNAVAILABLE,
}


def classify(error: BaseException) -> str | None:
    """UNAVAILABLE, READ_ONLY or None (not an outage) for an exception SQLAlchemy raised."""
    if not isinstance(error, DBAPIError):
        return None
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # psycopg 3, psycopg2
    if sqlstate:
        if sqlstate in _PG_READ_ONLY:
            return READ_ONLY
        if sqlstate.startswith("08") or sqlstate in _PG_UNAVAILABLE:  # class 08: connection exception
            return UNAVAILABLE
        return None
    if error.connection_invalidated:  # SQLAlchemy saw the connection die
        return UNAVAILABLE
    module = type(orig).__module__ or ""
    if module.startswith("sqlite3"):
        name = getattr(orig, "sqlite_errorname", None)
        if name in _SQLITE_READ_ONLY:
            return READ_ONLY
        if name in _SQLITE_UNAVAILABLE:
            return UNAVAILABLE
        return _SQLITE_MESSAGES.get(str(orig).strip().lower())
    if module.startswith(("psycopg", "psycopg2")) and type(orig).__name__ == "OperationalError":
        # no SQLSTATE: the client library's own failure to connect or to talk to the server
        return UNAVAILABLE
    return None


TITLES = {UNAVAILABLE: _l("Database unavailable"), READ_ONLY: _l("Changes refused")}


def message(kind: str) -> str:
    """The sentence a person reads, translated."""
    if kind == READ_ONLY:
        return _("The database refuses changes right now (it is read-only or its disk is full). "
                 "Nothing was changed; what is already stored is safe. Please try again later.")
    return _("The database cannot be reached right now, so this request could not be finished. "
             "Please try again in a moment; if you were saving something, check afterwards "
             "whether it was saved.")


def describe(error: DBAPIError) -> str:
    """One line for the server's log: the driver's own words."""
    orig = error.orig
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__module__}.{type(orig).__name__}: {lines[0] if lines else ''}"

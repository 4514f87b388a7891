"""Database errors that are not the request's fault, and what a person is told about them.

Three kinds answer 503 Service Unavailable (with Retry-After) instead of a 500:

- UNAVAILABLE: the database cannot be reached: the connection was refused or lost, the server is
  shutting down or refuses more connections, the SQLite file cannot be opened (its directory is
  gone, say). The request may or may not have reached the database, so nothing is promised about it.
- READ_ONLY: the database is there but refuses changes: it is read-only (SQLite's
  "attempt to write a readonly database", PostgreSQL's read_only_sql_transaction) or its disk is full
  (SQLite's "database or disk is full", PostgreSQL's disk_full). The change was refused as a whole.
- BUSY: the database is there but too busy to finish the request in time (overload): SQLite's
  "database is locked" (SQLITE_BUSY, SQLITE_LOCKED: another writer held the lock for longer than
  the busy timeout), PostgreSQL's lock_not_available (lock_timeout), deadlock_detected,
  serialization_failure and query_canceled (statement_timeout), and SQLAlchemy's own
  sqlalchemy.exc.TimeoutError (no pooled connection became free within the pool's timeout; not a
  DBAPIError). The transaction that met it is rolled back as a whole: nothing of it is stored.
  (A request whose change was already committed could still meet the pool's timeout or a
  statement timeout afterwards, reading back what it shows; the message does not cover that.)

Everything else (a constraint violated, a syntax error, ...) is a bug or a conflict, not an outage:
classify() returns None and the error takes its usual way.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

UNAVAILABLE = "unavailable"
READ_ONLY = "read_only"
BUSY = "busy"

# API error codes and the seconds a client is asked to wait before trying again
CODES = {UNAVAILABLE: "database_unavailable", READ_ONLY: "database_read_only", BUSY: "database_busy"}
RETRY_AFTER = {UNAVAILABLE: 5, READ_ONLY: 60, BUSY: 2}

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
_PG_BUSY = {
    "55P03",  # lock_not_available (lock_timeout, NOWAIT)
    "40P01",  # deadlock_detected
    "40001",  # serialization_failure
    "57014",  # query_canceled (statement_timeout, or a cancel request)
}
# SQLite's primary result codes, as Python's sqlite3 names them (sqlite_errorname, which gives the
# extended code when there is one: SQLITE_BUSY_SNAPSHOT is a SQLITE_BUSY)
_SQLITE = {
    "SQLITE_READONLY": READ_ONLY, "SQLITE_FULL": READ_ONLY,
    "SQLITE_CANTOPEN": UNAVAILABLE, "SQLITE_IOERR": UNAVAILABLE,
    "SQLITE_BUSY": BUSY, "SQLITE_LOCKED": BUSY,
}
# the same, by message, for drivers that give no code
_SQLITE_MESSAGES = {
    "attempt to write a readonly database": READ_ONLY,
    "database or disk is full": READ_ONLY,
    "unable to open database file": UNAVAILABLE,
    "disk i/o error": UNAVAILABLE,
    "database is locked": BUSY,
    "database table is locked": BUSY,
    "database schema is locked": BUSY,
}


def _sqlite_kind(name: str | None) -> str | None:
    """The kind of a SQLite result code's name, extended (SQLITE_BUSY_SNAPSHOT) or primary."""
    if not name:
        return None
    for primary, kind in _SQLITE.items():
        if name == primary or name.startswith(primary + "_"):
            return kind
    return None


def classify(error: BaseException) -> str | None:
    """UNAVAILABLE, READ_ONLY, BUSY or None (not an outage) for an exception SQLAlchemy raised."""
    if isinstance(error, PoolTimeout):  # the pool had no connection free in time
        return BUSY
    if not isinstance(error, DBAPIError):
        return None
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # psycopg 3, psycopg2
    if sqlstate:
        if sqlstate in _PG_READ_ONLY:
            return READ_ONLY
        if sqlstate in _PG_BUSY:
            return BUSY
        if sqlstate.startswith("08") or sqlstate in _PG_UNAVAILABLE:  # class 08: connection exception
            return UNAVAILABLE
        return None
    if error.connection_invalidated:  # SQLAlchemy saw the connection die
        return UNAVAILABLE
    module = type(orig).__module__ or ""
    if module.startswith("sqlite3"):
        return _sqlite_kind(getattr(orig, "sqlite_errorname", None)) \
            or _SQLITE_MESSAGES.get(str(orig).strip().lower())
    if module.startswith(("psycopg", "psycopg2")) and type(orig).__name__ == "OperationalError":
        # no SQLSTATE: the client library's own failure to connect or to talk to the server
        return UNAVAILABLE
    return None


TITLES = {UNAVAILABLE: _l("Database unavailable"), READ_ONLY: _l("Changes refused"), BUSY: _l("Server busy")}


def message(kind: str) -> str:
    """The sentence a person reads, translated."""
    if kind == READ_ONLY:
        return _("The database refuses changes right now (it is read-only or its disk is full). "
                 "Nothing was changed; what is already stored is safe. Please try again later.")
    if kind == BUSY:
        return _("The server is too busy to finish this request right now. Please try again in a "
                 "moment; if you were saving something, check first whether it was saved.")
    return _("The database cannot be reached right now, so this request could not be finished. "
             "Please try again in a moment; if you were saving something, check afterwards "
             "whether it was saved.")


def describe(error: SQLAlchemyError) -> str:
    """One line for the server's log: the driver's own words (SQLAlchemy's, for the pool's timeout)."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__module__}.{type(orig).__name__}: {lines[0] if lines else ''}"

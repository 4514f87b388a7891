"""Failed sign-ins are rate-limited (Flask-Limiter), counted where every worker sees them.

Two limits guard the password check, on the sign-in page (`POST /login`) and on the API's
`POST /api/v1/auth/token`, and both count only *failed* attempts (a wrong password, or a form
without an email or password), so a delegate who signs in at once is never counted:

- per account (the email address tried): MOTIONS_SIGN_IN_LIMIT_ACCOUNT, default 10 per 15 minutes.
  This stops guessing one delegate's password, from any number of addresses.
- per client address: MOTIONS_SIGN_IN_LIMIT_ADDRESS, default 200 per 10 minutes. Generous on
  purpose: a conference hall's 2,000 delegates share one public address behind the venue's
  router, and their typing mistakes must not lock the hall out; it still slows a guesser trying
  many accounts from one place. Behind a reverse proxy set MOTIONS_PROXY_COUNT so the client's
  address is read from X-Forwarded-For (see docs/deployment.md).

Over a limit the answer is 429 with a Retry-After header: the sign-in page says how long to wait;
the API gives the contract's error body with code `rate_limited`. The password is not checked
at all while the limit holds.

The counters live in the database (table sign_in_counter, a fixed window per key) so that all
gunicorn workers, and several machines on one PostgreSQL, share them; with
MOTIONS_RATELIMIT_STORAGE=redis://host:6379 they live in Redis instead. "memory://" (one
process only) is refused unless the app is being tested.
"""
from __future__ import annotations

import hashlib
import math
import os
import time

from flask import current_app, render_template, request
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

ACCOUNT_LIMIT = "10 per 15 minutes"
ADDRESS_LIMIT = "200 per 10 minutes"
# the endpoints that check a password
SIGN_IN_ENDPOINTS = ("auth.login", "api.token_post")


class DatabaseStorage(Storage):
    """limits' storage interface over the app's database (fixed windows: incr, get, get_expiry)."""

    STORAGE_SCHEME = ["motions+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._calls = 0

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _table():
        from motions.auth.models import SignInCounter

        return SignInCounter.__table__

    @staticmethod
    def _engine():
        from motions.extensions import db

        return db.engine

    @staticmethod
    def _key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()  # any text a client sent

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        table, now = self._table(), time.time()
        engine = self._engine()
        insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(table)
        expired = table.c.expires_at <= now
        statement = insert.values(key=self._key(key), count=amount, expires_at=now + expiry).on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((expired, amount), else_=table.c.count + amount),
                  "expires_at": case((expired, now + expiry), else_=table.c.expires_at)},
        ).returning(table.c.count)
        with engine.begin() as connection:  # its own short transaction, apart from the request's
            count = connection.execute(statement).scalar_one()
            self._calls += 1
            if self._calls % 100 == 0:  # now and then, forget windows long past
                connection.execute(delete(table).where(table.c.expires_at < now - 3600))
        return count

    def get(self, key: str) -> int:
        table = self._table()
        with self._engine().connect() as connection:
            count = connection.execute(select(table.c.count).where(
                table.c.key == self._key(key), table.c.expires_at > time.time())).scalar_one_or_none()
        return count or 0

    def get_expiry(self, key: str) -> float:
        table = self._table()
        with self._engine().connect() as connection:
            expires = connection.execute(select(table.c.expires_at).where(
                table.c.key == self._key(key))).scalar_one_or_none()
        return expires if expires is not None and expires > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self._engine().connect() as connection:
                connection.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self._engine().begin() as connection:
            return connection.execute(delete(self._table())).rowcount

    def clear(self, key: str) -> None:
        table = self._table()
        with self._engine().begin() as connection:
            connection.execute(delete(table).where(table.c.key == self._key(key)))


def _account() -> str:
    """The account a sign-in tries: the email of the form or of the JSON body, as stored (lower case)."""
    email = request.form.get("email") if request.form else None
    if email is None and request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested too deep: the view refuses it as malformed (400)
            body = None
        email = body.get("email") if isinstance(body, dict) else None
    return "account:" + (email.strip().lower() if isinstance(email, str) else "")


def _address() -> str:
    return "address:" + (get_remote_address() or "")


def _failed(response) -> bool:
    """Only a refused sign-in counts: wrong email or password (401 from the API, 422 from the form)."""
    return response.status_code in (401, 422)


def _retry_after() -> int:
    current = current_app.extensions["motions.limiter"].current_limit
    if current is None:
        return 60
    # the window's own end (flask-limiter's reset_at is int(end + 1): up to a second late)
    return max(1, math.ceil(current.window[0] - time.time()))


def init_app(app) -> None:
    storage = os.environ.get("MOTIONS_RATELIMIT_STORAGE") or app.config.get("RATELIMIT_STORAGE_URI") or "motions+db://"
    if storage.startswith("memory://") and not app.testing:
        raise RuntimeError("MOTIONS_RATELIMIT_STORAGE=memory:// keeps counts in one process only; "
                           "use the database (the default) or redis://")
    app.config["RATELIMIT_STORAGE_URI"] = storage
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "sign-in")
    account = app.config.get("MOTIONS_SIGN_IN_LIMIT_ACCOUNT") or os.environ.get("MOTIONS_SIGN_IN_LIMIT_ACCOUNT") \
        or ACCOUNT_LIMIT
    address = app.config.get("MOTIONS_SIGN_IN_LIMIT_ADDRESS") or os.environ.get("MOTIONS_SIGN_IN_LIMIT_ADDRESS") \
        or ADDRESS_LIMIT
    # one Limiter per app: its limits are registered by view name, so a shared one would mix apps
    limiter = Limiter(key_func=get_remote_address, strategy="fixed-window")
    limiter.init_app(app)
    app.extensions["motions.limiter"] = limiter

    # shared limits: a failure on the page and one through the API count against the same budget
    by_address = limiter.shared_limit(address, "sign-in-address", key_func=_address, methods=["POST"],
                                      deduct_when=_failed)
    by_account = limiter.shared_limit(account, "sign-in-account", key_func=_account, methods=["POST"],
                                      deduct_when=_failed)
    for endpoint in SIGN_IN_ENDPOINTS:
        app.view_functions[endpoint] = by_account(by_address(app.view_functions[endpoint]))

    @app.errorhandler(RateLimitExceeded)
    def too_many(error):
        wait = _retry_after()
        message = ngettext("Too many failed sign-ins. Wait %(num)d minute and try again.",
                           "Too many failed sign-ins. Wait %(num)d minutes and try again.",
                           max(1, round(wait / 60)))
        if request.path.startswith("/api/"):
            from motions.api.errors import error_response

            response = error_response(429, message, code="rate_limited")
        else:
            response = current_app.make_response((render_template(
                "error.html", status=429, title=_l("Too many attempts"), message=message), 429))
        response.headers["Retry-After"] = str(wait)
        return response

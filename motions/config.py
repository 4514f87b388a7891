"""Configuration: defaults, then instance/config.py, then environment variables.

Environment variables (all optional):
  SECRET_KEY           signs sessions and CSRF tokens (else generated once into instance/secret_key)
  DATABASE_URL         SQLAlchemy URL; default sqlite:///<instance>/motions.sqlite3
  MOTIONS_SECURE_COOKIES  "0" to allow cookies over plain http (default: on unless debugging locally)
  MOTIONS_EVENT_STREAM_SECONDS  how long one event stream lasts before the client reconnects (default 120)
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


# Engine options every configuration gets (a configuration's own SQLALCHEMY_ENGINE_OPTIONS are
# merged over them, key by key): pool_pre_ping tests a pooled connection before lending it out, so
# a connection the database dropped (a restart, a cut network) is replaced instead of failing a
# request, and the app recovers by itself when the database comes back.
ENGINE_OPTIONS = {"pool_pre_ping": True}


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_TIME_LIMIT = None  # a meeting day is long; the token is bound to the session anyway
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "translations")
    AMENDMENTS_PER_PAGE = 50  # the amendment list's page: a phone reads 50, a conference has 3,000


def _secret_key(instance_path: str) -> str:
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load(app, config: dict | None) -> None:
    """Fill app.config in order: defaults, instance/config.py, environment, the given mapping."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    env = os.environ
    if env.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = env["DATABASE_URL"]
    if env.get("MOTIONS_SECURE_COOKIES") is not None:
        secure = env["MOTIONS_SECURE_COOKIES"] not in ("0", "false", "no", "")
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure
    if env.get("MOTIONS_EVENT_STREAM_SECONDS"):
        app.config["EVENT_STREAM_SECONDS"] = float(env["MOTIONS_EVENT_STREAM_SECONDS"])
    if config:
        app.config.update(config)
    own = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**ENGINE_OPTIONS, **own}
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        uri = "sqlite:///" + str(Path(app.instance_path) / "motions.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("postgres://"):  # the old Heroku-style scheme
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://" + uri[len("postgres://"):]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

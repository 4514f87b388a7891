"""motions: from a draft platform to an adopted statement."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

class IdConverter(IntegerConverter):
    """A database id in a URL. Any run of digits matches, so that the route is found whatever the
    number (a range check that failed the match would make werkzeug answer 405 where another
    method serves the same path); a number no id column can hold (outside 1 to 2**31-1) becomes 0,
    which is no row's id, so the page answers 404 and the database never sees an overflow."""

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if 1 <= number <= 2**31 - 1 else 0


ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from motions import config as configuration

    configuration.load(app, config)
    proxies = int(app.config.get("MOTIONS_PROXY_COUNT") or os.environ.get("MOTIONS_PROXY_COUNT") or 0)
    if proxies:  # behind that many reverse proxies: the client's address and scheme from X-Forwarded-*
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.url_map.converters["id"] = IdConverter

    from motions.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from motions import i18n, models  # noqa: F401  (registers every model)

    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)

    from motions import web

    web.init_app(app)

    from motions.api import init_app as init_api

    init_api(app)

    from motions.auth import ratelimit

    ratelimit.init_app(app)  # after the blueprints: it wraps the sign-in views

    from motions.cli import register

    register(app)
    return app

"""The web shell: blueprints, sign-in plumbing, error pages, security headers."""
from __future__ import annotations

from flask import current_app, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from motions import database_errors, labels, static_files
from motions.api.errors import body_limit_mb
from motions.extensions import db, login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def init_app(app) -> None:
    from motions.amendments.views import bp as amendments_bp
    from motions.audit.views import bp as audit_bp
    from motions.auth.models import Person
    from motions.auth.views import bp as auth_bp
    from motions.debate.views import bp as debate_bp
    from motions.documents.views import bp as documents_bp
    from motions.elections.views import bp as elections_bp
    from motions.exports.views import bp as exports_bp
    from motions.meetings.views import bp as meetings_bp
    from motions.polls.views import bp as polls_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(amendments_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(debate_bp)
    app.register_blueprint(polls_bp)
    app.register_blueprint(elections_bp)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_person(session_id: str):
        """The person of a session made in their current session generation (Person.get_id)."""
        try:
            person_id, generation = (int(part) for part in str(session_id).split("."))
        except (TypeError, ValueError):
            return None
        person = db.session.get(Person, person_id)
        return person if person is not None and person.session_generation == generation else None

    # globals, so that imported macros (which have no context) can use them too
    app.jinja_env.globals.update(labels=labels, label=labels.label)

    static_files.init_app(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    def page_error(status: int, title, message):
        def handler(error):
            if status == 500:
                db.session.rollback()  # the failed transaction must not break rendering the page
            if request.path.startswith("/api/"):
                from motions.api.errors import error_response

                return error_response(status, getattr(error, "description", None))
            return render_template("error.html", status=status, title=title,
                                   message=message() if callable(message) else message), status

        return handler

    app.register_error_handler(403, page_error(403, _l("Not allowed"),
                                               _l("Your role in this meeting does not allow this.")))
    app.register_error_handler(404, page_error(404, _l("Not found"), _l("There is no such page.")))
    app.register_error_handler(405, page_error(405, _l("Not allowed"), _l("This page does not take that kind of request.")))
    app.register_error_handler(413, page_error(413, _l("Too large"),
                                               lambda: _("What you sent is larger than the limit of %(mb)s MB.",
                                                         mb=body_limit_mb())))
    app.register_error_handler(500, page_error(500, _l("Something went wrong"),
                                               _l("The server could not finish this request. Nothing was changed; please try again.")))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if request.path.startswith("/api/"):
            from motions.api.errors import error_response

            return error_response(400, str(_l("The form's security token is missing or has expired; reload the page and try again.")),
                                  code="csrf_failed")
        return render_template("error.html", status=400, title=_l("Form expired"),
                               message=_l("The form's security token is missing or has expired; reload the page and try again.")), 400

    @app.errorhandler(PoolTimeout)  # no pooled connection came free in time: not a DBAPIError
    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError | PoolTimeout):
        """The database cannot be reached, refuses changes, or is too busy (a lock or statement
        timeout, a deadlock, the pool's timeout): 503 with what happened, not a 500 (the kinds are
        motions.database_errors'). Any other database error is not an outage: it takes the usual
        way (the 500 page)."""
        kind = database_errors.classify(error)
        if kind is None:
            raise error
        current_app.logger.warning("database %s (%s %s): %s", kind, request.method, request.path,
                                   database_errors.describe(error))
        _rollback()
        _stand_in_user(readable=kind == database_errors.READ_ONLY)
        message, retry = database_errors.message(kind), database_errors.RETRY_AFTER[kind]
        if request.path.startswith("/api/"):
            from motions.api.errors import error_response

            return error_response(503, message, code=database_errors.CODES[kind], retry_after=retry)
        response = make_response(render_template("error.html", status=503, title=database_errors.TITLES[kind],
                                                 message=message), 503)
        response.headers["Retry-After"] = str(retry)
        return response


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection may have gone with the database: give it up
        db.session.close()


class _SignedIn(UserMixin):
    """The signed-in person as far as the error page needs them (their name, their language),
    without the database: the rollback expired the Person, whose reloading may fail again."""

    def __init__(self, person_id, name: str, language):
        self.id, self.name, self.language = person_id, name, language


def _stand_in_user(readable: bool) -> None:
    """Before the error page renders: swap the request's person for one that needs no database.
    readable: the database still answers reads (it only refuses changes), so the person's name may
    be read again; otherwise only what is still loaded is used, or the page is rendered as for
    someone not signed in."""
    from sqlalchemy import inspect

    user = g.get("_login_user")
    if user is None:  # not loaded yet, or loading them failed
        g._login_user = login_manager.anonymous_user()
        return
    if isinstance(user, _SignedIn) or not getattr(user, "is_authenticated", False):
        return
    state = inspect(user)
    loaded = dict(state.dict)  # the attributes still loaded, read without a query
    if "name" not in loaded and readable:
        try:
            loaded = {"name": user.name, "language": user.language}
        except SQLAlchemyError:
            _rollback()
    if "name" in loaded:
        g._login_user = _SignedIn(state.identity[0] if state.identity else None, loaded["name"],
                                  loaded.get("language"))
    else:
        g._login_user = login_manager.anonymous_user()

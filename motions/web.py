"""The web shell: blueprints, sign-in plumbing, error pages, security headers."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from motions import labels
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

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_person(person_id: str):
        try:
            return db.session.get(Person, int(person_id))
        except (TypeError, ValueError):
            return None

    # globals, so that imported macros (which have no context) can use them too
    app.jinja_env.globals.update(labels=labels, label=labels.label)

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

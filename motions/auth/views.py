from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from motions.access import global_action
from motions.auth import operations
from motions.auth.forms import EmptyForm, LanguageForm, LoginForm
from motions.i18n import LANGUAGES

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only local paths: never redirect to another site after sign-in."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
@global_action("public")
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        person = operations.authenticate(form.email.data, form.password.data)
        if person is None:
            form.password.errors.append(_("The email or the password is wrong."))
        else:
            lang = session.get("lang")
            session.clear()  # no session fixation: a fresh session for the signed-in person
            if lang:
                session["lang"] = lang
            login_user(person)
            return redirect(safe_next(form.next.data, url_for("meetings.index")))
    return render_template("auth/login.html", form=form), (200 if request.method == "GET" or not form.errors else 422)


@bp.route("/logout", methods=["POST"])
@global_action("signed_in")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        operations.sign_out(current_user._get_current_object())
        logout_user()
        remember = session.get("_remember")  # Flask-Login's mark to delete a remember cookie
        session.clear()
        if remember:
            session["_remember"] = remember
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@global_action("public")
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            operations.set_language(current_user, form.lang.data)
    return redirect(safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path,
                              url_for("meetings.index")))

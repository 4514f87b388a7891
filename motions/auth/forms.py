from flask_babel import lazy_gettext as _l

from motions.forms import choices
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from motions.i18n import LANGUAGES


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                                Email(_l("Enter a valid email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Language"), choices=choices(LANGUAGES.items()))
    next = HiddenField()
    submit = SubmitField(_l("Change language"))


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: for buttons that post an action."""

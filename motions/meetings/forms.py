from flask_babel import lazy_gettext as _l

from motions.forms import choices
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, EmailField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from motions.labels import ROLE_LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MeetingSettingsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the meeting a title.")), Length(max=300)])
    seconders_required = IntegerField(_l("Seconders an amendment needs"), default=0,
                                      validators=[NumberRange(0, 100, _l("Enter a whole number from 0 to 100."))])
    quorum = StringField(_l("Quorum"), validators=[Optional(), Length(max=20)],
                         description=_l("A number of delegates (25), a fraction of those registered (1/3) or a percentage (50%); empty for none."))
    casting_vote = BooleanField(_l("The chair has a casting vote"))
    self_checkin = BooleanField(_l("Delegates may check themselves in"))
    line_width = IntegerField(_l("Line width for line numbers"), default=80,
                              validators=[NumberRange(20, 200, _l("Enter a line width from 20 to 200 characters."))],
                              description=_l("Characters per numbered line; Chinese characters count double."))
    numbering = SelectField(_l("Amendment numbers"), choices=choices([("sequential", _l("A1, A2, …")),
                                                                      ("by_line", _l("By line: L34-1, …"))]))
    submit = SubmitField(_l("Save settings"))


class NewMeetingForm(MeetingSettingsForm):
    slug = StringField(_l("Short name (in the address)"),
                       validators=[DataRequired(_l("Enter a short name.")),
                                   Regexp(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$",
                                          message=_l("Use 3 to 64 lower-case letters, digits and hyphens."))])
    submit = SubmitField(_l("Create meeting"))


class PersonForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter a valid email address.")),
                                                Email(_l("Enter a valid email address."))])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    vote_weight = IntegerField(_l("Vote weight"), default=1, validators=[NumberRange(0, 1_000_000)])
    roles = MultiCheckboxField(_l("Roles"), choices=choices(ROLE_LABELS.items()), default=["delegate"])
    password = PasswordField(_l("Password (optional)"), validators=[Optional(), Length(min=8, max=200)])
    submit = SubmitField(_l("Add person"))


class DelegateImportForm(FlaskForm):
    file = FileField(_l("CSV file"))
    text = TextAreaField(_l("…or paste the CSV here"))
    preview = SubmitField(_l("Preview"))
    confirm = SubmitField(_l("Import these delegates"))

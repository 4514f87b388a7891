"""Forms of the election pages (CSRF through Flask-WTF).

As for polls, lengths, choices and states are checked by the operations, which name the field:
the forms carry the values, so the messages are the operations' own, in the reader's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from motions.elections.labels import METHOD_LABELS
from motions.forms import choices


def method_choices():
    return choices((method, text) for method, text in METHOD_LABELS.items())


class ElectionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=300)],
                        description=_l("For example: Steering Committee."))
    seats = IntegerField(_l("Seats to fill"), validators=[Optional()])
    method = SelectField(_l("Method"), choices=method_choices(), default="scottish", validate_choice=False)
    reserved_seats = IntegerField(_l("Reserved seats"), validators=[Optional()], default=0,
                                  description=_l("At least this many of the seats go to candidates of the group "
                                                 "named below (0: no reserved seats)."))
    reserved_group = StringField(_l("Group the reserved seats are for"), validators=[Length(max=100)],
                                 description=_l("For example: women."))
    nominations_close_at = StringField(_l("Nominations close at (optional)"),
                                       description=_l("Date and time in UTC, for example 2026-12-06 15:30. Leave "
                                                      "empty to close nominations by hand."))
    submit = SubmitField(_l("Save"))


class NominationForm(FlaskForm):
    person_id = SelectField(_l("Candidate"), choices=[], validate_choice=False)
    name = StringField(_l("Name (for a candidate who is not a member of the meeting)"), validators=[Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Length(max=200)])
    statement = TextAreaField(_l("Candidate's statement (shown to voters)"), validators=[Length(max=2000)])
    in_group = BooleanField(_l("The candidate belongs to the group the reserved seats are for"))
    submit = SubmitField(_l("Nominate"))


class CandidateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Length(max=200)])
    statement = TextAreaField(_l("Candidate's statement (shown to voters)"), validators=[Length(max=2000)])
    in_group = BooleanField(_l("The candidate belongs to the group the reserved seats are for"))
    submit = SubmitField(_l("Save"))


class OpenBallotsForm(FlaskForm):
    confirm_without_quorum = BooleanField(_l("Open the vote without a quorum (the result will record it)"))
    submit = SubmitField(_l("Open the ballots"))


class VoidForm(FlaskForm):
    reason = TextAreaField(_l("Reason for voiding the election"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Void the election"))


class ImportForm(FlaskForm):
    file = FileField(_l("BLT file"))
    submit = SubmitField(_l("Import and count"))


class BallotForm(FlaskForm):
    """The ballot being filled in: the ranking so far (candidate ids, space-separated) and whose vote it is."""

    ranking = HiddenField()
    on_behalf_of = HiddenField()

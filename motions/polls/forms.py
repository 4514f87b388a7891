"""Forms of the poll pages, the chair's console and the proxies page (CSRF through Flask-WTF).

Lengths, choices and states are checked by the operations, which name the field; the forms only
carry the values (so the messages are the operations' own, in the reader's language)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length

from motions.forms import choices
from motions.labels import MAJORITY_LABELS, OUTCOME_LABELS


def majority_choices():
    return choices((rule, text) for rule, text in MAJORITY_LABELS.items())


class PollForm(FlaskForm):
    subject = SelectField(_l("What the poll decides"), choices=[], validate_choice=False)
    title = StringField(_l("Title"), validators=[Length(max=300)],
                        description=_l("Optional for an amendment or a document (the title is made from it); "
                                       "a free question needs one."))
    majority = SelectField(_l("Majority needed"), choices=majority_choices(), default="simple",
                           validate_choice=False)
    options = TextAreaField(_l("Options"),
                            description=_l("One option per line. Leave empty for yes, no and abstain "
                                           "(a vote on an amendment or a document always has these)."))
    secret = BooleanField(_l("Secret ballot (nobody, the chair included, can see who chose what)"))
    weighted = BooleanField(_l("Card vote (each ballot counts with the delegate's vote weight)"))
    analog = BooleanField(_l("Show of hands (the chair enters the count)"))
    submit = SubmitField(_l("Create the poll"))


class OpenForm(FlaskForm):
    confirm_without_quorum = BooleanField(_l("Open the vote without a quorum (the result will record it)"))
    next = HiddenField()
    submit = SubmitField(_l("Open the vote"))


class VoidForm(FlaskForm):
    reason = TextAreaField(_l("Reason for voiding the poll"), validators=[Length(max=2000)])
    next = HiddenField()
    submit = SubmitField(_l("Void the poll"))


def outcome_choices():
    return choices((o, OUTCOME_LABELS[o]) for o in ("carried", "lost", "remitted", "fallen"))


class DecideForm(FlaskForm):
    outcome = RadioField(_l("Decision"), choices=outcome_choices(), validate_choice=False)
    note = TextAreaField(_l("Note (how it was decided, optional)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Record the decision"))


class ProxyForm(FlaskForm):
    giver_id = SelectField(_l("Delegate giving the proxy"), choices=[], validate_choice=False)
    holder_id = SelectField(_l("Delegate holding the proxy"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Give the proxy"))


class FloorForm(FlaskForm):
    item = SelectField(_l("Take up"), choices=[], validate_choice=False)
    next = HiddenField()
    submit = SubmitField(_l("Put on the floor"))

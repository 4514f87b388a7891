from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from motions.forms import QuickSelect, choices


def kind_choices():
    return choices([("modify", _l("Change the text of the clause")),
                    ("insert_after", _l("Insert a new clause after it")),
                    ("delete", _l("Delete the clause"))])


class _WordingForm(FlaskForm):
    """What a mover writes: the text, a title and the reason. Lengths and emptiness are checked by
    the operation, which names the field."""

    text = TextAreaField(_l("The clause as it should read"))
    title = StringField(_l("Title (optional)"), validators=[Length(max=300)])
    reason = TextAreaField(_l("Reason (supporting statement)"))
    base_version = HiddenField()


class AmendmentForm(_WordingForm):
    clause_id = SelectField(_l("Clause"), choices=[], validate_choice=False)
    kind = RadioField(_l("What the amendment does"), choices=kind_choices(), default="modify", validate_choice=False)
    text = TextAreaField(_l("The clause as it should read"),
                         description=_l("Edit the text in place: the redline below shows your change as you type. "
                                        "For a new clause, write the new clause; for a deletion, leave it as it is."))
    preview = SubmitField(_l("Show the redline"))
    submit = SubmitField(_l("Submit the amendment"))


class ReviseForm(_WordingForm):
    text = TextAreaField(_l("The clause as it should read"),
                         description=_l("Revising keeps the earlier wording in the history; the seconders are "
                                        "released and must second the new wording again."))
    submit = SubmitField(_l("Save the revision"))


class RuleOutForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the ruling"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Rule out of order"))


class CompositeForm(FlaskForm):
    amendment_ids = HiddenField()
    title = StringField(_l("Title (optional)"), validators=[Length(max=300)])
    text = TextAreaField(_l("The clause as the composite would have it"))
    reason = TextAreaField(_l("Reason (supporting statement)"))
    submit = SubmitField(_l("Make the composite"))


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    clause_id = SelectField(_l("Clause"), choices=[], validate_choice=False, widget=QuickSelect())
    status = SelectField(_l("Status"), choices=[], validate_choice=False)
    mover_id = SelectField(_l("Mover"), choices=[], validate_choice=False, widget=QuickSelect())
    organisation = SelectField(_l("Organisation"), choices=[], validate_choice=False, widget=QuickSelect())
    submit = SubmitField(_l("Filter"))


class ResolveForm(FlaskForm):
    text = TextAreaField(_l("The clause as it should read with this amendment"),
                         description=_l("Start from the proposal below: the amendment's change made on the clause "
                                        "as it stands now. The earlier wording is kept in the history."))
    submit = SubmitField(_l("Save the resolution"))

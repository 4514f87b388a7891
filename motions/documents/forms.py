from flask_babel import lazy_gettext as _l

from motions.forms import choices
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class DocumentImportForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the document a title.")), Length(max=300)])
    kind = RadioField(_l("Kind"), choices=choices([("platform", _l("platform")), ("motion", _l("motion"))]), default="platform")
    format = RadioField(_l("Format"), default="markdown",
                        choices=choices([("markdown", _l("Markdown: # headings, a blank line between paragraphs, - list items")),
                                         ("text", _l("Plain text: every line is a clause, - list items"))]))
    file = FileField(_l("Upload a file (.md or .txt)"))
    text = TextAreaField(_l("…or paste the text"))
    preview = SubmitField(_l("Preview the clauses"))
    confirm = SubmitField(_l("Import this document"))


class ClauseEditForm(FlaskForm):
    text = TextAreaField(_l("Clause text"), validators=[DataRequired(_l("Enter the clause text."))],
                         description=_l("A blank line splits the clause in two."))
    submit = SubmitField(_l("Save clause"))


class DocumentStateForm(FlaskForm):
    state = SelectField(_l("New state"), choices=[])
    submit = SubmitField(_l("Change state"))

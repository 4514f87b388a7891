"""The debate's forms. The panels render them as small forms of hidden fields and buttons (one per
speaker and action); the views read them here, with Flask-WTF's CSRF check. Lengths, ranges and
emptiness are checked by the operations, which name the field."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from motions.forms import to_id as to_int  # noqa: F401  (the views import it from here)
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError


class SubjectForm(FlaskForm):
    """Which item's list: call next, end the current turn, close, reopen."""

    subject_type = HiddenField()
    subject_id = HiddenField()


class RequestForm(SubjectForm):
    """A delegate asks to speak; the button pressed says on which side."""

    side = HiddenField()


class SpeakerForm(FlaskForm):
    """One request on the list: withdraw it (its delegate), call it, remove it (the chair)."""

    speaker_id = HiddenField()


class MoveForm(SpeakerForm):
    direction = HiddenField()  # up or down (the buttons)
    position = StringField(_l("Move to place"), validators=[Optional(), Length(max=10)])


_TIME = re.compile(r"^\s*(?:(\d{1,3})\s*[:：]\s*(\d{1,2})|(\d{1,4}))\s*$")


def parse_speaking_time(text: str | None) -> int | None:
    """"2:30" (minutes:seconds) or "150" (seconds) as seconds; empty or 0: no limit (None).
    ValueError when it is neither (the operation checks the range)."""
    if not (text or "").strip():
        return None
    match = _TIME.match(text)
    if match is None or (match.group(2) is not None and int(match.group(2)) > 59):
        raise ValueError(text)
    if match.group(3) is not None:
        return int(match.group(3)) or None
    return int(match.group(1)) * 60 + int(match.group(2)) or None


class SpeakingTimeForm(SubjectForm):
    speaking_time = StringField(_l("Speaking time per speaker"), validators=[Length(max=10)],
                                description=_l("Minutes and seconds (2:30) or seconds (150); empty or 0 for no limit."))
    submit = SubmitField(_l("Set the speaking time"))

    def validate_speaking_time(self, field):
        try:
            parse_speaking_time(field.data)
        except ValueError:
            raise ValidationError(_l("Write the time as minutes:seconds (2:30) or as seconds (150).")) from None


class CommentForm(FlaskForm):
    subject_type = HiddenField()
    subject_id = HiddenField()
    parent_id = HiddenField()
    text = TextAreaField(_l("Your comment"))
    submit = SubmitField(_l("Post the comment"))


class CommentActionForm(FlaskForm):
    """Show a hidden comment again (the chair)."""

    comment_id = HiddenField()


class HideForm(CommentActionForm):
    reason = StringField(_l("Reason for hiding it"))
    submit = SubmitField(_l("Hide the comment"))

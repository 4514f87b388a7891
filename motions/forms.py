"""Small helpers shared by the feature forms."""
from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice


def to_id(value) -> int | None:
    """A database id from a form field or query argument: a whole number from 1 to 2**31-1, else None."""
    value = str(value if value is not None else "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= 2**31 - 1 else None


def version_arg(name: str = "version") -> int | None:
    """A version number from the query string (None when it is not given), for pages and the API
    alike: ValidationFailed naming the argument when it is not a whole number from 1, NotFound
    past the largest number a version can have."""
    from flask import request
    from flask_babel import gettext as _

    from motions.errors import NotFound, ValidationFailed

    raw = request.args.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ValidationFailed(_("The version must be a whole number, 1 or more."),
                               fields={name: _("Enter a version number: 1 or more.")})
    if int(raw) > 2**31 - 1:
        raise NotFound(_("This document has no version %(n)s.", n=raw))
    return int(raw)


def flag_arg(name: str) -> bool:
    """A 0/1 switch from the query string (0 when it is not given); ValidationFailed otherwise."""
    from flask import request
    from flask_babel import gettext as _

    from motions.errors import ValidationFailed

    raw = request.args.get(name, "0")
    if raw not in ("0", "1"):
        raise ValidationFailed(_("Give %(name)s as 0 or 1.", name=name), fields={name: _("Choose 0 or 1.")})
    return raw == "1"


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class QuickSelect:
    """The <select> widget for long lists (a conference's 2,000 movers, its 200 clauses), drawn in
    one pass: WTForms's own widget builds every option through html_params, a tenth of a second
    for 2,000 options. Same markup: the field's attributes, each value and label escaped, the
    chosen one `selected`."""

    def __call__(self, field, **kwargs):
        from wtforms.widgets import html_params

        kwargs.setdefault("id", field.id)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{_options(field.choices, field.coerce, field.data)}"
                      "</select>")


def _options(choices, coerce, chosen) -> str:
    """The <option>s of a select. Where every value and label is plain text, they are drawn once per
    process for the same choices, coercion and chosen value (every one content: the list's page
    draws the same 2,000 movers for every phone)."""
    pairs = tuple((c.value, c.label) for c in choices)
    if type(chosen) in (str, int, type(None)) and all(type(v) is str and type(t) is str for v, t in pairs):
        try:
            return _remembered_options(pairs, coerce, type(chosen), chosen)
        except TypeError:  # a coercion that cannot be a key
            pass
    return _draw_options(pairs, coerce, chosen)


@lru_cache(maxsize=32)
def _remembered_options(pairs: tuple, coerce, _chosen_type: type, chosen) -> str:
    return _draw_options(pairs, coerce, chosen)


def _draw_options(pairs, coerce, chosen) -> str:
    return "".join(f'<option{" selected" if coerce(value) == chosen else ""} value="{escape(value)}">'
                   f'{escape(label or value)}</option>' for value, label in pairs)

"""Small helpers shared by the feature forms."""
from __future__ import annotations

from wtforms.fields.choices import SelectChoice


def to_id(value) -> int | None:
    """A database id from a form field or query argument: a whole number from 1 to 2**31-1, else None."""
    value = str(value if value is not None else "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= 2**31 - 1 else None


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]

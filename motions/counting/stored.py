"""A count's outcome as plain data, to keep (a JSON column, a file) and read back:
:func:`dump` turns a :class:`~motions.counting.stv.Result` (Scottish or Meek STV) or a
:class:`~motions.counting.plurality.Tally` (approval, plurality) into a dict, :func:`load` gives
back an equal object: ``load(dump(x)) == x``, also through ``json.dumps``/``json.loads``.

The form (format 1).  Only dicts, lists, str, int and None:

* ``"format": 1`` and ``"kind"``: ``"stv"`` (a Result) or ``"tally"`` (a Tally);
* every field of the dataclass under its own name, with
  Decimals as their exact decimal text (``"1234.56789"``, the places kept: ``"0.00000"``),
  tuples as lists, frozensets (``withdrawn``, ``group``) as sorted lists, a stage as a dict of
  the :class:`~motions.counting.stv.Stage` fields;
* notes (``Stage.parts``, ``note_parts``) as ``[template, params]``, a params dict whose values
  are str, int, a list of names (a tuple in the note) or a nested ``[template, params]``.

:func:`load` refuses anything else with a :class:`ValueError` saying where and what: not a dict,
a format other than 1, an unknown kind, a missing or unexpected key, a value of the wrong type, a
decimal that is not plain decimal text, a candidate number out of range, a list of figures not
one per candidate.

Pure: standard library only.
"""
from __future__ import annotations

import re
from decimal import Decimal

from motions.counting.plurality import Tally
from motions.counting.stv import Note, Result, Stage, is_note

__all__ = ["FORMAT", "dump", "load", "dump_note", "load_note"]

FORMAT = 1

_RESULT_KEYS = ("method", "candidates", "seats", "valid", "invalid", "quota", "stages", "elected", "seed",
                "withdrawn", "notes", "note_parts")
_STAGE_KEYS = ("number", "action", "subject", "votes", "transfers", "non_transferable",
               "non_transferable_change", "loss", "loss_change", "elected", "excluded", "note", "keep",
               "parts")
_TALLY_KEYS = ("method", "candidates", "seats", "valid", "invalid", "votes", "elected", "reserved_elected",
               "withdrawn", "seed", "notes", "note_parts", "group", "reserved")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


# -- dump -----------------------------------------------------------------------------------

def _decimal(value: Decimal) -> str:
    return format(value, "f")


def _param(value, where: str):
    if is_note(value):
        return _note(value, where)
    if isinstance(value, bool) or not isinstance(value, (str, int, tuple, list)):
        raise ValueError(f"{where}: a note's parameter {value!r} cannot be stored "
                         f"(text, a whole number, names or a note)")
    if isinstance(value, (tuple, list)):
        if not all(isinstance(v, str) for v in value):
            raise ValueError(f"{where}: a note's list parameter must hold names, not {value!r}")
        return list(value)
    return value


def _note(note: Note, where: str = "note") -> list:
    template, params = note
    return [template, {key: _param(value, where) for key, value in params.items()}]


def _stage(stage: Stage) -> dict:
    return {
        "number": stage.number, "action": stage.action, "subject": stage.subject,
        "votes": [_decimal(v) for v in stage.votes], "transfers": [_decimal(v) for v in stage.transfers],
        "non_transferable": _decimal(stage.non_transferable),
        "non_transferable_change": _decimal(stage.non_transferable_change),
        "loss": _decimal(stage.loss), "loss_change": _decimal(stage.loss_change),
        "elected": list(stage.elected), "excluded": list(stage.excluded), "note": stage.note,
        "keep": [_decimal(k) for k in stage.keep], "parts": [_note(p) for p in stage.parts],
    }


def dump(outcome: Result | Tally) -> dict:
    """``outcome`` as JSON-safe data (see the module docstring)."""
    if isinstance(outcome, Result):
        return {
            "format": FORMAT, "kind": "stv", "method": outcome.method, "candidates": list(outcome.candidates),
            "seats": outcome.seats, "valid": _decimal(outcome.valid), "invalid": outcome.invalid,
            "quota": _decimal(outcome.quota), "stages": [_stage(s) for s in outcome.stages],
            "elected": list(outcome.elected), "seed": outcome.seed, "withdrawn": sorted(outcome.withdrawn),
            "notes": list(outcome.notes), "note_parts": [_note(n) for n in outcome.note_parts],
        }
    if isinstance(outcome, Tally):
        return {
            "format": FORMAT, "kind": "tally", "method": outcome.method,
            "candidates": list(outcome.candidates), "seats": outcome.seats, "valid": outcome.valid,
            "invalid": outcome.invalid, "votes": list(outcome.votes), "elected": list(outcome.elected),
            "reserved_elected": list(outcome.reserved_elected), "withdrawn": sorted(outcome.withdrawn),
            "seed": outcome.seed, "notes": list(outcome.notes),
            "note_parts": [_note(n) for n in outcome.note_parts],
            "group": sorted(outcome.group), "reserved": outcome.reserved,
        }
    raise TypeError(f"only a Result or a Tally can be stored, not {type(outcome).__name__}")


def dump_note(note: Note) -> list:
    """One note, a :class:`~motions.counting.stv.CountError`'s for example (``error.note``), as
    JSON-safe data: ``[template, params]``, nested notes likewise, names as lists.  An error's
    params may hold what a count was wrongly given (``seats: '3'``): a float, bool or None stays,
    anything else that is not text, a whole number, names or a note is kept as its ``repr``."""
    template, params = note

    def value(v):
        if is_note(v):
            return dump_note((v[0], v[1]))
        if isinstance(v, (tuple, list)) and all(isinstance(x, str) for x in v):
            return list(v)
        if v is None or isinstance(v, (str, int, float, bool)):
            return v
        return repr(v)

    return [template, {str(key): value(v) for key, v in params.items()}]


def load_note(data) -> Note:
    """The note :func:`dump_note` (or :func:`dump`) gave ``data`` for; :class:`ValueError` if it
    is not ``[template, params]``."""
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], str)
            and isinstance(data[1], dict)):
        raise ValueError(f"stored count: a note must be [template, params], not {data!r}")
    template, params = data

    def value(v):
        if isinstance(v, list) and len(v) == 2 and isinstance(v[1], dict):
            return load_note(v)
        if isinstance(v, list):
            return tuple(v)
        return v

    return (template, {key: value(v) for key, v in params.items()})


# -- load -----------------------------------------------------------------------------------

class _Fields:
    """A dict read key by key, each error saying where it is."""

    def __init__(self, data, where: str, keys: tuple[str, ...]) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"stored count: {where} must be a dict, not {type(data).__name__}")
        missing = [k for k in keys if k not in data]
        if missing:
            raise ValueError(f"stored count: {where} lacks {', '.join(map(repr, missing))}")
        unexpected = sorted(map(str, set(data) - set(keys) - {"format", "kind"}))
        if unexpected:
            raise ValueError(f"stored count: {where} has unexpected {', '.join(map(repr, unexpected))}")
        self.data = data
        self.where = where

    def fail(self, key: str, what: str):
        raise ValueError(f"stored count: {self.where}[{key!r}] {what}")

    def text(self, key: str) -> str:
        value = self.data[key]
        if not isinstance(value, str):
            self.fail(key, f"must be text, not {value!r}")
        return value

    def whole(self, key: str, minimum: int = 0) -> int:
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"must be a whole number >= {minimum}, not {value!r}")
        return value

    def items(self, key: str) -> list:
        value = self.data[key]
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {value!r}")
        return value

    def names(self, key: str) -> tuple[str, ...]:
        value = self.items(key)
        if not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of text")
        return tuple(value)

    def candidates(self, key: str, n: int) -> tuple[int, ...]:
        value = self.items(key)
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < n:
                self.fail(key, f"names {v!r}, which is not one of the {n} candidates")
        return tuple(value)

    def candidate_set(self, key: str, n: int) -> frozenset[int]:
        value = self.candidates(key, n)
        if len(set(value)) != len(value):
            self.fail(key, "names a candidate twice")
        return frozenset(value)

    def decimal(self, key: str) -> Decimal:
        return self._decimal(self.data[key], key)

    def _decimal(self, value, key: str) -> Decimal:
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            self.fail(key, f"must be a decimal number written out as text (\"12.50000\"), not {value!r}")
        return Decimal(value)

    def decimals(self, key: str, n: int | None) -> tuple[Decimal, ...]:
        value = self.items(key)
        if n is not None and len(value) != n:
            self.fail(key, f"must have one figure per candidate ({n}), not {len(value)}")
        return tuple(self._decimal(v, key) for v in value)

    def integers(self, key: str, n: int) -> tuple[int, ...]:
        value = self.items(key)
        if len(value) != n:
            self.fail(key, f"must have one figure per candidate ({n}), not {len(value)}")
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                self.fail(key, f"must hold whole numbers >= 0, not {v!r}")
        return tuple(value)

    def notes(self, key: str) -> tuple[Note, ...]:
        return tuple(_load_note(v, f"{self.where}[{key!r}][{i}]") for i, v in enumerate(self.items(key)))


def _load_param(value, where: str):
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[1], dict):
            return _load_note(value, where)
        if all(isinstance(v, str) for v in value):
            return tuple(value)
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError(f"stored count: {where}: a note's parameter must be text, a whole number, a list of "
                     f"names or a note, not {value!r}")


def _load_note(value, where: str) -> Note:
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], dict)):
        raise ValueError(f"stored count: {where} must be a note, [template, params], not {value!r}")
    template, params = value
    for key in params:
        if not isinstance(key, str):
            raise ValueError(f"stored count: {where}: a parameter's name must be text, not {key!r}")
    return (template, {key: _load_param(v, f"{where}[{key!r}]") for key, v in params.items()})


def _load_stage(data, where: str, n: int) -> Stage:
    f = _Fields(data, where, _STAGE_KEYS)
    subject = data["subject"]
    if subject is not None and (isinstance(subject, bool) or not isinstance(subject, int)
                                or not 0 <= subject < n):
        f.fail("subject", f"must be a candidate number or None, not {subject!r}")
    keep = f.decimals("keep", None)
    if keep and len(keep) != n:
        f.fail("keep", f"must be empty or have one figure per candidate ({n}), not {len(keep)}")
    return Stage(number=f.whole("number", 1), action=f.text("action"), subject=subject,
                 votes=f.decimals("votes", n), transfers=f.decimals("transfers", n),
                 non_transferable=f.decimal("non_transferable"),
                 non_transferable_change=f.decimal("non_transferable_change"),
                 loss=f.decimal("loss"), loss_change=f.decimal("loss_change"),
                 elected=f.candidates("elected", n), excluded=f.candidates("excluded", n),
                 note=f.text("note"), keep=keep, parts=f.notes("parts"))


def load(data: dict) -> Result | Tally:
    """The Result or Tally that :func:`dump` gave ``data`` for; :class:`ValueError` for anything
    malformed (see the module docstring)."""
    if not isinstance(data, dict):
        raise ValueError(f"stored count: expected a dict, not {type(data).__name__}")
    if "format" not in data:
        raise ValueError("stored count: no 'format' (this is not a stored count)")
    version = data["format"]
    if version != FORMAT or isinstance(version, bool):
        raise ValueError(f"stored count: format {version!r} is not known "
                         f"(this version reads format {FORMAT})")
    kind = data.get("kind")
    if kind == "stv":
        f = _Fields(data, "the count", _RESULT_KEYS)
        names = f.names("candidates")
        n = len(names)
        stages = tuple(_load_stage(s, f"the count['stages'][{i}]", n)
                       for i, s in enumerate(f.items("stages")))
        return Result(method=f.text("method"), candidates=names, seats=f.whole("seats"),
                      valid=f.decimal("valid"), invalid=f.whole("invalid"), quota=f.decimal("quota"),
                      stages=stages,
                      elected=f.candidates("elected", n), seed=f.text("seed"),
                      withdrawn=f.candidate_set("withdrawn", n), notes=f.names("notes"),
                      note_parts=f.notes("note_parts"))
    if kind == "tally":
        f = _Fields(data, "the tally", _TALLY_KEYS)
        names = f.names("candidates")
        n = len(names)
        return Tally(method=f.text("method"), candidates=names, seats=f.whole("seats"),
                     valid=f.whole("valid"), invalid=f.whole("invalid"), votes=f.integers("votes", n),
                     elected=f.candidates("elected", n),
                     reserved_elected=f.candidates("reserved_elected", n),
                     withdrawn=f.candidate_set("withdrawn", n), seed=f.text("seed"), notes=f.names("notes"),
                     note_parts=f.notes("note_parts"), group=f.candidate_set("group", n),
                     reserved=f.whole("reserved"))
    raise ValueError(f"stored count: unknown kind {kind!r} (expected 'stv' or 'tally')")

"""The BLT ballot format that STV counting programs share (the Electoral Reform Society's format,
read and written by OpenSTV, Droop, eSTV; the Scottish councils' preference profiles are
published in it): :func:`parse` reads one into an :class:`~motions.counting.stv.Election`,
:func:`dump` writes one.

The format, line by line (blank lines and ``#`` comments are ignored)::

    4 2                 the number of candidates, the number of seats
    -2                  optional: withdrawn candidates, as negative numbers (-2: candidate 2)
    12 1 3 0            a ballot line: weight (how many identical papers), the candidates in
    5 2 0               order of preference (numbered from 1), and 0 to end the line
    1 0                 an empty ballot (counted as invalid, and shown as such)
    0                   the end of the ballots
    "Ann Able"          the candidates' names in double quotes, one per line, in number order
    "Bob Baker"
    "Cy Cole"
    "Di Dunn"
    "Steering Committee"   the title

What is refused (:class:`BltError`, a :class:`ValueError` with the 1-based ``line`` and the
``reason``; its message reads ``line N: reason``): a header that is not two whole numbers, no
candidates; a withdrawn number that is not a candidate or is repeated; a ballot line with
something that is not a number, a weight below 1, a line not ending in 0, a 0 inside the
preferences, a preference for an unknown candidate, a candidate ranked twice; equal rankings
(``2=3``), skipped rankings (``-``) and ballot ids (``(id)``), which some programs write but a
count under these rules cannot use; a missing end-of-ballots 0; missing, unquoted, empty,
repeated or too few names; a missing title (which is how too few names shows when the title
took the last name's place); anything after the title.  The reason is translatable, as every
sentence of the counting core is (:mod:`motions.counting.stv`): ``error.reason`` is the English
sentence, ``error.note`` its template (marked with ``N_``) and params, which
:func:`~motions.counting.stv.render` passes through a gettext.

Numbers are candidates from 1 in the file and from 0 in the Election (``Ballot.preferences``).
``dump(parse(text))`` may differ from ``text`` in spacing and comments, but parses back to the
same Election, and ``parse(dump(election)) == election`` for every election ``dump`` accepts.

Pure: standard library only.
"""
from __future__ import annotations

import re

from motions.counting.stv import N_, Ballot, Election, Note, render

__all__ = ["BltError", "dump", "parse"]


class BltError(ValueError):
    """A malformed BLT file: ``BltError(line, template, **params)``, the 1-based ``line`` and the
    reason as a note (the template marked with :func:`~motions.counting.stv.N_`, as in
    :class:`~motions.counting.stv.CountError`; a value the file holds, a token or a name, is
    passed already quoted, as ``repr`` writes it).  ``error.reason`` is the English sentence,
    ``error.note`` (``(error.template, error.params)``) renders it in another language; str() is
    ``line N: reason``."""

    def __init__(self, line: int, template: str, **params) -> None:
        self.line = line
        self.template = template
        self.params = params
        self.reason = render((template, params))
        super().__init__(f"line {line}: {self.reason}")

    @property
    def note(self) -> Note:
        return (self.template, self.params)

    def __reduce__(self):
        return (_blt_error, (self.line, self.template, self.params))


def _blt_error(line: int, template: str, params: dict) -> BltError:
    return BltError(line, template, **params)


def _content(raw: str) -> str:
    """A numeric line without its comment and surrounding space."""
    return raw.split("#", 1)[0].strip()


_INTEGER = re.compile(r"-?[0-9]+")


def _number(token: str, number: int, what: Note) -> int:
    """A whole number of a numeric line; ``what`` (a note) says which, in the error."""
    if _INTEGER.fullmatch(token):
        return int(token)
    if "=" in token:
        raise BltError(number, N_("%(token)s: equal rankings ('=') are not supported: every preference must "
                                  "name one candidate"), token=repr(token))
    if token == "-":
        raise BltError(number, N_("'-': skipped rankings are not supported: list the preferences in order"))
    if token.startswith("("):
        raise BltError(number, N_("%(token)s: ballot ids in parentheses are not supported"),
                       token=repr(token))
    raise BltError(number, N_("%(token)s is not a whole number (%(what)s)"), token=repr(token), what=what)


def _quoted(raw: str, number: int, what: Note) -> str:
    """The text between the double quotes of a name or title line (a comment may follow);
    ``what`` (a note) names the line in the error."""
    text = raw.strip()
    if not text.startswith('"'):
        raise BltError(number, N_("expected the %(what)s in double quotes, found %(found)s"), what=what,
                       found=repr(text[:40]))
    end = text.find('"', 1)
    if end < 0:
        raise BltError(number, N_("the %(what)s has no closing double quote"), what=what)
    rest = text[end + 1:].strip()
    if rest and not rest.startswith("#"):
        raise BltError(number, N_("unexpected text after the %(what)s: %(found)s"), what=what,
                       found=repr(rest[:40]))
    return text[1:end]


def parse(text: str) -> Election:
    """Read a BLT file (its text) into an Election; :class:`BltError` for anything malformed."""
    lines = text.lstrip("\ufeff").splitlines()
    last = len(lines)
    i = 0

    def next_line() -> tuple[int, str] | None:
        """The next line that is neither blank nor only a comment: (1-based number, raw text)."""
        nonlocal i
        while i < last:
            raw = lines[i]
            i += 1
            stripped = raw.strip()
            if stripped and not stripped.startswith("#"):
                return i, raw
        return None

    found = next_line()
    if found is None:
        raise BltError(1, N_("the file is empty: expected 'candidates seats'"))
    number, raw = found
    tokens = _content(raw).split()
    if len(tokens) != 2:
        raise BltError(number, N_("expected two numbers, 'candidates seats', found %(found)s"),
                       found=repr(_content(raw)[:40]))
    n = _number(tokens[0], number, (N_("the number of candidates"), {}))
    seats = _number(tokens[1], number, (N_("the number of seats"), {}))
    if n < 1:
        raise BltError(number, N_("the number of candidates must be at least 1"))
    if seats < 0:
        raise BltError(number, N_("the number of seats cannot be negative"))

    withdrawn: set[int] = set()
    ballots: list[Ballot] = []
    found = next_line()
    if found is not None and _content(found[1]).startswith("-"):
        number, raw = found
        for token in _content(raw).split():
            value = _number(token, number, (N_("a withdrawn candidate"), {}))
            if value >= 0:
                raise BltError(number, N_("%(token)s: withdrawn candidates are written as negative numbers"),
                               token=repr(token))
            if -value > n:
                raise BltError(number, N_("withdrawn candidate %(candidate)d does not exist: there are %(n)d "
                                          "candidates"), candidate=-value, n=n)
            if -value - 1 in withdrawn:
                raise BltError(number, N_("candidate %(candidate)d is withdrawn twice"), candidate=-value)
            withdrawn.add(-value - 1)
        found = next_line()

    while True:
        if found is None:
            raise BltError(last + 1, N_("the file ends inside the ballots: expected a line '0' after the "
                                        "last ballot"))
        number, raw = found
        tokens = _content(raw).split()
        if tokens == ["0"]:
            break
        values = [_number(token, number, (N_("in a ballot line"), {})) for token in tokens]
        weight = values[0]
        if weight < 0:
            raise BltError(number, N_("negative weight %(weight)d: a ballot line starts with how many papers "
                                      "it stands for"), weight=weight)
        if weight == 0:
            raise BltError(number, N_("weight 0: a ballot line starts with how many papers (at least 1) it "
                                      "stands for"))
        if len(values) < 2 or values[-1] != 0:
            raise BltError(number, N_("a ballot line must end with 0"))
        prefs = values[1:-1]
        seen: set[int] = set()
        for p in prefs:
            if p == 0:
                raise BltError(number, N_("0 inside the preferences: 0 only ends a ballot line"))
            if p < 0 or p > n:
                raise BltError(number, N_("preference %(preference)d names no candidate: there are %(n)d "
                                          "candidates"), preference=p, n=n)
            if p in seen:
                raise BltError(number, N_("candidate %(candidate)d is ranked twice on one ballot (equal or "
                                          "repeated rankings are not supported)"), candidate=p)
            seen.add(p)
        ballots.append(Ballot(tuple(p - 1 for p in prefs), weight))
        found = next_line()

    names: list[str] = []
    for k in range(n):
        found = next_line()
        if found is None:
            raise BltError(last + 1, N_("too few names: %(named)d of %(n)d candidates named"), named=k, n=n)
        number, raw = found
        if not raw.strip().startswith('"'):
            raise BltError(number, N_("expected the name of candidate %(candidate)d in double quotes (too "
                                      "few names?), found %(found)s"), candidate=k + 1,
                           found=repr(raw.strip()[:40]))
        name = _quoted(raw, number, (N_("name of candidate %(candidate)d"), {"candidate": k + 1}))
        if not name.strip():
            raise BltError(number, N_("the name of candidate %(candidate)d is empty"), candidate=k + 1)
        if name in names:
            raise BltError(number, N_("two candidates are both named %(name)s"), name=repr(name))
        names.append(name)
    found = next_line()
    if found is None:
        raise BltError(last + 1, N_("the title is missing after the %(n)d names (too few names?)"), n=n)
    number, raw = found
    title = _quoted(raw, number, (N_("title"), {}))
    extra = next_line()
    if extra is not None:
        raise BltError(extra[0], N_("unexpected line after the title (more names than the %(n)d "
                                    "candidates?): %(found)s"), n=n, found=repr(extra[1].strip()[:40]))
    return Election(candidates=tuple(names), seats=seats, ballots=tuple(ballots),
                    withdrawn=frozenset(withdrawn), title=title)


def _one_line(text: str) -> bool:
    """Whether ``text`` fits between the double quotes of one BLT line (no quote, no character
    that :meth:`str.splitlines` breaks a line at)."""
    return '"' not in text and len((text + "x").splitlines()) == 1


def dump(election: Election) -> str:
    """Write an Election as a BLT file.  Raises :class:`ValueError` for what the format cannot
    hold: a name or title with a double quote or a line break, an empty or repeated name, a
    ballot weight below 1, a preference that is not a candidate or is repeated."""
    names = list(election.candidates)
    n = len(names)
    if n < 1:
        raise ValueError("BLT needs at least one candidate")
    for k, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"candidate {k + 1} has an empty name")
        if not _one_line(name):
            raise ValueError(f"candidate {k + 1}'s name cannot be written in BLT (double quote or line break)")
    if len(set(names)) != n:
        raise ValueError("two candidates have the same name")
    if isinstance(election.seats, bool) or not isinstance(election.seats, int) or election.seats < 0:
        raise ValueError(f"seats must be a whole number >= 0, not {election.seats!r}")
    if any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < n for c in election.withdrawn):
        raise ValueError("a withdrawn candidate is not one of the candidates")
    title = election.title or ""
    if not _one_line(title):
        raise ValueError("the title cannot be written in BLT (double quote or line break)")
    out = [f"{n} {election.seats}"]
    if election.withdrawn:
        out.append(" ".join(f"-{c + 1}" for c in sorted(election.withdrawn)))
    for ballot in election.ballots:
        prefs = ballot.preferences
        if isinstance(ballot.weight, bool) or not isinstance(ballot.weight, int) or ballot.weight < 1:
            raise ValueError(f"a ballot's weight must be a whole number >= 1, not {ballot.weight!r}")
        if any(isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < n for p in prefs):
            raise ValueError(f"ballot {prefs!r} names an unknown candidate")
        if len(set(prefs)) != len(prefs):
            raise ValueError(f"ballot {prefs!r} ranks a candidate twice")
        out.append(" ".join([str(ballot.weight), *(str(p + 1) for p in prefs), "0"]))
    out.append("0")
    out.extend(f'"{name}"' for name in names)
    out.append(f'"{title}"')
    return "\n".join(out) + "\n"

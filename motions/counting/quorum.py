"""How many delegates a meeting's quorum needs, and whether it is met.

A quorum (as :func:`motions.meetings.operations.parse_quorum` reads it) is

* ``None`` -- no quorum: always met;
* an ``int`` -- that number of delegates (>= 0);
* a :class:`fractions.Fraction` ``0 < q <= 1`` -- that share of the delegates registered,
  rounded **up**: ``ceil(q * registered)``, so 1/3 of 10 registered needs 4 and 1/2 of 10
  needs 5.  With nobody registered a fraction needs 0 (and is met).

Met when ``present >= needed``.  Counts are non-negative ints; ``present`` cannot exceed
``registered``.  Anything else (a float, a bool, a negative number, a fraction outside
``(0, 1]``) raises :class:`ValueError`.

Pure: standard library only; exact arithmetic, never a float.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["Quorum", "met", "needed"]

Quorum = int | Fraction | None


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # ValueError, not TypeError: one exception for every count a caller must refuse
        raise ValueError(f"{name} must be a whole number, not {value!r}")  # noqa: TRY004
    if value < 0:
        raise ValueError(f"{name} cannot be negative ({value})")
    return value


def needed(quorum: Quorum, registered: int) -> int | None:
    """The number of delegates the quorum needs with ``registered`` delegates registered
    (None: there is no quorum)."""
    _check_count("registered", registered)
    if quorum is None:
        return None
    if isinstance(quorum, Fraction):
        if not 0 < quorum <= 1:
            raise ValueError(f"a quorum fraction must be more than 0 and at most 1, not {quorum}")
        return -(-quorum.numerator * registered // quorum.denominator)  # ceil, exactly
    return _check_count("quorum", quorum)


def met(quorum: Quorum, present: int, registered: int) -> bool:
    """Whether ``present`` delegates make the quorum (always, when there is none)."""
    _check_count("present", present)
    _check_count("registered", registered)
    if present > registered:
        raise ValueError(f"{present} delegates are present but only {registered} are registered")
    n = needed(quorum, registered)
    return n is None or present >= n

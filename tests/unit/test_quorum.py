"""Unit tests for motions.counting.quorum: how many a quorum needs and whether it is met."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motions.counting.quorum import met, needed


@pytest.mark.parametrize(
    "quorum, registered, expected",
    [
        (None, 10, None),
        (None, 0, None),
        (25, 10, 25),  # a number of delegates stands, whoever registered
        (25, 100, 25),
        (0, 10, 0),
        (0, 0, 0),
        (Fraction(1, 3), 10, 4),  # 3 1/3 rounds up
        (Fraction(1, 3), 9, 3),
        (Fraction(1, 3), 1, 1),
        (Fraction(1, 2), 10, 5),  # exactly half is enough: it is not "more than half"
        (Fraction(1, 2), 11, 6),
        (Fraction(1, 4), 1000, 250),
        (Fraction(1, 4), 1001, 251),
        (Fraction(2, 3), 1000, 667),
        (Fraction(1), 7, 7),
        (Fraction(1, 3), 0, 0),  # nobody registered: a share of nobody is nobody
        (Fraction(1), 0, 0),
        (Fraction(1, 10**9), 10**12, 1000),
    ],
)
def test_needed(quorum, registered, expected):
    assert needed(quorum, registered) == expected
    assert type(needed(quorum, registered)) is type(expected)


@pytest.mark.parametrize(
    "quorum, present, registered, expected",
    [
        (None, 0, 0, True),
        (None, 0, 50, True),
        (Fraction(1, 3), 4, 10, True),
        (Fraction(1, 3), 3, 10, False),
        (Fraction(1, 2), 5, 10, True),
        (Fraction(1, 2), 4, 10, False),
        (Fraction(1, 3), 0, 0, True),
        (25, 25, 40, True),
        (25, 24, 40, False),
        (25, 10, 10, False),  # fewer registered than the quorum: it cannot be met
        (25, 0, 0, False),
        (0, 0, 0, True),
    ],
)
def test_met(quorum, present, registered, expected):
    assert met(quorum, present, registered) is expected


@pytest.mark.parametrize(
    "quorum, registered",
    [
        (-1, 10),
        (True, 10),
        (2.5, 10),
        (0.5, 10),
        ("1/3", 10),
        (Fraction(0), 10),
        (Fraction(-1, 3), 10),
        (Fraction(3, 2), 10),
        (Fraction(1, 3), -1),
        (Fraction(1, 3), 10.0),
        (None, -1),
        (5, True),
    ],
)
def test_bad_input_is_refused(quorum, registered):
    with pytest.raises(ValueError):
        needed(quorum, registered)
    with pytest.raises(ValueError):
        met(quorum, 0, registered)


def test_present_cannot_exceed_registered_or_be_negative():
    with pytest.raises(ValueError, match="11 delegates are present but only 10 are registered"):
        met(5, 11, 10)
    with pytest.raises(ValueError):
        met(None, -1, 10)
    with pytest.raises(ValueError):
        met(None, 1.0, 10)


@settings(max_examples=400, deadline=None)
@given(st.fractions(min_value=0, max_value=1, max_denominator=1000), st.integers(0, 100_000))
def test_a_fraction_needs_the_least_number_reaching_it(quorum, registered):
    if quorum == 0:
        return
    n = needed(quorum, registered)
    assert isinstance(n, int) and 0 <= n <= registered
    assert n >= quorum * registered > n - 1  # ceil, exactly
    assert met(quorum, n, registered)
    if n:
        assert not met(quorum, n - 1, registered)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(0, 500), st.fractions(min_value=Fraction(1, 1000), max_value=1)),
       st.integers(0, 500), st.data())
def test_met_is_monotone_in_present(quorum, registered, data):
    present = data.draw(st.integers(0, registered))
    if met(quorum, present, registered) and present < registered:
        assert met(quorum, present + 1, registered)

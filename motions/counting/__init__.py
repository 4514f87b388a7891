"""Pure vote-counting core of the motions app (standard library only, no Flask, no database).

Exact arithmetic throughout: counts are ``int``, fractional quorums are
:class:`fractions.Fraction`; nothing is ever a float.

* :mod:`motions.counting.majority` -- the yes / no / abstain counts of a poll (electronic, card
  vote or entered by the chair), the majority rules (``simple``, ``two_thirds``,
  ``absolute_present``, ``absolute_entitled``), the chair's casting vote, and the result in words.
* :mod:`motions.counting.quorum` -- how many delegates a quorum needs and whether it is met.
* :mod:`motions.counting.stv` -- the model of a single-transferable-vote count (ballots,
  stages, results) and the translatable notes of the whole core (``N_``, ``render``).
* :mod:`motions.counting.scottish`, :mod:`motions.counting.meek` -- Scottish STV (SSI 2007/42)
  and Meek STV (Algorithm 123); :mod:`motions.counting.reserved` -- reserved seats in two counts.
* :mod:`motions.counting.plurality` -- approval voting and plurality at large (a ``Tally``),
  with reserved seats.
* :mod:`motions.counting.sheet` -- the result sheet (table and text) of a count or a tally;
  :mod:`motions.counting.blt` -- the BLT ballot file format;
  :mod:`motions.counting.stored` -- a count's outcome as JSON-safe data and back.

The STV counts' figures are :class:`decimal.Decimal` values with a fixed number of places,
exact as well.
"""

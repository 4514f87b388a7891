"""Pure vote-counting core of the motions app (standard library only, no Flask, no database).

Exact arithmetic throughout: counts are ``int``, fractional quorums are
:class:`fractions.Fraction`; nothing is ever a float.

* :mod:`motions.counting.majority` -- the yes / no / abstain counts of a poll (electronic, card
  vote or entered by the chair), the majority rules (``simple``, ``two_thirds``,
  ``absolute_present``, ``absolute_entitled``), the chair's casting vote, and the result in words.
* :mod:`motions.counting.quorum` -- how many delegates a quorum needs and whether it is met.
"""

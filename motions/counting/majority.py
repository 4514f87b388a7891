"""Whether a poll carried a motion: the majority rules, the chair's casting vote, the words.

A poll has three options, yes / no / abstain.  Its :class:`Counts` are whole numbers: the
ballots of an electronic poll, the counts the chair enters for an analog poll (a show of hands),
or, for a **card vote**, the *weighted* totals (each ballot counted with the delegate's vote
weight, a non-negative int) -- then the ballots themselves are kept alongside as the
``headcount``.  The rule is always applied to ``counts`` (the weighted totals of a card vote).

Rules (:data:`RULES`); ``base`` is the number the rule measures against, ``threshold`` the least
number of yes votes, out of ``base``, that carries:

=====================  ==========================  ======================  ==================
rule                   carried when                base                    threshold
=====================  ==========================  ======================  ==================
``simple``             ``yes > no``                ``yes + no``            ``base // 2 + 1``
``two_thirds``         ``3*yes >= 2*(yes + no)``   ``yes + no``            ``ceil(2*base/3)``,
                       and ``yes + no > 0``                                at least 1
``absolute_present``   ``2*yes > present``         ``present``             ``base // 2 + 1``
``absolute_entitled``  ``2*yes > entitled``        ``entitled``            ``base // 2 + 1``
=====================  ==========================  ======================  ==================

For every rule, **carried exactly when** ``yes >= threshold``; with ``base`` fixed, ``threshold``
yes votes carry and ``threshold - 1`` do not.  (For ``simple`` this is the same test as
``yes >= no + 1``; the threshold is stated against the votes cast so that every rule reads
"N needed of base".)  Abstentions do not count under ``simple`` and ``two_thirds``; under the
absolute rules every delegate present (or entitled) who does not vote yes -- abstaining, voting no
or not voting at all -- counts against.  For a card vote ``present`` and ``entitled`` are the
total vote weight present / entitled: always in the units of ``counts``.

Nothing carries on no votes: with ``yes + no == 0`` every rule gives ``lost`` (``simple``:
0 is not more than 0; ``two_thirds``: the threshold is at least 1; the absolute rules: 0 is not
more than half of anything).

Casting vote
    Only under ``simple`` and only where the meeting grants it (``casting_vote=True``): a tie
    ``yes == no`` with at least one vote each way is then the outcome ``tie`` instead of
    ``lost``, and the chair decides it with :func:`apply_casting_vote`.  A 0--0 "tie" is
    ``lost``: with no votes at all there is nothing for a casting vote to break.  A casting
    vote never applies to the other rules.  The chair's vote does not change the counts; the
    result records it in ``casting``.

Impossible input raises :class:`ValueError` (with a message saying why): a count that is not a
non-negative int (``bool`` is refused too), an unknown rule, a missing ``present`` /
``entitled`` for an absolute rule, more votes cast than there are votes present or entitled,
more present than entitled, a weighted total for an option that no ballot chose.

Wording (:func:`describe`)
    ``Carried: 41 for, 12 against, 3 abstentions; simple majority of votes cast.``
    ``Tie: 9 for, 9 against, 2 abstentions; the chair has the casting vote.``
    ``Carried on the chair's casting vote: 9 for, 9 against, 2 abstentions; simple majority of
    votes cast.``
    ``Lost: 500 for, 20 against, 0 abstentions; absolute majority of the 1,000 delegates
    entitled to vote (501 needed).``
    ``Carried: 5,200 for, 3,100 against, 400 abstentions (card vote; 41 for, 30 against,
    4 abstentions by headcount); simple majority of votes cast.``
    Numbers get a comma as the thousands separator (``f"{n:,}"``, no locale machinery; the
    convention is the same in Chinese), so they are passed to the messages as strings
    (``%(yes)s``).  English needs "1 abstention", so that is a message of its own.  Every
    message is a literal first argument of ``_`` in this module (so Babel extracts it) and is
    formatted Flask-Babel style: ``gettext(msgid, **variables)``; the pieces (the counts, the
    card vote, the rule) are translated on their own and put into the sentence.

Pure: standard library only; no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

__all__ = [
    "OUTCOMES",
    "RULES",
    "Counts",
    "Result",
    "apply_casting_vote",
    "decide",
    "describe",
    "threshold",
]

RULES = ("simple", "two_thirds", "absolute_present", "absolute_entitled")
OUTCOMES = ("carried", "lost", "tie")
CHOICES = ("yes", "no")


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # ValueError, not TypeError: one exception for every count a caller must refuse
        raise ValueError(f"{name} must be a whole number, not {value!r}")  # noqa: TRY004
    if value < 0:
        raise ValueError(f"{name} cannot be negative ({value})")
    return value


def _check_rule(rule: object) -> str:
    if rule not in RULES:
        raise ValueError(f"unknown majority rule {rule!r}; expected one of {RULES}")
    return rule  # type: ignore[return-value]


@dataclass(frozen=True)
class Counts:
    """The yes / no / abstain totals of a poll: non-negative ints (ValueError otherwise)."""

    yes: int
    no: int
    abstain: int = 0

    def __post_init__(self) -> None:
        _check_count("yes", self.yes)
        _check_count("no", self.no)
        _check_count("abstain", self.abstain)

    @property
    def cast(self) -> int:
        """Every vote cast, abstentions included: ``yes + no + abstain``."""
        return self.yes + self.no + self.abstain


@dataclass(frozen=True)
class Result:
    """The outcome of a poll under ``rule``.

    ``outcome``: "carried", "lost" or "tie" (only under ``simple`` with a casting vote; see
    :func:`apply_casting_vote`).  ``counts``: what the rule was applied to (the weighted totals
    of a card vote).  ``headcount``: the ballots of a card vote, None otherwise.  ``base``: the
    number the rule measures against (``yes + no`` for simple and two_thirds, the delegates --
    or vote weight -- present or entitled for the absolute rules).  ``threshold``: the least
    number of yes votes, out of ``base``, that carries (:func:`threshold`); carried exactly
    when ``counts.yes >= threshold``.  ``casting``: the chair's casting vote ("yes" / "no")
    once given, else None.
    """

    outcome: str
    rule: str
    counts: Counts
    base: int
    threshold: int
    headcount: Counts | None = None
    casting: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}; expected one of {OUTCOMES}")
        _check_rule(self.rule)
        if self.casting is not None and self.casting not in CHOICES:
            raise ValueError(f"a casting vote is one of {CHOICES}, not {self.casting!r}")

    @property
    def carried(self) -> bool:
        return self.outcome == "carried"

    @property
    def card_vote(self) -> bool:
        return self.headcount is not None


def threshold(rule: str, base: int) -> int:
    """The least number of yes votes, out of ``base``, that carries under ``rule``:
    ``base // 2 + 1`` (more than half) for simple and the absolute rules,
    ``max(1, ceil(2 * base / 3))`` for two_thirds (nothing carries on no votes)."""
    _check_rule(rule)
    _check_count("base", base)
    if rule == "two_thirds":
        return max(1, (2 * base + 2) // 3)
    return base // 2 + 1


def decide(
    rule: str,
    counts: Counts,
    *,
    present: int | None = None,
    entitled: int | None = None,
    casting_vote: bool = False,
    headcount: Counts | None = None,
) -> Result:
    """Apply ``rule`` to ``counts``.

    ``present`` (needed for absolute_present) and ``entitled`` (needed for absolute_entitled)
    are in the units of ``counts``: delegates, or the total vote weight for a card vote; when
    given they are checked against the counts whatever the rule.  ``casting_vote``: the meeting
    grants the chair a casting vote (only ``simple`` uses it).  ``headcount``: the ballots of
    a card vote, ``counts`` then being the weighted totals.
    """
    _check_rule(rule)
    if not isinstance(counts, Counts):
        raise TypeError(f"counts must be a Counts, not {counts!r}")
    if headcount is not None:
        if not isinstance(headcount, Counts):
            raise TypeError(f"headcount must be a Counts or None, not {headcount!r}")
        for option in ("yes", "no", "abstain"):
            if getattr(headcount, option) == 0 and getattr(counts, option) != 0:
                raise ValueError(
                    f"a card vote cannot weigh {getattr(counts, option)} {option} votes "
                    f"when no ballot chose {option}"
                )
    if present is not None:
        _check_count("present", present)
        if counts.cast > present:
            raise ValueError(f"{counts.cast} votes were cast but only {present} are present")
    if entitled is not None:
        _check_count("entitled", entitled)
        if counts.cast > entitled:
            raise ValueError(f"{counts.cast} votes were cast but only {entitled} are entitled")
        if present is not None and present > entitled:
            raise ValueError(f"{present} are present but only {entitled} are entitled")

    if rule == "absolute_present":
        if present is None:
            raise ValueError("an absolute majority of those present needs the number present")
        base = present
    elif rule == "absolute_entitled":
        if entitled is None:
            raise ValueError("an absolute majority of those entitled needs the number entitled")
        base = entitled
    else:
        base = counts.yes + counts.no
    needed = threshold(rule, base)

    if counts.yes >= needed:
        outcome = "carried"
    elif rule == "simple" and casting_vote and counts.yes == counts.no and counts.yes > 0:
        outcome = "tie"
    else:
        outcome = "lost"
    return Result(outcome, rule, counts, base, needed, headcount)


def apply_casting_vote(result: Result, choice: str) -> Result:
    """The chair's casting vote ("yes" carries, "no" loses) on a ``tie``; the counts stay as
    they are and the result records the choice in ``casting``."""
    if not isinstance(result, Result):
        raise TypeError(f"not a Result: {result!r}")
    if result.outcome != "tie":
        raise ValueError(f"a casting vote only decides a tie, not a result that is {result.outcome}")
    if choice not in CHOICES:
        raise ValueError(f"a casting vote is one of {CHOICES}, not {choice!r}")
    return replace(result, outcome="carried" if choice == "yes" else "lost", casting=choice)


# --------------------------------------------------------------------------------------------
# wording
# --------------------------------------------------------------------------------------------


def _default_gettext(msgid: str, **variables) -> str:
    return msgid % variables if variables else msgid


def _number(n: int) -> str:
    return f"{n:,}"


def _counts(counts: Counts, _: Callable[..., str]) -> str:
    if counts.abstain == 1:
        return _(
            "%(yes)s for, %(no)s against, 1 abstention",
            yes=_number(counts.yes),
            no=_number(counts.no),
        )
    return _(
        "%(yes)s for, %(no)s against, %(abstain)s abstentions",
        yes=_number(counts.yes),
        no=_number(counts.no),
        abstain=_number(counts.abstain),
    )


def _rule(result: Result, _: Callable[..., str]) -> str:
    base = _number(result.base)
    needed = _number(result.threshold)
    if result.rule == "simple":
        return _("simple majority of votes cast")
    if result.rule == "two_thirds":
        return _("two-thirds majority of votes cast (%(needed)s needed)", needed=needed)
    if result.rule == "absolute_present":
        if result.card_vote:
            return _(
                "absolute majority of the %(base)s votes held by the delegates present "
                "(%(needed)s needed)",
                base=base,
                needed=needed,
            )
        return _(
            "absolute majority of the %(base)s delegates present (%(needed)s needed)",
            base=base,
            needed=needed,
        )
    if result.card_vote:
        return _(
            "absolute majority of the %(base)s votes held by the delegates entitled to vote "
            "(%(needed)s needed)",
            base=base,
            needed=needed,
        )
    return _(
        "absolute majority of the %(base)s delegates entitled to vote (%(needed)s needed)",
        base=base,
        needed=needed,
    )


def describe(result: Result, gettext: Callable[..., str] | None = None) -> str:
    """The result as one sentence.  ``gettext(msgid, **variables)`` translates and formats
    like Flask-Babel's ``gettext``; by default the English message is formatted with ``%``."""
    _ = gettext or _default_gettext
    counts = _counts(result.counts, _)
    if result.headcount is not None:
        counts = _(
            "%(weighted)s (card vote; %(ballots)s by headcount)",
            weighted=counts,
            ballots=_counts(result.headcount, _),
        )
    if result.outcome == "tie":
        return _("Tie: %(counts)s; the chair has the casting vote.", counts=counts)
    rule = _rule(result, _)
    if result.casting == "yes":
        return _("Carried on the chair's casting vote: %(counts)s; %(rule)s.", counts=counts, rule=rule)
    if result.casting == "no":
        return _("Lost on the chair's casting vote: %(counts)s; %(rule)s.", counts=counts, rule=rule)
    if result.outcome == "carried":
        return _("Carried: %(counts)s; %(rule)s.", counts=counts, rule=rule)
    return _("Lost: %(counts)s; %(rule)s.", counts=counts, rule=rule)

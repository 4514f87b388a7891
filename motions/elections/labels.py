"""Translatable labels and rule statements of elections (states, methods, how the count works)."""
from __future__ import annotations

from motions.i18n import lazy_gettext as _l

ELECTION_STATE_LABELS = {
    "draft": _l("being set up"),
    "nominating": _l("nominations open"),
    "nominations_closed": _l("nominations closed"),
    "open": _l("voting open"),
    "closed": _l("counted"),
    "void": _l("void"),
}

CANDIDATE_STATE_LABELS = {
    "nominated": _l("waiting for seconders"),
    "standing": _l("standing"),
    "withdrawn": _l("withdrew"),  # not the amendments' "withdrawn": a candidate withdraws (退选), a motion is withdrawn
}

METHOD_LABELS = {
    "scottish": _l("Single transferable vote (Scottish STV)"),
    "meek": _l("Single transferable vote (Meek STV)"),
    "approval": _l("Approval voting"),
    "plurality": _l("Plurality at large"),
}

# How each method is voted, for the ballot page
HOW_TO_VOTE = {
    "scottish": _l("Rank the candidates in order of preference: tap your first choice, then your second, and so "
                   "on. Rank as many or as few as you like."),
    "meek": _l("Rank the candidates in order of preference: tap your first choice, then your second, and so "
               "on. Rank as many or as few as you like."),
    "approval": _l("Mark every candidate you approve of, as many as you like."),
    "plurality": _l("Mark up to %(seats)d candidates."),
}

# The rule, stated on the election's page
RULES = {
    "scottish": _l(
        "Counted by the single transferable vote as in the Scottish Local Government Elections Order 2007 "
        "(rules 45 to 52). The quota is the number of valid ballots divided by one more than the number of "
        "seats, ignoring any fraction, plus one. A candidate who reaches the quota is elected. The surplus of an "
        "elected candidate, largest first, passes on to the next preferences on all of their ballot papers at a "
        "reduced value, calculated to five decimal places with any remainder ignored. When there is no surplus "
        "to transfer, the candidate with the fewest votes is excluded and their papers pass on at their current "
        "value. Ties are decided by the most recent stage at which the tied candidates had different votes, "
        "then by lot, drawn from a seed recorded in the result. When the candidates left equal the seats left, "
        "they are all elected."),
    "meek": _l(
        "Counted by the single transferable vote using Meek's method (Hill, Wichmann and Woodall, Algorithm "
        "123). Every elected candidate keeps only the part of each vote they need to reach the quota and passes "
        "the rest on, to later preferences, elected candidates included; the quota is recalculated as ballots "
        "run out of preferences. When nobody can be elected, the candidate with the fewest votes is excluded and "
        "the count is made again without them. Ties are decided by lot, drawn from a seed recorded in the "
        "result."),
    "approval": _l(
        "Approval voting: each voter marks any number of candidates; the candidates with the most marks fill the "
        "seats. A tie for the last seat is decided by lot, drawn from a seed recorded in the result."),
    "plurality": _l(
        "Plurality at large: each voter marks up to as many candidates as there are seats; the candidates with "
        "the most marks fill the seats. A tie for the last seat is decided by lot, drawn from a seed recorded in "
        "the result."),
}

RESERVED_RULE = _l(
    "At least %(k)d of the %(seats)d seats are reserved for %(group)s. The reserved seats are filled first, by a "
    "count among the candidates of that group alone; then the remaining seats are filled by a count among all "
    "the other candidates, including those of the group not yet elected, with the candidates already elected "
    "taken out. The reserved number is a minimum: more candidates of the group can be elected.")

PART_LABELS = {
    "all": _l("The count"),
    "reserved": _l("Count for the reserved seats"),
    "general": _l("Count for the remaining seats"),
}

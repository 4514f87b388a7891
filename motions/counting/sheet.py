"""The returning officer's result sheet of an STV count, as data (:func:`rows`, for the page, the
CSV and the PDF) and as a fixed-width text table for the command line (:func:`text`); and the
sheet of an approval or plurality count (:func:`tally_rows`, and :func:`text` of a
:class:`~motions.counting.plurality.Tally`).

The table (:func:`rows`), one list of strings per row, every row as long as the first:

* three header rows: the stage numbers; what each stage did ("First preferences", "Surplus of
  A", "Exclusion of B"); and, per stage, two columns: "Transfer" (what the stage moved: minus for
  the candidate whose surplus or papers went, blank at the first stage) and "Votes" (after it);
* one row per candidate, in ballot-paper order: transfers and votes per stage (blank once the
  candidate is excluded; a transfer is shown for candidates still in the count at that stage,
  for the one whose papers moved, and wherever it is not zero), and in the last column how it
  ended: "Elected at stage N", "Excluded at stage N", "Not elected" or "Withdrawn";
* "Non-transferable" and "Loss from truncation": what the stage added, and the running total;
* "Total": votes + non-transferable + loss, which is the valid ballots at every stage;
* "Quota"; "Elected" and "Excluded": who, at which stage; "Note": how a tie was broken, rule 52.

The table of a tally (:func:`tally_rows`): a header row ("Candidate", "Votes", "Result"); one
row per candidate in ballot-paper order: the name, the votes (blank for a withdrawn candidate)
and how it ended: "Elected", "Elected (reserved seat)", "Not elected" or "Withdrawn"; then
"Valid ballots" and "Invalid ballots" with their numbers.

Figures are the result's :class:`~decimal.Decimal` values written out in full (Scottish STV:
five decimal places), never rounded.  Every label is in :data:`LABELS`, so the app can pass
translated ones (``rows(result, labels=...)``, same keys; ``{name}`` and ``{stage}`` are filled in).
The notes (a stage's note, the result's notes) are rendered from their translatable parts with
the ``gettext`` given (English without one; see :mod:`motions.counting.stv`).

Pure: standard library only.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Callable

from motions.counting.stv import N_, Result, render, render_parts

if TYPE_CHECKING:
    from motions.counting.plurality import Tally

__all__ = ["LABELS", "rows", "tally_rows", "text"]

LABELS: dict[str, str] = {
    "stage": N_("Stage"),
    "action": N_("Action"),
    "candidate": N_("Candidate"),
    "transfer": N_("Transfer"),
    "votes": N_("Votes"),
    "result": N_("Result"),
    "first": N_("First preferences"),
    "surplus": N_("Surplus of {name}"),
    "exclusion": N_("Exclusion of {name}"),
    "last": N_("Remaining seats filled"),
    "iteration": N_("Iteration"),
    "non_transferable": N_("Non-transferable"),
    "loss": N_("Loss from truncation"),
    "total": N_("Total"),
    "quota": N_("Quota"),
    "elected": N_("Elected"),
    "excluded": N_("Excluded"),
    "note": N_("Note"),
    "elected_at": N_("Elected at stage {stage}"),
    "excluded_at": N_("Excluded at stage {stage}"),
    "not_elected": N_("Not elected"),
    "withdrawn": N_("Withdrawn"),
    "method": N_("Method"),
    "method_scottish": N_("Scottish STV (Scottish Local Government Elections Order 2007, rules 45-52)"),
    "method_meek": N_("Meek STV"),
    "method_approval": N_("Approval voting"),
    "method_plurality": N_("Plurality at large"),
    "elected_reserved": N_("Elected (reserved seat)"),
    "reserved_seats": N_("Reserved seats"),
    "seats": N_("Seats"),
    "valid": N_("Valid ballots"),
    "invalid": N_("Invalid ballots"),
    "seed": N_("Seed for any lot"),
    "notes": N_("Notes"),
    "stage_note": N_("Stage {stage}: "),
}


# How many header rows come before the first candidate's row: an STV sheet's three, a tally's one.
HEADER_ROWS = 3
TALLY_HEADER_ROWS = 1


def _fmt(value: Decimal) -> str:
    return format(value, "f")


def _signed(value: Decimal) -> str:
    return "+" + _fmt(value) if value > 0 else _fmt(value)


def _action(stage, names, labels) -> str:
    template = labels.get(stage.action, stage.action)
    name = names[stage.subject] if stage.subject is not None else ""
    return template.format(name=name)


def _stage_note(stage, gettext: Callable[[str], str] | None) -> str:
    return render_parts(stage.parts, gettext) if stage.parts else stage.note


def _notes(outcome, gettext: Callable[[str], str] | None) -> list[str]:
    """The notes of a Result or a Tally, rendered with ``gettext``."""
    if outcome.note_parts:
        return [render(note, gettext) for note in outcome.note_parts]
    return list(outcome.notes)


def rows(result: Result, labels: dict[str, str] = LABELS,
         gettext: Callable[[str], str] | None = None) -> list[list[str]]:
    """The stage-by-stage table (see the module docstring)."""
    L = {**LABELS, **labels}
    names = result.candidates
    stages = result.stages
    elected_at: dict[int, int] = {}
    excluded_at: dict[int, int] = {}
    for stage in stages:
        for c in stage.elected:
            elected_at.setdefault(c, stage.number)
        for c in stage.excluded:
            excluded_at.setdefault(c, stage.number)

    table = [
        [L["stage"]] + [cell for s in stages for cell in (str(s.number), "")] + [L["result"]],
        [L["action"]] + [cell for s in stages for cell in (_action(s, names, L), "")] + [""],
        [L["candidate"]] + [cell for _ in stages for cell in (L["transfer"], L["votes"])] + [""],
    ]
    for c, name in enumerate(names):
        row = [name]
        if c in result.withdrawn:
            table.append(row + [""] * (2 * len(stages)) + [L["withdrawn"]])
            continue
        for stage in stages:
            gone = c in excluded_at and excluded_at[c] < stage.number
            decided_before = c in elected_at and elected_at[c] < stage.number
            if gone:
                row += ["", ""]
                continue
            moved = stage.number > 1 and (stage.subject == c or not decided_before or stage.transfers[c] != 0)
            row += [_signed(stage.transfers[c]) if moved else "", _fmt(stage.votes[c])]
        if c in elected_at:
            end = L["elected_at"].format(stage=elected_at[c])
        elif c in excluded_at:
            end = L["excluded_at"].format(stage=excluded_at[c])
        else:
            end = L["not_elected"]
        table.append(row + [end])

    def figure_row(label: str, change, total) -> list[str]:
        cells = []
        for stage in stages:
            cells += ["" if stage.number == 1 else _signed(change(stage)), _fmt(total(stage))]
        return [label] + cells + [""]

    table.append(figure_row(L["non_transferable"], lambda s: s.non_transferable_change, lambda s: s.non_transferable))
    table.append(figure_row(L["loss"], lambda s: s.loss_change, lambda s: s.loss))
    table.append([L["total"]] + [cell for s in stages for cell in
                                 ("", _fmt(sum(s.votes, Decimal(0)) + s.non_transferable + s.loss))] + [""])
    fixed = result.method == "scottish"
    table.append([L["quota"]] + [cell for s in stages for cell in
                                 ("", _fmt(result.quota) if fixed or s is stages[-1] else "")] + [""])
    table.append([L["elected"]] + [cell for s in stages for cell in
                                   ("; ".join(names[c] for c in s.elected), "")] + [""])
    table.append([L["excluded"]] + [cell for s in stages for cell in
                                    ("; ".join(names[c] for c in s.excluded), "")] + [""])
    table.append([L["note"]] + [cell for s in stages for cell in (_stage_note(s, gettext), "")] + [""])
    return table


def tally_rows(tally: Tally, labels: dict[str, str] = LABELS) -> list[list[str]]:
    """The table of an approval or plurality count (see the module docstring)."""
    L = {**LABELS, **labels}
    reserved = set(tally.reserved_elected)
    elected = set(tally.elected)
    table = [[L["candidate"], L["votes"], L["result"]]]
    for c, name in enumerate(tally.candidates):
        if c in tally.withdrawn:
            table.append([name, "", L["withdrawn"]])
            continue
        end = (L["elected_reserved"] if c in reserved else L["elected"] if c in elected else L["not_elected"])
        table.append([name, str(tally.votes[c]), end])
    table.append([L["valid"], str(tally.valid), ""])
    table.append([L["invalid"], str(tally.invalid), ""])
    return table


def _tally_text(tally: Tally, L: dict[str, str], gettext: Callable[[str], str] | None) -> str:
    names = tally.candidates
    lines = [
        f"{L['method']}: {L.get(f'method_{tally.method}', tally.method)}",
        f"{L['seats']}: {tally.seats}    {L['valid']}: {tally.valid}    {L['invalid']}: {tally.invalid}",
        f"{L['seed']}: {tally.seed}",
    ]
    if tally.reserved:
        lines.append(f"{L['reserved_seats']}: {tally.reserved} (" +
                     ", ".join(names[c] for c in sorted(tally.group)) + ")")
    if tally.withdrawn:
        lines.append(f"{L['withdrawn']}: " + ", ".join(names[c] for c in sorted(tally.withdrawn)))
    lines.append("")
    table = tally_rows(tally, L)
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        lines.append(f"{row[0].ljust(widths[0])}  {row[1].rjust(widths[1])}  {row[2]}".rstrip())
    notes = _notes(tally, gettext)
    if notes:
        lines += ["", f"{L['notes']}:"] + [f"  {note}" for note in notes]
    lines += ["", f"{L['elected']}: " + ", ".join(names[c] for c in tally.elected)]
    return "\n".join(lines) + "\n"


def text(result: Result | Tally, labels: dict[str, str] = LABELS,
         gettext: Callable[[str], str] | None = None) -> str:
    """The result sheet as fixed-width text: the figures of the count (method, seats, valid and
    invalid ballots, quota, seed), the table without its note row, the notes, the elected.  A
    :class:`~motions.counting.plurality.Tally`'s: its figures, :func:`tally_rows`, the notes and
    the elected."""
    L = {**LABELS, **labels}
    if not isinstance(result, Result):
        return _tally_text(result, L, gettext)
    names = result.candidates
    method = L.get(f"method_{result.method}", result.method)
    lines = [
        f"{L['method']}: {method}",
        (f"{L['seats']}: {result.seats}    {L['valid']}: {_fmt(result.valid)}    "
         f"{L['invalid']}: {result.invalid}    {L['quota']}: {_fmt(result.quota)}"),
        f"{L['seed']}: {result.seed}",
    ]
    if result.withdrawn:
        lines.append(f"{L['withdrawn']}: " + ", ".join(names[c] for c in sorted(result.withdrawn)))
    lines.append("")
    table = rows(result, labels, gettext)[:-1]  # the notes go below the table
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1])]
        cells.append(row[-1].ljust(widths[-1]))
        lines.append("  ".join(cells).rstrip())
    notes = [L["stage_note"].format(stage=s.number) + _stage_note(s, gettext)
             for s in result.stages if s.note]
    notes += _notes(result, gettext)
    if notes:
        lines += ["", f"{L['notes']}:"] + [f"  {note}" for note in notes]
    lines += ["", f"{L['elected']}: " + ", ".join(names[c] for c in result.elected)]
    return "\n".join(lines) + "\n"

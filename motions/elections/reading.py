"""What the pages and the API show of an election: for one person (can they nominate, second,
vote, and for whom), and the result sheet in the reader's language, read back from the stored
count (motions.counting.stored) and laid out by motions.counting.sheet."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from motions.auth.models import Person
from motions.elections import operations
from motions.elections.labels import (
    CANDIDATE_STATE_LABELS, ELECTION_STATE_LABELS, METHOD_LABELS, PART_LABELS, RESERVED_RULE, RULES,
)
from motions.elections.models import Candidate, CandidateState, Election, ElectionState
from motions.extensions import db
from motions.labels import label
from motions.meetings.models import Meeting
from motions.polls.models import Proxy


@dataclass
class Entitlement:
    voter_id: int
    name: str
    own: bool
    voted: bool


@dataclass
class ElectionView:
    election: Election
    state_label: str
    method_label: str
    rule: str
    reserved_rule: str
    standing: list[Candidate]
    waiting: list[Candidate]  # nominated, not yet seconded enough
    withdrawn: list[Candidate]
    voted: int
    entitled: int
    nominations_open: bool
    seconders_needed: int
    roles: list[str]
    present: bool = False
    can_nominate: bool = False
    can_vote: bool = False
    mine: list[Entitlement] = field(default_factory=list)


def state_label(election: Election) -> str:
    return label(ELECTION_STATE_LABELS, election.state)


def method_label(method: str) -> str:
    return label(METHOD_LABELS, method)


def candidate_state_label(candidate: Candidate) -> str:
    return label(CANDIDATE_STATE_LABELS, candidate.state)


def rule_text(election: Election) -> tuple[str, str]:
    """How the election is counted, and the reserved seats' rule ("" without reserved seats)."""
    rule = str(RULES.get(election.method, ""))
    reserved = ""
    if election.reserved_seats:
        reserved = str(RESERVED_RULE) % {"k": election.reserved_seats, "seats": election.seats,
                                         "group": election.reserved_group}
    return rule, reserved


def view(election: Election, person: Person | None) -> ElectionView:
    from motions.polls.operations import entitlement

    meeting = db.session.get(Meeting, election.meeting_id)
    membership = meeting.membership_of(person) if person is not None else None
    roles = membership.roles if membership else []
    candidates = list(election.candidates)
    rule, reserved = rule_text(election)
    ent = entitlement(meeting)
    v = ElectionView(
        election=election, state_label=state_label(election), method_label=method_label(election.method),
        rule=rule, reserved_rule=reserved, standing=operations.standing(election),
        waiting=[c for c in candidates if c.state is CandidateState.nominated],
        withdrawn=[c for c in candidates if c.state is CandidateState.withdrawn],
        voted=operations.turnout(election.id), entitled=ent["entitled"],
        nominations_open=operations.nominations_open(election), seconders_needed=meeting.seconders_required or 0,
        roles=roles)
    if person is None or membership is None:
        return v
    v.can_nominate = ("chair" in roles and election.state in operations.BEFORE_BALLOTS) or \
        ("delegate" in roles and v.nominations_open)
    if "delegate" in roles:
        v.present = person.id in ent["present_ids"]
        held = db.session.execute(select(Proxy.giver_id, Person.name).join(Person, Person.id == Proxy.giver_id)
                                  .where(Proxy.meeting_id == meeting.id, Proxy.holder_id == person.id)
                                  .order_by(Person.name)).all()
        ids = [person.id] + [giver for giver, _n in held]
        done = operations.voted(election.id, ids)
        v.mine = [Entitlement(person.id, person.name, True, person.id in done)] + [
            Entitlement(giver, name, False, giver in done) for giver, name in held]
        v.can_vote = election.state is ElectionState.open and v.present and any(not e.voted for e in v.mine)
    return v


# ---------------------------------------------------------------- the result

def sheet_labels() -> dict[str, str]:
    """The result sheet's labels (motions.counting.sheet.LABELS) in the reader's language."""
    from motions.counting import sheet

    return {key: _(text) for key, text in sheet.LABELS.items()}


def render_note(note) -> str:
    from motions.counting.stv import render

    template, params = note
    return render((template, params), _)


def render_stage_note(stage) -> str:
    """A stage's note in the reader's language (its parts, each translated, joined by "; ")."""
    from motions.counting.stv import render_parts

    return render_parts(stage.parts, _) if stage.parts else stage.note


@dataclass
class CountView:
    part: str
    part_label: str
    kind: str  # "stv" | "tally"
    outcome: object  # motions.counting.stv.Result or motions.counting.plurality.Tally
    candidate_ids: list[int]
    table: list[list[str]]  # the result sheet, translated
    notes: list[str]  # translated notes of the whole count (invalid ballots ...)


@dataclass
class ResultView:
    method: str
    method_label: str
    seed: str
    papers: int
    valid: int
    invalid: int
    error: str | None
    elected: list[dict]  # {"candidate_id", "name", "reserved"} in the order elected
    counts: list[CountView]


def result(election: Election) -> ResultView | None:
    """The stored count of a closed election, in the reader's language (None before the count)."""
    from motions.counting import sheet, stored

    data = election.result
    if not data:
        return None
    names = {c.id: c.name for c in election.candidates}
    labels = sheet_labels()
    counts = []
    reserved_ids = set(data.get("reserved_ids", []))
    for part in data.get("counts", []):
        outcome = stored.load(part["outcome"])
        ids = list(data["candidate_ids"])
        kind = "tally" if type(outcome).__name__ == "Tally" else "stv"
        table = sheet.tally_rows(outcome, labels) if kind == "tally" else sheet.rows(outcome, labels, gettext=_)
        if part["part"] in ("reserved", "general"):
            first = sheet.HEADER_ROWS if kind == "stv" else sheet.TALLY_HEADER_ROWS
            _say_why_out_of_the_count(table, first, part["part"], outcome, ids, reserved_ids, election, labels)
        counts.append(CountView(part=part["part"], part_label=str(PART_LABELS.get(part["part"], part["part"])),
                                kind=kind, outcome=outcome, candidate_ids=ids, table=table,
                                notes=[render_note(n) for n in getattr(outcome, "note_parts", ())]))
    reserved = set(data.get("reserved_ids", []))
    error = render_note(stored.load_note(data["error"])) if data.get("error") else None
    return ResultView(method=data["method"], method_label=method_label(data["method"]), seed=data.get("seed", ""),
                      papers=data.get("papers", 0), valid=data.get("valid", 0), invalid=data.get("invalid", 0),
                      error=error,
                      elected=[{"candidate_id": cid, "name": names.get(cid, "?"), "reserved": cid in reserved}
                               for cid in data.get("elected_ids", [])],
                      counts=counts)


def result_json(election: Election) -> dict | None:
    """The result as the API gives it: figures as strings with their decimals, candidates by id."""
    r = result(election)
    if r is None:
        return None
    counts = []
    for c in r.counts:
        o = c.outcome
        ids = c.candidate_ids
        entry = {"part": c.part, "kind": c.kind, "seats": o.seats, "valid": str(o.valid), "invalid": o.invalid,
                 "candidate_ids": ids, "notes": c.notes, "table": c.table}
        if c.kind == "stv":
            entry["quota"] = format(o.quota, "f")
            entry["stages"] = [{
                "number": s.number, "action": s.action,
                "subject": ids[s.subject] if s.subject is not None else None,
                "votes": [format(v, "f") for v in s.votes],
                "transfers": [format(v, "f") for v in s.transfers],
                "non_transferable": format(s.non_transferable, "f"), "loss": format(s.loss, "f"),
                "elected": [ids[i] for i in s.elected], "excluded": [ids[i] for i in s.excluded],
                "note": render_stage_note(s),
            } for s in o.stages]
            entry["votes"] = None
        else:
            entry["quota"] = None
            entry["stages"] = []
            entry["votes"] = list(o.votes)
        entry["elected"] = [ids[i] for i in o.elected]
        counts.append(entry)
    return {"method": r.method, "seed": r.seed, "papers": r.papers, "valid": r.valid, "invalid": r.invalid,
            "error": r.error, "elected": r.elected, "counts": counts}


# ---------------------------------------------------------------- the chart of the stages

@dataclass
class Bar:
    candidate_id: int
    name: str
    status: str  # elected | excluded | continuing (a candidate not in the count has no bar)
    segments: list[tuple[int, float, float]]  # (stage number, start, width) as shares of the scale
    votes: str  # the votes at the end: at election, exclusion, or the last stage
    share: float  # where that figure is drawn (share of the scale)


@dataclass
class Chart:
    bars: list[Bar]
    quota: float | None  # where the quota line is (share of the scale), None for a tally
    quota_label: str
    stages: list[tuple[int, str]]  # (number, what the stage did), for the legend
    summary: str  # the chart in words (its accessible name)


def chart(count: CountView, names: dict[int, str]) -> Chart:
    """Each candidate's votes as a bar built from the stages: first preferences, then each stage's
    transfer to them, up to the stage that elected or excluded them (a tally: one segment)."""
    from decimal import Decimal

    o = count.outcome
    ids = count.candidate_ids
    labels = sheet_labels()
    if count.kind == "tally":
        top = max([int(v) for v in o.votes] + [1])
        bars = []
        for i, cid in enumerate(ids):
            if i in o.withdrawn:
                continue
            status = "elected" if i in o.elected else "continuing"
            share = int(o.votes[i]) / top
            bars.append(Bar(cid, names.get(cid, o.candidates[i]), status, [(1, 0.0, share)], str(o.votes[i]), share))
        elected = [names.get(ids[i], "") for i in o.elected]
        return Chart(bars, None, "", [(1, labels["votes"])],
                     f"{labels['elected']}: {', '.join(elected)}")
    stages = o.stages
    ended: dict[int, int] = {}
    status: dict[int, str] = {}
    for stage in stages:
        for i in stage.elected:
            ended.setdefault(i, stage.number)
            status.setdefault(i, "elected")
        for i in stage.excluded:
            ended.setdefault(i, stage.number)
            status.setdefault(i, "excluded")
    peaks: dict[int, Decimal] = {}
    pieces: dict[int, list[tuple[int, Decimal]]] = {}
    finals: dict[int, Decimal] = {}
    for i in range(len(ids)):
        if i in o.withdrawn:
            continue
        last = ended.get(i, stages[-1].number)
        parts = []
        for stage in stages:
            if stage.number > last:
                break
            inflow = stage.votes[i] if stage.number == 1 else stage.transfers[i]
            if stage.number == ended.get(i) and status.get(i) == "excluded":
                inflow = Decimal(0)  # the exclusion stage moves their papers away
            if inflow > 0:
                parts.append((stage.number, inflow))
        pieces[i] = parts
        peaks[i] = sum((v for _n, v in parts), Decimal(0))
        at = next((s for s in stages if s.number == last), stages[-1])
        finals[i] = at.votes[i] if status.get(i) != "excluded" else \
            next((s.votes[i] for s in reversed(stages) if s.number < last), at.votes[i])
    scale = max(list(peaks.values()) + [o.quota, Decimal(1)])
    bars = []
    for i, cid in enumerate(ids):
        name = names.get(cid, o.candidates[i])
        if i in o.withdrawn:  # not in this count (withdrawn, or left out of a reserved-seats count)
            continue
        start = Decimal(0)
        segments = []
        for number, value in pieces[i]:
            segments.append((number, float(start / scale), float(value / scale)))
            start += value
        bars.append(Bar(cid, name, status.get(i, "continuing"), segments, format(finals[i], "f"),
                        float(finals[i] / scale)))
    legend = [(s.number, _stage_words(s, o.candidates, labels)) for s in stages]
    elected = [names.get(ids[i], "") for i in o.elected]
    return Chart(bars, float(o.quota / scale), f"{labels['quota']}: {format(o.quota, 'f')}", legend,
                 f"{labels['elected']}: {', '.join(elected)}")


def _say_why_out_of_the_count(table, first: int, part: str, outcome, ids, reserved_ids, election, labels) -> None:
    """In the two counts of reserved seats the sheet says "Withdrawn" of a candidate left out of
    that count: say why instead (elected to a reserved seat; not of the group). The candidates'
    rows begin at row `first`, after the sheet's header rows."""
    standing = {c.id for c in election.candidates if c.state.value == "standing"}
    for i, cid in enumerate(ids):
        row = first + i
        if row >= len(table) or i not in outcome.withdrawn or cid not in standing:
            continue
        if part == "general" and cid in reserved_ids:
            table[row][-1] = labels["elected_reserved"]
        elif part == "reserved":
            table[row][-1] = _("Not of the group")


def _stage_words(stage, candidates, labels) -> str:
    template = labels.get(stage.action, stage.action)
    return template.format(name=candidates[stage.subject] if stage.subject is not None else "")

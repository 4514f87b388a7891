"""The Scottish count against reality: the City of Edinburgh Council election of 4 May 2017.

The ballots are the council's published preference profiles of the 17 wards, in BLT form, in
../shared/data/stv/edinburgh-2017/ (skipped with the reason when a clone has no ../shared);
winners.csv there lists the councillors declared.  The stage figures below were copied from the
published tables cited next to them (they are not the output of this code).

The 2017 count was made under the Scottish Local Government Elections Order 2011 (SSI 2011/399),
which carries the counting rules of the 2007 Order (rules 45-52 there) that
motions.counting.scottish implements.

The published stage tables give whole votes with the fractions dropped (Leith's 1,821 for
Gordon Munro at stage 3 is 1,821.63992 truncated, rounded it would be 1,822), so each figure is
checked as the whole-vote part of the count's exact figure.
"""
from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from motions.counting import sheet
from motions.counting.blt import parse
from motions.counting.scottish import count
from motions.counting.stv import check_invariant
from tests.conftest import shared_file

FOLDER = "data/stv/edinburgh-2017"


def ward(number: int):
    """(election, declared councillors) of a ward, from ../shared."""
    table = shared_file(f"{FOLDER}/winners.csv")
    with table.open(encoding="utf-8", newline="") as f:
        row = next(r for r in csv.DictReader(f) if int(r["ward"]) == number)
    election = parse(shared_file(f"{FOLDER}/{row['file']}").read_text(encoding="utf-8"))
    assert election.seats == int(row["seats"])
    return election, set(row["elected"].split(";"))


def counted(number: int):
    election, declared = ward(number)
    return election, declared, count(election, seed="edinburgh-2017")


def whole(value: Decimal) -> int:
    return int(value)  # the fractions dropped, as the published tables do


@pytest.mark.parametrize("number", range(1, 18))
def test_every_ward_elects_the_declared_councillors(number):
    election, declared, result = counted(number)
    elected = {election.candidates[c] for c in result.elected}
    assert elected == declared
    assert len(result.elected) == election.seats
    assert result.invalid == 0 and result.valid == sum(b.weight for b in election.ballots)
    check_invariant(result)
    assert not any("lot" in stage.note for stage in result.stages)  # no real count needed a lot


def table(result) -> dict[str, list[int | None]]:
    """Each candidate's whole votes per stage, None from the stage of their exclusion on and
    after the stage of their election, the way the published tables leave those cells empty."""
    out = {}
    for c, name in enumerate(result.candidates):
        figures: list[int | None] = []
        done = False
        for stage in result.stages:
            done = done or c in stage.excluded
            figures.append(None if done else whole(stage.votes[c]))
            done = done or c in stage.elected
        out[name] = figures
    return out


def test_leith_stage_by_stage():
    # Ward 13, Leith, 3 seats.  Source: Wikipedia, "Leith (ward)", section "2017 Election"
    # (copy of January 2024: https://alem.dynip.sapo.pt/wiki/content/wikipedia_en_all_maxi_2024-01/A/Leith_(ward)),
    # from the council's declaration.  Electorate 17,432; valid 7,613; spoilt 62; quota 1,904.
    published = {
        "Adam MCVEY": [2753, None, None, None],
        "Chas BOOTH": [1695, 2213, None, None],
        "Gordon John MUNRO": [1549, 1690, 1821, 2106],
        "Paul PENMAN": [1213, 1236, 1246, 1354],
        "Sanne DIJKSTRA-DOWNIE": [403, 448, 552, None],
    }
    election, _, result = counted(13)
    assert result.valid == 7613 and result.quota == 1904
    assert len(result.stages) == 4
    assert table(result) == published
    names = election.candidates
    # the shape of the table: McVey elected at stage 1, Booth at 2, Munro at 4; McVey's and
    # Booth's surpluses at stages 2 and 3; Dijkstra-Downie excluded at stage 4
    assert [(s.action, names[s.subject] if s.subject is not None else None) for s in result.stages] == [
        ("first", None), ("surplus", "Adam MCVEY"), ("surplus", "Chas BOOTH"),
        ("exclusion", "Sanne DIJKSTRA-DOWNIE")]
    assert [[names[c] for c in s.elected] for s in result.stages] == [
        ["Adam MCVEY"], ["Chas BOOTH"], [], ["Gordon John MUNRO"]]
    # and the result sheet carries the exact figures
    rows = {row[0]: row for row in sheet.rows(result)}
    assert rows["Gordon John MUNRO"][5:7] == ["+131.39730", "1821.63992"]


def test_fountainbridge_craiglockhart_stage_by_stage():
    # Ward 9, Fountainbridge/Craiglockhart, 3 seats.  Source: Wikipedia, "Fountainbridge/Craiglockhart",
    # 2017 table (copy: https://wikimili.com/en/Fountainbridge%2FCraiglockhart); six stages.  The copy at
    # hand gives these rows (Wimberley's beyond stage 2 and the other two candidates' are cut off there).
    election, _, result = counted(9)
    assert len(result.stages) == 6
    figures = table(result)
    assert figures["Andrew JOHNSTON"][0] == 2908
    assert figures["Gavin CORBETT"][0] == 2525
    assert figures["David KEY"] == [1924, 1939, 2028, 2043, 2125, 2755]
    assert figures["Anne WIMBERLEY"][:2] == [1266, 1395]
    # Johnston and Corbett elected at stage 1 (their rows stop there), Key at stage 6
    elected_at = {election.candidates[c]: s.number for s in result.stages for c in s.elected}
    assert elected_at == {"Andrew JOHNSTON": 1, "Gavin CORBETT": 1, "David KEY": 6}


def test_portobello_craigmillar_has_six_stages_and_its_quota():
    # Ward 17, Portobello/Craigmillar, 4 seats.  Wikipedia's 2017 table has six counts
    # (https://wikimili.com/en/Portobello/Craigmillar_(ward)); Maureen Child: "2,378 people ... I got
    # through the Quota (2,087) and was Elected on the first round"
    # (http://www.portobellocc.org/pccpn/2017/05/11/maureen-child-update-11-may-2017/, citing the
    # council's results sheet edinburgh.gov.uk/download/downloads/id/9292).  The last councillor is
    # deemed elected under rule 52 at the end of stage 6: no seventh stage.
    election, _, result = counted(17)
    assert result.quota == 2087
    assert len(result.stages) == 6
    child = election.candidates.index("Maureen CHILD")
    assert result.stages[0].votes[child] == 2378 and result.stages[0].elected == (child,)
    assert {election.candidates[c] for c in result.stages[-1].elected} == {"KATE CAMPBELL", "MARY CAMPBELL"}


def test_southside_newington_is_decided_at_the_first_stage():
    # Ward 15, 4 seats, 5 candidates: Wikipedia's 2017 table has one count; valid 11,699, spoilt 73;
    # first preferences Rose 3,151, Dickie 2,403, Burgess 2,381, Perry 2,354, Farthing 1,410
    # (https://wikimili.com/en/Southside/Newington_(ward))
    _, _, result = counted(15)
    assert result.valid == 11699 and len(result.stages) == 1
    assert table(result) == {"Steve BURGESS": [2381], "Alison DICKIE": [2403], "Dan FARTHING": [1410],
                             "Ian PERRY": [2354], "Cameron ROSE": [3151]}


@pytest.mark.parametrize("number, stages", [
    # Almond: "Graham Hutchison ... Elected at stage three; Kevin Lang ... stage one; Norrie Work ...
    # stage ten; Louise Young ... stage two" (https://nen.press/2017/05/06/its-all-about-the-union-as-edinburgh-elects-new-council)
    (1, {"Graham HUTCHISON": 3, "Kevin  LANG": 1, "Norrie WORK": 10, "Louise YOUNG": 2}),
    # Pentland Hills: Bruce, Gardiner, Henderson "elected at stage one", Webber "at stage two"
    # (https://theedinburghreporter.co.uk/2022/05/council-elections-2022-the-results-ward-2-pentland-hills-ward/)
    (2, {"Graeme BRUCE": 1, "Neil GARDINER": 1, "Ricky HENDERSON": 1, "Susan WEBBER": 2}),
    # Drum Brae/Gyle: Aldridge and Bridgman "elected at stage one", Brown "at stage two"
    # (https://theedinburghreporter.co.uk/2022/05/council-elections-2022-the-results-ward-3-drum-brae-gyle/)
    (3, {"Robert Christopher ALDRIDGE": 1, "Claire BRIDGMAN": 1, "Mark BROWN": 2}),
    # City Centre: Doran "elected at stage six", Miller "at stage one"
    # (https://theedinburghreporter.co.uk/2022/05/council-elections-2022-the-results-ward-11-city-centre-ward/)
    (11, {"Karen DORAN": 6, "Claire MILLER": 1}),
])
def test_councillors_are_elected_at_the_declared_stage(number, stages):
    election, _, result = counted(number)
    elected_at = {election.candidates[c]: s.number for s in result.stages for c in s.elected}
    for name, stage in stages.items():
        assert elected_at[name] == stage, name

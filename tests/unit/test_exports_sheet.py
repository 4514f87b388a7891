"""Unit tests for an election's result sheet as files (motions.exports.render.render_sheet) and
for the elections in the record of proceedings (render_record).

No database: the counts are made by the pure counting core (motions.counting) and laid out by
motions.counting.sheet, as motions.exports.reading does from the stored count.  The candidates'
names carry an XSS payload, Chinese text and spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract

import motions.exports.render as render_module
from motions.counting import meek, plurality, scottish, sheet
from motions.counting.stv import Ballot, Election
from motions.exports.model import ElectedCandidate, ElectionSheet, Record, SheetCount
from motions.exports.render import (
    RECORD_FORMATS,
    SHEET_FORMATS,
    STAGES_PER_TABLE,
    render_record,
    render_sheet,
)
from tests.unit.test_exports_render import CHINESE, SCRIPT, XSS, assert_inert, make_record, parse_html, pdf_text

FORMULA = '=HYPERLINK("http://x")'
MINUS = "-2+3 Cy"
AT = "@Dee"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FIGURE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def names(n: int) -> tuple[str, ...]:
    """n candidates: the first ones spreadsheet formulas and Chinese, the last (elected first) the payload."""
    out = [f"Candidate {i:02d}" for i in range(n)]
    out[0], out[1], out[2], out[3] = FORMULA, MINUS, AT, CHINESE
    out[-1] = "Ann " + XSS
    out[-2] = "Bo & Co"
    return tuple(out)


def election(n: int = 23, seats: int = 3) -> Election:
    """Candidate i has 10 + 3i first preferences, then three later ones from the top: with 23
    candidates and 3 seats, a Scottish count of 20 stages (exclusions and two surpluses)."""
    ballots = []
    for i in range(n):
        preferences = (i,) + tuple(j for j in range(n - 1, -1, -1) if j != i)[:3]
        ballots.append(Ballot(preferences, 10 + 3 * i))
    return Election(candidates=names(n), seats=seats, ballots=tuple(ballots))


def stv_part(result, part: str = "all", label: str = "The count") -> SheetCount:
    return SheetCount(part=part, label=label, kind="stv", seats=result.seats, valid=format(result.valid, "f"),
                      invalid=result.invalid, quota=format(result.quota, "f"), table=sheet.rows(result),
                      notes=list(result.notes))


def make_sheet(result=None, *, counts=None, elected=None, state="closed", **fields) -> ElectionSheet:
    result = result or scottish.count(election(), seed="seed-1")
    counts = counts if counts is not None else [stv_part(result)]
    if elected is None:
        elected = [ElectedCandidate(result.candidates[c], reserved=(k == 0)) for k, c in enumerate(result.elected)]
    data = dict(meeting="Congress 2025 " + XSS, title="Steering Committee " + XSS, method=result.method,
                method_label="Single transferable vote (Scottish STV)", seats=result.seats, state=state,
                papers=int(result.valid) + result.invalid, valid=int(result.valid), invalid=result.invalid,
                seed=result.seed, elected=elected, counts=counts, date="2025-05-02", language="en",
                counted="2025-05-02 15:04", reserved="", error=None, void_reason="")
    data.update(fields)
    return ElectionSheet(**data)


def neutralised(cell: str) -> str:
    """A cell as the CSV must hold it: a figure as it is, a formula behind an apostrophe."""
    return cell if FIGURE.fullmatch(cell) or not cell.startswith(FORMULA_START) else "'" + cell


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def prefix_gettext(msgid, **variables):
    text = "T:" + msgid
    return text % variables if variables else text


# ------------------------------------------------------------------------------------------
# formats
# ------------------------------------------------------------------------------------------


def test_sheet_formats_and_media_types():
    assert SHEET_FORMATS == ("csv", "pdf")
    assert set(SHEET_FORMATS) <= set(render_module.MEDIA_TYPES)


@pytest.mark.parametrize("fmt", ["html", "xlsx", "docx", "", "CSV", "../csv"])
def test_unknown_sheet_format_raises(fmt):
    with pytest.raises(ValueError):
        render_sheet(make_sheet(), fmt)


def test_the_count_used_has_twenty_stages_with_surpluses_and_truncation():
    result = scottish.count(election(), seed="seed-1")
    assert len(result.stages) == 20
    assert {s.action for s in result.stages} == {"first", "exclusion", "surplus"}
    assert result.stages[-1].loss > 0  # transfer values truncated: figures with five decimal places


@pytest.mark.parametrize("stages, sizes", [
    (0, [0]), (1, [1]), (5, [5]), (6, [3, 3]), (10, [5, 5]), (11, [4, 4, 3]), (20, [5, 5, 5, 5]),
    (21, [5, 4, 4, 4, 4]), (99, [5] * 19 + [4]),
])
def test_stages_are_split_into_even_consecutive_parts(stages, sizes):
    parts = render_module._stage_parts(stages)
    assert [len(p) for p in parts] == sizes
    assert [k for p in parts for k in p] == list(range(stages))
    assert all(len(p) <= STAGES_PER_TABLE for p in parts)


# ------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------


def test_sheet_csv_has_the_header_block_then_every_row_of_the_table():
    data = make_sheet()
    rows = read_csv(render_sheet(data, "csv"))
    header = {row[0]: row[1:] for row in rows[:rows.index([])]}
    result = scottish.count(election(), seed="seed-1")
    assert header["Meeting"] == ["Congress 2025 " + XSS]
    assert header["Election"] == ["Steering Committee " + XSS]
    assert header["Method"] == ["Single transferable vote (Scottish STV)"]
    assert header["Seats"] == ["3"]
    assert header["Ballots"] == [str(int(result.valid))] and header["Valid ballots"] == [str(int(result.valid))]
    assert header["Invalid ballots"] == ["0"]
    assert header["Quota"] == [format(result.quota, "f")]
    assert header["Seed for any drawing of lots"] == ["seed-1"]
    assert header["Counted"] == ["2025-05-02 15:04 UTC"]
    elected = [result.candidates[c] for c in result.elected]
    assert header["Elected"] == [f"{elected[0]} (reserved seat)"] + elected[1:]
    # then a blank row, the count's name and the table, every row exactly (formulas neutralised)
    start = rows.index(["The count"])
    assert rows[start - 1] == []
    table = data.counts[0].table
    assert rows[start + 1:start + 1 + len(table)] == [[neutralised(cell) for cell in row] for row in table]
    assert len(rows) == start + 1 + len(table)


def test_sheet_csv_writes_figures_in_full_and_neutralises_formulas():
    rows = read_csv(render_sheet(make_sheet(), "csv"))
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert FIGURE.fullmatch(cell) or not cell.startswith(FORMULA_START), cell
    by_name = {row[0]: row for row in rows if row}
    assert "'" + FORMULA in by_name and "'" + MINUS in by_name and "'" + AT in by_name
    assert by_name["'" + FORMULA][1:4] == ["", "10.00000", "-10.00000"]  # a transfer out: a number, as written
    assert by_name["Loss from truncation"][-3:-1] == ["0.00000", "0.00223"]
    assert any(re.fullmatch(r"\+\d+\.\d{5}", cell) and not cell.endswith("000") for cell in cells)  # truncated
    assert "Ann " + XSS in by_name  # the payload is text, kept as it is


def test_sheet_csv_of_a_meek_count_keeps_its_decimals():
    result = meek.count(election(9, 2), seed="seed-2")
    data = make_sheet(result, method_label="Single transferable vote (Meek STV)")
    rows = read_csv(render_sheet(data, "csv"))
    start = rows.index(["The count"])
    table = data.counts[0].table
    assert rows[start + 1:start + 1 + len(table)] == [[neutralised(cell) for cell in row] for row in table]
    assert any(re.fullmatch(r"\d+\.\d{6,}", cell) for row in rows for cell in row)


def reserved_sheet() -> ElectionSheet:
    """Two counts: one seat reserved for the group (candidates 3 and 4), then two more seats."""
    from motions.counting import reserved

    count = election(12, 3)
    first, second = reserved.count_reserved(count, frozenset({3, 4}), 1, scottish.count, seed="seed-3")
    counts = [stv_part(first, "reserved", "Count for the reserved seats"),
              stv_part(second, "general", "Count for the remaining seats")]
    elected = ([ElectedCandidate(count.candidates[c], True) for c in first.elected]
               + [ElectedCandidate(count.candidates[c]) for c in second.elected])
    return make_sheet(second, counts=counts, elected=elected, reserved="1 of the 3 seats, for women")


def test_a_sheet_with_reserved_seats_has_both_counts_and_their_quotas():
    data = reserved_sheet()
    rows = read_csv(render_sheet(data, "csv"))
    header = {row[0]: row[1:] for row in rows[:rows.index([])]}
    assert header["Reserved seats"] == ["1 of the 3 seats, for women"]
    assert header["Quota (Count for the reserved seats)"] == [data.counts[0].quota]
    assert header["Quota (Count for the remaining seats)"] == [data.counts[1].quota]
    assert header["Elected"] == [f"{e.name} (reserved seat)" if e.reserved else e.name for e in data.elected]
    assert data.elected[0].reserved and data.elected[0].name in (CHINESE, "Candidate 04")
    assert not any(e.reserved for e in data.elected[1:])
    for c in data.counts:
        start = rows.index([c.label])
        assert rows[start + 1:start + 1 + len(c.table)] == [[neutralised(cell) for cell in row] for row in c.table]


def tally_sheet() -> ElectionSheet:
    count = Election(candidates=("Kim", FORMULA, CHINESE, "Lee"), seats=2,
                     ballots=(Ballot((0, 1), 4), Ballot((2,), 3), Ballot((0, 3), 2), Ballot((), 1)))
    tally = plurality.count(count, method="approval", seed="seed-4")
    part = SheetCount(part="all", label="The count", kind="tally", seats=2, valid=str(tally.valid),
                      invalid=tally.invalid, quota=None, table=sheet.tally_rows(tally), notes=list(tally.notes))
    return ElectionSheet(meeting="Congress", title="Auditors", method="approval", method_label="Approval voting",
                         seats=2, state="closed", papers=10, valid=tally.valid, invalid=tally.invalid,
                         seed="seed-4", elected=[ElectedCandidate(count.candidates[c]) for c in tally.elected],
                         counts=[part], date="2025-05-02", language="en")


def test_a_tally_sheet_has_no_quota_and_its_table(tmp_path):
    data = tally_sheet()
    rows = read_csv(render_sheet(data, "csv"))
    header = {row[0]: row[1:] for row in rows[:rows.index([])]}
    assert "Quota" not in header and header["Invalid ballots"] == ["1"]
    start = rows.index(["The count"])
    assert rows[start + 1:start + 6] == [["Candidate", "Votes", "Result"], ["Kim", "6", "Elected"],
                                         ["'" + FORMULA, "4", "Elected"], [CHINESE, "3", "Not elected"],
                                         ["Lee", "2", "Not elected"]]
    assert rows[start + 6:start + 8] == [["Valid ballots", "9", ""], ["Invalid ballots", "1", ""]]
    assert rows[start + 8][0] == "Notes" and len(rows) == start + 8 + len(data.counts[0].notes)
    text = pdf_text(render_sheet(data, "pdf"), tmp_path)
    for needle in ("Auditors", "Approval voting", "Kim", FORMULA, CHINESE, "Elected", "Not elected"):
        assert needle in text, needle


# ------------------------------------------------------------------------------------------
# PDF (and the HTML it is printed from)
# ------------------------------------------------------------------------------------------


def test_sheet_pdf_holds_the_figures_the_candidates_and_the_elected(tmp_path):
    data = make_sheet()
    pdf = render_sheet(data, "pdf")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    result = scottish.count(election(), seed="seed-1")
    flat = re.sub(r"\s+", " ", text)
    assert f"Quota: {format(result.quota, 'f')}" in flat
    for name in result.candidates:
        assert name in text, name  # the payload printed as text
    assert "Ann " + XSS + " (reserved seat)" in flat  # the first elected, marked
    assert "Result sheet" in text and "Steering Committee" in text and "seed-1" in text
    assert "Congress 2025" in text
    if shutil.which("pdfinfo"):
        path = tmp_path / "sheet.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
        width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
        assert width > height and round(width) == 842  # A4 landscape


def test_a_twenty_stage_count_is_split_into_tables_that_repeat_the_candidates(tmp_path):
    data = make_sheet()
    page = render_module._sheet_html(data, lambda m, **v: m % v if v else m).encode("utf-8")
    tables = re.findall(r'<table class="sheet stv".*?</table>', page.decode("utf-8"), re.S)
    assert len(tables) == 4
    result = scottish.count(election(), seed="seed-1")
    for n, table in enumerate(tables):
        first, last = 5 * n + 1, 5 * n + 5
        assert f"<caption>Stages {first}–{last} of 20</caption>" in table
        header = re.search(r"<tr>(.*?)</tr>", table).group(1)
        assert re.findall(r'class="stage">(\d+)<', header) == [str(k) for k in range(first, last + 1)]
        for name in result.candidates:  # every table has the candidates' column
            assert f'<th scope="row" dir="auto">{render_module._e(name)}</th>' in table
        assert ("<th scope=\"col\">Result</th>" in table) == (n == 3)  # how each ended: once, at the end
    # in the PDF each part is there with its stages, every figure of the last stage whole on its line
    text = pdf_text(render_sheet(data, "pdf"), tmp_path)
    for n in range(4):
        assert f"Stages {5 * n + 1}–{5 * n + 5} of 20" in text
    last = result.stages[-1]
    for c, votes in enumerate(last.votes):
        if c not in last.excluded and votes:
            assert re.search(rf"(^|\s){re.escape(format(votes, 'f'))}(\s|$)", text), format(votes, "f")
    lines = text.splitlines()
    assert max(len(line) for line in lines) < 260  # nothing runs off: the page holds each part


def test_sheet_html_is_escaped(tmp_path):
    page = render_module._sheet_html(make_sheet(), render_module._default_gettext).encode("utf-8")
    assert_inert(page)
    parsed = parse_html(page)
    assert "table" in parsed.tags and "caption" in parsed.tags
    assert "A4 landscape" in page.decode("utf-8")


def test_sheet_labels_go_through_gettext():
    rows = read_csv(render_sheet(make_sheet(), "csv", prefix_gettext))
    labels = [row[0] for row in rows[:rows.index([])]]
    assert labels[:4] == ["T:Meeting", "T:Election", "T:Method", "T:Seats"] and "T:Quota" in labels
    elected = next(row for row in rows if row and row[0] == "T:Elected")
    assert elected[1].startswith("T:Ann ") and elected[1].endswith(" (reserved seat)")
    page = render_module._sheet_html(make_sheet(), prefix_gettext)
    assert "T:Result sheet" in page and "T:Stages 1–5 of 20" in page and "T:Quota: " in page


# ------------------------------------------------------------------------------------------
# the record of proceedings with elections
# ------------------------------------------------------------------------------------------


def void_sheet() -> ElectionSheet:
    return ElectionSheet(meeting="Congress", title="Auditors " + SCRIPT, method="approval",
                         method_label="Approval voting", seats=2, state="void", papers=0, valid=0, invalid=0,
                         seed="", elected=[], counts=[], date="2025-05-02", language="en",
                         void_reason="=Called off: " + XSS)


def record_with_elections() -> Record:
    record = make_record()
    return Record(**{**record.__dict__, "elections": [make_sheet(), void_sheet(), tally_sheet(), reserved_sheet()]})


def test_the_record_without_elections_is_as_before():
    plain = make_record()
    for fmt in ("csv", "html"):
        assert render_record(plain, fmt) == render_record(Record(**{**plain.__dict__, "elections": []}), fmt)


def test_record_csv_puts_each_election_after_the_amendments():
    record = record_with_elections()
    rows = read_csv(render_record(record, "csv"))
    amendments = read_csv(render_record(make_record(), "csv"))
    assert rows[:len(amendments)] == amendments  # the amendments, exactly as before
    rest = rows[len(amendments):]
    blocks = [i for i, row in enumerate(rest) if row and row[0] == "Election"]
    assert len(blocks) == 4
    assert all(rest[i - 1] == [] for i in blocks)  # a blank row before each election
    assert rest[blocks[0]] == ["Election", "Steering Committee " + XSS]
    void = rest[blocks[1]:blocks[2] - 1]
    assert void == [["Election", "Auditors " + SCRIPT], ["Method", "Approval voting"], ["Seats", "2"],
                    ["Status", "Void: =Called off: " + XSS]]
    first = record.elections[0].counts[0].table
    start = rest.index(["The count"])
    assert rest[start + 1:start + 1 + len(first)] == [[neutralised(cell) for cell in row] for row in first]
    for row in rest:
        for cell in row:
            assert FIGURE.fullmatch(cell) or not cell.startswith(FORMULA_START), cell


def test_record_xlsx_has_a_sheet_per_election_with_exact_figures():
    import openpyxl

    record = record_with_elections()
    data = render_record(record, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    names = workbook.sheetnames
    assert names[0] == "Record" and names[-1] == "About" and len(names) == 6
    assert all(len(name) <= 31 for name in names) and len({n.casefold() for n in names}) == len(names)
    assert names[1] == "Steering Committee <script>aler"[:31]
    sheet_ = workbook[names[1]]
    rows = [trimmed([cell.value for cell in row]) for row in sheet_.iter_rows()]
    assert rows[0] == ["Election", "Steering Committee " + XSS]
    assert rows[3] == ["Counted", "2025-05-02 15:04 UTC"]
    assert [r for r in rows if r and r[0] == "Seed for any drawing of lots"][0][1] == "seed-1"  # text, not a number
    # every figure of the table reads back as the count wrote it: a number shown with its places
    table = record.elections[0].counts[0].table
    start = rows.index(["The count"]) + 1
    cells = list(sheet_.iter_rows(min_row=start + 1, max_row=start + len(table)))
    checked = 0
    for written, row in zip(table, cells):
        for value, cell in zip(written, row):
            if cell.value is None:
                assert value == "", (value, cell.coordinate)
            elif isinstance(cell.value, str):
                assert cell.value == value and cell.data_type == "s"
            else:
                assert shown(cell.value, cell.number_format) == value, (value, cell.value, cell.number_format)
                checked += 1
    assert checked > 200
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
    package = zipfile.ZipFile(io.BytesIO(data))
    for name in package.namelist():
        if name.startswith("xl/worksheets/"):
            assert not re.search(rb"<(\w+:)?f[ >]", package.read(name)), name
    void = [trimmed([cell.value for cell in row]) for row in workbook[names[2]].iter_rows()]
    assert void[-1] == ["Status", "Void: =Called off: " + XSS]


def trimmed(values: list) -> list:
    """A worksheet row without the empty cells at its end."""
    while values and values[-1] is None:
        values = values[:-1]
    return values


def shown(value, number_format: str) -> str:
    """How a spreadsheet shows a number with one of the sheet's formats ("0.00000", "+0.00000;...")."""
    positive = number_format.split(";")[0]
    places = len(positive.partition(".")[2])
    text = f"{Decimal(repr(value)):.{places}f}"  # a float as the shortest text that reads back as it
    return "+" + text if positive.startswith("+") and value > 0 else text


def test_worksheet_names_are_short_unique_and_legal():
    taken = ["Record", "About", "History"]
    titles = ["Steering Committee", "Steering Committee", "steering committee", "A" * 40, "A" * 40, "[x]:*?/\\",
              "'quoted'", "", "record", "History", "x" * 28 + "'" + "yz"]
    names = render_module._sheet_names(titles, taken, render_module._default_gettext)
    assert names[:3] == ["Steering Committee", "Steering Committee (2)", "steering committee (3)"]
    assert names[3] == "A" * 31 and names[4] == "A" * 27 + " (2)"
    assert names[5] == "x" and names[6] == "quoted" and names[7] == "Election 8"
    assert names[8] == "record (2)" and names[9] == "History (2)"
    assert all(0 < len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) and n[0] != "'" and n[-1] != "'"
               for n in names)
    assert len({n.casefold() for n in names + taken}) == len(names) + len(taken)


def test_record_html_has_a_section_per_election_with_its_tables(tmp_path):
    record = record_with_elections()
    page = render_record(record, "html")
    assert_inert(page)
    out = page.decode("utf-8")
    section = out[out.index('<section class="elections">'):]
    assert out.index("<table class=\"record\">") < out.index('<section class="elections">')
    assert section.count('<section class="election counted">') == 3
    assert section.count('<section class="election void">') == 1
    assert "Void: =Called off: &lt;script&gt;" in section
    reserved = record.elections[3].counts
    # the 20 stages in four tables, and each reserved count's in as many as its stages need
    assert section.count('<table class="sheet stv"') == 4 + sum(-(-c.stages // STAGES_PER_TABLE) for c in reserved)
    assert section.count('<table class="sheet tally"') == 1
    assert "Count for the reserved seats" in section and "Quota (Count for the remaining seats)" in section
    text = pdf_text(render_record(record, "pdf"), tmp_path)
    for needle in ("Elections", "Steering Committee", "Auditors", "Void: =Called off:", "Stages 16–20 of 20",
                   "Count for the remaining seats", "Ann " + XSS):
        assert needle in text, needle


def test_every_message_the_sheets_use_is_a_literal_that_babel_extracts():
    source = Path(render_module.__file__).read_bytes()
    extracted = {message for _, message, _, _ in extract("python", io.BytesIO(source), keywords=DEFAULT_KEYWORDS)}
    used = set()

    def recording(msgid, **variables):
        used.add(msgid)
        return msgid % variables if variables else msgid

    render_sheet(make_sheet(), "csv", recording)
    render_sheet(make_sheet(error="no valid ballot", counts=[], elected=[], state="void", void_reason="x"), "csv",
                 recording)
    render_module._sheet_html(make_sheet(), recording)
    record = record_with_elections()
    for fmt in [f for f in RECORD_FORMATS if f != "pdf"]:
        render_record(record, fmt, recording)
    assert used <= extracted, used - extracted
    for label in ("Result sheet", "Elections", "Quota", "Quota (%(count)s)", "Void: %(reason)s",
                  "Stages %(first)d–%(last)d of %(stages)d", "%(name)s (reserved seat)", "Seed for any drawing of lots",
                  "The count could not be made: %(reason)s", "Election", "Notes"):
        assert label in used, label

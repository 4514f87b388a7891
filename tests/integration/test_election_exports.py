"""An election's result sheet as CSV and PDF (issue 7), from the pages and the API, and the
record of proceedings with every counted and void election in all its formats; who may download
what; payloads in an election's title and its candidates' names come out inert. Both databases."""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest

from motions.auth.models import Person
from motions.counting import blt
from motions.elections import operations as elections
from motions.elections import reading
from motions.extensions import db
from motions.meetings import operations as meetings
from tests.api_helpers import assert_error, bearer, fast_hashing  # noqa: F401  (a fixture)
from tests.integration.test_attack_xss import EXPORT_TAGS, PAYLOADS, inert_problems, shown

pytestmark = pytest.mark.usefixtures("fast_hashing")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FIGURE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
NAMES = ("Ann Able", "Bob Baker", "Cy Cole", "Di Dunn")
# rankings by candidate number (of NAMES): Ann's surplus and Di's exclusion make a count of stages
RANKINGS = [(0, 1), (0, 1), (0, 2), (0, 1), (1, 2), (2, 0), (3, 2), ()]


@pytest.fixture
def world(app, factory):
    """A meeting in session: a chair, eight delegates present (d1..d8), a secretary, and a person
    from outside the meeting."""
    slug = factory.meeting("counting-hall", title="Founding meeting")
    w = SimpleNamespace(app=app, slug=slug, factory=factory, ids={})
    w.ids["chair"] = factory.person(slug, "chair", email="chair@c.org", name="Chair")
    w.ids["secretary"] = factory.person(slug, "secretary", email="secretary@c.org", name="Secretary")
    for i in range(1, 9):
        w.ids[f"d{i}"] = factory.person(slug, "delegate", email=f"d{i}@c.org", name=f"Delegate {i}")
    w.ids["outsider"] = factory.person(None, email="outsider@c.org", name="Outsider")
    with app.app_context():
        meeting = meetings.get_meeting(slug)
        meetings.set_meeting_state(meeting, "in_session")
        for i in range(1, 9):
            meetings.set_attendance(meeting, meetings.get_membership(meeting, w.ids[f"d{i}"]), True)
    return w


def counted(w, *, title: str = "Steering Committee", names=NAMES, seats: int = 2, method: str = "scottish",
            rankings=RANKINGS, void: str = "") -> int:
    """An election whose delegates cast `rankings` (candidate numbers), closed and counted (and
    then voided with `void` as the reason)."""
    eid = w.factory.election(w.slug, title=title, seats=seats, method=method, candidates=names)
    with w.app.app_context():
        election = elections.get_election(eid)
        chair = db.session.get(Person, w.ids["chair"])
        elections.open_ballots(election, chair, confirm_without_quorum=True)
        ids = {c.name: c.id for c in election.candidates}
        for k, ranking in enumerate(rankings, 1):
            elections.cast_ballot(eid, w.ids[f"d{k}"], [ids[names[i]] for i in ranking])
        elections.close_ballots(elections.get_election(eid), chair)
        if void:
            elections.void_election(elections.get_election(eid), chair, void)
        db.session.remove()
    return eid


def sheet_tables(w, eid: int) -> list[tuple[str, list[list[str]]]]:
    """(the count's name, its table) of each count, as the result page shows them."""
    with w.app.app_context():
        r = reading.result(elections.get_election(eid))
        return [(c.part_label, c.table) for c in r.counts]


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def neutralised(cell: str) -> str:
    return cell if FIGURE.fullmatch(cell) or not cell.startswith(FORMULA_START) else "'" + cell


def pdf_text(pdf: bytes, tmp_path, order: str = "-layout") -> str:
    """The PDF's text: laid out as printed (-layout), or in the order it was written (-raw: a table
    cell's text stays together even when it wraps beside other cells)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", order, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def flashes(response) -> list[str]:
    from html import unescape

    return [unescape(m) for m in re.findall(r'<p class="flash [a-z]+">(.*?)</p>', response.get_data(as_text=True))]


def assert_attachment(response, media: str, filename: str) -> bytes:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == media
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{filename}"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    return response.get_data()


# ---------------------------------------------------------------- the result sheet from the pages

def test_a_member_downloads_the_result_sheet_as_csv_and_pdf(world, client, auth, tmp_path):
    w = world
    eid = counted(w)
    auth.login("d5@c.org")
    body = assert_attachment(client.get(f"/elections/{eid}/result.csv"), "text/csv", f"election-{eid}-result.csv")
    rows = csv_rows(body)
    header = {row[0]: row[1:] for row in rows[:rows.index([])]}
    with w.app.app_context():
        r = reading.result(elections.get_election(eid))
        quota = format(r.counts[0].outcome.quota, "f")
        elected = [x["name"] for x in r.elected]
    assert header["Meeting"] == ["Founding meeting"] and header["Election"] == ["Steering Committee"]
    assert header["Method"] == ["Single transferable vote (Scottish STV)"] and header["Seats"] == ["2"]
    assert header["Ballots"] == ["8"] and header["Valid ballots"] == ["7"] and header["Invalid ballots"] == ["1"]
    assert header["Quota"] == [quota] and header["Elected"] == elected and len(elected) == 2
    assert len(header["Seed for any drawing of lots"][0]) == 16
    for label, table in sheet_tables(w, eid):  # every row of the page's table, cell for cell
        start = rows.index([label])
        assert rows[start + 1:start + 1 + len(table)] == [[neutralised(c) for c in row] for row in table]
        assert len(table) == 3 + len(NAMES) + 7 and len(table[0]) > 4  # more than one stage

    pdf = assert_attachment(client.get(f"/elections/{eid}/result.pdf"), "application/pdf",
                            f"election-{eid}-result.pdf")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    assert f"Quota: {quota}" in re.sub(r"\s+", " ", text)
    for name in NAMES:
        assert name in text
    assert "Elected" in text and ", ".join(elected) in text
    assert "Founding meeting" in text and "Result sheet" in text


def test_the_pages_link_the_downloads(world, client, auth):
    eid = counted(world)
    auth.login("d1@c.org")
    for page in (f"/elections/{eid}", f"/elections/{eid}/result"):
        html = client.get(page).get_data(as_text=True)
        assert f'href="/elections/{eid}/result.csv"' in html and f'href="/elections/{eid}/result.pdf"' in html, page


def test_before_the_count_the_download_is_refused_on_the_election_page(world, client, auth):
    w = world
    eid = w.factory.election(w.slug, title="Auditors", seats=1, candidates=("Kim", "Lee"))
    auth.login("d1@c.org")
    for fmt in ("csv", "pdf"):
        response = client.get(f"/elections/{eid}/result.{fmt}")
        assert response.status_code == 302 and response.location.endswith(f"/elections/{eid}")
        page = client.get(response.location)
        assert "The result sheet can be downloaded once the election is counted." in flashes(page)
    html = client.get(f"/elections/{eid}").get_data(as_text=True)
    assert "result.csv" not in html  # no link before the count


def test_who_may_download(world, client, auth):
    eid = counted(world)
    for fmt in ("csv", "pdf"):
        response = client.get(f"/elections/{eid}/result.{fmt}")  # signed out: sign in first
        assert response.status_code == 302 and "/login" in response.location
    auth.login("outsider@c.org")
    for fmt in ("csv", "pdf"):
        assert client.get(f"/elections/{eid}/result.{fmt}").status_code == 403
        assert client.get(f"/elections/99999/result.{fmt}").status_code == 404
    auth.logout()
    for who in ("chair@c.org", "secretary@c.org", "d8@c.org"):
        auth.login(who)
        assert client.get(f"/elections/{eid}/result.csv").status_code == 200, who
        auth.logout()


def test_a_void_election_counted_before_keeps_its_sheet_and_says_it_is_void(world, client, auth):
    eid = counted(world, void="The ballot paper misspelt a name.")
    auth.login("d1@c.org")
    rows = csv_rows(client.get(f"/elections/{eid}/result.csv").get_data())
    assert ["Status", "Void: The ballot paper misspelt a name."] in rows
    assert any(row[:1] == ["Quota"] for row in rows)


def test_a_reserved_seat_is_marked_and_both_counts_are_in_the_sheet(world, client, auth):
    w = world
    eid = w.factory.election(w.slug, title="Committee", seats=2, reserved_seats=1, reserved_group="women")
    for name, group in (("Ann Able", True), ("Bob Baker", False), ("Cy Cole", False), ("Di Dunn", True)):
        w.factory.candidate(eid, name, in_group=group)
    with w.app.app_context():
        election = elections.get_election(eid)
        chair = db.session.get(Person, w.ids["chair"])
        elections.open_ballots(election, chair, confirm_without_quorum=True)
        ids = {c.name: c.id for c in election.candidates}
        for k, ranking in enumerate(RANKINGS[:7], 1):
            elections.cast_ballot(eid, w.ids[f"d{k}"], [ids[NAMES[i]] for i in ranking])
        elections.close_ballots(elections.get_election(eid), chair)
        r = reading.result(elections.get_election(eid))
        reserved = [x["name"] for x in r.elected if x["reserved"]]
    auth.login("d2@c.org")
    rows = csv_rows(client.get(f"/elections/{eid}/result.csv").get_data())
    header = {row[0]: row[1:] for row in rows[:rows.index([])]}
    assert header["Reserved seats"] == ["1 of the 2 seats, for women"]
    assert f"{reserved[0]} (reserved seat)" in header["Elected"]
    assert "Quota (Count for the reserved seats)" in header and "Quota (Count for the remaining seats)" in header
    assert ["Count for the reserved seats"] in rows and ["Count for the remaining seats"] in rows


# ---------------------------------------------------------------- the result sheet from the API

def test_the_api_gives_the_sheet_as_csv_or_pdf(world, client):
    w = world
    eid = counted(w)
    token = w.factory.token("d3@c.org")
    response = client.get(f"/api/v1/elections/{eid}/result", query_string={"format": "csv"}, headers=bearer(token))
    rows = csv_rows(assert_attachment(response, "text/csv", f"election-{eid}-result.csv"))
    for label, table in sheet_tables(w, eid):
        start = rows.index([label])
        assert rows[start + 1:start + 1 + len(table)] == [[neutralised(c) for c in row] for row in table]
    response = client.get(f"/api/v1/elections/{eid}/result?format=pdf", headers=bearer(token))
    assert assert_attachment(response, "application/pdf", f"election-{eid}-result.pdf").startswith(b"%PDF-")


@pytest.mark.parametrize("query, field", [({}, "format"), ({"format": "xlsx"}, "format"),
                                          ({"format": "CSV"}, "format"), ({"format": "x" * 500}, "format")])
def test_the_api_refuses_a_bad_format(world, client, query, field):
    eid = counted(world)
    response = client.get(f"/api/v1/elections/{eid}/result", query_string=query,
                          headers=bearer(world.factory.token("d1@c.org")))
    error = assert_error(response, 422, "validation_failed", {field})
    assert "csv, pdf" in error["fields"]["format"]


def test_the_api_refuses_before_the_count_and_to_outsiders(world, client):
    w = world
    open_id = w.factory.election(w.slug, title="Auditors", seats=1, candidates=("Kim", "Lee"))
    eid = counted(w)
    member, outsider = w.factory.token("d1@c.org"), w.factory.token("outsider@c.org")
    assert_error(client.get(f"/api/v1/elections/{open_id}/result?format=csv", headers=bearer(member)), 409,
                 "not_counted")
    assert_error(client.get(f"/api/v1/elections/{eid}/result?format=csv", headers=bearer(outsider)), 403, "forbidden")
    assert_error(client.get(f"/api/v1/elections/{eid}/result?format=csv"), 401)
    assert_error(client.get("/api/v1/elections/99999/result?format=csv", headers=bearer(member)), 404, "not_found")


# ---------------------------------------------------------------- the command line

def test_motions_export_writes_the_sheet_and_the_papers_of_an_election(world, runner, tmp_path):
    w = world
    eid = counted(w)
    sheet = tmp_path / "sheet.csv"
    result = runner.invoke(args=["export", "--meeting", w.slug, "--election", str(eid), "--format", "csv",
                                 "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    rows = csv_rows(sheet.read_bytes())
    with w.app.app_context():
        r = reading.result(elections.get_election(eid))
        elected = [x["name"] for x in r.elected]
    header = {row[0]: row[1:] for row in rows[:rows.index([])]}
    assert header["Election"] == ["Steering Committee"] and header["Elected"] == elected
    for label, table in sheet_tables(w, eid):
        assert rows[rows.index([label]) + 1] == [neutralised(c) for c in table[0]]

    pdf = tmp_path / "sheet.pdf"
    result = runner.invoke(args=["export", "--meeting", w.slug, "--election", str(eid), "--format", "pdf",
                                 "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-") and ", ".join(elected) in pdf_text(pdf.read_bytes(), tmp_path)

    # the papers, counted again from the file by the command that counts BLT files
    papers = tmp_path / "papers.blt"
    result = runner.invoke(args=["export", "--meeting", w.slug, "--election", str(eid), "--format", "blt",
                                 "-o", str(papers)])
    assert result.exit_code == 0, result.output
    parsed = blt.parse(papers.read_text(encoding="utf-8"))
    assert parsed.candidates == NAMES and parsed.seats == 2
    assert sum(b.weight for b in parsed.ballots) == len(RANKINGS)
    again = runner.invoke(args=["count", str(papers), "--method", "scottish", "--seed", "x"])
    assert again.exit_code == 0, again.output
    assert all(name in again.output for name in elected)


@pytest.mark.parametrize("fmt, state, message", [
    ("xlsx", "counted", "Unknown export format"),
    ("csv", "open", "once the election is counted"),
    ("blt", "open", "once the election is closed"),
    ("csv", "elsewhere", "no such election in this meeting"),
])
def test_motions_export_of_an_election_refuses_and_writes_nothing(world, runner, tmp_path, fmt, state, message):
    w = world
    if state == "open":
        eid = w.factory.election(w.slug, seats=2, candidates=NAMES)
        with w.app.app_context():
            elections.open_ballots(elections.get_election(eid), db.session.get(Person, w.ids["chair"]),
                                   confirm_without_quorum=True)
    else:
        eid = counted(w)
    slug = w.factory.meeting("elsewhere") if state == "elsewhere" else w.slug
    folder = tmp_path / "exports"
    folder.mkdir()
    result = runner.invoke(args=["export", "--meeting", slug, "--election", str(eid), "--format", fmt,
                                 "-o", str(folder / "out")])
    assert result.exit_code != 0
    assert message in result.output
    assert list(folder.iterdir()) == []


def test_motions_export_wants_one_thing_to_export(world, runner, tmp_path):
    result = runner.invoke(args=["export", "--meeting", world.slug, "--record", "--election", "1", "--format", "csv",
                                 "-o", str(tmp_path / "out.csv")])
    assert result.exit_code != 0 and "Give one of" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_the_api_route_is_described(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/elections/{election_id}/result"]["get"]
    assert set(op["responses"]["200"]["content"]) == {"text/csv; charset=utf-8", "application/pdf"}
    assert {"401", "403", "404", "409", "422"} <= set(op["responses"])
    param = next(p for p in op["parameters"] if p["name"] == "format")
    assert param["required"] and param["schema"]["enum"] == ["csv", "pdf"]


# ---------------------------------------------------------------- the record of proceedings

def record_world(w) -> dict:
    """A counted STV election, a counted approval election, a void one never counted and one voided
    after its count, and one still taking nominations (not in the record)."""
    ids = {"stv": counted(w)}
    ids["approval"] = counted(w, title="Auditors", names=("Kim", "Lee", "Max"), seats=1, method="approval",
                              rankings=[(0, 1), (1,), (1, 2), (0,), ()])
    ids["void"] = w.factory.election(w.slug, title="Tellers", seats=1, candidates=("Tam", "Una"))
    ids["voided"] = counted(w, title="Stewards", void="Counted twice by mistake.")
    ids["open"] = w.factory.election(w.slug, title="Delegates to congress", seats=2, state="nominating")
    with w.app.app_context():
        elections.void_election(elections.get_election(ids["void"]), db.session.get(Person, w.ids["chair"]),
                                "Nobody stood in time.")
    return ids


def test_the_record_page_shows_each_counted_election_with_its_tables(world, client, auth):
    w = world
    ids = record_world(w)
    auth.login("d4@c.org")
    html = client.get(f"/m/{w.slug}/record").get_data(as_text=True)
    section = html[html.index('<h2 id="record-elections">'):]
    assert not inert_problems(html)
    for title in ("Steering Committee", "Auditors", "Tellers", "Stewards"):
        assert f">{title}</h3>" in section, title
    assert "Delegates to congress" not in section
    assert "Void: Nobody stood in time." in section and "Void: Counted twice by mistake." in section
    assert section.count('<table class="result-sheet') == 2  # the STV count and the approval tally
    for label, table in sheet_tables(w, ids["stv"]):
        assert all(cell in section for row in table for cell in row if cell and "&" not in cell)
    assert f'href="/elections/{ids["stv"]}/result.pdf"' in section


def test_the_record_has_each_election_in_every_format(world, client, auth, tmp_path):
    import openpyxl

    w = world
    ids = record_world(w)
    auth.login("d4@c.org")
    stv = sheet_tables(w, ids["stv"])[0][1]

    rows = csv_rows(client.get(f"/m/{w.slug}/record?format=csv").get_data())
    assert rows[0][0] == "Number"
    blocks = [i for i, row in enumerate(rows) if row[:1] == ["Election"]]
    assert [rows[i][1] for i in blocks] == ["Steering Committee", "Auditors", "Tellers", "Stewards"]
    assert all(rows[i - 1] == [] for i in blocks)
    start = rows.index(["The count"])
    assert blocks[0] < start < blocks[1]
    assert rows[start + 1:start + 1 + len(stv)] == [[neutralised(c) for c in row] for row in stv]
    tellers = rows[blocks[2]:blocks[3] - 1]
    assert tellers == [["Election", "Tellers"], ["Method", "Single transferable vote (Scottish STV)"],
                       ["Seats", "1"], ["Status", "Void: Nobody stood in time."]]
    stewards = rows[blocks[3]:]
    assert ["Status", "Void: Counted twice by mistake."] in stewards and ["The count"] not in stewards

    response = client.get(f"/m/{w.slug}/record?format=xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["Record", "Steering Committee", "Auditors", "Tellers", "Stewards", "About"]
    cells = [c.value for row in workbook["Steering Committee"].iter_rows() for c in row if c.value is not None]
    assert "The count" in cells and "Ann Able" in cells

    html = client.get(f"/m/{w.slug}/record?format=html").get_data(as_text=True)
    assert not inert_problems(html, allowed_tags=EXPORT_TAGS, export=True)
    assert '<section class="elections">' in html and html.count('<section class="election counted">') == 2
    assert html.count('<section class="election void">') == 2

    text = pdf_text(client.get(f"/m/{w.slug}/record?format=pdf").get_data(), tmp_path)
    for needle in ("Elections", "Steering Committee", "Auditors", "Void: Nobody stood in time.", "Ann Able", "Kim"):
        assert needle in text, needle

    token = w.factory.token("d4@c.org")
    api = client.get(f"/api/v1/meetings/{w.slug}/record?format=csv", headers=bearer(token))
    assert [r for r in csv_rows(api.get_data()) if r[:1] == ["Election"]] == [rows[i] for i in blocks]


def test_the_record_without_elections_is_unchanged(world, client, auth):
    w = world
    w.factory.election(w.slug, title="Delegates to congress", seats=2, state="nominating")
    auth.login("d1@c.org")
    rows = csv_rows(client.get(f"/m/{w.slug}/record?format=csv").get_data())
    assert len(rows) == 1 and rows[0][0] == "Number"
    html = client.get(f"/m/{w.slug}/record").get_data(as_text=True)
    assert "record-elections" not in html


# ---------------------------------------------------------------- payloads stay text

def test_payloads_in_the_title_and_the_names_come_out_inert(world, client, auth, tmp_path):
    w = world
    names = tuple(PAYLOADS[k] for k in (0, 1, 17, 18, 19, 20))  # tags, attributes and spreadsheet formulas
    title = " ".join(PAYLOADS[2:5])
    eid = counted(w, title=title, names=names, seats=2, rankings=[(0, 1), (2, 3), (4, 5), (5, 4), (1, 0), (3,)])
    auth.login("d1@c.org")
    problems = []
    for page in (f"/elections/{eid}", f"/elections/{eid}/result", f"/m/{w.slug}/record"):
        html = client.get(page).get_data(as_text=True)
        problems += [f"{page}: {p}" for p in inert_problems(html)]
        seen = shown(html)
        problems += [f"{page}: {v!r} not shown" for v in (title, *names) if v not in seen]
    html = client.get(f"/m/{w.slug}/record?format=html").get_data(as_text=True)
    problems += [f"record html: {p}" for p in inert_problems(html, allowed_tags=EXPORT_TAGS, export=True)]
    problems += [f"record html: {v!r} not shown" for v in (title, *names) if v not in shown(html)]
    for url in (f"/elections/{eid}/result.csv", f"/m/{w.slug}/record?format=csv"):
        cells = [cell for row in csv_rows(client.get(url).get_data()) for cell in row]
        problems += [f"{url}: {cell!r} is a formula" for cell in cells
                     if cell.startswith(FORMULA_START) and not FIGURE.fullmatch(cell)]
        for value in (title, *names):
            if not any(value in cell for cell in cells):
                problems.append(f"{url}: {value!r} is missing")
        for name in names:
            if name.startswith(FORMULA_START):
                assert "'" + name in cells, (url, name)
    for url in (f"/elections/{eid}/result.pdf", f"/m/{w.slug}/record?format=pdf"):
        pdf = client.get(url).get_data()
        assert b"/JavaScript" not in pdf and b"/URI" not in pdf and b"/Launch" not in pdf, url
        # in the order written: a long name wraps in its narrow cell, and laid out its lines would
        # interleave with the cells beside it (which cells those are depends on the count's lot)
        text = pdf_text(pdf, tmp_path, "-raw")
        flat = re.sub(r"\s+", "", text)
        for value in (title, *names):
            if re.sub(r"\s+", "", value) not in flat:
                problems.append(f"{url}: {value!r} is not printed as text")
    assert not problems, "\n".join(problems)

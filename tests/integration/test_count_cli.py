"""`motions count FILE.blt --method scottish|meek|approval|plurality`: a count repeated from the
command line."""
from __future__ import annotations

import re

# 2 seats, 3 candidates; quota floor(100 / 3) + 1 = 34. A has 60 first preferences: elected,
# surplus 26 passes at 26/60 to B (all of A's papers go on to B); B 30 + 26 = 56 is elected.
BLT = """3 2
60 1 2 0
30 2 0
10 3 0
0
"Ana"
"Ben"
"Cai"
"Small test"
"""


def _write(tmp_path, text, name="count.blt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_count_prints_the_sheet_stage_by_stage(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["count", str(_write(tmp_path, BLT)), "--seed", "s1"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Small test\n")
    assert "Quota: 34" in out and "Valid ballots: 100" in out and "Seed for any lot: s1" in out
    assert re.search(r"Surplus of Ana", out)
    # Ana keeps the quota; her surplus of 26 passes at 26/60 = 0.43333 a paper: 60 x 0.43333 = 25.99980
    assert re.search(r"^Ana\s.*\b60\.00000\s+-26\.00000\s+34\.00000", out, re.M)
    assert re.search(r"^Ben\s.*\b30\.00000\s+\+25\.99980\s+55\.99980", out, re.M)
    assert re.search(r"^Loss from truncation\s.*\+0\.00020", out, re.M)
    assert out.rstrip().endswith("Elected: Ana, Ben")


def test_count_by_meek(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["count", str(_write(tmp_path, BLT)), "--method", "meek"])
    assert result.exit_code == 0, result.output
    assert "Method: Meek STV" in result.output and result.output.rstrip().endswith("Elected: Ana, Ben")


def test_a_malformed_file_names_its_line_and_nothing_is_counted(app, tmp_path):
    bad = BLT.replace("30 2 0", "30 2 2 0")
    result = app.test_cli_runner().invoke(args=["count", str(_write(tmp_path, bad))])
    assert result.exit_code == 1
    assert "count.blt, line 3:" in result.output and "Stage" not in result.output
    result = app.test_cli_runner().invoke(args=["count", str(_write(tmp_path, "3 two\n"))])
    assert result.exit_code == 1 and "line 1:" in result.output
    binary = tmp_path / "binary.blt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = app.test_cli_runner().invoke(args=["count", str(binary)])
    assert result.exit_code == 1 and "is not UTF-8 text" in result.output


def test_a_malformed_file_is_told_through_gettext(app, tmp_path, monkeypatch):
    """The reason is a note: its template goes through the app's gettext, as a count's refusal does."""
    import motions.cli

    def wrapping(message, **variables):
        text = f"<<{message}>>"
        return text % variables if variables else text

    monkeypatch.setattr(motions.cli, "_", wrapping)
    bad = BLT.replace("30 2 0", "30 2 2 0")
    result = app.test_cli_runner().invoke(args=["count", str(_write(tmp_path, bad))])
    assert result.exit_code == 1
    assert "count.blt, line 3: <<candidate 2 is ranked twice on one ballot" in result.output
    result = app.test_cli_runner().invoke(args=["count", str(_write(tmp_path, "3 two\n"))])
    assert "line 1: <<'two' is not a whole number (<<the number of seats>>)>>" in result.output


def test_more_seats_than_candidates_cannot_be_counted(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["count", str(_write(tmp_path, BLT.replace("3 2\n", "3 4\n", 1)))])
    assert result.exit_code == 1 and "cannot be counted" in result.output, result.output


def test_count_by_approval_and_plurality_reads_each_ballot_line_as_marks(app, tmp_path):
    # approval: Ana 60, Ben 60 + 30 = 90, Cai 10: Ben and Ana
    path = _write(tmp_path, BLT)
    result = app.test_cli_runner().invoke(args=["count", str(path), "--method", "approval", "--seed", "a"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Method: Approval voting" in out and "Valid ballots: 100" in out and "Seed for any lot: a" in out
    assert re.search(r"^Ana\s+60\s+Elected$", out, re.M) and re.search(r"^Ben\s+90\s+Elected$", out, re.M)
    assert re.search(r"^Cai\s+10\s+Not elected$", out, re.M)
    assert out.rstrip().endswith("Elected: Ben, Ana")
    # plurality at large with one seat: the 60 papers marking Ana and Ben are over-voted
    one_seat = _write(tmp_path, BLT.replace("3 2\n", "3 1\n", 1), "one.blt")
    result = app.test_cli_runner().invoke(args=["count", str(one_seat), "--method", "plurality"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Method: Plurality at large" in out and "Invalid ballots: 60" in out
    assert "60 over-voted ballots (more marks than seats)" in out
    assert out.rstrip().endswith("Elected: Ben")


def test_an_approval_count_that_cannot_be_made_says_why(app, tmp_path):
    path = _write(tmp_path, BLT.replace("3 2\n", "3 4\n", 1))
    result = app.test_cli_runner().invoke(args=["count", str(path), "--method", "approval"])
    assert result.exit_code == 1
    assert "cannot be counted: 4 seats to fill but only 3 candidates standing" in result.output

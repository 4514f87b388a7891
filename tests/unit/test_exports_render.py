"""Unit tests for motions.exports.render: what a reader checks in each exported file.

No database: the documents, redlines and records are built by hand.  Every fixture carries
Chinese text and an XSS payload; HTML must show the payload as text, DOCX and ODT must hold it
as literal text, CSV and XLSX must not turn a cell into a formula.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract

import motions.exports.render as render_module
from motions.exports.model import ExportClause, ExportDocument, Record, RecordRow, Redline, RedlineClause
from motions.exports.render import (
    FORMATS,
    MEDIA_TYPES,
    RECORD_FORMATS,
    REDLINE_FORMATS,
    render_document,
    render_record,
    render_redline,
)
from motions.text.lines import wrap

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
XSS = SCRIPT + IMG
CHINESE = "工人有权组织工会。"
FINGERPRINT = "0123456789abcdef" * 4
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def make_clause(number, kind, level, text, source, first, width=30, separator="\n\n"):
    lines = wrap(text, width)
    return ExportClause(number=number, kind=kind, level=level, text=text, source=source, separator=separator,
                        lines=lines, first_line=first, last_line=first + len(lines) - 1)


def make_document(language="en", fingerprint=FINGERPRINT, made_by="A3", state="final"):
    specs = [
        ("1", "heading", 1, "Rights " + XSS, "# Rights " + XSS),
        ("1.1", "paragraph", 1, CHINESE * 5, CHINESE * 5),
        ("1.2", "item", 1, "We demand decent housing & fair wages " + XSS + " for all.",
         "- We demand decent housing & fair wages " + XSS + " for all."),
        ("2", "heading", 2, "Democracy", "## Democracy"),
        ("2.1", "paragraph", 1, "Every member has one vote.", "Every member has *one* vote."),
    ]
    clauses, first = [], 1
    for i, (number, kind, level, text, source) in enumerate(specs):
        separator = "\n" if i == len(specs) - 1 else "\n\n"
        clause = make_clause(number, kind, level, text, source, first, separator=separator)
        clauses.append(clause)
        first = clause.last_line + 1
    return ExportDocument(meeting="Congress 2025 " + XSS, title="Platform " + XSS, version=7, date="2025-05-01",
                          state=state, fingerprint=fingerprint, language=language, clauses=clauses, made_by=made_by)


def adopted_text(doc):
    return "".join(c.source + c.separator for c in doc.clauses)


def make_redline():
    return Redline(
        meeting="Congress 2025 " + XSS, title="Platform " + XSS, old_version=1, new_version=7,
        old_label="Draft (version 1)", new_label="Adopted (version 7)", date="2025-05-01",
        fingerprint=FINGERPRINT, language="en", author="Motions secretariat",
        clauses=[
            RedlineClause("1", "1", "heading", 1, "unchanged", [(0, "Rights")], 1, 1),
            RedlineClause("1.1", "1.2", "paragraph", 1, "changed",
                          [(0, "Workers "), (-1, "may"), (1, "shall " + XSS), (0, " organise "),
                           (-1, "sometimes."), (1, "always.")], 2, 3, ["A3", "A7"]),
            RedlineClause("1.2", "", "item", 1, "inserted", [(1, CHINESE + " & more")], 4, 4, ["A5"]),
            RedlineClause("", "1.3", "paragraph", 1, "deleted", [(-1, "Old clause & <b>gone</b> " + IMG)], 5, 6,
                          ["A9"]),
        ],
    )


def make_record():
    rows = [
        RecordRow("A3", "Platform", "1.1", "2–3", "modify", "=1+1 " + XSS, "Line 2: delete “may”.", "Ann (Union)",
                  ["Bob", "+44 Cy"], "Carried", "Poll 4: Carried: 41 for, 12 against, 3 abstentions.", 41, 12, 3,
                  "carried"),
        RecordRow("A4", "Platform", "", "1", "insert_after", CHINESE, "-2+3", "@Dee", [], "Pending", "",
                  None, None, None, "pending"),
        RecordRow("L12-1", "Rules " + XSS, "4", "12", "delete", "=HYPERLINK(\"http://x\")", "Delete line 12.",
                  "Eve", ["Fay"], "Lost", "Decided by the chair: consent", 0, 0, 0, "lost"),
    ]
    return Record(meeting="Congress 2025 " + XSS, date="2025-05-02", language="zh_Hans", rows=rows,
                  fingerprints=[("Platform " + XSS, FINGERPRINT)])


def prefix_gettext(msgid, **variables):
    """A fake translation: every message starts with "T:"."""
    text = "T:" + msgid
    return text % variables if variables else text


class Tags(HTMLParser):
    """Tags and text of an HTML page, and the text of elements with a given class."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes = set(), []
        self.stack, self.by_class, self.text = [], {}, []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.extend(name for name, _value in attrs)
        if tag in ("meta", "br", "col", "link"):
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append((tag, classes, len(self.text)))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, classes, start = self.stack.pop()
            for name in classes:
                self.by_class.setdefault(name, []).append("".join(self.text[start:]))
            if open_tag == tag:
                break

    def handle_data(self, data):
        self.text.append(data)


def parse_html(page: bytes) -> Tags:
    parser = Tags()
    parser.feed(page.decode("utf-8"))
    parser.close()
    return parser


def assert_inert(page: bytes):
    """Nothing from the data became markup: no script or img element, no event handler; the
    payload is there, escaped."""
    text = page.decode("utf-8")
    parsed = parse_html(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [name for name in parsed.attributes if name.startswith("on")]
    assert SCRIPT not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


# ------------------------------------------------------------------------------------------
# formats, media types, errors
# ------------------------------------------------------------------------------------------


def test_every_format_has_a_media_type():
    assert FORMATS == ("md", "txt", "html", "pdf", "docx", "odt")
    assert REDLINE_FORMATS == ("html", "pdf", "docx")
    assert RECORD_FORMATS == ("csv", "xlsx", "html", "pdf")
    for fmt in set(FORMATS) | set(REDLINE_FORMATS) | set(RECORD_FORMATS):
        assert MEDIA_TYPES[fmt]
    assert MEDIA_TYPES["md"] == "text/markdown; charset=utf-8"
    assert MEDIA_TYPES["odt"] == "application/vnd.oasis.opendocument.text"
    assert MEDIA_TYPES["xlsx"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("fmt", ["rtf", "", "PDF", "csv", "../html"])
def test_unknown_document_format_raises(fmt):
    with pytest.raises(ValueError, match=re.escape(fmt) if fmt else None):
        render_document(make_document(), fmt)


@pytest.mark.parametrize("fmt", ["md", "txt", "odt", "csv"])
def test_unknown_redline_format_raises(fmt):
    with pytest.raises(ValueError):
        render_redline(make_redline(), fmt)


@pytest.mark.parametrize("fmt", ["md", "txt", "docx", "ods"])
def test_unknown_record_format_raises(fmt):
    with pytest.raises(ValueError):
        render_record(make_record(), fmt)


# ------------------------------------------------------------------------------------------
# Markdown and plain text
# ------------------------------------------------------------------------------------------


def test_markdown_ends_with_exactly_the_adopted_text():
    doc = make_document()
    out = render_document(doc, "md").decode("utf-8")
    header, body = out.split("\n---\n\n", 1)
    assert body == adopted_text(doc)
    assert out.endswith(adopted_text(doc))
    assert out.startswith("# Platform " + XSS + "\n")
    assert "Meeting: Congress 2025 " + XSS in header
    assert "Version: 7 (made by amendment A3)" in header
    assert "Status: Adopted" in header
    assert "Date: 2025-05-01" in header
    assert f"Fingerprint (SHA-256): {FINGERPRINT}" in header
    last = doc.clauses[-1].last_line
    assert f"Line numbers as in the meeting: 1–{last}" in header


def test_markdown_without_fingerprint_or_amendment_omits_them():
    doc = make_document(fingerprint=None, made_by="", state="draft")
    out = render_document(doc, "md").decode("utf-8")
    assert "Fingerprint" not in out
    assert "made by" not in out
    assert "Status: Draft" in out
    assert out.endswith(adopted_text(doc))


def test_markdown_title_with_a_line_break_stays_one_header_line():
    doc = make_document()
    doc = ExportDocument(**{**doc.__dict__, "title": "Platform\n---\nInjected"})
    out = render_document(doc, "md").decode("utf-8")
    assert out.startswith("# Platform --- Injected\n")
    assert out.split("\n---\n\n", 1)[1] == adopted_text(doc)


def test_text_numbers_every_line_in_order():
    doc = make_document()
    out = render_document(doc, "txt").decode("utf-8")
    numbered = [re.fullmatch(r" *(\d+)  (.*)", line) for line in out.split("\n")]
    numbered = [m for m in numbered if m]
    expected_lines = [line for c in doc.clauses for line in c.lines]
    assert [int(m[1]) for m in numbered] == list(range(1, len(expected_lines) + 1))
    assert [m[2] for m in numbered] == expected_lines
    # right-aligned in one column
    width = len(str(doc.clauses[-1].last_line))
    body = doc.clauses[1]
    assert f"{body.first_line:>{max(3, width)}}  {body.lines[0]}" in out.split("\n")
    assert "Clause 1.1" in out and "Clause 2.1" in out
    assert f"Fingerprint (SHA-256): {FINGERPRINT}" in out
    assert out.splitlines()[0] == "Platform " + XSS


def test_text_formats_are_deterministic():
    doc = make_document()
    for fmt in ("md", "txt", "html"):
        assert render_document(doc, fmt) == render_document(make_document(), fmt)
    assert render_record(make_record(), "csv") == render_record(make_record(), "csv")
    assert render_redline(make_redline(), "html") == render_redline(make_redline(), "html")


def test_empty_document_renders():
    doc = ExportDocument(meeting="M", title="T", version=1, date="2025-01-01", state="draft", fingerprint=None,
                         language="en", clauses=[])
    for fmt in ("md", "txt", "html", "docx", "odt"):
        assert render_document(doc, fmt)
    assert "Line numbers" not in render_document(doc, "txt").decode("utf-8")


# ------------------------------------------------------------------------------------------
# HTML
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language, tag", [("en", "en"), ("zh_Hans", "zh-Hans"), ("zh_Hant", "zh-Hant")])
def test_html_is_a_standalone_page_in_the_readers_language(language, tag):
    out = render_document(make_document(language=language), "html").decode("utf-8")
    assert out.startswith("<!doctype html>")
    assert f'<html lang="{tag}">' in out
    assert '<meta charset="utf-8">' in out
    for font in ('"Noto Sans CJK SC"', '"Noto Sans CJK TC"', '"Noto Serif CJK SC"'):
        assert font in out


def test_html_escapes_everything_from_the_data():
    page = render_document(make_document(), "html")
    assert_inert(page)
    text = page.decode("utf-8")
    assert "housing &amp;" in text and "housing & " not in text
    assert "<title>Platform &lt;script&gt;" in text


def test_html_shows_the_line_numbers_beside_their_lines():
    doc = make_document()
    parsed = parse_html(render_document(doc, "html"))
    expected = [line for c in doc.clauses for line in c.lines]
    assert parsed.by_class["ln"] == [str(n) for n in range(1, len(expected) + 1)]
    assert parsed.by_class["lt"] == expected
    assert parsed.by_class["num"] == [c.number for c in doc.clauses]
    assert {"h2", "h3"} <= parsed.tags  # headings by level
    meta = " ".join(parsed.text)
    assert FINGERPRINT in meta and "2025-05-01" in meta and "Congress 2025 " + XSS in meta


def test_html_headings_follow_their_level():
    out = render_document(make_document(), "html").decode("utf-8")
    assert re.search(r'<h2 class="lines"><span class="line" id="line-1">', out)
    assert re.search(r'<h3 class="lines"><span class="line" id="line-\d+"><span class="ln" aria-hidden="true">\d+'
                     r'</span><span class="lt" dir="auto">Democracy</span>', out)


def test_page_footer_translation_cannot_break_out_of_the_style_sheet():
    def hostile(msgid, **variables):
        if msgid.startswith("Page "):
            return "</style><script>x</script>第%(page)s页“共”%(pages)s页" % variables
        return msgid % variables if variables else msgid

    out = render_document(make_document(), "html", hostile).decode("utf-8")
    assert "</style><script>" not in out and "<script>x" not in out
    assert "counter(page)" in out and "counter(pages)" in out
    assert out.index("counter(page)") < out.index("counter(pages)")


# ------------------------------------------------------------------------------------------
# PDF (few renderings: each takes a fraction of a second)
# ------------------------------------------------------------------------------------------


def test_pdf_holds_the_lines_with_their_numbers(tmp_path):
    doc = make_document(language="zh_Hans")
    pdf = render_document(doc, "pdf")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    for clause in doc.clauses:
        for n, line in enumerate(clause.lines, clause.first_line):
            # each display line on one printed line, its number beside it
            assert re.search(rf"(?m)(^|\s){n}\s+{re.escape(line.strip())}\s*$", text), (n, line)
    assert CHINESE in text
    assert FINGERPRINT in text
    assert "Congress 2025 " + XSS in text  # the payload is printed as text
    assert "Page 1 of 1" in text


def test_redline_pdf_shows_the_changes(tmp_path):
    text = pdf_text(render_redline(make_redline(), "pdf"), tmp_path)
    for needle in ("Workers", "shall " + XSS, "always.", CHINESE, "Old clause & <b>gone</b>", "Deleted clause",
                   "New clause", "Changed", "By A3, A7", "Draft (version 1) → Adopted (version 7)", FINGERPRINT):
        assert needle in text, needle


def test_record_pdf_is_landscape_and_holds_the_rows(tmp_path):
    pdf = render_record(make_record(), "pdf")
    text = pdf_text(pdf, tmp_path)
    assert "Record of proceedings" in text
    assert CHINESE in text and "Ann (Union)" in text and "L12-1" in text
    if shutil.which("pdfinfo"):
        (tmp_path / "record.pdf").write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(tmp_path / "record.pdf")], check=True, capture_output=True,
                              text=True).stdout
        width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
        assert width > height


# ------------------------------------------------------------------------------------------
# DOCX and ODT
# ------------------------------------------------------------------------------------------


def test_docx_has_a_paragraph_per_clause_with_number_and_lines():
    import docx
    from docx.oxml.ns import qn

    doc = make_document(language="zh_Hans")
    document = docx.Document(io.BytesIO(render_document(doc, "docx")))
    paragraphs = document.paragraphs
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == "Platform " + XSS
    texts = [p.text for p in paragraphs]
    assert "Meeting: Congress 2025 " + XSS in texts
    assert f"Fingerprint (SHA-256): {FINGERPRINT}" in texts
    assert "Version: 7 (made by amendment A3)" in texts and "Date: 2025-05-01" in texts

    clause_paragraphs = paragraphs[-len(doc.clauses):]
    for clause, paragraph in zip(doc.clauses, clause_paragraphs):
        span = (f"(line {clause.first_line})" if clause.first_line == clause.last_line
                else f"(lines {clause.first_line}–{clause.last_line})")
        assert paragraph.text == f"{clause.number} {span} {clause.text}"
        assert paragraph.runs[0].style.name == "ClauseLabel"
        if clause.kind == "heading":
            assert paragraph.style.name == f"Heading {clause.level}"
        else:
            assert not paragraph.style.name.startswith("Heading")
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "Noto Sans CJK SC"
    assert document.core_properties.title == "Platform " + XSS


def test_docx_keeps_the_payload_as_text():
    data = render_document(make_document(), "docx")
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    assert "<script>" not in xml and "<img" not in xml
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml


def test_odt_is_a_valid_package_with_the_clauses():
    from odf import teletype
    from odf.opendocument import load
    from odf.text import H, P

    doc = make_document(language="zh_Hant")
    data = render_document(doc, "odt")
    package = zipfile.ZipFile(io.BytesIO(data))
    first = package.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert package.read("mimetype") == b"application/vnd.oasis.opendocument.text"
    assert "<script>" not in package.read("content.xml").decode("utf-8")

    odt = load(io.BytesIO(data))
    headings = [teletype.extractText(h) for h in odt.getElementsByType(H)]
    paragraphs = [teletype.extractText(p) for p in odt.getElementsByType(P)]
    assert "Platform " + XSS in paragraphs
    assert f"Fingerprint (SHA-256): {FINGERPRINT}" in paragraphs
    assert "Meeting: Congress 2025 " + XSS in paragraphs
    heading_clauses = [c for c in doc.clauses if c.kind == "heading"]
    assert headings == [f"{c.number} (line {c.first_line}) {c.text}" if c.first_line == c.last_line
                        else f"{c.number} (lines {c.first_line}–{c.last_line}) {c.text}" for c in heading_clauses]
    body = doc.clauses[1]
    assert f"1.1 (lines {body.first_line}–{body.last_line}) {CHINESE * 5}" in paragraphs
    assert "Noto Sans CJK TC" in package.read("styles.xml").decode("utf-8")


def test_markup_formats_drop_characters_xml_cannot_hold():
    doc = make_document()
    doc = ExportDocument(**{**doc.__dict__, "title": "Bad\x00\x01\x0b title\ufffe"})
    for fmt in ("html", "docx", "odt"):
        assert render_document(doc, fmt)
    assert "\x00" not in render_document(doc, "html").decode("utf-8")
    record = make_record()
    record = Record(**{**record.__dict__, "meeting": "M\x03eeting"})
    assert render_record(record, "xlsx")


# ------------------------------------------------------------------------------------------
# redlines
# ------------------------------------------------------------------------------------------


def test_redline_html_marks_deletions_and_insertions():
    page = render_redline(make_redline(), "html")
    assert_inert(page)
    out = page.decode("utf-8")
    assert "Workers <del>may</del><ins>shall &lt;script&gt;" in out
    assert "<del>sometimes.</del><ins>always.</ins>" in out
    assert f"<ins>{CHINESE} &amp; more</ins>" in out
    assert "<del>Old clause &amp; &lt;b&gt;gone&lt;/b&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;</del>" in out
    parsed = parse_html(page)
    assert parsed.by_class["change"] == ["Changed", "New clause", "Deleted clause"]
    assert parsed.by_class["num"] == ["1", "1.2 → 1.1", "1.2", "1.3"]
    assert parsed.by_class["by"] == ["By A3, A7", "By A5", "By A9"]
    joined = " ".join(parsed.text)
    assert "Draft (version 1) → Adopted (version 7)" in joined
    assert FINGERPRINT in joined and "Legend:" in joined


def _label_free(xpath):
    return xpath + '[not(ancestor::w:r/w:rPr/w:rStyle[@w:val="ClauseLabel"])]'


def test_redline_docx_has_real_tracked_changes():
    import docx

    redline = make_redline()
    document = docx.Document(io.BytesIO(render_redline(redline, "docx")))
    body = document.element.body
    changes = body.xpath(".//w:ins | .//w:del")
    ids = [element.get(f"{W}id") for element in changes]
    assert len(ids) == len(set(ids)) and all(i.isdigit() for i in ids)
    assert {element.get(f"{W}author") for element in changes} == {"Motions secretariat"}
    assert {element.get(f"{W}date") for element in changes} == {"2025-05-01T00:00:00Z"}

    paragraphs = [p for p in body.xpath("./w:p") if p.xpath('.//w:rStyle[@w:val="ClauseLabel"]')]
    assert len(paragraphs) == len(redline.clauses)
    for clause, p in zip(redline.clauses, paragraphs):
        ops = clause.ops
        old = "".join(text for op, text in ops if op <= 0)
        new = "".join(text for op, text in ops if op >= 0)
        if clause.change == "inserted":
            old = ""
        if clause.change == "deleted":
            new = ""
        deleted = "".join(t.text for t in p.xpath(_label_free(".//w:del//w:delText")))
        inserted = "".join(t.text for t in p.xpath(_label_free(".//w:ins//w:t")))
        assert deleted == "".join(text for op, text in ops if op < 0 or clause.change == "deleted")
        assert inserted == "".join(text for op, text in ops if op > 0 or clause.change == "inserted")
        accepted = "".join(t.text for t in p.xpath(_label_free(".//w:t")))
        rejected = "".join(t.text for t in p.xpath(
            _label_free(".//w:t[not(ancestor::w:ins)]") + " | " + _label_free(".//w:delText")))
        assert accepted == new, clause
        assert rejected == old, clause
        assert not p.xpath(".//w:del//w:t")  # deleted text is w:delText only
        label = "".join(p.xpath('.//w:r[w:rPr/w:rStyle[@w:val="ClauseLabel"]]//text()'))
        if clause.amendments:
            assert f"[{', '.join(clause.amendments)}]" in label
        if clause.change == "inserted":
            assert not p.xpath("./w:r") and p.xpath("./w:ins")  # all of it inserted
            assert p.xpath("./w:pPr/w:rPr/w:ins")
        elif clause.change == "deleted":
            assert not p.xpath("./w:r") and p.xpath("./w:del")
            assert p.xpath("./w:pPr/w:rPr/w:del")
        else:
            assert not p.xpath("./w:pPr/w:rPr/w:ins | ./w:pPr/w:rPr/w:del")
    assert paragraphs[0].xpath("./w:pPr/w:pStyle/@w:val") == ["Heading1"]
    assert not paragraphs[0].xpath(".//w:ins | .//w:del")  # unchanged
    xml = zipfile.ZipFile(io.BytesIO(render_redline(redline, "docx"))).read("word/document.xml").decode("utf-8")
    assert "<script>" not in xml and "<b>" not in xml and "<img" not in xml


# ------------------------------------------------------------------------------------------
# record of proceedings
# ------------------------------------------------------------------------------------------

HEADER = ["Number", "Document", "Clause", "Lines", "Kind", "Title", "Summary", "Mover", "Seconders", "Status",
          "For", "Against", "Abstentions", "Decision"]


def test_record_csv_parses_back_with_formulas_neutralised():
    data = render_record(make_record(), "csv")
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    assert rows[1] == ["A3", "Platform", "1.1", "2–3", "modify", "'=1+1 " + XSS, "Line 2: delete “may”.",
                       "Ann (Union)", "Bob; +44 Cy", "Carried", "41", "12", "3",
                       "Poll 4: Carried: 41 for, 12 against, 3 abstentions."]
    assert rows[2] == ["A4", "Platform", "", "1", "insert_after", CHINESE, "'-2+3", "'@Dee", "", "Pending",
                       "", "", "", ""]
    assert rows[3][5] == "'=HYPERLINK(\"http://x\")"
    assert rows[3][10:13] == ["0", "0", "0"]
    assert len(rows) == 4
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_record_csv_neutralises_a_leading_plus_in_seconders():
    record = make_record()
    row = RecordRow(**{**record.rows[0].__dict__, "seconders": ["+1 Zed", "Bob"]})
    data = render_record(Record(**{**record.__dict__, "rows": [row]}), "csv").decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(data)))[1][8] == "'+1 Zed; Bob"


def test_record_xlsx_has_the_rows_and_no_formulas():
    import openpyxl

    data = render_record(make_record(), "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Record", "About"]
    sheet = workbook["Record"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADER
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["G"].width > sheet.column_dimensions["A"].width
    assert rows[1][:6] == ["A3", "Platform", "1.1", "2–3", "modify", "=1+1 " + XSS]
    assert rows[1][8] == "Bob; +44 Cy"
    assert rows[1][10:13] == [41, 12, 3] and all(isinstance(v, int) for v in rows[1][10:13])
    assert rows[2][5] == CHINESE and rows[2][10:13] == [None, None, None]
    assert rows[3][5] == "=HYPERLINK(\"http://x\")"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    package = zipfile.ZipFile(io.BytesIO(data))
    for name in package.namelist():
        if name.startswith("xl/worksheets/"):
            assert not re.search(rb"<(\w+:)?f[ >]", package.read(name)), name
    about = [[cell.value for cell in row] for row in workbook["About"].iter_rows()]
    assert ["Meeting", "Congress 2025 " + XSS] == about[0][:2]
    assert ["Date", "2025-05-02"] == about[1][:2]
    assert ["Fingerprint (SHA-256)", "Platform " + XSS, FINGERPRINT] == about[2]


def test_record_html_is_an_escaped_table():
    page = render_record(make_record(), "html")
    assert_inert(page)
    parsed = parse_html(page)
    out = page.decode("utf-8")
    assert "A4 landscape" in out and '<html lang="zh-Hans">' in out
    assert "<th scope=\"col\" class=\"c-number\">Number</th>" in out
    assert out.count("<tr class=\"outcome-") == 3
    assert "=1+1 &lt;script&gt;" in out
    assert FINGERPRINT in " ".join(parsed.text)
    assert parsed.by_class["outcome-carried"][0].startswith("A3Platform1.12–3modify")


# ------------------------------------------------------------------------------------------
# translation
# ------------------------------------------------------------------------------------------


def test_labels_go_through_gettext():
    doc = make_document()
    md = render_document(doc, "md", prefix_gettext).decode("utf-8")
    assert f"T:T:Fingerprint (SHA-256): {FINGERPRINT}" in md
    assert md.endswith(adopted_text(doc))  # the text itself is never translated
    html_out = render_document(doc, "html", prefix_gettext).decode("utf-8")
    assert ">T:Version</th>" in html_out and ">T:Fingerprint (SHA-256)</th>" in html_out
    assert "Status: " not in html_out and "T:Adopted" in html_out
    txt = render_document(doc, "txt", prefix_gettext).decode("utf-8")
    assert "T:Clause 1.1" in txt
    rows = list(csv.reader(io.StringIO(render_record(make_record(), "csv", prefix_gettext).decode("utf-8-sig"))))
    assert rows[0] == ["T:" + label for label in HEADER]
    redline = render_redline(make_redline(), "html", prefix_gettext).decode("utf-8")
    assert "T:Deleted clause" in redline and "T:New clause" in redline and "T:By A3, A7" in redline


def test_every_message_used_is_a_literal_that_babel_extracts():
    source = Path(render_module.__file__).read_bytes()
    extracted = {message for _, message, _, _ in extract("python", io.BytesIO(source), keywords=DEFAULT_KEYWORDS)}
    used = set()

    def recording(msgid, **variables):
        used.add(msgid)
        return msgid % variables if variables else msgid

    doc, redline, record = make_document(), make_redline(), make_record()
    for state in ("draft", "open", "closed", "final"):
        render_document(ExportDocument(**{**doc.__dict__, "state": state}), "txt", recording)
    for fmt in ("md", "txt", "html", "docx", "odt"):
        render_document(doc, fmt, recording)
    for fmt in ("html", "docx"):
        render_redline(redline, fmt, recording)
    for fmt in ("csv", "xlsx", "html"):
        render_record(record, fmt, recording)
    assert used <= extracted, used - extracted
    for label in ("Fingerprint (SHA-256)", "Record of proceedings", "Deleted clause", "New clause", "Changed",
                  "Mover", "Seconders", "For", "Against", "Abstentions", "Adopted", "Page %(page)s of %(pages)s"):
        assert label in used, label

"""Exports as files: a document, a redline of two versions, the record of proceedings.

Pure: the input is plain data (:mod:`motions.exports.model`), the output is bytes; no Flask and
no database.  Every label is a literal first argument of ``_`` (so Babel extracts it) and is
formatted Flask-Babel style, ``gettext(msgid, **variables)``; the caller passes the reader's
``gettext`` (default: English, the msgid itself).

Everything taken from the data is untrusted.  HTML is built from escaped text only
(:func:`html.escape`), the header and footer of a PDF page take their text from the escaped
page through ``string-set`` (never through the style sheet), DOCX and ODT are built through the
libraries' element APIs (lxml and odfpy escape), CSV and XLSX cells that a spreadsheet would
read as a formula are neutralised.  Characters that XML cannot hold (C0 controls other than tab,
line feed and carriage return; lone surrogates; U+FFFE, U+FFFF) are dropped from the markup
formats; Markdown and plain text keep the text exactly.

Formats
    Documents: ``md`` (a header, ``---``, then exactly the adopted text), ``txt`` (the clauses
    with their numbers and the numbered display lines), ``html`` (a standalone page, line numbers
    in their own elements), ``pdf`` (that page printed by WeasyPrint: A4, "Page X of Y"),
    ``docx`` and ``odt`` (a paragraph per clause: number, line range, text).
    Redlines: ``html``, ``pdf`` and ``docx`` (real tracked changes: accept all gives the newer
    text, reject all the older one).
    Record: ``csv`` (UTF-8 with a BOM for Excel), ``xlsx``, ``html`` and ``pdf`` (landscape);
    after the amendments, each counted or void election (CSV: a blank row, then the election's
    block; XLSX: a sheet per election; HTML and PDF: a section with the stage-by-stage tables).
    An election's result sheet: ``csv`` (a header block, then every row of every count's table)
    and ``pdf`` (A4 landscape; a count of many stages is split into tables of at most
    :data:`STAGES_PER_TABLE` stages, each repeating the candidates' column).

Figures of a count are written exactly as the count's table has them (every decimal place,
never rounded); a CSV cell that is a plain number ("-34.00000") is a number to a spreadsheet,
never a formula, so it is written as it is.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timezone
from itertools import count

from motions.exports.model import (
    ElectionSheet,
    ExportClause,
    ExportDocument,
    Gettext,
    Record,
    RecordRow,
    Redline,
    RedlineClause,
    SheetCount,
)
from motions.text.lines import text_width

__all__ = [
    "FORMATS",
    "REDLINE_FORMATS",
    "RECORD_FORMATS",
    "SHEET_FORMATS",
    "MEDIA_TYPES",
    "render_document",
    "render_redline",
    "render_record",
    "render_sheet",
]

FORMATS = ("md", "txt", "html", "pdf", "docx", "odt")
REDLINE_FORMATS = ("html", "pdf", "docx")
RECORD_FORMATS = ("csv", "xlsx", "html", "pdf")
SHEET_FORMATS = ("csv", "pdf")
#: the most stages one table of a count shows on an A4 landscape page (two columns each)
STAGES_PER_TABLE = 5

MEDIA_TYPES: dict[str, str] = {
    "md": "text/markdown; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

GENERATOR = "motions"
#: name of the character style of clause numbers, line ranges and amendment notes (DOCX, ODT)
LABEL_STYLE = "ClauseLabel"
CHANGES = ("unchanged", "changed", "inserted", "deleted")
KINDS = ("heading", "paragraph", "item")


def _default_gettext(msgid: str, **variables) -> str:
    return msgid % variables if variables else msgid


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _clean(value: object) -> str:
    """The text with the characters XML cannot hold dropped."""
    return _XML_ILLEGAL.sub("", str(value))


def _e(value: object) -> str:
    """Escaped for HTML text and attribute values."""
    return html.escape(_clean(value), quote=True)


def _one_line(value: str) -> str:
    """A header value on one line (a title with a line break cannot break the header)."""
    return " ".join(str(value).split())


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def _lang(language: str) -> str:
    """The BCP 47 tag for ``html lang``: ``zh_Hans`` -> ``zh-Hans``; anything odd -> ``en``."""
    tag = str(language or "").replace("_", "-")
    return tag if _LANG_TAG.fullmatch(tag) else "en"


def _cjk_fonts(language: str) -> list[str]:
    if language == "zh_Hant":
        return ["Noto Sans CJK TC", "Noto Sans CJK SC", "Noto Serif CJK TC", "Noto Serif CJK SC"]
    return ["Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Serif CJK SC", "Noto Serif CJK TC"]


def _font_stack(language: str) -> str:
    latin = ['"Liberation Sans"', '"DejaVu Sans"', "Arial", "Helvetica"]
    cjk = [f'"{name}"' for name in _cjk_fonts(language)]
    fonts = cjk + latin if language.startswith("zh") else latin + cjk
    return ", ".join(fonts + ["sans-serif"])


def _css_string(text: str) -> str:
    """A CSS string literal; everything but letters, digits and spaces as a hex escape."""
    return '"' + "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):06x}" for ch in text) + '"'


def _date(value: str) -> datetime | None:
    match = _DATE.match(str(value or ""))
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=timezone.utc)
    except ValueError:
        return None


def _label_value(_, label: str, value: str) -> str:
    return _("%(label)s: %(value)s", label=label, value=value)


def _state_label(state: str, _) -> str:
    if state == "draft":
        return _("Draft")
    if state == "open":
        return _("Open for amendments")
    if state == "closed":
        return _("Closed for amendments")
    if state == "final":
        return _("Adopted")
    if state == "superseded":
        return _("Superseded by a later version")
    return str(state)


def _kind(kind: str) -> str:
    return kind if kind in KINDS else "paragraph"


def _level(level: int) -> int:
    try:
        return max(1, min(int(level), 6))
    except (TypeError, ValueError):
        return 1


def _lines_label(_, first: int, last: int) -> str:
    if first == last:
        return _("(line %(line)d)", line=first)
    return _("(lines %(first)d–%(last)d)", first=first, last=last)


def _document_meta(doc: ExportDocument, _) -> list[tuple[str, str, str]]:
    """(key, label, value) of the header of a document export."""
    if doc.made_by:
        version = _("%(version)d (made by amendment %(amendment)s)", version=doc.version, amendment=doc.made_by)
    else:
        version = str(doc.version)
    items = [
        ("meeting", _("Meeting"), doc.meeting),
        ("version", _("Version"), version),
        ("state", _("Status"), _state_label(doc.state, _)),
        ("date", _("Date"), doc.date),
    ]
    if doc.fingerprint is not None:
        items.append(("fingerprint", _("Fingerprint (SHA-256)"), doc.fingerprint))
    if doc.clauses:
        first = min(c.first_line for c in doc.clauses)
        last = max(c.last_line for c in doc.clauses)
        items.append(("lines", _("Line numbers as in the meeting"), _range(first, last)))
    return items


def _redline_meta(redline: Redline, _) -> list[tuple[str, str, str]]:
    items = [
        ("meeting", _("Meeting"), redline.meeting),
        ("comparison", _("Comparison"), _("%(old)s → %(new)s", old=redline.old_label, new=redline.new_label)),
        ("date", _("Date"), redline.date),
    ]
    if redline.fingerprint is not None:
        items.append(("fingerprint", _("Fingerprint (SHA-256)"), redline.fingerprint))
    items.append((
        "lines",
        _("Line numbers"),
        _("as in %(new)s; for a deleted clause, as in %(old)s", new=redline.new_label, old=redline.old_label),
    ))
    return items


def _redline_number(c: RedlineClause) -> str:
    if c.change == "inserted" or not c.old_number:
        return c.number
    if c.change == "deleted" or not c.number:
        return c.old_number
    if c.old_number != c.number:
        return f"{c.old_number} → {c.number}"
    return c.number


def _change_label(change: str, _) -> str:
    if change == "changed":
        return _("Changed")
    if change == "inserted":
        return _("New clause")
    if change == "deleted":
        return _("Deleted clause")
    return ""


def _effective_ops(c: RedlineClause) -> list[tuple[int, str]]:
    """The ops as shown: all of a new clause is inserted, all of a deleted one deleted."""
    if c.change == "inserted":
        return [(1, text) for op, text in c.ops if op >= 0]
    if c.change == "deleted":
        return [(-1, text) for op, text in c.ops if op <= 0]
    return [(op, text) for op, text in c.ops]


def _check(fmt: str, formats: tuple[str, ...]) -> None:
    if fmt not in formats:
        raise ValueError(fmt)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def render_document(doc: ExportDocument, fmt: str, gettext: Gettext | None = None) -> bytes:
    """The document in ``fmt`` (one of :data:`FORMATS`)."""
    _check(fmt, FORMATS)
    _ = gettext or _default_gettext
    if fmt == "md":
        return _document_md(doc, _).encode("utf-8")
    if fmt == "txt":
        return _document_txt(doc, _).encode("utf-8")
    if fmt == "html":
        return _document_html(doc, _).encode("utf-8")
    if fmt == "pdf":
        return _pdf(_document_html(doc, _, for_print=True))
    if fmt == "docx":
        return _document_docx(doc, _)
    return _document_odt(doc, _)


def render_redline(redline: Redline, fmt: str, gettext: Gettext | None = None) -> bytes:
    """The comparison of two versions in ``fmt`` (one of :data:`REDLINE_FORMATS`)."""
    _check(fmt, REDLINE_FORMATS)
    _ = gettext or _default_gettext
    if fmt == "html":
        return _redline_html(redline, _).encode("utf-8")
    if fmt == "pdf":
        return _pdf(_redline_html(redline, _))
    return _redline_docx(redline, _)


def render_record(record: Record, fmt: str, gettext: Gettext | None = None) -> bytes:
    """The record of proceedings in ``fmt`` (one of :data:`RECORD_FORMATS`)."""
    _check(fmt, RECORD_FORMATS)
    _ = gettext or _default_gettext
    if fmt == "csv":
        return _record_csv(record, _)
    if fmt == "xlsx":
        return _record_xlsx(record, _)
    if fmt == "html":
        return _record_html(record, _).encode("utf-8")
    return _pdf(_record_html(record, _))


def render_sheet(sheet: ElectionSheet, fmt: str, gettext: Gettext | None = None) -> bytes:
    """The result sheet of one election in ``fmt`` (one of :data:`SHEET_FORMATS`)."""
    _check(fmt, SHEET_FORMATS)
    _ = gettext or _default_gettext
    if fmt == "csv":
        return _csv_bytes(_sheet_rows(sheet, _))
    return _pdf(_sheet_html(sheet, _))


# --------------------------------------------------------------------------------------------
# Markdown and plain text
# --------------------------------------------------------------------------------------------


def _document_md(doc: ExportDocument, _) -> str:
    out = [f"# {_one_line(doc.title)}", ""]
    for _key, label, value in _document_meta(doc, _):
        out.append("- " + _label_value(_, label, _one_line(value)))
    out += ["", "---", ""]
    body = "".join(c.source + c.separator for c in doc.clauses)
    return "\n".join(out) + "\n" + body


def _document_txt(doc: ExportDocument, _) -> str:
    title = _one_line(doc.title)
    out = [title, "=" * max(3, text_width(title)), ""]
    for _key, label, value in _document_meta(doc, _):
        out.append(_label_value(_, label, _one_line(value)))
    if doc.clauses:
        width = max(3, len(str(max(c.last_line for c in doc.clauses))))
        pad = " " * (width + 2)
        out += ["", "-" * 40]
        for c in doc.clauses:
            out.append("")
            if c.kind == "heading":
                out.append(pad + c.number)
            else:
                out.append(pad + _("Clause %(number)s", number=c.number))
            for n, line in enumerate(c.lines, c.first_line):
                out.append(f"{n:>{width}}  {line}")
            if c.kind == "heading" and c.lines:
                rule = "=" if _level(c.level) == 1 else "-"
                out.append(pad + rule * max(3, max(text_width(line.rstrip()) for line in c.lines)))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# HTML (and PDF through WeasyPrint)
# --------------------------------------------------------------------------------------------

_CSS = """
@page {
  size: __SIZE__;
  margin: 20mm 16mm 20mm 16mm;
  font-family: __FONTS__;
  @top-left { content: string(meeting); font-size: 7.5pt; color: #555; }
  @top-right { content: string(doctitle); font-size: 7.5pt; color: #555; }
  @bottom-left { content: string(fplabel) " " string(fingerprint); font-size: 6.5pt; color: #555; }
  @bottom-right { content: __PAGE__; font-size: 7.5pt; color: #555; }
}
@page :first {
  @top-left { content: none; }
  @top-right { content: none; }
}
html { font-family: __FONTS__; font-size: 10pt; line-height: 1.45; color: #111; background: #fff; }
body { margin: 0 auto; max-width: __WIDTH__; padding: 1.5rem; }
@media print { body { max-width: none; padding: 0; } }
header.export-header { border-bottom: 1px solid #999; margin-bottom: 1.2rem; padding-bottom: .6rem; }
.meeting { string-set: meeting content(text); color: #444; margin: 0; }
h1 { string-set: doctitle content(text); font-size: 1.7rem; line-height: 1.2; margin: .2rem 0 .6rem; }
table.meta { border-collapse: collapse; font-size: .9rem; }
table.meta th { text-align: left; font-weight: bold; padding: .05rem 1rem .05rem 0; vertical-align: top; }
table.meta td { padding: .05rem 0; }
tr.meta-fingerprint th { string-set: fplabel content(text); }
tr.meta-fingerprint code, code.fingerprint { string-set: fingerprint content(text); }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono CJK SC", monospace;
  font-size: .85em; overflow-wrap: anywhere; }
.clause { position: relative; padding-left: 6.6rem; margin: 0 0 .5rem; }
.clause .num { position: absolute; left: 0; top: 0; width: 3.2rem; font-weight: bold; overflow-wrap: anywhere; }
.clause h2, .clause h3, .clause h4, .clause h5, .clause h6 { margin: 0; line-height: 1.3; }
.clause.heading { margin-top: 1.1rem; break-after: avoid; }
.clause.heading .num { font-size: 1rem; line-height: 1.9; }
h2 { font-size: 1.3rem; } h3 { font-size: 1.15rem; } h4, h5, h6 { font-size: 1.05rem; }
.line { display: block; white-space: pre-wrap; overflow-wrap: anywhere; }
.ln { display: inline-block; width: 2.8rem; margin-left: -3.3rem; margin-right: .5rem; text-align: right;
  color: #777; font-size: .75rem; font-weight: normal; -webkit-user-select: none; user-select: none; }
/* the print variant (PDF): per clause one column of line numbers and one block of lines */
body.print .clause { line-height: 14pt; break-inside: avoid; }
body.print .clause.heading { line-height: 1.3; }
body.print .clause .lns { float: left; margin-left: -3.3rem; width: 2.8rem; padding-top: .7pt; text-align: right;
  white-space: pre; color: #777; font-size: 8pt; font-weight: normal; }
body.print .clause .tx { margin: 0; white-space: pre; }
.legend { font-size: .9rem; margin: 0 0 1rem; }
.rl-clause { margin: 0 0 .7rem; }
.rl-head { font-size: .85rem; color: #444; }
.rl-head .num { font-weight: bold; color: #111; margin-right: .5rem; }
.rl-head .change { margin-right: .5rem; font-weight: bold; }
.rl-head .lines, .rl-head .by { margin-right: .5rem; }
.rl-text { margin: .1rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.rl-clause.heading .rl-text { font-weight: bold; font-size: 1.15rem; }
.rl-clause.changed .change { color: #8a5a00; }
.rl-clause.inserted .change { color: #06602a; }
.rl-clause.deleted .change { color: #9b111e; }
del { color: #9b111e; background: #fde8ea; text-decoration: line-through; }
ins { color: #06602a; background: #e3f6e8; text-decoration: underline; }
table.record { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 7.5pt; line-height: 1.3; }
table.record th, table.record td { border: 1px solid #bbb; padding: 2px 3px; vertical-align: top;
  overflow-wrap: break-word; text-align: left; }
table.record thead th { background: #eee; font-size: 7pt; }
table.record td.n { text-align: right; }
table.record thead { display: table-header-group; }
table.record tr { break-inside: avoid; }
section.elections { margin-top: 1.4rem; }
section.election { margin: 0 0 1.2rem; }
section.count h2, section.count h3, section.count h4 { margin: .8rem 0 .2rem; break-after: avoid; }
p.subtitle { font-size: 1.1rem; color: #333; margin: 0 0 .5rem; }
p.count-figures { font-size: .9rem; margin: 0 0 .4rem; break-after: avoid; }
ul.notes { font-size: .85rem; margin: .2rem 0 .8rem; padding-left: 1.2rem; }
table.sheet { border-collapse: collapse; table-layout: fixed; font-size: 7pt; line-height: 1.25;
  margin: 0 0 .9rem; }
table.sheet caption { caption-side: top; text-align: left; font-size: 8pt; color: #444; padding: 0 0 2pt; }
table.sheet th, table.sheet td { border: 1px solid #bbb; padding: 1.5pt 2.5pt; vertical-align: top;
  text-align: left; overflow-wrap: anywhere; }
table.sheet thead th, table.sheet thead td { background: #eee; }
table.sheet thead { display: table-header-group; }
table.sheet tr { break-inside: avoid; }
table.sheet .n { text-align: right; white-space: nowrap; overflow-wrap: normal; }
table.sheet th.stage { text-align: center; }
table.sheet tr.figures th, table.sheet tr.figures td { background: #f6f6f6; }
table.sheet tr.words td { font-size: 6.5pt; }
"""

_PAGE_MARK, _PAGES_MARK = "\ue000", "\ue001"


def _page_content(_) -> str:
    """CSS ``content`` for "Page X of Y", in the reader's words, with the page counters."""
    text = _("Page %(page)s of %(pages)s", page=_PAGE_MARK, pages=_PAGES_MARK)
    parts = []
    for piece in re.split(f"([{_PAGE_MARK}{_PAGES_MARK}])", text):
        if piece == _PAGE_MARK:
            parts.append("counter(page)")
        elif piece == _PAGES_MARK:
            parts.append("counter(pages)")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts) or "counter(page)"


def _css(language: str, _, *, landscape: bool = False) -> str:
    return (
        _CSS.replace("__SIZE__", "A4 landscape" if landscape else "A4")
        .replace("__FONTS__", _font_stack(language))
        .replace("__PAGE__", _page_content(_))
        .replace("__WIDTH__", "none" if landscape else "52rem")
    )


def _page(language: str, title: str, body: str, _, *, landscape: bool = False, kind: str = "document") -> str:
    return (
        "<!doctype html>\n"
        f'<html lang="{_e(_lang(language))}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="{GENERATOR}">\n'
        f"<title>{_e(title)}</title>\n<style>{_css(language, _, landscape=landscape)}</style>\n"
        f'</head>\n<body class="export {kind}">\n{body}</body>\n</html>\n'
    )


def _meta_table(items: list[tuple[str, str, str]]) -> str:
    rows = []
    for key, label, value in items:
        cell = f"<code>{_e(value)}</code>" if key == "fingerprint" else _e(value)
        rows.append(f'<tr class="meta-{key}"><th scope="row">{_e(label)}</th><td>{cell}</td></tr>')
    return '<table class="meta"><tbody>\n' + "\n".join(rows) + "\n</tbody></table>\n"


def _clause_html(c: ExportClause, _) -> str:
    kind, level = _kind(c.kind), _level(c.level)
    lines = "".join(
        f'<span class="line" id="line-{n}"><span class="ln" aria-hidden="true">{n}</span>'
        f'<span class="lt" dir="auto">{_e(line)}</span></span>'
        for n, line in enumerate(c.lines, int(c.first_line))
    )
    label = _e(_("Clause %(number)s", number=c.number))
    number = f'<span class="num" title="{label}">{_e(c.number)}</span>'
    if kind == "heading":
        h = min(level + 1, 6)
        return (f'<section class="clause heading level-{level}">{number}'
                f'<h{h} class="lines">{lines}</h{h}></section>\n')
    return f'<div class="clause {kind} level-{level}">{number}<div class="lines">{lines}</div></div>\n'


def _clause_print(c: ExportClause, _) -> str:
    """A clause for print: its number, a column of line numbers, its lines as one block of text.

    Far fewer boxes than a box per line, so WeasyPrint lays out a long document several times
    faster.  The numbers stay beside their lines because both columns share one line height and
    the lines are never rewrapped (``white-space: pre``; a display line of 80 columns fits the
    column at 10 pt, a freak one runs into the margin rather than shift the numbers below it).
    Headings are few and large: they keep a box per line, like the HTML page."""
    if _kind(c.kind) == "heading":
        return _clause_html(c, _)
    kind, level = _kind(c.kind), _level(c.level)
    first = int(c.first_line)
    numbers = "\n".join(str(n) for n in range(first, first + len(c.lines)))
    text = "\n".join(_e(line) for line in c.lines)
    return (f'<div class="clause {kind} level-{level}"><span class="num">{_e(c.number)}</span>'
            f'<div class="lns" aria-hidden="true">{numbers}</div><div class="tx">{text}</div></div>\n')


def _document_html(doc: ExportDocument, _, *, for_print: bool = False) -> str:
    meta = _document_meta(doc, _)
    clause = _clause_print if for_print else _clause_html
    clauses_label = _("Clauses")
    body = [
        '<header class="export-header">\n',
        f'<p class="meeting">{_e(doc.meeting)}</p>\n',
        f'<h1 class="title">{_e(doc.title)}</h1>\n',
        _meta_table([item for item in meta if item[0] != "meeting"]),
        "</header>\n",
        f'<main class="clauses" aria-label="{_e(clauses_label)}">\n',
        *(clause(c, _) for c in doc.clauses),
        "</main>\n",
    ]
    return _page(doc.language, f"{_one_line(doc.title)} — {_one_line(doc.meeting)}", "".join(body), _,
                 kind="document print" if for_print else "document")


def _ops_html(ops: list[tuple[int, str]]) -> str:
    out = []
    for op, text in ops:
        if not text:
            continue
        if op < 0:
            out.append(f"<del>{_e(text)}</del>")
        elif op > 0:
            out.append(f"<ins>{_e(text)}</ins>")
        else:
            out.append(_e(text))
    return "".join(out)


def _redline_clause_html(c: RedlineClause, _) -> str:
    change = c.change if c.change in CHANGES else "unchanged"
    kind, level = _kind(c.kind), _level(c.level)
    head = [f'<span class="num">{_e(_redline_number(c))}</span>']
    if change != "unchanged":
        head.append(f'<span class="change">{_e(_change_label(change, _))}</span>')
    head.append(f'<span class="lines">{_e(_lines_label(_, c.first_line, c.last_line))}</span>')
    if c.amendments:
        by = _("By %(amendments)s", amendments=", ".join(c.amendments))
        head.append(f'<span class="by">{_e(by)}</span>')
    text = _ops_html(_effective_ops(c))
    if kind == "heading":
        h = min(level + 1, 6)
        text_html = f'<h{h} class="rl-text">{text}</h{h}>'
    else:
        text_html = f'<p class="rl-text">{text}</p>'
    return (f'<section class="rl-clause {change} {kind} level-{level}">'
            f'<div class="rl-head">{" ".join(head)}</div>{text_html}</section>\n')


def _redline_html(redline: Redline, _) -> str:
    meta = _redline_meta(redline, _)
    words = [_("Legend:"), _("deleted text"), _("inserted text"), _("unchanged text")]
    legend, deleted, inserted, unchanged = (_e(word) for word in words)
    legend = f'<p class="legend">{legend} <del>{deleted}</del> <ins>{inserted}</ins> {unchanged}</p>\n'
    clauses_label = _("Clauses")
    body = [
        '<header class="export-header">\n',
        f'<p class="meeting">{_e(redline.meeting)}</p>\n',
        f'<h1 class="title">{_e(redline.title)}</h1>\n',
        _meta_table([item for item in meta if item[0] != "meeting"]),
        "</header>\n",
        legend,
        f'<main class="redline" aria-label="{_e(clauses_label)}">\n',
        *(_redline_clause_html(c, _) for c in redline.clauses),
        "</main>\n",
    ]
    title = _("Comparison: %(old)s → %(new)s", old=redline.old_label, new=redline.new_label)
    return _page(redline.language, f"{_one_line(redline.title)} — {_one_line(title)}", "".join(body), _,
                 kind="redline")


def _record_columns(_) -> list[tuple[str, str, float]]:
    """(key, header, width in characters in a spreadsheet) of the record's columns, in order."""
    return [
        ("number", _("Number"), 8),
        ("document", _("Document"), 22),
        ("clause", _("Clause"), 8),
        ("lines", _("Lines"), 9),
        ("kind", _("Kind"), 14),
        ("title", _("Title"), 28),
        ("summary", _("Summary"), 60),
        ("mover", _("Mover"), 24),
        ("seconders", _("Seconders"), 30),
        ("status", _("Status"), 12),
        ("for", _("For"), 7),
        ("against", _("Against"), 9),
        ("abstentions", _("Abstentions"), 11),
        ("decided", _("Decision"), 50),
    ]


#: relative widths of the record's columns on a landscape page
_PRINT_WIDTHS = {
    "number": 5, "document": 9, "clause": 4.5, "lines": 5, "kind": 7.5, "title": 14, "summary": 19, "mover": 10,
    "seconders": 10, "status": 7, "for": 4.5, "against": 5.5, "abstentions": 7.5, "decided": 17,
}


def _record_values(row: RecordRow) -> list[str | int | None]:
    return [
        row.number, row.document, row.clause, row.lines, row.kind, row.title, row.summary, row.mover,
        "; ".join(row.seconders), row.status, row.votes_for, row.votes_against, row.abstentions, row.decided,
    ]


_NUMERIC = {"for", "against", "abstentions"}
_CLASS = re.compile(r"[^a-z0-9_-]")


def _record_html(record: Record, _) -> str:
    columns = _record_columns(_)
    total = sum(_PRINT_WIDTHS.values())
    cols = "".join(f'<col class="c-{key}" style="width:{100 * _PRINT_WIDTHS[key] / total:.2f}%">'
                   for key, _label, _width in columns)
    head = "".join(f'<th scope="col" class="c-{key}">{_e(label)}</th>' for key, label, _width in columns)
    rows = []
    for row in record.rows:
        cells = []
        for (key, _label, _width), value in zip(columns, _record_values(row)):
            css = ' class="n"' if key in _NUMERIC else ""
            cells.append(f"<td{css}>{'' if value is None else _e(value)}</td>")
        outcome = _CLASS.sub("", str(row.outcome).lower())
        rows.append(f'<tr class="outcome-{outcome}">{"".join(cells)}</tr>')
    date_label, fingerprint_label = _e(_("Date")), _e(_("Fingerprint (SHA-256)"))
    meta = [f'<tr class="meta-date"><th scope="row">{date_label}</th><td>{_e(record.date)}</td></tr>']
    for title, fingerprint in record.fingerprints:
        meta.append(f'<tr class="meta-fingerprint"><th scope="row">{fingerprint_label}</th>'
                    f'<td>{_e(title)} <code>{_e(fingerprint)}</code></td></tr>')
    heading = _("Record of proceedings")
    body = (
        '<header class="export-header">\n'
        f'<p class="meeting">{_e(record.meeting)}</p>\n'
        f'<h1 class="title">{_e(heading)}</h1>\n'
        '<table class="meta"><tbody>\n' + "\n".join(meta) + "\n</tbody></table>\n"
        "</header>\n"
        f'<table class="record"><colgroup>{cols}</colgroup>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(rows) + "\n</tbody></table>\n"
        + _elections_html(record.elections, _)
    )
    return _page(record.language, f"{heading} — {_one_line(record.meeting)}", body, _, landscape=True,
                 kind="record")


# --------------------------------------------------------------------------------------------
# election result sheets (HTML for the PDF and the record)
# --------------------------------------------------------------------------------------------

#: widths of a count's table on the page, in percent of the page's width: the candidates'
#: column, each figure column (a stage has two: transfer and votes), the column of how each ended
_NAME_WIDTH, _RESULT_WIDTH = 17.0, 13.0
_FIGURE_WIDTH = (100.0 - _NAME_WIDTH - _RESULT_WIDTH) / (2 * STAGES_PER_TABLE)


def _elected_name(candidate, _) -> str:
    if candidate.reserved:
        return _("%(name)s (reserved seat)", name=candidate.name)
    return candidate.name


def _sheet_meta(sheet: ElectionSheet, _, *, meeting: bool = True,
                brief: bool = False) -> list[tuple[str, str, list[str]]]:
    """(key, label, values) of the header of a result sheet; ``brief``: only what the election
    was (a void election in the record: its title, method, seats and the reason)."""
    items = [("meeting", _("Meeting"), [sheet.meeting])] if meeting else []
    items += [
        ("election", _("Election"), [sheet.title]),
        ("method", _("Method"), [sheet.method_label]),
        ("seats", _("Seats"), [str(sheet.seats)]),
    ]
    if sheet.reserved:
        items.append(("reserved", _("Reserved seats"), [sheet.reserved]))
    if sheet.state == "void":
        items.append(("status", _("Status"), [_("Void: %(reason)s", reason=sheet.void_reason)]))
    if brief or not sheet.has_result:
        return items
    if sheet.counted:
        items.append(("counted", _("Counted"), [_("%(time)s UTC", time=sheet.counted)]))
    items += [
        ("papers", _("Ballots"), [str(sheet.papers)]),
        ("valid", _("Valid ballots"), [str(sheet.valid)]),
        ("invalid", _("Invalid ballots"), [str(sheet.invalid)]),
    ]
    for c in sheet.counts:
        if c.quota is not None:
            label = _("Quota") if len(sheet.counts) == 1 else _("Quota (%(count)s)", count=c.label)
            items.append(("quota", label, [c.quota]))
    items.append(("seed", _("Seed for any drawing of lots"), [sheet.seed]))
    if sheet.error is not None:
        items.append(("error", _("Result"), [_("The count could not be made: %(reason)s", reason=sheet.error)]))
    else:
        items.append(("elected", _("Elected"), [_elected_name(c, _) for c in sheet.elected]))
    return items


def _stage_parts(stages: int, most: int = STAGES_PER_TABLE) -> list[range]:
    """The stages 0..stages-1 in consecutive parts of at most ``most``, as even as can be."""
    if stages <= most:
        return [range(stages)]
    parts = -(-stages // most)
    sizes = [stages // parts + (1 if i < stages % parts else 0) for i in range(parts)]
    out, start = [], 0
    for size in sizes:
        out.append(range(start, start + size))
        start += size
    return out


def _cols(widths: list[float]) -> str:
    total = sum(widths)
    return "<colgroup>" + "".join(f'<col style="width:{100 * w / total:.3f}%">' for w in widths) + "</colgroup>"


def _stv_table(table: list[list[str]], stages: range, total: int, last: bool, split: bool, _) -> str:
    """One table of an STV count: the candidates' column, then ``stages`` (two columns each), and
    in the ``last`` table the column of how each candidate ended."""
    widths = [_NAME_WIDTH] + [_FIGURE_WIDTH] * (2 * len(stages)) + ([_RESULT_WIDTH] if last else [])
    caption = ""
    if split:
        first, final = stages[0] + 1, stages[-1] + 1
        words = (_("Stage %(stage)d of %(stages)d", stage=first, stages=total) if first == final else
                 _("Stages %(first)d–%(last)d of %(stages)d", first=first, last=final, stages=total))
        caption = f"<caption>{_e(words)}</caption>"

    def pair(row: list[str], k: int) -> tuple[str, str]:
        return row[1 + 2 * k], row[2 + 2 * k]

    def end(cell: str, tag: str = "td") -> str:
        return f"<{tag}>{_e(cell)}</{tag}>" if last else ""

    numbers, actions, columns = table[0], table[1], table[2]
    head = [
        f'<tr><th scope="col">{_e(numbers[0])}</th>'
        + "".join(f'<th scope="colgroup" colspan="2" class="stage">{_e(pair(numbers, k)[0])}</th>' for k in stages)
        + (f'<th scope="col">{_e(numbers[-1])}</th>' if last else "") + "</tr>",
        f'<tr><th scope="row">{_e(actions[0])}</th>'
        + "".join(f'<td colspan="2" dir="auto">{_e(pair(actions, k)[0])}</td>' for k in stages)
        + end(actions[-1]) + "</tr>",
        f'<tr><th scope="col">{_e(columns[0])}</th>'
        + "".join(f'<th scope="col" class="n">{_e(a)}</th><th scope="col" class="n">{_e(b)}</th>'
                  for a, b in (pair(columns, k) for k in stages))
        + end(columns[-1], "th") + "</tr>",
    ]
    body = []
    figures_from = len(table) - 7  # non-transferable, loss, total, quota; then elected, excluded, note
    for i, row in enumerate(table[3:-3], 3):
        css = ' class="figures"' if i >= figures_from else ""
        body.append(
            f'<tr{css}><th scope="row" dir="auto">{_e(row[0])}</th>'
            + "".join(f'<td class="n">{_e(a)}</td><td class="n">{_e(b)}</td>' for a, b in (pair(row, k) for k in stages))
            + end(row[-1]) + "</tr>")
    for row in table[-3:]:
        body.append(
            f'<tr class="words"><th scope="row">{_e(row[0])}</th>'
            + "".join(f'<td colspan="2" dir="auto">{_e(pair(row, k)[0])}</td>' for k in stages)
            + end(row[-1]) + "</tr>")
    width = sum(widths)
    return (f'<table class="sheet stv" style="width:{width:.2f}%">{caption}{_cols(widths)}\n'
            "<thead>" + "\n".join(head) + "</thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody></table>\n")


def _tally_table(table: list[list[str]]) -> str:
    widths = [30.0, 10.0, 20.0]
    head = "".join(f'<th scope="col">{_e(cell)}</th>' for cell in table[0])
    body = []
    for row in table[1:]:
        cells = [f'<th scope="row" dir="auto">{_e(row[0])}</th>']
        cells += [f'<td class="n">{_e(cell)}</td>' if i == 0 else f"<td>{_e(cell)}</td>" for i, cell in enumerate(row[1:])]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<table class="sheet tally" style="width:{sum(widths):.2f}%">{_cols(widths)}\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody></table>\n")


def _count_html(c: SheetCount, _, level: int) -> str:
    """A count: its heading, its quota and ballots, its table(s) (an STV count of many stages split
    into tables of at most STAGES_PER_TABLE stages) and its notes."""
    h = min(max(level, 1), 6)
    figures = []
    if c.quota is not None:
        figures.append(_("Quota: %(quota)s", quota=c.quota))
    figures.append(_("Seats: %(seats)d", seats=c.seats))
    figures.append(_("%(valid)s valid ballots", valid=c.valid))
    figures.append(_("%(invalid)s invalid ballots", invalid=c.invalid))
    out = [f'<section class="count {_CLASS.sub("", c.kind)}">\n<h{h}>{_e(c.label)}</h{h}>\n',
           f'<p class="count-figures">{" · ".join(_e(f) for f in figures)}</p>\n']
    if c.table and c.kind == "stv":
        parts = _stage_parts(c.stages)
        for n, stages in enumerate(parts):
            out.append(_stv_table(c.table, stages, c.stages, n == len(parts) - 1, len(parts) > 1, _))
    elif c.table:
        out.append(_tally_table(c.table))
    if c.notes:
        notes_label = _("Notes")
        out.append(f'<ul class="notes" aria-label="{_e(notes_label)}">'
                   + "".join(f'<li dir="auto">{_e(note)}</li>' for note in c.notes) + "</ul>\n")
    out.append("</section>\n")
    return "".join(out)


def _sheet_meta_table(sheet: ElectionSheet, _, *, brief: bool = False) -> str:
    return _meta_table([(key, label, ", ".join(values))
                        for key, label, values in _sheet_meta(sheet, _, meeting=False, brief=brief)
                        if key != "election"])


def _sheet_html(sheet: ElectionSheet, _) -> str:
    heading = _("Result sheet")
    body = [
        '<header class="export-header">\n',
        f'<p class="meeting">{_e(sheet.meeting)}</p>\n',
        f'<h1 class="title" dir="auto">{_e(sheet.title)}</h1>\n',
        f'<p class="subtitle">{_e(heading)}</p>\n',
        _sheet_meta_table(sheet, _),
        "</header>\n",
        *(_count_html(c, _, 2) for c in sheet.counts),
    ]
    return _page(sheet.language, f"{_one_line(sheet.title)} — {_one_line(heading)}", "".join(body), _,
                 landscape=True, kind="sheet")


def _elections_html(elections: list[ElectionSheet], _) -> str:
    """The record's elections: a counted one with its tables, a void one with its reason."""
    if not elections:
        return ""
    heading = _("Elections")
    out = [f'<section class="elections">\n<h2>{_e(heading)}</h2>\n']
    for sheet in elections:
        brief = sheet.state == "void"
        out.append(f'<section class="election {"void" if brief else "counted"}">\n'
                   f'<h3 dir="auto">{_e(sheet.title)}</h3>\n' + _sheet_meta_table(sheet, _, brief=brief))
        if not brief:
            out += [_count_html(c, _, 4) for c in sheet.counts]
        out.append("</section>\n")
    out.append("</section>\n")
    return "".join(out)


def _pdf(page: str) -> bytes:
    from weasyprint import HTML, URLFetcher

    # nothing in an export links anywhere; refuse every fetch all the same
    fetcher = URLFetcher(allowed_protocols=())
    return HTML(string=page, base_url=None, url_fetcher=fetcher).write_pdf()


# --------------------------------------------------------------------------------------------
# DOCX (python-docx)
# --------------------------------------------------------------------------------------------


def _docx_new(language: str, title: str, date: str):
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    document = Document()
    props = document.core_properties
    props.title = _clean(_one_line(title))[:255]
    props.author = GENERATOR
    props.last_modified_by = GENERATOR
    props.comments = ""
    props.revision = 1
    props.language = _lang(language)
    when = _date(date) or datetime(2000, 1, 1, tzinfo=timezone.utc)
    props.created = when
    props.modified = when
    props.last_printed = when

    east_asian = _cjk_fonts(language)[0]
    for name in ("Normal", "Title", *(f"Heading {n}" for n in range(1, 7))):
        try:
            style = document.styles[name]
        except KeyError:
            continue
        rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        rfonts.set(qn("w:eastAsia"), east_asian)
        for attribute in ("w:eastAsiaTheme",):
            rfonts.attrib.pop(qn(attribute), None)
    normal_fonts = document.styles["Normal"].element.rPr.rFonts
    normal_fonts.set(qn("w:ascii"), "Liberation Sans")
    normal_fonts.set(qn("w:hAnsi"), "Liberation Sans")

    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(20)
        section.top_margin = section.bottom_margin = Mm(20)

    label = document.styles.add_style(LABEL_STYLE, WD_STYLE_TYPE.CHARACTER)
    label.font.size = Pt(8)
    label.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
    return document


def _docx_save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_paragraph(document, kind: str, level: int):
    from docx.shared import Cm

    if kind == "heading":
        return document.add_paragraph(style=f"Heading {min(level, 6)}")
    paragraph = document.add_paragraph()
    if kind == "item":
        paragraph.paragraph_format.left_indent = Cm(0.75 * level)
    return paragraph


def _document_docx(doc: ExportDocument, _) -> bytes:
    document = _docx_new(doc.language, doc.title, doc.date)
    document.add_paragraph(_clean(_one_line(doc.title)), style="Title")
    for _key, label, value in _document_meta(doc, _):
        document.add_paragraph(_clean(_label_value(_, label, _one_line(value))))
    for c in doc.clauses:
        paragraph = _docx_paragraph(document, _kind(c.kind), _level(c.level))
        label = f"{c.number} {_lines_label(_, c.first_line, c.last_line)} "
        paragraph.add_run(_clean(label), style=LABEL_STYLE)
        paragraph.add_run(_clean(c.text))
    return _docx_save(document)


def _track(tag: str, ids, author: str, date: str | None):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    element.set(qn("w:id"), str(next(ids)))
    element.set(qn("w:author"), author)
    if date:
        element.set(qn("w:date"), date)
    return element


def _w_run(text: str, *, deleted: bool = False, style: str | None = None):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = OxmlElement("w:r")
    if style:
        rpr = OxmlElement("w:rPr")
        rstyle = OxmlElement("w:rStyle")
        rstyle.set(qn("w:val"), style)
        rpr.append(rstyle)
        run.append(rpr)
    t = OxmlElement("w:delText" if deleted else "w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = _clean(text)
    run.append(t)
    return run


def _redline_docx(redline: Redline, _) -> bytes:
    from docx.oxml import OxmlElement

    document = _docx_new(redline.language, redline.title, redline.date)
    document.add_paragraph(_clean(_one_line(redline.title)), style="Title")
    for _key, label, value in _redline_meta(redline, _):
        document.add_paragraph(_clean(_label_value(_, label, _one_line(value))))
    document.add_paragraph(_clean(_(
        "The changes are tracked changes: accept them all to get %(new)s, reject them all to get %(old)s.",
        new=redline.new_label, old=redline.old_label)))

    ids = count(1)
    match = _date(redline.date)
    when = match.strftime("%Y-%m-%dT00:00:00Z") if match else None
    author = _clean(redline.author or GENERATOR)

    def tracked(op: int, *runs):
        wrapper = _track("w:ins" if op > 0 else "w:del", ids, author, when)
        for run in runs:
            wrapper.append(run)
        return wrapper

    for c in redline.clauses:
        change = c.change if c.change in CHANGES else "unchanged"
        paragraph = _docx_paragraph(document, _kind(c.kind), _level(c.level))
        p = paragraph._p
        whole = 1 if change == "inserted" else -1 if change == "deleted" else 0

        label = f"{_redline_number(c)} {_lines_label(_, c.first_line, c.last_line)} "
        if c.amendments:
            label += f"[{', '.join(c.amendments)}] "
        label_run = _w_run(label, deleted=whole < 0, style=LABEL_STYLE)
        p.append(tracked(whole, label_run) if whole else label_run)

        for op, text in _effective_ops(c):
            if not text:
                continue
            if op == 0:
                p.append(_w_run(text))
            else:
                p.append(tracked(op, _w_run(text, deleted=op < 0)))

        if whole:
            ppr = p.get_or_add_pPr()
            rpr = OxmlElement("w:rPr")
            rpr.append(_track("w:ins" if whole > 0 else "w:del", ids, author, when))
            ppr.append(rpr)
    return _docx_save(document)


# --------------------------------------------------------------------------------------------
# ODT (odfpy)
# --------------------------------------------------------------------------------------------


def _document_odt(doc: ExportDocument, _) -> bytes:
    from odf import dc, meta, teletype
    from odf.opendocument import OpenDocumentText
    from odf.style import (
        DefaultStyle,
        FontFace,
        MasterPage,
        PageLayout,
        PageLayoutProperties,
        ParagraphProperties,
        Style,
        TextProperties,
    )
    from odf.text import H, P, Span

    odt = OpenDocumentText()
    latin, east_asian = "Liberation Sans", _cjk_fonts(doc.language)[0]
    for name in (latin, east_asian):
        odt.fontfacedecls.addElement(
            FontFace(name=name, fontfamily=f"'{name}'", fontfamilygeneric="swiss", fontpitch="variable"))

    default = DefaultStyle(family="paragraph")
    default.addElement(TextProperties(fontname=latin, fontnameasian=east_asian, fontnamecomplex=latin,
                                      fontsize="11pt", fontsizeasian="11pt"))
    odt.styles.addElement(default)

    def paragraph_style(name: str, display: str, *, size: str, bold: bool = False, color: str | None = None,
                        outline: int | None = None, below: str = "0.2cm", above: str = "0cm") -> Style:
        attributes = {"name": name, "displayname": display, "family": "paragraph"}
        if outline:
            attributes["defaultoutlinelevel"] = str(outline)
        style = Style(**attributes)
        style.addElement(ParagraphProperties(marginbottom=below, margintop=above))
        text = {"fontsize": size, "fontsizeasian": size}
        if bold:
            text.update(fontweight="bold", fontweightasian="bold")
        if color:
            text["color"] = color
        style.addElement(TextProperties(**text))
        odt.styles.addElement(style)
        return style

    title_style = paragraph_style("Title", "Title", size="20pt", bold=True, below="0.3cm")
    meta_style = paragraph_style("Export_20_header", "Export header", size="9.5pt", color="#333333", below="0.05cm")
    clause_style = paragraph_style("Clause", "Clause", size="11pt")
    heading_styles = {
        n: paragraph_style(f"Heading_20_{n}", f"Heading {n}", size=f"{max(11, 17 - 2 * n)}pt", bold=True,
                           outline=n, above="0.35cm")
        for n in range(1, 7)
    }
    item_styles: dict[int, Style] = {}
    label_style = Style(name=LABEL_STYLE, displayname="Clause label", family="text")
    label_style.addElement(TextProperties(fontsize="8pt", fontsizeasian="8pt", color="#666666",
                                          fontweight="normal", fontweightasian="normal"))
    odt.styles.addElement(label_style)

    def item_style(level: int) -> Style:
        if level not in item_styles:
            style = Style(name=f"Item_{level}", family="paragraph", parentstylename=clause_style)
            style.addElement(ParagraphProperties(marginleft=f"{0.75 * level:.2f}cm"))
            odt.automaticstyles.addElement(style)
            item_styles[level] = style
        return item_styles[level]

    layout = PageLayout(name="A4")
    layout.addElement(PageLayoutProperties(pagewidth="21cm", pageheight="29.7cm", printorientation="portrait",
                                           margintop="2cm", marginbottom="2cm", marginleft="2cm",
                                           marginright="2cm"))
    odt.automaticstyles.addElement(layout)
    odt.masterstyles.addElement(MasterPage(name="Standard", pagelayoutname=layout))

    odt.meta.addElement(dc.Title(text=_clean(_one_line(doc.title))))
    odt.meta.addElement(dc.Language(text=_lang(doc.language)))
    when = _date(doc.date)
    if when is not None:
        stamp = when.strftime("%Y-%m-%dT00:00:00")
        odt.meta.addElement(meta.CreationDate(text=stamp))
        odt.meta.addElement(dc.Date(text=stamp))

    title = P(stylename=title_style)
    teletype.addTextToElement(title, _clean(_one_line(doc.title)))
    odt.text.addElement(title)
    for _key, label, value in _document_meta(doc, _):
        line = P(stylename=meta_style)
        teletype.addTextToElement(line, _clean(_label_value(_, label, _one_line(value))))
        odt.text.addElement(line)

    for c in doc.clauses:
        kind, level = _kind(c.kind), _level(c.level)
        if kind == "heading":
            element = H(outlinelevel=level, stylename=heading_styles[level])
        else:
            element = P(stylename=item_style(level) if kind == "item" else clause_style)
        span = Span(stylename=label_style)
        teletype.addTextToElement(span, _clean(f"{c.number} {_lines_label(_, c.first_line, c.last_line)} "))
        element.addElement(span)
        teletype.addTextToElement(element, _clean(c.text))
        odt.text.addElement(element)

    buffer = io.BytesIO()
    odt.write(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# CSV and XLSX
# --------------------------------------------------------------------------------------------

#: a cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection"),
#: full-width forms included
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


#: a figure of a count ("12", "-34.00000", "+1.50000"): a number to a spreadsheet, never a formula
_FIGURE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _sheet_cell(value: str) -> str:
    """A cell of a result sheet: a figure as it is, anything else neutralised as a record cell."""
    return value if _FIGURE.fullmatch(value) else _safe_cell(value)


def _csv_bytes(rows) -> bytes:
    """CSV, UTF-8 with a BOM (so Excel reads it as UTF-8), CRLF line ends."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _count_rows(c: SheetCount, _) -> list[list[str]]:
    """A count as rows: a blank row, the count's name, every row of its table as it is, its notes."""
    rows = [[], [c.label]] + [list(row) for row in c.table]
    rows.extend([_("Notes") if i == 0 else "", note] for i, note in enumerate(c.notes))
    return rows


def _sheet_rows(sheet: ElectionSheet, _, *, meeting: bool = True, brief: bool = False) -> list[list[str]]:
    """A result sheet as CSV rows: the header block (a label and its values per row), then each
    count (:func:`_count_rows`). ``brief``: the header block of a void election only. Cells are
    neutralised (:func:`_sheet_cell`)."""
    rows = [[label, *values] for _key, label, values in _sheet_meta(sheet, _, meeting=meeting, brief=brief)]
    if not brief:
        for c in sheet.counts:
            rows.extend(_count_rows(c, _))
    return [[_sheet_cell(str(cell)) for cell in row] for row in rows]


def _record_csv(record: Record, _) -> bytes:
    rows = [[_safe_cell(label) for _key, label, _width in _record_columns(_)]]
    for row in record.rows:
        rows.append(["" if value is None else value if isinstance(value, int) else _safe_cell(str(value))
                     for value in _record_values(row)])
    # each election after the amendments: a blank row, then its block (its first cell "Election")
    for sheet in record.elections:
        rows.append([])
        rows.extend(_sheet_rows(sheet, _, meeting=False, brief=sheet.state == "void"))
    return _csv_bytes(rows)


_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")
_XLSX_MAX = 32767


def _sheet_title(title: str, fallback: str) -> str:
    title = _SHEET_TITLE.sub("", _clean(title)).strip("'").strip()[:31]
    return title or fallback


def _record_xlsx(record: Record, _) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    when = _date(record.date) or datetime(2000, 1, 1, tzinfo=timezone.utc)
    workbook.properties.creator = GENERATOR
    workbook.properties.lastModifiedBy = GENERATOR
    workbook.properties.created = when.replace(tzinfo=None)
    workbook.properties.modified = when.replace(tzinfo=None)
    workbook.properties.title = _clean(_one_line(_("Record of proceedings")))
    bold = Font(bold=True)

    def text(sheet, value: str, *, font=None):
        """A string cell that stays a string (never a formula, never an error code)."""
        cell = WriteOnlyCell(sheet, value=_clean(value)[:_XLSX_MAX])
        cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

    sheet = workbook.create_sheet(_sheet_title(_("Record"), "Record"))
    columns = _record_columns(_)
    for index, (_key, _label, width) in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([text(sheet, label, font=bold) for _key, label, _width in columns])
    for row in record.rows:
        values = []
        for value in _record_values(row):
            if value is None:
                values.append(None)
            elif isinstance(value, int):
                values.append(value)
            else:
                value = _clean(value)
                # plain strings are fast; only those a spreadsheet could misread get a typed cell
                values.append(text(sheet, value) if value[:1] in ("=", "#") or len(value) > _XLSX_MAX else value)
        sheet.append(values)

    about_title = _sheet_title(_("About"), "About")
    names = _sheet_names([e.title for e in record.elections], [sheet.title, about_title, "History"], _)
    for election, name in zip(record.elections, names):
        _election_sheet_xlsx(workbook, name, election, _, text, bold)

    about = workbook.create_sheet(about_title)
    about.column_dimensions["A"].width = 26
    about.column_dimensions["B"].width = 40
    about.column_dimensions["C"].width = 70
    about.append([text(about, _("Meeting"), font=bold), text(about, record.meeting)])
    about.append([text(about, _("Date"), font=bold), text(about, record.date)])
    for title, fingerprint in record.fingerprints:
        about.append([text(about, _("Fingerprint (SHA-256)"), font=bold), text(about, title), text(about, fingerprint)])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_names(titles: list[str], taken: list[str], _) -> list[str]:
    """A worksheet name for each election: its title as a sheet name can hold it (at most 31
    characters, none of []:*?/\\, no apostrophe at either end), different from every other and
    from ``taken`` (as Excel compares them: ignoring case)."""
    used = {name.casefold() for name in taken}
    out = []
    for n, title in enumerate(titles, 1):
        base = _trim_sheet_name(_SHEET_TITLE.sub("", _clean(_one_line(title))))
        if not base:
            base = _trim_sheet_name(_("Election %(n)d", n=n)) or f"Election {n}"
        name, k = base, 1
        while name.casefold() in used:
            k += 1
            suffix = f" ({k})"
            name = _trim_sheet_name(base[:31 - len(suffix)]) + suffix
        used.add(name.casefold())
        out.append(name)
    return out


def _trim_sheet_name(name: str) -> str:
    return name[:31].strip().strip("'").strip()


def _xlsx_figure(value: str) -> tuple[int | float, str] | None:
    """A figure of a count as a number and the number format that shows it exactly as written
    ("+1.50000": 1.5 shown as +0.00000), or None when a number cannot hold it exactly (more than
    15 digits, a negative zero)."""
    if not _FIGURE.fullmatch(value):
        return None
    digits = value.lstrip("+-").replace(".", "").lstrip("0")
    if len(digits) > 15:
        return None
    places = len(value.partition(".")[2])
    number = float(value) if places else int(value)
    if number == 0 and value.startswith("-"):
        return None
    fmt = "0." + "0" * places if places else "0"
    if value.startswith("+"):
        fmt = f"+{fmt};-{fmt};{fmt}"
    return number, fmt


#: the header block's figures (a number in XLSX); the seed and the rest stay text
_FIGURE_KEYS = {"seats", "papers", "valid", "invalid", "quota"}


def _election_sheet_xlsx(workbook, name: str, sheet: ElectionSheet, _, text, bold) -> None:
    """One election on a worksheet of its own: the rows of its CSV block, the count's figures as
    numbers shown with every decimal place the count has, everything else as text (never a
    formula)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    brief = sheet.state == "void"
    rows: list[tuple[list[str], bool]] = []  # (cells, whether its cells after the first may be figures)
    for key, label, values in _sheet_meta(sheet, _, meeting=False, brief=brief):
        rows.append(([label, *values], key in _FIGURE_KEYS))
    for c in [] if brief else sheet.counts:
        table = c.table
        figures = ({0} | set(range(3, len(table) - 3))) if c.kind == "stv" else set(range(1, len(table)))
        rows += [([], False), ([c.label], False)]
        rows += [(list(row), i in figures) for i, row in enumerate(table)]
        rows += [([_("Notes") if i == 0 else "", note], False) for i, note in enumerate(c.notes)]
    ws = workbook.create_sheet(name)
    ws.column_dimensions["A"].width = 30
    for index in range(2, max((len(cells) for cells, _figures in rows), default=1) + 1):
        ws.column_dimensions[get_column_letter(index)].width = 13
    for cells, figures in rows:
        out = []
        for i, value in enumerate(cells):
            figure = _xlsx_figure(value) if figures and i else None
            if figure is not None:
                cell = WriteOnlyCell(ws, value=figure[0])
                cell.number_format = figure[1]
                out.append(cell)
            elif value == "":
                out.append(None)
            else:
                out.append(text(ws, value, font=bold if i == 0 else None))
        ws.append(out)

"""Parse a delegate list (CSV) into rows and row-level errors. Pure: no Flask, no database.

Columns: name, email, organisation, vote_weight, roles (roles separated by ; or , or spaces;
empty means delegate). A header row is required; column order is free; extra columns are
reported. Messages are returned as (message id, parameters) so the caller translates them.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

REQUIRED = ("name", "email")
KNOWN = ("name", "email", "organisation", "vote_weight", "roles")
ROLES = ("delegate", "chair", "secretary", "organiser")
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
MAX_ROWS = 20_000


def N_(message: str) -> str:
    """Marks a message for translation (extracted by pybabel) without translating it here."""
    return message
MAX_WEIGHT = 1_000_000


@dataclass
class DelegateRow:
    line: int
    name: str
    email: str
    organisation: str
    vote_weight: int
    roles: list[str]


@dataclass
class Problem:
    line: int  # 0: the file as a whole
    column: str
    message: str  # an English message id, translated by the caller
    params: dict = field(default_factory=dict)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or, failing that, Windows-1252 as spreadsheets write it."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def parse(text: str) -> tuple[list[DelegateRow], list[Problem]]:
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    if not text.strip():
        return [], [Problem(0, "", N_("The file is empty."))]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], [Problem(0, "", N_("The file has no header row."))]
    header = [h.strip().lower().replace(" ", "_") for h in header]
    problems: list[Problem] = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(Problem(1, ", ".join(missing), N_("The header row lacks the column(s) %(columns)s."),
                                {"columns": ", ".join(missing)}))
    unknown = [h for h in header if h and h not in KNOWN]
    if unknown:
        problems.append(Problem(1, ", ".join(unknown), N_("Unknown column(s) %(columns)s; expected %(known)s."),
                                {"columns": ", ".join(unknown), "known": ", ".join(KNOWN)}))
    if problems:
        return [], problems

    rows: list[DelegateRow] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) + len(problems) >= MAX_ROWS:
                problems.append(Problem(line, "", N_("Too many rows (at most %(n)d)."), {"n": MAX_ROWS}))
                break
            if len(record) > len(header):
                problems.append(Problem(line, "", N_("This row has more cells than the header.")))
                continue
            cells = dict(zip(header, (c.strip() for c in record)))
            row_problems = []
            name = " ".join(cells.get("name", "").split())
            if not name:
                row_problems.append(Problem(line, "name", N_("The name is missing.")))
            elif len(name) > 200:
                row_problems.append(Problem(line, "name", N_("The name is too long.")))
            email = cells.get("email", "").strip().lower()
            if not email:
                row_problems.append(Problem(line, "email", N_("The email address is missing.")))
            elif not EMAIL.match(email) or len(email) > 254:
                row_problems.append(Problem(line, "email", N_("“%(value)s” is not an email address."), {"value": email}))
            elif email in seen:
                row_problems.append(Problem(line, "email", N_("%(value)s is already on line %(other)d."),
                                            {"value": email, "other": seen[email]}))
            organisation = cells.get("organisation", "")
            if len(organisation) > 200:
                row_problems.append(Problem(line, "organisation", N_("The organisation is too long.")))
            weight_text = cells.get("vote_weight", "") or "1"
            try:
                weight = int(weight_text)
                if not 0 <= weight <= MAX_WEIGHT:
                    raise ValueError
            except ValueError:
                weight = 1
                row_problems.append(Problem(line, "vote_weight",
                                            N_("The vote weight must be a whole number from 0 to %(max)d, not “%(value)s”."),
                                            {"value": weight_text, "max": MAX_WEIGHT}))
            roles = [r for r in re.split(r"[;,\s|]+", cells.get("roles", "").lower()) if r] or ["delegate"]
            bad = [r for r in roles if r not in ROLES]
            if bad:
                row_problems.append(Problem(line, "roles", N_("Unknown role(s) %(roles)s; use delegate, chair, secretary or organiser."),
                                            {"roles": ", ".join(bad)}))
            if row_problems:
                problems.extend(row_problems)
                continue
            seen[email] = line
            rows.append(DelegateRow(line, name, email, organisation, weight, sorted(set(roles), key=ROLES.index)))
    except csv.Error as exc:
        problems.append(Problem(reader.line_num, "", N_("The file is not valid CSV: %(reason)s"), {"reason": str(exc)}))
    if not rows and not problems:
        problems.append(Problem(0, "", N_("The file has no delegates.")))
    return rows, problems

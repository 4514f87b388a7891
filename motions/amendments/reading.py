"""Reading amendments: the order they are taken in, their collisions, summaries and redlines.

Nothing here writes. A `Reader` caches the clause layouts of the versions it needs, so a list of
3,000 amendments wraps each clause once and never recomputes a diff (the diff is stored).

What the pages list is read as columns (`_select`: the session's connection, without the ORM's
handling of each row), not as model objects: the rows read like the model where the pages use
them (a clause's number, text and lines; an amendment's number, kind, ranges ...).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import get_locale
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from motions.i18n import gettext

from motions.amendments.models import PENDING, Amendment, AmendmentKind, AmendmentStatus, Seconding
from motions.amendments import operations
from motions.auth.models import Person
from motions.documents.models import ClauseText, Document, DocumentVersion
from motions.extensions import db
from motions.text.collisions import Candidate, collision_groups, find_collisions
from motions.text.lines import wrap
from motions.text.summary import redline, summary


def positions(document: Document) -> dict[int, int]:
    """Each clause's place in the current version (two columns, not the clauses)."""
    return dict(db.session.execute(
        db.select(ClauseText.clause_id, ClauseText.position).join(DocumentVersion, ClauseText.version_id == DocumentVersion.id)
        .where(DocumentVersion.document_id == document.id, DocumentVersion.number == document.current_version)
    ).all())


def order_key(amendment: Amendment, where: dict[int, int]) -> tuple:
    """The order of business: by place in the text; at one place the most far-reaching first (a
    deletion of the clause before changes inside it); new clauses after the clause they follow.
    (Reader.order puts a long list in the same order in the database: _order_by.)"""
    if amendment.kind is AmendmentKind.insert_after:
        place = where.get(amendment.clause_id, len(where)) if amendment.clause_id is not None else -1
        return (place, 1, 0, 0, amendment.id)
    place = where.get(amendment.clause_id, len(where))
    ranges = amendment.ranges or [[0, 0]]
    return (place, 0, ranges[0][0], -ranges[-1][1], amendment.id)


def _order_by(dialect: str, clauses: int) -> list:
    """order_key as the database's ORDER BY, for the amendments of a document joined (outer) to the
    clauses of its current version, which has `clauses` clauses: the place of the clause (-1 for a
    new clause at the start, after every clause when the version no longer has it), a new clause
    after changes to the one it follows, where the change starts (the first range's start), the end
    of its last range (the furthest-reaching first), the id."""
    new_clause = Amendment.kind == AmendmentKind.insert_after
    if dialect == "postgresql":  # the ranges column is json: a path of array indexes, -1 the last
        start, end = (db.cast(Amendment.ranges.op("#>>")(db.literal(path, ARRAY(db.Text))), db.Integer)
                      for path in (["0", "0"], ["-1", "1"]))
    else:  # SQLite's JSON functions
        start, end = db.func.json_extract(Amendment.ranges, "$[0][0]"), db.func.json_extract(Amendment.ranges, "$[#-1][1]")
    return [db.case((db.and_(new_clause, Amendment.clause_id.is_(None)), -1),
                    else_=db.func.coalesce(ClauseText.position, clauses)),
            db.case((new_clause, 1), else_=0),
            db.case((new_clause, 0), else_=db.func.coalesce(start, 0)),
            db.case((new_clause, 0), else_=-db.func.coalesce(end, 0)),
            Amendment.id]


def _select(statement, parameters: dict | None = None):
    """The rows of a select of columns, run on the session's connection (in its transaction, after
    the flush a session.execute would do) without the ORM's handling of each row: a list of 3,000
    amendments spends most of its time there otherwise. The columns keep their types (an enum
    column gives the enum, a JSON column the decoded value)."""
    session = db.session()
    session.flush()
    return session.connection().execute(statement, parameters or {})


# a version's clauses as the pages read them (not ClauseText objects), with the version's line width
_CLAUSES = (db.select(ClauseText.clause_id, ClauseText.position, ClauseText.kind, ClauseText.level, ClauseText.number,
                      ClauseText.text, ClauseText.first_line, ClauseText.last_line, DocumentVersion.line_width)
            .join(DocumentVersion, ClauseText.version_id == DocumentVersion.id)
            .where(DocumentVersion.document_id == bindparam("document_id"),
                   DocumentVersion.number == bindparam("version")))
_VERSION_CLAUSES = _CLAUSES.order_by(ClauseText.position)
_ONE_CLAUSE = _CLAUSES.where(ClauseText.clause_id == bindparam("clause_id"))
# the pending amendments of some clauses, as collisions are worked out from them (put in order of id
# by _pending_of: ordered by the database, SQLite would read every amendment of the document in
# the order of its id index rather than only those clauses' through the (document, clause) index)
_PENDING_COLUMNS = (Amendment.id, Amendment.number, Amendment.clause_id, Amendment.base_version, Amendment.kind,
                    Amendment.ranges)
_PENDING_OF_CLAUSES = (db.select(*_PENDING_COLUMNS)
                       .where(Amendment.document_id == bindparam("document_id"), Amendment.status.in_(PENDING),
                              Amendment.clause_id.in_(bindparam("clauses", expanding=True))))


def _pending_of(document_id: int, clause_ids: list[int]) -> list:
    """The pending amendments of these clauses of a document, in order of id."""
    return sorted(_select(_PENDING_OF_CLAUSES, {"document_id": document_id, "clauses": clause_ids}),
                  key=lambda p: p.id)


@lru_cache(maxsize=8192)
def _summary(kind: str, ops: tuple, text: str | None, width: int, first_line: int, anchor_line: int | None,
             language: str) -> str:
    """The instruction for a change (summary()), once per process for the same change of the same
    clause text at the same width and place, in one language: every argument is content, nothing
    that can change under the key. `language` is the request's: the sentences are translated
    through it."""
    if kind == "insert_after":
        return summary("insert_after", ops, [], 0, anchor_line=anchor_line, gettext=gettext)
    return summary(kind, ops, wrap(text, width), first_line, gettext=gettext)


@dataclass
class Filters:
    status: str | None = None
    clause_id: int | None = None
    mover_id: int | None = None
    organisation: str | None = None


class Reader:
    """Everything the pages and the API show about a document's amendments."""

    def __init__(self, document: Document):
        self.document = document
        self._rows: dict[int, dict[int, ClauseText]] = {}
        self._lines: dict[tuple[int, int], list[str]] = {}
        self._widths: dict[int, int] = {}
        self._collisions: dict[int, list[int]] | None = None
        self._clause_collisions: dict[int | None, dict[int, list[int]]] = {}
        self._pending: dict[int | None, list] = {}  # clause → its pending amendments (light rows)
        self.numbers: dict[int, str] = {}
        self._where: dict[int, int] | None = None
        self._single: dict[tuple[int, int], ClauseText | None] = {}

    @property
    def where(self) -> dict[int, int]:
        """Each clause's place in the current version (loaded when an order is needed)."""
        if self._where is None:
            current = self._rows.get(self.document.current_version)
            self._where = ({cid: row.position for cid, row in current.items()} if current is not None
                           else positions(self.document))
        return self._where

    # ----- layouts
    def rows(self, version: int) -> dict[int, ClauseText]:
        """A version's clauses by clause id, in order (light rows: clause_id, position, kind, level,
        number, text, first_line, last_line, and the version's line_width)."""
        if version not in self._rows:
            found = {r.clause_id: r for r in _select(_VERSION_CLAUSES, {"document_id": self.document.id,
                                                                         "version": version})}
            for r in found.values():  # the version's width came with its clauses
                self._widths.setdefault(version, r.line_width)
                break
            self._rows[version] = found
        return self._rows[version]

    def width(self, version: int) -> int:
        if version not in self._widths:
            v = self.document.version(version)
            self._widths[version] = v.line_width if v is not None else self.document.meeting.line_width
        return self._widths[version]

    def row(self, amendment: Amendment) -> ClauseText | None:
        return self._row(amendment.base_version, amendment.clause_id)

    def _row(self, version: int, clause_id: int | None) -> ClauseText | None:
        if clause_id is None:
            return None
        if version in self._rows:
            return self._rows[version].get(clause_id)
        key = (version, clause_id)
        if key not in self._single:  # one amendment on its own: one clause, not the whole version
            row = self._single[key] = _select(_ONE_CLAUSE, {"document_id": self.document.id, "version": version,
                                                            "clause_id": clause_id}).first()
            if row is not None:  # its version's width came with it
                self._widths.setdefault(version, row.line_width)
        return self._single[key]

    def preload(self, found: dict[tuple[int, int], ClauseText], pairs) -> None:
        """Seed the one-clause cache with rows read in bulk: (version, clause id) → row, and None
        for each asked-for pair the version does not have."""
        for key in pairs:
            self._single.setdefault(key, found.get(key))

    def wrapped(self, version: int, row: ClauseText) -> list[str]:
        key = (version, row.clause_id)
        if key not in self._lines:
            self._lines[key] = wrap(row.text, self.width(version))
        return self._lines[key]

    def clause_number(self, amendment: Amendment) -> str | None:
        row = self.row(amendment)
        return row.number if row is not None else None

    # ----- what an amendment says
    def describe(self, kind: str, ops, clause_id: int | None, version: int) -> str:
        """The conference-paper instruction for a change to a clause at a version."""
        row = self._row(version, clause_id)
        language = str(get_locale() or "")
        if kind == "insert_after":
            return _summary("insert_after", tuple(map(tuple, ops)), None, 0, 0, row.last_line if row else None,
                            language)
        return _summary(kind, tuple(map(tuple, ops)), row.text, self.width(version), row.first_line, None, language)

    def redline_of(self, kind: str, ops, clause_id: int | None, version: int):
        """The clause's lines with the change marked, or [] for a new clause (shown whole)."""
        row = self._row(version, clause_id)
        if kind == "insert_after" or row is None:
            return []
        return redline(ops, self.wrapped(version, row), row.first_line)

    def summary(self, amendment: Amendment) -> str:
        return self.describe(amendment.kind.value, [tuple(op) for op in amendment.ops], amendment.clause_id,
                             amendment.base_version)

    def redline(self, amendment: Amendment):
        return self.redline_of(amendment.kind.value, [tuple(op) for op in amendment.ops], amendment.clause_id,
                               amendment.base_version)

    def proposal(self, *, clause_id, kind, text, base_version=None) -> dict:
        """A proposal checked but not stored, with what the pages and the API show of it: the
        stored fields (ops, ranges, lines ...), its summary, redline and the amendments it would
        collide with."""
        done = operations.preview(self.document, clause_id=clause_id, kind=kind, text=text,
                                  base_version=base_version)
        ops = [tuple(op) for op in done["ops"]]
        kind = done["kind"].value
        return {**done, "kind": kind,
                "summary": self.describe(kind, ops, done["clause_id"], done["base_version"]),
                "redline": self.redline_of(kind, ops, done["clause_id"], done["base_version"]),
                "collides": self.would_collide(done["clause_id"], done["base_version"], kind, done["ranges"])}

    # ----- collisions among the pending amendments of the document
    def collisions(self) -> dict[int, list[int]]:
        if self._collisions is None:
            pending = _select(
                db.select(*_PENDING_COLUMNS)
                .where(Amendment.document_id == self.document.id, Amendment.status.in_(PENDING))
                .order_by(Amendment.id)
            ).all()
            self.numbers.update({p.id: p.number for p in pending})
            self._collisions = self._collide(pending)
        return self._collisions

    @staticmethod
    def _collide(pending) -> dict[int, list[int]]:
        found = find_collisions([Candidate(key=p.id, clause=p.clause_id, base=p.base_version, kind=p.kind.value,
                                           ranges=[tuple(r) for r in p.ranges or []])
                                 for p in sorted(pending, key=lambda p: p.id)])
        return {k: v for k, v in found.items() if v}

    def conflicts_with(self, amendment: Amendment) -> list[int]:
        if amendment.status not in PENDING:
            return []
        if self._collisions is not None:
            return self._collisions.get(amendment.id, [])
        # one amendment (or one clause, or a page): only the pending amendments to its clause count
        self.load_collisions([amendment.clause_id])
        return self._clause_collisions[amendment.clause_id].get(amendment.id, [])

    def _clause_filter(self, clause_id: int | None):
        return Amendment.clause_id.is_(None) if clause_id is None else Amendment.clause_id == clause_id

    def load_collisions(self, clause_ids) -> list:
        """The collisions among the pending amendments of these clauses only (a page of a list, one
        clause of the document page), in one query; `conflicts_with` then answers from them. Gives
        those clauses' pending rows (id, number, clause, kind, ranges), for the groups."""
        clause_ids = set(clause_ids)
        wanted = [c for c in clause_ids if c not in self._clause_collisions]
        if self._collisions is not None or not wanted:
            return [p for c in clause_ids for p in self._pending.get(c, [])]
        ids = [c for c in wanted if c is not None]
        if None in wanted:  # new clauses at the start of the document (rare): a query of its own making
            where = db.or_(Amendment.clause_id.in_(ids) if ids else db.false(), Amendment.clause_id.is_(None))
            pending = _select(db.select(*_PENDING_COLUMNS)
                              .where(Amendment.document_id == self.document.id, Amendment.status.in_(PENDING), where)
                              .order_by(Amendment.id)).all()
        else:
            pending = _pending_of(self.document.id, ids)
        self.numbers.update({p.id: p.number for p in pending})
        found = self._collide(pending)
        for clause_id in wanted:
            self._clause_collisions[clause_id] = {}
            self._pending[clause_id] = []
        for p in pending:
            self._pending[p.clause_id].append(p)
            if p.id in found:
                self._clause_collisions[p.clause_id][p.id] = found[p.id]
        return [p for c in clause_ids for p in self._pending.get(c, [])]

    def some(self, ids: list[int]) -> list:
        """Light rows of these amendments (id, number, status, kind, ops, clause_id, base_version:
        enough for their status and summary), in the order given, in one query."""
        if not ids:
            return []
        found = {r.id: r for r in _select(
            db.select(Amendment.id, Amendment.number, Amendment.status, Amendment.kind, Amendment.ops,
                      Amendment.clause_id, Amendment.base_version).where(Amendment.id.in_(ids)))}
        for r in found.values():
            self.numbers[r.id] = r.number
        return [found[i] for i in ids]

    def number_of(self, amendment_id: int) -> str:
        if amendment_id not in self.numbers:
            self.numbers[amendment_id] = db.session.execute(
                db.select(Amendment.number).where(Amendment.id == amendment_id)).scalar_one()
        return self.numbers[amendment_id]

    def would_collide(self, clause_id, base_version: int, kind: str, ranges) -> list:
        """The pending amendments a proposal not yet stored would collide with (for the live preview),
        as rows (id, number, clause_id, base_version, kind, ranges)."""
        if clause_id is None:
            return []
        pending = _pending_of(self.document.id, [clause_id])
        probe = Candidate(key=0, clause=clause_id, base=base_version, kind=kind, ranges=[tuple(r) for r in ranges])
        found = find_collisions([probe] + [Candidate(key=a.id, clause=a.clause_id, base=a.base_version,
                                                     kind=a.kind.value, ranges=[tuple(r) for r in a.ranges or []])
                                           for a in pending])
        hits = set(found.get(0, []))
        return [a for a in pending if a.id in hits]

    # ----- lists
    @staticmethod
    def _filtered(query, f: Filters):
        if f.status:
            query = query.where(Amendment.status == AmendmentStatus(f.status))
        if f.clause_id is not None:
            query = query.where(Amendment.clause_id == f.clause_id)
        if f.mover_id is not None:
            query = query.where(Amendment.mover_id == f.mover_id)
        if f.organisation:
            query = query.where(Amendment.mover_id.in_(db.select(Person.id)
                                                       .where(Person.organisation == f.organisation)))
        return query

    def count(self, filters: Filters | None = None) -> int:
        """How many amendments the filters let through."""
        query = db.select(db.func.count()).select_from(Amendment).where(Amendment.document_id == self.document.id)
        return _select(self._filtered(query, filters or Filters())).scalar_one()

    def order(self, filters: Filters | None = None, *, offset: int = 0, limit: int | None = None) -> list[int]:
        """The ids of the amendments the filters let through, in the order of business (order_key),
        from `offset`, at most `limit`: what a page of a long list is cut from before the page's own
        amendments are read whole. The database puts them in order and gives only the page's ids."""
        current = (db.select(DocumentVersion.id).where(DocumentVersion.document_id == self.document.id,
                                                       DocumentVersion.number == self.document.current_version)
                   .scalar_subquery())
        query = (db.select(Amendment.id)
                 .outerjoin(ClauseText, db.and_(ClauseText.clause_id == Amendment.clause_id,
                                                ClauseText.version_id == current))
                 .where(Amendment.document_id == self.document.id)
                 .order_by(*_order_by(db.session.get_bind().dialect.name, len(self.where))))
        query = self._filtered(query, filters or Filters())
        if offset:
            query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return list(_select(query).scalars())

    def movers(self) -> list[_Ref]:
        """Everyone who moved an amendment to the document, by name (the list's filter)."""
        found = _select(
            db.select(Person.id, Person.name, Person.organisation).where(Person.id.in_(
                db.select(Amendment.mover_id).where(Amendment.document_id == self.document.id)))
            .order_by(Person.name, Person.id)).all()
        return [_Ref(i, name, organisation or "") for i, name, organisation in found]

    def groups_among(self, pending) -> list[list]:
        """The sets of colliding amendments among `pending` (rows with id and number, as
        `load_collisions` gives them), each in the order of business: one clause's or one page's."""
        ordered = sorted(pending, key=lambda a: order_key(a, self.where))
        collisions = {}
        for found in self._clause_collisions.values():
            collisions.update(found)
        if self._collisions is not None:
            collisions = self._collisions
        by_id = {p.id: p for p in ordered}
        return [[by_id[i] for i in g] for g in collision_groups([p.id for p in ordered], collisions) if len(g) > 1]

    def amendments(self, filters: Filters | None = None, *, with_text: bool = True,
                   ids: list[int] | None = None) -> list["Row"]:
        """The document's amendments in the order they would be taken, as light rows that read like
        the model (a list of 3,000 is three queries and no ORM bookkeeping). Without `with_text` the
        new text is not loaded (the list page shows the summary instead). With `ids`, only those
        amendments (a page of the list), and only their clauses' collisions are worked out."""
        columns = [Amendment.id, Amendment.number, Amendment.document_id, Amendment.clause_id, Amendment.kind,
                   Amendment.status, Amendment.title, Amendment.reason, Amendment.mover_id, Amendment.base_version,
                   Amendment.ops, Amendment.ranges, Amendment.first_line, Amendment.last_line,
                   Amendment.applies_cleanly, Amendment.revision, Amendment.ruling, Amendment.composite_id,
                   Amendment.created_at, Amendment.updated_at, Person.name.label("mover_name"),
                   Person.organisation.label("mover_organisation")]
        if with_text:
            columns.append(Amendment.text)
        query = (db.select(*columns).outerjoin(Person, Amendment.mover_id == Person.id)
                 .where(Amendment.document_id == self.document.id))
        f = filters or Filters()
        query = self._filtered(query, f)
        seconds = (db.select(Seconding.amendment_id, Person.id, Person.name, Person.organisation)
                   .join(Person, Seconding.person_id == Person.id)
                   .join(Amendment, Seconding.amendment_id == Amendment.id)
                   .where(Amendment.document_id == self.document.id).order_by(Seconding.created_at))
        composited = (db.select(Amendment.id, Amendment.composite_id)
                      .where(Amendment.document_id == self.document.id, Amendment.composite_id.is_not(None))
                      .order_by(Amendment.id))
        if ids is not None:
            query = query.where(Amendment.id.in_(ids))
            seconds = seconds.where(Seconding.amendment_id.in_(ids))
            # the originals of these (composites and originals are of one document): through the
            # composite_id index, not a pass over every amendment of the document
            composited = (db.select(Amendment.id, Amendment.composite_id).where(Amendment.composite_id.in_(ids))
                          .order_by(Amendment.id))
        found = [Row(r, with_text) for r in _select(query)]
        by_id = {r.id: r for r in found}
        for amendment_id, pid, name, organisation in _select(seconds).all():
            if amendment_id in by_id:
                by_id[amendment_id].seconds.append(_Seconding(pid, _Ref(pid, name, organisation)))
        for original, made in _select(composited).all():
            if made in by_id:
                by_id[made].originals.append(_Ref(original, "", ""))
        for row in found:
            self.numbers[row.id] = row.number
        if ids is not None:
            self.load_collisions({r.clause_id for r in found if r.status in PENDING})
        elif self._collisions is None:
            if f == Filters():  # every amendment is here already: no second query
                self._collisions = self._collide([r for r in found if r.status in PENDING])
            else:
                self.collisions()
        for version in {row.base_version for row in found}:  # a list: whole versions, one query each
            self.rows(version)
        return sorted(found, key=lambda a: order_key(a, self.where))

    def of_clause(self, clause_id: int | None) -> list:
        """Light rows (no diff) of one clause's amendments (None: new clauses at the start), in
        the order of business: what the document page loads when a clause's list is opened."""
        rows = _select(
            db.select(Amendment.id, Amendment.clause_id, Amendment.number, Amendment.status, Amendment.kind,
                      Amendment.title, Amendment.ranges, Person.name.label("mover"))
            .outerjoin(Person, Amendment.mover_id == Person.id)
            .where(Amendment.document_id == self.document.id, self._clause_filter(clause_id))
        ).all()
        for r in rows:
            self.numbers[r.id] = r.number
        return sorted(rows, key=lambda r: order_key(r, self.where))

    def by_clause(self) -> dict[int | None, list]:
        """Light rows (no diff) of every amendment, per clause, in the order of business: what the
        document page needs for its badges and toggles, in one query."""
        rows = _select(
            db.select(Amendment.id, Amendment.clause_id, Amendment.number, Amendment.status, Amendment.kind,
                      Amendment.title, Amendment.ranges, Person.name.label("mover"))
            .outerjoin(Person, Amendment.mover_id == Person.id)
            .where(Amendment.document_id == self.document.id)
        ).all()
        rows.sort(key=lambda r: order_key(r, self.where))
        out: dict[int | None, list] = {}
        for r in rows:
            self.numbers[r.id] = r.number
            out.setdefault(r.clause_id, []).append(r)
        return out

    def groups(self, ordered: list[Amendment]) -> list[list[int]]:
        """Sets of colliding amendments, in the order of business."""
        return [g for g in collision_groups([a.id for a in ordered], self.collisions()) if len(g) > 1]

    def totals_by_clause(self) -> dict[int | None, int]:
        """How many amendments each clause has (None: new clauses at the start), for the badges of
        the document page: counted in the index of (document, clause), without reading the rows."""
        return dict(_select(
            db.select(Amendment.clause_id, db.func.count())
            .where(Amendment.document_id == self.document.id).group_by(Amendment.clause_id)
        ).all())


@dataclass(frozen=True)
class _Ref:
    id: int
    name: str
    organisation: str


@dataclass(frozen=True)
class _Seconding:
    person_id: int
    person: _Ref


class Row:
    """One amendment of a list, with the attributes the pages and the API read from the model."""

    __slots__ = ("id", "number", "document_id", "clause_id", "kind", "status", "title", "reason", "mover_id",
                 "base_version", "ops", "ranges", "first_line", "last_line", "applies_cleanly", "revision",
                 "ruling", "composite_id", "created_at", "updated_at", "text", "mover", "seconds", "originals")

    def __init__(self, r, with_text: bool):
        for name in self.__slots__[:20]:
            setattr(self, name, getattr(r, name))
        self.text = r.text if with_text else None
        self.mover = _Ref(r.mover_id, r.mover_name, r.mover_organisation or "") if r.mover_id is not None else None
        self.seconds: list[_Seconding] = []
        self.originals: list[_Ref] = []

    @property
    def seconders(self) -> list[_Ref]:
        return [s.person for s in self.seconds]

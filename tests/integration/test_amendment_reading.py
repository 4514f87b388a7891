"""The Reader's light reads give what the model gives: the order of business read from the stored
columns (the ranges as their JSON text) is the order order_key gives the amendments themselves, on
both databases; span() reads a stored ranges list as json would."""
from __future__ import annotations

import json
import random

from hypothesis import given
from hypothesis import strategies as st

from motions.amendments.reading import Filters, Reader, order_key, positions, span

PLATFORM = """# Aims

We want rights for all workers. We want them now and for ever, in every land and every workplace.

- Free speech.
- Free unions.

# Means

Organise at work. Organise at home.
"""


def _texts(app, document_id):
    from motions.documents.models import Document
    from motions.extensions import db

    with app.app_context():
        rows = db.session.get(Document, document_id).version().clause_texts
        return [(r.clause_id, r.text) for r in rows if r.kind != "heading"]


def test_the_order_read_from_columns_is_the_order_of_the_amendments(app, factory):
    slug = factory.meeting("reading")
    chair = factory.person(slug, "chair", "delegate")
    movers = [factory.person(slug, "delegate") for _ in range(3)]
    document = factory.document(slug, PLATFORM, state="open")
    clauses = _texts(app, document)
    rng = random.Random(4)
    for _ in range(30):
        clause_id, text = rng.choice(clauses)
        words = text.split(" ")
        at = rng.randrange(len(words))
        words[at:at + rng.randint(0, 2)] = ["and", "all"][:rng.randint(1, 2)]
        new = " ".join(words)
        if new != text:
            factory.amendment(document, rng.choice(movers), clause_id, text=new)
    factory.amendment(document, movers[0], clauses[2][0], kind="delete")
    factory.amendment(document, movers[1], clauses[0][0], kind="insert_after", text="A new clause.")
    factory.amendment(document, movers[2], None, kind="insert_after", text="A first clause.")
    carried = factory.amendment(document, movers[0], clauses[1][0], replace=("speech", "press"),
                                status="admitted")

    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment
    from motions.auth.models import Person
    from motions.documents.models import Document
    from motions.extensions import db

    with app.app_context():  # a carried amendment: a version 2, the others re-based onto it
        amend.decide(db.session.get(Amendment, carried), db.session.get(Person, chair), "carried")
    with app.app_context():
        doc = db.session.get(Document, document)
        assert doc.current_version == 2
        everything = db.session.execute(db.select(Amendment).where(Amendment.document_id == document)).scalars().all()
        assert {a.kind.value for a in everything} == {"modify", "delete", "insert_after"}
        where = positions(doc)
        for filters in (Filters(), Filters(status="submitted"), Filters(clause_id=clauses[0][0]),
                        Filters(mover_id=movers[1])):
            expected = [a.id for a in sorted(everything, key=lambda a: order_key(a, where))
                        if (filters.status is None or a.status.value == filters.status)
                        and (filters.clause_id is None or a.clause_id == filters.clause_id)
                        and (filters.mover_id is None or a.mover_id == filters.mover_id)]
            assert Reader(doc).order(filters) == expected, filters
            assert expected


pairs = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(list), max_size=6)


@given(pairs, st.sampled_from([None, (", ", ": "), (",", ":")]))
def test_span_reads_a_stored_ranges_list_as_json_would(ranges, separators):
    stored = json.dumps(ranges, separators=separators)
    expected = (ranges or [[0, 0]])[0][0], (ranges or [[0, 0]])[-1][1]
    assert span(stored) == expected
    assert span(" " + stored.replace(",", " , ") + " ") == expected


def test_span_of_nothing():
    assert span(None) == span("[]") == span("null") == span("") == (0, 0)


def test_a_summary_is_remembered_per_language(app, factory):
    """Reader.summary is worked out once per process for the same change (a memo keyed on the
    change, the clause's text and place and the language): each language still gets its own words."""
    from motions.amendments.models import Amendment
    from motions.documents.models import Document
    from motions.extensions import db
    from motions.i18n import gettext
    from motions.text.lines import wrap
    from motions.text.summary import summary

    slug = factory.meeting("summaries")
    mover = factory.person(slug, "delegate")
    document = factory.document(slug, PLATFORM, state="open")
    clause_id = _texts(app, document)[0][0]
    amendment_id = factory.amendment(document, mover, clause_id, replace=("workers", "people"))
    said = {}
    for _round in range(2):
        for language in ("en", "zh-CN", "zh-TW"):
            with app.test_request_context(headers={"Accept-Language": language}):
                a = db.session.get(Amendment, amendment_id)
                row = Reader(db.session.get(Document, document)).row(a)
                fresh = summary("modify", [tuple(op) for op in a.ops], wrap(row.text, 80), row.first_line,
                                gettext=gettext)
                shown = Reader(db.session.get(Document, document)).summary(a)
                assert shown == fresh
                assert said.setdefault(language, shown) == shown
    assert said["en"] == "Line 2: delete “workers”, insert “people”."
    assert len(set(said.values())) == 3, said

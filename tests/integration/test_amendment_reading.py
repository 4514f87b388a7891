"""The Reader's light reads give what the model gives: the order of business the database puts a
list in (Reader.order, a page at a time) is the order order_key gives the amendments themselves, on
both databases; a summary remembered per process is the one worked out afresh, in each language."""
from __future__ import annotations

import random

from motions.amendments.reading import Filters, Reader, order_key, positions

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


def test_the_order_the_database_gives_is_the_order_of_the_amendments(app, factory):
    slug = factory.meeting("reading")
    chair = factory.person(slug, "chair", "delegate")
    movers = [factory.person(slug, "delegate", organisation=f"Union {i % 2}") for i in range(3)]
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
    first = clauses[0][0]  # two changes in one amendment; two changes starting at one place, one reaching further
    factory.amendment(document, movers[0], first, replace=("rights for all workers. We want them now",
                                                           "bread for all workers. We want them today"))
    factory.amendment(document, movers[1], first, replace=("rights", "food"))
    factory.amendment(document, movers[2], first, replace=("rights for all", "food for every"))
    factory.amendment(document, movers[0], clauses[2][0], kind="delete")
    factory.amendment(document, movers[1], clauses[0][0], kind="insert_after", text="A new clause.")
    factory.amendment(document, movers[2], None, kind="insert_after", text="A first clause.")
    factory.amendment(document, movers[2], None, kind="insert_after", text="Another first clause.")
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
        assert any(not a.ranges for a in everything) and any(len(a.ranges) > 1 for a in everything)
        where = positions(doc)
        organisation = {p.id: p.organisation for p in db.session.execute(db.select(Person)).scalars()}
        for filters in (Filters(), Filters(status="submitted"), Filters(clause_id=clauses[0][0]),
                        Filters(mover_id=movers[1]), Filters(organisation="Union 0", status="submitted")):
            expected = [a.id for a in sorted(everything, key=lambda a: order_key(a, where))
                        if (filters.status is None or a.status.value == filters.status)
                        and (filters.clause_id is None or a.clause_id == filters.clause_id)
                        and (filters.mover_id is None or a.mover_id == filters.mover_id)
                        and (filters.organisation is None or organisation[a.mover_id] == filters.organisation)]
            assert expected
            reader = Reader(doc)
            assert reader.order(filters) == expected, filters
            assert reader.count(filters) == len(expected)
            pages = [reader.order(filters, offset=n, limit=4) for n in range(0, len(expected) + 4, 4)]
            assert [i for page in pages for i in page] == expected and pages[-1] == []


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

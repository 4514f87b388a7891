"""The amendment scale of issue 3: a 200-clause platform (about 25,000 words, built from the long
seed text) with 3,000 amendments by 2,000 delegates.

Measured: creating an amendment (diff, patch, collision check, numbering, commit) with the
thousands already there; the document page with every badge; the full amendment list (page and
API); recomputing all collisions (from the stored ranges, as the pages do, and from scratch with
every diff recomputed); the memory the process used.
"""
from __future__ import annotations

import random
import re
import resource
import time

from bench.common import SEED, row, sign_in, timed

WORDS_PER_CLAUSE = 125


def platform_text(clauses: int = 200) -> tuple[str, str]:
    """A Markdown platform of `clauses` list items of about 125 words each, cut from the seed."""
    if SEED.exists():
        words = SEED.read_text(encoding="utf-8").split()
        source = f"seed 004, {clauses} clauses"
    else:
        words = ("the campaign will organise workers and defend democratic rights in every workplace with "
                 "solidarity across borders and independent unions").split() * 2000
        source = f"synthetic, {clauses} clauses (../shared absent)"
    words = [w for w in words if not re.match(r"^(#+|[-*+]|\d+[.)])$", w)]  # nothing that reads as markup
    parts, i = [], 0
    for c in range(clauses):
        if c % 20 == 0:
            parts.append(f"\n## Part {c // 20 + 1}\n\n")
        chunk = []
        for _ in range(WORDS_PER_CLAUSE):
            chunk.append(words[i % len(words)])
            i += 1
        parts.append("- " + " ".join(chunk).replace("\\", "") + "\n")
    return "".join(parts), source


def edit(text: str, rng: random.Random) -> str:
    """A delegate's edit: replace, insert or delete a few words somewhere in the clause."""
    words = text.split(" ")
    at = rng.randrange(len(words))
    span = rng.randint(1, 4)
    what = rng.random()
    if what < 0.5:
        words[at:at + span] = [rng.choice(["workers", "migrants", "all", "rights", "democratic", "peace"])
                               for _ in range(rng.randint(1, 4))]
    elif what < 0.8:
        words[at:at] = ["and", rng.choice(["migrant", "young", "retired", "women"]), "workers"]
    else:
        del words[at:at + span]
    new = " ".join(words)
    return new if new != text else text + " Amended."


def run(app, rows: list, *, amendments: int = 3000, delegates: int = 2000, seed: int = 3) -> None:
    from motions.amendments import operations as amend
    from motions.amendments.reading import Reader
    from motions.auth.models import Person
    from motions.documents import operations as docs
    from motions.extensions import db
    from motions.meetings import operations as meetings
    from motions.meetings.models import Membership, MembershipRole
    from motions.text.collisions import Candidate, find_collisions
    from motions.text.diff import changed_ranges, diff_words

    rng = random.Random(seed)
    text, source = platform_text(200)
    db_name = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    with app.app_context():
        meeting = meetings.create_meeting({"slug": "scale", "title": "Scale"}, creator=None)
        # 2,000 delegates in one multi-row insert each (no passwords: they never sign in here)
        db.session.execute(db.insert(Person), [
            {"name": f"Delegate {i}", "email": f"d{i}@scale.example.org", "organisation": f"Branch {i % 150}",
             "is_organiser": False} for i in range(delegates)])
        people = db.session.execute(db.select(Person.id).where(Person.email.like("%@scale.example.org"))
                                    .order_by(Person.id)).scalars().all()
        db.session.execute(db.insert(Membership), [{"meeting_id": meeting.id, "person_id": p, "vote_weight": 1,
                                                    "present": False} for p in people])
        members = db.session.execute(db.select(Membership.id).where(Membership.meeting_id == meeting.id)).scalars().all()
        db.session.execute(db.insert(MembershipRole), [{"membership_id": m, "role": "delegate"} for m in members])
        db.session.commit()
        document = docs.import_document(meeting, title="Scale platform", text=text, format="markdown",
                                        kind="platform", by_id=None)
        docs.set_state(document, "open")
        document_id = document.id
        rows_ = [r for r in document.version().clause_texts if r.kind != "heading"]
        words = sum(len(r.text.split()) for r in rows_)
        persons = {p.id: p for p in db.session.execute(db.select(Person).where(Person.id.in_(people))).scalars()}

        def propose_one():
            r = rng.choice(rows_)
            amend.propose(document, persons[rng.choice(people)], clause_id=r.clause_id, kind="modify",
                          text=edit(r.text, rng), title="", reason="Bench.")

        start = time.perf_counter()
        first = timed(propose_one, amendments - 100)
        rows.append(row(f"propose amendments 1–{amendments - 100} ({source}, {words} words)", first,
                        f"{db_name}; {time.perf_counter() - start:.0f} s in all"))
        from motions.auth.operations import issue_token

        bearer = {"Authorization": "Bearer " + issue_token(persons[people[1]])}
        api = app.test_client()

        def propose_by_api():
            r = rng.choice(rows_)
            response = api.post(f"/api/v1/documents/{document_id}/amendments", headers=bearer,
                                json={"clause_id": r.clause_id, "kind": "modify", "text": edit(r.text, rng)})
            assert response.status_code == 201, response.get_data(as_text=True)

        rows.append(row(f"POST an amendment (API) with {amendments - 100}+ stored", timed(propose_by_api, 100),
                        "diff + patch + number + commit + collision check for the answer"))

        reader = Reader(document)
        rows.append(row(f"recompute all collisions, {amendments} amendments (stored ranges)",
                        timed(lambda: Reader(document).collisions(), 5),
                        f"{sum(1 for v in reader.collisions().values() if v)} amendments collide"))
        from motions.amendments.models import Amendment

        stored = db.session.execute(db.select(Amendment)).scalars().all()
        texts = {r.clause_id: r.text for r in rows_}

        def from_scratch():
            find_collisions([Candidate(key=a.id, clause=a.clause_id, base=a.base_version, kind=a.kind.value,
                                       ranges=changed_ranges(diff_words(texts[a.clause_id], a.text)))
                             for a in stored])

        rows.append(row(f"recompute all collisions, {amendments} amendments (every diff redone)",
                        timed(from_scratch, 2)))
        chair_email = "d0@scale.example.org"
        person = db.session.execute(db.select(Person).filter_by(email=chair_email)).scalar_one()
        person.set_password("benchmark!")
        db.session.commit()

    client = app.test_client()
    sign_in(client, chair_email, "benchmark!")
    for name, url in (("GET document page with every badge", f"/documents/{document_id}"),
                      ("GET amendment list page", f"/documents/{document_id}/amendments"),
                      ("GET /api/v1/documents/{id}/amendments", f"/api/v1/documents/{document_id}/amendments")):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.data) // 1024
        rows.append(row(f"{name}, {amendments} amendments", timed(lambda u=url: client.get(u), 5), f"{size} KB"))
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    rows.append(("peak memory of the bench process (ru_maxrss)", 1, float(maxrss), float(maxrss), "MB, not ms"))

"""Merge on carry and the exports of issue 5: a 200-clause platform (built as in bench/amendments.py)
with 3,000 amendments by 2,000 delegates in a fresh meeting ("statement").

Measured: carrying 500 amendments one after another with the chair's decision, each a merge into
a new document version and a re-base of the pending amendments to the same clause (the
amendments carried are picked in turn from the clauses, each one still applying cleanly at the
time; admitted just before, untimed); then, with the document carried as amended (a counted show
of hands) and final, the full PDF of the adopted platform, the
DOCX redline from the draft to the adopted text, and the record of proceedings as XLSX and CSV.

BENCH_CARRIES: how many amendments to carry (500); BENCH_AMENDMENTS: how many to propose (3,000).
Run alone with `python -m bench.statement`; `make bench` runs it after the amendment bench.
"""
from __future__ import annotations

import os
import random
import time

from bench.common import row, timed


def run(app, rows: list, *, carries: int = int(os.environ.get("BENCH_CARRIES", "500")),
        amendments: int = int(os.environ.get("BENCH_AMENDMENTS", "3000")), delegates: int = 2000,
        seed: int = 5) -> None:
    from motions.amendments import operations as amend
    from motions.amendments.models import PENDING, Amendment, AmendmentStatus
    from motions.audit.models import AuditEntry
    from motions.auth.models import Person
    from motions.documents import operations as docs
    from motions.documents.models import Document
    from motions.errors import StateConflict
    from motions.extensions import db
    from motions.meetings import operations as meetings
    from motions.meetings.models import Membership, MembershipRole

    from bench.amendments import edit, platform_text

    rng = random.Random(seed)
    text, source = platform_text(200)
    db_name = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    delegates = min(delegates, amendments)
    with app.test_request_context():  # one app context (one session) throughout; gettext has a request
        meeting = meetings.create_meeting({"slug": "statement", "title": "Statement", "seconders_required": 0},
                                          creator=None)
        meeting_id = meeting.id
        db.session.execute(db.insert(Person), [
            {"name": f"Delegate {i}", "email": f"d{i}@statement.example.org", "organisation": f"Branch {i % 150}",
             "is_organiser": False} for i in range(delegates)] + [
            {"name": "Chair", "email": "chair@statement.example.org", "organisation": "", "is_organiser": False}])
        people = db.session.execute(db.select(Person.id).where(Person.email.like("d%@statement.example.org"))
                                    .order_by(Person.id)).scalars().all()
        chair_id = db.session.execute(db.select(Person.id).filter_by(email="chair@statement.example.org")).scalar_one()
        db.session.execute(db.insert(Membership), [{"meeting_id": meeting_id, "person_id": p, "vote_weight": 1,
                                                    "present": False} for p in [*people, chair_id]])
        members = dict(db.session.execute(db.select(Membership.person_id, Membership.id)
                                          .where(Membership.meeting_id == meeting_id)).all())
        db.session.execute(db.insert(MembershipRole), [
            {"membership_id": m, "role": "chair" if p == chair_id else "delegate"} for p, m in members.items()])
        db.session.commit()
        document = docs.import_document(meeting, title="Statement platform", text=text, format="markdown",
                                        kind="platform", by_id=None)
        docs.set_state(document, "open")
        document_id = document.id
        draft = [r for r in document.version().clause_texts if r.kind != "heading"]
        persons = {p.id: p for p in db.session.execute(db.select(Person).where(Person.id.in_(people))).scalars()}
        chair = db.session.get(Person, chair_id)

        start = time.perf_counter()
        for _ in range(amendments):
            r = rng.choice(draft)
            amend.propose(document, persons[rng.choice(people)], clause_id=r.clause_id, kind="modify",
                          text=edit(r.text, rng), title="", reason="Bench.")
        proposed_s = time.perf_counter() - start
        start = time.perf_counter()
        docs.set_state(document, "closed")  # sequential numbers are given in text order here
        closed_s = time.perf_counter() - start

        # ---------------------------------------------------------------- carrying
        pending = [s.name for s in PENDING]
        order = [r.clause_id for r in draft]
        rng.shuffle(order)
        refused: set[int] = set()
        samples: list[float] = []
        turn = 0
        while len(samples) < carries:
            clean: dict[int, list[int]] = {}
            for aid, cid in db.session.execute(
                    db.select(Amendment.id, Amendment.clause_id)
                    .where(Amendment.document_id == document_id, Amendment.status.in_(pending),
                           Amendment.applies_cleanly.is_(True)).order_by(Amendment.id)):
                if aid not in refused:
                    clean.setdefault(cid, []).append(aid)
            if not clean:
                break
            for _ in range(len(order)):  # the next clause in turn that has an amendment still applying
                cid = order[turn % len(order)]
                turn += 1
                if cid in clean:
                    break
            else:
                cid = next(iter(clean))
            amendment = db.session.get(Amendment, rng.choice(clean[cid]))
            if amendment.status is AmendmentStatus.submitted:
                amend.admit(amendment, chair)
            start = time.perf_counter()
            try:
                amend.decide(amendment, chair, "carried")
            except StateConflict:  # e.g. its text would read as a heading: never half-applied
                refused.add(amendment.id)
                continue
            samples.append(time.perf_counter() - start)

        document = db.session.get(Document, document_id)
        reports = db.session.execute(db.select(AuditEntry.data).where(
            AuditEntry.meeting_id == meeting_id, AuditEntry.action == "document.version")).scalars().all()
        rebased = sum(len(d.get("rebased", [])) for d in reports)
        stuck_events = sum(len(d.get("no_longer_apply", [])) for d in reports)
        stuck_now = db.session.execute(db.select(db.func.count()).select_from(Amendment).where(
            Amendment.document_id == document_id, Amendment.status.in_(pending),
            Amendment.applies_cleanly.is_(False))).scalar_one()
        still_pending = db.session.execute(db.select(db.func.count()).select_from(Amendment).where(
            Amendment.document_id == document_id, Amendment.status.in_(pending))).scalar_one()
        rows.append(row(f"carry an amendment (merge + re-base), {amendments:,} pending", samples,
                        f"{db_name}; {len(samples)} carried, now version {document.current_version}; "
                        f"{rebased} re-bases of pending amendments to the same clause, {stuck_events} marked as "
                        f"no longer applying ({stuck_now} of {still_pending} pending apply no longer at the end); "
                        f"{len(refused)} refused by the merge; setup: {amendments:,} proposed in {proposed_s:.0f} s, "
                        f"closing (renumbering) {closed_s:.1f} s"))

        # ---------------------------------------------------------------- final
        state = _make_final(document, chair, meeting)
        document = db.session.get(Document, document_id)
        meeting = meetings.get_meeting("statement")

        # ---------------------------------------------------------------- exports
        from motions.exports import reading

        adopted = f"version {document.current_version}, {state}"
        pdf = reading.document_file(document, "pdf")
        assert pdf.body.startswith(b"%PDF"), pdf.body[:20]
        rows.append(row("export the adopted platform as PDF (200 clauses)",
                        timed(lambda: reading.document_file(document, "pdf"), 3),
                        f"{len(pdf.body) // 1024} KB; {adopted}"))
        redline = reading.document_file(document, "docx", redline=True)
        assert redline.body.startswith(b"PK"), redline.body[:20]
        rows.append(row("export the redline draft→adopted as DOCX",
                        timed(lambda: reading.document_file(document, "docx", redline=True), 3),
                        f"{len(redline.body) // 1024} KB; {redline.filename}"))
        xlsx = reading.record_file(meeting, "xlsx")
        assert xlsx.body.startswith(b"PK"), xlsx.body[:20]
        rows.append(row(f"record of proceedings as XLSX, {amendments:,} amendments",
                        timed(lambda: reading.record_file(meeting, "xlsx"), 3), f"{len(xlsx.body) // 1024} KB"))
        csv = reading.record_file(meeting, "csv")
        lines = csv.body.count(b"\n")
        rows.append(row("record as CSV", timed(lambda: reading.record_file(meeting, "csv"), 3),
                        f"{len(csv.body) // 1024} KB, {lines} lines"))


def _make_final(document, chair, meeting) -> str:
    """The meeting carries the document as amended (a counted show of hands), then it is final."""
    from motions.documents import operations as docs
    from motions.polls import operations as polls

    poll = polls.create_poll(meeting, chair, subject={"type": "document", "id": document.id}, analog=True)
    polls.enter_count(poll, chair, {"yes": 1})
    docs.set_state(document, "final", by=chair)
    return "final"


def main() -> int:
    """Only this bench: python -m bench.statement (BENCH_DATABASE_URL as for `make bench`)."""
    import platform
    import tempfile

    from bench import vote_storm

    os.environ.setdefault("MOTIONS_SECURE_COOKIES", "0")
    from motions import create_app

    url = os.environ.get("BENCH_DATABASE_URL", "")
    if vote_storm.bench_database(url):
        vote_storm.fresh_database(url)
    rows: list = []
    with tempfile.TemporaryDirectory() as tmp:
        uri = url or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        run(app, rows)
        with app.app_context():
            from motions.extensions import db

            db.engine.dispose()
    print(f"machine: {platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores")
    for name, n, med, p95, note in rows:
        print(f"| {name} | {n} | {med:.1f} | {p95:.1f} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

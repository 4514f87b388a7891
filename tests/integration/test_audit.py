"""The audit log: every state change appends exactly one entry (who, when, what) in the transaction of
the change; `motions audit verify` finds where a tampered chain breaks; the API and the page show the
log to the chair and the secretary only; concurrent appends to one meeting make one gap-free chain.

Runs on SQLite and, with MOTIONS_TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import hashlib
import json
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import IntegrityError

from motions import audit
from motions.audit.chain import GENESIS
from motions.extensions import db
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.conftest import PASSWORD, csrf_token

pytestmark = pytest.mark.usefixtures("fast_hashing")

SLUG = "congress"
TEXT = "# Aims\n\nWe fight for all workers.\n\nWe stand for peace.\n"


@pytest.fixture
def world(app, factory):
    factory.meeting(SLUG, seconders_required=1, self_checkin=True)
    w = SimpleNamespace(app=app, factory=factory)
    for key, roles in (("mover", ("delegate",)), ("second", ("delegate",)), ("third", ("delegate",)),
                       ("chair", ("chair",)), ("secretary", ("secretary",)), ("organiser", ("organiser",))):
        setattr(w, key, factory.person(SLUG, *roles, email=f"{key}@example.org", name=key.title()))
    w.doc = factory.document(SLUG, TEXT, state="open")
    with app.app_context():
        from motions.meetings.operations import get_meeting

        from motions.documents.models import Document

        w.meeting_id = get_meeting(SLUG).id
        w.clauses = {ct.text.split()[-1].rstrip("."): ct.clause_id
                     for ct in db.session.get(Document, w.doc).version().clause_texts if ct.kind == "paragraph"}
        db.session.remove()
    return w


def log(world, **kwargs) -> list[dict]:
    with world.app.app_context():
        rows = [e.as_dict() for e in audit.entries(world.meeting_id, **kwargs)]
        db.session.remove()
    return rows


def head(world):
    with world.app.app_context():
        row = db.session.execute(db.text("SELECT seq, hash FROM audit_head WHERE meeting_id = :m"),
                                 {"m": world.meeting_id}).first()
        db.session.remove()
    return tuple(row) if row else None


def person(world, key):
    from motions.auth.models import Person

    return db.session.get(Person, getattr(world, key))


def amendment(world, mover="mover", replace=("all workers", "every worker"), seconders=()):
    clause = world.clauses["peace" if "peace" in replace[0] else "workers"]
    return world.factory.amendment(world.doc, getattr(world, mover), clause, replace=replace,
                                   seconders=tuple(getattr(world, s) for s in seconders))


def one_new(world, before: list[dict]) -> dict:
    """The operation appended exactly one entry: that one."""
    after = log(world)
    assert len(after) == len(before) + 1, [e["action"] for e in after[len(before):]]
    assert after[:len(before)] == before  # nothing earlier changed
    return after[-1]


def run(world, operation):
    """Call an operation in an app context, the way a view does."""
    with world.app.app_context():
        result = operation()
        db.session.remove()
    return result


# ------------------------------------------------------------------ one entry per state change

def test_admitting_appends_one_entry_with_who_and_what(world):
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment

    a = amendment(world, seconders=("second",))
    before = log(world)
    run(world, lambda: amend.admit(db.session.get(Amendment, a), person(world, "chair")))
    entry = one_new(world, before)
    assert entry["action"] == "amendment.admitted"
    assert (entry["actor_id"], entry["actor_name"]) == (world.chair, "Chair")
    assert (entry["subject_type"], entry["subject_id"], entry["meeting_id"]) == ("amendment", a, world.meeting_id)
    assert entry["data"] == {"from": "submitted", "to": "admitted", "number": "A1", "document_id": world.doc,
                             "seconders": 1}
    assert entry["prev_hash"] == before[-1]["hash"] and entry["seq"] == before[-1]["seq"] + 1
    assert head(world) == (entry["seq"], entry["hash"])


def test_ruling_out_records_the_reason(world):
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment

    a = amendment(world)
    before = log(world)
    run(world, lambda: amend.rule_out(db.session.get(Amendment, a), person(world, "chair"), "Not about this."))
    entry = one_new(world, before)
    assert (entry["action"], entry["actor_name"]) == ("amendment.ruled_out", "Chair")
    assert entry["data"] == {"from": "submitted", "to": "ruled_out", "number": "A1", "document_id": world.doc,
                             "reason": "Not about this."}


def test_withdrawing(world):
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment

    a = amendment(world)
    before = log(world)
    run(world, lambda: amend.withdraw(db.session.get(Amendment, a), person(world, "mover")))
    entry = one_new(world, before)
    assert (entry["action"], entry["actor_id"], entry["subject_id"]) == ("amendment.withdrawn", world.mover, a)
    assert (entry["data"]["from"], entry["data"]["to"]) == ("submitted", "withdrawn")


def test_compositing_appends_one_entry_for_the_composite_and_one_per_original(world):
    from motions.amendments import operations as amend
    from motions.meetings.operations import get_meeting

    a = amendment(world)
    b = amendment(world, mover="second", replace=("all workers", "all working people"))
    before = log(world)
    made = run(world, lambda: amend.composite(get_meeting(SLUG), person(world, "secretary"), amendment_ids=[b, a],
                                              text="We fight for every working person.").id)
    after = log(world)
    new = after[len(before):]
    assert [(e["action"], e["subject_id"], e["actor_name"]) for e in new] == [
        ("amendment.composite_made", made, "Secretary"), ("amendment.composited", a, "Secretary"),
        ("amendment.composited", b, "Secretary")]
    assert new[0]["data"] == {"to": "admitted", "number": "A3", "document_id": world.doc,
                              "originals": ["A1", "A2"], "original_ids": [a, b]}
    assert new[1]["data"] == {"from": "submitted", "to": "composited", "number": "A1", "document_id": world.doc,
                              "composite": "A3", "composite_id": made}
    assert [e["seq"] for e in new] == [before[-1]["seq"] + 1, before[-1]["seq"] + 2, before[-1]["seq"] + 3]


def test_proposing_seconding_and_revising_are_logged_too(world):
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment

    start = log(world)
    a = amendment(world)
    submitted = one_new(world, start)
    assert (submitted["action"], submitted["actor_id"], submitted["subject_id"]) == (
        "amendment.submitted", world.mover, a)
    assert submitted["data"] == {"number": "A1", "document_id": world.doc, "kind": "modify"}
    steps = [
        ("second", lambda x: amend.second(x, person(world, "second")), "amendment.seconded", {"seconders": 1}),
        ("second", lambda x: amend.unsecond(x, person(world, "second")), "amendment.unseconded", {"seconders": 0}),
        ("mover", lambda x: amend.revise(x, person(world, "mover"), text="We fight for every single worker."),
         "amendment.revised", {"revision": 2, "seconders_released": 0}),
    ]
    for who, step, action, data in steps:
        before = log(world)
        run(world, lambda: step(db.session.get(Amendment, a)))
        entry = one_new(world, before)
        assert (entry["action"], entry["actor_id"]) == (action, getattr(world, who))
        assert entry["data"] == {"number": "A1", "document_id": world.doc, **data}


def test_attendance_changes_are_logged_and_unchanged_attendance_is_not(world, client, auth):
    # the chair marks a delegate present on the people page
    before = log(world)
    auth.login("chair@example.org")
    response = auth.post(f"/m/{SLUG}/people/{world.third}/attendance", {"present": "1"})
    assert response.status_code == 302
    entry = one_new(world, before)
    assert (entry["action"], entry["actor_id"], entry["actor_name"]) == ("attendance.changed", world.chair, "Chair")
    assert (entry["subject_type"], entry["subject_id"]) == ("person", world.third)
    assert entry["data"] == {"name": "Third", "from": "absent", "to": "present"}
    # marking them present again changes nothing, and records nothing
    before = log(world)
    auth.post(f"/m/{SLUG}/people/{world.third}/attendance", {"present": "1"})
    assert log(world) == before
    # the secretary through the API
    token = world.factory.token("secretary@example.org")
    response = client.post(f"/api/v1/meetings/{SLUG}/attendance", json={"person_id": world.third, "present": False},
                           headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    entry = one_new(world, before)
    assert (entry["actor_name"], entry["data"]["from"], entry["data"]["to"]) == ("Secretary", "present", "absent")


def test_self_check_in_is_logged_with_the_delegate_as_actor(world, client):
    token = world.factory.token("mover@example.org")
    before = log(world)
    response = client.post(f"/api/v1/meetings/{SLUG}/attendance", json={"present": True}, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    entry = one_new(world, before)
    assert (entry["actor_id"], entry["subject_id"], entry["data"]["to"]) == (world.mover, world.mover, "present")


def test_meeting_state_changes_are_logged(world, auth):
    auth.login("chair@example.org")
    for target, expected in (("in_session", ("preparing", "in_session")), ("closed", ("in_session", "closed"))):
        before = log(world)
        assert auth.post(f"/m/{SLUG}/state", {"state": target}).status_code == 302
        entry = one_new(world, before)
        assert (entry["action"], entry["actor_name"], entry["subject_type"], entry["subject_id"]) == (
            "meeting.state", "Chair", "meeting", world.meeting_id)
        assert (entry["data"]["from"], entry["data"]["to"]) == expected
    # a refused move records nothing
    before = log(world)
    auth.post(f"/m/{SLUG}/state", {"state": "preparing"})
    assert log(world) == before


def test_document_state_changes_are_logged_with_the_renumbering(world, client, auth):
    amendment(world, replace=("peace", "peace and bread"))  # A1, on the second clause
    amendment(world, mover="second")  # A2, on the first: A1 once amendments close
    token = world.factory.token("secretary@example.org")
    before = log(world)
    response = client.post(f"/api/v1/documents/{world.doc}/state", json={"state": "closed"}, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    entry = one_new(world, before)
    assert (entry["action"], entry["actor_name"], entry["subject_type"], entry["subject_id"]) == (
        "document.state", "Secretary", "document", world.doc)
    assert entry["data"] == {"from": "open", "to": "closed", "renumbered": {"A1": "A2", "A2": "A1"}}
    # and from the page, by the chair, once the meeting has carried the document as amended
    world.factory.adopt(world.doc)
    before = log(world)
    auth.login("chair@example.org")
    assert auth.post(f"/documents/{world.doc}/state", {"state": "final"}).status_code == 302
    entry = one_new(world, before)
    # a final document's entry carries the fingerprint of the adopted text
    with world.app.app_context():
        from motions.documents.operations import get_document

        adopted = get_document(world.doc).version().text()
    assert (entry["actor_name"], entry["data"]) == ("Chair", {
        "from": "closed", "to": "final", "version": 1,
        "fingerprint": hashlib.sha256(adopted.encode("utf-8")).hexdigest()})


def test_refused_operations_record_nothing(world, client):
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment
    from motions.errors import OperationError

    a = amendment(world)  # no seconder yet
    token = world.factory.token("secretary@example.org")
    before, state = log(world), snapshot(world.app)
    with pytest.raises(OperationError):
        run(world, lambda: amend.admit(db.session.get(Amendment, a), person(world, "chair")))
    with pytest.raises(OperationError):
        run(world, lambda: amend.withdraw(db.session.get(Amendment, a), person(world, "second")))
    assert client.post(f"/api/v1/documents/{world.doc}/state", json={"state": "draft"},
                       headers=bearer(token)).status_code == 409
    assert log(world) == before
    assert snapshot(world.app) == state


def test_a_failing_commit_takes_the_entry_with_it(world, monkeypatch):
    """The change and its entry are one transaction: when the commit fails, neither is stored."""
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment

    a = amendment(world, seconders=("second",))
    before, start = log(world), head(world)

    def failing_commit():
        db.session.flush()  # the change and the entry reached the database ...
        raise RuntimeError("the disk is full")  # ... and then the commit failed

    with world.app.app_context():
        monkeypatch.setattr(db.session, "commit", failing_commit)
        with pytest.raises(RuntimeError):
            amend.admit(db.session.get(Amendment, a), person(world, "chair"))
        monkeypatch.undo()
        db.session.remove()
    assert log(world) == before
    assert head(world) == start
    with world.app.app_context():
        assert db.session.get(Amendment, a).status.value == "submitted"
        assert audit.verify() == []
        db.session.remove()
    # and the next change continues the chain where it was
    run(world, lambda: amend.admit(db.session.get(Amendment, a), person(world, "chair")))
    assert one_new(world, before)["seq"] == before[-1]["seq"] + 1


# ------------------------------------------------------------------ what the log keeps

def test_a_meeting_with_an_audit_log_cannot_be_deleted(world):
    from motions.meetings.models import Meeting

    with world.app.app_context():
        db.session.delete(db.session.get(Meeting, world.meeting_id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Meeting, world.meeting_id) is not None
        db.session.remove()
    assert log(world)


def test_deleting_a_person_keeps_their_entries_and_the_chain(world):
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment
    from motions.auth.models import Person

    a = amendment(world, seconders=("second",))
    run(world, lambda: amend.admit(db.session.get(Amendment, a), person(world, "chair")))
    with world.app.app_context():
        db.session.delete(db.session.get(Person, world.chair))
        db.session.commit()
        assert audit.verify() == []
        db.session.remove()
    entry = log(world)[-1]
    assert (entry["action"], entry["actor_id"], entry["actor_name"]) == ("amendment.admitted", world.chair, "Chair")


def test_the_demo_is_logged_once(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        from motions.meetings.operations import get_meeting

        meeting_id = get_meeting("founding-meeting").id
        actions = [e.action for e in audit.entries(meeting_id)]
        db.session.remove()
    assert actions == ["document.state", "amendment.submitted", "amendment.seconded", "amendment.admitted",
                       "poll.created", "amendment.submitted", "amendment.submitted",
                       # the Steering Committee election: set up, nominations open, four nominated and seconded
                       "election.created", "election.nominations_opened"] + [
                       "election.nominated", "election.seconded"] * 4
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert len(audit.entries(meeting_id)) == len(actions)
        db.session.remove()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "audit log: 17 entries in 1 meeting, chain intact\n"


# ------------------------------------------------------------------ motions audit verify

@pytest.fixture
def logged(world):
    """Eight entries: propose, second, admit; three attendance changes; the session opened; another amendment."""
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment
    from motions.meetings import operations as meetings

    a = amendment(world, seconders=("second",))
    run(world, lambda: amend.admit(db.session.get(Amendment, a), person(world, "chair")))

    def attendance():
        meeting = meetings.get_meeting(SLUG)
        for key in ("mover", "second", "third"):
            meetings.set_attendance(meeting, meetings.get_membership(meeting, getattr(world, key)), True,
                                    by=person(world, "chair"))
        meetings.set_meeting_state(meeting, "in_session", by=person(world, "chair"))

    run(world, attendance)
    amendment(world, mover="third", replace=("peace", "peace and bread"))
    assert [e["seq"] for e in log(world)] == list(range(1, 10))  # the document was opened first
    return world


def sql(world, statement: str, **params) -> None:
    with world.app.app_context():
        db.session.execute(db.text(statement), {"m": world.meeting_id, **params})
        db.session.commit()
        db.session.remove()


def test_verify_passes_on_a_clean_log(logged, runner, factory):
    other = factory.meeting("other-meeting")
    factory.document(other, "A.\n", state="open")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "audit log: 10 entries in 2 meetings, chain intact\n"
    one = runner.invoke(args=["audit", "verify", "--meeting", SLUG])
    assert (one.exit_code, one.stdout) == (0, "audit log: 9 entries in 1 meeting, chain intact\n")


def test_verify_on_an_empty_log(app, runner, factory):
    factory.meeting("quiet")
    result = runner.invoke(args=["audit", "verify"])
    assert (result.exit_code, result.stdout) == (0, "audit log: 0 entries in 0 meetings, chain intact\n")
    result = runner.invoke(args=["audit", "verify", "--meeting", "quiet"])
    assert (result.exit_code, result.stdout) == (0, "audit log: 0 entries in 1 meeting, chain intact\n")


def test_verify_names_an_unknown_meeting(logged, runner):
    result = runner.invoke(args=["audit", "verify", "--meeting", "nowhere"])
    assert result.exit_code == 1
    assert "There is no meeting “nowhere”." in result.stderr


def broken(runner, *args) -> str:
    result = runner.invoke(args=["audit", "verify", *args])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET actor_name = 'Someone else' WHERE meeting_id = :m AND seq = 5",
    "UPDATE audit_entry SET actor_id = NULL WHERE meeting_id = :m AND seq = 5",
    "UPDATE audit_entry SET action = 'amendment.ruled_out' WHERE meeting_id = :m AND seq = 5",
    "UPDATE audit_entry SET subject_id = subject_id + 1 WHERE meeting_id = :m AND seq = 5",
    "UPDATE audit_entry SET prev_hash = hash WHERE meeting_id = :m AND seq = 5",
    "UPDATE audit_entry SET hash = prev_hash WHERE meeting_id = :m AND seq = 5",
])
def test_verify_finds_a_changed_entry(logged, runner, statement):
    sql(logged, statement)
    assert broken(runner) == f"meeting {SLUG}: entry 5: hash does not match its content\n"


def test_verify_finds_changed_data(logged, runner):
    with logged.app.app_context():
        from sqlalchemy import update

        from motions.audit.models import AuditEntry

        table = AuditEntry.__table__
        db.session.execute(update(table).where(table.c.meeting_id == logged.meeting_id, table.c.seq == 4)
                           .values(data={"from": "submitted", "to": "ruled_out", "number": "A1"}))
        db.session.commit()
        db.session.remove()
    assert broken(runner) == f"meeting {SLUG}: entry 4: hash does not match its content\n"


def test_verify_finds_a_shifted_time(logged, runner):
    from datetime import timedelta

    from motions.audit.models import AuditEntry

    with logged.app.app_context():
        entry = db.session.execute(db.select(AuditEntry).filter_by(meeting_id=logged.meeting_id, seq=6)).scalar_one()
        entry.at = entry.at - timedelta(minutes=5)
        db.session.commit()
        db.session.remove()
    assert broken(runner, "--meeting", SLUG) == f"meeting {SLUG}: entry 6: hash does not match its content\n"


def test_verify_finds_a_rehashed_entry_by_the_next_link(logged, runner):
    from motions.audit import chain
    from motions.audit.models import AuditEntry

    with logged.app.app_context():
        entry = db.session.execute(db.select(AuditEntry).filter_by(meeting_id=logged.meeting_id, seq=6)).scalar_one()
        entry.actor_name = "Someone else"
        entry.hash = chain.entry_hash(entry.as_dict())
        db.session.commit()
        db.session.remove()
    assert broken(runner) == f"meeting {SLUG}: entry 7: previous hash does not match entry 6\n"


@pytest.mark.parametrize("where, message", [
    ("seq = 4", "entry 4 missing"),
    ("seq IN (5, 6)", "entries 5–6 missing"),
    ("seq = 1", "entry 1 missing"),
    ("seq >= 8", "entries 8–9 missing"),  # the tail: no gap, but the head remembers entry 9
])
def test_verify_finds_removed_entries(logged, runner, where, message):
    sql(logged, f"DELETE FROM audit_entry WHERE meeting_id = :m AND {where}")
    assert broken(runner) == f"meeting {SLUG}: {message}\n"


def test_verify_finds_swapped_numbers(logged, runner):
    sql(logged, "UPDATE audit_entry SET seq = -1 WHERE meeting_id = :m AND seq = 3")
    sql(logged, "UPDATE audit_entry SET seq = 3 WHERE meeting_id = :m AND seq = 4")
    sql(logged, "UPDATE audit_entry SET seq = 4 WHERE meeting_id = :m AND seq = -1")
    assert broken(runner) == f"meeting {SLUG}: entry 3: hash does not match its content\n"


def test_verify_reports_each_broken_meeting(logged, runner, factory):
    other = factory.meeting("other-meeting")
    factory.document(other, "A.\n", state="open")
    factory.document(other, "B.\n", state="open")
    sql(logged, "UPDATE audit_entry SET actor_name = 'X' WHERE seq = 2")  # both meetings
    assert broken(runner) == (f"meeting {SLUG}: entry 2: hash does not match its content\n"
                              "meeting other-meeting: entry 2: hash does not match its content\n")
    sql(logged, "UPDATE audit_entry SET actor_name = 'X' WHERE seq = 1 AND meeting_id = :m")
    assert broken(runner, "--meeting", "other-meeting") == (
        "meeting other-meeting: entry 2: hash does not match its content\n")


def test_a_lost_chain_head(logged, runner):
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment

    sql(logged, "DELETE FROM audit_head WHERE meeting_id = :m")
    assert broken(runner) == f"meeting {SLUG}: entries 1–9 but no chain head\n"
    # the next append takes up the chain from the last entry stored; the log works on
    a = amendment(logged, mover="second", replace=("We fight", "We struggle"))
    run(logged, lambda: amend.withdraw(db.session.get(Amendment, a), person(logged, "second")))
    assert [e["seq"] for e in log(logged)] == list(range(1, 12))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------ the API and the page

def entry_hash(meeting_id: int, entry: dict) -> str:
    """The recipe as docs/api.md gives it, written out independently of motions.audit.chain."""
    content = {"meeting_id": meeting_id, "seq": entry["seq"], "at": entry["at"],
               "actor_id": entry["actor"]["id"] if entry["actor"] else None,
               "actor_name": entry["actor"]["name"] if entry["actor"] else "", "action": entry["action"],
               "subject_type": entry["subject"]["type"], "subject_id": entry["subject"]["id"], "data": entry["data"],
               "prev_hash": entry["prev_hash"]}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("who", ["chair", "secretary"])
def test_the_api_gives_the_log_in_order(logged, client, who):
    from jsonschema import Draft202012Validator

    token = logged.factory.token(f"{who}@example.org")
    response = client.get(f"/api/v1/meetings/{SLUG}/audit", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert [e["seq"] for e in body] == list(range(1, 10))
    assert set(body[0]) == {"seq", "at", "actor", "action", "subject", "data", "prev_hash", "hash"}
    assert body[0]["actor"] is None and body[0]["action"] == "document.state"  # opened by the test factory
    admitted = body[3]
    assert admitted["actor"] == {"id": logged.chair, "name": "Chair"}
    assert (admitted["action"], admitted["subject"]) == ("amendment.admitted", {"type": "amendment", "id": 1})
    assert admitted["data"]["to"] == "admitted"
    assert admitted["at"].endswith("Z") and len(admitted["at"]) == len("2026-11-21T09:30:05.000120Z")
    # a client can check the chain itself
    previous = GENESIS
    for entry in body:
        assert entry["prev_hash"] == previous
        assert entry_hash(logged.meeting_id, entry) == entry["hash"]
        previous = entry["hash"]
    # only what came after an entry
    later = client.get(f"/api/v1/meetings/{SLUG}/audit?after=7", headers=bearer(token)).get_json()
    assert later == body[7:]
    assert client.get(f"/api/v1/meetings/{SLUG}/audit?after=0", headers=bearer(token)).get_json() == body
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["paths"]["/api/v1/meetings/{slug}/audit"]["get"]["responses"]["200"]["content"]["application/json"]
    assert [e.message for e in Draft202012Validator(schema["schema"]).iter_errors(body)] == []


def test_the_api_refuses_others(logged, client, factory):
    outsider = factory.person(None, email="outsider@example.org")
    assert outsider
    for who in ("mover", "organiser", "outsider"):
        token = logged.factory.token(f"{who}@example.org")
        assert_error(client.get(f"/api/v1/meetings/{SLUG}/audit", headers=bearer(token)), 403, "forbidden")
    assert_error(client.get(f"/api/v1/meetings/{SLUG}/audit"), 401, "unauthorized")
    token = logged.factory.token("chair@example.org")
    assert_error(client.get("/api/v1/meetings/nowhere/audit", headers=bearer(token)), 404, "not_found")
    for bad in ("-1", "x", "1.5", "99999999999"):
        assert_error(client.get(f"/api/v1/meetings/{SLUG}/audit?after={bad}", headers=bearer(token)), 422,
                     "validation_failed", {"after"})


def test_the_page_shows_the_log_and_whether_the_chain_holds(logged, client, auth):
    auth.login("secretary@example.org")
    page = client.get(f"/m/{SLUG}/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "chain intact" in html and "9 entries" in html
    assert "amendment admitted" in html and "Chair" in html and "attendance changed" in html
    assert html.index('id="entry-9"') < html.index('id="entry-1"')  # newest first
    assert f'href="/m/{SLUG}/audit"' in client.get(f"/m/{SLUG}/").get_data(as_text=True)
    sql(logged, "UPDATE audit_entry SET actor_name = 'Someone else' WHERE meeting_id = :m AND seq = 4")
    html = client.get(f"/m/{SLUG}/audit").get_data(as_text=True)
    assert "The chain is broken: entry 4: hash does not match its content." in html
    assert client.get(f"/m/{SLUG}/audit?before=3").status_code == 200
    assert 'id="entry-3"' not in client.get(f"/m/{SLUG}/audit?before=3").get_data(as_text=True)
    assert client.get(f"/m/{SLUG}/audit?before=abc").status_code == 404


def test_the_page_shows_what_changed(world, client, auth):
    from motions.amendments import operations as amend
    from motions.documents import operations as docs
    from motions.meetings.operations import get_meeting

    amendment(world, replace=("peace", "peace and bread"))  # A1
    a = amendment(world)  # A2
    b = amendment(world, mover="second", replace=("all workers", "all working people"))  # A3

    def change():
        amend.composite(get_meeting(SLUG), person(world, "chair"), amendment_ids=[a, b],
                        text="We fight for every working person.")
        docs.set_state(docs.get_document(world.doc), "closed", by=person(world, "secretary"))

    run(world, change)
    auth.login("chair@example.org")
    html = client.get(f"/m/{SLUG}/audit").get_data(as_text=True)
    assert "composite amendment made" in html and "composited from:</span> <span dir=\"auto\">A2, A3</span>" in html
    assert "submitted → composited" in html and "open for amendments → amendments closed" in html
    entry = log(world)[-1]
    mapping = ", ".join(f"{k} → {v}" for k, v in sorted(entry["data"]["renumbered"].items()))
    assert f"renumbered:</span> <span dir=\"auto\">{mapping}</span>" in html


def test_the_page_is_for_the_chair_and_the_secretary(logged, app):
    for who, status in (("chair", 200), ("secretary", 200), ("mover", 403), ("organiser", 403)):
        client = app.test_client()
        token = csrf_token(client, "/login")
        client.post("/login", data={"email": f"{who}@example.org", "password": PASSWORD, "csrf_token": token})
        assert client.get(f"/m/{SLUG}/audit").status_code == status, who


# ------------------------------------------------------------------ concurrent appends

THREADS = 8
EACH = 5


def _in_threads(app, work) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                work(n)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001  (reported by the test)
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_concurrent_appends_make_one_gap_free_chain(app, factory):
    """Eight threads append to a meeting that has no log yet (so they race to create its head too)."""
    slug = factory.meeting("busy")
    with app.app_context():
        from motions.meetings.operations import get_meeting

        meeting_id = get_meeting(slug).id
        db.session.remove()

    def work(n: int) -> None:
        for k in range(EACH):
            audit.append(meeting_id, None, "test.concurrent", "meeting", meeting_id, {"thread": n, "k": k})
            db.session.commit()

    assert _in_threads(app, work) == []
    with app.app_context():
        entries = audit.entries(meeting_id)
        assert [e.seq for e in entries] == list(range(1, THREADS * EACH + 1))
        assert sorted((e.data["thread"], e.data["k"]) for e in entries) == [
            (n, k) for n in range(THREADS) for k in range(EACH)]
        assert audit.verify() == []
        db.session.remove()


def test_concurrent_check_ins_make_one_gap_free_chain(app, factory):
    """Real operations at once: every delegate checks in and out on their own, at the same moment."""
    from motions.meetings import operations as meetings

    slug = factory.meeting("check-ins", self_checkin=True)
    people = [factory.person(slug, "delegate", email=f"d{n}@example.org") for n in range(THREADS)]
    with app.app_context():
        meeting_id = meetings.get_meeting(slug).id
        db.session.remove()

    def work(n: int) -> None:
        for k in range(EACH):
            meeting = meetings.get_meeting(slug)
            meetings.check_in_self(meeting, meetings.get_membership(meeting, people[n]), k % 2 == 0)

    assert _in_threads(app, work) == []
    with app.app_context():
        entries = audit.entries(meeting_id)
        assert [e.seq for e in entries] == list(range(1, THREADS * EACH + 1))
        assert all(e.actor_id == e.subject_id for e in entries)
        for n in range(THREADS):
            mine = [e.data["to"] for e in entries if e.actor_id == people[n]]
            assert mine == ["present", "absent"] * (EACH // 2) + ["present"] * (EACH % 2)
        assert audit.verify() == []
        db.session.remove()

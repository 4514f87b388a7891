"""API elections (issue 7): set up, nominations with the meeting's seconder rule, withdrawals, the
ballots (and proxies), the count stage by stage under each method, reserved seats, voiding, BLT
export and import; every refusal with its status and code; and the secret ballot: nothing the API
shows says who chose what.

Every 2xx body is validated against the schema that /api/v1/openapi.json publishes for the call;
every refusal has the contract's error body and leaves every table as it was.

Runs on SQLite and, with MOTIONS_TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator

from motions.extensions import db
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")

# key: roles; ann..eve are delegates, eve absent
PEOPLE = {
    "chair": ("chair",),
    "secretary": ("secretary",),
    "organiser": ("organiser",),
    "ann": ("delegate",),
    "ben": ("delegate",),
    "cat": ("delegate",),
    "dan": ("delegate",),
    "eve": ("delegate",),
}
ELECTION_FIELDS = {"id", "title", "seats", "method", "state", "reserved_seats", "reserved_group",
                   "nominations_close_at", "nominations_open", "rule", "reserved_rule", "candidates", "voted",
                   "entitled", "quorum_met", "imported", "opened_at", "closed_at", "void_reason", "result", "you"}
CANDIDATE_FIELDS = {"id", "election_id", "person_id", "name", "organisation", "statement", "in_group", "state",
                    "position", "nominated_by", "seconders", "seconders_needed"}


# ------------------------------------------------------------------ the published schemas

_SPEC: dict = {}


def published(client) -> dict:
    if not _SPEC:
        response = client.get("/api/v1/openapi.json")
        assert response.status_code == 200
        _SPEC.update(response.get_json())
    return _SPEC


def _template(spec: dict, path: str) -> str:
    path = path.split("?")[0]
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not described in /api/v1/openapi.json")


def validate_2xx(client, method: str, path: str, response) -> None:
    spec = published(client)
    op = spec["paths"][_template(spec, path)][method.lower()]
    assert str(response.status_code) in op["responses"], (path, response.status_code)
    content = op["responses"][str(response.status_code)]["content"]
    assert response.mimetype in content, (path, response.mimetype)
    schema = content[response.mimetype]["schema"]
    body = response.get_json() if response.mimetype == "application/json" else response.get_data(as_text=True)
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)


# ------------------------------------------------------------------ the world

@pytest.fixture
def world(app, client, factory):
    """A meeting in session that asks for one seconder: chair, secretary, organiser, five delegates
    (ann..eve), ann..dan present and eve absent; an outsider who holds every role in another meeting."""
    from motions.meetings import operations

    slug = factory.meeting("congress", title="Congress", seconders_required=1)
    w = SimpleNamespace(app=app, client=client, factory=factory, slug=slug)
    for key, roles in PEOPLE.items():
        email = f"{key}@example.org"
        person_id = factory.person(slug, *roles, email=email, name=key.title(), organisation=f"{key.title()} Union")
        setattr(w, key, SimpleNamespace(id=person_id, email=email, token=factory.token(email)))
    other = factory.meeting("other-meeting")
    factory.person(other, "delegate", "chair", "secretary", "organiser", email="outsider@example.org")
    w.outsider = SimpleNamespace(token=factory.token("outsider@example.org"))
    with app.app_context():
        operations.set_meeting_state(operations.get_meeting(slug), "in_session")
        db.session.remove()
    for key in ("ann", "ben", "cat", "dan"):
        ok(call(w, "POST", f"/api/v1/meetings/{slug}/attendance", "chair", {"person_id": getattr(w, key).id,
                                                                             "present": True}))
    return w


def call(world, method: str, path: str, who: str | None = "chair", body=None, *, raw: bytes | None = None,
         headers: dict | None = None):
    """One API request as `who` (None: without a token); a 2xx answer is checked against the published schema."""
    headers = dict(headers or {})
    if who is not None:
        headers.update(bearer(getattr(world, who).token))
    kwargs = {"headers": headers}
    if raw is not None:
        kwargs.update(data=raw, content_type="application/json")
    elif body is not None:
        kwargs["json"] = body
    response = world.client.open(path, method=method, **kwargs)
    if 200 <= response.status_code < 300:
        validate_2xx(world.client, method, path, response)
    return response


def ok(response, status: int = 200):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


@contextmanager
def nothing_stored(app):
    """The block's requests are refused: every row of every table as it was."""
    before = snapshot(app)
    yield
    assert snapshot(app) == before


def create(world, who: str = "chair", **body):
    return call(world, "POST", f"/api/v1/meetings/{world.slug}/elections", who, body)


def created(world, **body) -> dict:
    body.setdefault("title", "Steering Committee")
    body.setdefault("seats", 2)
    body.setdefault("method", "scottish")
    return ok(create(world, **body), 201)


def act(world, election_id: int, action: str, who: str = "chair", body=None):
    return call(world, "POST", f"/api/v1/elections/{election_id}/{action}", who, body)


def get(world, election_id: int, who: str = "chair") -> dict:
    return ok(call(world, "GET", f"/api/v1/elections/{election_id}", who))


def nominate(world, election_id: int, who: str = "chair", **body):
    return call(world, "POST", f"/api/v1/elections/{election_id}/candidates", who, body)


def entered(world, election_id: int, *names: str, **body) -> list[int]:
    """Candidates entered by the chair (standing at once)."""
    return [ok(nominate(world, election_id, "chair", name=name, **body), 201)["id"] for name in names]


def vote(world, election_id: int, who: str, preferences, on_behalf_of=None):
    body = {"preferences": preferences}
    if on_behalf_of is not None:
        body["on_behalf_of"] = on_behalf_of
    return call(world, "POST", f"/api/v1/elections/{election_id}/ballots", who, body)


def ready(world, names=("Ann", "Ben", "Yan", "Zoe"), **settings) -> tuple[int, dict[str, int]]:
    """An election with the chair's candidates, its ballots open: (id, candidate ids by name)."""
    election = created(world, **settings)["id"]
    ids = dict(zip(names, entered(world, election, *names)))
    ok(act(world, election, "open"))
    return election, ids


def closed(world, election_id: int) -> dict:
    shown = ok(act(world, election_id, "close"))
    assert shown["state"] == "closed" and shown["closed_at"]
    return shown


def check_stages(result: dict) -> None:
    """At every stage of every STV count: votes + non-transferable + loss = the valid ballots."""
    for count in result["counts"]:
        if count["kind"] != "stv":
            continue
        assert count["stages"], count
        valid = Decimal(count["valid"])
        for stage in count["stages"]:
            total = sum(Decimal(v) for v in stage["votes"]) + Decimal(stage["non_transferable"]) \
                + Decimal(stage["loss"])
            assert total == valid, (stage, valid)


def set_meeting(app, slug: str, **values) -> None:
    from motions.meetings.models import Meeting

    with app.app_context():
        meeting = db.session.execute(db.select(Meeting).filter_by(slug=slug)).scalar_one()
        for key, value in values.items():
            setattr(meeting, key, value)
        db.session.commit()
        db.session.remove()


def audit_actions(world) -> list[str]:
    return [e["action"] for e in ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/audit", "chair"))
            if e["action"].startswith("election.")]


# ------------------------------------------------------------------ the whole life of an election

def test_the_life_of_an_election(world):
    from motions.counting import blt

    election = created(world, title="  Steering   Committee ", seats=2, method="scottish")
    assert ELECTION_FIELDS == set(election)
    assert (election["title"], election["seats"], election["method"], election["state"]) == (
        "Steering Committee", 2, "scottish", "draft")
    assert election["result"] is None and election["candidates"] == [] and election["voted"] == 0
    assert election["entitled"] == 5 and election["reserved_rule"] == "" and "Scottish" in election["rule"]
    eid = election["id"]
    assert [e["id"] for e in ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/elections", "ann"))] == [eid]

    # nominations: a delegate nominates, another seconds, and it stands
    shown = ok(act(world, eid, "nominations/open"))
    assert shown["state"] == "nominating" and shown["nominations_open"] is True
    assert get(world, eid, "ann")["you"]["can_nominate"] is True
    ben = ok(nominate(world, eid, "ann", person_id=world.ben.id, statement="Ben will\n\nfight  on."), 201)
    assert CANDIDATE_FIELDS == set(ben)
    assert (ben["name"], ben["organisation"], ben["state"], ben["statement"]) == (
        "Ben", "Ben Union", "nominated", "Ben will\n\nfight on.")
    assert ben["nominated_by"] == {"id": world.ann.id, "name": "Ann"} and ben["seconders"] == []
    assert ben["seconders_needed"] == 1 and ben["person_id"] == world.ben.id and ben["position"] is None
    ben = ok(call(world, "POST", f"/api/v1/candidates/{ben['id']}/second", "cat"))
    assert ben["state"] == "standing" and ben["seconders"] == [{"id": world.cat.id, "name": "Cat"}]
    ann = ok(nominate(world, eid, "ann", person_id=world.ann.id), 201)  # herself
    ann = ok(call(world, "POST", f"/api/v1/candidates/{ann['id']}/second", "dan"))
    assert ann["state"] == "standing"
    waiting = ok(nominate(world, eid, "dan", person_id=world.eve.id), 201)  # never seconded: not on the ballot
    # the chair enters candidates: standing at once; one withdraws
    zoe, yan = entered(world, eid, "Zoe Outside", "Yan")
    cat = ok(nominate(world, eid, "chair", person_id=world.cat.id), 201)
    assert cat["state"] == "standing" and cat["seconders"] == []
    cat = ok(call(world, "POST", f"/api/v1/candidates/{cat['id']}/withdraw", "cat"))
    assert cat["state"] == "withdrawn"
    # the candidate edits their statement; the chair corrects a name
    ben = ok(call(world, "PATCH", f"/api/v1/candidates/{ben['id']}", "ben", {"statement": "Bread and roses."}))
    assert ben["statement"] == "Bread and roses."
    assert ok(call(world, "PATCH", f"/api/v1/candidates/{zoe}", "chair", {"name": "Zoe"}))["name"] == "Zoe"
    shown = ok(act(world, eid, "nominations/close"))
    assert shown["state"] == "nominations_closed" and shown["nominations_open"] is False
    states = {c["name"]: c["state"] for c in shown["candidates"]}
    assert states == {"Ann": "standing", "Ben": "standing", "Yan": "standing", "Zoe": "standing",
                      "Eve": "nominated", "Cat": "withdrawn"}
    assert [c["name"] for c in shown["candidates"]][:4] == ["Ann", "Ben", "Yan", "Zoe"]  # the ballot, then the rest

    # eve, absent, gives her proxy to dan
    ok(call(world, "POST", f"/api/v1/meetings/{world.slug}/proxies", "secretary",
            {"giver_id": world.eve.id, "holder_id": world.dan.id}), 201)
    shown = ok(act(world, eid, "open"))
    assert shown["state"] == "open" and shown["opened_at"] and shown["quorum_met"] is True
    assert [(c["name"], c["position"]) for c in shown["candidates"][:4]] == [("Ann", 1), ("Ben", 2), ("Yan", 3),
                                                                             ("Zoe", 4)]
    assert get(world, eid, "ann")["you"] == {
        "can_nominate": False, "can_vote": True, "present": True,
        "votes": [{"voter_id": world.ann.id, "name": "Ann", "own": True, "voted": False}]}
    assert [v["voter_id"] for v in get(world, eid, "dan")["you"]["votes"]] == [world.dan.id, world.eve.id]

    A, B, Y, Z = ann["id"], ben["id"], yan, zoe
    cast = {"ann": [B, A], "ben": [B, Z], "cat": [Z, B], "dan": [A, B]}
    for who, preferences in cast.items():
        receipt = ok(vote(world, eid, who, preferences), 201)
        assert receipt == {"election_id": eid, "voter_id": getattr(world, who).id, "on_behalf_of": None}
    receipt = ok(vote(world, eid, "dan", [B, A], on_behalf_of=world.eve.id), 201)
    assert receipt == {"election_id": eid, "voter_id": world.eve.id, "on_behalf_of": world.eve.id}
    shown = get(world, eid, "dan")
    assert shown["voted"] == 5 and shown["result"] is None and shown["you"]["can_vote"] is False
    assert all(v["voted"] for v in shown["you"]["votes"])

    # the count
    shown = closed(world, eid)
    result = shown["result"]
    assert (result["method"], result["papers"], result["valid"], result["invalid"], result["error"]) == (
        "scottish", 5, 5, 0, None)
    assert [(e["candidate_id"], e["name"], e["reserved"]) for e in result["elected"]] == [
        (B, "Ben", False), (A, "Ann", False)]
    assert re.fullmatch(r"[0-9a-f]{16}", result["seed"])
    (count,) = result["counts"]
    assert (count["part"], count["kind"], count["seats"], count["quota"]) == ("all", "stv", 2, "2")
    assert count["candidate_ids"] == [A, B, Y, Z] and count["elected"] == [B, A]
    first = count["stages"][0]
    assert [Decimal(v) for v in first["votes"]] == [1, 3, 0, 1]
    assert first["elected"] == [B]
    surplus = count["stages"][1]
    assert surplus["subject"] == B
    # Ben's surplus of 1 on his 3 papers: 0.33333 each (truncated), Ann gets two of them
    assert [Decimal(v) for v in surplus["votes"]] == [Decimal("1.66666"), 2, 0, Decimal("1.33333")]
    assert Decimal(surplus["loss"]) == Decimal("0.00001")
    check_stages(result)
    assert count["table"] and all(isinstance(cell, str) for row in count["table"] for cell in row)
    assert get(world, eid, "eve")["result"] == result  # every member reads the same result

    # the papers as BLT: they parse back to the same papers
    response = call(world, "GET", f"/api/v1/elections/{eid}/ballots", "ann")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    parsed = blt.parse(response.get_data(as_text=True))
    assert parsed.candidates == ("Ann", "Ben", "Yan", "Zoe") and parsed.seats == 2
    assert parsed.title == "Steering Committee"
    names = {A: 0, B: 1, Y: 2, Z: 3}
    expected = Counter(tuple(names[c] for c in p) for p in [*cast.values(), [B, A]])
    got = Counter()
    for paper in parsed.ballots:
        got[paper.preferences] += paper.weight
    assert got == expected

    assert audit_actions(world) == [
        "election.created", "election.nominations_opened", "election.nominated", "election.seconded",
        "election.nominated", "election.seconded", "election.nominated", "election.nominated",
        "election.nominated", "election.nominated", "election.withdrawn", "election.candidate_changed",
        "election.candidate_changed", "election.nominations_closed", "election.opened", "election.closed"]

    # the result stays when the election is voided afterwards (kept, marked void)
    shown = ok(act(world, eid, "void", body={"reason": "The hall was double-booked."}))
    assert shown["state"] == "void" and shown["void_reason"] == "The hall was double-booked."
    assert shown["result"] == result


def test_every_method_counts(world):
    """Meek STV, approval and plurality at large, each through the API."""
    meek, ids = ready(world, method="meek")
    A, B, Y, Z = (ids[n] for n in ("Ann", "Ben", "Yan", "Zoe"))
    for who, preferences in {"ann": [B, A], "ben": [B, Z], "cat": [Z, B], "dan": [A, B]}.items():
        ok(vote(world, meek, who, preferences), 201)
    result = closed(world, meek)["result"]
    assert result["method"] == "meek" and len(result["elected"]) == 2
    assert result["elected"][0]["candidate_id"] == B
    check_stages(result)

    approval, ids = ready(world, method="approval", seats=2)
    A, B, Y, Z = (ids[n] for n in ("Ann", "Ben", "Yan", "Zoe"))
    for who, marks in {"ann": [A, B, Y], "ben": [B], "cat": [Z, B], "dan": [A, Y]}.items():
        ok(vote(world, approval, who, marks), 201)
    result = closed(world, approval)["result"]
    (count,) = result["counts"]
    assert count["kind"] == "tally" and count["quota"] is None and count["stages"] == []
    assert count["votes"] == [2, 3, 2, 1]  # in ballot order: Ann, Ben, Yan, Zoe
    assert result["elected"][0]["candidate_id"] == B and len(result["elected"]) == 2

    plurality, ids = ready(world, method="plurality", seats=2)
    A, B, Y, Z = (ids[n] for n in ("Ann", "Ben", "Yan", "Zoe"))
    with nothing_stored(world.app):
        error = assert_error(vote(world, plurality, "ann", [A, B, Y]), 422, "validation_failed", {"preferences"})
        assert "at most 2" in error["fields"]["preferences"]
    for who, marks in {"ann": [A, B], "ben": [B], "cat": [Z, B], "dan": [A]}.items():
        ok(vote(world, plurality, who, marks), 201)
    result = closed(world, plurality)["result"]
    assert result["counts"][0]["votes"] == [2, 3, 0, 1]
    assert [e["candidate_id"] for e in result["elected"]] == [B, A]


def test_an_empty_ballot_is_stored_and_counted_as_invalid(world):
    election, ids = ready(world, seats=1)
    receipt = ok(vote(world, election, "ann", []), 201)
    assert receipt["voter_id"] == world.ann.id
    assert get(world, election)["voted"] == 1
    with nothing_stored(world.app):
        assert_error(vote(world, election, "ann", [ids["Ann"]]), 409, "already_voted")
    ok(vote(world, election, "ben", [ids["Ben"]]), 201)
    ok(vote(world, election, "cat", [ids["Ben"], ids["Ann"]]), 201)
    result = closed(world, election)["result"]
    assert (result["papers"], result["valid"], result["invalid"]) == (3, 2, 1)
    assert result["counts"][0]["invalid"] == 1
    assert [e["name"] for e in result["elected"]] == ["Ben"]
    check_stages(result)


def test_reserved_seats(world):
    election = created(world, seats=2, reserved_seats=1, reserved_group="women")
    assert election["reserved_seats"] == 1 and election["reserved_group"] == "women"
    assert "At least 1 of the 2 seats are reserved for women" in election["reserved_rule"]
    eid = election["id"]
    A, B, C = entered(world, eid, "Ann", "Bob", "Cy")
    with nothing_stored(world.app):  # nobody of the group stands yet
        assert_error(act(world, eid, "open"), 409, "too_few_candidates")
    ok(call(world, "PATCH", f"/api/v1/candidates/{A}", "chair", {"in_group": True}))
    (D,) = entered(world, eid, "Dee", in_group=True)
    ok(act(world, eid, "open"))
    # Bob and Cy lead, but one seat goes to a woman: Ann, who has more votes than Dee
    for who, preferences in {"ann": [B, A], "ben": [C, B], "cat": [B, C], "dan": [A, D]}.items():
        ok(vote(world, eid, who, preferences), 201)
    result = closed(world, eid)["result"]
    assert [c["part"] for c in result["counts"]] == ["reserved", "general"]
    assert {(e["candidate_id"], e["reserved"]) for e in result["elected"]} == {(A, True), (B, False)}
    check_stages(result)


def test_settings_change_until_the_ballots_open(world):
    eid = created(world)["id"]
    shown = ok(act(world, eid, "settings", body={"seats": 1, "nominations_close_at": "2031-05-01T18:00+02:00"}))
    assert (shown["title"], shown["seats"], shown["nominations_close_at"]) == (
        "Steering Committee", 1, "2031-05-01T16:00:00Z")
    shown = ok(act(world, eid, "settings", body={"nominations_close_at": None, "method": "approval"}))
    assert (shown["nominations_close_at"], shown["method"]) == (None, "approval")
    assert ok(act(world, eid, "settings", body={}))["seats"] == 1  # nothing to change
    with nothing_stored(world.app):
        assert_error(act(world, eid, "settings", body={"seats": 0, "method": "borda"}), 422, "validation_failed",
                     {"seats", "method"})
        assert_error(act(world, eid, "settings", body={"reserved_seats": 1}), 422, "validation_failed",
                     {"reserved_seats", "reserved_group"})
        assert_error(act(world, eid, "settings", "ann", {"seats": 3}), 403, "forbidden")
    entered(world, eid, "Ann", "Ben")
    ok(act(world, eid, "open"))
    with nothing_stored(world.app):
        assert_error(act(world, eid, "settings", body={"seats": 2}), 409, "ballots_opened")


def test_a_nomination_deadline_past_closes_nominations_for_delegates(world):
    eid = created(world, nominations_close_at="2001-01-01T00:00:00Z")["id"]
    shown = ok(act(world, eid, "nominations/open"))
    assert shown["nominations_open"] is False and shown["nominations_close_at"] == "2001-01-01T00:00:00Z"
    with nothing_stored(world.app):
        assert_error(nominate(world, eid, "ann", person_id=world.ben.id), 409, "nominations_closed")
    ok(nominate(world, eid, "chair", name="Zoe"), 201)  # the chair still enters candidates


def test_import_ballots_from_a_blt_file(world):
    eid = created(world, seats=2, title="Paper ballot")["id"]
    text = ('4 2\n'
            '3 1 2 0\n'
            '2 2 0\n'
            '1 3 4 0\n'
            '1 4 3 0\n'
            '1 0\n'
            '0\n'
            '"Ann"\n"Ben"\n"Cy"\n"Dee"\n"Paper ballot"\n')
    shown = ok(act(world, eid, "ballots/import", body={"blt": text}))
    assert shown["state"] == "closed" and shown["imported"] is True
    assert [c["name"] for c in shown["candidates"]] == ["Ann", "Ben", "Cy", "Dee"]
    result = shown["result"]
    assert (result["papers"], result["valid"], result["invalid"]) == (8, 7, 1)
    assert [e["name"] for e in result["elected"]] == ["Ann", "Ben"]
    check_stages(result)
    # and out again: the same papers
    from motions.counting import blt

    again = blt.parse(call(world, "GET", f"/api/v1/elections/{eid}/ballots", "ann").get_data(as_text=True))
    original = blt.parse(text)
    assert again.candidates == original.candidates
    assert Counter({b.preferences: b.weight for b in again.ballots}) == Counter(
        {b.preferences: b.weight for b in original.ballots})
    with nothing_stored(world.app):  # once counted, no second import
        assert_error(act(world, eid, "ballots/import", body={"blt": text}), 409, "illegal_transition")


BAD_BLT = [
    ("2 1\n1 1 2\n0\n\"A\"\n\"B\"\n\"T\"\n", 2, "must end with 0"),
    ("2 1\n1 1 1 0\n0\n\"A\"\n\"B\"\n\"T\"\n", 2, "ranked twice"),
    ("2 1\n1 3 0\n0\n\"A\"\n\"B\"\n\"T\"\n", 2, "names no candidate"),
    ("two one\n", 1, "the number of candidates"),
    ("2 1\n1 1 0\n0\n\"A\"\n", 5, "too few names"),
]


@pytest.mark.parametrize("text, line, reason", BAD_BLT, ids=[f"blt{i}" for i in range(len(BAD_BLT))])
def test_a_malformed_blt_file_is_a_422_naming_the_line(world, text, line, reason):
    eid = created(world, seats=1)["id"]
    with nothing_stored(world.app):
        error = assert_error(act(world, eid, "ballots/import", body={"blt": text}), 422, "validation_failed",
                             {"blt"})
        assert f"Line {line} of the file" in error["fields"]["blt"], error
        assert reason in error["fields"]["blt"], error


def test_import_refusals(world):
    eid = created(world, seats=1)["id"]
    entered(world, eid, "Ann", "Ben")
    good = '2 1\n1 1 0\n0\n"Ann"\n"Ben"\n"Steering Committee"\n'
    with nothing_stored(world.app):
        # the file's candidates must be the election's
        error = assert_error(act(world, eid, "ballots/import", body={"blt": good.replace('"Ben"', '"Bob"')}), 422,
                             "validation_failed", {"blt"})
        assert "Bob" in error["fields"]["blt"] and "Ben" in error["fields"]["blt"]
        assert_error(act(world, eid, "ballots/import", body={"blt": good.replace("2 1\n", "2 2\n", 1)}), 422,
                     "validation_failed", {"blt"})  # seats
        assert_error(act(world, eid, "ballots/import", body={"blt": ""}), 422, "validation_failed", {"blt"})
        # more papers than a count stores (a weight past the database's integers was a 500)
        for lines, line in ((["10000001 1 0"], 2), (["2147483648 1 0"], 2), ([f"{10**30} 1 0"], 2),
                            (["# many", "6000000 1 0", "", "6000000 2 0"], 5)):
            heavy = good.replace("\n1 1 0", "\n" + "\n".join(lines))
            error = assert_error(act(world, eid, "ballots/import", body={"blt": heavy}), 422, "validation_failed",
                                 {"blt"})
            assert error["fields"]["blt"] == (f"Line {line} of the file: the ballot lines add up to more than "
                                               f"10,000,000 papers."), heavy
        assert_error(act(world, eid, "ballots/import", body={"blt": 7}), 422, "validation_failed", {"blt"})
        assert_error(act(world, eid, "ballots/import", body={}), 422, "validation_failed", {"blt"})
        assert_error(act(world, eid, "ballots/import", "ann", {"blt": good}), 403, "forbidden")
        assert_error(call(world, "POST", f"/api/v1/elections/{eid}/ballots/import", "chair", raw=b'{"blt": '), 400,
                     "malformed_json")
    ok(act(world, eid, "open"))
    with nothing_stored(world.app):
        assert_error(act(world, eid, "ballots/import", body={"blt": good}), 409, "illegal_transition")


# ------------------------------------------------------------------ refusals

CREATE_422 = [
    ({"seats": 0}, {"seats"}),
    ({"seats": 101}, {"seats"}),
    ({"seats": "two"}, {"seats"}),
    ({"method": "borda"}, {"method"}),
    ({"title": " "}, {"title"}),
    ({"title": "x" * 301}, {"title"}),
    ({"reserved_seats": 2, "reserved_group": "women"}, {"reserved_seats"}),  # not fewer than the seats
    ({"reserved_seats": 1}, {"reserved_group"}),
    ({"reserved_seats": -1}, {"reserved_seats"}),
    ({"nominations_close_at": "next Tuesday"}, {"nominations_close_at"}),
    ({"nominations_close_at": 5}, {"nominations_close_at"}),
    # no time in UTC: before the calendar's first day, after its last
    ({"nominations_close_at": "0001-01-01T00:00+01:00"}, {"nominations_close_at"}),
    ({"nominations_close_at": "9999-12-31T23:59-01:00"}, {"nominations_close_at"}),
    ({"seats": 0, "method": "borda", "title": ""}, {"seats", "method", "title"}),
]


def test_create_validation_422(world):
    with nothing_stored(world.app):
        for body, fields in CREATE_422:
            response = create(world, **{"title": "T", "seats": 2, "method": "scottish", **body})
            assert_error(response, 422, "validation_failed", fields)
        assert_error(create(world), 422, "validation_failed", {"title", "seats", "method"})


def test_create_and_read_refusals_401_403_404_400(world):
    body = {"title": "T", "seats": 1, "method": "scottish"}
    with nothing_stored(world.app):
        for who in ("ann", "secretary", "organiser", "outsider"):
            assert_error(create(world, who, **body), 403, "forbidden")
        assert_error(create(world, None, **body), 401, "unauthorized")
        assert_error(call(world, "POST", "/api/v1/meetings/no-such-meeting/elections", "chair", body), 404,
                     "not_found")
        assert_error(call(world, "POST", f"/api/v1/meetings/{world.slug}/elections", "chair", raw=b"{not json"), 400,
                     "malformed_json")
        assert_error(call(world, "POST", f"/api/v1/meetings/{world.slug}/elections", "chair", raw=b"[]"), 400,
                     "malformed_json")
    eid = created(world)["id"]
    (cid,) = entered(world, eid, "Ann")
    for path in (f"/api/v1/elections/{eid}", f"/api/v1/meetings/{world.slug}/elections"):
        assert_error(call(world, "GET", path, None), 401, "unauthorized")
        assert_error(call(world, "GET", path, "outsider"), 403, "forbidden")
    for path in ("/api/v1/elections/999999", "/api/v1/elections/0", f"/api/v1/elections/{2**31}",
                 "/api/v1/elections/999999/ballots"):
        assert_error(call(world, "GET", path, "chair"), 404, "not_found")
    with nothing_stored(world.app):
        for action in ("open", "close", "nominations/open", "nominations/close"):
            assert_error(act(world, 999999, action), 404, "not_found")
            assert_error(act(world, eid, action, "ann"), 403, "forbidden")
            assert_error(act(world, eid, action, "outsider"), 403, "forbidden")
        for action in ("second", "withdraw"):
            assert_error(call(world, "POST", f"/api/v1/candidates/999999/{action}", "ann"), 404, "not_found")
            assert_error(call(world, "POST", f"/api/v1/candidates/{cid}/{action}", "outsider"), 403, "forbidden")
        assert_error(call(world, "PATCH", "/api/v1/candidates/999999", "chair", {"statement": "x"}), 404, "not_found")
        assert_error(vote(world, 999999, "ann", []), 404, "not_found")
        assert_error(act(world, eid, "void", "ann", {"reason": "No."}), 403, "forbidden")


def test_nomination_refusals(world):
    eid = created(world)["id"]
    with nothing_stored(world.app):  # nominations are not open yet: only the chair enters candidates
        assert_error(nominate(world, eid, "ann", person_id=world.ben.id), 409, "nominations_closed")
        for who in ("secretary", "organiser", "outsider"):
            assert_error(nominate(world, eid, who, name="Zed"), 403, "forbidden")
        assert_error(nominate(world, eid, "chair"), 422, "validation_failed", {"name"})
        assert_error(nominate(world, eid, "chair", name="Zed", in_group="yes"), 422, "validation_failed",
                     {"in_group"})
        assert_error(nominate(world, eid, "chair", person_id=999999), 422,
                     "validation_failed", {"person_id"})
        assert_error(nominate(world, eid, "chair", name="x" * 201), 422, "validation_failed", {"name"})
    ok(act(world, eid, "nominations/open"))
    ben = ok(nominate(world, eid, "ann", person_id=world.ben.id), 201)["id"]
    with nothing_stored(world.app):
        assert_error(nominate(world, eid, "ann", name="Zed"), 422, "validation_failed", {"person_id"})
        assert_error(nominate(world, eid, "cat", person_id=world.ben.id), 409, "already_nominated")
        # not one's own nomination, nor one's own candidacy
        assert_error(call(world, "POST", f"/api/v1/candidates/{ben}/second", "ann"), 403, "own_nomination")
        assert_error(call(world, "POST", f"/api/v1/candidates/{ben}/second", "ben"), 403, "own_nomination")
        assert_error(call(world, "POST", f"/api/v1/candidates/{ben}/second", "chair"), 403, "forbidden")
        # someone else's candidate
        assert_error(call(world, "POST", f"/api/v1/candidates/{ben}/withdraw", "cat"), 403, "forbidden")
        assert_error(call(world, "PATCH", f"/api/v1/candidates/{ben}", "cat", {"statement": "Hi."}), 403, "forbidden")
        # the nominator changes the statement, not the name
        assert_error(call(world, "PATCH", f"/api/v1/candidates/{ben}", "ann", {"name": "Benjamin"}), 422,
                     "validation_failed", {"name"})
        assert_error(call(world, "PATCH", f"/api/v1/candidates/{ben}", "ann", {"in_group": 1}), 422,
                     "validation_failed", {"in_group"})
    ok(call(world, "POST", f"/api/v1/candidates/{ben}/second", "cat"))
    with nothing_stored(world.app):
        assert_error(call(world, "POST", f"/api/v1/candidates/{ben}/second", "cat"), 409, "already_seconded")
        assert_error(act(world, eid, "open"), 409, "nominating")
    ok(act(world, eid, "nominations/close"))
    with nothing_stored(world.app):
        assert_error(nominate(world, eid, "dan", person_id=world.dan.id), 409, "nominations_closed")
        assert_error(call(world, "POST", f"/api/v1/candidates/{ben}/second", "dan"), 409, "nominations_closed")
    ok(call(world, "POST", f"/api/v1/candidates/{ben}/withdraw", "ben"))
    with nothing_stored(world.app):
        assert_error(call(world, "POST", f"/api/v1/candidates/{ben}/withdraw", "ben"), 409, "withdrawn")
        assert_error(call(world, "PATCH", f"/api/v1/candidates/{ben}", "ben", {"statement": "Back."}), 409,
                     "withdrawn")


def test_opening_refusals(world):
    eid = created(world, seats=3)["id"]
    entered(world, eid, "Ann", "Ben")
    with nothing_stored(world.app):  # more seats than candidates
        error = assert_error(act(world, eid, "open"), 409, "too_few_candidates")
        assert "3 seats" in error["message"] and "2 candidates" in error["message"]
        assert_error(act(world, eid, "close"), 409, "election_not_open")
        assert_error(act(world, eid, "open", body={"confirm_without_quorum": "yes"}), 422, "validation_failed",
                     {"confirm_without_quorum"})
    entered(world, eid, "Cy")
    set_meeting(world.app, world.slug, quorum="5")  # 4 of 5 delegates are present
    with nothing_stored(world.app):
        error = assert_error(act(world, eid, "open"), 409, "no_quorum")
        assert "4 present, 5 needed" in error["message"]
    shown = ok(act(world, eid, "open", body={"confirm_without_quorum": True}))
    assert shown["state"] == "open" and shown["quorum_met"] is False
    with nothing_stored(world.app):
        assert_error(act(world, eid, "open"), 409, "illegal_transition")
        assert_error(act(world, eid, "nominations/open"), 409, "illegal_transition")
        assert_error(nominate(world, eid, "chair", name="Late"), 409, "nominations_closed")
        cid = shown["candidates"][0]["id"]
        assert_error(call(world, "POST", f"/api/v1/candidates/{cid}/withdraw", "chair"), 409, "ballots_opened")
        assert_error(call(world, "PATCH", f"/api/v1/candidates/{cid}", "chair", {"statement": "x"}), 409,
                     "ballots_opened")
        assert_error(call(world, "GET", f"/api/v1/elections/{eid}/ballots", "chair"), 409, "not_closed")


def test_ballot_refusals(world):
    eid = created(world, seats=1)["id"]
    A, B = entered(world, eid, "Ann", "Ben")
    with nothing_stored(world.app):
        assert_error(vote(world, eid, "ann", [A]), 409, "election_not_open")
    ok(call(world, "POST", f"/api/v1/meetings/{world.slug}/proxies", "secretary",
            {"giver_id": world.eve.id, "holder_id": world.ann.id}), 201)
    ok(act(world, eid, "open"))
    other = created(world, seats=1, title="Other")["id"]
    (elsewhere,) = entered(world, other, "Cy")
    with nothing_stored(world.app):
        error = assert_error(vote(world, eid, "ann", [A, B, A]), 422, "validation_failed", {"preferences"})
        assert "Ann more than once" in error["fields"]["preferences"]
        error = assert_error(vote(world, eid, "ann", [A, elsewhere]), 422, "validation_failed", {"preferences"})
        assert str(elsewhere) in error["fields"]["preferences"]
        for bad in ([0], [-1], [A, "Ben"], [True], "Ann", None, {"1": A}, [2**31]):
            assert_error(vote(world, eid, "ann", bad), 422, "validation_failed", {"preferences"})
        assert_error(call(world, "POST", f"/api/v1/elections/{eid}/ballots", "ann", {}), 422, "validation_failed",
                     {"preferences"})
        assert_error(vote(world, eid, "ann", [A], on_behalf_of="eve"), 422, "validation_failed", {"on_behalf_of"})
        assert_error(call(world, "POST", f"/api/v1/elections/{eid}/ballots", "ann", raw=b"[1"), 400,
                     "malformed_json")
        assert_error(vote(world, eid, "eve", [A]), 409, "not_present")  # eve has not checked in
        for who in ("chair", "secretary", "organiser", "outsider"):
            assert_error(vote(world, eid, who, [A]), 403, "forbidden")
        assert_error(vote(world, eid, None, [A]), 401, "unauthorized")
        assert_error(vote(world, eid, "ben", [A], on_behalf_of=world.eve.id), 403, "no_proxy")
    ok(vote(world, eid, "ann", [A]), 201)
    assert ok(vote(world, eid, "ann", [float(B)], on_behalf_of=world.eve.id), 201)["voter_id"] == world.eve.id
    with nothing_stored(world.app):  # one ballot each
        error = assert_error(vote(world, eid, "ann", [B]), 409, "already_voted")
        assert "already voted" in error["message"]
        error = assert_error(vote(world, eid, "ann", [B], on_behalf_of=world.eve.id), 409, "already_voted")
        assert "for this delegate" in error["message"]
    closed(world, eid)
    with nothing_stored(world.app):
        assert_error(vote(world, eid, "ben", [A]), 409, "election_not_open")
        assert_error(act(world, eid, "close"), 409, "election_not_open")
        assert_error(act(world, eid, "void", body={"reason": " "}), 422, "validation_failed", {"reason"})
        assert_error(act(world, eid, "void", body={}), 422, "validation_failed", {"reason"})


def test_a_void_election_takes_no_ballots(world):
    eid, ids = ready(world, seats=1)
    ok(vote(world, eid, "ann", [ids["Ann"]]), 201)
    shown = ok(act(world, eid, "void", body={"reason": "Wrong candidates."}))
    assert shown["state"] == "void" and shown["result"] is None
    with nothing_stored(world.app):
        assert_error(vote(world, eid, "ben", [ids["Ben"]]), 409, "election_not_open")
        assert_error(act(world, eid, "close"), 409, "election_not_open")
        assert_error(act(world, eid, "void", body={"reason": "Again."}), 409, "illegal_transition")
        assert_error(call(world, "GET", f"/api/v1/elections/{eid}/ballots", "chair"), 409, "not_closed")


def test_export_writes_any_candidate_names(world):
    """Names BLT cannot hold as they are (a double quote; two candidates of one name) are still
    exported, readably, and the file parses."""
    from motions.counting import blt

    eid = created(world, seats=1, title='The "Steering" Committee')["id"]
    entered(world, eid, 'Ann "Red" Able')
    ok(nominate(world, eid, "chair", name="Sam Smith", organisation="North"), 201)
    ok(nominate(world, eid, "chair", name="Sam Smith", organisation="South"), 201)
    ok(act(world, eid, "open"))
    ok(vote(world, eid, "ann", [get(world, eid)["candidates"][0]["id"]]), 201)
    closed(world, eid)
    response = call(world, "GET", f"/api/v1/elections/{eid}/ballots", "chair")
    assert response.status_code == 200, response.get_data(as_text=True)
    parsed = blt.parse(response.get_data(as_text=True))
    assert parsed.candidates == ("Ann 'Red' Able", "Sam Smith (North)", "Sam Smith (South)")
    assert parsed.title == "The 'Steering' Committee"


# ------------------------------------------------------------------ the secret ballot

def _normalised(shown: dict, names: dict[int, str]) -> dict:
    """An election as shown, with what differs between two elections by construction (ids, title,
    times, the lot's seed) taken out, and candidates named instead of numbered."""
    import copy

    out = copy.deepcopy(shown)
    out["id"] = out["title"] = None
    for key in ("opened_at", "closed_at"):
        out[key] = bool(out[key])
    for c in out["candidates"]:
        c["id"], c["election_id"] = names[c["id"]], None
    result = out["result"]
    if result:
        result["seed"] = None
        for e in result["elected"]:
            e["candidate_id"] = names[e["candidate_id"]]
        for count in result["counts"]:
            count["candidate_ids"] = [names[i] for i in count["candidate_ids"]]
            count["elected"] = [names[i] for i in count["elected"]]
            for stage in count["stages"]:
                stage["subject"] = names.get(stage["subject"])
                stage["elected"] = [names[i] for i in stage["elected"]]
                stage["excluded"] = [names[i] for i in stage["excluded"]]
    return out


def test_nothing_shown_says_who_chose_what(world):
    """Two elections whose ballots differ only in who cast which one are shown alike to everyone
    (the chair included), while open and once counted; the receipts name no candidate."""
    shown_to = ("chair", "secretary", "organiser", "ann", "ben", "cat")
    views: dict[str, list] = {who: [] for who in shown_to}
    receipts = []
    for title, ballots in (("First", {"ann": "X", "ben": "Y", "cat": "X"}),
                           ("Second", {"ann": "Y", "ben": "X", "cat": "X"})):
        eid, ids = ready(world, names=("X", "Y", "Z"), seats=1, title=title)
        for who, choice in ballots.items():
            receipt = ok(vote(world, eid, who, [ids[choice]]), 201)
            assert set(receipt) == {"election_id", "voter_id", "on_behalf_of"}
            receipts.append(receipt)
        names = {cid: name for name, cid in ids.items()}
        during = {who: _normalised(get(world, eid, who), names) for who in shown_to}
        closed(world, eid)
        after = {who: _normalised(get(world, eid, who), names) for who in shown_to}
        assert after["chair"]["result"]["elected"][0]["name"] == "X"
        for who in shown_to:
            views[who].append((during[who], after[who]))
    for who in shown_to:
        (first, second) = views[who]
        assert first == second, who
    # and the list of elections shows no more than each election does
    listed = ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/elections", "chair"))
    assert all(set(e) == ELECTION_FIELDS for e in listed)
    assert not _keys(listed) & {"preferences", "ballots", "choice", "cast_by_id", "voter"}


def _keys(node) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()

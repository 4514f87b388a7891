"""API polls (issue 4; the contract's "Polls" section): create, open, ballots (and proxies), close and
count under every majority rule, card votes, ties and the casting vote, hand counts, voiding,
deciding an amendment without a poll, the roll call of a named poll (and none for a secret one),
and the audit entries every change leaves.

Every 2xx body is validated against the schema that /api/v1/openapi.json publishes for the call;
every refusal has the contract's error body and leaves every table as it was.

Runs on SQLite and, with MOTIONS_TEST_DATABASE_URL, on PostgreSQL. The races (fifty ballots at
once, ballots racing the close) are in test_ballot_concurrency.py; what the database keeps of a
secret ballot is in test_secret_ballot.py; the live stream in test_live_events.py.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator

from motions.extensions import db
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")

# The contract's poll fields (api-v1.md, "Polls") and its result fields.
CONTRACT_FIELDS = {"id", "title", "subject", "state", "majority", "secret", "weighted", "options", "voted",
                   "entitled", "result"}
RESULT_FIELDS = {"counts", "base", "threshold", "outcome", "quorum_met"}

TEXT = (
    "# Platform\n"
    "\n"
    "We fight for all workers.\n"
    "\n"
    "We stand for peace.\n"
    "\n"
    "We defend the commons.\n"
)

# key: (roles, vote weight); the five delegates ann..eve hold 1..5 votes in a card vote
PEOPLE = {
    "chair": (("chair",), 1),
    "secretary": (("secretary",), 1),
    "organiser": (("organiser",), 1),
    "ann": (("delegate",), 1),
    "ben": (("delegate",), 2),
    "cat": (("delegate",), 3),
    "dan": (("delegate",), 4),
    "eve": (("delegate",), 5),
}
DELEGATES = ("ann", "ben", "cat", "dan", "eve")


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
    if response.status_code == 204:
        return
    content = op["responses"][str(response.status_code)]["content"]
    assert response.mimetype in content, (path, response.mimetype)
    schema = content[response.mimetype]["schema"]
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(response.get_json())


# ------------------------------------------------------------------ the world

@pytest.fixture
def world(app, client, factory):
    """A meeting in session: chair, secretary, organiser, five delegates (ann..eve, vote weights 1..5),
    ann..dan present and eve absent; an open document with three admitted amendments (a1, a2, a3) and
    a submitted one (pending); an outsider who holds every role in another meeting."""
    from motions.meetings import operations

    slug = factory.meeting("congress", title="Congress")
    w = SimpleNamespace(app=app, client=client, factory=factory, slug=slug)
    for key, (roles, weight) in PEOPLE.items():
        email = f"{key}@example.org"
        person_id = factory.person(slug, *roles, email=email, name=key.title(), vote_weight=weight,
                                   organisation=f"{key.title()} Union")
        setattr(w, key, SimpleNamespace(id=person_id, email=email, token=factory.token(email)))
    other = factory.meeting("other-meeting")
    factory.person(other, "delegate", "chair", "secretary", "organiser", email="outsider@example.org")
    w.outsider = SimpleNamespace(token=factory.token("outsider@example.org"))
    w.doc = factory.document(slug, TEXT, state="open")
    w.a1 = factory.amendment(w.doc, w.ann.id, replace=("workers", "working people"), status="admitted")
    # a2 and a3 change words away from a1 ("workers"): carrying a1 leaves them applying (issue 5 re-bases them)
    w.a2 = factory.amendment(w.doc, w.ben.id, replace=("We fight", "We all fight"), status="admitted")
    w.a3 = factory.amendment(w.doc, w.cat.id, replace=("fight", "struggle"), status="admitted")
    w.pending = factory.amendment(w.doc, w.dan.id, replace=("We", "Together we"))
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


def create(world, who: str = "chair", **body):
    return call(world, "POST", f"/api/v1/meetings/{world.slug}/polls", who, body)


def created(world, **body) -> dict:
    return ok(create(world, **body), 201)


def act(world, poll_id: int, action: str, who: str = "chair", body=None):
    return call(world, "POST", f"/api/v1/polls/{poll_id}/{action}", who, body)


def opened(world, **body) -> int:
    """A poll created and opened by the chair (on a1 unless the body says otherwise)."""
    body.setdefault("subject", {"type": "amendment", "id": world.a1})
    poll_id = created(world, **body)["id"]
    ok(act(world, poll_id, "open"))
    return poll_id


def vote(world, poll_id: int, who: str, choice, on_behalf_of=None):
    body = {"choice": choice}
    if on_behalf_of is not None:
        body["on_behalf_of"] = on_behalf_of
    return call(world, "POST", f"/api/v1/polls/{poll_id}/ballots", who, body)


def voted(world, poll_id: int, **choices) -> None:
    """Each named delegate casts a ballot: voted(w, p, ann="yes", ben="no")."""
    for who, choice in choices.items():
        ok(vote(world, poll_id, who, choice), 201)


def closed(world, poll_id: int) -> dict:
    poll = ok(act(world, poll_id, "close"))
    assert poll["state"] == "closed"
    return poll


def get_poll(world, poll_id: int, who: str = "chair") -> dict:
    return ok(call(world, "GET", f"/api/v1/polls/{poll_id}", who))


def amendment_status(world, amendment_id: int) -> str:
    return ok(call(world, "GET", f"/api/v1/amendments/{amendment_id}", "ann"))["status"]


def set_meeting(app, slug: str, **values) -> None:
    from motions.meetings.models import Meeting

    with app.app_context():
        meeting = db.session.execute(db.select(Meeting).filter_by(slug=slug)).scalar_one()
        for key, value in values.items():
            setattr(meeting, key, value)
        db.session.commit()
        db.session.remove()


def audit_actions(world) -> list[tuple]:
    return [(e["action"], e["subject"]["type"], e["subject"]["id"]) for e in
            ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/audit", "chair"))]


@contextmanager
def nothing_stored(app):
    """The block's requests are refused: every row of every table as it was."""
    before = snapshot(app)
    yield
    assert snapshot(app) == before


# ------------------------------------------------------------------ creating

def test_create_with_the_defaults_201(world):
    poll = created(world, subject={"type": "amendment", "id": world.a1})
    assert CONTRACT_FIELDS <= set(poll)
    assert poll["subject"] == {"type": "amendment", "id": world.a1}
    assert poll["state"] == "draft"
    assert poll["options"] == ["yes", "no", "abstain"]
    assert poll["majority"] == "simple"
    assert poll["secret"] is False and poll["weighted"] is False
    assert poll["voted"] == 0 and poll["entitled"] == len(DELEGATES)
    assert poll["result"] is None and poll["ballots"] is None
    assert poll["title"].startswith("Amendment A")  # a poll on an amendment is named after it
    assert get_poll(world, poll["id"], "ann") == {**poll, "you": get_poll(world, poll["id"], "ann")["you"]}


def test_create_every_kind_of_question(world):
    document = created(world, subject={"type": "document", "id": world.doc}, majority="two_thirds", secret=True,
                       weighted=True)
    assert (document["subject"], document["majority"], document["secret"], document["weighted"]) == (
        {"type": "document", "id": world.doc}, "two_thirds", True, True)
    assert document["title"] == "Draft platform as amended"
    free = created(world, title="  Where  next year? ", subject={"type": "none"}, options=["Paris", "Lyon", "Nantes"])
    assert free["title"] == "Where next year?"
    assert free["subject"] == {"type": "none", "id": None}
    assert free["options"] == ["Paris", "Lyon", "Nantes"]
    no_subject = created(world, title="A free question")
    assert no_subject["subject"] == {"type": "none", "id": None}
    listed = ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/polls", "ann"))
    assert [p["id"] for p in listed] == [no_subject["id"], free["id"], document["id"]]  # newest first


CREATE_422 = [
    ({"title": "Q", "majority": "most"}, {"majority"}),
    ({"title": "Q", "majority": None}, {"majority"}),
    ({"title": "Q", "subject": {"type": "motion", "id": 1}}, {"subject"}),
    ({"title": "Q", "subject": "amendment"}, {"subject"}),
    # no amendment to name the poll after: the title is missing too
    ({"subject": {"type": "amendment"}}, {"subject", "title"}),
    ({"subject": {"type": "amendment", "id": 999999}}, {"subject", "title"}),
    ({"title": "Q", "subject": {"type": "amendment", "id": 999999}}, {"subject"}),
    ({"title": "Q", "subject": {"type": "document", "id": 999999}}, {"subject"}),
    ({"title": "Q", "secret": "yes"}, {"secret"}),
    ({"title": "Q", "secret": 1}, {"secret"}),
    ({"title": "Q", "weighted": 1}, {"weighted"}),
    ({"title": "Q", "options": ["only one"]}, {"options"}),
    ({"title": "Q", "options": ["a", "a"]}, {"options"}),
    ({"title": "Q", "options": ["a", " "]}, {"options"}),
    ({"subject": {"type": "none"}}, {"title"}),
    ({"title": "x" * 301}, {"title"}),
    ({"title": "Q", "majority": "most", "secret": "no"}, {"majority", "secret"}),
]


def test_create_validation_422(world):
    with nothing_stored(world.app):
        for body, fields in CREATE_422:
            response = create(world, **body)
            assert response.status_code == 422, (body, response.get_json())
            assert_error(response, 422, "validation_failed", fields)


def test_create_refuses_an_amendment_not_admitted_and_custom_options_on_an_amendment_422(world):
    with nothing_stored(world.app):
        error = assert_error(create(world, subject={"type": "amendment", "id": world.pending}), 422,
                             "validation_failed", {"subject"})
        assert "admitted" in error["fields"]["subject"]
        error = assert_error(create(world, subject={"type": "amendment", "id": world.a1}, options=["red", "green"]),
                             422, "validation_failed", {"options"})
        assert "yes, no and abstain" in error["fields"]["options"]
        assert_error(create(world, subject={"type": "document", "id": world.doc}, options=["keep", "drop"]), 422,
                     "validation_failed", {"options"})
        # several fields wrong at once: each is named
        assert_error(create(world, subject={"type": "amendment", "id": world.pending}, options=["red", "green"]),
                     422, "validation_failed", {"subject", "options"})
        # an amendment of another meeting is no subject of this one
        assert_error(call(world, "POST", "/api/v1/meetings/other-meeting/polls", "outsider",
                          {"subject": {"type": "amendment", "id": world.a1}}), 422, "validation_failed", {"subject"})


def test_create_refusals_401_403_404_400(world):
    with nothing_stored(world.app):
        for who in ("ann", "secretary", "organiser", "outsider"):
            assert_error(create(world, who, title="Q"), 403, "forbidden")
        assert_error(create(world, None, title="Q"), 401, "unauthorized")
        assert_error(call(world, "POST", f"/api/v1/meetings/{world.slug}/polls", None, {"title": "Q"},
                          headers={"Authorization": "Bearer nope"}), 401, "invalid_token")
        assert_error(call(world, "POST", "/api/v1/meetings/no-such-meeting/polls", "chair", {"title": "Q"}), 404,
                     "not_found")
        assert_error(call(world, "POST", f"/api/v1/meetings/{world.slug}/polls", "chair", raw=b"{not json"), 400,
                     "malformed_json")
    for path in ("/api/v1/polls/999999", f"/api/v1/meetings/{world.slug}/polls"):
        assert_error(call(world, "GET", path, None), 401, "unauthorized")
    assert_error(call(world, "GET", "/api/v1/polls/999999", "chair"), 404, "not_found")
    poll = created(world, title="Q")["id"]
    assert_error(call(world, "GET", f"/api/v1/polls/{poll}", "outsider"), 403, "forbidden")


# ------------------------------------------------------------------ opening

def test_open_only_in_session_409(world):
    from motions.meetings import operations

    poll = created(world, subject={"type": "amendment", "id": world.a1})["id"]
    with world.app.app_context():
        operations.set_meeting_state(operations.get_meeting(world.slug), "closed")
        db.session.remove()
    with nothing_stored(world.app):
        assert_error(act(world, poll, "open"), 409, "not_in_session")
    with world.app.app_context():
        operations.set_meeting_state(operations.get_meeting(world.slug), "in_session")
        db.session.remove()
    opened_poll = ok(act(world, poll, "open"))
    assert opened_poll["state"] == "open" and opened_poll["opened_at"]
    assert opened_poll["quorum_met"] is True  # the meeting has no quorum rule


def test_open_without_a_quorum_needs_the_chairs_confirmation(world):
    set_meeting(world.app, world.slug, quorum="5")  # 4 of 5 delegates are present
    poll = created(world, subject={"type": "amendment", "id": world.a1})["id"]
    with nothing_stored(world.app):
        error = assert_error(act(world, poll, "open"), 409, "no_quorum")
        assert "4 present, 5 needed" in error["message"]
        assert_error(act(world, poll, "open", body={"confirm_without_quorum": False}), 409, "no_quorum")
        assert_error(act(world, poll, "open", body={"confirm_without_quorum": "yes"}), 422, "validation_failed",
                     {"confirm_without_quorum"})
    poll_json = ok(act(world, poll, "open", body={"confirm_without_quorum": True}))
    assert poll_json["state"] == "open" and poll_json["quorum_met"] is False
    voted(world, poll, ann="yes", ben="yes", cat="no")
    result = closed(world, poll)["result"]
    assert result["quorum_met"] is False  # the result records that there was no quorum
    assert result["outcome"] == "carried"


def test_open_refusals(world):
    first = opened(world)
    second = created(world, subject={"type": "amendment", "id": world.a2})["id"]
    analog = created(world, title="Hands", analog=True)["id"]
    with nothing_stored(world.app):
        assert_error(act(world, second, "open"), 409, "poll_open")  # one vote at a time
        assert_error(act(world, first, "open"), 409, "illegal_transition")
        assert_error(act(world, analog, "open"), 409, "analog_poll")
        for who in ("ann", "secretary", "organiser", "outsider"):
            assert_error(act(world, second, "open", who), 403, "forbidden")
        assert_error(act(world, second, "open", None), 401, "unauthorized")
        assert_error(act(world, 999999, "open"), 404, "not_found")
    # an amendment decided meanwhile cannot be put to the vote
    closed(world, first)
    ok(call(world, "POST", f"/api/v1/amendments/{world.a2}/decide", "chair", {"outcome": "remitted"}))
    with nothing_stored(world.app):
        assert_error(act(world, second, "open"), 409, "not_admitted")


# ------------------------------------------------------------------ ballots

def test_ballot_201_and_a_second_ballot_409(world):
    poll = opened(world)
    receipt = ok(vote(world, poll, "ann", "yes"), 201)
    assert receipt == {"poll_id": poll, "voter_id": world.ann.id, "on_behalf_of": None, "choice": "yes", "weight": 1}
    shown = get_poll(world, poll, "ann")
    assert shown["voted"] == 1
    assert shown["you"] == {"can_vote": False, "present": True,
                            "votes": [{"voter_id": world.ann.id, "name": "Ann", "own": True, "voted": True}]}
    assert get_poll(world, poll, "ben")["you"]["can_vote"] is True
    with nothing_stored(world.app):  # changing a ballot is not allowed in v1
        error = assert_error(vote(world, poll, "ann", "no"), 409, "already_voted")
        assert "already voted" in error["message"]
        assert_error(vote(world, poll, "ann", "yes"), 409, "already_voted")


def test_ballot_refusals(world):
    draft = created(world, subject={"type": "amendment", "id": world.a1})["id"]
    with nothing_stored(world.app):
        assert_error(vote(world, draft, "ann", "yes"), 409, "poll_not_open")
    ok(act(world, draft, "open"))
    poll = draft
    with nothing_stored(world.app):
        assert_error(vote(world, poll, "eve", "yes"), 409, "not_present")  # eve has not checked in
        for who in ("chair", "secretary", "organiser", "outsider"):
            assert_error(vote(world, poll, who, "yes"), 403, "forbidden")
        assert_error(vote(world, poll, None, "yes"), 401, "unauthorized")
        assert_error(vote(world, 999999, "ann", "yes"), 404, "not_found")
        for bad in ("maybe", "YES", ""):
            assert_error(vote(world, poll, "ann", bad), 422, "validation_failed", {"choice"})
        assert_error(vote(world, poll, "ann", 1), 422, "validation_failed", {"choice"})
        assert_error(call(world, "POST", f"/api/v1/polls/{poll}/ballots", "ann", {}), 422, "validation_failed",
                     {"choice"})
        assert_error(call(world, "POST", f"/api/v1/polls/{poll}/ballots", "ann", raw=b"[1"), 400, "malformed_json")
    voted(world, poll, ann="yes")
    closed(world, poll)
    with nothing_stored(world.app):
        assert_error(vote(world, poll, "ben", "yes"), 409, "poll_not_open")


def test_proxies_a_holder_votes_for_the_giver_separately(world):
    # eve (absent, 5 votes) gives her proxy to ann (present)
    proxy = ok(call(world, "POST", f"/api/v1/meetings/{world.slug}/proxies", "secretary",
                    {"giver_id": world.eve.id, "holder_id": world.ann.id}), 201)
    assert (proxy["giver_id"], proxy["holder_id"], proxy["giver"], proxy["holder"]) == (
        world.eve.id, world.ann.id, "Eve", "Ann")
    assert [p["giver_id"] for p in ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/proxies", "chair"))] == [
        world.eve.id]
    poll = opened(world, weighted=True)
    assert [v["voter_id"] for v in get_poll(world, poll, "ann")["you"]["votes"]] == [world.ann.id, world.eve.id]
    with nothing_stored(world.app):
        assert_error(vote(world, poll, "ben", "yes", on_behalf_of=world.eve.id), 403, "no_proxy")
        assert_error(vote(world, poll, "ben", "yes", on_behalf_of=world.cat.id), 403, "no_proxy")
        assert_error(vote(world, poll, "eve", "yes"), 409, "not_present")
    receipt = ok(vote(world, poll, "ann", "no", on_behalf_of=world.eve.id), 201)
    assert receipt == {"poll_id": poll, "voter_id": world.eve.id, "on_behalf_of": world.eve.id, "choice": "no",
                       "weight": 5}
    assert ok(vote(world, poll, "ann", "yes"), 201)["voter_id"] == world.ann.id  # her own ballot, separately
    with nothing_stored(world.app):
        error = assert_error(vote(world, poll, "ann", "yes", on_behalf_of=world.eve.id), 409, "already_voted")
        assert "for this delegate" in error["message"]
    assert get_poll(world, poll, "ann")["you"]["can_vote"] is False
    result = closed(world, poll)
    assert result["result"]["counts"] == {"yes": 1, "no": 5, "abstain": 0}
    roll = {b["voter_id"]: b for b in result["ballots"]}
    assert roll[world.eve.id]["cast_by_id"] == world.ann.id and roll[world.eve.id]["choice"] == "no"
    assert roll[world.ann.id]["cast_by_id"] == world.ann.id


def test_a_giver_who_voted_leaves_nothing_for_the_holder(world):
    ok(call(world, "POST", f"/api/v1/meetings/{world.slug}/proxies", "secretary",
            {"giver_id": world.dan.id, "holder_id": world.ben.id}), 201)
    poll = opened(world)
    voted(world, poll, dan="abstain")  # dan is present and votes himself
    with nothing_stored(world.app):
        assert_error(vote(world, poll, "ben", "yes", on_behalf_of=world.dan.id), 409, "already_voted")
    # the proxy is taken back: ben no longer votes for dan
    assert call(world, "DELETE", f"/api/v1/meetings/{world.slug}/proxies/{world.dan.id}", "secretary").status_code == 204
    with nothing_stored(world.app):
        assert_error(vote(world, poll, "ben", "yes", on_behalf_of=world.dan.id), 403, "no_proxy")


def test_proxy_refusals(world):
    with nothing_stored(world.app):
        for who in ("chair", "ann", "organiser"):
            assert_error(call(world, "POST", f"/api/v1/meetings/{world.slug}/proxies", who,
                              {"giver_id": world.eve.id, "holder_id": world.ann.id}), 403, "forbidden")
        assert_error(call(world, "POST", f"/api/v1/meetings/{world.slug}/proxies", "secretary",
                          {"giver_id": world.eve.id, "holder_id": world.eve.id}), 422, "validation_failed",
                     {"holder_id"})
        assert_error(call(world, "POST", f"/api/v1/meetings/{world.slug}/proxies", "secretary",
                          {"giver_id": world.chair.id, "holder_id": world.ann.id}), 422, "validation_failed",
                     {"giver_id"})
        assert_error(call(world, "DELETE", f"/api/v1/meetings/{world.slug}/proxies/{world.eve.id}", "secretary"),
                     404, "not_found")


# ------------------------------------------------------------------ closing and counting

def test_close_gives_the_result_and_carries_the_amendment(world):
    poll = opened(world)
    voted(world, poll, ann="yes", ben="yes", cat="no", dan="abstain")
    result = closed(world, poll)
    assert result["closed_at"] and result["voted"] == 4
    r = result["result"]
    assert RESULT_FIELDS <= set(r)
    assert r["counts"] == {"yes": 2, "no": 1, "abstain": 1}
    assert (r["base"], r["threshold"], r["outcome"], r["quorum_met"]) == (3, 2, "carried", True)
    assert r["description"] == "Carried: 2 for, 1 against, 1 abstention; simple majority of votes cast."
    assert amendment_status(world, world.a1) == "carried"
    assert get_poll(world, poll, "eve")["result"] == r  # every member reads the same result
    with nothing_stored(world.app):
        assert_error(act(world, poll, "close"), 409, "poll_not_open")
        assert_error(act(world, poll, "close", "ann"), 403, "forbidden")


def test_close_loses_the_amendment(world):
    poll = opened(world, subject={"type": "amendment", "id": world.a2})
    voted(world, poll, ann="yes", ben="no", cat="no")
    r = closed(world, poll)["result"]
    assert (r["counts"], r["base"], r["threshold"], r["outcome"]) == ({"yes": 1, "no": 2, "abstain": 0}, 3, 2, "lost")
    assert r["description"] == "Lost: 1 for, 2 against, 0 abstentions; simple majority of votes cast."
    assert amendment_status(world, world.a2) == "lost"
    # a draft poll cannot be closed (there is nothing to count)
    draft = created(world, subject={"type": "amendment", "id": world.a3})["id"]
    with nothing_stored(world.app):
        assert_error(act(world, draft, "close"), 409, "poll_not_open")


def test_close_a_free_question_counts_the_options(world):
    poll = opened(world, title="Where next year?", subject={"type": "none"}, options=["Paris", "Lyon"])
    voted(world, poll, ann="Lyon", ben="Paris", cat="Lyon")
    r = closed(world, poll)["result"]
    assert r["counts"] == {"Paris": 1, "Lyon": 2}
    assert r["outcome"] is None and r["base"] is None and r["threshold"] is None
    assert r["description"] == "Paris: 1; Lyon: 2"


# (rule, ballots of ann..dan present, eve absent) -> (base, threshold, outcome, words of the rule)
MAJORITIES = [
    ("simple", {"ann": "yes", "ben": "yes", "cat": "no", "dan": "abstain"}, (3, 2, "carried"),
     "simple majority of votes cast"),
    ("simple", {"ann": "yes", "ben": "no", "cat": "abstain", "dan": "abstain"}, (2, 2, "lost"),
     "simple majority of votes cast"),
    ("two_thirds", {"ann": "yes", "ben": "yes", "cat": "no"}, (3, 2, "carried"),
     "two-thirds majority of votes cast (2 needed)"),
    ("two_thirds", {"ann": "yes", "ben": "yes", "cat": "no", "dan": "no"}, (4, 3, "lost"),
     "two-thirds majority of votes cast (3 needed)"),
    # absolute majority of the 4 present: abstaining (cat) and not voting (dan) count against
    ("absolute_present", {"ann": "yes", "ben": "yes", "cat": "abstain"}, (4, 3, "lost"),
     "absolute majority of the 4 delegates present (3 needed)"),
    ("absolute_present", {"ann": "yes", "ben": "yes", "cat": "yes"}, (4, 3, "carried"),
     "absolute majority of the 4 delegates present (3 needed)"),
    # absolute majority of the 5 entitled: eve (absent) counts against too
    ("absolute_entitled", {"ann": "yes", "ben": "yes"}, (5, 3, "lost"),
     "absolute majority of the 5 delegates entitled to vote (3 needed)"),
    ("absolute_entitled", {"ann": "yes", "ben": "yes", "cat": "yes", "dan": "no"}, (5, 3, "carried"),
     "absolute majority of the 5 delegates entitled to vote (3 needed)"),
]


def test_each_majority_rule_end_to_end(world):
    for rule, ballots, expected, words in MAJORITIES:
        poll = opened(world, title=f"{rule} {expected}", subject={"type": "none"}, majority=rule)
        voted(world, poll, **ballots)
        r = closed(world, poll)["result"]
        case = (rule, ballots, r)
        assert r["majority"] == rule, case
        assert (r["base"], r["threshold"], r["outcome"]) == expected, case
        assert r["counts"] == {o: sum(1 for c in ballots.values() if c == o) for o in ("yes", "no", "abstain")}, case
        assert r["description"].startswith({"carried": "Carried: ", "lost": "Lost: "}[expected[2]]), case
        assert r["description"].endswith(f"; {words}."), case
        assert (r["present"], r["entitled"]) == (4, 5), case


def test_under_an_absolute_majority_abstaining_and_not_voting_defeat_an_amendment(world):
    """2 for, 0 against: carried by a simple majority, lost by an absolute majority of the 4 present
    (cat abstains, dan present does not vote)."""
    poll = opened(world, majority="absolute_present")
    voted(world, poll, ann="yes", ben="yes", cat="abstain")
    r = closed(world, poll)["result"]
    assert (r["counts"], r["base"], r["threshold"], r["outcome"]) == ({"yes": 2, "no": 0, "abstain": 1}, 4, 3,
                                                                      "lost")
    assert amendment_status(world, world.a1) == "lost"
    poll = opened(world, subject={"type": "amendment", "id": world.a2}, majority="absolute_entitled")
    voted(world, poll, ann="yes", ben="yes", cat="yes", dan="no")
    r = closed(world, poll)["result"]
    assert (r["base"], r["threshold"], r["outcome"]) == (5, 3, "carried")
    assert amendment_status(world, world.a2) == "carried"


def test_card_vote_counts_the_weights_and_shows_the_headcount(world):
    poll = opened(world, weighted=True)
    receipts = [ok(vote(world, poll, who, choice), 201)
                for who, choice in (("ann", "yes"), ("ben", "no"), ("cat", "yes"), ("dan", "abstain"))]
    assert [r["weight"] for r in receipts] == [1, 2, 3, 4]
    result = closed(world, poll)
    r = result["result"]
    assert r["counts"] == {"yes": 4, "no": 2, "abstain": 4}
    assert r["headcount"] == {"yes": 2, "no": 1, "abstain": 1}
    assert (r["base"], r["threshold"], r["outcome"]) == (6, 4, "carried")
    assert r["description"] == ("Carried: 4 for, 2 against, 4 abstentions (card vote; 2 for, 1 against, "
                                "1 abstention by headcount); simple majority of votes cast.")
    assert [(b["name"], b["weight"]) for b in result["ballots"]] == [("Ann", 1), ("Ben", 2), ("Cat", 3), ("Dan", 4)]


def test_card_vote_under_an_absolute_majority_counts_the_votes_held(world):
    poll = opened(world, weighted=True, majority="absolute_entitled")
    voted(world, poll, dan="yes", cat="yes", ann="no")  # 7 of the 15 votes held: not more than half
    r = closed(world, poll)["result"]
    assert (r["counts"], r["base"], r["threshold"], r["outcome"]) == ({"yes": 7, "no": 1, "abstain": 0}, 15, 8,
                                                                      "lost")
    assert r["description"].endswith("absolute majority of the 15 votes held by the delegates entitled to vote "
                                     "(8 needed).")


def test_a_tie_is_lost_without_a_casting_vote(world):
    poll = opened(world)
    voted(world, poll, ann="yes", ben="no")
    r = closed(world, poll)["result"]
    assert r["outcome"] == "lost"
    assert amendment_status(world, world.a1) == "lost"
    with nothing_stored(world.app):
        assert_error(act(world, poll, "casting-vote", body={"choice": "yes"}), 409, "not_a_tie")


@pytest.mark.parametrize("choice, outcome", [("yes", "carried"), ("no", "lost")])
def test_a_tie_waits_for_the_chairs_casting_vote(world, choice, outcome):
    set_meeting(world.app, world.slug, casting_vote=True)
    poll = opened(world)
    voted(world, poll, ann="yes", ben="no", cat="abstain")
    r = closed(world, poll)["result"]
    assert r["outcome"] == "tie" and r["casting"] is None
    assert r["description"] == "Tie: 1 for, 1 against, 1 abstention; the chair has the casting vote."
    assert amendment_status(world, world.a1) == "admitted"  # undecided until the chair's vote
    with nothing_stored(world.app):
        assert_error(act(world, poll, "casting-vote", "ann", {"choice": "yes"}), 403, "forbidden")
        assert_error(act(world, poll, "casting-vote", body={"choice": "abstain"}), 422, "validation_failed",
                     {"choice"})
        assert_error(act(world, poll, "casting-vote", body={}), 422, "validation_failed", {"choice"})
    decided = ok(act(world, poll, "casting-vote", body={"choice": choice}))["result"]
    assert decided["outcome"] == outcome and decided["casting"] == choice
    assert decided["counts"] == r["counts"]  # the chair's vote does not change the counts
    assert decided["description"] == (f"{outcome.title()} on the chair's casting vote: 1 for, 1 against, "
                                      "1 abstention; simple majority of votes cast.")
    assert amendment_status(world, world.a1) == outcome
    with nothing_stored(world.app):  # once is enough
        assert_error(act(world, poll, "casting-vote", body={"choice": "yes"}), 409, "not_a_tie")


def test_a_zero_zero_poll_is_lost_even_with_a_casting_vote(world):
    set_meeting(world.app, world.slug, casting_vote=True)
    poll = opened(world)
    voted(world, poll, ann="abstain")
    assert closed(world, poll)["result"]["outcome"] == "lost"


# ------------------------------------------------------------------ hand counts

def test_analog_count_closes_the_poll(world):
    poll = created(world, subject={"type": "amendment", "id": world.a1}, analog=True)["id"]
    result = ok(act(world, poll, "analog", body={"counts": {"yes": 3, "no": 1}}))
    assert result["state"] == "closed" and result["analog"] is True
    r = result["result"]
    assert r["counts"] == {"yes": 3, "no": 1, "abstain": 0}
    assert (r["base"], r["threshold"], r["outcome"]) == (4, 3, "carried")
    assert result["ballots"] is None  # no roll call of a show of hands
    assert amendment_status(world, world.a1) == "carried"
    with nothing_stored(world.app):
        assert_error(act(world, poll, "analog", body={"counts": {"yes": 1}}), 409, "poll_not_open")


def test_analog_count_refusals(world):
    electronic = opened(world)
    voted(world, electronic, ann="yes")
    hands = created(world, subject={"type": "amendment", "id": world.a2}, analog=True)["id"]
    with nothing_stored(world.app):
        error = assert_error(act(world, electronic, "analog", body={"counts": {"yes": 3}}), 409, "has_ballots")
        assert "electronically" in error["message"]
        # more votes than the 5 delegates entitled to vote
        assert_error(act(world, hands, "analog", body={"counts": {"yes": 4, "no": 2}}), 422, "validation_failed",
                     {"counts"})
        assert_error(act(world, hands, "analog", body={"counts": {"yes": -1}}), 422, "validation_failed")
        assert_error(act(world, hands, "analog", body={"counts": {"maybe": 1}}), 422, "validation_failed")
        assert_error(act(world, hands, "analog", body={"counts": "3 to 1"}), 422, "validation_failed", {"counts"})
        assert_error(act(world, hands, "analog", "ann", {"counts": {"yes": 1}}), 403, "forbidden")
        assert_error(act(world, hands, "close"), 409, "analog_poll")
    # a card vote by show of cards: the count may reach the votes held (15), not more
    cards = created(world, subject={"type": "amendment", "id": world.a3}, analog=True, weighted=True)["id"]
    with nothing_stored(world.app):
        assert_error(act(world, cards, "analog", body={"counts": {"yes": 10, "no": 6}}), 422, "validation_failed")
    assert ok(act(world, cards, "analog", body={"counts": {"yes": 10, "no": 5}}))["result"]["outcome"] == "carried"


# ------------------------------------------------------------------ voiding

def test_void_keeps_the_poll_with_its_reason(world):
    poll = opened(world)
    voted(world, poll, ann="yes")
    with nothing_stored(world.app):
        assert_error(act(world, poll, "void", body={"reason": "   "}), 422, "validation_failed", {"reason"})
        assert_error(act(world, poll, "void", body={}), 422, "validation_failed", {"reason"})
        assert_error(act(world, poll, "void", "ann", {"reason": "No."}), 403, "forbidden")
    void = ok(act(world, poll, "void", body={"reason": "The  screens  failed."}))
    assert (void["state"], void["void_reason"], void["result"]) == ("void", "The screens failed.", None)
    assert get_poll(world, poll, "ben")["void_reason"] == "The screens failed."
    assert poll in [p["id"] for p in ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/polls", "ben"))]
    assert amendment_status(world, world.a1) == "admitted"  # a void poll decides nothing
    with nothing_stored(world.app):
        assert_error(vote(world, poll, "ben", "yes"), 409, "poll_not_open")
        assert_error(act(world, poll, "void", body={"reason": "Again."}), 409, "illegal_transition")
        assert_error(act(world, poll, "close"), 409, "poll_not_open")
    # the amendment can be put to a new vote
    again = opened(world)
    voted(world, again, ann="yes")
    assert closed(world, again)["result"]["outcome"] == "carried"


def test_a_poll_that_decided_an_amendment_cannot_be_voided(world):
    poll = opened(world)
    voted(world, poll, ann="no")
    closed(world, poll)
    with nothing_stored(world.app):
        error = assert_error(act(world, poll, "void", body={"reason": "Recount."}), 409, "already_decided")
        assert "cannot be voided" in error["message"]
    # a closed free question can be voided
    free = opened(world, title="Lunch?", subject={"type": "none"})
    voted(world, free, ann="yes")
    closed(world, free)
    assert ok(act(world, free, "void", body={"reason": "Wrong question."}))["state"] == "void"


# ------------------------------------------------------------------ deciding without a poll

def test_decide_an_amendment_without_a_poll(world):
    # carried, lost, remitted from admitted; fallen also from submitted (another carried amendment made it impossible)
    for amendment_id, outcome in ((world.a1, "carried"), (world.a2, "lost"), (world.a3, "remitted"),
                                  (world.pending, "fallen")):
        amendment = ok(call(world, "POST", f"/api/v1/amendments/{amendment_id}/decide", "chair",
                            {"outcome": outcome, "note": "By consent."}))
        assert amendment["status"] == outcome
        history = ok(call(world, "GET", f"/api/v1/amendments/{amendment_id}", "ann"))["history"]
        assert (history[-1]["action"], history[-1]["to_status"]) == (outcome, outcome)
        with nothing_stored(world.app):  # decided once
            assert_error(call(world, "POST", f"/api/v1/amendments/{amendment_id}/decide", "chair",
                              {"outcome": "lost"}), 409, "illegal_transition")
    with nothing_stored(world.app):  # a decided amendment is no subject of a poll
        assert_error(create(world, subject={"type": "amendment", "id": world.a3}), 422, "validation_failed",
                     {"subject"})


def test_decide_refusals(world):
    poll = opened(world)
    with nothing_stored(world.app):
        error = assert_error(call(world, "POST", f"/api/v1/amendments/{world.a1}/decide", "chair",
                                  {"outcome": "carried"}), 409, "poll_open")
        assert "close or void it first" in error["message"]
        for who in ("ann", "secretary", "organiser", "outsider"):
            assert_error(call(world, "POST", f"/api/v1/amendments/{world.a2}/decide", who, {"outcome": "carried"}),
                         403, "forbidden")
        assert_error(call(world, "POST", f"/api/v1/amendments/{world.a2}/decide", None, {"outcome": "carried"}),
                     401, "unauthorized")
        assert_error(call(world, "POST", f"/api/v1/amendments/{world.a2}/decide", "chair", {"outcome": "won"}),
                     422, "validation_failed", {"outcome"})
        assert_error(call(world, "POST", f"/api/v1/amendments/{world.a2}/decide", "chair", {}), 422,
                     "validation_failed", {"outcome"})
        assert_error(call(world, "POST", f"/api/v1/amendments/{world.pending}/decide", "chair",
                          {"outcome": "carried"}), 409, "illegal_transition")  # not admitted
        assert_error(call(world, "POST", "/api/v1/amendments/999999/decide", "chair", {"outcome": "carried"}), 404,
                     "not_found")
    ok(act(world, poll, "void", body={"reason": "Taken by consent instead."}))
    assert ok(call(world, "POST", f"/api/v1/amendments/{world.a1}/decide", "chair",
                   {"outcome": "carried"}))["status"] == "carried"


# ------------------------------------------------------------------ who sees who chose what

def test_named_poll_shows_the_roll_call_once_closed(world):
    poll = opened(world)
    voted(world, poll, dan="no", ben="yes", ann="abstain")
    for who in ("chair", "ann", "eve"):
        assert get_poll(world, poll, who)["ballots"] is None  # not while the poll is open
    closed(world, poll)
    for who in ("chair", "ann", "eve", "secretary"):
        ballots = get_poll(world, poll, who)["ballots"]
        assert ballots == [
            {"voter_id": world.ann.id, "name": "Ann", "organisation": "Ann Union", "choice": "abstain", "weight": 1,
             "cast_by_id": world.ann.id},
            {"voter_id": world.ben.id, "name": "Ben", "organisation": "Ben Union", "choice": "yes", "weight": 1,
             "cast_by_id": world.ben.id},
            {"voter_id": world.dan.id, "name": "Dan", "organisation": "Dan Union", "choice": "no", "weight": 1,
             "cast_by_id": world.dan.id},
        ]


def test_secret_poll_never_shows_who_chose_what_not_even_to_the_chair(world):
    poll = opened(world, secret=True, weighted=True)  # a secret card vote on a1
    voted(world, poll, ann="yes", ben="no", cat="yes")
    for who in ("chair", "ann", "secretary"):
        shown = get_poll(world, poll, who)
        assert shown["ballots"] is None and shown["voted"] == 3
    assert get_poll(world, poll, "ann")["you"]["votes"] == [
        {"voter_id": world.ann.id, "name": "Ann", "own": True, "voted": True}]  # that she voted, not how
    with nothing_stored(world.app):
        assert_error(vote(world, poll, "ann", "no"), 409, "already_voted")  # a secret ballot cannot change either
    result = closed(world, poll)
    assert result["ballots"] is None
    assert result["result"]["counts"] == {"yes": 1 + 3, "no": 2, "abstain": 0}
    assert result["result"]["headcount"] == {"yes": 2, "no": 1, "abstain": 0}
    assert result["result"]["outcome"] == "carried"
    assert amendment_status(world, world.a1) == "carried"
    for who in ("chair", "ann", "secretary", "organiser"):
        shown = get_poll(world, poll, who)
        assert shown["ballots"] is None
        assert "yes" not in str(shown["you"]) and "no" not in {v.get("choice") for v in shown["you"]["votes"]}
    listed = ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/polls", "chair"))
    assert all(p["ballots"] is None for p in listed if p["secret"])


# ------------------------------------------------------------------ the audit log

def test_every_poll_change_is_in_the_audit_log_and_the_chain_verifies(world, runner):
    from motions import audit

    before = len(audit_actions(world))
    carried = opened(world)  # created, opened
    voted(world, carried, ann="yes")  # ballots are not audit entries (a secret one must not be)
    closed(world, carried)  # closed; amendment decided
    void = opened(world, subject={"type": "amendment", "id": world.a2})
    ok(act(world, void, "void", body={"reason": "Wrong amendment."}))
    hands = created(world, subject={"type": "amendment", "id": world.a2}, analog=True)["id"]
    ok(act(world, hands, "analog", body={"counts": {"yes": 1, "no": 3}}))
    ok(call(world, "POST", f"/api/v1/amendments/{world.a3}/decide", "chair", {"outcome": "remitted"}))
    entries = audit_actions(world)[before:]
    assert entries == [
        ("poll.created", "poll", carried), ("poll.opened", "poll", carried),
        ("poll.closed", "poll", carried), ("amendment.decided", "amendment", world.a1),
        ("document.version", "document", world.doc),  # carrying a1 made version 2 (issue 5)
        ("poll.created", "poll", void), ("poll.opened", "poll", void), ("poll.voided", "poll", void),
        ("poll.created", "poll", hands), ("poll.counted", "poll", hands), ("amendment.decided", "amendment", world.a2),
        ("amendment.decided", "amendment", world.a3),
    ]
    log = ok(call(world, "GET", f"/api/v1/meetings/{world.slug}/audit", "chair"))[before:]
    closing = log[2]
    assert closing["actor"]["id"] == world.chair.id
    assert closing["data"]["counts"] == {"yes": 1, "no": 0, "abstain": 0} and closing["data"]["outcome"] == "carried"
    assert log[3]["data"]["poll_id"] == carried and (log[3]["data"]["from"], log[3]["data"]["to"]) == (
        "admitted", "carried")
    assert (log[4]["data"]["version"], log[4]["data"]["amendment"]) == (2, "A1")
    assert log[7]["data"]["reason"] == "Wrong amendment."
    with world.app.app_context():
        assert audit.verify() == []
        db.session.remove()
    verified = runner.invoke(args=["audit", "verify", "--meeting", world.slug])
    assert verified.exit_code == 0, verified.output
    assert "chain intact" in verified.output

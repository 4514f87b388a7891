"""API fuzzing (issue 6, the attack suite): schemathesis generates requests from the app's own
/api/v1/openapi.json (valid and invalid ones) and sends them to the Flask app through WSGI, no network.

The world has data, so that paths with ids reach real rows: a meeting in session with a chair, a
secretary, an organiser and delegates holding bearer tokens, an open platform with clauses and
amendments, a motion still in draft, polls (a draft one and an open one), a speakers list, a comment,
a proxy, and elections (one taking nominations, one with its ballots open, one counted). Ids in paths and bodies are drawn half the time from those rows.

Every response must be no 5xx; every error must have the contract's body (api-v1.md, "Errors");
responses must match what /api/v1/openapi.json says of them (status codes, media types, schemas);
and invalid input must be refused with a 4xx. The fuzz runs as a delegate and as the chair (who
reaches most write routes), deterministically (fixed seed, derandomized) and bounded.

The last part holds plain-request regression tests, one per fault the fuzzer found.

Runs on SQLite and, with MOTIONS_TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.hooks import HookDispatcher, HookScope
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from motions.api import ROUTES
from motions.extensions import db
from tests.api_helpers import CODE, assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.tried import Answers, tried

pytestmark = pytest.mark.usefixtures("fast_hashing")

SEED = 20240601
# Examples per operation, generation mode and role: 73 operations, valid and invalid input, two roles,
# about 3,300 requests in all: about 25 seconds a role on SQLite or PostgreSQL (2 cores).
MAX_EXAMPLES = 10

PLATFORM = (
    "# Our platform\n"
    "\n"
    "We fight for all workers.\n"
    "\n"
    "We stand for peace and bread.\n"
    "\n"
    "## Housing\n"
    "\n"
    "- Homes for everyone.\n"
    "- Rents capped by law.\n"
    "\n"
    "We defend the commons.\n"
)
MOTION = "Close the tax havens.\nFund the public schools.\n"
BLT = '2 1\n3 1 2 0\n2 2 0\n1 0\n0\n"Tam"\n"Una"\n"Tellers"\n'


# ------------------------------------------------------------------ the world

@pytest.fixture
def world(app, factory):
    from motions.auth.models import Person
    from motions.debate import operations as debate
    from motions.documents.models import Document
    from motions.elections import operations as elections
    from motions.meetings import operations as meetings
    from motions.polls import operations as polls

    app.config["EVENT_STREAM_SECONDS"] = 0  # the event stream: one read of the feed, then it ends
    slug = factory.meeting("fuzz-meeting", title="Fuzz congress", seconders_required=1, casting_vote=True,
                           self_checkin=True)
    w = SimpleNamespace(app=app, slug=slug)
    for key, roles in (("chair", ("chair",)), ("secretary", ("secretary",)), ("ann", ("delegate",)),
                       ("ben", ("delegate",)), ("cat", ("delegate",))):
        email = f"{key}@example.org"
        person_id = factory.person(slug, *roles, email=email, name=key.title(), organisation=f"{key.title()} Union")
        setattr(w, key, SimpleNamespace(id=person_id, email=email, token=factory.token(email)))
    factory.person(slug, "organiser", email="organiser@example.org", name="Org", organiser=True)
    w.organiser = SimpleNamespace(token=factory.token("organiser@example.org"))
    w.doc = factory.document(slug, PLATFORM, state="open")
    w.motion = factory.document(slug, MOTION, title="Motion on tax", format="text", kind="motion")
    with app.app_context():
        rows = db.session.get(Document, w.doc).version().clause_texts
        clause = {word: next(r.clause_id for r in rows if word in r.text) for word in ("workers", "peace", "commons",
                                                                                     "Rents")}
        w.clauses = [r.clause_id for r in rows]
        db.session.remove()
    w.submitted = factory.amendment(w.doc, w.ann.id, clause["workers"], replace=("workers", "working people"))
    w.seconded = factory.amendment(w.doc, w.ben.id, clause["peace"], replace=("peace", "lasting peace"),
                                   seconders=(w.ann.id,))
    w.admitted = factory.amendment(w.doc, w.cat.id, clause["commons"], replace=("commons", "common good"),
                                   seconders=(w.ann.id,), status="admitted")
    w.deletion = factory.amendment(w.doc, w.ann.id, clause["Rents"], kind="delete")
    w.draft_poll = factory.poll(slug, amendment_id=w.admitted)
    w.free_poll = factory.poll(slug, title="Break for lunch?")
    # elections: one taking nominations, one with its ballots open, one counted (from a BLT file)
    w.nominating = factory.election(slug, title="Steering Committee", seats=1, candidates=("Xavier", "Yolanda"),
                                    state="nominating")
    w.voting = factory.election(slug, title="Auditors", seats=2, method="approval", candidates=("Kim", "Lee", "Max"))
    w.counted = factory.election(slug, title="Tellers", seats=1)
    with app.app_context():
        meeting = meetings.get_meeting(slug)
        ann = db.session.get(Person, w.ann.id)
        meetings.set_meeting_state(meeting, "in_session")
        for key in ("ann", "ben", "cat"):
            meetings.set_attendance(meeting, meetings.get_membership(meeting, getattr(w, key).id), True)
        polls.open_poll(polls.get_poll(w.free_poll), None, confirm_without_quorum=True)
        polls.set_proxy(meeting, None, w.cat.id, w.ben.id)
        w.nominated = elections.nominate(elections.get_election(w.nominating), ann, person_id=w.ben.id).id
        elections.open_ballots(elections.get_election(w.voting), None, confirm_without_quorum=True)
        elections.import_blt(elections.get_election(w.counted), None, BLT)
        w.candidates = [c.id for e in (w.nominating, w.voting, w.counted)
                        for c in elections.get_election(e).candidates]
        w.on_ballot = [c.id for c in elections.get_election(w.voting).candidates]
        w.speaker = debate.request_to_speak(meeting, ann, "meeting", meeting.id, "for").id
        w.comment = debate.post_comment(meeting, ann, "document", w.doc, "A fine platform.").id
        db.session.remove()
    w.ids = {
        "slug": [slug], "document_id": [w.doc, w.motion], "amendment_id": [w.submitted, w.seconded, w.admitted,
                                                                            w.deletion],
        "poll_id": [w.draft_poll, w.free_poll], "speaker_id": [w.speaker], "comment_id": [w.comment],
        "giver_id": [w.cat.id], "clause_id": w.clauses, "person_id": [w.ann.id, w.ben.id, w.cat.id],
        "holder_id": [w.ann.id, w.ben.id], "on_behalf_of": [w.cat.id], "parent_id": [w.comment],
        "mover_id": [w.ann.id], "subject_id": [w.doc, w.admitted], "item_id": [w.doc, w.admitted, w.draft_poll],
        # a composite's originals, a poll's subject
        "amendment_ids": st.lists(st.sampled_from([w.submitted, w.seconded, w.admitted]), min_size=2, max_size=3,
                                  unique=True),
        "election_id": [w.nominating, w.voting, w.counted], "candidate_id": w.candidates,
        # a ballot: candidates of the open election, none twice; an import: a well-formed file
        "preferences": st.lists(st.sampled_from(w.on_ballot), max_size=3, unique=True), "blt": [BLT],
        "subject": st.sampled_from([{"type": "amendment", "id": w.admitted}, {"type": "document", "id": w.doc},
                                    {"type": "none"}]),
    }
    return w


def _with_real_ids(ids: dict, values):
    """A strategy: the generated values as they are, or (three times in four) with ids of real rows in place."""
    if not isinstance(values, dict):
        return st.just(values)
    names = [name for name in values if name in ids]
    if not names:
        return st.just(values)
    real = st.fixed_dictionaries({name: ids[name] if isinstance(ids[name], st.SearchStrategy)
                                  else st.sampled_from(ids[name]) for name in names})
    real = real.map(lambda chosen: {**values, **chosen})
    return st.one_of(st.just(values), real, real, real)


def load_schema(app, world):
    """The description the running app serves, with hooks that put real ids into paths, queries and bodies."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=schemathesis.Config.from_dict({
        "seed": SEED,
        # unknown query parameters are ignored (api-v1.md: fields may be added), so none are invented
        "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES, "database": "none",
                       "allow-extra-parameters": False},
    }))

    @schema.hook
    def before_process_path(context, path, methods):
        for operation in methods.values():
            if isinstance(operation, dict):
                _tuples_as_lists(operation.get("responses", {}))

    return schema


def _tuples_as_lists(node):
    """schemathesis 4.32 rewrites a 3.1 tuple (`prefixItems`, the [op, text] pairs of a diff) into the
    draft-4 `items: [...]` and then rejects that as a 2020-12 schema. For its response checks only, a
    tuple is read as a list of either item; exact_response_schema checks the published tuple as it is."""
    if isinstance(node, dict):
        if "prefixItems" in node and "items" not in node:
            node["items"] = {"anyOf": node.pop("prefixItems")}
        for value in node.values():
            _tuples_as_lists(value)
    elif isinstance(node, list):
        for value in node:
            _tuples_as_lists(value)


def real_ids(world) -> HookDispatcher:
    """Hooks for valid input only (an invalid id must stay invalid): mostly, ids of the world's rows."""
    hooks = HookDispatcher(scope=HookScope.TEST)

    def flatmap_path_parameters(context, path_parameters):
        return _with_real_ids(world.ids, path_parameters)

    def flatmap_query(context, query):
        return _with_real_ids(world.ids, query)

    def flatmap_body(context, body):
        return _with_real_ids(world.ids, body)

    for hook in (flatmap_path_parameters, flatmap_query, flatmap_body):
        hooks.hook(hook)
    return hooks


# no 5xx; the status, media type and body as described; invalid input refused with a 4xx; and a
# route that answered 2xx refuses the same request without the token, or with a bad one
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection, ignored_auth]


def contract_error_body(ctx, response, case):
    """Every 4xx and 5xx answer has the contract's body: {"error": {"code", "message", "fields"}}."""
    if response.status_code < 400:
        return None
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], body
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and CODE.match(error["code"]), error
    message = error["message"]
    assert isinstance(message, str) and len(message.split()) >= 3 and message[0].isupper(), error
    assert isinstance(error["fields"], dict), error
    assert all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in error["fields"].items()), error
    return True


def exact_response_schema(published: dict):
    """A check: a 2xx JSON body matches the schema /api/v1/openapi.json publishes for it, read as the
    JSON Schema 2020-12 that OpenAPI 3.1 uses (tuples included)."""
    def check(ctx, response, case):
        if not 200 <= response.status_code < 300:
            return None
        media = response.headers.get("content-type", [""])[0].split(";")[0].strip()
        if media != "application/json":
            return None
        op = published["paths"][case.operation.path][case.method.lower()]
        schema = op["responses"][str(response.status_code)]["content"][media]["schema"]
        Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(response.json())
        return True

    return check


def describe(error: BaseException) -> str:
    """The failure and what it holds (hypothesis wraps a failure it could not replay as flaky)."""
    text = str(error)
    for inner in getattr(error, "exceptions", ()):
        text += "\n  " + describe(inner).replace("\n", "\n  ")
    return text


def fuzz(app, world, token: str) -> dict:
    """Every operation, with valid and with invalid input; the failures of all of them are reported together.
    Returns what was tried: the cases schemathesis generated and the requests it made (the checks'
    own requests included), and how they were answered."""
    schema = load_schema(app, world)
    published = app.test_client().get("/api/v1/openapi.json").get_json()
    checks = [contract_error_body, exact_response_schema(published)]
    hooks = {GenerationMode.POSITIVE: real_ids(world), GenerationMode.NEGATIVE: None}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]  # an invalid operation raises here
    # every route but the description itself (schemathesis leaves out the address it loaded the schema from)
    served = {(r["method"], r["path"]) for r in ROUTES} - {("get", "/api/v1/openapi.json")}
    assert {(o.method.lower(), o.path) for o in operations} == served
    answers, cases = Answers(app), Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @FUZZ_SETTINGS
            @given(case=operation.as_strategy(mode, hooks=hooks[mode]))
            def one(case):
                cases[mode] += 1
                case.call_and_validate(headers=bearer(token), checks=CHECKS, additional_checks=checks)

            try:
                one()
            except (Exception, BaseExceptionGroup) as error:  # schemathesis reports a FailureGroup
                failures.append(f"{operation.label} ({mode.value}): {describe(error)}")
    assert not failures, "\n\n".join(failures)
    return {"operation_and_role_pairs": len(operations), "valid_cases": cases[GenerationMode.POSITIVE],
            "invalid_cases": cases[GenerationMode.NEGATIVE], "requests": answers.total,
            "answered_4xx": sum(n for code, n in answers.statuses.items() if 400 <= code < 500),
            "answered_5xx": answers.at_least(500), "unhandled_exceptions": answers.unhandled}


# Deterministic (derandomized, no example database) and bounded: no deadline, no shrinking (the first
# failing request is reported, with a curl line to repeat it).
FUZZ_SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck), print_blob=False,
                         phases=[Phase.explicit, Phase.generate])


def test_fuzz_as_a_delegate(app, world):
    tried("API fuzzing", **fuzz(app, world, world.ann.token))


def test_fuzz_as_the_chair(app, world):
    tried("API fuzzing", **fuzz(app, world, world.chair.token))


# ------------------------------------------------------------------ what the fuzzer found, as plain requests

def _request(app, method: str, path: str, token: str, body=None):
    return app.test_client().open(path, method=method, headers=bearer(token), json=body)


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/documents/{}/amendments"),  # POST takes this path too: werkzeug answered 405
    ("POST", "/api/v1/documents/{}/amendments"),
    ("GET", "/api/v1/amendments/{}"),
    ("POST", "/api/v1/polls/{}/ballots"),
    ("DELETE", "/api/v1/meetings/fuzz-meeting/proxies/{}"),
])
@pytest.mark.parametrize("bad_id", ["0", str(2**31), "35215225704695334611179274240"])
def test_an_id_no_row_can_have_is_404_not_405(app, world, method, path, bad_id):
    """An id of 0 or past the database's integer is "no such thing" (404), whatever the method: it
    was a 405 ("this address does not take that method", Allow: POST) on a GET the path serves."""
    before = snapshot(app)
    token = world.chair.token if method == "DELETE" else world.ann.token
    response = _request(app, method, path.format(bad_id), token, {"choice": "yes", "clause_id": 1, "kind": "delete"}
                        if method == "POST" else None)
    assert_error(response, 404, "not_found")
    assert "Allow" not in response.headers
    assert snapshot(app) == before


def _described(app, path: str, method: str) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()["paths"][path][method]


def test_too_many_failed_sign_ins_is_a_described_429(app, world):
    """The sign-in limit answers 429 with the contract's body; the description now lists that status."""
    client = app.test_client()
    for _attempt in range(50):
        response = client.post("/api/v1/auth/token", json={"email": world.ann.email, "password": "not the password"})
        if response.status_code != 401:
            break
    assert_error(response, 429, "rate_limited")
    assert "429" in _described(app, "/api/v1/auth/token", "post")["responses"]


def test_a_204_is_described_without_a_body(app, world):
    """Taking back a proxy answers 204 with no body; the description said it had a JSON one."""
    response = _request(app, "DELETE", f"/api/v1/meetings/{world.slug}/proxies/{world.cat.id}", world.secretary.token)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.get_data() == b""
    described = _described(app, "/api/v1/meetings/{slug}/proxies/{giver_id}", "delete")["responses"]["204"]
    assert "content" not in described


@pytest.mark.parametrize("after", ["-247", "abc", "1.5", str(2**31)])
def test_the_event_stream_refuses_a_bad_after(app, world, after):
    """?after= takes an event id (0 or more, as described); anything else was read as "from now on"
    and answered 200. Now it is a 422 naming the field, as the audit log's ?after= is."""
    response = _request(app, "GET", f"/api/v1/meetings/{world.slug}/events?after={after}", world.ann.token)
    assert_error(response, 422, "validation_failed", {"after"})
    assert "422" in _described(app, "/api/v1/meetings/{slug}/events", "get")["responses"]


def test_the_event_stream_takes_a_good_after(app, world):
    response = _request(app, "GET", f"/api/v1/meetings/{world.slug}/events?after=0", world.ann.token)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert "\nid: 1\n" in response.get_data(as_text=True)  # from event 0 on: the world's changes, the first too

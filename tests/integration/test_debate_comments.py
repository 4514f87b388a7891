"""Comments: a threaded discussion on each amendment and document, with author and organisation; the
chair hides a comment with a reason (the text stays stored and goes into the audit log) and may show it
again; text is escaped on the page; the pages and the API; a live event for every change.

Runs on SQLite and, with MOTIONS_TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from motions.extensions import db
from tests.api_helpers import assert_error, bearer, fast_hashing, snapshot  # noqa: F401  (fast_hashing is a fixture)
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("fast_hashing")

SLUG = "congress"
TEXT = "# Aims\n\nWe fight for all workers.\n\nWe stand for peace.\n"
XSS = "<script>alert(1)</script>"


@pytest.fixture
def world(app, factory):
    factory.meeting(SLUG)
    factory.meeting("other-meeting")
    w = SimpleNamespace(app=app, slug=SLUG)
    w.chair = factory.person(SLUG, "chair", email="chair@example.org", name="Chair")
    w.d1 = factory.person(SLUG, "delegate", email="d1@example.org", name="Delegate One", organisation="Bakers Union")
    w.d2 = factory.person(SLUG, "delegate", email="d2@example.org", name="Delegate Two", organisation="Nurses Union")
    w.outsider = factory.person("other-meeting", "delegate", email="out@example.org", name="Outsider")
    w.doc = factory.document(SLUG, TEXT, state="open")
    w.amendment = factory.amendment(w.doc, w.d1, replace=("all workers", "all workers and migrants"))
    w.other_doc = factory.document("other-meeting", TEXT)
    w.h = {"chair": bearer(factory.token("chair@example.org")), 1: bearer(factory.token("d1@example.org")),
           2: bearer(factory.token("d2@example.org")), "out": bearer(factory.token("out@example.org"))}
    with app.app_context():
        from motions.meetings.operations import get_meeting

        w.meeting_id = get_meeting(SLUG).id
        db.session.remove()
    return w


def post_api(client, w, who, text, subject_type="amendment", subject_id=None, parent_id=None):
    body = {"subject_type": subject_type, "subject_id": subject_id if subject_id is not None else w.amendment,
            "text": text}
    if parent_id is not None:
        body["parent_id"] = parent_id
    return client.post(f"/api/v1/meetings/{w.slug}/comments", headers=w.h[who], json=body)


def listed(client, w, subject_type="amendment", subject_id=None, who=2) -> list[dict]:
    subject_id = subject_id if subject_id is not None else w.amendment
    response = client.get(f"/api/v1/meetings/{w.slug}/comments?subject_type={subject_type}&subject_id={subject_id}",
                          headers=w.h[who])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def events(w) -> list[dict]:
    from motions.live.models import MeetingEvent

    with w.app.app_context():
        rows = [e.data for e in db.session.execute(
            db.select(MeetingEvent).filter_by(meeting_id=w.meeting_id, kind="comment.changed")
            .order_by(MeetingEvent.id)).scalars()]
        db.session.remove()
    return rows


def login(client, email):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": "correct horse battery", "csrf_token": token})
    assert response.status_code == 302


def post(client, path, **data):
    data.setdefault("csrf_token", csrf_token(client, "/login"))
    return client.post(path, data=data)


def thread(html: str) -> str:
    match = re.search(r'<section class="comments-panel".*?</section>', html, re.DOTALL)
    assert match, "no comments panel on the page"
    return match.group(0)


# ---------------------------------------------------------------- the API

def test_post_reply_and_list(client, world):
    w = world
    response = post_api(client, w, 1, "  Why only workers?\nMigrants too.  ")
    assert response.status_code == 201, response.get_json()
    first = response.get_json()
    assert first["text"] == "Why only workers?\nMigrants too."
    assert first["author"] == {"id": w.d1, "name": "Delegate One", "organisation": "Bakers Union"}
    assert first["parent_id"] is None and first["hidden"] is False and first["created_at"].endswith("Z")
    reply = post_api(client, w, 2, "Agreed.", parent_id=first["id"]).get_json()
    assert reply["parent_id"] == first["id"]
    deeper = post_api(client, w, "chair", "Noted.", parent_id=reply["id"]).get_json()  # every role may post
    rows = listed(client, w)
    assert [r["id"] for r in rows] == [first["id"], reply["id"], deeper["id"]]
    assert [r["parent_id"] for r in rows] == [None, first["id"], reply["id"]]
    # each item has its own discussion
    assert listed(client, w, "document", w.doc) == []
    assert events(w) == [{"subject_type": "amendment", "subject_id": w.amendment, "comment": c["id"]}
                         for c in (first, reply, deeper)]


def test_text_is_checked_and_nothing_stored_on_refusal(app, client, world):
    w = world
    before = snapshot(app)
    assert_error(post_api(client, w, 1, "   "), 422, "validation_failed", {"text"})
    assert_error(post_api(client, w, 1, "x" * 5001), 422, "validation_failed", {"text"})
    assert_error(post_api(client, w, 1, "bell \x07 here"), 422, "validation_failed", {"text"})
    assert_error(post_api(client, w, 1, "nul \x00"), 422, "validation_failed", {"text"})
    assert_error(post_api(client, w, 1, "ok", subject_type="meeting", subject_id=w.meeting_id), 422,
                 "validation_failed", {"subject_type"})
    assert_error(post_api(client, w, 1, "ok", subject_type="document", subject_id=w.other_doc), 404, "not_found")
    assert_error(post_api(client, w, 1, "ok", subject_id=999999), 404, "not_found")
    assert_error(client.post(f"/api/v1/meetings/{w.slug}/comments", headers=w.h[1], json={}), 422,
                 "validation_failed", {"subject_type", "subject_id", "text"})
    # a reply's parent must be on the same item
    on_document = post_api(client, w, 1, "On the document.", "document", w.doc).get_json()
    before = snapshot(app)
    assert_error(post_api(client, w, 2, "Reply", parent_id=on_document["id"]), 422, "validation_failed",
                 {"parent_id"})
    assert_error(post_api(client, w, 2, "Reply", parent_id=999999), 422, "validation_failed", {"parent_id"})
    assert snapshot(app) == before
    # the longest comment, and NFC
    assert post_api(client, w, 1, "y" * 5000).status_code == 201
    assert post_api(client, w, 1, "Cafe\u0301 and tab\there").get_json()["text"] == "Caf\u00e9 and tab\there"


def test_hidden_comment_is_in_the_audit_log_only(client, world):
    w = world
    comment = post_api(client, w, 1, "Something offensive.").get_json()
    post_api(client, w, 2, "A reply.", parent_id=comment["id"])
    assert_error(client.post(f"/api/v1/comments/{comment['id']}/hide", headers=w.h[2], json={"reason": "x"}),
                 403, "forbidden")
    assert_error(client.post(f"/api/v1/comments/{comment['id']}/hide", headers=w.h["chair"], json={"reason": " "}),
                 422, "validation_failed", {"reason"})
    response = client.post(f"/api/v1/comments/{comment['id']}/hide", headers=w.h["chair"],
                           json={"reason": "Personal abuse."})
    assert response.status_code == 200
    hidden = response.get_json()
    assert hidden["hidden"] is True and hidden["text"] is None and hidden["hidden_reason"] == "Personal abuse."
    assert hidden["hidden_by"]["name"] == "Chair" and hidden["hidden_at"].endswith("Z")
    assert_error(client.post(f"/api/v1/comments/{comment['id']}/hide", headers=w.h["chair"],
                             json={"reason": "Again."}), 409, "already_hidden")
    rows = listed(client, w)
    assert rows[0]["text"] is None and rows[1]["text"] == "A reply."
    assert "Something offensive." not in str(listed(client, w, who="chair"))
    # no reply to a hidden comment
    assert_error(post_api(client, w, 2, "More.", parent_id=comment["id"]), 409, "comment_hidden")
    # the audit log keeps the text (the chair reads it there)
    log = client.get(f"/api/v1/meetings/{w.slug}/audit", headers=w.h["chair"]).get_json()
    entry = next(e for e in log if e["action"] == "comment.hidden")
    assert entry["subject"] == {"type": "comment", "id": comment["id"]}
    assert entry["data"]["text"] == "Something offensive." and entry["data"]["reason"] == "Personal abuse."
    assert entry["data"]["author"] == "Delegate One" and entry["actor"]["name"] == "Chair"
    assert_error(client.get(f"/api/v1/meetings/{w.slug}/audit", headers=w.h[1]), 403)
    # shown again
    shown = client.post(f"/api/v1/comments/{comment['id']}/unhide", headers=w.h["chair"]).get_json()
    assert shown["hidden"] is False and shown["text"] == "Something offensive." and shown["hidden_reason"] == ""
    assert_error(client.post(f"/api/v1/comments/{comment['id']}/unhide", headers=w.h["chair"]), 409, "not_hidden")
    log = client.get(f"/api/v1/meetings/{w.slug}/audit", headers=w.h["chair"]).get_json()
    assert [e["action"] for e in log if e["action"].startswith("comment.")] == ["comment.hidden", "comment.unhidden"]
    assert len(events(w)) == 2 + 2


def test_roles_and_meetings_in_the_api(client, world):
    w = world
    comment = post_api(client, w, 1, "Hello.").get_json()
    assert_error(client.get(f"/api/v1/meetings/{w.slug}/comments?subject_type=amendment&subject_id={w.amendment}"),
                 401)
    assert_error(post_api(client, w, "out", "Not my meeting."), 403, "forbidden")
    assert_error(client.post(f"/api/v1/comments/{comment['id']}/hide", headers=w.h["out"], json={"reason": "x"}),
                 403, "forbidden")
    assert_error(client.post("/api/v1/comments/999999/hide", headers=w.h["chair"], json={"reason": "x"}),
                 404, "not_found")
    assert_error(client.get(f"/api/v1/meetings/{w.slug}/comments", headers=w.h[1]), 422, "validation_failed",
                 {"subject_type", "subject_id"})


# ---------------------------------------------------------------- the pages

def test_the_thread_on_the_amendment_page(client, world):
    w = world
    login(client, "d1@example.org")
    page = client.get(f"/amendments/{w.amendment}").get_data(as_text=True)
    section = thread(page)
    assert f'data-live-src="/amendments/{w.amendment}/comments"' in section
    assert 'data-live="comment.changed"' in section and "No comments yet." in section
    assert "Hide…" not in section
    response = post(client, f"/m/{w.slug}/comments", subject_type="amendment", subject_id=w.amendment, parent_id="",
                    text=f"Look: {XSS}")
    assert response.status_code == 302
    first = listed(client, w)[0]["id"]
    assert response.location.endswith(f"/amendments/{w.amendment}#comment-{first}")
    response = post(client, f"/m/{w.slug}/comments", subject_type="amendment", subject_id=w.amendment,
                    parent_id=str(first), text="A reply to the first.")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Your comment is posted." in page
    section = thread(page)
    # escaped, never markup
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    # author, organisation, time; the reply nested inside the first comment's item
    assert "Delegate One" in section and "Bakers Union" in section and "<time datetime=" in section
    second = listed(client, w)[1]["id"]
    assert re.search(rf'<li class="comment depth-0" id="comment-{first}">.*?<ol class="comments replies">\s*'
                     rf'<li class="comment depth-1" id="comment-{second}">', section, re.DOTALL)
    # errors are messages on the page
    response = post(client, f"/m/{w.slug}/comments", subject_type="amendment", subject_id=w.amendment, text="  ")
    assert response.status_code == 302
    assert "Write your comment." in client.get(response.location).get_data(as_text=True)
    response = post(client, f"/m/{w.slug}/comments", subject_type="amendment", subject_id=w.amendment,
                    parent_id="abc", text="x")
    assert "not part of this discussion" in client.get(response.location).get_data(as_text=True)
    assert len(listed(client, w)) == 2
    # the fragment the live refresh fetches
    fragment = client.get(f"/amendments/{w.amendment}/comments").get_data(as_text=True)
    assert "<section" not in fragment and "A reply to the first." in fragment


def test_chair_hides_and_shows_on_the_page(client, world):
    w = world
    comment = post_api(client, w, 1, "Offensive words here.", "document", w.doc).get_json()
    login(client, "chair@example.org")
    section = thread(client.get(f"/documents/{w.doc}").get_data(as_text=True))
    assert f'data-live-src="/documents/{w.doc}/comments"' in section
    assert "Offensive words here." in section and "Hide…" in section
    response = post(client, f"/m/{w.slug}/comments/hide", comment_id=str(comment["id"]), reason="")
    assert "Give the reason for hiding the comment." in client.get(response.location).get_data(as_text=True)
    response = post(client, f"/m/{w.slug}/comments/hide", comment_id=str(comment["id"]), reason="Abuse <b>x</b>")
    assert response.status_code == 302 and response.location.endswith(f"/documents/{w.doc}#comments-document-{w.doc}")
    page = client.get(response.location).get_data(as_text=True)
    assert "The comment is hidden." in page
    section = thread(page)
    assert "Offensive words here." not in section
    assert "Hidden by the chair." in section and "Abuse &lt;b&gt;x&lt;/b&gt;" in section
    assert "Show it again" in section
    # a delegate sees the same: hidden, with the reason, no text, no buttons to moderate
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "d2@example.org")
    section = thread(client.get(f"/documents/{w.doc}").get_data(as_text=True))
    assert "Offensive words here." not in section and "Hidden by the chair." in section
    assert "Show it again" not in section
    assert post(client, f"/m/{w.slug}/comments/unhide", comment_id=str(comment["id"])).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, "chair@example.org")
    post(client, f"/m/{w.slug}/comments/unhide", comment_id=str(comment["id"]))
    assert "Offensive words here." in thread(client.get(f"/documents/{w.doc}").get_data(as_text=True))
    response = post(client, f"/m/{w.slug}/comments/hide", comment_id="999999", reason="x")
    assert response.status_code == 302
    assert "There is no such comment." in client.get(response.location).get_data(as_text=True)
    assert len(events(w)) == 1 + 2


def test_a_long_chain_of_replies_nests_only_so_deep(client, world):
    w = world
    parent = None
    for i in range(9):
        parent = post_api(client, w, 1 + i % 2, f"Level {i}", parent_id=parent).get_json()["id"]
    login(client, "d1@example.org")
    section = thread(client.get(f"/amendments/{w.amendment}").get_data(as_text=True))
    depths = [int(d) for d in re.findall(r'class="comment depth-(\d+)', section)]
    assert depths == [0, 1, 2, 3, 4, 5, 5, 5, 5]
    assert "in reply to Delegate" in section


def test_signed_out_and_outsiders_on_the_pages(client, world):
    w = world
    response = client.get(f"/amendments/{w.amendment}/comments")
    assert response.status_code == 302 and "/login" in response.location
    login(client, "out@example.org")
    assert client.get(f"/amendments/{w.amendment}/comments").status_code == 403
    assert post(client, f"/m/{w.slug}/comments", subject_type="amendment", subject_id=w.amendment,
                text="x").status_code == 403
    assert listed(client, w) == []


def test_answers_match_the_openapi_description(client, world):
    from jsonschema import Draft202012Validator

    w = world
    spec = client.get("/api/v1/openapi.json").get_json()

    def conforms(path, method, status, response):
        assert response.status_code == int(status), response.get_json()
        schema = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(response.get_json())]
        assert errors == [], (path, errors)

    response = post_api(client, w, 1, "A comment.")
    conforms("/api/v1/meetings/{slug}/comments", "post", "201", response)
    cid = response.get_json()["id"]
    conforms("/api/v1/comments/{comment_id}/hide", "post", "200",
             client.post(f"/api/v1/comments/{cid}/hide", headers=w.h["chair"], json={"reason": "No."}))
    conforms("/api/v1/meetings/{slug}/comments", "get", "200",
             client.get(f"/api/v1/meetings/{w.slug}/comments?subject_type=amendment&subject_id={w.amendment}",
                        headers=w.h[1]))
    conforms("/api/v1/comments/{comment_id}/unhide", "post", "200",
             client.post(f"/api/v1/comments/{cid}/unhide", headers=w.h["chair"]))
    conforms("/api/v1/comments/{comment_id}/unhide", "post", "409",
             client.post(f"/api/v1/comments/{cid}/unhide", headers=w.h["chair"]))

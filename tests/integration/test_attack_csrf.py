"""Attack suite, CSRF: every form of the app, found by walking every page of the URL map as every
kind of visitor, posted without its csrf_token and with a token of another session: 400 with the
"Form expired" page, and nothing in the database changed. Every POST route of the pages is posted
by some form found on the way; the API's POST routes take the X-CSRFToken header instead (for a
cookie-signed caller) and refuse a call without it.
"""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.conftest import csrf_token
from tests.integration.test_attack_xss import VISITORS, _get_pages, _rules, _urls, build_world, sign_in
from tests.tried import tried

EXPIRED = "Form expired"


class _Forms(HTMLParser):
    """The <form method="post"> of a page: action (and a script's data-preview-url) and fields."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                actions = [a.get("action") or self.page_url]
                if a.get("data-preview-url"):
                    actions.append(a["data-preview-url"])  # amend.js posts the same fields there
                self._form = {"actions": actions, "fields": {}, "page": self.page_url}
                self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            return
        fields = self._form["fields"]
        name = a["name"]
        if tag == "input" and (a.get("type") or "text") in ("checkbox", "radio") and "checked" not in a:
            fields.setdefault(name, a.get("value", "on"))  # something a person could tick
        elif tag in ("input", "textarea", "select", "button"):
            if tag == "button" or (tag == "input" and a.get("type") == "submit"):
                fields.setdefault(name, a.get("value", ""))  # the first button, as if pressed
            else:
                fields[name] = a.get("value") or fields.get(name) or "1"

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def forms_on(url: str, html: str) -> list[dict]:
    parser = _Forms(url)
    parser.feed(html)
    parser.close()
    return parser.forms


def db_state(app) -> dict:
    """Row counts of every table, and the audit log as it stands (its last entries' hashes)."""
    from motions.extensions import db

    with app.app_context():
        counts = {t.name: db.session.execute(db.select(db.func.count()).select_from(t)).scalar_one()
                  for t in db.metadata.sorted_tables if t.name != "sign_in_counter"}
        audit = next(t for t in db.metadata.sorted_tables if t.name.startswith("audit"))
        rows = sorted(repr(tuple(r)) for r in db.session.execute(db.select(audit)).all())
        everything = {t.name: sorted(repr(tuple(r)) for r in db.session.execute(db.select(t)).all())
                      for t in db.metadata.sorted_tables if t.name != "sign_in_counter"}
        db.session.remove()
    return {"counts": counts, "audit": rows, "rows": everything}


def _endpoint(app, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(urlsplit(path).path, method="POST")
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint


@pytest.fixture
def world(app):
    return build_world(app)


def _collect(app, world) -> dict[tuple[str | None, str], dict]:
    """Every post form of every page, per visitor (None: signed out), by (visitor, action)."""
    found: dict[tuple[str | None, str], dict] = {}
    for visitor in [None, *VISITORS]:
        for url, response in _get_pages(app, world, visitor, all_ids=True):
            if response.mimetype != "text/html":
                continue
            for form in forms_on(url, response.get_data(as_text=True)):
                for action in form["actions"]:
                    found.setdefault((visitor, action), {**form, "action": action})
    # a ballot's review page is the answer to a post (its "Review my ballot"): its form casts the ballot
    if world.get("voting_election"):
        client = app.test_client()
        sign_in(client, "delegate")
        url = f"/elections/{world['voting_election']}/ballot"
        response = client.post(url, data={"action": "review", "ranking": "", "csrf_token": csrf_token(client, "/login")})
        assert response.status_code == 200, (url, response.status_code)
        for form in forms_on(url, response.get_data(as_text=True)):
            for action in form["actions"]:
                found.setdefault(("delegate", action), {**form, "action": action})
    return found


def test_every_form_refuses_a_post_without_a_valid_token(app, world):
    found = _collect(app, world)
    assert len(found) >= 40, len(found)
    clients = {}
    for visitor in [None, *VISITORS]:
        clients[visitor] = app.test_client()
        if visitor:
            sign_in(clients[visitor], visitor)
    stranger = app.test_client()
    foreign_token = csrf_token(stranger, "/login")  # a real token, of someone else's session
    before = db_state(app)
    problems = []
    posts = Counter()
    for (visitor, action), form in sorted(found.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        client = clients[visitor]
        fields = {k: v for k, v in form["fields"].items() if k != "csrf_token"}
        assert "csrf_token" in form["fields"] or visitor is None and action.startswith("/login"), \
            f"{form['page']}: the form to {action} has no csrf_token field"
        for label, data in (("without a token", fields), ("with another session's token",
                                                         {**fields, "csrf_token": foreign_token}),
                            ("with a forged token", {**fields, "csrf_token": "forged." + foreign_token[7:]})):
            response = client.post(action, data=data)
            body = response.get_data(as_text=True)
            if response.status_code != 400 or EXPIRED not in body:
                problems.append(f"{visitor}: {action} ({form['page']}) {label}: {response.status_code}")
            posts[label] += 1
    after = db_state(app)
    assert not problems, "\n".join(problems[:40])
    assert after["counts"] == before["counts"]
    assert after["audit"] == before["audit"]
    assert after["rows"] == before["rows"]
    tried("CSRF", forms_found=len(found), posts_without_a_token=posts["without a token"],
          posts_with_a_foreign_token=posts["with another session's token"],
          posts_with_a_forged_token=posts["with a forged token"],
          rows_compared=sum(len(rows) for rows in after["rows"].values()))


def test_every_page_post_route_is_posted_by_a_form(app, world):
    """Each POST route of the pages is the action of some form a visitor meets (or the script's
    post of a form's fields): none is left that the CSRF walk above never tried."""
    found = _collect(app, world)
    posted = {_endpoint(app, action) for _visitor, action in found}
    routes = {endpoint for endpoint, _rule, methods in _rules(app) if "POST" in methods}
    missing = sorted(routes - posted)
    assert not missing, f"POST routes no form on any page posts to: {missing}"
    tried("CSRF", page_post_routes_reached_by_a_form=len(routes))


def test_api_post_routes_need_the_csrf_header_with_a_cookie(app, world):
    """The API's POST and DELETE routes, called with the session cookie (as the pages' scripts do)
    but without X-CSRFToken, or with another session's: 400 csrf_failed, nothing changed."""
    client = app.test_client()
    sign_in(client, "chair")
    foreign = csrf_token(app.test_client(), "/login")
    before = db_state(app)
    problems, tried_calls = [], 0
    for endpoint, rule, methods in _rules(app, api=True):
        for method in sorted(methods & {"POST", "DELETE", "PUT", "PATCH"}):
            if endpoint == "api.token_post":
                continue  # signs in with a password: no session to ride on (test_api_auth)
            for url in _urls(rule, world, all_ids=False)[:1]:
                for headers in ({}, {"X-CSRFToken": foreign}):
                    tried_calls += 1
                    response = client.open(url, method=method, json={"text": "x", "present": True}, headers=headers)
                    error = (response.get_json(silent=True) or {}).get("error", {})
                    if response.status_code != 400 or error.get("code") != "csrf_failed":
                        problems.append(f"{method} {url} {headers and 'foreign token' or 'no token'}: "
                                        f"{response.status_code} {error.get('code')}")
    assert tried_calls >= 30, tried_calls
    assert not problems, "\n".join(problems)
    after = db_state(app)
    assert after == before
    tried("CSRF", api_calls_without_or_with_a_foreign_header=tried_calls,
          rows_compared=sum(len(rows) for rows in after["rows"].values()))

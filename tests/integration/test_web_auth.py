"""Signing in and out, CSRF, redirects after sign-in, cookies, password storage, security headers."""
from __future__ import annotations

import re
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest

from motions import create_app
from tests.conftest import PASSWORD, csrf_token

SLUG = "auth-meeting"


def _signed_in(client) -> bool:
    """What a person sees: the list of their meetings, not the sign-in page."""
    response = client.get("/")
    return response.status_code == 200 and "Your meetings" in response.get_data(as_text=True)


def _set_cookies(response) -> dict[str, str]:
    """Each cookie the response sets, by name: its whole Set-Cookie header (with the flags)."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            cookies[name] = header
    return cookies


@pytest.fixture
def person(factory):
    factory.meeting(SLUG, title="Auth meeting")
    return factory.person(SLUG, "delegate", "secretary", email="ana@example.org", name="Ana Lima")


# ---------------------------------------------------------------- signing in

def test_sign_in_with_the_right_password(client, auth, person):
    response = auth.login("ana@example.org")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Ana Lima" in page
    assert "Auth meeting" in page


def test_email_is_matched_without_regard_to_case(client, auth, person):
    assert auth.login("Ana@Example.ORG").status_code == 302
    assert _signed_in(client)


@pytest.mark.parametrize("email,password", [
    ("ana@example.org", "wrong password"),
    ("nobody@example.org", PASSWORD),
])
def test_wrong_password_or_unknown_email_shows_a_message_and_signs_nobody_in(client, auth, person, email, password):
    response = auth.login(email, password)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The email or the password is wrong." in html
    # the email stays in the form, the password does not
    assert f'value="{email}"' in html
    assert password not in html
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert not _signed_in(client)


def test_empty_sign_in_form_says_what_is_missing(client, auth, person):
    response = auth.login("", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter your email address." in html
    assert "Enter your password." in html
    assert not _signed_in(client)


def test_pages_need_sign_in(client, person):
    response = client.get(f"/m/{SLUG}/")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    page = client.get(response.location).get_data(as_text=True)
    assert "Please sign in to see this page." in page


# ---------------------------------------------------------------- signing out

def test_sign_out_is_post_only(client, auth, person):
    auth.login("ana@example.org")
    assert client.get("/logout").status_code == 405
    assert _signed_in(client)


def test_sign_out_needs_the_csrf_token(client, auth, person):
    auth.login("ana@example.org")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert _signed_in(client)


def test_sign_out(client, auth, person):
    auth.login("ana@example.org")
    response = auth.logout()
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    assert "You have signed out." in client.get(response.location).get_data(as_text=True)
    assert not _signed_in(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session


# ---------------------------------------------------------------- CSRF

def test_sign_in_without_csrf_token_is_refused(client, person):
    response = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert not _signed_in(client)


@pytest.mark.parametrize("token", [None, "", "not-a-token", "from-another-session"])
def test_form_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, client, auth, person, token):
    from motions.auth.models import Person
    from motions.extensions import db
    from motions.meetings.models import Meeting

    auth.login("ana@example.org")
    data = {"name": "Mallory", "email": "mallory@example.org", "roles": "delegate", "vote_weight": "1"}
    if token == "from-another-session":
        other = app.test_client()
        token = csrf_token(other, "/login")  # a real token, but of someone else's session
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/m/{SLUG}/people/add", data=data)
    assert response.status_code == 400
    assert "security token is missing or has expired" in response.get_data(as_text=True)

    settings = {"title": "Hijacked", "line_width": "40", "seconders_required": "0", "numbering": "sequential"}
    if token is not None:
        settings["csrf_token"] = token
    assert client.post(f"/m/{SLUG}/settings", data=settings).status_code == 400
    with app.app_context():
        assert db.session.execute(db.select(Person).filter_by(email="mallory@example.org")).first() is None
        meeting = db.session.execute(db.select(Meeting).filter_by(slug=SLUG)).scalar_one()
        assert meeting.title == "Auth meeting"
        assert meeting.line_width == 80
    # the same post with the page's own token works
    data.pop("csrf_token", None)
    assert auth.post(f"/m/{SLUG}/people/add", data=data).status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(Person).filter_by(email="mallory@example.org")).first() is not None


# ---------------------------------------------------------------- where sign-in leads

def test_sign_in_goes_back_to_the_page_asked_for(client, person):
    first = client.get(f"/m/{SLUG}/people")
    login_page = client.get(first.location).get_data(as_text=True)
    assert f'value="/m/{SLUG}/people"' in login_page  # the hidden `next` field
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD,
                                           "next": f"/m/{SLUG}/people", "csrf_token": token})
    assert response.status_code == 302
    assert response.location == f"/m/{SLUG}/people"


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "https:evil.example",
    "evil.example",
])
def test_next_cannot_lead_off_site(client, person, target):
    client.get("/login", query_string={"next": target})
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD,
                                           "next": target, "csrf_token": token})
    assert response.status_code == 302
    location = response.location
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "evil" not in location
    assert _signed_in(client)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_language_switch_cannot_lead_off_site(client, target):
    token = csrf_token(client, "/login")
    response = client.post("/language", data={"lang": "zh_Hans", "next": target, "csrf_token": token})
    assert response.status_code == 302
    parts = urlsplit(response.location)
    assert not parts.scheme and not parts.netloc and "evil" not in response.location
    # nor through the Referer when no `next` is given
    response = client.post("/language", data={"lang": "en", "csrf_token": token},
                           headers={"Referer": "https://evil.example//evil.example/x"})
    assert response.status_code == 302
    assert "evil" not in response.location


def test_next_on_the_sign_in_page_is_escaped(client):
    html = client.get("/login", query_string={"next": '/"><script>alert(1)</script>'}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html or "&#34;&gt;&lt;script" in html


# ---------------------------------------------------------------- the session

def test_session_cookie_is_httponly_and_samesite_lax(client, auth, person):
    response = auth.login("ana@example.org")
    cookie = _set_cookies(response)["session"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_secure_by_default(app, database_uri, monkeypatch):
    """With the configuration a deployment gets (no test overrides), the cookie is Secure.

    (`app` is asked for only so that its teardown empties the PostgreSQL database afterwards.)"""
    from motions.extensions import db
    from tests.conftest import Factory

    monkeypatch.delenv("MOTIONS_SECURE_COOKIES", raising=False)
    default_app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "default-config-key"})
    try:
        assert default_app.config["SESSION_COOKIE_SECURE"] is True
        assert default_app.config["REMEMBER_COOKIE_SECURE"] is True
        factory = Factory(default_app)
        factory.meeting(SLUG)
        factory.person(SLUG, "delegate", email="ana@example.org")
        client = default_app.test_client()
        page = client.get("https://localhost/login")
        cookie = _set_cookies(page)["session"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        # over HTTPS, Flask-WTF also wants a Referer of the same site, as a browser sends it
        response = client.post("https://localhost/login",
                               data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": token},
                               headers={"Referer": "https://localhost/login"})
        assert response.status_code == 302
        cookie = _set_cookies(response)["session"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        with default_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_session_is_renewed_at_sign_in(app, client, auth, person):
    """No session fixation: what was in the session before sign-in (planted by someone) is gone after."""
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        before_token = session["csrf_token"]
    before_cookie = client.get_cookie("session").value
    auth.login("ana@example.org")
    after_cookie = client.get_cookie("session").value
    assert after_cookie != before_cookie
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != before_token
        assert session.get("_user_id")
    # the session from before sign-in does not carry the sign-in
    stale = app.test_client()
    stale.set_cookie("session", before_cookie)
    response = stale.get("/")
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"


def test_language_choice_survives_sign_in(client, auth, person):
    token = csrf_token(client, "/login")
    client.post("/language", data={"lang": "zh_Hant", "csrf_token": token, "next": "/login"})
    auth.login("ana@example.org")
    assert 'lang="zh-Hant"' in client.get("/").get_data(as_text=True)


# ---------------------------------------------------------------- passwords

@pytest.mark.real_password_hashing
def test_passwords_are_stored_hashed_with_scrypt(app, factory, person):
    from motions.auth.models import Person
    from motions.extensions import db

    factory.person(SLUG, "delegate", email="bo@example.org")  # the same password as Ana
    with app.app_context():
        hashes = [p.password_hash for p in db.session.execute(
            db.select(Person).where(Person.email.in_(["ana@example.org", "bo@example.org"]))).scalars()]
    assert len(hashes) == 2
    for stored in hashes:
        assert stored.startswith("scrypt:")
        assert PASSWORD not in stored
    assert hashes[0] != hashes[1]  # salted


@pytest.mark.real_password_hashing
def test_password_set_on_the_people_page_is_hashed_and_works(app, client, auth, person):
    from motions.auth.models import Person
    from motions.extensions import db

    auth.login("ana@example.org")
    response = auth.post(f"/m/{SLUG}/people/add", data={
        "name": "Cai Lun", "email": "cai@example.org", "roles": "delegate", "vote_weight": "1",
        "password": "paper and ink"})
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.execute(db.select(Person).filter_by(email="cai@example.org")).scalar_one().password_hash
    assert stored.startswith("scrypt:") and "paper and ink" not in stored
    auth.logout()
    assert auth.login("cai@example.org", "paper and ink").status_code == 302


# ---------------------------------------------------------------- headers and pages under the CSP

def test_security_headers(client, auth, person):
    for response in (client.get("/login"), client.get("/no-such-page")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "object-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_nothing_inline_the_csp_would_block(client, auth, factory, person):
    """No inline scripts, style attributes or event handlers: they would be blocked without 'unsafe-inline'."""
    document_id = factory.document(SLUG, "# Aims\n\nOne. Two.\n\n- An item.\n")
    pages = ["/login"]
    auth.login("ana@example.org")
    pages += ["/", f"/m/{SLUG}/", f"/m/{SLUG}/people", f"/m/{SLUG}/people/import", f"/m/{SLUG}/documents/import",
              f"/m/{SLUG}/settings", f"/documents/{document_id}", "/no-such-page"]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page
        assert not re.search(r"\sstyle\s*=", html), page
        assert not re.search(r"<style", html), page
        assert not re.search(r"\son[a-z]+\s*=", html), page

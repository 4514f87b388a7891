"""Attack suite, the session: fixation, stolen cookies, cookie flags, sign-out, and the security
headers and Content-Security-Policy of every page and API answer (extending test_web_auth.py,
which checks the basic flags, renewal at sign-in and the headers of two pages).
"""
from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest

from motions import create_app
from tests.conftest import PASSWORD, csrf_token
from tests.integration.test_attack_xss import VISITORS, _get_pages, _rules, _urls, build_world, parse, sign_in
from tests.tried import tried

SLUG = "session-meeting"


def _signed_in(client, **kwargs) -> bool:
    response = client.get("/", **kwargs)
    return response.status_code == 200 and "Your meetings" in response.get_data(as_text=True)


def _set_cookies(response) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            cookies[name] = morsel
    return cookies


@pytest.fixture
def person(factory):
    factory.meeting(SLUG, title="Session meeting")
    return factory.person(SLUG, "delegate", email="ana@example.org", name="Ana Lima")


def _login(client, email="ana@example.org", **kwargs):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, **kwargs)


# ---------------------------------------------------------------- fixation

def test_a_session_planted_before_sign_in_is_useless_to_the_attacker(app, person):
    """The attacker opens the sign-in page, keeps the cookie and its CSRF token, and plants the
    cookie in the victim's browser. The victim signs in: the attacker's copy gives no access, and
    the CSRF token the attacker knows does not pass the victim's forms."""
    attacker = app.test_client()
    page = attacker.get("/login")
    planted = attacker.get_cookie("session").value
    known_token = csrf_token(attacker, "/login")

    victim = app.test_client()
    victim.set_cookie("session", planted)
    assert _login(victim).status_code == 302
    assert victim.get_cookie("session").value != planted
    assert _signed_in(victim)

    assert page.status_code == 200 and not _signed_in(attacker)
    replay = app.test_client()
    replay.set_cookie("session", planted)
    assert not _signed_in(replay)
    # the attacker's token, on a form posted from the victim's browser: refused, nothing changes
    response = victim.post(f"/m/{SLUG}/check-in", data={"csrf_token": known_token, "present": "1"})
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    assert _signed_in(victim)
    tried("Session", planted_sessions_replayed=1, planted_csrf_tokens_posted=1)  # one attack, as above


def test_a_signed_in_cookie_replayed_from_another_browser_is_signed_out(app, person):
    """session_protection = "strong": a cookie stolen from a signed-in browser and replayed with
    another User-Agent or from another address does not carry the sign-in."""
    victim = app.test_client()
    headers = {"User-Agent": "VictimBrowser/1.0"}
    token = csrf_token(victim, "/login")
    victim.post("/login", data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": token},
                headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert _signed_in(victim, headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    stolen = victim.get_cookie("session").value

    replayed = 0
    for other in ({"headers": {"User-Agent": "AttackerBrowser/6.6"}, "environ_base": {"REMOTE_ADDR": "10.0.0.1"}},
                  {"headers": headers, "environ_base": {"REMOTE_ADDR": "203.0.113.9"}}):
        thief = app.test_client()
        thief.set_cookie("session", stolen)
        response = thief.get(f"/m/{SLUG}/", **other)
        assert response.status_code == 302 and urlsplit(response.location).path == "/login", other
        replayed += 1
    tried("Session", stolen_cookies_replayed=replayed)


# ---------------------------------------------------------------- cookie flags

@pytest.mark.parametrize("setting, secure", [("1", True), ("true", True), ("0", False), ("no", False)])
def test_secure_cookies_follow_motions_secure_cookies(app, database_uri, monkeypatch, setting, secure):
    """MOTIONS_SECURE_COOKIES on: the session (and remember) cookie is Secure; off: it is not (for
    plain http on a laptop). HttpOnly and SameSite=Lax either way, and no expiry: the cookie ends
    with the browser session."""
    from motions.extensions import db
    from tests.conftest import Factory

    monkeypatch.setenv("MOTIONS_SECURE_COOKIES", setting)
    configured = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "flag-test-key",
                             "TESTING": True})
    try:
        assert configured.config["SESSION_COOKIE_SECURE"] is secure
        assert configured.config["REMEMBER_COOKIE_SECURE"] is secure
        assert configured.config["REMEMBER_COOKIE_HTTPONLY"] is True
        Factory(configured).person(None, email="flags@example.org")
        client = configured.test_client()
        base = "https://localhost" if secure else "http://localhost"
        page = client.get(f"{base}/login")
        token = csrf_token(client, f"{base}/login")
        response = client.post(f"{base}/login", data={"email": "flags@example.org", "password": PASSWORD,
                                                     "csrf_token": token}, headers={"Referer": f"{base}/login"})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        cookies = 0
        for answer in (page, response):
            morsel = _set_cookies(answer)["session"]
            assert bool(morsel["secure"]) is secure
            assert morsel["httponly"]
            assert morsel["samesite"] == "Lax"
            assert not morsel["expires"] and not morsel["max-age"], "the session cookie outlives the browser"
            cookies += 1
        assert "remember_token" not in _set_cookies(response), "sign-in sets a long-lived remember cookie"
        tried("Session", cookies_checked_for_flags=cookies)
    finally:
        with configured.app_context():
            db.session.remove()
            db.engine.dispose()


# ---------------------------------------------------------------- signing out

def test_sign_out_clears_a_remember_cookie(app, client, person):
    """Sign-in never sets a remember cookie; should one be in the browser (an older version set it),
    signing out deletes it, and a forged one signs nobody in."""
    response = _login(client)
    assert "remember_token" not in _set_cookies(response)
    client.set_cookie("remember_token", "1|forged")
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    cleared = _set_cookies(response).get("remember_token")
    assert cleared is not None, "sign-out leaves the remember cookie in the browser"
    assert cleared.value == "" and cleared["expires"]
    assert not _signed_in(client)

    forged = app.test_client()
    forged.set_cookie("remember_token", "1|0000")
    assert not _signed_in(forged)
    tried("Session", remember_cookies_cleared_at_sign_out=1, forged_remember_cookies=1)


def test_a_remember_cookie_for_another_person_id_signs_nobody_in(app, person):
    forged = 0
    for value in (f"{person}|", f"{person}|{'0' * 128}", f"{person}", "|", "x" * 4000):
        client = app.test_client()
        client.set_cookie("remember_token", value)
        assert not _signed_in(client), value
        forged += 1
    tried("Session", forged_remember_cookies=forged)


def test_a_session_cookie_copied_before_sign_out_is_dead_after_it(app, person):
    """Flask keeps the session in its signed cookie: signing out must still end a copy of it
    (the person's session generation moves on, motions.auth.models.Person.get_id)."""
    victim = app.test_client()
    _login(victim)
    copied = victim.get_cookie("session").value
    assert victim.post("/logout", data={"csrf_token": csrf_token(victim, "/")}).status_code == 302
    assert not _signed_in(victim)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert not _signed_in(thief)
    tried("Session", cookies_replayed_after_sign_out=1)


# ---------------------------------------------------------------- headers and the CSP, everywhere

def _csp_problems(response) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    if directives.get("default-src") != ["'self'"]:
        problems.append(f"default-src {directives.get('default-src')}")
    for name in ("script-src", "style-src"):
        sources = directives.get(name, directives.get("default-src", []))
        if any(s in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "https:", "http:") for s in sources):
            problems.append(f"{name} {sources}")
    if directives.get("object-src") != ["'none'"]:
        problems.append("object-src is not 'none'")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("frame-ancestors is not 'none'")
    if directives.get("base-uri") not in (["'none'"], ["'self'"]):
        problems.append("base-uri is not restricted")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append("no X-Frame-Options: DENY")
    if not response.headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    return problems


def inline_problems(html: str) -> list[str]:
    """What the CSP (no 'unsafe-inline') would block: inline scripts, <style>, style= and on*=."""
    page = parse(html)
    problems = []
    for tag, attrs in page.starts:
        names = {name for name, _value in attrs}
        if tag == "script" and not dict(attrs).get("src"):
            problems.append("an inline <script>")
        if tag == "style":
            problems.append("a <style> element")
        if "style" in names:
            problems.append(f"<{tag} style=...>")
        problems += [f"<{tag} {n}=...>" for n in names if n.startswith("on")]
        if tag == "a" and (dict(attrs).get("href") or "").strip().lower().startswith("javascript:"):
            problems.append("a javascript: link")
    if page.script_text:
        problems.append("script content")
    return problems


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.mark.parametrize("visitor", list(VISITORS) + [None])
def test_every_page_has_the_headers_and_nothing_inline(app, world, visitor):
    """Every page the URL map walk reaches (every id of the world, as each kind of visitor): the
    security headers with a strict CSP, and nothing in the page that such a CSP would block."""
    problems, pages, answers = [], 0, 0
    for url, response in _get_pages(app, world, visitor, all_ids=True):
        problems += [f"{url}: {p}" for p in _csp_problems(response)]
        answers += 1
        if response.mimetype == "text/html":
            pages += 1
            problems += [f"{url}: {p}" for p in inline_problems(response.get_data(as_text=True))]
    assert pages >= 40, pages
    assert not problems, "\n".join(sorted(set(problems))[:40])
    tried("Session", answers_checked_for_headers=answers, pages_checked_for_inline_script_and_style=pages)


def test_error_pages_and_answers_to_posts_have_the_headers(app, world):
    client = app.test_client()
    sign_in(client, "delegate")
    answers = {
        "404": client.get("/no-such-page"),
        "405": client.get("/logout"),
        "400 form expired": client.post(f"/m/{world['slug']}/check-in", data={"present": "1"}),
        "403": client.get(f"/m/{world['slug']}/settings"),
        "302": client.post(f"/m/{world['slug']}/check-in",
                           data={"present": "1", "csrf_token": csrf_token(client, "/login")}),
        "export": client.get(f"/documents/{world['open_document']}/export?format=html"),
        "static": client.get("/static/style.css"),
    }
    pages = 0
    for name, response in answers.items():
        assert not _csp_problems(response), (name, _csp_problems(response))
        if response.mimetype == "text/html" and name != "export":
            assert not inline_problems(response.get_data(as_text=True)), name
            pages += 1
    tried("Session", answers_checked_for_headers=len(answers), pages_checked_for_inline_script_and_style=pages)


def test_every_api_answer_has_the_headers(app, world):
    client = app.test_client()
    sign_in(client, "chair")
    problems, tried_calls = [], 0
    for endpoint, rule, methods in _rules(app, api=True):
        if endpoint == "api.events_get":
            continue
        for method in sorted(methods & {"GET", "POST", "DELETE"}):
            for url in _urls(rule, world, all_ids=False)[:1]:
                tried_calls += 1
                response = client.open(url, method=method, json={})  # a POST without the header: 400
                problems += [f"{method} {url}: {p}" for p in _csp_problems(response)]
    anonymous = app.test_client().get(f"/api/v1/meetings/{world['slug']}")
    problems += [f"401: {p}" for p in _csp_problems(anonymous)]
    assert tried_calls >= 50, tried_calls
    assert not problems, "\n".join(problems[:40])
    tried("Session", answers_checked_for_headers=tried_calls + 1)

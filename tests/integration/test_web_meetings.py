"""Meetings through the pages: the meeting home, creating a meeting, its settings."""
from __future__ import annotations

import html as htmllib
import re

import pytest

SLUG = "meetings-meeting"

SETTINGS = {"title": "Founding meeting", "seconders_required": "1", "quorum": "", "line_width": "80",
            "numbering": "sequential"}


def _text(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _meetings(app) -> dict[str, dict]:
    from motions.extensions import db
    from motions.meetings.models import Meeting

    with app.app_context():
        return {m.slug: {"title": m.title, "state": m.state.value, "seconders_required": m.seconders_required,
                         "quorum": m.quorum, "casting_vote": m.casting_vote, "self_checkin": m.self_checkin,
                         "line_width": m.line_width, "numbering": m.numbering.value,
                         "members": {ms.person.email: ms.roles for ms in m.memberships}}
                for m in db.session.execute(db.select(Meeting)).scalars()}


@pytest.fixture
def organiser(factory, auth):
    factory.person(None, email="org@example.org", name="Olga Organiser", organiser=True)
    assert auth.login("org@example.org").status_code == 302
    return "org@example.org"


# ---------------------------------------------------------------- the meeting home

def test_meeting_home_shows_documents_my_roles_and_state(app, client, auth, factory):
    factory.meeting(SLUG, title="Spring assembly", quorum="1/3", self_checkin=True)
    factory.person(SLUG, "delegate", "chair", email="chair@example.org")
    factory.person(SLUG, "delegate", email="d1@example.org")
    factory.document(SLUG, "# Aims\n\nOne.\n", title="Draft platform")
    factory.document(SLUG, "A motion.\n", title="Emergency motion", kind="motion", state="open")
    auth.login("chair@example.org")
    response = client.get(f"/m/{SLUG}/")
    assert response.status_code == 200
    text = _text(response)
    assert "Spring assembly" in text
    assert "State: preparing" in text
    assert re.search(r"Your roles: delegate chair\b", text)
    assert "Present: 0 of 2 delegates" in text
    # the documents, each with its state, kind and version, linked to their pages
    html = response.get_data(as_text=True)
    assert "Draft platform" in text and "Emergency motion" in text
    assert "Draft platform draft platform · version 1" in text
    assert "Emergency motion open for amendments motion · version 1" in text
    assert len(re.findall(r'href="/documents/\d+"', html)) == 2
    # the settings a delegate cares about
    assert "Quorum 1/3" in text
    assert "Delegates may check themselves in yes" in text


def test_meeting_home_for_a_delegate_and_for_a_secretary(app, client, auth, factory):
    factory.meeting(SLUG)
    factory.person(SLUG, "delegate", email="d@example.org")
    factory.person(SLUG, "secretary", email="s@example.org")
    auth.login("d@example.org")
    page = client.get(f"/m/{SLUG}/")
    text = _text(page)
    assert "No documents yet." in text
    assert re.search(r"Your roles: delegate\b", text)
    assert "You are not checked in." in text
    assert "Import a document" not in text and f"/m/{SLUG}/settings" not in page.get_data(as_text=True)
    auth.logout()
    auth.login("s@example.org")
    page = client.get(f"/m/{SLUG}/")
    html = page.get_data(as_text=True)
    assert re.search(r"Your roles: secretary\b", _text(page))
    assert f'href="/m/{SLUG}/documents/import"' in html and f'href="/m/{SLUG}/people/import"' in html
    assert f'href="/m/{SLUG}/settings"' in html


def test_my_meetings_lists_only_mine_with_my_roles(app, client, auth, factory):
    factory.meeting(SLUG, title="Mine")
    factory.meeting("not-mine", title="Not mine")
    factory.person(SLUG, "secretary", email="s@example.org")
    auth.login("s@example.org")
    text = _text(client.get("/"))
    assert "Mine" in text and "Not mine" not in text
    assert re.search(r"Your roles: secretary · preparing", text)
    assert "New meeting" not in text  # only organisers create meetings


# ---------------------------------------------------------------- creating a meeting

def test_organiser_creates_a_meeting(app, client, auth, organiser):
    page = client.get("/meetings/new")
    assert page.status_code == 200
    assert "New meeting" in _text(client.get("/"))
    data = {**SETTINGS, "slug": "founding-2025", "quorum": "1/3", "casting_vote": "y", "self_checkin": "y",
            "line_width": "72", "numbering": "by_line"}
    response = auth.post("/meetings/new", data=data)
    assert response.status_code == 302
    assert response.location.endswith("/m/founding-2025/")
    home = client.get(response.location)
    assert "The meeting is created." in _text(home)
    assert re.search(r"Your roles: organiser\b", _text(home))
    meeting = _meetings(app)["founding-2025"]
    assert meeting == {"title": "Founding meeting", "state": "preparing", "seconders_required": 1,
                       "quorum": "1/3", "casting_vote": True, "self_checkin": True, "line_width": 72,
                       "numbering": "by_line", "members": {"org@example.org": ["organiser"]}}


@pytest.mark.parametrize("slug", ["ab", "Founding", "bad slug", "-abc", "abc-", "a" * 65, "über-meeting", "a_b_c", ""])
def test_slug_validation(app, client, auth, organiser, slug):
    response = auth.post("/meetings/new", data={**SETTINGS, "slug": slug})
    assert response.status_code == 422
    text = _text(response)
    assert "Use 3 to 64 lower-case letters, digits and hyphens." in text or "Enter a short name." in text
    assert _meetings(app) == {}


def test_duplicate_slug(app, client, auth, factory, organiser):
    factory.meeting("taken", title="First")
    response = auth.post("/meetings/new", data={**SETTINGS, "slug": "taken", "title": "Second"})
    assert response.status_code == 422
    assert "A meeting with this short name already exists." in _text(response)
    # what was typed stays in the form
    assert 'value="Second"' in response.get_data(as_text=True)
    meetings = _meetings(app)
    assert list(meetings) == ["taken"] and meetings["taken"]["title"] == "First"


def test_new_meeting_needs_a_title(app, client, auth, organiser):
    response = auth.post("/meetings/new", data={**SETTINGS, "slug": "no-title", "title": " "})
    assert response.status_code == 422
    assert "Give the meeting a title." in _text(response)
    assert _meetings(app) == {}


@pytest.mark.parametrize("roles", [["delegate"], ["chair"], ["secretary"], ["organiser"], None])
def test_non_organiser_gets_403_on_new_meeting(app, client, auth, factory, roles):
    """Even the organiser *role* in one meeting is not the right to create meetings."""
    factory.meeting(SLUG)
    factory.person(SLUG if roles else None, *(roles or []), email="p@example.org")
    auth.login("p@example.org")
    assert client.get("/meetings/new").status_code == 403
    response = auth.post("/meetings/new", data={**SETTINGS, "slug": "sneaky"})
    assert response.status_code == 403
    assert "sneaky" not in _meetings(app)


# ---------------------------------------------------------------- settings

@pytest.fixture
def chair(factory, auth):
    factory.meeting(SLUG, title="Founding meeting")
    factory.person(SLUG, "chair", email="chair@example.org")
    assert auth.login("chair@example.org").status_code == 302
    return "chair@example.org"


def test_settings_page_shows_the_current_settings(app, client, auth, factory):
    factory.meeting(SLUG, title="Founding meeting", quorum="25", line_width=60, casting_vote=True)
    factory.person(SLUG, "secretary", email="s@example.org")
    auth.login("s@example.org")
    html = client.get(f"/m/{SLUG}/settings").get_data(as_text=True)
    assert re.search(r'name="quorum"[^>]*value="25"', html)
    assert re.search(r'name="line_width"[^>]*value="60"', html)
    assert re.search(r'<input checked[^>]*name="casting_vote"', html)
    assert not re.search(r'<input checked[^>]*name="self_checkin"', html)


@pytest.mark.parametrize("typed,stored,shown", [
    ("1/3", "1/3", "1/3"),
    ("25", "25", "25"),
    ("50%", "1/2", "1/2"),
    (" 2/3 ", "2/3", "2/3"),
    ("", None, "none"),
])
def test_quorum_is_saved(app, client, auth, chair, typed, stored, shown):
    response = auth.post(f"/m/{SLUG}/settings", data={**SETTINGS, "quorum": typed})
    assert response.status_code == 302
    home = client.get(response.location)
    assert "Settings saved." in _text(home)
    assert f"Quorum {shown}" in _text(home)
    assert _meetings(app)[SLUG]["quorum"] == stored


@pytest.mark.parametrize("fields,message", [
    ({"quorum": "abc"}, "Enter a number of delegates (25), a fraction (1/3) or a percentage (50%), or leave it empty."),
    ({"quorum": "150%"}, "Enter a number of delegates (25), a fraction (1/3) or a percentage (50%), or leave it empty."),
    ({"quorum": "-3"}, "Enter a number of delegates (25), a fraction (1/3) or a percentage (50%), or leave it empty."),
    ({"quorum": "1/0"}, "Enter a number of delegates (25), a fraction (1/3) or a percentage (50%), or leave it empty."),
    ({"quorum": "0/3"}, "Enter a number of delegates (25), a fraction (1/3) or a percentage (50%), or leave it empty."),
    ({"line_width": "10"}, "Enter a line width from 20 to 200 characters."),
    ({"line_width": "wide"}, "Not a valid integer value."),
    ({"seconders_required": "-1"}, "Enter a whole number from 0 to 100."),
    ({"title": ""}, "Give the meeting a title."),
    ({"title": "Founding\x00meeting"}, "The title must not contain control characters."),
    ({"numbering": "roman"}, "Not a valid choice."),
])
def test_settings_form_validation(app, client, auth, chair, fields, message):
    before = _meetings(app)
    response = auth.post(f"/m/{SLUG}/settings", data={**SETTINGS, "title": "Changed title", **fields})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in htmllib.unescape(html), _text(response)
    assert 'class="error"' in html
    assert _meetings(app) == before


def test_settings_are_saved(app, client, auth, chair):
    response = auth.post(f"/m/{SLUG}/settings", data={**SETTINGS, "title": "Renamed", "seconders_required": "2",
                                                     "self_checkin": "y", "line_width": "100"})
    assert response.status_code == 302
    meeting = _meetings(app)[SLUG]
    assert (meeting["title"], meeting["seconders_required"], meeting["self_checkin"], meeting["casting_vote"],
            meeting["line_width"]) == ("Renamed", 2, True, False, 100)
    assert "Renamed" in _text(client.get(f"/m/{SLUG}/"))


def test_meeting_title_is_escaped(app, client, auth, organiser):
    title = "<script>alert(1)</script> assembly"
    response = auth.post("/meetings/new", data={**SETTINGS, "slug": "escaped", "title": title})
    assert response.status_code == 302
    for page in ("/m/escaped/", "/", "/m/escaped/settings", "/m/escaped/people"):
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page


def _meeting_state(app, slug):
    from motions.extensions import db
    from motions.meetings.models import Meeting

    with app.app_context():
        state = db.session.execute(db.select(Meeting.state).filter_by(slug=slug)).scalar_one()
        db.session.remove()
        return state.value


def test_the_chair_opens_closes_and_resumes_the_session(app, client, auth, factory):
    slug = factory.meeting("session-meeting")
    factory.person(slug, "chair", "delegate", email="chair@example.org")
    auth.login("chair@example.org")
    home = client.get(f"/m/{slug}/").get_data(as_text=True)
    assert "Open the session" in home and "Close the session" not in home
    auth.post(f"/m/{slug}/state", {"state": "in_session"})
    assert _meeting_state(app, slug) == "in_session"
    home = client.get(f"/m/{slug}/").get_data(as_text=True)
    assert "in session" in home and "Close the session" in home
    auth.post(f"/m/{slug}/state", {"state": "closed"})
    assert _meeting_state(app, slug) == "closed"
    assert "Resume the session" in client.get(f"/m/{slug}/").get_data(as_text=True)
    auth.post(f"/m/{slug}/state", {"state": "in_session"})
    assert _meeting_state(app, slug) == "in_session"


def test_illegal_or_unknown_meeting_states_are_refused(app, client, auth, factory):
    slug = factory.meeting("session-meeting")
    factory.person(slug, "chair", email="chair@example.org")
    auth.login("chair@example.org")
    page = auth.post(f"/m/{slug}/state", {"state": "closed"}, follow_redirects=True).get_data(as_text=True)
    assert "cannot become" in page
    page = auth.post(f"/m/{slug}/state", {"state": "adjourned<b>"}, follow_redirects=True).get_data(as_text=True)
    assert "Unknown meeting state." in page and "adjourned<b>" not in page
    assert _meeting_state(app, slug) == "preparing"


def test_only_the_chair_changes_the_meeting_state(app, client, auth, factory):
    slug = factory.meeting("session-meeting")
    factory.person(slug, "secretary", "delegate", email="sec@example.org")
    auth.login("sec@example.org")
    assert "Open the session" not in client.get(f"/m/{slug}/").get_data(as_text=True)
    assert auth.post(f"/m/{slug}/state", {"state": "in_session"}).status_code == 403
    assert _meeting_state(app, slug) == "preparing"

"""People of a meeting through the pages: delegate CSV import, the add-person form, attendance."""
from __future__ import annotations

import html as htmllib
import io
import re

import pytest

from tests.conftest import PASSWORD

SLUG = "delegates-meeting"
IMPORT = f"/m/{SLUG}/people/import"

GOOD_CSV = """name,email,organisation,vote_weight,roles
Alex Chan,alex@example.org,Power to Hongkongers,1,delegate
Bilal Tursun,bilal@example.org,Uyghur Solidarity Campaign,2,delegate;chair
Chloe Martin,chloe@example.org,Red Roots Collective,,
"""


@pytest.fixture
def secretary(factory, auth):
    factory.meeting(SLUG, title="Delegates meeting")
    factory.person(SLUG, "secretary", email="sec@example.org", name="Sam Secretary")
    assert auth.login("sec@example.org").status_code == 302
    return "sec@example.org"


def _people(app) -> dict[str, dict]:
    """Everyone stored, by email: name, organisation, and their place in the meeting (or None)."""
    from motions.auth.models import Person
    from motions.extensions import db
    from motions.meetings.models import Meeting

    with app.app_context():
        meeting = db.session.execute(db.select(Meeting).filter_by(slug=SLUG)).scalar_one()
        out = {}
        for person in db.session.execute(db.select(Person)).scalars():
            membership = meeting.membership_of(person)
            out[person.email] = {
                "name": person.name, "organisation": person.organisation,
                "roles": membership.roles if membership else None,
                "vote_weight": membership.vote_weight if membership else None,
                "present": membership.present if membership else None,
                "password_hash": person.password_hash,
            }
        return out


def _text(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _textarea(response, name: str = "text") -> str:
    """What a browser would send back from a textarea of the page: the HTML parser drops one newline
    right after <textarea>, and forms send line breaks as CR LF."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name!r} on the page"
    value = htmllib.unescape(match.group(1))
    if value.startswith("\r\n"):
        value = value[2:]
    elif value.startswith("\n"):
        value = value[1:]
    return value.replace("\r\n", "\n").replace("\n", "\r\n")


def _problems(response) -> list[str]:
    html = response.get_data(as_text=True)
    section = re.search(r'<section class="problems".*?</section>', html, re.S)
    assert section, "no list of problems on the page"
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r"<li>(.*?)</li>", section.group(0), re.S)]


# ---------------------------------------------------------------- preview and confirm

def test_import_page_explains_the_columns(client, secretary):
    response = client.get(IMPORT)
    assert response.status_code == 200
    text = _text(response)
    assert "name, email, organisation, vote_weight and roles" in text
    assert "Nothing is stored until you confirm" in text


def test_preview_of_pasted_csv_shows_the_rows_and_stores_nothing(app, client, auth, secretary):
    before = _people(app)
    response = auth.post(IMPORT, data={"text": GOOD_CSV, "preview": "Preview"})
    assert response.status_code == 200
    text = _text(response)
    assert "Preview: 3 people" in text
    for name, email in (("Alex Chan", "alex@example.org"), ("Bilal Tursun", "bilal@example.org"),
                        ("Chloe Martin", "chloe@example.org")):
        assert name in text and email in text
    assert "Uyghur Solidarity Campaign" in text
    assert text.count(" new ") >= 3
    # the button to confirm is there, the file is kept in the form
    assert 'name="confirm"' in response.get_data(as_text=True)
    assert "alex@example.org,Power to Hongkongers" in response.get_data(as_text=True)
    assert _people(app) == before


def test_confirm_stores_the_rows(app, client, auth, secretary):
    response = auth.post(IMPORT, data={"text": GOOD_CSV, "confirm": "Import"})
    assert response.status_code == 302
    assert response.location.endswith(f"/m/{SLUG}/people")
    page = client.get(response.location)
    assert "Imported: 3 new, 0 updated." in _text(page)
    assert "Bilal Tursun" in _text(page)
    people = _people(app)
    assert people["alex@example.org"] == {**people["alex@example.org"], "name": "Alex Chan",
                                          "organisation": "Power to Hongkongers", "roles": ["delegate"],
                                          "vote_weight": 1}
    assert people["bilal@example.org"]["roles"] == ["delegate", "chair"]
    assert people["bilal@example.org"]["vote_weight"] == 2
    # empty vote weight and roles: one vote, delegate
    assert people["chloe@example.org"]["roles"] == ["delegate"]
    assert people["chloe@example.org"]["vote_weight"] == 1
    # imported people have no password: nobody can sign in as them until one is set
    assert people["alex@example.org"]["password_hash"] is None


def test_upload_a_file_then_confirm(app, client, auth, secretary):
    before = _people(app)
    response = auth.post(IMPORT, data={"file": (io.BytesIO(GOOD_CSV.encode("utf-8")), "delegates.csv"),
                                       "preview": "Preview"}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Preview: 3 people" in _text(response)
    assert _people(app) == before
    # the preview page carries the file's content in the text field; confirming imports that
    carried = _textarea(response)
    assert "bilal@example.org" in carried
    response = auth.post(IMPORT, data={"text": carried, "confirm": "Import"})
    assert response.status_code == 302
    assert {"alex@example.org", "bilal@example.org", "chloe@example.org"} <= set(_people(app))


def test_import_updates_people_known_by_email(app, client, auth, factory, secretary):
    # Alex is already in the meeting; Bilal has an account from another meeting
    factory.person(SLUG, "delegate", email="alex@example.org", name="A. Chan", organisation="Old org")
    factory.meeting("other-meeting")
    factory.person("other-meeting", "chair", email="bilal@example.org", name="Bilal T.")
    before = _people(app)
    preview = auth.post(IMPORT, data={"text": GOOD_CSV, "preview": "Preview"})
    assert preview.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", preview.get_data(as_text=True), re.S)
    marks = {re.search(r"[a-z]+@example\.org", r).group(0): ("update" if ">update<" in r else "new")
             for r in rows if "@example.org" in r}
    assert marks == {"alex@example.org": "update", "bilal@example.org": "update", "chloe@example.org": "new"}

    response = auth.post(IMPORT, data={"text": GOOD_CSV, "confirm": "Import"})
    assert response.status_code == 302
    assert "Imported: 1 new, 2 updated." in _text(client.get(response.location))
    people = _people(app)
    assert len(people) == len(before) + 1  # no second Alex, no second Bilal
    assert people["alex@example.org"]["name"] == "Alex Chan"
    assert people["alex@example.org"]["organisation"] == "Power to Hongkongers"
    assert people["bilal@example.org"]["roles"] == ["delegate", "chair"]
    assert people["bilal@example.org"]["vote_weight"] == 2
    # their passwords are untouched: they still sign in as before
    assert people["alex@example.org"]["password_hash"] == before["alex@example.org"]["password_hash"]
    auth.logout()
    assert auth.login("bilal@example.org", PASSWORD).status_code == 302


# ---------------------------------------------------------------- bad files: messages, nothing stored

BAD_FILES = {
    "bad email": (
        "name,email,roles\nAlex Chan,alex@example.org,delegate\nBo Li,not-an-email,delegate\n",
        ["Line 3 (email): “not-an-email” is not an email address."]),
    "duplicate email": (
        "name,email\nAlex Chan,alex@example.org\nBo Li,bo@example.org\nAlex Again,ALEX@example.org\n",
        ["Line 4 (email): alex@example.org is already on line 2."]),
    "unknown role": (
        "name,email,roles\nAlex Chan,alex@example.org,delegate\nBo Li,bo@example.org,delegate;boss\n",
        ["Line 3 (roles): Unknown role(s) boss; use delegate, chair, secretary or organiser."]),
    "bad vote weight": (
        "name,email,vote_weight\nAlex Chan,alex@example.org,1\nBo Li,bo@example.org,lots\nCy,cy@example.org,-2\n",
        ["Line 3 (vote_weight): The vote weight must be a whole number from 0 to 1000000, not “lots”.",
         "Line 4 (vote_weight): The vote weight must be a whole number from 0 to 1000000, not “-2”."]),
    "missing name": (
        "name,email\nAlex Chan,alex@example.org\n,bo@example.org\n",
        ["Line 3 (name): The name is missing."]),
    "missing column": (
        "name,organisation\nAlex Chan,Org\n",
        ["Line 1 (email): The header row lacks the column(s) email."]),
    "unknown column": (
        "name,email,phone\nAlex Chan,alex@example.org,123\n",
        ["Line 1 (phone): Unknown column(s) phone; expected name, email, organisation, vote_weight, roles."]),
    "too many cells": (
        "name,email\nAlex Chan,alex@example.org\nBo Li,bo@example.org,extra\n",
        ["Line 3: This row has more cells than the header."]),
    "empty file": ("", ["The file is empty."]),
    "only blank lines": ("\n \n\n", ["The file is empty."]),
    "header only": ("name,email\n", ["The file has no delegates."]),
    "several problems": (
        "name,email,roles\nAlex Chan,alex@example.org,delegate\n,bad,king\nDee,dee@example.org,\n",
        ["Line 3 (name): The name is missing.", "Line 3 (email): “bad” is not an email address.",
         "Line 3 (roles): Unknown role(s) king; use delegate, chair, secretary or organiser."]),
}


@pytest.mark.parametrize("how", ["paste", "upload"])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_shows_row_messages_and_imports_nothing(app, client, auth, secretary, case, how):
    content, expected = BAD_FILES[case]
    before = _people(app)
    for button in ("preview", "confirm"):  # even a forged "confirm" stores nothing
        if how == "paste":
            data = {"text": content, button: "x"}
            response = auth.post(IMPORT, data=data)
        else:
            data = {"file": (io.BytesIO(content.encode("utf-8")), "people.csv"), button: "x"}
            response = auth.post(IMPORT, data=data, content_type="multipart/form-data")
        assert response.status_code == 422, (case, button)
        problems = _problems(response)
        assert problems == expected, (case, button)
        assert "nothing was imported" in _text(response)
        assert 'name="confirm"' not in response.get_data(as_text=True)
        assert _people(app) == before, f"{case}: something was stored"


def test_windows_1252_file_is_read_correctly(app, client, auth, secretary):
    content = ("name,email,organisation\nJosé Müller,jose@example.org,Workers’ Liberty\n"
               "Zoë Brontë,zoe@example.org,Café Society\n").encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    response = auth.post(IMPORT, data={"file": (io.BytesIO(content), "excel.csv"), "preview": "x"},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    text = _text(response)
    assert "José Müller" in text and "Workers’ Liberty" in text and "Zoë Brontë" in text
    response = auth.post(IMPORT, data={"text": _textarea(response), "confirm": "x"})
    assert response.status_code == 302
    people = _people(app)
    assert people["jose@example.org"]["name"] == "José Müller"
    assert people["jose@example.org"]["organisation"] == "Workers’ Liberty"
    assert people["zoe@example.org"]["organisation"] == "Café Society"


def test_windows_1252_file_with_a_bad_row_reports_its_line(app, client, auth, secretary):
    content = "name,email\nJosé Müller,jose@example.org\nZoë,zoe at example\n".encode("cp1252")
    before = _people(app)
    response = auth.post(IMPORT, data={"file": (io.BytesIO(content), "excel.csv"), "preview": "x"},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert _problems(response) == ["Line 3 (email): “zoe at example” is not an email address."]
    assert _people(app) == before


@pytest.mark.parametrize("bad", [False, True])
def test_utf8_file_with_byte_order_mark(app, client, auth, secretary, bad):
    csv = "name,email,roles\n陈小明,xiaoming@example.org,chair\n"
    if bad:
        csv += "Bo,bo@example.org,emperor\n"
    content = b"\xef\xbb\xbf" + csv.encode("utf-8")
    before = _people(app)
    response = auth.post(IMPORT, data={"file": (io.BytesIO(content), "bom.csv"), "confirm": "x"},
                         content_type="multipart/form-data")
    if bad:
        assert response.status_code == 422
        assert _problems(response) == ["Line 3 (roles): Unknown role(s) emperor; use delegate, chair, "
                                       "secretary or organiser."]
        assert _people(app) == before
    else:
        assert response.status_code == 302
        person = _people(app)["xiaoming@example.org"]
        assert person["name"] == "陈小明" and person["roles"] == ["chair"]


def test_a_binary_file_is_refused_with_a_message(app, client, auth, secretary):
    before = _people(app)
    content = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x00\x00\x81\x8d\xff\xfe" * 20
    response = auth.post(IMPORT, data={"file": (io.BytesIO(content), "people.xlsx"), "preview": "x"},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert _problems(response)
    assert _people(app) == before


def test_names_in_the_preview_and_on_the_people_page_are_escaped(app, client, auth, secretary):
    csv = 'name,email,organisation\n<script>alert(1)</script>,x@example.org,<b>Org</b>\n'
    preview = auth.post(IMPORT, data={"text": csv, "preview": "x"})
    html = preview.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<b>Org</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert auth.post(IMPORT, data={"text": csv, "confirm": "x"}).status_code == 302
    page = client.get(f"/m/{SLUG}/people").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    added = auth.post(f"/m/{SLUG}/people/add", data={"name": "<b>Bold</b> Name", "email": "bold@example.org",
                                                     "roles": "delegate", "vote_weight": "1"},
                      follow_redirects=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; Name is now part of the meeting." in added.get_data(as_text=True)
    assert "<b>Bold</b>" not in added.get_data(as_text=True)
    bad = auth.post(IMPORT, data={"text": "name,email\n<i>x</i>,<script>@x\n", "preview": "x"})
    assert bad.status_code == 422
    assert "<script>@x" not in bad.get_data(as_text=True)
    assert "<i>x</i>" not in bad.get_data(as_text=True)


# ---------------------------------------------------------------- the add-person form

def _add(auth, **fields):
    data = {"name": "Dana Wu", "email": "dana@example.org", "organisation": "", "vote_weight": "1",
            "roles": ["delegate"], "password": "", "submit": "Add person"}
    data.update(fields)
    return auth.post(f"/m/{SLUG}/people/add", data=data)


def test_add_person(app, client, auth, secretary):
    response = _add(auth, roles=["delegate", "chair"], vote_weight="3", organisation="Union")
    assert response.status_code == 302
    assert "Dana Wu is now part of the meeting." in _text(client.get(response.location))
    dana = _people(app)["dana@example.org"]
    assert dana["roles"] == ["delegate", "chair"] and dana["vote_weight"] == 3
    assert dana["organisation"] == "Union" and dana["password_hash"] is None


@pytest.mark.parametrize("fields,message", [
    ({"name": "  "}, "Enter the person's name."),
    ({"email": "dana"}, "Enter a valid email address."),
    ({"email": ""}, "Enter a valid email address."),
    ({"roles": []}, "Roles are one or more of delegate, chair, secretary and organiser."),
    ({"roles": ["emperor"]}, "is not a valid choice for this field."),
    ({"vote_weight": "-1"}, "Number must be between 0 and 1000000."),
    ({"vote_weight": "many"}, "Not a valid integer value."),
    ({"password": "short"}, "Field must be between 8 and 200 characters long."),
    # a NUL cannot be stored by PostgreSQL: refused with a message, not a server error
    ({"name": "Dana\x00Wu"}, "The name must not contain control characters."),
    ({"organisation": "Union\x00"}, "The organisation must not contain control characters."),
    ({"email": "dana\x00@example.org"}, "Enter a valid email address."),
])
def test_add_person_form_errors(app, client, auth, secretary, fields, message):
    before = _people(app)
    response = _add(auth, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html, html[html.find("<main"):]
    assert 'class="error"' in html
    # what was typed stays in the form
    if "name" not in fields:
        assert 'value="Dana Wu"' in html
    assert _people(app) == before


def test_adding_someone_who_has_an_account_does_not_change_their_password(app, client, auth, factory, secretary):
    """A secretary of one meeting must not be able to take over an account used elsewhere."""
    factory.meeting("elsewhere")
    factory.person("elsewhere", "organiser", email="boss@example.org", name="Boss", organiser=True)
    before = _people(app)["boss@example.org"]["password_hash"]
    _add(auth, name="Boss", email="boss@example.org", password="taken over!")
    assert _people(app)["boss@example.org"]["password_hash"] == before
    auth.logout()
    assert auth.login("boss@example.org", "taken over!").status_code == 422
    assert auth.login("boss@example.org", PASSWORD).status_code == 302


def test_a_new_person_added_with_a_password_can_sign_in(app, client, auth, secretary):
    assert _add(auth, password="a long password").status_code == 302
    auth.logout()
    assert auth.login("dana@example.org", "a long password").status_code == 302


# ---------------------------------------------------------------- attendance

@pytest.fixture
def chair(app, factory, auth):
    factory.meeting(SLUG, title="Delegates meeting")
    factory.person(SLUG, "chair", email="chair@example.org", name="Cleo Chair")
    ids = [factory.person(SLUG, "delegate", email=f"d{i}@example.org", name=f"Delegate {i}") for i in (1, 2, 3)]
    assert auth.login("chair@example.org").status_code == 302
    return ids


def test_chair_marks_attendance(app, client, auth, chair):
    d1, d2, _d3 = chair
    page = client.get(f"/m/{SLUG}/people")
    assert "Present: 0 of 3 delegates" in _text(page)
    for person in (d1, d2):
        response = auth.post(f"/m/{SLUG}/people/{person}/attendance", data={"present": "1"})
        assert response.status_code == 302
    people = _people(app)
    assert [people[f"d{i}@example.org"]["present"] for i in (1, 2, 3)] == [True, True, False]
    assert "Present: 2 of 3 delegates" in _text(client.get(f"/m/{SLUG}/people"))
    assert "Present: 2 of 3 delegates" in _text(client.get(f"/m/{SLUG}/"))
    auth.post(f"/m/{SLUG}/people/{d1}/attendance", data={"present": "0"})
    assert _people(app)["d1@example.org"]["present"] is False
    assert "Present: 1 of 3 delegates" in _text(client.get(f"/m/{SLUG}/people"))


def test_marking_someone_outside_the_meeting_changes_nothing(app, client, auth, factory, chair):
    outsider = factory.person(None, email="outsider@example.org")
    response = auth.post(f"/m/{SLUG}/people/{outsider}/attendance", data={"present": "1"})
    assert response.status_code == 302
    assert "This person is not part of the meeting." in _text(client.get(response.location))
    assert _people(app)["outsider@example.org"]["present"] is None


@pytest.mark.parametrize("self_checkin", [False, True])
def test_self_check_in_only_where_the_meeting_allows_it(app, client, auth, factory, self_checkin):
    factory.meeting(SLUG, self_checkin=self_checkin)
    factory.person(SLUG, "delegate", email="del@example.org")
    auth.login("del@example.org")
    home = client.get(f"/m/{SLUG}/")
    assert "You are not checked in." in _text(home)
    assert (f'action="/m/{SLUG}/check-in"' in home.get_data(as_text=True)) is self_checkin
    response = auth.post(f"/m/{SLUG}/check-in", data={"present": "1"})
    assert response.status_code == 302
    page = _text(client.get(response.location))
    present = _people(app)["del@example.org"]["present"]
    if self_checkin:
        assert present is True
        assert "You are checked in." in page
        auth.post(f"/m/{SLUG}/check-in", data={"present": "0"})
        assert _people(app)["del@example.org"]["present"] is False
    else:
        assert present is False
        assert "This meeting does not allow self check-in" in page
        assert "You are not checked in." in page


def test_chair_cannot_check_in_as_a_delegate(app, client, auth, factory):
    factory.meeting(SLUG, self_checkin=True)
    factory.person(SLUG, "chair", email="chair@example.org")
    auth.login("chair@example.org")
    assert auth.post(f"/m/{SLUG}/check-in", data={"present": "1"}).status_code == 403

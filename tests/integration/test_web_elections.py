"""The election pages (issue 7), as people use them with the test client: the chair sets up an
election, delegates nominate and second, the chair opens the ballots, a delegate ranks the
candidates tap by tap (no script: every tap posts the form), reviews and casts; the chair closes;
everyone reads the result sheet and downloads the papers. Refusals are said on the page."""
from __future__ import annotations

import io
import re
from html import unescape

import pytest

from motions.counting import blt
from motions.elections.models import Election, ElectionState
from motions.extensions import db
from motions.meetings import operations as meetings
from tests.api_helpers import fast_hashing  # noqa: F401  (a fixture)
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def hall(app, factory):
    slug = factory.meeting("hall", seconders_required=1)
    people = {"chair": factory.person(slug, "chair", email="chair@h.org", name="Chair")}
    for i in range(1, 5):
        people[f"d{i}"] = factory.person(slug, "delegate", email=f"d{i}@h.org", name=f"Delegate {i}")
    with app.app_context():
        meeting = meetings.get_meeting(slug)
        meetings.set_meeting_state(meeting, "in_session")
        for i in range(1, 5):
            meetings.set_attendance(meeting, meetings.get_membership(meeting, people[f"d{i}"]), True)
    return slug, people


def text(response) -> str:
    """The page's text as a reader sees it: tags dropped, spaces collapsed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))).replace(" .", ".")


def flashes(response) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash [a-z]+">(.*?)</p>', response.get_data(as_text=True))]


def post(client, path: str, data: dict | None = None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, "/"))
    return client.post(path, data=data, **kwargs)


def election_id(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(Election.id).order_by(Election.id.desc())).scalar()


def test_from_setting_up_to_the_result_sheet(app, client, auth, hall):
    slug, people = hall
    auth.login("chair@h.org")
    page = post(client, f"/m/{slug}/elections/new", {"title": "Steering Committee", "seats": "2",
                                                      "method": "scottish", "reserved_seats": "0"},
                follow_redirects=True)
    assert page.status_code == 200 and "Steering Committee" in text(page)
    eid = election_id(app)
    page = post(client, f"/elections/{eid}/nominations/open", follow_redirects=True)
    assert "Nominations are open." in flashes(page)
    for name in ("Ann Able", "Bob Baker"):
        page = post(client, f"/elections/{eid}/nominate", {"name": name, "statement": f"{name} stands."},
                    follow_redirects=True)
        assert f"{name} is nominated and standing." in flashes(page)
    auth.logout()

    auth.login("d1@h.org")
    page = post(client, f"/elections/{eid}/nominate", {"person_id": str(people["d2"]), "statement": "Organiser."},
                follow_redirects=True)
    assert any("the nomination stands once it has 1 seconder." in f for f in flashes(page))
    auth.logout()
    auth.login("d3@h.org")
    with app.app_context():
        candidate = next(c for c in db.session.get(Election, eid).candidates if c.name == "Delegate 2")
        cid2 = candidate.id
    page = post(client, f"/candidates/{cid2}/second", follow_redirects=True)
    assert "You have seconded the nomination of Delegate 2." in flashes(page)
    auth.logout()

    auth.login("chair@h.org")
    post(client, f"/elections/{eid}/nominations/close")
    page = post(client, f"/elections/{eid}/open", follow_redirects=True)
    assert "The ballots for “Steering Committee” are open." in flashes(page)
    auth.logout()

    auth.login("d1@h.org")
    with app.app_context():
        ids = {c.name: c.id for c in db.session.get(Election, eid).candidates}
    page = client.get(f"/elections/{eid}/ballot")
    assert page.status_code == 200 and "preference 1" in text(page)
    # tap Bob, then Ann, then Delegate 2; move Ann up; remove Delegate 2
    ranking = ""
    for action in (f"add:{ids['Bob Baker']}", f"add:{ids['Ann Able']}", f"add:{ids['Delegate 2']}",
                   f"up:{ids['Ann Able']}", f"remove:{ids['Delegate 2']}"):
        page = post(client, f"/elections/{eid}/ballot", {"ranking": ranking, "action": action})
        assert page.status_code == 200
        ranking = re.search(r'name="ranking" value="([^"]*)" id="ballot-ranking"', page.get_data(as_text=True)).group(1)
    assert ranking == f"{ids['Ann Able']} {ids['Bob Baker']}"
    assert "Delegate 2 is no longer on your ballot." in text(page)
    review = post(client, f"/elections/{eid}/ballot", {"ranking": ranking, "action": "review"})
    body = text(review)
    assert "Check your ballot before casting it" in body
    assert body.index("Ann Able") < body.index("Bob Baker")
    page = post(client, f"/elections/{eid}/vote", {"ranking": ranking}, follow_redirects=True)
    assert flashes(page) == ["Your ballot is stored."]
    assert "You have voted." in text(page)
    again = post(client, f"/elections/{eid}/vote", {"ranking": ranking}, follow_redirects=True)
    assert "You have already voted in this election." in flashes(again)
    auth.logout()

    for who, ranking in (("d2", [ids["Delegate 2"]]), ("d3", [ids["Bob Baker"], ids["Ann Able"]])):
        auth.login(f"{who}@h.org")
        post(client, f"/elections/{eid}/vote", {"ranking": " ".join(map(str, ranking))})
        auth.logout()

    auth.login("chair@h.org")
    page = post(client, f"/elections/{eid}/close", follow_redirects=True)
    assert any(f.startswith("The ballots are closed and counted. Elected:") for f in flashes(page))
    auth.logout()

    auth.login("d4@h.org")  # any member reads the result
    sheet = client.get(f"/elections/{eid}/result")
    body = text(sheet)
    assert sheet.status_code == 200
    assert "First preferences" in body and "Quota" in body and "Non-transferable" in body
    assert 'class="chart stv-chart" role="img"' in sheet.get_data(as_text=True)
    papers = client.get(f"/elections/{eid}/ballots.blt")
    assert papers.status_code == 200 and papers.mimetype == "text/plain"
    parsed = blt.parse(papers.get_data(as_text=True))
    assert sum(b.weight for b in parsed.ballots) == 3 and parsed.seats == 2


def test_a_ballot_naming_a_stranger_is_refused_and_nothing_is_stored(app, client, auth, hall, factory):
    slug, people = hall
    eid = factory.election(slug, seats=1, candidates=("Ann", "Bob"))
    with app.app_context():
        from motions.auth.models import Person
        from motions.elections import operations as elections

        elections.open_ballots(db.session.get(Election, eid), db.session.get(Person, people["chair"]))
        ids = [c.id for c in db.session.get(Election, eid).candidates]
    auth.login("d1@h.org")
    page = post(client, f"/elections/{eid}/vote", {"ranking": f"{ids[0]} {ids[0]}"}, follow_redirects=True)
    assert any("nothing was stored" in f for f in flashes(page))
    page = post(client, f"/elections/{eid}/vote", {"ranking": f"{ids[0]} 999999"}, follow_redirects=True)
    assert any("nothing was stored" in f for f in flashes(page))
    with app.app_context():
        from motions.elections import operations as elections

        assert elections.turnout(eid) == 0


def test_roles_and_expired_forms_are_refused_on_the_page(app, client, auth, hall, factory):
    slug, people = hall
    eid = factory.election(slug, seats=1, candidates=("Ann", "Bob"))
    auth.login("d1@h.org")
    assert client.get(f"/m/{slug}/elections/new").status_code == 403
    assert post(client, f"/elections/{eid}/open").status_code == 403
    assert post(client, f"/elections/{eid}/void", {"reason": "no"}).status_code == 403
    auth.logout()
    auth.login("chair@h.org")
    page = client.post(f"/elections/{eid}/open", data={"csrf_token": "forged"}, follow_redirects=True)
    assert page.status_code == 400 and "security token is missing or has expired" in text(page)
    with app.app_context():
        assert db.session.get(Election, eid).state is ElectionState.draft
    page = post(client, f"/m/{slug}/elections/new", {"title": "", "seats": "0", "method": "scottish"})
    assert page.status_code == 422
    assert "Give the election a title." in text(page) and "Enter a whole number from 1 to 100." in text(page)


def test_the_chair_imports_a_blt_file_and_a_bad_one_is_refused_with_its_line(app, client, auth, hall, factory):
    slug, people = hall
    eid = factory.election(slug, seats=1, candidates=("Ann", "Bob"))
    auth.login("chair@h.org")
    bad = b'2 1\n1 1 2\n0\n"Ann"\n"Bob"\n"Import"\n'
    page = post(client, f"/elections/{eid}/import", {"file": (io.BytesIO(bad), "papers.blt")},
                content_type="multipart/form-data", follow_redirects=True)
    assert any("Line 2" in f for f in flashes(page))
    good = b'2 1\n3 1 2 0\n2 2 0\n0\n"Ann"\n"Bob"\n"Import"\n'
    page = post(client, f"/elections/{eid}/import", {"file": (io.BytesIO(good), "papers.blt")},
                content_type="multipart/form-data", follow_redirects=True)
    assert "The ballots are imported and counted." in flashes(page)
    assert "Ann" in text(client.get(f"/elections/{eid}/result"))
    with app.app_context():
        assert db.session.get(Election, eid).state is ElectionState.closed


@pytest.mark.parametrize("bad, expected", [
    (b'2 1\n1 1 2\n0\n"Ann"\n"Bob"\n"Import"\n', "文件第 2 行：选票行必须以 0 结尾。"),
    (b'2 x\n', "文件第 1 行：'x' 不是整数（席位数）。"),
    (b'2 1\n1 1 0\n0\n"Ann" x\n"Bob"\n"Import"\n', "文件第 4 行：第 1 号候选人的姓名之后有多余的文字：'x'。"),
    (b'2 1\n1 1 0\n0\n"Ann"\n"Ann"\n"Import"\n', "文件第 5 行：两名候选人的姓名都是 'Ann'。"),
    (b'2 1\n1 1 0\n0\n"Ann"\n"Bob"\n"Import"\n"More"\n',
     "文件第 7 行：标题之后有多余的行（姓名是否多于 2 名候选人？）：'\"More\"'。"),
    (b'2 1\n10000001 1 0\n0\n"Ann"\n"Bob"\n"Import"\n', "文件第 2 行：各选票行合计超过 10,000,000 张选票。"),
])
def test_a_bad_blt_file_is_refused_in_the_chairs_language(app, client, auth, hall, factory, bad, expected):
    slug, people = hall
    eid = factory.election(slug, seats=1, candidates=("Ann", "Bob"))
    auth.login("chair@h.org")
    client.post("/language", data={"lang": "zh_Hans", "csrf_token": csrf_token(client, "/"), "next": "/"})
    page = post(client, f"/elections/{eid}/import", {"file": (io.BytesIO(bad), "papers.blt")},
                content_type="multipart/form-data", follow_redirects=True)
    assert 'lang="zh-Hans"' in page.get_data(as_text=True)
    assert expected in flashes(page), flashes(page)
    # no English is left: past the file's own text (a token, a name, quoted as repr writes it), not a letter
    try:
        blt.parse(bad.decode())
        quoted = []  # the papers' limit
    except blt.BltError as error:
        quoted = [v for v in error.params.values() if isinstance(v, str)]
    shown = expected
    for value in quoted:
        shown = shown.replace(value, "")
    assert not re.search(r"[A-Za-z]", shown), shown
    with app.app_context():
        assert db.session.get(Election, eid).state is ElectionState.draft


def test_the_projector_shows_the_turnout_then_the_chart(app, client, auth, hall, factory):
    slug, people = hall
    eid = factory.election(slug, seats=1, candidates=("Ann", "Bob", "Cy"))
    with app.app_context():
        from motions.auth.models import Person
        from motions.elections import operations as elections

        chair = db.session.get(Person, people["chair"])
        elections.open_ballots(db.session.get(Election, eid), chair)
        ids = {c.name: c.id for c in db.session.get(Election, eid).candidates}
        for i, ranking in enumerate((["Ann"], ["Bob", "Ann"], ["Cy", "Bob"], ["Ann"]), start=1):
            elections.cast_ballot(eid, people[f"d{i}"], [ids[n] for n in ranking])
    auth.login("d1@h.org")
    page = text(client.get(f"/m/{slug}/projector?part=live"))
    assert "4 of 4 voted" in page
    with app.app_context():
        elections.close_ballots(db.session.get(Election, eid), db.session.get(Person, people["chair"]))
    live = client.get(f"/m/{slug}/projector?part=live").get_data(as_text=True)
    assert "stv-chart" in live and "Elected:" in live and "Ann" in live

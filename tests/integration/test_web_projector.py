"""The projector: a full page for the hall with no navigation, whose live region (?part=live) shows
the item on the floor: an amendment's number, title, summary and redline; during a vote the
turnout; after it the result in words and as a server-rendered SVG bar chart. And the chart macro."""
from __future__ import annotations

import html as htmllib
import re

import pytest

from tests.integration.test_web_polls import (
    CHAIR,
    SLUG,
    Visitor,
    create,
    delegate_email,
    make_world,
    open_,
    vote,
)


@pytest.fixture(autouse=True)
def _quick_passwords(monkeypatch):
    from werkzeug.security import generate_password_hash

    import motions.auth.models as auth_models

    def quick(password, method=None):
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(auth_models, "generate_password_hash", quick)


def plain(response) -> str:
    """The text a viewer reads: tags gone, entities decoded, spaces collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def bars(response) -> list[tuple[str, str, str]]:
    """(label, bar width, count) of each row of the chart."""
    body = response.get_data(as_text=True)
    return re.findall(r'<text class="chart-label"[^>]*>([^<]*)</text>\s*<rect class="chart-bar"[^>]*width="([^"]+)"'
                      r'[^>]*></rect>\s*<text class="chart-count"[^>]*>([^<]*)</text>', body)


def test_the_projector_is_a_full_page_without_navigation(app, factory):
    make_world(app, factory)
    ada = Visitor(app, delegate_email(0))  # projector.view: everyone in the meeting
    page = ada.get(f"/m/{SLUG}/projector")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert '<body class="projector hall">' in body
    assert 'class="top"' not in body and "Sign out" not in body  # no navigation chrome
    assert f'data-events="/api/v1/meetings/{SLUG}/events?after=' in body
    assert ('data-live="poll.created poll.opened poll.closed poll.voided election.changed election.opened election.closed '
            'election.voided election.candidates floor.changed amendment.changed document.changed speakers.changed '
            'meeting.changed"') in body
    assert f'data-live-src="/m/{SLUG}/projector?part=live"' in body
    assert re.search(r'<script src="/static/live\.js\?v=[0-9a-f]{12}" defer></script>', body)
    assert "Poll meeting" in plain(page)  # nothing on the floor: the meeting's title
    assert Visitor(app, CHAIR).get(f"/m/{SLUG}/projector?part=live").status_code == 200
    anonymous = app.test_client().get(f"/m/{SLUG}/projector")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")


def test_an_amendment_on_the_floor_shows_its_redline_and_summary(app, factory):
    w = make_world(app, factory)
    chair = Visitor(app, CHAIR)
    taken = chair.post(f"/m/{SLUG}/floor", {"item": f"amendment:{w.amendment}", "next": "amendment"})
    assert taken.status_code == 302 and taken.location == f"/amendments/{w.amendment}"
    live = chair.get(f"/m/{SLUG}/projector?part=live")
    assert live.headers["Cache-Control"] == "no-store"
    text = plain(live)
    assert "Amendment A1: Equality" in text
    assert "Line 2: after “want”, insert “equal”." in text or "insert “equal”" in text, text
    body = live.get_data(as_text=True)
    assert '<ins class="added">' in body and "equal" in body
    assert "<html" not in body  # a fragment


def test_the_projector_shows_turnout_during_a_vote_then_the_chart(app, factory):
    w = make_world(app, factory, present=4)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}")
    # a draft poll put on the floor says the vote is coming
    chair.post(f"/m/{SLUG}/floor", {"item": f"poll:{poll_id}", "next": "chair"})
    assert "The vote will open shortly." in plain(chair.get(f"/m/{SLUG}/projector?part=live"))
    open_(chair, poll_id)  # opening puts the poll on the floor
    live = chair.get(f"/m/{SLUG}/projector?part=live")
    assert "0 of 4 voted" in plain(live) and "Voting is open" in plain(live)
    assert f'data-turnout-poll="{poll_id}"' in live.get_data(as_text=True)
    assert 'aria-live="polite"' in live.get_data(as_text=True)
    assert "<svg" not in live.get_data(as_text=True)

    for i, choice in enumerate(["yes", "yes", "no"]):
        vote(app, i, poll_id, choice)
    assert "3 of 4 voted" in plain(chair.get(f"/m/{SLUG}/projector?part=live"))

    chair.post(f"/polls/{poll_id}/close")
    live = Visitor(app, delegate_email(3)).get(f"/m/{SLUG}/projector?part=live")
    body = live.get_data(as_text=True)
    assert "Carried: 2 for, 1 against, 0 abstentions; simple majority of votes cast." in plain(live)
    assert "3 of 4 voted" not in plain(live)
    assert re.search(r'<svg class="chart" role="img" aria-label="Result: Yes: 2, No: 1, Abstain: 0"', body)
    assert "<title>Result: Yes: 2, No: 1, Abstain: 0</title>" in body
    assert bars(live) == [("Yes", "760.0", "2"), ("No", "380.0", "1"), ("Abstain", "0.0", "0")]
    assert " style=" not in body


def test_a_card_vote_on_the_projector_charts_the_weighted_totals(app, factory):
    w = make_world(app, factory, present=4)
    chair = Visitor(app, CHAIR)
    poll_id = create(chair, subject=f"amendment:{w.amendment}", weighted=True)
    open_(chair, poll_id)
    for i, choice in enumerate(["yes", "no", "no", "yes"]):  # weights 1, 2, 3, 4
        vote(app, i, poll_id, choice)
    chair.post(f"/polls/{poll_id}/close")
    live = chair.get(f"/m/{SLUG}/projector?part=live")
    assert bars(live) == [("Yes", "760.0", "5"), ("No", "760.0", "5"), ("Abstain", "0.0", "0")]
    assert "card vote; 2 for, 2 against, 0 abstentions by headcount" in plain(live)
    assert "4 ballots; vote weight present 10 of 10." in plain(live)


# ---------------------------------------------------------------- the chart macro on its own

def render_chart(app, bars, caption="Result"):
    with app.test_request_context("/"):
        module = app.jinja_env.get_template("polls/_chart.html").module
        return str(module.chart(bars, caption))


def test_the_chart_macro(app):
    svg = render_chart(app, [
        {"option": "yes", "label": "Yes", "count": 1200, "share": 1.0},
        {"option": "no", "label": "No", "count": 300, "share": 0.25},
        {"option": "<b>x</b>", "label": "<script>alert(1)</script> & co", "count": 0, "share": 0.0},
    ])
    assert svg.startswith('<svg class="chart" role="img"')
    assert 'viewBox="0 0 1000 280"' in svg
    # the counts in words for screen readers, escaped
    assert 'aria-label="Result: Yes: 1,200, No: 300, &lt;script&gt;alert(1)&lt;/script&gt; &amp; co: 0"' in svg
    assert "<title>Result: Yes: 1,200, No: 300, &lt;script&gt;alert(1)&lt;/script&gt; &amp; co: 0</title>" in svg
    widths = re.findall(r'<rect class="chart-bar" x="0" y="(\d+)" height="38" width="([^"]+)">', svg)
    assert widths == [("38", "760.0"), ("128", "190.0"), ("218", "0.0")]
    assert 'class="chart-row chart-row-0 chart-yes"' in svg and 'class="chart-row chart-row-2"' in svg
    assert "<script>" not in svg and "<b>" not in svg and "style=" not in svg


def test_the_chart_of_nothing_at_all(app):
    svg = render_chart(app, [], caption="")
    assert 'viewBox="0 0 1000 10"' in svg and 'aria-label=""' in svg

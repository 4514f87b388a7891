"""The chair sees whether the quorum is met: on the meeting page and in the attendance answer."""
from __future__ import annotations

from tests.api_helpers import bearer


def test_meeting_page_and_api_show_the_quorum(app, client, auth, factory):
    slug = factory.meeting("quorum-meeting", quorum="1/2")
    chair = factory.person(slug, "chair", email="chair@example.org")
    delegates = [factory.person(slug, "delegate") for _ in range(3)]
    auth.login("chair@example.org")
    page = client.get(f"/m/{slug}/").get_data(as_text=True)
    # 1/2 of the 3 registered delegates, rounded up: 2 are needed, none is present
    assert "Present: 0 of 3 delegates" in page and "No quorum: 2 needed." in page
    token = factory.token("chair@example.org")
    answers = [client.post(f"/api/v1/meetings/{slug}/attendance", headers=bearer(token),
                           json={"person_id": p, "present": True}).get_json() for p in delegates[:2]]
    assert [(a["present_count"], a["quorum_needed"], a["quorum_met"]) for a in answers] == [(1, 2, False), (2, 2, True)]
    page = client.get(f"/m/{slug}/").get_data(as_text=True)
    assert "Present: 2 of 3 delegates" in page and "Quorum met (2 needed)." in page
    assert chair not in delegates


def test_no_quorum_set_says_nothing_about_it(app, client, auth, factory):
    slug = factory.meeting("no-quorum")
    factory.person(slug, "chair", email="chair2@example.org")
    auth.login("chair2@example.org")
    page = client.get(f"/m/{slug}/").get_data(as_text=True)
    assert "Quorum met" not in page and "No quorum:" not in page

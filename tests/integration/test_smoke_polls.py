from tests.api_helpers import bearer


def test_poll_round_trip(app, client, factory):
    slug = factory.meeting("m-one", quorum="2")
    chair = factory.person(slug, "chair", email="chair@x.org")
    ds = [factory.person(slug, "delegate", email=f"d{i}@x.org", vote_weight=i + 1) for i in range(4)]
    doc = factory.document(slug, "## Aims\n\n1. One clause here.\n2. Another clause.\n", state="open")
    a = factory.amendment(doc, ds[0], replace=("One", "First"), status="admitted")
    ct = factory.token("chair@x.org")
    client.post(f"/api/v1/meetings/{slug}/attendance", json={"present": True}, headers=bearer(ct))
    from motions.meetings import operations
    with app.app_context():
        m = operations.get_meeting(slug)
        operations.set_meeting_state(m, "in_session")
        for d in ds[:3]:
            operations.set_attendance(m, operations.get_membership(m, d), True)
    r = client.post(f"/api/v1/meetings/{slug}/polls", json={"subject": {"type": "amendment", "id": a}, "secret": True,
                                                           "weighted": True}, headers=bearer(ct))
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    r = client.post(f"/api/v1/polls/{pid}/open", headers=bearer(ct))
    assert r.status_code == 200, r.get_json()
    for i, choice in enumerate(["yes", "no", "yes"]):
        t = factory.token(f"d{i}@x.org")
        r = client.post(f"/api/v1/polls/{pid}/ballots", json={"choice": choice}, headers=bearer(t))
        assert r.status_code == 201, r.get_json()
        r = client.post(f"/api/v1/polls/{pid}/ballots", json={"choice": choice}, headers=bearer(t))
        assert r.status_code == 409, r.get_json()
    r = client.post(f"/api/v1/polls/{pid}/close", headers=bearer(ct))
    body = r.get_json()
    assert r.status_code == 200, body
    print(body)
    assert body["result"]["outcome"] == "carried"
    assert client.get(f"/api/v1/amendments/{a}", headers=bearer(ct)).get_json()["status"] == "carried"
    print(client.get(f"/api/v1/meetings/{slug}/audit", headers=bearer(ct)).get_json()[-3:])

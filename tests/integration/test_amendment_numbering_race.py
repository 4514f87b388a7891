"""Many delegates propose amendments to one document at the same moment (found by the load suite:
with 100 submitting, a few proposals answered 500, a unique-number clash that five retries did not
get past). Every proposal is answered 201, and the numbers are A1 ... An, each once, on SQLite and
PostgreSQL. Proposals go through the API from threads, each with its own test client and
connections, released together by a barrier."""
from __future__ import annotations

import threading

import pytest

from tests.api_helpers import bearer, fast_hashing  # noqa: F401  (fast_hashing is a fixture)

pytestmark = pytest.mark.usefixtures("fast_hashing")

DELEGATES, EACH = 16, 3


def test_simultaneous_proposals_all_get_the_next_free_number(app, factory):
    from motions.amendments.models import Amendment
    from motions.extensions import db

    slug = factory.meeting("race")
    tokens = []
    for i in range(DELEGATES):
        factory.person(slug, "delegate", email=f"d{i}@race.org", name=f"Delegate {i}")
        tokens.append(factory.token(f"d{i}@race.org"))
    clauses = "".join(f"- Clause {c}: we organise workers in every workplace {c}.\n" for c in range(8))
    document = factory.document(slug, "# Aims\n\n" + clauses, state="open")
    listing = app.test_client().get(f"/api/v1/documents/{document}", headers=bearer(tokens[0])).get_json()
    rows = [c for c in listing["clauses"] if "workplace" in c["text"]]
    barrier = threading.Barrier(DELEGATES)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def delegate(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        for k in range(EACH):
            clause = rows[(i + k) % len(rows)]
            response = client.post(f"/api/v1/documents/{document}/amendments", headers=bearer(tokens[i]),
                                   json={"clause_id": clause["id"], "kind": "modify",
                                         "text": clause["text"].replace("workers", f"workers ({i}.{k})")})
            with lock:
                answers.append((response.status_code, response.get_data(as_text=True)[:300]))

    threads = [threading.Thread(target=delegate, args=(i,)) for i in range(DELEGATES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(answers) == DELEGATES * EACH
    assert [a for a in answers if a[0] != 201] == []
    with app.app_context():
        numbers = db.session.execute(db.select(Amendment.number).where(Amendment.document_id == document)).scalars().all()
        db.session.remove()
    assert sorted(numbers, key=lambda n: int(n[1:])) == [f"A{n}" for n in range(1, DELEGATES * EACH + 1)]

"""The founding meeting, end to end, on the real draft platform (motions/demo/platform.md) and the
demo delegate list (motions/demo/delegates.csv).

The secretary is bootstrapped from the command line, imports the platform through the API and the
delegate list through the page; five delegates move amendments to the aims and activities, two of
them colliding; each is seconded and admitted; the chair opens the session, the secretary checks
delegates in, and real polls carry four amendments (one of them only after the secretary has
restated it against the new text) and lose one; the document is closed, carried as amended and made
final. The exports (Markdown, PDF, redline DOCX, the record of proceedings as CSV) are read as a
person would read them, against an adopted text written out in full below, and the audit chain
verifies. Every API answer is checked against the published schema (test_api_amendments.call).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.api_helpers import assert_error, bearer, fast_hashing  # noqa: F401  (fast_hashing is a fixture)
from tests.conftest import AuthActions
from tests.integration.test_api_amendments import call, ok

pytestmark = pytest.mark.usefixtures("fast_hashing")

DEMO = Path(__file__).resolve().parents[2] / "motions" / "demo"
SLUG = "founding-meeting"
TITLE = "Founding meeting of the solidarity campaign"
SECRETARY_PASSWORD = "minutes and motions"
DELEGATE_PASSWORD = "solidarity forever"

# ---------------------------------------------------------------- the clauses amended

ENVIRONMENT = "For environmental protections, including just transition to halt climate change."
PROTEST = ("Organise and support protest and direct action against the Chinese state and its embassies and "
           "representatives, and against businesses complicit in repression and exploitation.")
DISCUSSION = "Discussion, debate and education within the left and labour movement on all these issues."
JUSTICE = "For social justice and economic democracy for the Chinese, Hong Kong, Uyghur, Tibetan and Taiwanese people."

# the colliding pair: both rewrite "just transition"
FAIR = "For environmental protections, including a fair transition for workers to halt climate change."
UNIONS = "For environmental protections, including a just transition, led by the unions, to halt climate change."
# the secretary's restatement of UNIONS against the clause as FAIR left it
UNIONS_RESOLVED = ("For environmental protections, including a fair transition for workers, led by the unions, "
                   "to halt climate change.")
PROFIT = ("Organise and support protest and direct action against the Chinese state and its embassies and "
          "representatives, and against businesses that profit from repression, forced labour and exploitation.")
MEETINGS = "Public meetings, debate and education within the left and labour movement on all these issues."
CONTROL = ("For social justice and workers’ control of the economy for the Chinese, Hong Kong, Uyghur, Tibetan and "
           "Taiwanese people.")

# The adopted platform, written out by hand: the draft as imported with exactly the four carried
# changes (1.6 twice, 3.2, 3.5); 1.3 keeps its draft wording (that amendment was lost).
ADOPTED = """\
The founding meeting of a united workers campaign for the people of China, Taiwan, Hong Kong, Tibet & the Uyghur Region. The draft platform that the meeting co-sponsors agreed, to be amended clause by clause.

## Aims

We aim to initiate a joint campaign to build unity:

- For democratic and workers’ rights across China and its occupied territories: the rights to free speech, to organise and protest, to form opposition parties to the state and the CCP, to organise independent unions and for the right to strike, to practise any religion or none.
- For social justice and economic democracy for the Chinese, Hong Kong, Uyghur, Tibetan and Taiwanese people.
- For equality and liberation for women, LGBT people, disabled people, and racialised minorities, and the abolition of the hukou system that discriminates against working-class migrants.
- For freedom from repression, and the democratic right to self-determination, for Tibet, the Uyghurs, and Hong Kong.
- For environmental protections, including a fair transition for workers, led by the unions, to halt climate change.
- Against exploitation, oppression and environmental degradation in other countries affected by China’s economic imperialism and arms sales to tyrants.

## Against superpower rivalry

None of these struggles benefit from superpower rivalries, xenophobia or threats of war. The campaign should therefore also:

- Support the right of threatened nations such as Taiwan to defend their self-determination and to receive arms necessary for that defence from whatever forces are willing to supply them, while opposing armament drives and sabre-rattling by the imperialist camps of China, Russia and the US and their military and security alliances.
- Fight racism against people of East & South-East Asian backgrounds.
- Oppose the UK government’s racist anti-migrant policies and demand safe routes, sanctuary and equality for refugees fleeing repression, violence and authoritarianism – whether at the hands of the Chinese state or anywhere else in the world. Defend the rights of migrants & refugees who have already come to the UK, and support their inclusion & integration into the local workers’ movement.

## Activities

To these ends, the campaign’s activities would include:

- Organise and support protest and direct action against the Chinese state and its embassies and representatives, and against businesses that profit from repression, forced labour and exploitation.
- Work to win the argument for solidarity within the labour movement and the left, and to engage our trade unions and political organisations in this solidarity.
- Encourage and support workers’ action in the global supply chains that connect the working classes here and in China and its occupied territories.
- Public meetings, debate and education within the left and labour movement on all these issues.
- To carry out practical aid tailor made to the communities within the struggles in the UK.
"""

# The demo delegate list: key -> email (the key is how the test names each person)
PEOPLE = {
    "chair": "chair@example.org", "secretary": "secretary@example.org", "organiser": "organiser@example.org",
    "alex": "delegate1@example.org", "bilal": "delegate2@example.org", "chloe": "delegate3@example.org",
    "dawa": "delegate4@example.org", "eleanor": "delegate5@example.org", "fang": "delegate6@example.org",
    "grace": "delegate7@example.org", "hamid": "delegate8@example.org",
}
PRESENT = ("alex", "bilal", "chloe", "dawa", "eleanor", "fang", "grace")  # hamid never arrives


# ---------------------------------------------------------------- helpers

def api(w, method, path, who, body=None, status=200, **query):
    return ok(call(w, method, f"/api/v1{path}", who, body, query=query or None), status)


def amendment(w, amendment_id, who="hamid"):
    return api(w, "GET", f"/amendments/{amendment_id}", who)


def move(w, mover, clause, text, title):
    """A delegate moves an amendment to a clause (its new full text)."""
    a = api(w, "POST", f"/documents/{w.doc}/amendments", mover,
            {"clause_id": w.clause[clause]["id"], "kind": "modify", "text": text, "title": title}, 201)
    assert a["status"] == "submitted" and a["mover"]["id"] == w.people[mover].id
    return a["id"]


def vote(w, subject: dict, ballots: dict[str, str], poll: dict | None = None) -> dict:
    """The chair creates a poll (or takes the draft `poll`) and opens it, the delegates vote, the chair closes it."""
    poll = poll or api(w, "POST", f"/meetings/{SLUG}/polls", "chair", {"subject": subject}, 201)
    assert poll["state"] == "draft" and poll["subject"] == subject
    assert api(w, "POST", f"/polls/{poll['id']}/open", "chair")["state"] == "open"
    for who, choice in ballots.items():
        receipt = api(w, "POST", f"/polls/{poll['id']}/ballots", who, {"choice": choice}, 201)
        assert (receipt["voter_id"], receipt["choice"]) == (w.people[who].id, choice)
    closed = api(w, "POST", f"/polls/{poll['id']}/close", "chair")
    assert closed["state"] == "closed" and closed["voted"] == len(ballots)
    expected = {c: list(ballots.values()).count(c) for c in ("yes", "no", "abstain")}
    assert closed["result"]["counts"] == expected
    return closed


def text_of(w, **query):
    response = w.client.get(f"/api/v1/documents/{w.doc}/text", query_string=query,
                            headers=bearer(w.people["alex"].token))
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    return response.get_data(as_text=True)


def export(w, **query):
    response = w.client.get(f"/api/v1/documents/{w.doc}/export", query_string=query,
                            headers=bearer(w.people["grace"].token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


# a printed line: the clause number (on its first line), the meeting's line number, then the text
MARGIN = re.compile(r"^[ \t]*(?:\d+(?:\.\d+)*[ \t]+)?\d+[ \t]", re.M)


def flat(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- the meeting

def test_the_founding_meeting_adopts_its_platform(app, client, factory, runner, tmp_path):
    factory.meeting(SLUG, title=TITLE, seconders_required=1, quorum="1/3")
    w = SimpleNamespace(client=client, people={})
    browser = app.test_client()  # the pages, in a browser of their own (the API client sends only tokens)
    web = AuthActions(browser)

    # ---- 1. the secretary: bootstrapped from the command line, imports the platform and the delegates
    result = runner.invoke(args=["create-user", "--email", PEOPLE["secretary"], "--name", "Meeting secretary",
                                 "--password", SECRETARY_PASSWORD, "--organisation", "Alliance for Workers’ Liberty",
                                 "--meeting", SLUG, "--role", "secretary", "--print-token"])
    assert result.exit_code == 0, result.output
    w.people["secretary"] = SimpleNamespace(token=result.stdout.strip())
    w.secretary = w.people["secretary"]  # `call` looks people up as attributes

    draft = (DEMO / "platform.md").read_text(encoding="utf-8")
    doc = api(w, "POST", f"/meetings/{SLUG}/documents", "secretary",
              {"title": "Draft platform", "text": draft, "format": "markdown", "kind": "platform"}, 201)
    w.doc = doc["id"]
    assert (doc["state"], doc["version"], doc["fingerprint"]) == ("draft", 1, None)
    w.clause = {c["number"]: c for c in doc["clauses"]}
    assert [c["text"] for c in doc["clauses"] if c["kind"] == "heading"] == [
        "Aims", "Against superpower rivalry", "Activities"]
    assert (w.clause["1.3"]["text"], w.clause["1.6"]["text"]) == (JUSTICE, ENVIRONMENT)
    assert (w.clause["3.2"]["text"], w.clause["3.5"]["text"]) == (PROTEST, DISCUSSION)

    assert web.login(PEOPLE["secretary"], SECRETARY_PASSWORD).status_code == 302
    delegates_csv = (DEMO / "delegates.csv").read_text(encoding="utf-8")
    preview = web.post(f"/m/{SLUG}/people/import", {"text": delegates_csv, "preview": "Preview"})
    assert preview.status_code == 200
    assert "Preview: 11 people" in flat(re.sub(r"<[^>]+>", " ", preview.get_data(as_text=True)))
    response = web.post(f"/m/{SLUG}/people/import", {"text": delegates_csv, "confirm": "Import"})
    assert response.status_code == 302 and response.location.endswith(f"/m/{SLUG}/people")
    assert "Imported: 10 new, 1 updated." in browser.get(response.location).get_data(as_text=True)
    web.logout()
    members = {m["email"]: m for m in api(w, "GET", f"/meetings/{SLUG}/people", "secretary")}
    assert set(members) == set(PEOPLE.values())
    assert set(members[PEOPLE["chair"]]["roles"]) == {"chair", "delegate"}
    assert members[PEOPLE["alex"]]["organisation"] == "Power to Hongkongers"
    # imported people have no password: the secretary gives each a first one, and they sign in
    for key, email in PEOPLE.items():
        m = members[email]
        if key != "secretary":
            api(w, "POST", f"/meetings/{SLUG}/people", "secretary",
                {"name": m["name"], "email": email, "organisation": m["organisation"], "roles": m["roles"],
                 "vote_weight": m["vote_weight"], "password": DELEGATE_PASSWORD}, 201)
        password = SECRETARY_PASSWORD if key == "secretary" else DELEGATE_PASSWORD
        signed_in = ok(client.post("/api/v1/auth/token", json={"email": email, "password": password}))
        w.people[key] = SimpleNamespace(id=m["id"], name=m["name"], organisation=m["organisation"],
                                        token=signed_in["token"])
        setattr(w, key, w.people[key])
    meeting = api(w, "GET", f"/meetings/{SLUG}", "alex")
    assert (meeting["seconders_required"], meeting["state"]) == (1, "preparing")

    # ---- 2. the document opens; five amendments by five delegates, two of them colliding
    assert api(w, "POST", f"/documents/{w.doc}/state", "secretary", {"state": "open"})["state"] == "open"
    fair = move(w, "alex", "1.6", FAIR, "A fair transition for workers")
    unions = move(w, "chloe", "1.6", UNIONS, "Led by the unions")
    profit = move(w, "eleanor", "3.2", PROFIT, "Name forced labour")
    meetings = move(w, "fang", "3.5", MEETINGS, "Public meetings")
    control = move(w, "grace", "1.3", CONTROL, "Workers’ control")
    assert amendment(w, fair)["conflicts_with"] == [unions]
    assert amendment(w, unions)["conflicts_with"] == [fair]
    assert all(amendment(w, a)["conflicts_with"] == [] for a in (profit, meetings, control))
    # unseconded, it cannot be admitted: the meeting requires one seconder
    assert_error(call(w, "POST", f"/api/v1/amendments/{fair}/admit", "chair"), 409, "not_enough_seconders")
    assert_error(call(w, "POST", f"/api/v1/amendments/{fair}/second", "alex"), 403, "forbidden")  # not the mover
    seconders = {fair: "bilal", unions: "dawa", profit: "hamid", meetings: "alex", control: "chloe"}
    for amendment_id, seconder in seconders.items():
        seconded = api(w, "POST", f"/amendments/{amendment_id}/second", seconder)
        assert [s["id"] for s in seconded["seconders"]] == [w.people[seconder].id]
        assert api(w, "POST", f"/amendments/{amendment_id}/admit", "chair")["status"] == "admitted"

    # ---- 3. the session opens, delegates are checked in, the votes
    subject = {"type": "amendment", "id": fair}
    too_early = api(w, "POST", f"/meetings/{SLUG}/polls", "chair", {"subject": subject}, 201)
    assert_error(call(w, "POST", f"/api/v1/polls/{too_early['id']}/open", "chair"), 409, "not_in_session")
    assert web.login(PEOPLE["chair"], DELEGATE_PASSWORD).status_code == 302
    assert web.post(f"/m/{SLUG}/state", {"state": "in_session"}).status_code == 302
    web.logout()
    assert api(w, "GET", f"/meetings/{SLUG}", "alex")["state"] == "in_session"
    for n, key in enumerate(PRESENT, start=1):
        checked = api(w, "POST", f"/meetings/{SLUG}/attendance", "secretary",
                      {"person_id": w.people[key].id, "present": True})
        assert (checked["present"], checked["present_count"], checked["registered"]) == (True, n, 9)
    assert (checked["quorum_needed"], checked["quorum_met"]) == (3, True)

    first = vote(w, subject, {"alex": "yes", "bilal": "yes", "chloe": "no", "dawa": "yes", "eleanor": "yes",
                              "fang": "yes", "grace": "abstain"}, poll=too_early)
    assert first["result"]["outcome"] == "carried" and amendment(w, fair)["status"] == "carried"
    assert w.clause["1.6"]["id"] in {c["id"] for c in api(w, "GET", f"/documents/{w.doc}", "alex")["clauses"]}
    assert FAIR in text_of(w) and ENVIRONMENT not in text_of(w)
    stuck = amendment(w, unions)
    assert (stuck["status"], stuck["applies_cleanly"], stuck["base_version"]) == ("admitted", False, 1)
    # the chair may prepare the vote, but not put it while the amendment no longer applies
    unions_poll = api(w, "POST", f"/meetings/{SLUG}/polls", "chair", {"subject": {"type": "amendment", "id": unions}},
                      201)
    assert_error(call(w, "POST", f"/api/v1/polls/{unions_poll['id']}/open", "chair"), 409, "does_not_apply")
    resolved = api(w, "POST", f"/amendments/{unions}/resolve", "secretary", {"text": UNIONS_RESOLVED})
    assert (resolved["applies_cleanly"], resolved["base_version"], resolved["text"]) == (True, 2, UNIONS_RESOLVED)
    assert [s["id"] for s in resolved["seconders"]] == [w.dawa.id]  # the seconder stays

    second = vote(w, {"type": "amendment", "id": unions},
                  {"alex": "no", "bilal": "yes", "chloe": "yes", "dawa": "yes", "eleanor": "abstain", "fang": "yes",
                   "grace": "no"}, poll=unions_poll)
    assert second["result"]["outcome"] == "carried" and amendment(w, unions)["status"] == "carried"
    # hamid is absent, and nobody votes twice
    third_poll = api(w, "POST", f"/meetings/{SLUG}/polls", "chair", {"subject": {"type": "amendment", "id": profit}},
                     201)
    api(w, "POST", f"/polls/{third_poll['id']}/open", "chair")
    assert_error(call(w, "POST", f"/api/v1/polls/{third_poll['id']}/ballots", "hamid", {"choice": "yes"}), 409,
                 "not_present")
    for key in PRESENT[:-1]:
        api(w, "POST", f"/polls/{third_poll['id']}/ballots", key, {"choice": "yes"}, 201)
    api(w, "POST", f"/polls/{third_poll['id']}/ballots", "grace", {"choice": "abstain"}, 201)
    assert_error(call(w, "POST", f"/api/v1/polls/{third_poll['id']}/ballots", "grace", {"choice": "no"}), 409,
                 "already_voted")
    third = api(w, "POST", f"/polls/{third_poll['id']}/close", "chair")
    assert third["result"]["counts"] == {"yes": 6, "no": 0, "abstain": 1}
    assert third["result"]["outcome"] == "carried" and amendment(w, profit)["status"] == "carried"
    fourth = vote(w, {"type": "amendment", "id": meetings},
                  {"alex": "yes", "bilal": "yes", "chloe": "yes", "dawa": "no", "eleanor": "yes", "fang": "yes",
                   "grace": "abstain"})
    assert fourth["result"]["outcome"] == "carried" and amendment(w, meetings)["status"] == "carried"
    fifth = vote(w, {"type": "amendment", "id": control},
                 {"alex": "no", "bilal": "no", "chloe": "yes", "dawa": "no", "eleanor": "no", "fang": "abstain",
                  "grace": "yes"})
    assert fifth["result"]["outcome"] == "lost" and amendment(w, control)["status"] == "lost"
    versions = api(w, "GET", f"/documents/{w.doc}/versions", "alex")
    assert [(v["version"], v["amendment_id"]) for v in versions] == [
        (1, None), (2, fair), (3, unions), (4, profit), (5, meetings)]

    # ---- 4. the document closes, the meeting carries it as amended, the secretary makes it final
    assert api(w, "POST", f"/documents/{w.doc}/state", "chair", {"state": "closed"})["state"] == "closed"
    whole = vote(w, {"type": "document", "id": w.doc},
                 {"alex": "yes", "bilal": "yes", "chloe": "yes", "dawa": "yes", "eleanor": "yes", "fang": "abstain",
                  "grace": "yes"})
    assert whole["result"]["outcome"] == "carried"
    final = api(w, "POST", f"/documents/{w.doc}/state", "secretary", {"state": "final"})
    assert (final["state"], final["current_version"]) == ("final", 5)
    adopted = text_of(w)
    assert final["fingerprint"] == hashlib.sha256(adopted.encode("utf-8")).hexdigest()
    assert text_of(w, version=1) == draft  # the draft is kept as imported

    # the literal above is the draft with exactly these four edits (a guard for edits of platform.md)
    assert (draft.replace(ENVIRONMENT, UNIONS_RESOLVED).replace(PROTEST, PROFIT).replace(DISCUSSION, MEETINGS)
            == ADOPTED)
    numbers = {a["id"]: a["number"] for a in api(w, "GET", f"/documents/{w.doc}/amendments", "alex")}
    assert sorted(numbers.values()) == ["A1", "A2", "A3", "A4", "A5"]

    # ---- 5. the exports
    md = export(w, format="md")
    assert md.mimetype == "text/markdown"
    head, body = md.get_data(as_text=True).split("\n---\n\n", 1)
    assert body == ADOPTED
    assert final["fingerprint"] in head

    pdf = export(w, format="pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is not None:  # without it only this check is left out (skipped at the end, with the reason)
        (tmp_path / "adopted.pdf").write_bytes(pdf.data)
        layout = subprocess.run([pdftotext, "-layout", str(tmp_path / "adopted.pdf"), "-"],
                                capture_output=True, text=True, check=True).stdout
        printed = flat(MARGIN.sub("", layout))  # the clause and line numbers printed in the margin left out
        for clause in (UNIONS_RESOLVED, PROFIT, MEETINGS):
            assert flat(clause) in printed, (clause, printed)
        assert flat(JUSTICE) in printed and "workers’ control" not in printed

    import docx

    redline = export(w, format="docx", redline=1)
    assert "redline-v1-v5" in redline.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(redline.data))
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    body_xml = document.element.body
    inserted = flat(" ".join(t.text or "" for t in body_xml.findall(".//w:ins//w:t", ns)))
    deleted = flat(" ".join(t.text or "" for t in body_xml.findall(".//w:del//w:delText", ns)))
    for words in ("fair", "for workers", "led by the unions", "that profit from", "forced labour", "Public meetings"):
        assert words in inserted, (words, inserted)
    for words in ("just", "complicit in", "Discussion"):
        assert words in deleted, (words, deleted)
    assert "control" not in inserted and "economic democracy" not in deleted  # the lost amendment changed nothing
    labels = "\n".join(p.text for p in document.paragraphs)
    for carried in (fair, unions, profit, meetings):
        assert re.search(rf"\b{numbers[carried]}\b", labels), (numbers[carried], labels)
    assert not re.search(rf"\b{numbers[control]}\b", labels)

    response = client.get(f"/api/v1/meetings/{SLUG}/record", query_string={"format": "csv"},
                          headers=bearer(w.hamid.token))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, as spreadsheets want it
    reader = csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))
    assert reader.fieldnames == ["Number", "Document", "Clause", "Lines", "Kind", "Title", "Summary", "Mover",
                                 "Seconders", "Status", "For", "Against", "Abstentions", "Decision"]
    rows = list(reader)
    by_number = {r["Number"]: r for r in rows if r["Number"]}
    assert len(by_number) == 5 and len(rows) == 6  # the five amendments and the vote on the whole document

    def person(key):
        return f"{w.people[key].name} ({w.people[key].organisation})"

    expected = {
        fair: ("1.6", "alex", "carried", first),
        unions: ("1.6", "chloe", "carried", second),
        profit: ("3.2", "eleanor", "carried", third),
        meetings: ("3.5", "fang", "carried", fourth),
        control: ("1.3", "grace", "lost", fifth),
    }
    for amendment_id, (clause, mover, status, poll) in expected.items():
        row = by_number[numbers[amendment_id]]
        counts = poll["result"]["counts"]
        assert (row["Document"], row["Clause"], row["Mover"], row["Seconders"], row["Status"]) == (
            "Draft platform", clause, person(mover), person(seconders[amendment_id]), status), row
        assert (row["For"], row["Against"], row["Abstentions"]) == (
            str(counts["yes"]), str(counts["no"]), str(counts["abstain"])), row
        # the poll is named by the amendment's number, which closing the document did not change:
        # an amendment already decided keeps the number it was decided under
        assert row["Decision"].startswith(f"{poll['title']}: "), row
        assert re.search(rf"\b{numbers[amendment_id]}\b", poll["title"]), (poll["title"], numbers[amendment_id])
        assert f"{status.capitalize()}: {counts['yes']} for, {counts['no']} against" in row["Decision"], row
    adoption = next(r for r in rows if not r["Number"])
    assert (adoption["Status"], adoption["For"], adoption["Against"], adoption["Abstentions"]) == (
        "carried", "6", "0", "1")

    # ---- 6. the audit chain holds
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text was not checked")

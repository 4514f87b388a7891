"""Attack suite, XSS: a corpus of real-world payloads in every text field a person controls, then
every page that shows them (the whole URL map, as every kind of visitor), the live fragments, the
redline and compare pages, the projector, the record and every export format.

What "inert" means here, checked on the parsed page (html.parser), not with regular expressions:
no element a template does not write (so no <img>, <svg>, <iframe> from the data), no attribute
whose name starts with "on", no <script> but the app's own files under /static/ (and none with
content), no URL attribute with a javascript:/vbscript:/data: scheme, template expressions shown
as written (not evaluated), and in CSV/XLSX no cell a spreadsheet would read as a formula.
Each payload is also looked for on the pages that must show it, so a page that dropped the data
(and so "passed") fails too.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import PASSWORD, csrf_token
from tests.tried import tried

ROOT = Path(__file__).resolve().parents[2]
SLUG = "xss-meeting"

#: Real-world payloads: tag injection, attribute breakers (double quote, single quote, backtick),
#: URL schemes, template injection, RCDATA breakers, Unicode tricks, Markdown links and
#: spreadsheet formulas.
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    '" onmouseover="alert(1)" x="',
    "' autofocus onfocus='alert(1)' x='",
    "`><img src=`x` onerror=alert(1)>",
    "{{7*7}}",
    "${'zq'.repeat(3)} {{'zq'*3}} <%= 'zq'*3 %>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "\u202e<iframe src=javascript:alert(1)>\u202c gnp.exe",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "=HYPERLINK(\"https://evil.example\",\"x\")",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
]

#: what an evaluated template payload ('zq' three times, in Jinja, JavaScript and ERB syntax) would
#: print (letters no hash, number or date holds):
#: never on any page or in any file. (49 from {{7*7}} could be a line number or an audit entry's
#: number, so {{7*7}} is checked the other way round: it is shown as written where it is stored.)
EVALUATED = ("zqzqzq",)
TEMPLATE_PAYLOAD = "{{7*7}}"

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "xlink:href", "background", "cite"}
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f\u200b-\u200f\u2028-\u202e\ufeff]+")


def _tags_in(paths) -> frozenset[str]:
    tags = set()
    for path in paths:
        tags.update(t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", path.read_text(encoding="utf-8")))
    return frozenset(tags)


#: every element the templates write: any other element on a page came from the data
TEMPLATE_TAGS = _tags_in((ROOT / "templates").rglob("*.html")) | {"html", "head", "body"}
#: every element the HTML exports write (motions/exports/render.py builds them from escaped text;
#: headings as f"<h{level}>")
EXPORT_TAGS = _tags_in([ROOT / "motions" / "exports" / "render.py"]) | {f"h{n}" for n in range(1, 7)}
#: what must never be in an export's own style sheet (it is the app's CSS, never the data)
_CSS_FROM_DATA = ("alert(", "javascript:", "expression(", "@import", "url(", "</style")


class _Page(HTMLParser):
    """The elements, attributes and text of a page, as a browser would build them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.texts: list[str] = []
        self.script_text: list[str] = []
        self.style_text: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, attrs))
        if tag not in ("br", "input", "meta", "link", "col", "img", "hr", "wbr"):
            self._open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.starts.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open and self._open[-1] in ("script", "style"):
            if data.strip():
                (self.script_text if self._open[-1] == "script" else self.style_text).append(data)
            return
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def attribute_values(self) -> list[str]:
        return [value for _tag, attrs in self.starts for _name, value in attrs if value]


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _bad_url(value: str) -> bool:
    return _SPACE_OR_CONTROL.sub("", value).lower().startswith(_BAD_SCHEMES)


def inert_problems(html: str, *, allowed_tags: frozenset[str] = TEMPLATE_TAGS, export: bool = False) -> list[str]:
    """What in a page an attacker's data could have made active (empty: nothing)."""
    page = parse(html)
    problems = []
    for tag, attrs in page.starts:
        if tag not in allowed_tags:
            problems.append(f"<{tag}> is not written by any template: it came from the data")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if export or not src.startswith("/static/"):
                problems.append(f"<script src={src!r}> is not one of the app's own files")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...>: an event handler attribute")
            if value and (name in _URL_ATTRIBUTES or name.startswith("data-")) and _bad_url(value):
                problems.append(f"<{tag} {name}={value!r}>: a script URL")
    if page.script_text:
        problems.append(f"inline script content: {page.script_text[0][:80]!r}")
    for css in page.style_text:
        if not export:
            problems.append(f"a <style> element: {css[:80]!r}")
        problems += [f"{bad!r} in a style sheet" for bad in _CSS_FROM_DATA if bad in css.lower()]
    text = page.text
    for evaluated in EVALUATED:
        if evaluated in text:
            problems.append(f"{evaluated!r} on the page: a template expression from the data was evaluated")
    return problems


def shown(html: str) -> str:
    """The page as a reader sees it: its text, and its attribute values (form fields, labels)."""
    page = parse(html)
    return page.text + "\n" + "\n".join(page.attribute_values())


# ------------------------------------------------------------------------------------------------
# the world: every text field filled with the corpus

_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        from werkzeug.security import generate_password_hash

        _HASH.append(generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    return _HASH[0]


VISITORS = {
    "delegate": (["delegate"], False),
    "chair": (["chair"], False),
    "secretary": (["secretary"], False),
    "organiser": (["organiser"], True),
    "non-member": (None, False),
}


def payload(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


def bundle(start: int, limit: int) -> str:
    """As many payloads from `start` on as fit in `limit` characters, one after another."""
    parts, size = [], 0
    for k in range(len(PAYLOADS)):
        p = payload(start + k)
        if size + len(p) + 1 > limit:
            break
        parts.append(p)
        size += len(p) + 1
    return " ".join(parts)


def everything() -> str:
    return "\n\n".join(PAYLOADS)


def markdown_source() -> str:
    """A document whose headings, paragraphs and list items are the payloads."""
    blocks = [f"# {payload(0)}"]
    for i, p in enumerate(PAYLOADS):
        blocks.append(f"Clause {i}: {p}")
        if i % 4 == 3:
            blocks.append(f"## {payload(i + 1)}")
    blocks.append("\n".join(f"- Item: {p}" for p in PAYLOADS[:6]))
    return "\n\n".join(blocks) + "\n"


def sign_in(client, visitor: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": f"{visitor}@example.org", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, f"{visitor} could not sign in"


def _post(client, path: str, data: dict, expect=(302,)):
    data = {**data, "csrf_token": csrf_token(client, "/login")}
    response = client.post(path, data=data)
    assert response.status_code in expect, (path, response.status_code, response.get_data(as_text=True)[:2000])
    return response


def build_world(app) -> dict:
    """A meeting in session whose every user-written text is a payload: people (by the CSV import),
    documents (by the import form), amendments in every state, rulings, decisions, a composite,
    comments and hidden comments, polls (free options, results, a voided one), elections (a counted
    one whose title and candidates are the payloads, a void one, one taking nominations, one set up,
    one with its ballots open), speakers lists, proxies and the floor. Returns the ids the URL map
    needs."""
    from motions.amendments import operations as amend
    from motions.amendments.models import Amendment
    from motions.auth.models import Person
    from motions.debate import operations as debate
    from motions.documents import operations as docs
    from motions.documents.models import Document
    from motions.extensions import db
    from motions.meetings import operations as meetings
    from motions.polls import operations as polls

    with app.app_context():
        meetings.create_meeting({"slug": SLUG, "title": bundle(0, 300), "seconders_required": 1,
                                 "self_checkin": True, "casting_vote": True}, creator=None)
        meeting = meetings.get_meeting(SLUG)
        for n, (visitor, (roles, organiser)) in enumerate(VISITORS.items()):
            person = Person(name=payload(n), email=f"{visitor}@example.org", organisation=payload(n + 7),
                            is_organiser=organiser, password_hash=_password_hash())
            db.session.add(person)
            db.session.commit()
            if roles:
                meetings.add_person(meeting, {"name": person.name, "email": person.email,
                                              "organisation": person.organisation,
                                              "roles": roles + (["delegate"] if roles != ["delegate"] else [])})

    # the delegates arrive through the CSV import, as the secretary does it
    client = app.test_client()
    sign_in(client, "secretary")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "email", "organisation", "vote_weight", "roles"])
    for i, p in enumerate(PAYLOADS):
        writer.writerow([p, f"delegate{i}@example.org", payload(i + 3), 1, "delegate"])
    preview = _post(client, f"/m/{SLUG}/people/import", {"text": buffer.getvalue(), "preview": "1"}, expect=(200,))
    _post(client, f"/m/{SLUG}/people/import", {"text": buffer.getvalue(), "confirm": "1"})

    # the documents arrive through the import form
    response = _post(client, f"/m/{SLUG}/documents/import", {"title": bundle(3, 300), "kind": "platform",
                                                               "format": "markdown", "text": markdown_source(),
                                                               "confirm": "1"})
    doc_a = int(response.location.rsplit("/", 1)[1])
    response = _post(client, f"/m/{SLUG}/documents/import", {"title": bundle(10, 300), "kind": "motion",
                                                               "format": "text", "text": "\n".join(PAYLOADS),
                                                               "confirm": "1"})
    doc_b = int(response.location.rsplit("/", 1)[1])

    with app.app_context():
        meeting = meetings.get_meeting(SLUG)
        meetings.set_meeting_state(meeting, "in_session")
        for m in meetings.members(meeting):
            meetings.set_attendance(meeting, m, True)
        document = db.session.get(Document, doc_a)
        docs.set_state(document, "open")
        people = {p.email: p for p in db.session.execute(db.select(Person)).scalars()}
        delegates = [people[f"delegate{i}@example.org"] for i in range(len(PAYLOADS))]
        chair, secretary, me = people["chair@example.org"], people["secretary@example.org"], people["delegate@example.org"]
        rows = [r for r in document.version().clause_texts if r.kind != "heading"]
        ids: list[int] = []
        for i, p in enumerate(PAYLOADS):
            row = rows[i % len(rows)]
            mover = me if i == 0 else delegates[i]
            kind = "insert_after" if i % 6 == 5 else "modify"
            text = p if kind == "insert_after" else f"{row.text} {p}"
            a = amend.propose(document, mover, clause_id=row.clause_id, kind=kind, text=text, title=payload(i + 1),
                              reason=f"{p}\n\n{payload(i + 2)}")
            ids.append(a.id)
            if i % 7 != 0:
                amend.second(a, delegates[(i + 1) % len(delegates)])
        amendments = [db.session.get(Amendment, i) for i in ids]
        # states: ruled out with a reason, admitted, decided by the chair with a note, withdrawn
        for i, a in enumerate(amendments):
            if i == 0:
                continue  # the delegate's own, still submitted: revise and withdraw are open to them
            if i % 5 == 1:
                amend.rule_out(a, chair, payload(i + 4))
            elif i % 5 in (2, 3, 4) and a.seconds:
                amend.admit(a, chair)
        decided = [a for a in amendments if a.status.value == "admitted"]
        amend.decide(decided[0], chair, "lost", payload(6))
        amend.decide(decided[1], chair, "remitted", payload(11))
        # a composite of two more amendments to one clause, with the payloads as its wording
        row = rows[-1]
        pair = [amend.propose(document, delegates[k], clause_id=row.clause_id, kind="modify",
                              text=f"{row.text} {payload(k)}", title=payload(k + 2), reason=payload(k + 3))
                for k in (9, 10)]
        made = amend.composite(meeting, secretary, amendment_ids=[a.id for a in pair],
                               text=f"{row.text} {payload(12)}", title=payload(13), reason=everything())
        composite_ids = [a.id for a in pair] + [made.id]
        # a poll carries one amendment: it is merged into version 2 (the compare and redline pages)
        carried = decided[2]
        carried_payload = payload(amendments.index(carried))
        # another amendment to the same words: once the first is carried it no longer applies (resolve)
        row = next(r for r in rows if r.clause_id == carried.clause_id)
        clash = amend.propose(document, delegates[2], clause_id=row.clause_id, kind="modify",
                              text=f"{row.text} {payload(15)}", title=payload(16), reason=payload(17))
        poll = polls.create_poll(meeting, chair, subject={"type": "amendment", "id": carried.id}, analog=True)
        polls.enter_count(poll, chair, {"yes": 10, "no": 1, "abstain": 0})
        extra_ids = [clash.id]
        # a tie on another: the chair's casting vote is asked for
        tie = polls.create_poll(meeting, chair, subject={"type": "amendment", "id": decided[3].id}, analog=True)
        polls.enter_count(tie, chair, {"yes": 5, "no": 5, "abstain": 0})
        # the delegate seconded a submitted amendment (they may withdraw the second)
        amend.second(next(a for a in amendments[1:] if a.status.value == "submitted"), me)
        # free questions with the payloads as title and options: a draft, an open one with ballots,
        # a closed one with results, a voided one
        poll_ids = [poll.id, tie.id]
        for k in range(5):  # a draft, a closed one with results, a voided one, another draft, the open one
            free = polls.create_poll(meeting, chair, title=payload(k + 14),
                                     options=[payload(k), payload(k + 5), payload(k + 9)])
            poll_ids.append(free.id)
            if k == 0:
                draft_poll_id = free.id
            if k in (1, 2, 4):
                polls.open_poll(free, chair)
                for d in delegates[:4]:
                    polls.cast_ballot(free.id, d, payload(k))
                polls.cast_ballot(free.id, me, payload(k + 5))
            if k == 1:
                polls.close_poll(free, chair)
            if k == 2:
                polls.void_poll(free, chair, everything()[:1000])
        open_poll_id = poll_ids[-1]  # the projector, the chair's console and the vote form show it
        polls.set_proxy(meeting, secretary, delegates[5].id, delegates[6].id)
        # speakers lists: general business, the document and an amendment
        subjects = [("meeting", meeting.id), ("document", doc_a), ("amendment", ids[0])]
        for subject_type, subject_id in subjects:
            for n, d in enumerate(delegates[:6] + [me]):
                debate.request_to_speak(meeting, d, subject_type, subject_id,
                                        ("for", "against", "point_of_order")[n % 3])
            debate.call_next(meeting, chair, subject_type, subject_id)
        debate.close_list(meeting, chair, "document", doc_a)  # closed: the chair may reopen it
        # comments, replies and hidden comments
        for subject_type, subject_id in (("document", doc_a), ("amendment", ids[0]), ("amendment", ids[1])):
            first = None
            for i, p in enumerate(PAYLOADS):
                c = debate.post_comment(meeting, delegates[i] if i else me, subject_type, subject_id, p,
                                        parent_id=first.id if first and i % 3 == 0 else None)
                first = first or c
                if i % 4 == 2:
                    debate.hide_comment(c, chair, payload(i + 3))
            debate.post_comment(meeting, me, subject_type, subject_id, everything())
        election_ids, candidate_ids = _elections(meeting, chair, me, delegates)
        meetings.set_floor(meeting, "amendment", ids[0], by=chair)
        draft_clauses = [r.clause_id for r in db.session.get(Document, doc_b).version().clause_texts]
        db.session.remove()
    return {"slug": SLUG, "documents": [doc_a, doc_b], "open_document": doc_a, "draft_document": doc_b,
            "clauses": draft_clauses[:2], "amendments": ids + composite_ids + extra_ids, "mine": ids[0],
            "polls": poll_ids, "open_poll": open_poll_id, "draft_poll": draft_poll_id, "carried_payload": carried_payload, "import_preview": preview.get_data(as_text=True),
            "elections": election_ids, "counted_election": election_ids[0], "voting_election": election_ids[-1],
            "candidates": candidate_ids}


def _elections(meeting, chair, me, delegates) -> tuple[list[int], list[int]]:
    """Elections whose titles, candidates' names, organisations and statements and void reason are
    the payloads: a counted one (every payload a candidate, the delegates' ballots: a result sheet
    of many stages), a void one, one taking nominations (a delegate's nomination waiting for its
    seconder), one set up with its candidates, one with its ballots open. (ids, candidate ids)"""
    from motions.elections import operations as elections

    def with_candidates(title: str, names: list[str], **settings):
        election = elections.create_election(meeting, chair, title=title, seats=settings.pop("seats", 1),
                                             method=settings.pop("method", "scottish"), **settings)
        for k, name in enumerate(names):
            elections.nominate(election, chair, name=name, organisation=payload(k + 5),
                               statement=f"{payload(k + 1)}\n{payload(k + 2)}")
        return election

    counted = with_candidates(bundle(2, 300), PAYLOADS, seats=2)
    elections.open_ballots(counted, chair, confirm_without_quorum=True)
    on_paper = [c.id for c in elections.standing(counted)]
    for i, voter in enumerate([me, *delegates]):
        elections.cast_ballot(counted.id, voter, [on_paper[(5 * i + j) % len(on_paper)] for j in range(3)])
    elections.close_ballots(counted, chair)
    void = with_candidates(payload(19), [payload(3), payload(4)])
    elections.void_election(void, chair, everything())
    nominating = with_candidates(payload(5), [payload(6)])
    elections.open_nominations(nominating, chair)
    elections.nominate(nominating, me, person_id=delegates[3].id, statement=payload(7))  # waits for a seconder
    draft = with_candidates(payload(8), [payload(9), payload(10)], method="approval")
    voting = with_candidates(payload(11), [payload(12), payload(13), payload(14)], seats=2)
    elections.open_ballots(voting, chair, confirm_without_quorum=True)
    elections.cast_ballot(voting.id, delegates[0], [elections.standing(voting)[0].id])
    ids = [e.id for e in (counted, void, nominating, draft, voting)]
    return ids, [c.id for e in (counted, void, nominating, draft, voting) for c in e.candidates]


# ------------------------------------------------------------------------------------------------
# walking the URL map


def _rules(app, *, api: bool = False):
    """(endpoint, rule, methods) of the page routes (or of the API's), as test_web_roles walks them."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if (rule.endpoint.startswith("api.") or rule.rule.startswith("/api/")) != api:
            continue
        out.append((rule.endpoint, rule.rule, frozenset(rule.methods - {"HEAD", "OPTIONS"})))
    return sorted(out)


def _urls(rule: str, world: dict, *, all_ids: bool) -> list[str]:
    """The rule with every combination of the world's ids (or only the first of each kind)."""
    names = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule)
    choices = {
        "slug": [world["slug"]],
        "document_id": world["documents"],
        "amendment_id": world["amendments"] if all_ids else [world["mine"], world["amendments"][1],
                                                               world["amendments"][-1]],
        "poll_id": world["polls"] if all_ids else [world["open_poll"], world["polls"][2]],
        "clause_id": world["clauses"],
        "person_id": [1],
        "speaker_id": [1],
        "comment_id": [1],
        "giver_id": [1],
        "election_id": world.get("elections", [1]),
        "candidate_id": world.get("candidates", [1]),
    }
    urls = [rule]
    for name in names:
        values = choices[name]
        if name == "clause_id":  # a draft document's clause: the only kind the edit page serves
            urls = [u.replace("<id:document_id>", str(world["draft_document"])) for u in urls]
        urls = [re.sub(r"<(?:[^:>]+:)?" + name + ">", str(v), u, count=1) for u in urls for v in values]
    return sorted(set(urls))


def _get_pages(app, world: dict, visitor: str | None, *, all_ids: bool, query: str = ""):
    """Every GET page of the URL map as the visitor (None: signed out): (url, response)."""
    client = app.test_client()
    if visitor:
        sign_in(client, visitor)
    for endpoint, rule, methods in _rules(app):
        if "GET" not in methods or endpoint in ("exports.export_document",):
            continue
        for url in _urls(rule, world, all_ids=all_ids):
            yield url, client.get(url + query)


def _html(response) -> str | None:
    if response.mimetype != "text/html":
        return None
    return response.get_data(as_text=True)


def _squash(text: str) -> str:
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.mark.parametrize("visitor", list(VISITORS) + [None])
def test_every_page_shows_the_payloads_inert(app, world, visitor):
    """Every page of the URL map, for every id of the world, as each kind of visitor: the payloads
    are shown as text and nothing of them is active."""
    problems, seen, served = [], [], 0
    for url, response in _get_pages(app, world, visitor, all_ids=True):
        assert response.status_code < 500, f"{url}: {response.status_code}"
        html = _html(response)
        if html is None:
            continue
        served += response.status_code == 200
        problems += [f"{url}: {p}" for p in inert_problems(html)]
        seen.append(shown(html))
    assert not problems, "\n".join(problems[:40])
    if visitor in ("chair", "secretary", "delegate"):
        assert served >= 40, served
        everything_seen = _squash("\n".join(seen))
        missing = [p for p in PAYLOADS if _squash(p) not in everything_seen]
        assert not missing, f"{visitor} never saw {missing}: the walk does not reach the data"
    tried("XSS", pages_parsed=len(seen),
          payload_occurrences_checked=len(PAYLOADS) if visitor in ("chair", "secretary", "delegate") else 0)


def test_query_strings_are_reflected_inert(app, world):
    """Payloads in the query string of every page (the language form echoes the address, panels
    take `back`, forms take `next`, the amendment filters echo their values)."""
    problems, parsed = [], 0
    query = "?" + urlencode({"q": payload(1), "next": payload(3), "back": payload(13), "x": payload(5),
                             "organisation": payload(7), "status": payload(0), "mover_id": payload(10)})
    for url, response in _get_pages(app, world, "chair", all_ids=False, query=query):
        assert response.status_code < 500, f"{url}: {response.status_code}"
        html = _html(response)
        if html is not None:
            problems += [f"{url}{query}: {p}" for p in inert_problems(html)]
            parsed += 1
    client = app.test_client()
    for target in (payload(3), payload(1), "javascript:alert(1)//", " javascript:alert(1)"):
        html = client.get("/login", query_string={"next": target}).get_data(as_text=True)
        problems += [f"/login?next={target}: {p}" for p in inert_problems(html)]
        parsed += 1
    assert not problems, "\n".join(problems[:40])
    tried("XSS", pages_parsed=parsed)


def test_specific_pages_show_each_payload_as_text(app, world):
    """The pages where each field is shown show it exactly as written (so {{7*7}} is not evaluated
    and nothing was dropped to make the page pass)."""
    client = app.test_client()
    sign_in(client, "chair")
    parsed, checked = 0, 0

    def page(url):
        nonlocal parsed
        parsed += 1
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert not inert_problems(html), (url, inert_problems(html))
        return _squash(shown(html))

    people = page(f"/m/{SLUG}/people")
    amendments = page(f"/documents/{world['open_document']}/amendments")
    document = page(f"/documents/{world['open_document']}?version=1")
    draft = page(f"/documents/{world['draft_document']}")
    comments = page(f"/documents/{world['open_document']}/comments")
    polls = "".join(page(f"/polls/{poll}") for poll in world["polls"])
    for p in PAYLOADS:
        q = _squash(p)
        assert q in people, f"people page lacks {p!r}"
        assert q in amendments, f"amendment list lacks {p!r}"
        assert q in document, f"document lacks {p!r}"
        assert q in draft, f"draft lacks {p!r}"
        assert q in comments, f"comments lack {p!r}"
        checked += 5
    for k in range(5):
        assert _squash(payload(k + 14)) in polls and _squash(payload(k)) in polls
        checked += 2
    assert TEMPLATE_PAYLOAD in people and "{{'zq'*3}}" in people
    checked += 2
    # each amendment page shows its title and reason
    for amendment_id in world["amendments"][:8]:
        from motions.amendments.models import Amendment
        from motions.extensions import db

        with app.app_context():
            a = db.session.get(Amendment, amendment_id)
            title, reason, ruling = a.title, a.reason, a.ruling
        html = page(f"/amendments/{amendment_id}")
        for value in (title, *reason.split("\n\n"), ruling or ""):
            assert _squash(value) in html, (amendment_id, value)
            checked += 1
    # the projector and its live part show the amendment on the floor (the delegate's, titled payload 1)
    # and its speakers (the delegates named by the payloads)
    for url in (f"/m/{SLUG}/projector", f"/m/{SLUG}/projector?part=live"):
        projector = page(url)
        assert _squash(payload(1)) in projector, url
        assert _squash(payload(0)) in projector, url
        checked += 2
    columns, values = _stored_payloads(app)
    tried("XSS", payloads=len(PAYLOADS), fields_filled=columns, stored_values_with_a_payload=values,
          pages_parsed=parsed, payload_occurrences_checked=checked)


def _stored_payloads(app) -> tuple[int, int]:
    """(columns, values) of the database that hold a payload: the fields the world filled."""
    from motions.extensions import db

    columns, values = set(), 0
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(db.select(table)).mappings():
                for column, value in row.items():
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) \
                        if isinstance(value, (dict, list)) else None
                    if text and any(p in text for p in PAYLOADS):
                        columns.add((table.name, column))
                        values += 1
        db.session.remove()
    return len(columns), values


def test_pages_made_from_a_post_echo_the_payloads_inert(app, world):
    """Forms sent back with an error or a preview re-show what was typed: as text, never as markup."""
    client = app.test_client()
    sign_in(client, "secretary")
    doc = world["open_document"]
    pages = []

    def post(path, data, expect):
        response = _post(client, path, data, expect=expect)
        pages.append((path, response.get_data(as_text=True)))
        return response

    for k in range(0, len(PAYLOADS), 3):
        p = payload(k)
        post(f"/m/{SLUG}/documents/import", {"title": p, "kind": "platform", "format": "markdown",
                                             "text": everything(), "preview": "1"}, (200,))
        post(f"/m/{SLUG}/people/add", {"name": p, "email": "not an email", "organisation": payload(k + 1),
                                       "vote_weight": "1", "roles": "delegate"}, (200, 422))
        post(f"/m/{SLUG}/settings", {"title": p, "line_width": "5", "seconders_required": "0",
                                     "numbering": "sequential"}, (200, 422))
        post(f"/m/{SLUG}/people/import", {"text": f"name,email\n{json.dumps(p)},{json.dumps(p)}\n",
                                          "preview": "1"}, (200, 422))
        post(f"/documents/{doc}/amend", {"kind": "modify", "clause_id": "999999", "text": p, "title": p,
                                         "reason": payload(k + 2), "submit": "1"}, (200, 404, 409, 422))
        post(f"/documents/{doc}/amend/preview", {"kind": "insert_after", "clause_id": str(world["clauses"][0]),
                                                 "text": p}, (200, 404, 409, 422))
    for path, html in pages:
        assert not inert_problems(html), (path, inert_problems(html))
    # what was typed is shown back, as text
    echoed = _squash("".join(shown(html) for _path, html in pages))
    for p in PAYLOADS[::3]:
        assert _squash(p) in echoed, p
    # the sign-in page echoes the email
    anonymous = app.test_client()
    for p in PAYLOADS[:4]:
        response = anonymous.post("/login", data={"email": p, "password": "x",
                                                  "csrf_token": csrf_token(anonymous, "/login")})
        assert response.status_code in (400, 422, 429)
        assert not inert_problems(response.get_data(as_text=True)), p
    posted = len(pages) + len(PAYLOADS[:4])
    tried("XSS", forms_posted_with_payloads=posted, pages_parsed=posted, payload_occurrences_checked=len(PAYLOADS[::3]))


def test_flash_messages_with_payloads_are_inert(app, world):
    """An operation's refusal names the payload (the other open poll's title) in a flash message."""
    client = app.test_client()
    sign_in(client, "chair")
    draft_poll = world["draft_poll"]
    response = _post(client, f"/polls/{draft_poll}/open", {"confirm_without_quorum": "y"}, expect=(302, 303, 409))
    html = client.get(response.location if response.status_code in (302, 303) else f"/polls/{draft_poll}",
                      follow_redirects=True).get_data(as_text=True)
    assert _squash(payload(18)) in _squash(shown(html)), "the refusal naming the open poll is not shown"
    assert not inert_problems(html), inert_problems(html)
    tried("XSS", pages_parsed=1, payload_occurrences_checked=1)


# ------------------------------------------------------------------------------------------------
# exports: every format of the document (both versions), the redline and the record

#: a spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: a plain number (a count's "-34.00000" transfer): a spreadsheet reads it as that number, nothing else
FIGURE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _xml_text(data: bytes) -> str:
    from lxml import etree

    return "".join(etree.fromstring(data).itertext())


def _check_docx(body: bytes) -> tuple[str, list[str]]:
    problems = []
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        xml = z.read("word/document.xml")
        text = _xml_text(xml)
        for name in z.namelist():
            data = z.read(name)
            if name.endswith(".rels") and b"TargetMode=\"External\"" in data:
                problems.append(f"{name}: an external link")
            if name.endswith(".xml"):
                for marker in (b"<w:hyperlink", b"<w:instrText", b"<w:fldSimple", b"<w:object", b"<o:OLEObject"):
                    if marker in data:
                        problems.append(f"{name}: {marker.decode()} (a link, field code or object from the data)")
        problems += [f"{n}: macros" for n in z.namelist() if "vbaProject" in n]
    return text, problems


def _check_odt(body: bytes) -> tuple[str, list[str]]:
    problems = []
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        xml = z.read("content.xml")
        text = _xml_text(xml)
        for marker in (b"<text:a ", b"<office:script", b"<draw:object", b"<office:event-listeners", b"xlink:href"):
            if marker in xml:
                problems.append(f"content.xml: {marker.decode()} (a link, script or object from the data)")
        problems += [f"{n}: scripts" for n in z.namelist() if n.lower().startswith(("basic/", "scripts/"))]
    return text, problems


def _check_xlsx(body: bytes) -> tuple[list[str], list[str]]:
    from openpyxl import load_workbook

    problems, cells = [], []
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                if re.search(rb"<f[ >]", z.read(name)):
                    problems.append(f"{name}: a formula cell")
    workbook = load_workbook(io.BytesIO(body))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{sheet.title}!{cell.coordinate}: a formula {cell.value!r}")
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells, problems


def _download(client, url: str, fmt: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
    assert response.headers["Content-Disposition"].startswith("attachment;"), url
    assert response.headers["X-Content-Type-Options"] == "nosniff", url
    if fmt != "html":
        assert response.mimetype != "text/html", (url, response.mimetype)
    return response.get_data()


def test_every_export_format_keeps_the_payloads_as_text(app, world):
    from motions.exports.reading import FORMATS, RECORD_FORMATS, REDLINE_FORMATS

    client = app.test_client()
    sign_in(client, "delegate")
    problems, checked = [], []
    looked_for = 0

    def check_text(where: str, text: str, expected: list[str]):
        nonlocal looked_for
        squashed = _squash(text)
        looked_for += len(expected)
        for value in expected:
            if _squash(value) not in squashed:
                problems.append(f"{where}: {value!r} is missing or changed")
        for evaluated in EVALUATED:
            if evaluated in text:
                problems.append(f"{where}: {evaluated!r}: a template expression was evaluated")

    for document_id, versions in ((world["open_document"], (1, 2)), (world["draft_document"], (1,))):
        for version in versions:
            for fmt in [f for f in FORMATS if f != "pdf"]:
                url = f"/documents/{document_id}/export?format={fmt}&version={version}"
                body = _download(client, url, fmt)
                checked.append(url)
                if fmt in ("md", "txt"):
                    check_text(url, body.decode("utf-8"), PAYLOADS)
                elif fmt == "html":
                    html = body.decode("utf-8")
                    problems += [f"{url}: {p}" for p in inert_problems(html, allowed_tags=EXPORT_TAGS, export=True)]
                    check_text(url, shown(html), PAYLOADS)
                elif fmt == "docx":
                    text, found = _check_docx(body)
                    problems += [f"{url}: {p}" for p in found]
                    check_text(url, text, PAYLOADS)
                elif fmt == "odt":
                    text, found = _check_odt(body)
                    problems += [f"{url}: {p}" for p in found]
                    check_text(url, text, PAYLOADS)
    # the redline of version 2 (the carried amendment added its payload) against the draft
    from motions.documents.models import Document
    from motions.extensions import db

    with app.app_context():
        assert db.session.get(Document, world["open_document"]).current_version == 2, "nothing was merged"
    carried = [world["carried_payload"]]
    for fmt in [f for f in REDLINE_FORMATS if f != "pdf"]:
        url = f"/documents/{world['open_document']}/export?format={fmt}&version=2&redline=1"
        body = _download(client, url, fmt)
        checked.append(url)
        if fmt == "html":
            html = body.decode("utf-8")
            problems += [f"{url}: {p}" for p in inert_problems(html, allowed_tags=EXPORT_TAGS, export=True)]
            check_text(url, shown(html), carried)
        else:
            text, found = _check_docx(body)
            problems += [f"{url}: {p}" for p in found]
            check_text(url, text, carried)
    # the compare page (HTML in the app) shows the same redline
    html = client.get(f"/documents/{world['open_document']}/compare?from=1&to=2").get_data(as_text=True)
    problems += inert_problems(html)
    check_text("compare", shown(html), carried)

    # the record: every amendment with its title, mover, seconders and how it was decided; every
    # election with its title and its candidates, the void one with its reason
    with app.app_context():
        from motions.amendments.models import Amendment
        from motions.elections.models import Election

        titles = [a.title for a in db.session.execute(db.select(Amendment)).scalars() if a.title]
        counted = db.session.get(Election, world["counted_election"])
        ballot_names = [c.name for c in counted.candidates]
        election_texts = [counted.title, *ballot_names]
        void_reasons = [e.void_reason for e in db.session.execute(db.select(Election)).scalars() if e.void_reason]
        db.session.remove()
    assert len(ballot_names) == len(PAYLOADS) and void_reasons
    titles += election_texts + void_reasons
    for fmt in [f for f in RECORD_FORMATS if f != "pdf"]:
        url = f"/m/{SLUG}/record?format={fmt}"
        body = _download(client, url, fmt)
        checked.append(url)
        if fmt == "html":
            html = body.decode("utf-8")
            problems += [f"{url}: {p}" for p in inert_problems(html, allowed_tags=EXPORT_TAGS, export=True)]
            check_text(url, shown(html), titles)
        else:
            if fmt == "csv":
                text = body.decode("utf-8-sig")
                cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
            else:
                cells, found = _check_xlsx(body)
                problems += [f"{url}: {p}" for p in found]
            for cell in cells:
                if fmt == "csv" and cell.startswith(FORMULA_START) and not FIGURE.fullmatch(cell):
                    problems.append(f"{url}: the cell {cell!r} is a formula to a spreadsheet")
            # every title is there (a neutralised one with the apostrophe a spreadsheet hides)
            check_text(url, "\n".join(cells), titles)
            for title in titles:
                if title.startswith(FORMULA_START) and fmt == "csv":
                    assert "'" + title in cells, f"{url}: {title!r} not neutralised as '{title}"
    # the counted election's result sheet: its title and every candidate, no formula
    url = f"/elections/{world['counted_election']}/result.csv"
    cells = [cell for row in csv.reader(io.StringIO(_download(client, url, "csv").decode("utf-8-sig"))) for cell in row]
    checked.append(url)
    problems += [f"{url}: the cell {cell!r} is a formula to a spreadsheet" for cell in cells
                 if cell.startswith(FORMULA_START) and not FIGURE.fullmatch(cell)]
    check_text(url, "\n".join(cells), election_texts)
    problems += [f"{url}: {name!r} not neutralised" for name in ballot_names
                 if name.startswith(FORMULA_START) and "'" + name not in cells]
    assert len(checked) >= 15, checked
    assert not problems, "\n".join(problems[:40])
    tried("XSS", exports_parsed=len(checked), pages_parsed=1, payload_occurrences_checked=looked_for)


def test_api_answers_are_json_never_html(app, world):
    """The API returns the payloads inside JSON with a JSON media type (never sniffed as a page)."""
    client = app.test_client()
    sign_in(client, "chair")
    texts = []
    for endpoint, rule, methods in _rules(app, api=True):
        if "GET" not in methods or endpoint in ("api.events_get",):
            continue
        for url in _urls(rule, world, all_ids=False):
            response = client.get(url)
            assert response.status_code < 500, url
            # JSON, or the raw text of a document (text/markdown, text/plain): never a page
            assert response.mimetype == "application/json" or response.mimetype.startswith("text/") and \
                response.mimetype not in ("text/html", "text/xml"), (url, response.mimetype)
            assert response.headers.get("X-Content-Type-Options") == "nosniff", url
            texts.append(json.dumps(response.get_json(), ensure_ascii=False) if response.is_json
                         else response.get_data(as_text=True))
    everything_seen = _squash("".join(texts))
    missing = [p for p in PAYLOADS if _squash(p) not in everything_seen]
    assert not missing, missing
    tried("XSS", api_answers_read=len(texts), payload_occurrences_checked=len(PAYLOADS))

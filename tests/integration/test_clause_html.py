"""The document page draws each clause's lines once per process (documents.views.clause_html): the
markup must be exactly what the clause_lines macro draws everywhere else, escaping included."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motions.documents.views import clause_html
from motions.text.lines import wrap

words = st.lists(st.sampled_from(["rights", "for", "all", "<script>alert(1)</script>", '"quoted"', "&amp;", "工会",
                                  "a" * 30, "l'union", "x"]), min_size=1, max_size=40).map(" ".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=words, width=st.integers(min_value=20, max_value=100), first=st.integers(min_value=1, max_value=5000))
def test_clause_html_is_the_macro_markup(app, text, width, first):
    with app.test_request_context():
        macro = app.jinja_env.get_template("_macros.html").module.clause_lines
        assert str(clause_html(text, width, first)) == str(macro(wrap(text, width), first))


def test_clause_html_escapes_and_numbers_the_lines(app):
    html = str(clause_html("We want <b>rights</b> & bread", 80, 7))
    assert "<b>" not in html and "We want &lt;b&gt;rights&lt;/b&gt; &amp; bread" in html
    html = str(clause_html("We want rights and bread for all workers in every land", 20, 7))
    numbers = [n for n in range(1, 20) if f'aria-hidden="true">{n}</span>' in html]
    assert numbers == list(range(7, 7 + len(wrap("We want rights and bread for all workers in every land", 20))))
    assert len(numbers) >= 3


# ---------------------------------------------------------------- the whole clause (clause_item)

PLATFORM = """# Aims

We want rights for all workers. We want them now.

- Free speech.
- Free unions.
"""


def _signed_in(app, email: str):
    from tests.conftest import PASSWORD, AuthActions

    client = app.test_client()
    assert AuthActions(client).login(email, PASSWORD).status_code == 302
    return client


def _page(client, document_id: int, language: str = "en") -> str:
    from tests.conftest import CSRF

    response = client.get(f"/documents/{document_id}", headers={"Accept-Language": language})
    assert response.status_code == 200
    return CSRF.sub("csrf", response.get_data(as_text=True))


def test_the_page_drawn_from_memory_is_the_page_drawn_afresh(app, factory):
    """clause_item remembers each clause's markup per process: the page it gives is the page the
    template draws with nothing remembered, for a delegate (who may amend), the chair, the
    secretary's draft with its tools, and in each language."""
    from motions.documents.views import clause_item

    slug = factory.meeting("memory")
    factory.person(slug, "delegate", email="del@example.org")
    factory.person(slug, "chair", email="chair@example.org")
    factory.person(slug, "secretary", email="sec@example.org")
    mover = factory.person(slug, "delegate")
    document = factory.document(slug, PLATFORM, state="open")
    draft = factory.document(slug, PLATFORM + "\n- Free <b>press</b> & more.\n", title="Draft")
    factory.amendment(document, mover, replace=("rights", "bread"))
    factory.amendment(document, mover, kind="insert_after", text="A first clause.")
    pages = [(email, d, language) for email in ("del@example.org", "chair@example.org", "sec@example.org")
             for d in (document, draft) for language in ("en", "zh-CN", "zh-TW")]
    clients = {email: _signed_in(app, email) for email, _d, _l in pages}
    remembered = {key: _page(clients[key[0]], key[1], key[2]) for key in pages}  # drawn, then remembered
    assert clause_item.cache_info().currsize > 0
    for key in pages:
        assert _page(clients[key[0]], key[1], key[2]) == remembered[key], key  # from memory
    clause_item.cache_clear()
    for key in pages:
        assert _page(clients[key[0]], key[1], key[2]) == remembered[key], key  # afresh
    delegate, chair = remembered[("del@example.org", document, "en")], remembered[("chair@example.org", document, "en")]
    assert 'kind=modify" aria-label="Amend clause 1.1">Amend</a>' in delegate and "kind=modify" not in chair
    assert ">Split at sentences<" in remembered[("sec@example.org", draft, "en")]
    assert remembered[("del@example.org", document, "zh-CN")] != delegate


def test_a_new_amendment_shows_at_once_on_another_worker(app, factory, database_uri):
    """Two app instances on one database (two workers): the second stores an amendment, the first's
    page counts it at once (the remembered markup is keyed on the count itself)."""
    import re

    from motions import create_app
    from tests.conftest import _config

    slug = factory.meeting("workers")
    factory.person(slug, "delegate", email="del@example.org")
    mover = factory.person(slug, "delegate", email="mover@example.org")
    document = factory.document(slug, PLATFORM, state="open")
    factory.amendment(document, mover, replace=("rights", "bread"))
    first = _signed_in(app, "del@example.org")

    def badges(page: str) -> list[str]:
        return re.findall(r'<span class="badge count">(\d+)</span> (\d+ amendments?)', page)

    assert badges(_page(first, document)) == [("1", "1 amendment")]
    other = create_app(_config(database_uri))
    try:
        second = _signed_in(other, "mover@example.org")
        propose = second.get(f"/documents/{document}/amend")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', propose.get_data(as_text=True)).group(1)
        clause = re.search(r'<option value="(\d+)">1\.1 ', propose.get_data(as_text=True)).group(1)
        answer = second.post(f"/documents/{document}/amend", data={
            "csrf_token": token, "clause_id": clause, "kind": "modify", "base_version": "1", "submit": "1",
            "text": "We want rights for all workers. We want them today."})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert badges(_page(second, document)) == [("2", "2 amendments")]
    finally:
        from motions.extensions import db

        with other.app_context():
            db.session.remove()
            db.engine.dispose()
    assert badges(_page(first, document)) == [("2", "2 amendments")]

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

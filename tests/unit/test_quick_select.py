"""The quick <select> widget draws exactly what WTForms's own Select widget draws (escaping included)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from wtforms import Form, SelectField
from wtforms.widgets import Select

from motions.forms import QuickSelect, choices

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


class _Form(Form):
    pick = SelectField("Pick", choices=[], validate_choice=False, widget=QuickSelect())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(texts, texts), max_size=8, unique_by=lambda p: p[0]), st.one_of(st.none(), texts),
       st.dictionaries(st.sampled_from(["class_", "aria-invalid", "data-x"]), texts, max_size=2))
def test_quick_select_matches_wtforms(pairs, data, attributes):
    form = _Form()
    form.pick.choices = choices(pairs)
    form.pick.data = data
    assert form.pick(**attributes) == Select()(form.pick, **attributes)


def test_the_chosen_option_is_selected_and_markup_is_escaped():
    form = _Form()
    form.pick.choices = choices([("", "Every mover"), ("7", '<script>"x"</script> & co')])
    form.pick.data = "7"
    html = str(form.pick())
    assert '<option selected value="7">&lt;script&gt;&#34;x&#34;&lt;/script&gt; &amp; co</option>' in html
    assert '<option value="">Every mover</option>' in html and "<script>" not in html

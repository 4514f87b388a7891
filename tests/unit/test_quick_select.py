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


def test_options_remembered_for_the_same_choices_still_follow_the_chosen_value():
    """The options of plain-text choices are drawn once per process for the same choices, coercion
    and chosen value: another chosen value, or another coercion, is another drawing."""
    from markupsafe import Markup

    from motions.forms import _remembered_options

    pairs = [(str(n), f"Delegate {n}") for n in range(300)]
    drawn = {}
    for chosen in ("7", "8", None, "7"):
        form = _Form()
        form.pick.choices = choices(pairs)
        form.pick.data = chosen
        html = str(form.pick())
        assert html == Select()(form.pick), chosen
        assert html.count(" selected") == (chosen is not None)
        assert drawn.setdefault(chosen, html) == html
    assert _remembered_options.cache_info().hits >= 1
    assert drawn["7"] != drawn["8"]
    form = _Form()  # a label that is markup already is not escaped again, and not remembered
    form.pick.choices = choices([("1", Markup("<b>bold</b>"))])
    assert str(form.pick()) == Select()(form.pick) == '<select id="pick" name="pick"><option value="1"><b>bold</b></option></select>'

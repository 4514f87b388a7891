"""A delegate reads the founding meeting's draft platform on a phone.

Clause numbers, line numbers, and no sideways scrolling at 360 px.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.layout import assert_no_sideways_scroll

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "en-GB"}


def test_delegate_reads_the_platform_on_a_360px_phone(new_context, demo, sign_in, tmp_path):
    page = new_context(**PHONE).new_page()
    sign_in(page, "delegate1@example.org")

    page.get_by_role("link", name=re.compile("Founding meeting")).click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Founding meeting"))).to_be_visible()
    page.get_by_role("link", name="Draft platform").click()
    expect(page.get_by_role("heading", level=1, name="Draft platform")).to_be_visible()

    clauses = page.get_by_role("list", name="Clauses")
    expect(clauses).to_be_visible()
    # Clause numbers, section.clause, as delegates cite them: each shown once.
    numbers = [n.strip() for n in clauses.locator(".number").all_inner_texts()]
    for number in ("1.1", "2.3"):
        assert number in numbers, f"clause {number} is not shown; the page shows {numbers}"
    assert all(re.fullmatch(r"\d+(\.\d+)*", n) for n in numbers), numbers
    assert len(set(numbers)) == len(numbers), f"a clause number is shown twice: {numbers}"
    expect(clauses.locator(".number").filter(has_text=re.compile(r"^2\.3$"))).to_be_visible()
    expect(page.get_by_text("For social justice and economic democracy", exact=False)).to_be_visible()

    # Line numbers: 1, 2, 3 … continuous over the whole document, every one of them visible on screen.
    gutter = clauses.locator(".ln")
    line_numbers = [int(n) for n in gutter.all_inner_texts()]
    assert len(line_numbers) > 20
    assert line_numbers == list(range(1, len(line_numbers) + 1))
    expect(gutter.first).to_be_visible()
    expect(gutter.first).to_have_text("1")
    gutter.last.scroll_into_view_if_needed()
    expect(gutter.last).to_be_visible()
    expect(page.get_by_text(f"{len(line_numbers)} lines")).to_be_visible()

    # Nothing scrolls sideways at 360 px, and the text column is not squeezed to nothing.
    assert_no_sideways_scroll(page, "platform on a 360 px phone")
    text_width = clauses.locator(".lt").first.bounding_box()["width"]
    assert text_width > 200, f"the clause text column is only {text_width} px wide"

    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "platform-360px.png"), full_page=False)
    page.screenshot(path=str(tmp_path / "platform-360px-full.png"), full_page=True)

"""Keyboard only: the skip link comes first, and the sign-in form works without a mouse."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"
    assert page.viewport_size and box["x"] < page.viewport_size["width"]

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # From main, the next Tab stop is the form's first field, not the header again.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()


def test_sign_in_with_the_keyboard_only(page, demo):
    page.goto("/login")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Enter")  # to main
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("delegate1@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("solidarity")
    page.keyboard.press("Tab")
    expect(page.locator("main").get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name="Your meetings")).to_be_visible()
    expect(page.get_by_text("Alex Chan")).to_be_visible()
    # And on into the meeting, still without a mouse: the focused link opens with Enter.
    meeting = page.get_by_role("link", name="Founding meeting", exact=False).last
    meeting.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Founding meeting")

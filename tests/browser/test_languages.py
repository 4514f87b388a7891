"""The pages in Chinese: Traditional from a zh-TW browser, and the language switch on the page."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "motions" / "translations"


def msgstr(language: str, msgid: str) -> str:
    """msgid's translation in a catalogue's .po file (the source, not the compiled .mo), or ''."""
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        message = read_po(po).get(msgid)
    assert message is not None, f"{msgid!r} is not in {path}: run `make extract-messages`"
    return message.string or ""


def test_sign_in_page_in_traditional_chinese(new_context):
    page = new_context(locale="zh-TW").new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")

    sign_in = msgstr("zh_Hant", "Sign in")
    if not sign_in:
        pytest.fail('"Sign in" has no Traditional Chinese translation in '
                    "motions/translations/zh_Hant/LC_MESSAGES/messages.po: the zh-TW page would show English",
                    pytrace=False)
    expect(page.get_by_role("heading", level=1)).to_have_text(sign_in)
    expect(page.locator("main").get_by_role("button", name=sign_in)).to_be_visible()
    expect(page).to_have_title(f"{sign_in} · motions")
    expect(page.get_by_role("button", name="繁體中文")).to_have_attribute("aria-current", "true")


def test_language_switch_changes_the_page_to_simplified_chinese(new_context):
    page = new_context(locale="zh-TW").new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")

    languages = page.get_by_role("form", name=msgstr("zh_Hant", "Language") or "Language")
    languages.get_by_role("button", name="简体中文").click()

    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    assert page.url.endswith("/login"), "the switch stays on the page it was used on"
    expect(page.get_by_role("button", name="简体中文")).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("button", name="繁體中文")).not_to_have_attribute("aria-current", "true")
    # What the Simplified catalogue says (English where it has no translation yet).
    expect(page.get_by_role("heading", level=1)).to_have_text(msgstr("zh_Hans", "Sign in") or "Sign in")

    # The choice sticks: the next page is Simplified too, whatever the browser asks for.
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

"""Every user-facing string is translated: English, Simplified and Traditional Chinese stay complete."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from motions.i18n import from_accept_language

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "motions" / "translations"
LANGS = ("en", "zh_Hans", "zh_Hant")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def source_messages() -> set:
    """What the code and templates mark for translation, extracted as `make extract-messages` does."""
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
    method_map = [("motions/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.fixture(scope="module")
def messages():
    found = source_messages()
    assert len(found) > 100, "extraction found too little; is the keyword list right?"
    return found


def load(lang: str):
    with open(CATALOGUES / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_has_every_source_string(lang, messages):
    catalogue = load(lang)
    missing = []
    for message in messages:
        msgid = message if isinstance(message, str) else message[0]
        if catalogue.get(msgid) is None:
            missing.append(msgid)
    assert not missing, f"{lang} lacks {len(missing)} strings (run `make extract-messages`): {sorted(missing)[:10]}"


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_chinese_catalogues_are_translated(lang, messages):
    catalogue = load(lang)
    untranslated, fuzzy, placeholders = [], [], []
    for message in messages:
        msgid = message if isinstance(message, str) else message[0]
        entry = catalogue.get(msgid)
        if entry is None:
            continue  # reported by the test above
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(s.strip() for s in strings):
            untranslated.append(msgid)
        if entry.fuzzy:
            fuzzy.append(msgid)
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))  # Chinese has one plural form: the plural's
        for s in strings:
            if s and set(PLACEHOLDER.findall(s)) != wanted:
                placeholders.append(msgid)
    assert not untranslated, f"{lang}: {len(untranslated)} untranslated, e.g. {sorted(untranslated)[:10]}"
    assert not fuzzy, f"{lang}: fuzzy (unchecked) translations: {sorted(fuzzy)[:10]}"
    assert not placeholders, f"{lang}: placeholders differ from the English: {sorted(set(placeholders))[:10]}"


def test_simplified_and_traditional_differ_where_the_scripts_do():
    """A Traditional catalogue that is a copy of the Simplified one would pass the tests above."""
    hans, hant = load("zh_Hans"), load("zh_Hant")
    same = [m.id for m in hans if m.id and hant.get(m.id) is not None and m.string and m.string == hant.get(m.id).string]
    differ = [m.id for m in hans if m.id and hant.get(m.id) is not None and m.string and m.string != hant.get(m.id).string]
    assert len(differ) > len(same)


@pytest.mark.parametrize("tag, expected", [
    ("zh-CN", "zh_Hans"), ("zh-Hans", "zh_Hans"), ("zh-SG", "zh_Hans"), ("zh-Hans-CN", "zh_Hans"), ("zh", "zh_Hans"),
    ("zh-TW", "zh_Hant"), ("zh-HK", "zh_Hant"), ("zh-Hant", "zh_Hant"), ("zh-Hant-HK", "zh_Hant"), ("zh-MO", "zh_Hant"),
    ("en", "en"), ("en-GB", "en"), ("fr-FR", None), ("de", None), ("zh_TW", "zh_Hant"),
])
def test_accept_language_tags_map_to_our_catalogues(tag, expected):
    assert from_accept_language(tag) == expected

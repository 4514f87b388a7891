"""Unit tests for motions.text.diff: tokens, word diffs, the work bound, patches and hunks."""

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motions.text.diff import (
    _BASE,
    EDIT_BUDGET,
    MAX_TEXT,
    Hunk,
    _Budget,
    _TokenDMP,
    apply_patch,
    changed_ranges,
    diff_words,
    hunks,
    is_word_token,
    make_patch,
    new_text,
    old_text,
    patch_safe,
    tokenize,
)
from motions.text.lines import graphemes

FAMILY = "👨\u200d👩\u200d👧\u200d👦"

# text that exercises every token class: Latin words with apostrophes and hyphens, accents
# (precomposed and combining), digits, punctuation, CJK, kana, Hangul, Thai, emoji, newlines
PIECES = [
    "a", "b", "the", "workers", "don't", "anti-racist", "l'État", "d’une", "café", "cafe\u0301",
    "3.5", "1,000", " ", "  ", "\n", "\t", ",", ".", "«", "»", "-", "'", "’", "每", "个", "人",
    "。", "，", "ひ", "ら", "カ", "ナ", "한", "국", "ไทย", FAMILY, "🇫🇷", "x\u0301", "\u0301",
]
pieces_text = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
any_text = st.one_of(pieces_text, st.text(max_size=60))


def boundaries(tokens):
    out, pos = {0}, 0
    for t in tokens:
        pos += len(t)
        out.add(pos)
    return out


def op_boundaries(ops):
    """Offsets of every op boundary in the old and in the new text."""
    old, new = {0}, {0}
    o = n = 0
    for op, text in ops:
        if op <= 0:
            o += len(text)
        if op >= 0:
            n += len(text)
        old.add(o)
        new.add(n)
    return old, new


def assert_valid(a, b, ops):
    assert old_text(ops) == a
    assert new_text(ops) == b
    assert all(text for _, text in ops), "no empty ops"
    assert all(op in (-1, 0, 1) for op, _ in ops)
    for (op1, _), (op2, _) in zip(ops, ops[1:]):
        assert op1 != op2, "adjacent ops of one kind are merged"
        assert (op1, op2) != (1, -1), "a run of changes is one deletion, then one insertion"
    old_b, new_b = op_boundaries(ops)
    assert old_b <= boundaries(tokenize(a))
    assert new_b <= boundaries(tokenize(b))


# ------------------------------------------------------------------------------------------
# tokens
# ------------------------------------------------------------------------------------------


def test_tokenize_english():
    assert tokenize("We demand rights for all workers, don't we?") == [
        "We", " ", "demand", " ", "rights", " ", "for", " ", "all", " ", "workers", ",", " ",
        "don't", " ", "we", "?",
    ]
    assert tokenize("an anti-racist, 3.5% rise of 1,000 jobs.") == [
        "an", " ", "anti-racist", ",", " ", "3.5", "%", " ", "rise", " ", "of", " ", "1,000",
        " ", "jobs", ".",
    ]
    # a hyphen or apostrophe not between two word characters is punctuation
    assert tokenize("'quoted' - well--") == ["'", "quoted", "'", " ", "-", " ", "well", "-", "-"]
    assert tokenize("a.b 1.x") == ["a", ".", "b", " ", "1", ".", "x"]
    assert tokenize("  two\n\nlines\t") == ["  ", "two", "\n\n", "lines", "\t"]
    assert tokenize("") == []


def test_tokenize_french():
    assert tokenize("l'État et d’une « grève générale »") == [
        "l'État", " ", "et", " ", "d’une", " ", "«", " ", "grève", " ", "générale", " ", "»",
    ]
    # a decomposed accent stays with its letter, in the word
    assert tokenize("cafe\u0301 noir") == ["cafe\u0301", " ", "noir"]
    assert tokenize("«\u202fOui\u202f»") == ["«", "\u202f", "Oui", "\u202f", "»"]


def test_tokenize_chinese_each_character_is_a_token():
    assert tokenize("每个汉字一个词。") == ["每", "个", "汉", "字", "一", "个", "词", "。"]
    assert tokenize("（工人）、农民") == ["（", "工", "人", "）", "、", "农", "民"]


def test_tokenize_japanese_and_korean():
    assert tokenize("ひらがなとカタカナ") == list("ひらがなとカタカナ")
    # a combining voiced mark stays with its kana
    assert tokenize("か\u3099き") == ["か\u3099", "き"]
    assert tokenize("노동자의 권리") == ["노", "동", "자", "의", " ", "권", "리"]


def test_tokenize_mixed_scripts_and_emoji():
    assert tokenize("COVID-19疫苗 for 每个人 " + FAMILY + "!") == [
        "COVID-19", "疫", "苗", " ", "for", " ", "每", "个", "人", " ", FAMILY, "!",
    ]
    assert tokenize("🇫🇷🇩🇪") == ["🇫🇷", "🇩🇪"]
    assert tokenize("ไทย") == ["ไ", "ท", "ย"]


def test_word_tokens():
    assert is_word_token("workers") and is_word_token("每") and is_word_token("l'État")
    assert not is_word_token(" ") and not is_word_token(",") and not is_word_token("。")
    assert not is_word_token(FAMILY)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_tokenize_is_lossless_and_never_splits_a_grapheme(text):
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)
    assert boundaries(tokens) <= boundaries(graphemes(text))


# ------------------------------------------------------------------------------------------
# word diff
# ------------------------------------------------------------------------------------------


def test_whole_words_are_replaced_not_letters():
    assert diff_words("for all workers", "for every worker") == [
        (0, "for "), (-1, "all workers"), (1, "every worker"),
    ]
    assert diff_words("We demand rights for all workers.", "We demand equal rights for all workers and migrants.") == [
        (0, "We demand "), (1, "equal "), (0, "rights for all workers"), (1, " and migrants"), (0, "."),
    ]
    # a single unchanged space between two changes is absorbed into one change
    assert diff_words("a b", "c d") == [(-1, "a b"), (1, "c d")]
    assert diff_words("the cat sat", "the cat cat sat") == [(0, "the cat "), (1, "cat "), (0, "sat")]


def test_word_diff_keeps_words_whole():
    ops = diff_words("the international", "the internationalist")
    assert ops == [(0, "the "), (-1, "international"), (1, "internationalist")]
    ops = diff_words("l'État garantit", "l'Union garantit")
    assert ops == [(-1, "l'État"), (1, "l'Union"), (0, " garantit")]


def test_chinese_edits_change_single_characters():
    assert diff_words("每个人都有权利。", "每个人都有平等的权利。") == [
        (0, "每个人都有"), (1, "平等的"), (0, "权利。"),
    ]
    assert diff_words("我们的目标", "你们的目标") == [(-1, "我"), (1, "你"), (0, "们的目标")]


def test_trivial_diffs():
    assert diff_words("", "") == []
    assert diff_words("same", "same") == [(0, "same")]
    assert diff_words("", "new") == [(1, "new")]
    assert diff_words("old", "") == [(-1, "old")]


def test_edits_slide_to_nice_boundaries():
    # " Three." after "One." or "Three. " before "Two.": the end of a sentence scores best
    assert diff_words("One. Two.", "One. Three. Two.") == [(0, "One."), (1, " Three."), (0, " Two.")]
    # equally good places: the edit goes right (trailing rather than leading whitespace)
    assert diff_words("a b c", "a b b c") == [(0, "a b "), (1, "b "), (0, "c")]
    assert diff_words("Workers in the city.", "Workers in the city and in the town.") == [
        (0, "Workers in the city"), (1, " and in the town"), (0, "."),
    ]


def test_boundary_scores_are_diff_match_patch_scores_on_the_decoded_tokens():
    decode = ["word", "\n\n", "\n", ".", " ", "other", "每"]
    dmp = _TokenDMP(decode)

    def enc(*tokens):
        return "".join(chr(_BASE + decode.index(t)) for t in tokens)

    score = dmp._score
    assert score("", enc("word")) == 6 and score(enc("word"), "") == 6  # edges
    assert score(enc("word", "\n\n"), enc("other")) == 5  # after a blank line
    assert score(enc("word"), enc("\n\n", "other")) == 5  # before one
    assert score(enc("word"), enc("\n", "other")) == 4  # a line break
    assert score(enc("word", "."), enc(" ", "other")) == 3  # a sentence end
    assert score(enc("word", " "), enc("other")) == 2  # whitespace
    assert score(enc("word"), enc(".")) == 1  # punctuation
    assert score(enc("word"), enc("每")) == 0  # letters on both sides


@settings(max_examples=300, deadline=None)
@given(any_text, any_text)
def test_diff_rebuilds_both_texts_on_token_boundaries(a, b):
    ops = diff_words(a, b)
    assert_valid(a, b, ops)
    assert diff_words(a, b) == ops  # deterministic


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=60), st.data())
def test_small_edits_are_exact(tokens, data):
    """Editing a few tokens of a text: the diff changes no more than that."""
    a = "".join(tokens)
    b_tokens = list(tokens)
    changed = 0
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(b_tokens) - 1))
        b_tokens[i] = data.draw(st.sampled_from(["XX", "YY ZZ", "新"]))
        changed += 1
    b = "".join(b_tokens)
    ops = diff_words(a, b)
    assert_valid(a, b, ops)
    assert len(hunks(ops)) <= changed


def random_words(seed: int, length: int) -> str:
    rnd = random.Random(seed)
    vocab = ["workers", "the", "of", "and", "solidarity", "union", "wages", "housing", "for",
             "all", "right", "struggle", "people", "to", "in", "democracy", "peace", "land"]
    words = []
    n = 0
    while n < length:
        w = rnd.choice(vocab) + rnd.choice([" ", " ", " ", ", ", ". "])
        words.append(w)
        n += len(w)
    return "".join(words)[:length]


def test_worst_case_finishes_with_a_valid_diff():
    a = random_words(1, MAX_TEXT)
    b = random_words(2, MAX_TEXT)
    started = time.perf_counter()
    ops = diff_words(a, b)
    elapsed = time.perf_counter() - started
    assert_valid(a, b, ops)
    assert elapsed < 30  # only a guard against a hang; the bound measured is ~0.2 s


def test_edits_within_the_budget_are_exact_beyond_it_coarse():
    a = random_words(3, 6000)
    tokens = tokenize(a)
    words = [i for i, t in enumerate(tokens) if is_word_token(t)]
    rnd = random.Random(4)
    few = set(rnd.sample(words, EDIT_BUDGET // 2))  # 2 token edits per changed word
    b = "".join("CHANGED" if i in few else t for i, t in enumerate(tokens))
    exact = diff_words(a, b, budget=10**9)
    assert diff_words(a, b) == exact
    assert len(hunks(exact)) > EDIT_BUDGET // 4
    # with almost no budget the diff is coarse but still correct
    coarse = diff_words(a, b, budget=2)
    assert_valid(a, b, coarse)
    assert len(hunks(coarse)) < len(hunks(exact))


def test_too_many_distinct_tokens_give_one_coarse_change(monkeypatch):
    import motions.text.diff as diff_module

    monkeypatch.setattr(diff_module, "_CODES", 4)  # instead of 131072
    a, b = "keep this a b c end", "keep this x y z end"
    ops = diff_words(a, b)
    assert ops == [(0, "keep this "), (-1, "a b c"), (1, "x y z"), (0, " end")]
    assert diff_words("a b", "a b c") == [(0, "a b"), (1, " c")]


def test_budget_counts_deadline_checks():
    budget = _Budget(2)
    now = time.time()
    assert [now > budget, now > budget, now > budget, now > budget] == [False, False, True, True]
    assert _Budget(1) > now  # "now < deadline": not yet passed
    assert not (_Budget(0) > now)


# ------------------------------------------------------------------------------------------
# patches
# ------------------------------------------------------------------------------------------

CLAUSE = (
    "We demand decent housing and fair wages for all workers in every city and town of the "
    "country, and the right of every worker to join a union without fear of dismissal."
)


def test_patch_round_trip_on_a_clause():
    new = CLAUSE.replace("all workers", "all workers and migrants").replace("fear", "any fear")
    patch = make_patch(CLAUSE, diff_words(CLAUSE, new))
    assert patch.startswith("@@ -")
    assert apply_patch(patch, CLAUSE) == (new, True)
    assert make_patch(CLAUSE, diff_words(CLAUSE, CLAUSE)) == ""
    assert apply_patch("", CLAUSE) == (CLAUSE, True)


def test_patch_applies_to_a_text_changed_elsewhere():
    new = CLAUSE.replace("dismissal", "dismissal or reprisal")
    patch = make_patch(CLAUSE, diff_words(CLAUSE, new))
    carried = CLAUSE.replace("decent housing", "affordable housing")
    assert apply_patch(patch, carried) == (carried.replace("dismissal", "dismissal or reprisal"), True)
    # where the patched text is gone the hunk does not apply
    result, ok = apply_patch(patch, "Something else entirely.")
    assert not ok and result == "Something else entirely."


def test_long_hunks_round_trip():
    a = random_words(5, MAX_TEXT)
    b = a[:3000] + random_words(6, 5000) + a[9000:15000] + a[17000:]
    patch = make_patch(a, diff_words(a, b))
    assert apply_patch(patch, a) == (b, True)


def test_patch_safe():
    assert patch_safe(CLAUSE + "每个人 " + FAMILY + "\n\t")
    assert not patch_safe("a\x01b") and not patch_safe("\x04")
    assert not patch_safe("a\ud800")


@settings(max_examples=300, deadline=None)
@given(any_text, any_text)
def test_patch_round_trip(a, b):
    if not (patch_safe(a) and patch_safe(b)):
        return
    patch = make_patch(a, diff_words(a, b))
    assert apply_patch(patch, a) == (b, True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["\x01", "\x02", "\x03", "\x04", "a", " ", "bc"]), max_size=30).map("".join),
    st.lists(st.sampled_from(["\x01", "\x02", "\x03", "\x04", "a", " ", "bc"]), max_size=30).map("".join),
)
def test_padding_characters_do_not_break_the_round_trip(a, b):
    """patch_safe refuses them anyway; this records that the base-text round trip holds."""
    assert apply_patch(make_patch(a, diff_words(a, b)), a) == (b, True)


def test_lone_surrogates_cannot_be_patched():
    with pytest.raises(UnicodeEncodeError):
        make_patch("a\ud800", diff_words("a\ud800", "b\ud800"))


# ------------------------------------------------------------------------------------------
# hunks
# ------------------------------------------------------------------------------------------


def test_hunks():
    old = "We demand rights for all workers in every town."
    new = "Now we demand rights for every worker in every town and village."
    ops = diff_words(old, new)
    assert hunks(ops) == [
        Hunk(0, 2, "We", "Now we", 0),
        Hunk(21, 32, "all workers", "every worker", 25),
        Hunk(46, 46, "", " and village", 51),
    ]
    assert changed_ranges(ops) == [(0, 2), (21, 32), (46, 46)]
    assert old[21:32] == "all workers" and new[25:37] == "every worker"
    assert new[51:63] == " and village" and old[46:] == "."
    assert hunks([(0, "same")]) == [] and changed_ranges([]) == []


@settings(max_examples=200, deadline=None)
@given(any_text, any_text)
def test_hunks_rebuild_the_new_text(a, b):
    ops = diff_words(a, b)
    out, pos = [], 0
    for h in hunks(ops):
        assert a[h.start : h.end] == h.deleted
        assert b[h.new_start : h.new_start + len(h.inserted)] == h.inserted
        out.append(a[pos : h.start] + h.inserted)
        pos = h.end
    assert "".join(out) + a[pos:] == b

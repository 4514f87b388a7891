"""Unit tests for motions.audit.chain: the canonical form, the hash, and finding where a chain breaks."""
from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motions.audit import chain
from motions.audit.chain import GENESIS, HASH, HEAD, MISSING, ORDER, PREV, Problem, verify_chain

T0 = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)

ACTIONS = [
    ("amendment.admitted", "amendment", {"from": "submitted", "to": "admitted", "number": "A3"}),
    ("amendment.ruled_out", "amendment", {"from": "admitted", "to": "ruled_out", "number": "A4",
                                          "reason": "Not about this clause."}),
    ("attendance.changed", "person", {"name": "Dawa Tsering", "from": "absent", "to": "present"}),
    ("meeting.state", "meeting", {"from": "preparing", "to": "in_session"}),
    ("document.state", "document", {"from": "open", "to": "closed", "renumbered": {"A5": "A1"}}),
]


def build(n: int, meeting_id: int = 1) -> list[dict]:
    entries: list[dict] = []
    for i in range(n):
        action, subject_type, data = ACTIONS[i % len(ACTIONS)]
        entries.append(chain.link(entries[-1] if entries else None, meeting_id=meeting_id,
                                  at=T0 + timedelta(seconds=i, microseconds=i), actor_id=10 + i % 3,
                                  actor_name=["Chair", "秘书", "Zoë"][i % 3], action=action,
                                  subject_type=subject_type, subject_id=100 + i, data=data))
    return entries


def rehash(entry: dict) -> dict:
    """What someone who knows the recipe does after changing an entry."""
    return {**entry, "hash": chain.entry_hash(entry)}


def head_of(entries: list[dict]) -> dict:
    return {"seq": entries[-1]["seq"], "hash": entries[-1]["hash"]} if entries else {"seq": 0, "hash": GENESIS}


# ------------------------------------------------------------------ the recipe

def test_the_canonical_form_and_the_hash_are_pinned():
    """Changing the recipe would make every stored log unverifiable: this test says so first."""
    entry = chain.link(None, meeting_id=7, at=datetime(2026, 11, 21, 9, 30, 5, 120, tzinfo=timezone.utc),
                       actor_id=3, actor_name="Zoë 秘书", action="amendment.admitted", subject_type="amendment",
                       subject_id=42, data={"to": "admitted", "from": "submitted", "number": "A3"})
    expected = ('{"action":"amendment.admitted","actor_id":3,"actor_name":"Zoë 秘书","at":"2026-11-21T09:30:05.000120Z",'
                '"data":{"from":"submitted","number":"A3","to":"admitted"},"meeting_id":7,'
                '"prev_hash":"' + GENESIS + '","seq":1,"subject_id":42,"subject_type":"amendment"}')
    assert chain.canonical(entry) == expected
    assert entry["hash"] == hashlib.sha256(expected.encode("utf-8")).hexdigest()
    assert entry["hash"] == "00770aec56758099123d2f56de03359d5d92da06adfa9be688ed590598eb20fe"
    assert (entry["seq"], entry["prev_hash"]) == (1, GENESIS)


def test_the_hash_does_not_cover_itself_and_ignores_other_keys():
    entry = build(1)[0]
    assert chain.entry_hash({**entry, "hash": "x" * 64, "id": 99}) == entry["hash"]


@pytest.mark.parametrize("field, value", [
    ("meeting_id", 2), ("seq", 2), ("at", T0 + timedelta(microseconds=1)), ("actor_id", None), ("actor_id", 11),
    ("actor_name", "Chair "), ("action", "amendment.ruled_out"), ("subject_type", "document"),
    ("subject_id", 101), ("subject_id", None), ("data", {"from": "submitted", "to": "admitted", "number": "A4"}),
    ("data", {}), ("prev_hash", "1" * 64),
])
def test_every_hashed_field_changes_the_hash(field, value):
    entry = build(1)[0]
    assert chain.entry_hash({**entry, field: value}) != entry["hash"]


def test_times_are_utc_with_six_decimals():
    assert chain.format_at(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2026-01-02T03:04:05.000000Z"
    # a naive datetime (as SQLite gives it back) is UTC; another zone is converted
    assert chain.format_at(datetime(2026, 1, 2, 3, 4, 5, 7)) == "2026-01-02T03:04:05.000007Z"
    plus8 = timezone(timedelta(hours=8))
    assert chain.format_at(datetime(2026, 1, 2, 11, 4, 5, tzinfo=plus8)) == "2026-01-02T03:04:05.000000Z"
    # the same instant hashes the same, whichever way the database hands it back
    entry = build(1)[0]
    as_naive = {**entry, "at": entry["at"].replace(tzinfo=None)}
    as_plus8 = {**entry, "at": entry["at"].astimezone(plus8)}
    assert chain.entry_hash(as_naive) == chain.entry_hash(as_plus8) == entry["hash"]


def test_data_is_hashed_as_it_reads_back_from_json():
    assert chain.normalise_data({"ids": (1, 2), 3: "x", "nested": {"t": ()}}) == {
        "ids": [1, 2], "3": "x", "nested": {"t": []}}
    assert chain.normalise_data(None) == {}
    for bad in ({"x": float("nan")}, {"x": object()}, {"x": {1, 2}}, ["not", "an", "object"]):
        with pytest.raises(ValueError):
            chain.normalise_data(bad)
    entry = chain.link(None, meeting_id=1, at=T0, actor_id=None, actor_name="", action="a", subject_type="s",
                       subject_id=None, data={"ids": (1, 2)})
    assert entry["data"] == {"ids": [1, 2]}
    assert chain.entry_hash({**entry, "data": {"ids": [1, 2]}}) == entry["hash"]


def test_links_follow_each_other():
    entries = build(4)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(entries, entries[1:]))
    assert len({e["hash"] for e in entries}) == 4


def test_the_pure_core_imports_neither_flask_nor_a_database():
    path = Path(chain.__file__)
    code = "\n".join([
        "import importlib.util, sys",
        f"spec = importlib.util.spec_from_file_location('chain', {str(path)!r})",
        "module = sys.modules['chain'] = importlib.util.module_from_spec(spec)",
        "spec.loader.exec_module(module)",
        "bad = [n for n in sys.modules if n.split('.')[0] in ('flask', 'sqlalchemy', 'flask_babel', 'motions')]",
        "print(bad)",
        "sys.exit(1 if bad else 0)",
    ])
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert importlib.util.find_spec("motions.audit.chain") is not None


# ------------------------------------------------------------------ intact chains

def test_an_intact_chain_verifies():
    entries = build(12)
    assert verify_chain(entries) is None
    assert verify_chain(entries, head_of(entries)) is None
    assert verify_chain([]) is None
    assert verify_chain([], {"seq": 0, "hash": GENESIS}) is None


def test_entries_written_after_the_head_was_read_are_checked_but_not_an_error():
    entries = build(6)
    assert verify_chain(entries, head_of(entries[:4])) is None
    entries[5] = {**entries[5], "data": {"forged": True}}
    assert verify_chain(entries, head_of(entries[:4])) == Problem(HASH, 6)


# ------------------------------------------------------------------ tampering

@pytest.mark.parametrize("field, value", [
    ("data", {"from": "submitted", "to": "ruled_out", "number": "A3"}),
    ("at", T0 - timedelta(days=1)),
    ("actor_id", 99), ("actor_name", "Someone else"), ("action", "amendment.withdrawn"), ("subject_id", 5),
    ("prev_hash", "f" * 64), ("hash", "0" * 64),
])
def test_a_changed_entry_breaks_at_that_entry(field, value):
    entries = build(8)
    entries[4] = {**entries[4], field: value}
    assert verify_chain(entries) == Problem(HASH, 5)
    assert verify_chain(entries, head_of(entries)) == Problem(HASH, 5)


def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_link():
    entries = build(8)
    entries[4] = rehash({**entries[4], "data": {"to": "admitted"}})
    assert verify_chain(entries) == Problem(PREV, 6, previous=5)


def test_a_changed_last_entry_with_its_hash_recomputed_shows_against_the_head():
    entries = build(8)
    head = head_of(entries)
    entries[-1] = rehash({**entries[-1], "actor_name": "Nobody"})
    assert verify_chain(entries) is None  # nothing after it points at it ...
    assert verify_chain(entries, head) == Problem(HEAD, 8)  # ... but the head remembers


def test_a_first_entry_that_does_not_start_the_chain():
    entries = build(3)
    entries[0] = rehash({**entries[0], "prev_hash": "a" * 64})
    assert verify_chain(entries) == Problem(PREV, 1, previous=None)


def test_a_rewritten_tail_verifies_unless_anchored():
    """Someone who knows the recipe can rewrite every later entry: the chain is evidence, not a signature.
    An anchored hash (the head, or a hash written in the minutes) still shows it."""
    entries = build(6)
    head = head_of(entries)
    entries[3] = rehash({**entries[3], "data": {"number": "A9"}})
    for i in range(4, 6):
        entries[i] = rehash({**entries[i], "prev_hash": entries[i - 1]["hash"]})
    assert verify_chain(entries) is None
    assert verify_chain(entries, head) == Problem(HEAD, 6)


@pytest.mark.parametrize("gone, problem", [
    ([4], Problem(MISSING, 5, last=5)),
    ([4, 5], Problem(MISSING, 5, last=6)),
    ([0], Problem(MISSING, 1, last=1)),
    ([0, 1, 2], Problem(MISSING, 1, last=3)),
])
def test_removed_entries_are_missing(gone, problem):
    entries = [e for i, e in enumerate(build(9)) if i not in gone]
    assert verify_chain(entries) == problem


def test_removed_last_entries_show_only_against_the_head():
    entries = build(9)
    head = head_of(entries)
    assert verify_chain(entries[:7]) is None
    assert verify_chain(entries[:7], head) == Problem(MISSING, 8, last=9)
    assert verify_chain([], head) == Problem(MISSING, 1, last=9)


def test_reordered_and_repeated_entries():
    entries = build(6)
    swapped = entries[:2] + [entries[3], entries[2]] + entries[4:]
    assert verify_chain(swapped) == Problem(MISSING, 3, last=3)  # 4 where 3 belongs: 3 is missing there
    repeated = entries[:3] + [entries[2]] + entries[3:]
    assert verify_chain(repeated) == Problem(ORDER, 3, previous=3)
    backwards = entries[:4] + [entries[1]]
    assert verify_chain(backwards) == Problem(ORDER, 2, previous=4)


def test_renumbered_rows_break_at_the_first_renumbered_entry():
    """Swapping the seq of two stored rows (the database reads them by seq): the hash covers seq."""
    entries = build(6)
    a, b = entries[2], entries[3]
    entries[2], entries[3] = {**b, "seq": 3}, {**a, "seq": 4}
    assert verify_chain(entries) == Problem(HASH, 3)


def test_an_entry_moved_to_another_meeting():
    ours, theirs = build(4, meeting_id=1), build(4, meeting_id=2)
    moved = {**theirs[1], "meeting_id": 1, "seq": 5, "prev_hash": ours[-1]["hash"]}
    assert verify_chain(ours + [moved]) == Problem(HASH, 5)
    assert verify_chain([theirs[0], theirs[2], theirs[3]]) == Problem(MISSING, 2, last=2)


def test_a_wrong_head_hash():
    entries = build(3)
    assert verify_chain(entries, {"seq": 3, "hash": "b" * 64}) == Problem(HEAD, 3)
    assert verify_chain(entries, {"seq": 2, "hash": entries[1]["hash"]}) is None


# ------------------------------------------------------------------ random chains

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
ENTRY = st.fixed_dictionaries({
    "actor_id": st.none() | st.integers(1, 2**31 - 1),
    "actor_name": st.text(max_size=30),
    "action": st.sampled_from([a for a, _s, _d in ACTIONS] + ["poll.opened", "comment.hidden"]),
    "subject_type": st.sampled_from(["amendment", "person", "meeting", "document", "poll"]),
    "subject_id": st.none() | st.integers(1, 2**31 - 1),
    "data": st.dictionaries(st.text(max_size=10), JSON, max_size=5),
    "step": st.integers(0, 10**9),
})


def random_chain(specs: list[dict], meeting_id: int) -> list[dict]:
    entries: list[dict] = []
    at = T0
    for spec in specs:
        at = at + timedelta(microseconds=spec["step"])
        fields = {k: v for k, v in spec.items() if k != "step"}
        entries.append(chain.link(entries[-1] if entries else None, meeting_id=meeting_id, at=at, **fields))
    return entries


@settings(max_examples=100, deadline=None)
@given(st.lists(ENTRY, max_size=25), st.integers(1, 2**31 - 1))
def test_random_chains_verify(specs, meeting_id):
    entries = random_chain(specs, meeting_id)
    assert verify_chain(entries) is None
    assert verify_chain(entries, head_of(entries)) is None
    # and survive the JSON round trip of the data column
    assert verify_chain([{**e, "data": chain.normalise_data(e["data"])} for e in entries]) is None


TAMPERS = ["data", "at", "actor", "prev_hash", "hash", "delete", "truncate", "rehash", "swap"]


@settings(max_examples=250, deadline=None)
@given(st.lists(ENTRY, min_size=2, max_size=20), st.data(), st.sampled_from(TAMPERS))
def test_random_tampering_is_found_where_it_happened(specs, data, how):
    entries = random_chain(specs, 1)
    head = head_of(entries)
    n = len(entries)
    i = data.draw(st.integers(0, n - 1), label="index")
    seq = i + 1
    e = entries[i]
    if how == "data":
        entries[i] = {**e, "data": {**e["data"], "tampered": not e["data"].get("tampered", False)}}
        expected = Problem(HASH, seq)
    elif how == "at":
        entries[i] = {**e, "at": e["at"] + timedelta(microseconds=data.draw(st.integers(1, 10**6)))}
        expected = Problem(HASH, seq)
    elif how == "actor":
        entries[i] = {**e, "actor_id": (e["actor_id"] or 0) + 1}
        expected = Problem(HASH, seq)
    elif how == "prev_hash":
        entries[i] = {**e, "prev_hash": "e" * 64 if e["prev_hash"] != "e" * 64 else "d" * 64}
        expected = Problem(HASH, seq)
    elif how == "hash":
        entries[i] = {**e, "hash": "c" * 64}
        expected = Problem(HASH, seq)
    elif how == "rehash":
        entries[i] = rehash({**e, "actor_name": e["actor_name"] + "!"})
        expected = Problem(PREV, seq + 1, previous=seq) if seq < n else Problem(HEAD, seq)
    elif how == "delete":
        del entries[i]
        expected = Problem(MISSING, seq, last=seq)
    elif how == "truncate":
        # cut the last entries off: no gap, but the head remembers how far the chain went
        del entries[i:]
        expected = Problem(MISSING, seq, last=n)
    else:  # swap two neighbours, or the entry with itself (no change)
        j = min(i + 1, n - 1)
        entries[i], entries[j] = entries[j], entries[i]
        expected = Problem(MISSING, seq, last=seq) if j != i else None
    assert verify_chain(entries, head) == expected

"""The hash chain of the audit log, over plain dicts: build an entry, hash it, check a chain.

Pure: no Flask, no database. Each entry of a meeting's log carries the SHA-256 of its own
content and the hash of the entry before it (the first one: 64 zeros), so changing, removing or
reordering a stored entry shows: its hash no longer matches its content, or the next entry no
longer points at it, or a number is missing.

The hash covers the canonical JSON (keys sorted, no spaces, UTF-8) of
`meeting_id, seq, at, actor_id, actor_name, action, subject_type, subject_id, data, prev_hash`,
with `at` in UTC written as `2026-11-21T09:30:00.000000Z` (always six decimals).

A chain of hashes is evidence against editing rows, not a signature: whoever can write the
database and knows this recipe can rewrite every later entry too. Writing down the latest hash
(in the minutes, say) anchors the chain up to that point.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

GENESIS = "0" * 64  # the prev_hash of a meeting's first entry

HASHED = ("meeting_id", "seq", "at", "actor_id", "actor_name", "action", "subject_type", "subject_id", "data",
          "prev_hash")


def format_at(at: datetime) -> str:
    """The instant as the hash sees it: UTC, microseconds, `Z`. A naive datetime is taken as UTC
    (SQLite gives back the UTC wall clock without its zone)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def normalise_data(data: Mapping | None) -> dict:
    """`data` as it will read back from a JSON column (tuples become lists, keys strings), so that the
    hash taken when the entry is written is the hash of what is stored. ValueError: not JSON."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValueError("audit data must be a JSON object")
    try:
        return json.loads(json.dumps(dict(data), separators=(",", ":"), ensure_ascii=False, allow_nan=False))
    except TypeError as error:
        raise ValueError(f"audit data is not JSON: {error}") from None


def canonical(entry: Mapping) -> str:
    """The text the hash is taken of: the hashed fields of `entry`, `at` written by format_at."""
    fields = {name: entry.get(name) for name in HASHED}
    at = fields["at"]
    fields["at"] = format_at(at) if isinstance(at, datetime) else at
    fields["data"] = fields["data"] if fields["data"] is not None else {}
    return _dumps(fields)


def entry_hash(entry: Mapping) -> str:
    return hashlib.sha256(canonical(entry).encode("utf-8")).hexdigest()


def link(previous: Mapping | None, *, meeting_id: int, at: datetime, actor_id: int | None, actor_name: str,
         action: str, subject_type: str, subject_id: int | None, data: Mapping | None = None) -> dict:
    """The entry that follows `previous` (None: the first of the meeting), with its seq and both hashes."""
    entry = {
        "meeting_id": meeting_id,
        "seq": (previous["seq"] + 1) if previous is not None else 1,
        "at": at, "actor_id": actor_id, "actor_name": actor_name or "", "action": action,
        "subject_type": subject_type, "subject_id": subject_id, "data": normalise_data(data),
        "prev_hash": previous["hash"] if previous is not None else GENESIS,
    }
    entry["hash"] = entry_hash(entry)
    return entry


# ---------------------------------------------------------------- checking

MISSING = "missing"  # entries seq..last are not there
ORDER = "order"  # entry seq comes after entry previous (a number repeated or out of order)
HASH = "hash"  # entry seq: the hash does not match its content
PREV = "prev"  # entry seq: prev_hash is not the hash of entry previous (of the start, for entry 1)
HEAD = "head"  # the chain head (the last entry the log knows it wrote) is not entry seq as stored
NO_HEAD = "no_head"  # entries up to seq, but no chain head (found by the database side, not here)


@dataclass(frozen=True)
class Problem:
    """Where a meeting's chain first breaks."""

    kind: str
    seq: int  # the entry where it breaks (the first missing one for MISSING)
    last: int | None = None  # MISSING: the last missing entry
    previous: int | None = None  # PREV, ORDER: the entry before it in the chain
    meeting_id: int | None = None

    def with_meeting(self, meeting_id: int | None) -> "Problem":
        return Problem(self.kind, self.seq, self.last, self.previous, meeting_id)


def verify_chain(entries: Iterable[Mapping], head: Mapping | None = None) -> Problem | None:
    """The first break of one meeting's chain, or None when it is intact.

    `entries` in the order they are stored (by seq), each with the hashed fields plus `hash`.
    `head` ({seq, hash}), when given, is what the log recorded as its last entry: entries removed
    from the end, which leave no gap, show against it. Entries after the head are checked like the
    others (they may have been written since the head was read)."""
    previous: Mapping | None = None
    by_seq_hash: str | None = None  # the stored hash of entry head["seq"], once seen
    for entry in entries:
        seq = entry["seq"]
        expected = previous["seq"] + 1 if previous is not None else 1
        if seq < expected:
            return Problem(ORDER, seq, previous=previous["seq"] if previous is not None else None)
        if seq > expected:
            return Problem(MISSING, expected, last=seq - 1)
        if entry_hash(entry) != entry["hash"]:
            return Problem(HASH, seq)
        if entry["prev_hash"] != (previous["hash"] if previous is not None else GENESIS):
            return Problem(PREV, seq, previous=previous["seq"] if previous is not None else None)
        if head is not None and seq == head["seq"]:
            by_seq_hash = entry["hash"]
        previous = entry
    if head is not None and head["seq"] > 0:
        if by_seq_hash is None:
            last = previous["seq"] if previous is not None else 0
            return Problem(MISSING, last + 1, last=head["seq"])
        if by_seq_hash != head["hash"]:
            return Problem(HEAD, head["seq"])
    return None

"""What the attack and fault suites tried, in figures (docs/security.md, docs/performance.md).

A test calls tried("suite", name=count, ...) at its end, after its assertions passed: a count
means "tried, and it held". With MOTIONS_TRIED=FILE each call appends one JSON line to FILE
(the database kind from MOTIONS_TEST_DATABASE_URL); without it, nothing happens.

    MOTIONS_TRIED=/tmp/tried.jsonl .venv/bin/pytest tests/integration/test_attack_xss.py
    .venv/bin/python -m tests.tried /tmp/tried.jsonl      # the sums, as a markdown table
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter


def tried(suite: str, **counts: int) -> None:
    path = os.environ.get("MOTIONS_TRIED")
    if not path:
        return
    database = "postgresql" if os.environ.get("MOTIONS_TEST_DATABASE_URL") else "sqlite"
    line = json.dumps({"suite": suite, "database": database, **counts}) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)  # instance/ of a fresh clone
    # one write to a file opened for appending: lines of parallel test processes do not interleave
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


class Answers:
    """Counts the answers an app gives from now on (Flask's signals): `total`, `statuses` (a Counter
    by status code) and `unhandled` (exceptions no handler caught: a 500, or raised to the test
    client). It stops when it is no longer referred to."""

    def __init__(self, app):
        from flask import got_request_exception, request_finished

        self.statuses: Counter[int] = Counter()
        self.unhandled = 0
        request_finished.connect(self._finished, app)  # weakly: gone with this object
        got_request_exception.connect(self._exception, app)

    def _finished(self, sender, response, **_extra):
        self.statuses[response.status_code] += 1

    def _exception(self, sender, exception, **_extra):
        self.unhandled += 1

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def at_least(self, status: int) -> int:
        return sum(n for code, n in self.statuses.items() if code >= status)


def table(lines: list[dict]) -> str:
    """Per suite and count: the sums on SQLite and on PostgreSQL, and how many tests reported them
    (suites and counts in the order they first appear)."""
    suites: dict[str, dict[str, dict[str, Counter]]] = {}
    for line in lines:
        counts = suites.setdefault(line["suite"], {})
        for name, value in line.items():
            if name not in ("suite", "database"):
                figure = counts.setdefault(name, {"sum": Counter(), "tests": Counter()})
                figure["sum"][line["database"]] += value
                figure["tests"][line["database"]] += 1
    out = ["| suite | what was tried | SQLite | PostgreSQL | held |", "|---|---|---:|---:|---|"]
    for suite, counts in suites.items():
        for i, (name, figure) in enumerate(counts.items()):
            n = figure["tests"]
            sums = [f"{figure['sum'][d]:,}" if n[d] else "–" for d in ("sqlite", "postgresql")]
            held = " + ".join(str(n[d]) for d in ("sqlite", "postgresql") if n[d])
            held += " test" if held == "1" else " tests"
            out.append(f"| {'' if i else suite} | {name.replace('_', ' ')} | {sums[0]} | {sums[1]} | {held} |")
    return "\n".join(out) + "\n"


def main(paths: list[str]) -> None:
    lines = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            lines += [json.loads(line) for line in f if line.strip()]
    sys.stdout.write(table(lines))


if __name__ == "__main__":
    main(sys.argv[1:])

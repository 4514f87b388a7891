"""Measure the text core and the document pages; print a table.

Speed is measured here, never asserted in the test suite. The long corpus is the English and
French text in ../shared/seeds; where it is absent (a fresh clone) a synthetic text of the same
size is used and the table says so. Then the vote storm of issue 4 (bench/vote_storm.py: 2,000
delegates voting through HTTP against gunicorn; BENCH_VOTERS=0 skips it).

BENCH_DATABASE_URL: PostgreSQL instead of SQLite. A database whose name contains "bench" is
dropped and created empty first, and dropped at the end (the vote storm runs only on such a one).
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile

from bench.common import SEED, row, sign_in, timed


def synthetic_platform(clauses: int = 200) -> str:
    parts = []
    for s in range(1, clauses // 20 + 1):
        parts.append(f"## Section {s}\n")
        for c in range(20):
            parts.append(f"- Clause {s}.{c}: the campaign will organise workers and defend democratic rights "
                         f"in every workplace, with solidarity across borders and independent unions, "
                         f"and support the right to strike ({s}-{c}).\n")
        parts.append("\n")
    return "".join(parts)


def corpus() -> tuple[str, str]:
    if SEED.exists():
        return SEED.read_text(encoding="utf-8"), f"seed 004 ({SEED.stat().st_size // 1024} KB)"
    text = synthetic_platform(2000)
    return text, f"synthetic ({len(text.encode()) // 1024} KB; ../shared absent)"


def main() -> int:
    os.environ.setdefault("MOTIONS_SECURE_COOKIES", "0")
    from motions.text import clauses, lines
    from motions.text.layout import lay_out

    text, label = corpus()
    platform_text = synthetic_platform(200)
    rows = []
    for fmt in ("markdown", "text"):
        blocks = clauses.split(text, fmt)
        rows.append(row(f"split {fmt}: {label}", timed(lambda: clauses.split(text, fmt), 10),
                        f"{len(blocks)} clauses"))
    blocks = clauses.split(text, "markdown")
    laid = lay_out(blocks, 80)
    rows.append(row(f"line numbers (80 cols): {label}", timed(lambda: lay_out(blocks, 80), 10),
                    f"{laid[-1].last_line} lines"))
    rows.append(row("wrap one 2,000-character clause", timed(lambda: lines.wrap("word " * 400, 80), 50)))
    pblocks = clauses.split(platform_text, "markdown")
    rows.append(row("split + lay out a 200-clause platform",
                    timed(lambda: lay_out(clauses.split(platform_text, "markdown"), 80), 20),
                    f"{len(pblocks)} blocks"))

    from motions import create_app
    from motions.documents import operations as docs
    from motions.meetings import operations as meetings

    from bench import vote_storm

    if vote_storm.bench_database(os.environ.get("BENCH_DATABASE_URL", "")):
        vote_storm.fresh_database(os.environ["BENCH_DATABASE_URL"])  # the benches below need it empty
    with tempfile.TemporaryDirectory() as tmp:
        uri = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            meeting = meetings.create_meeting({"slug": "bench", "title": "Bench"}, creator=None)
            meetings.save_person({"name": "Sec", "email": "sec@example.org", "password": "benchmark!"})
            meetings.add_person(meeting, {"name": "Sec", "email": "sec@example.org", "roles": ["secretary", "delegate"]})
            ids = []

            def do_import(t=text):
                ids.append(docs.import_document(meeting, title="Long", text=t, format="markdown", kind="platform",
                                                by_id=None).id)

            rows.append(row(f"import (split, number, store): {label}", timed(do_import, 3), uri.split(":")[0]))
            pids = []
            rows.append(row("import a 200-clause platform",
                            timed(lambda: pids.append(docs.import_document(
                                meeting, title="P", text=platform_text, format="markdown", kind="platform",
                                by_id=None).id), 5), uri.split(":")[0]))
        client = app.test_client()
        sign_in(client, "sec@example.org", "benchmark!")
        rows.append(row("GET document page, 200-clause platform",
                        timed(lambda: client.get(f"/documents/{pids[0]}"), 20)))
        rows.append(row(f"GET document page: {label}", timed(lambda: client.get(f"/documents/{ids[0]}"), 5)))
        rows.append(row("GET /api/v1/documents/{id}, 200 clauses",
                        timed(lambda: client.get(f"/api/v1/documents/{pids[0]}"), 20)))

        from bench import amendments

        amendments.run(app, rows, amendments=int(os.environ.get("BENCH_AMENDMENTS", "3000")))
        from bench import statement

        statement.run(app, rows)
        with app.app_context():
            from motions.extensions import db

            db.engine.dispose()  # let go of the bench database: the vote storm starts it afresh

    print(f"machine: {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()} · {platform.platform()}")
    print()
    width = max(len(r[0]) for r in rows)
    print(f"| {'benchmark'.ljust(width)} | runs | median ms | p95 ms | note |")
    print(f"|{'-' * (width + 2)}|------|-----------|--------|------|")
    for name, n, med, p95, note in rows:
        print(f"| {name.ljust(width)} | {n:4d} | {med:9.1f} | {p95:6.1f} | {note} |")
    if int(os.environ.get("BENCH_VOTERS", "2000")) > 0:
        print()
        sys.stdout.flush()
        vote_storm.report(vote_storm.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())

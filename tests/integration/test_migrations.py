"""The migrations build exactly the schema the models describe, and `motions demo` can run twice."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from motions.extensions import db


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app):
    """The test database was built by the migrations (not create_all): autogenerate finds nothing to do."""
    with app.app_context():
        with db.engine.connect() as connection:
            differences = _differences(connection)
            tables = set(inspect(connection).get_table_names())
    assert differences == [], "the models and the migrations differ; add a migration:\n" + "\n".join(
        map(repr, differences))
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_migrations_go_down_and_up_again(app):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        downgrade(revision="base")
        with db.engine.connect() as connection:
            left = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert left == set()
        upgrade()
        with db.engine.connect() as connection:
            assert _differences(connection) == []


def _counts(app) -> dict[str, int]:
    from motions.auth.models import Person
    from motions.documents.models import Clause, ClauseText, Document, DocumentVersion
    from motions.meetings.models import Meeting, Membership, MembershipRole

    with app.app_context():
        return {model.__name__: db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()
                for model in (Person, Meeting, Membership, MembershipRole, Document, DocumentVersion, Clause,
                              ClauseText)}


def test_demo_is_idempotent(app, runner, client, auth):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "/m/founding-meeting/" in first.output
    after_first = _counts(app)
    assert after_first["Meeting"] == 1
    assert after_first["Document"] == 1 and after_first["DocumentVersion"] == 1
    assert after_first["Person"] >= 4  # a chair, a secretary, an organiser and delegates
    assert after_first["ClauseText"] > 10

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert _counts(app) == after_first

    from motions.demo import load_demo

    with app.app_context():
        load_demo()
    assert _counts(app) == after_first

    # and the demo people can still sign in with the printed password
    line = next(line for line in second.output.splitlines() if "delegate1@example.org" in line)
    password = line.split()[-1]
    assert auth.login("delegate1@example.org", password).status_code == 302
    assert client.get("/m/founding-meeting/").status_code == 200


def _growth_under_re_basing(connection, options: str) -> tuple[int, int]:
    """The size of a copy of the amendment table (with `options`) before and after six rounds of
    re-basing all its 400 rows, each round its own transaction as each carry is."""
    from sqlalchemy import text

    connection.execute(text("DROP TABLE IF EXISTS probe"))
    connection.execute(text(f"CREATE TEMP TABLE probe (LIKE amendment INCLUDING ALL) WITH ({options})"))
    connection.execute(text(
        "INSERT INTO probe (id, document_id, kind, status, number, sequence, title, reason, base_version, "
        "text, patch, ops, ranges, first_line, last_line, applies_cleanly, revision, ruling, created_at, "
        "updated_at) SELECT g, 1, 'modify', 'submitted', 'A' || g, g, '', repeat('r', 400), 1, "
        "repeat('t', 600), repeat('p', 600), '[]', '[]', g, g, true, 1, '', now(), now() "
        "FROM generate_series(1, 400) AS g"))
    connection.commit()
    before = connection.execute(text("SELECT pg_relation_size('probe')")).scalar_one()
    for _ in range(6):
        connection.execute(text("UPDATE probe SET base_version = base_version + 1, "
                                "first_line = first_line + 1, last_line = last_line + 1"))
        connection.commit()
    return before, connection.execute(text("SELECT pg_relation_size('probe')")).scalar_one()


@pytest.mark.postgresql_only
def test_amendment_pages_leave_room_for_re_basing(app):
    """Carrying an amendment rewrites every pending amendment's row. On PostgreSQL the table keeps
    room on each page (the migration's fill factor), so the new row versions stay on their page (HOT
    updates) and the old ones are pruned without VACUUM: re-basing every row again and again does
    not grow the table. At PostgreSQL's default fill factor the same rounds double it."""
    from sqlalchemy import text

    with app.app_context():
        with db.engine.connect() as connection:
            options = connection.execute(text(
                "SELECT reloptions FROM pg_class WHERE relname = 'amendment'")).scalar_one() or []
            assert any(o.startswith("fillfactor=") for o in options), options
            ours = _growth_under_re_basing(connection, ", ".join(options))
            default = _growth_under_re_basing(connection, "fillfactor = 100")
            connection.execute(text("DROP TABLE probe"))
            connection.commit()
    assert ours[1] <= ours[0], ours
    assert default[1] >= 2 * default[0], default

"""The migrations build exactly the schema the models describe, and `motions demo` can run twice."""
from __future__ import annotations

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

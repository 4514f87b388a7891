"""PostgreSQL: every insert into the change feed sends NOTIFY motions_feed

Each worker process's feed hub (motions/live/hub.py) LISTENs on the channel `motions_feed` and reads
the feed when told, instead of polling it. The statement trigger fires once per INSERT statement;
PostgreSQL delivers the notification when the transaction commits (never for one rolled back) and
folds the identical notifications of one transaction into one. The hub still reads the feed every
second without a notification, so a lost LISTEN connection delays events but loses none. SQLite
has no NOTIFY: its hubs poll.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 14:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION motions_feed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('motions_feed', '');
                RETURN NULL;
            END
            $$""")
        op.execute("CREATE TRIGGER meeting_event_notify AFTER INSERT ON meeting_event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION motions_feed_notify()")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS meeting_event_notify ON meeting_event")
        op.execute("DROP FUNCTION IF EXISTS motions_feed_notify()")

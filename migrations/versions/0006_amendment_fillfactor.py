"""PostgreSQL: the amendment table leaves room on each page for its rows' new versions

Carrying an amendment moves every other pending amendment of the document to the new version
(`base_version`, and the line numbers that shifted): thousands of row updates per carry at a large
conference. None of those columns is indexed, so PostgreSQL can write each new row version on the
same page as a heap-only tuple (HOT) and prune the old one as it goes, without waiting for VACUUM,
but only where the page has room. At the default fill factor (100) it has none, every update moves
the row to a new page with new index entries, and the table bloats until VACUUM runs (measured:
3,000 amendments, 100 carries, no autovacuum: 541 MB and 158 ms per re-basing statement; with
fillfactor 35 the table stays at 22 MB, every update is HOT and the statement takes 13 ms).

The fill factor applies to pages written from now on; an existing database gets its tables
rewritten with the new setting by `VACUUM FULL amendment` (it locks the table: run it between
meetings). SQLite has no such setting and is left as it is.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE amendment SET (fillfactor = 35)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE amendment RESET (fillfactor)")

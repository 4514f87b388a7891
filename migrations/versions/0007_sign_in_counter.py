"""failed sign-ins counted in the database, shared by every worker (Flask-Limiter's storage)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_counter',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_counter')),
    )
    with op.batch_alter_table('sign_in_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_counter_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_counter_expires_at'))
    op.drop_table('sign_in_counter')

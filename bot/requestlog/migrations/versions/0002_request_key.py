"""Each row carries its request's unique key, so a row sent twice is stored once: a commit
whose acknowledgement was lost, or a spill file loaded again after a crash.

Rows from before have no key (NULL), which the unique index allows any number of.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Add the key column and its unique index."""
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("request_key", sa.Text()))
    op.create_index("requests_key", "requests", ["request_key"], unique=True)


def downgrade() -> None:
    """Drop the key."""
    op.drop_index("requests_key", "requests")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("request_key")

"""The request log: one row per beat request, whatever became of it.

This is the table the log had before it used Alembic, so a SQLite file from then is stamped
with this revision instead of running it. Types are written for both dialects: times are
ISO 8601 text on SQLite (as they always were) and timestamptz on PostgreSQL.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None

OUTCOMES = ("ok", "user_error", "busy", "cooldown", "failed")
"""Frozen here: a new outcome needs a migration that widens the CHECK."""


def upgrade() -> None:
    """Create the table and its two indexes."""
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PRIMARY KEY = rowid
    outcomes = ", ".join(f"'{outcome}'" for outcome in OUTCOMES)
    op.create_table(
        "requests",
        sa.Column("id", big, primary_key=True),
        sa.Column("created_at", sa.Text().with_variant(
            postgresql.TIMESTAMP(timezone=True), "postgresql"), nullable=False),
        sa.Column("guild_id", sa.BigInteger()),
        sa.Column("channel_id", sa.BigInteger()),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False, server_default="{}"),
        sa.Column("seed", sa.BigInteger()),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("error", sa.Text()),
        *(sa.Column(f"{stage}_ms", sa.Float()) for stage in (
            "queue", "generate", "render", "encode", "upload", "total")),
        sa.CheckConstraint(f"outcome IN ({outcomes})", name="requests_outcome"),
    )
    op.create_index("requests_user", "requests", ["user_id", "id"])
    op.create_index("requests_created", "requests", ["created_at"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("requests")

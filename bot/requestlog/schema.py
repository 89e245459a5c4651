"""The request log's table, as the queries see it (Alembic's migrations make it)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


class UtcTime(sa.types.TypeDecorator):
    """An aware time in UTC: timestamptz on PostgreSQL, ISO 8601 text on SQLite (which sorts
    and compares as time does, since every value is UTC in the one format)."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        """Timestamptz on PostgreSQL, text elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> object:
        """The time in UTC, as text for SQLite."""
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.isoformat()

    def process_result_value(self, value: object, dialect: sa.Dialect) -> datetime | None:
        """An aware datetime, whichever way it was stored."""
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value))


METADATA = sa.MetaData()
REQUESTS = sa.Table(
    "requests", METADATA,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("created_at", UtcTime(), nullable=False),
    sa.Column("guild_id", sa.BigInteger()),
    sa.Column("channel_id", sa.BigInteger()),
    sa.Column("user_id", sa.BigInteger(), nullable=False),
    sa.Column("source", sa.Text(), nullable=False),
    sa.Column("params", sa.JSON(), nullable=False),
    sa.Column("seed", sa.BigInteger()),
    sa.Column("outcome", sa.Text(), nullable=False),
    sa.Column("error", sa.Text()),
    *(sa.Column(f"{stage}_ms", sa.Float()) for stage in (
        "queue", "generate", "render", "encode", "upload", "total")),
    sa.Column("request_key", sa.Text(), unique=True),
)
"""The table as the queries see it; bot/requestlog/migrations/versions makes it."""

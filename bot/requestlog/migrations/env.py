"""Alembic's entry point: migrate the connection `bot.requestlog.store` hands over, or (from the
`alembic` command line) the database the settings name."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine


def _migrate(connection) -> None:
    context.configure(connection=connection, render_as_batch=True)  # batch: SQLite ALTERs
    with context.begin_transaction():
        context.run_migrations()


async def _from_settings() -> None:
    from bot.requestlog.store import database_url
    from bot.settings import Settings

    settings = Settings()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    engine = create_async_engine(database_url(url or settings.database))
    async with engine.begin() as connection:
        await connection.run_sync(_migrate)
    await engine.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    _migrate(given)
else:
    asyncio.run(_from_settings())

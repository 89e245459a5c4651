"""Alembic migrations of the request log: one chain for SQLite and PostgreSQL alike.

`bot.requestlog.store` runs them at open. To add one, write `versions/NNNN_what.py` by hand (or run
`alembic -c bot/requestlog/migrations/alembic.ini revision -m "what"` with BEATBOT_DATABASE_URL or
BEATBOT_DATABASE set); never edit one that has shipped.
"""

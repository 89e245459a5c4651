"""The migrations, oldest first (Alembic finds them by file; this makes them package data)."""

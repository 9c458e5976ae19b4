"""The Alembic environment and revisions of the app database (see activities/migrate.py)."""

"""The Alembic environment of the app database, generic for every revision.

Run by `activities.migrate.upgrade_to_head`, which hands over a connection already holding
the schema lock. From the command line (writing a revision, `--autogenerate`, `current`),
pass the database with `-x url=...`:

    alembic -c activities/migrations/alembic.ini -x url=sqlite+aiosqlite:///.data/complaints.db current
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from activities.db import make_engine
from activities.migrate import app_schema, schema_lock
from activities.schema import METADATA


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=METADATA,
        version_table_schema=app_schema(connection),  # the version beside the tables (a test's own schema)
        transactional_ddl=True,  # on SQLite too: schema_lock began the transaction (BEGIN IMMEDIATE)
        render_as_batch=True,  # autogenerate writes ALTERs SQLite can run (a table rebuild)
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_on_url(url: str) -> None:
    engine = make_engine(url)
    try:
        async with schema_lock(engine) as conn:
            await conn.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported: run against a database with -x url=...")
connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("which database? pass -x url=<SQLAlchemy URL>")
    asyncio.run(run_on_url(url))

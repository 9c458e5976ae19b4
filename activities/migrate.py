"""Bringing the app database to the newest schema with the Alembic migrations in `migrations/`.

Every worker runs `upgrade_to_head` when it starts, so several may run it at once on one
database. Reading the version, migrating and stamping the new version happen in one
transaction that holds the schema lock: on PostgreSQL a transaction-scoped advisory lock,
on SQLite the file's write lock (`BEGIN IMMEDIATE`). The others wait for it, then find the
database at head and do nothing, so no migration (a data conversion above all) runs twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS = Path(__file__).resolve().with_name("migrations")

# Any fixed 64-bit number works; it only has to be the same in every worker.
SCHEMA_LOCK_KEY = 0x436F6D706C61696E  # "Complain"
UPGRADE_ATTEMPTS = 5  # each waits up to busy_timeout on SQLite behind another worker migrating


def app_schema(connection: Connection) -> str | None:
    """The PostgreSQL schema the engine maps its tables to (`make_engine(url, schema=)`), if any."""
    translate: dict[str | None, str | None] = connection.get_execution_options().get("schema_translate_map") or {}
    return translate.get(None)


def alembic_config(connection: Connection | None = None) -> Config:
    """The migrations' configuration, found beside this module (also in an installed package)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migrations found in {MIGRATIONS}"
    return head


@asynccontextmanager
async def schema_lock(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction that holds the schema lock until it commits on the way out."""
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # The driver would begin only at the first INSERT/UPDATE and run DDL outside any
            # transaction; an explicit BEGIN IMMEDIATE takes the write lock before the version is
            # read (waiting up to busy_timeout for another writer) and makes the DDL transactional.
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        yield conn
        await conn.commit()


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Create a new database, adopt one made before the migrations, or migrate an older one; idempotent.

    A lost race on SQLite (the lock not granted within busy_timeout) is retried; the next
    pass waits again and then finds the database at head.
    """
    for attempt in range(1, UPGRADE_ATTEMPTS + 1):
        try:
            async with schema_lock(engine) as conn:
                await conn.run_sync(_upgrade)
            return
        except DBAPIError:
            if attempt == UPGRADE_ATTEMPTS:
                raise
            await asyncio.sleep(0.2 * attempt)


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def _current(connection: Connection) -> str | None:
    opts = {"version_table_schema": app_schema(connection)}
    return MigrationContext.configure(connection, opts=opts).get_current_revision()

"""Open the app database for a command that reads the case file archive (no Temporal needed).

Reports and case files outlive Temporal's retention, so these commands read only the app
database. A database the worker has not created yet, or not migrated to the archive yet,
is named as such rather than created or failed on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.archive_tables import CaseFileRow
from activities.db import make_engine, missing_sqlite_file
from infra.settings import Settings

T = TypeVar("T")


class ArchiveMissing(Exception):
    """There is no archive to read yet: the message says why and what to do."""


async def with_archive(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    url = settings.effective_database_url
    missing = missing_sqlite_file(url)
    if missing is not None:
        raise ArchiveMissing(f"no app database at {missing} yet: a worker creates it when it starts")
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            ready = await conn.run_sync(lambda sync: inspect(sync).has_table(CaseFileRow.__tablename__))
        if not ready:
            raise ArchiveMissing("the app database has no case file archive yet: start a worker to migrate it")
        return await work(engine)
    finally:
        await engine.dispose()

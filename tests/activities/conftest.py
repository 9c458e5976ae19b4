"""Fixtures of the incident store's tests: one migrated database per backend and test module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from activities.db import make_engine
from activities.incident_store import IncidentStore
from activities.migrate import upgrade_to_head
from tests.activities.databases import BACKENDS, empty_database
from tests.activities.incident_books import Database


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str | None]]:
    with empty_database(request.param, tmp_path_factory.mktemp(request.param)) as found:
        yield found


@pytest_asyncio.fixture(scope="module")
async def database(database_url: tuple[str, str | None]) -> AsyncIterator[Database]:
    """One migrated database per backend for the module; each test declares incidents of its own."""
    url, schema = database_url
    engine = make_engine(url, schema=schema)
    try:
        await upgrade_to_head(engine)
        yield Database(url, schema, engine)
    finally:
        await engine.dispose()


@pytest.fixture
def store(database: Database) -> IncidentStore:
    return IncidentStore(database.engine)

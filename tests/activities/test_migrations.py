"""The Alembic migrations make, adopt and upgrade the app database on SQLite and PostgreSQL.

A database made by the code before the migrations keeps every row, and its REAL (SQLite) or
NUMERIC (PostgreSQL) amounts become exact integer cents; upgrading again changes nothing;
workers upgrading together never run a migration twice; every path ends at the models' schema.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Connection, Table, insert, select, type_coerce
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.archive_tables import ARCHIVE_TABLES
from activities.db import OutboxRow, OutcomeRow, PayoutRow, RequestKeyRow, make_engine
from activities.ledger import PayoutLedger
from activities.migrate import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    head_revision,
    schema_lock,
    upgrade_to_head,
)
from activities.outbox import Outbox
from activities.outcomes import OutcomeStore
from activities.schema import METADATA
from tests.activities.databases import (
    BACKENDS,
    EXACT_OUTCOMES,
    EXACT_PAYOUTS,
    LEGACY,
    LEGACY_OUTBOX,
    empty_database,
    engines,
    legacy_database,
    payout_request,
    table_names,
)
from tests.fixtures_activities import search_path_url

PAYOUTS = cast(Table, PayoutRow.__table__)
OUTCOMES = cast(Table, OutcomeRow.__table__)
OUTBOX = cast(Table, OutboxRow.__table__)
REQUEST_KEYS = cast(Table, RequestKeyRow.__table__)
LOG = logging.getLogger(__name__)
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_revisions_are_one_linear_chain_in_the_package() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    chain = [revision.revision for revision in script.walk_revisions("base", "heads")]
    assert chain[-5:] == ["0005_case_files", "0004_incidents", "0003_request_keys", "0002_exact_money", "0001_baseline"]
    assert len(script.get_heads()) == 1 == len(script.get_bases())
    assert MIGRATIONS.is_dir() and (MIGRATIONS / "env.py").is_file()


async def stored_minor_units(engine: AsyncEngine) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the database itself holds in the money columns, uninterpreted: key -> raw value."""
    async with engine.connect() as conn:
        payouts = await conn.execute(select(PAYOUTS.c.idempotency_key, type_coerce(PAYOUTS.c.amount, BigInteger)))
        outcomes = await conn.execute(select(OUTCOMES.c.workflow_id, type_coerce(OUTCOMES.c.remedy_total, BigInteger)))
        return {key: value for key, value in payouts}, {key: value for key, value in outcomes}


def schema_differences(conn: Connection) -> list[Any]:
    """What autogenerate would write to bring the database to the models: nothing, if the migrations are right."""
    return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), METADATA))


def changed_columns(differences: list[Any]) -> set[tuple[str, str, str]]:
    """(operation, table, column) of each column change (autogenerate lists those in lists)."""
    return {(op[0], op[2], op[3]) for change in differences if isinstance(change, list) for op in change}


async def differences_from_models(url: str, schema: str | None) -> list[Any]:
    plain = url if schema is None else search_path_url(url, schema)  # reflection reads the default schema
    async with engines(plain, None) as (engine,), engine.connect() as conn:
        return await conn.run_sync(schema_differences)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_new_database_is_made_by_the_migrations_and_matches_the_models(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as (url, schema):
        async with engines(url, schema) as (engine,):
            assert await current_revision(engine) is None
            await upgrade_to_head(engine)
            assert await current_revision(engine) == head_revision() == "0005_case_files"
            async with engine.connect() as conn:
                tables = {"alembic_version", "payouts", "outbox", "outcomes", "request_keys"}
                tables |= {"incidents", "incident_customers", "incident_budget_moves"}
                tables |= {*ARCHIVE_TABLES, "emerging_alerts"}
                assert await conn.run_sync(table_names) == tables
        assert await differences_from_models(url, schema) == []


@pytest.mark.parametrize("kind", LEGACY)
async def test_a_database_made_before_the_migrations_keeps_every_row_with_exact_amounts(
    kind: str, tmp_path: Path
) -> None:
    with legacy_database(kind, tmp_path) as (url, schema):
        before = await differences_from_models(url, schema)
        assert ("modify_type", "payouts", "amount") in changed_columns(before)  # the check sees NUMERIC
        async with engines(url, schema) as (engine,):
            assert await current_revision(engine) is None
            await upgrade_to_head(engine)
            await upgrade_to_head(engine)  # a second start: nothing converted twice
            assert await current_revision(engine) == head_revision()

            payouts, outcomes = await stored_minor_units(engine)
            assert payouts == {key: int(amount * 100) for key, amount in EXACT_PAYOUTS.items()}
            assert all(type(value) is int for value in [*payouts.values(), *outcomes.values()])
            assert outcomes == {key: int(total * 100) for key, total in EXACT_OUTCOMES.items()}

            ledger = PayoutLedger(engine, LOG)
            assert await ledger.paid_to_customer("cust-77", SINCE, "GBP") == sum(EXACT_PAYOUTS.values())
            billing = Decimal("0.00") if kind.endswith("first_shipped") else Decimal("45216.11")  # 0.10 + 45216.01
            assert await ledger.spent_in_category("billing", SINCE, "GBP") == billing
            store = OutcomeStore(engine, LOG)
            for workflow_id, total in EXACT_OUTCOMES.items():
                found = await store.get(workflow_id)
                assert found is not None and found.remedy_total == total and str(found.remedy_total) == str(total)
            async with engine.connect() as conn:
                outbox = await conn.execute(select(OUTBOX.c.idempotency_key, OUTBOX.c.customer_id))
                assert sorted((key, customer) for key, customer in outbox) == [(key, None) for key in LEGACY_OUTBOX]

            # The adopted database takes new rows like any other.
            receipt, inserted = await ledger.record(payout_request("complaint-N-1", "0.10"), paid_at=datetime.now(UTC))
            assert inserted and receipt.amount == Decimal("0.10")
            assert await Outbox(engine).get(LEGACY_OUTBOX[0]) is not None
        assert await differences_from_models(url, schema) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_upgrading_again_is_a_no_op(backend: str, tmp_path: Path) -> None:
    with empty_database(backend, tmp_path) as (url, schema):
        async with engines(url, schema) as (engine,):
            await upgrade_to_head(engine)
            ledger = PayoutLedger(engine, LOG)
            await ledger.record(payout_request("complaint-A-1", "19.99"), paid_at=datetime.now(UTC))
            before = await stored_minor_units(engine)
            await upgrade_to_head(engine)
            await upgrade_to_head(engine)
            assert await stored_minor_units(engine) == before == ({"complaint-A-1:proposal-1": 1999}, {})
            assert await current_revision(engine) == head_revision()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_workers_starting_together_on_a_new_database_all_succeed(backend: str, tmp_path: Path) -> None:
    """Several workers start at once on an empty database (a scale-out): none fails, the schema is made once."""
    with empty_database(backend, tmp_path) as (url, schema):
        async with engines(url, schema, count=4) as made:
            await asyncio.gather(*(upgrade_to_head(engine) for engine in made))
            assert {await current_revision(engine) for engine in made} == {head_revision()}
            async with made[0].connect() as conn:
                assert {"payouts", "outbox", "outcomes"} <= await conn.run_sync(table_names)
        assert await differences_from_models(url, schema) == []


@pytest.mark.parametrize("kind", ["sqlite_today", "postgresql_today"])
async def test_workers_upgrading_an_old_database_together_convert_the_amounts_once(kind: str, tmp_path: Path) -> None:
    """The conversion multiplies by 100: run twice it would pay 10,000 times over. The lock makes it once."""
    with legacy_database(kind, tmp_path) as (url, schema):
        async with engines(url, schema, count=4) as made:
            await asyncio.gather(*(upgrade_to_head(engine) for engine in made))
            payouts, outcomes = await stored_minor_units(made[0])
    assert payouts == {key: int(amount * 100) for key, amount in EXACT_PAYOUTS.items()}
    assert outcomes == {key: int(total * 100) for key, total in EXACT_OUTCOMES.items()}


async def test_the_exact_money_revision_downgrades_and_upgrades_without_loss(tmp_path: Path) -> None:
    with legacy_database("sqlite_today", tmp_path) as (url, schema):
        engine = make_engine(url, schema=schema)
        try:
            await upgrade_to_head(engine)
            async with schema_lock(engine) as conn:
                await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0001_baseline"))
            assert await current_revision(engine) == "0001_baseline"
            await upgrade_to_head(engine)
            payouts, _ = await stored_minor_units(engine)
        finally:
            await engine.dispose()
    assert payouts == {key: int(amount * 100) for key, amount in EXACT_PAYOUTS.items()}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_request_keys_revision_downgrades_and_upgrades(backend: str, tmp_path: Path) -> None:
    """0003 adds the HTTP API's `request_keys` (one key per endpoint, caller and complaint) and nothing else."""
    with empty_database(backend, tmp_path) as (url, schema):
        async with engines(url, schema) as (engine,):
            await upgrade_to_head(engine)
            async with schema_lock(engine) as conn:
                await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0002_exact_money"))
            async with engine.connect() as conn:
                assert await conn.run_sync(table_names) == {"alembic_version", "payouts", "outbox", "outcomes"}
            await upgrade_to_head(engine)
            assert await current_revision(engine) == head_revision()
            row = {
                "scope": "messages",
                "caller": "crm",
                "complaint_id": "C-1",
                "idempotency_key": "k-1",
                "body_sha256": "0" * 64,
                "created_at": SINCE,
            }
            async with engine.begin() as conn:
                await conn.execute(insert(REQUEST_KEYS).values(row))
                await conn.execute(insert(REQUEST_KEYS).values({**row, "complaint_id": "C-2"}))
            with pytest.raises(IntegrityError):
                async with engine.begin() as conn:
                    await conn.execute(insert(REQUEST_KEYS).values({**row, "body_sha256": "1" * 64}))
        assert await differences_from_models(url, schema) == []


async def test_a_failed_upgrade_on_sqlite_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    """The whole upgrade is one transaction on SQLite too: payouts converted, then outcomes' rebuild fails."""
    with legacy_database("sqlite_today", tmp_path) as (url, schema):
        with sqlite3.connect(tmp_path / "app.db") as conn:
            conn.execute("CREATE TABLE _alembic_tmp_outcomes (id INTEGER)")  # in the way of the batch rebuild
        async with engines(url, schema) as (engine,):
            with pytest.raises(OperationalError, match="_alembic_tmp_outcomes already exists"):
                await upgrade_to_head(engine)
            assert await current_revision(engine) is None
        with sqlite3.connect(tmp_path / "app.db") as conn:
            assert "alembic_version" not in {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
            amounts = dict(conn.execute("SELECT idempotency_key, amount FROM payouts").fetchall())
            assert amounts["complaint-L-2:proposal-1"] == 19.99 and type(amounts["complaint-L-2:proposal-1"]) is float
            conn.execute("DROP TABLE _alembic_tmp_outcomes")
        async with engines(url, schema) as (engine,):
            await upgrade_to_head(engine)
            payouts, _ = await stored_minor_units(engine)
    assert payouts == {key: int(amount * 100) for key, amount in EXACT_PAYOUTS.items()}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_incidents_revision_downgrades_and_upgrades(backend: str, tmp_path: Path) -> None:
    """0004 adds the incident tables and nothing else; down and up again leaves the models' schema."""
    incident_tables = {"incidents", "incident_customers", "incident_budget_moves"}
    with empty_database(backend, tmp_path) as (url, schema):
        async with engines(url, schema) as (engine,):
            await upgrade_to_head(engine)
            async with schema_lock(engine) as conn:
                await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0003_request_keys"))
            async with engine.connect() as conn:
                assert not await conn.run_sync(table_names) & incident_tables
            await upgrade_to_head(engine)
            async with engine.connect() as conn:
                assert await conn.run_sync(table_names) >= incident_tables
        assert await differences_from_models(url, schema) == []

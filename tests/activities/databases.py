"""Databases for the migration and money tests: empty ones, and ones made before the migrations.

An empty database is a fresh SQLite file or a scratch PostgreSQL schema. A legacy one is
built from `legacy_schema/*.sql` (the DDL the code ran before Alembic) and holds rows with
amounts that a REAL cannot store exactly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.db import make_engine
from activities.migrate import app_schema
from complaints.payout import PayoutRequest, payout_key
from complaints.remedies import RemedyItem
from tests.fixtures_activities import scratch_postgres_schema

LEGACY_SCHEMA = Path(__file__).with_name("legacy_schema")
BACKENDS = ("sqlite", "postgresql")
LEGACY = ("sqlite_today", "sqlite_first_shipped", "postgresql_today", "postgresql_first_shipped")

# Key -> (amount as the old code stored it, category). 0.1 + 0.2 is what a float sum leaves behind.
LEGACY_PAYOUTS: dict[str, tuple[str, str | None]] = {
    "complaint-L-1:proposal-1": ("0.1", "billing"),
    "complaint-L-2:proposal-1": ("19.99", "delivery"),
    "complaint-L-3:proposal-1": ("45216.01", "billing"),
    "complaint-L-4:proposal-1": ("1234567.89", "product"),
    "complaint-L-5:proposal-1": ("0.30000000000000004", None),  # written before payouts had a category
}
EXACT_PAYOUTS = {
    "complaint-L-1:proposal-1": Decimal("0.10"),
    "complaint-L-2:proposal-1": Decimal("19.99"),
    "complaint-L-3:proposal-1": Decimal("45216.01"),
    "complaint-L-4:proposal-1": Decimal("1234567.89"),
    "complaint-L-5:proposal-1": Decimal("0.30"),
}
LEGACY_OUTCOMES = {"complaint-L-2": "19.99", "complaint-L-4": "1234567.89", "complaint-L-6": "0.1"}
EXACT_OUTCOMES = {
    "complaint-L-2": Decimal("19.99"),
    "complaint-L-4": Decimal("1234567.89"),
    "complaint-L-6": Decimal("0.10"),
}
LEGACY_OUTBOX = ("complaint-L-1:acknowledgement", "complaint-L-2:acknowledgement")
WHEN = "2026-11-20 09:30:00.000000"


@contextmanager
def empty_database(backend: str, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(SQLAlchemy URL, schema) of an empty database: a new SQLite file or a scratch PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", None
    else:
        with scratch_postgres_schema("cf_money") as (url, schema):
            yield url, schema


@contextmanager
def legacy_database(kind: str, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """A database made by the code before the migrations (`kind` names the DDL file), with rows."""
    ddl = (LEGACY_SCHEMA / f"{kind}.sql").read_text(encoding="utf-8")
    first_shipped = kind.endswith("first_shipped")
    backend = kind.split("_")[0]
    with empty_database(backend, tmp_path) as (url, schema):
        statements = [*ddl_statements(ddl), *legacy_rows(first_shipped)]
        if backend == "sqlite":
            with sqlite3.connect(tmp_path / "app.db") as conn:
                for statement in statements:
                    conn.execute(statement)
        else:
            plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f'SET search_path TO "{schema}"')
                for statement in statements:
                    conn.execute(statement.encode())
        yield url, schema


def ddl_statements(ddl: str) -> list[str]:
    lines = [line for line in ddl.splitlines() if not line.startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]


def legacy_rows(first_shipped: bool) -> list[str]:
    """INSERTs with the amounts as literals, so SQLite stores them as the REALs the old code wrote."""
    rows = []
    for key, (amount, category) in LEGACY_PAYOUTS.items():
        workflow_id = key.split(":")[0]
        columns = "idempotency_key, complaint_id, workflow_id, customer_id, amount, currency, items, approved_by, "
        columns += "policy_version, created_at" + ("" if first_shipped else ", category")
        values = f"'{key}', '{workflow_id.removeprefix('complaint-')}', '{workflow_id}', 'cust-77', {amount}, 'GBP', "
        values += f"'[]', 'auto', '2026-11-a/v1', '{WHEN}'" + ("" if first_shipped else f", {sql_text(category)}")
        rows.append(f"INSERT INTO payouts ({columns}) VALUES ({values})")
    for workflow_id, total in LEGACY_OUTCOMES.items():
        rows.append(
            "INSERT INTO outcomes (workflow_id, complaint_id, customer_id, category, priority, outcome, remedy_total, "
            "currency, paid, received_at, closed_at, reopened, investigation_escalated, recorded_at) VALUES "
            f"('{workflow_id}', '{workflow_id.removeprefix('complaint-')}', 'cust-77', 'billing', 'normal', "
            f"'resolved', {total}, 'GBP', TRUE, '{WHEN}', '{WHEN}', FALSE, FALSE, '{WHEN}')"
        )
    for key in LEGACY_OUTBOX:
        rows.append(
            "INSERT INTO outbox (idempotency_key, kind, recipient, subject, message_id, status, attempts, created_at) "
            f"VALUES ('{key}', 'acknowledgement', 'ada@example.com', 'Hello', '<{key}@x>', 'sent', 1, '{WHEN}')"
        )
    return rows


def sql_text(value: str | None) -> str:
    return "NULL" if value is None else f"'{value}'"


@asynccontextmanager
async def engines(url: str, schema: str | None, count: int = 1) -> AsyncIterator[list[AsyncEngine]]:
    """`count` engines on one database, as that many worker processes would have; disposed afterwards."""
    made = [make_engine(url, schema=schema) for _ in range(count)]
    try:
        yield made
    finally:
        for engine in made:
            await engine.dispose()


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names(schema=app_schema(conn)))


def payout_request(
    workflow_id: str, amount: str, version: int = 1, customer_id: str = "cust-77", currency: str = "GBP"
) -> PayoutRequest:
    return PayoutRequest(
        idempotency_key=payout_key(workflow_id, version),
        complaint_id=workflow_id.removeprefix("complaint-"),
        workflow_id=workflow_id,
        customer_id=customer_id,
        amount=Decimal(amount),
        currency=currency,
        items=[RemedyItem(kind="goodwill", amount=Decimal(amount), reason="Goodwill.")],
        approved_by="auto",
        policy_version="2026-1/v1",
    )

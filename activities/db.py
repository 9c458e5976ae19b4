"""The relational store behind the activities (payout ledger, outbox, outcome records) and the
HTTP API's idempotency keys.

SQLAlchemy 2 declarative tables over an async engine, so the same code runs on the
default SQLite file (via aiosqlite) and on PostgreSQL (via psycopg 3) in production.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.schema import Table

from complaints.dates import as_utc as as_utc  # the one as_utc; the stores and the finance API import it here

SQLITE_BUSY_TIMEOUT_MS = 10_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class PayoutRow(Base):
    """One row per payout ever made; the unique key is what makes payment exactly-once."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    complaint_id: Mapped[str] = mapped_column(String(100), index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str] = mapped_column(String(100), index=True)
    category: Mapped[str | None] = mapped_column(String(50), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    approved_by: Mapped[str] = mapped_column(String(100))
    policy_version: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxRow(Base):
    """Every message we meant to send, so a retried activity never mails twice."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(50))
    customer_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OutcomeRow(Base):
    """The learning record written once when a case closes; reports read these."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    complaint_id: Mapped[str] = mapped_column(String(100), index=True)
    customer_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(50), index=True)
    priority: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(30))
    root_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    recurring: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    severity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remedy_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    paid: Mapped[bool] = mapped_column(Boolean)
    csat: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reopened: Mapped[bool] = mapped_column(Boolean)
    investigation_escalated: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RequestKeyRow(Base):
    """One row per `Idempotency-Key` the HTTP API was sent, scoped by endpoint, calling system and
    complaint: the hash of the request it came with and, once final, the answer given to it.

    A request with the same key and body gets the stored answer; another body gets 409.
    """

    __tablename__ = "request_keys"
    __table_args__ = (UniqueConstraint("scope", "caller", "complaint_id", "idempotency_key", name="uq_request_keys"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(100))  # the endpoint, e.g. `messages`
    caller: Mapped[str] = mapped_column(String(100))  # the calling system (its API key's name)
    complaint_id: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    body_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None until the answer is final
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _sqlite_on_connect(dbapi_connection: Any, _: Any) -> None:
    """WAL lets readers run beside the writer; busy_timeout makes writers queue, not fail."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, schema: str | None = None) -> AsyncEngine:
    """An async engine for the URL; `schema` puts the tables in a PostgreSQL schema (tests)."""
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    if schema is not None:
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


# Columns added after a table first shipped: nullable, so adding them to an existing
# database is safe. Anything beyond adding nullable columns calls for Alembic migrations.
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"payouts": ("category",), "outbox": ("customer_id",)}

# Any fixed 64-bit number works; it only has to be the same in every worker.
SCHEMA_LOCK_KEY = 0x436F6D706C61696E  # "Complain"
CREATE_TABLES_ATTEMPTS = 3


async def create_tables(engine: AsyncEngine) -> None:
    """Idempotent: creates what is missing and adds the columns of `ADDED_COLUMNS` to old tables.

    Safe when several workers start at once. On PostgreSQL a transaction-scoped advisory
    lock lets one create the tables while the others wait. SQLite has no such lock: a
    worker that loses the race between its check and its CREATE fails once, and its
    second pass finds the tables there.
    """
    for attempt in range(1, CREATE_TABLES_ATTEMPTS + 1):
        try:
            async with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
                await conn.run_sync(Base.metadata.create_all)
                await conn.run_sync(_add_missing_columns)
            return
        except DBAPIError:
            if attempt == CREATE_TABLES_ATTEMPTS:
                raise
            await asyncio.sleep(0.2 * attempt)


def _add_missing_columns(conn: Connection) -> None:
    schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
    for table_name, columns in ADDED_COLUMNS.items():
        table = Base.metadata.tables[table_name]
        present = {column["name"] for column in inspect(conn).get_columns(table_name, schema=schema)}
        for name in columns:
            if name not in present:
                column = table.c[name]
                kind = column.type.compile(dialect=conn.dialect)
                target = f"{schema}.{table_name}" if schema else table_name
                conn.execute(text(f"ALTER TABLE {target} ADD COLUMN {name} {kind}"))


async def insert_or_ignore(conn: AsyncConnection, table: Table, values: dict[str, Any], key: str) -> bool:
    """Insert unless a row with the same unique `key` exists; True if this call inserted it.

    ON CONFLICT DO NOTHING where the dialect has it (no error, no aborted transaction
    under concurrent retries); a caught IntegrityError elsewhere.
    """
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        dialect_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = (
            dialect_insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[key])
            .returning(table.c[key])  # rowcount is unreliable here across drivers; a returned row is not
        )
        return (await conn.execute(statement)).first() is not None
    try:
        async with conn.begin_nested():
            await conn.execute(insert(table).values(**values))
    except IntegrityError:
        return False
    return True

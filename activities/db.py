"""The relational store behind the activities (payout ledger, outbox, outcome records, incidents
and their budgets) and the HTTP API's idempotency keys.

SQLAlchemy 2 declarative tables over an async engine, so the same code runs on the
default SQLite file (via aiosqlite) and on PostgreSQL (via psycopg 3) in production.
The schema itself is made by the Alembic migrations (`activities/migrate.py`): a change to
these tables needs a new revision there. Money is stored exactly, as integer minor units.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    insert,
    make_url,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.schema import Table

from complaints.dates import as_utc as as_utc  # the one as_utc; the stores and the finance API import it here

SQLITE_BUSY_TIMEOUT_MS = 10_000


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_minor_units(amount: Decimal) -> int:
    """19.99 -> 1999. Refuses what is not a whole number of cents: money is never rounded silently."""
    minor = Decimal(amount).scaleb(2)
    if not minor.is_finite() or minor != minor.to_integral_value():
        raise ValueError(f"{amount!r} is not a whole number of cents")
    return int(minor)


def from_minor_units(minor: int | Decimal) -> Decimal:
    """1999 -> Decimal("19.99"): always two places, never through a float."""
    whole = Decimal(minor)
    if not whole.is_finite() or whole != whole.to_integral_value():
        raise ValueError(f"{minor!r} is not a whole number of minor units")
    return whole.scaleb(-2)


class Money(TypeDecorator[Decimal]):
    """A `Decimal` with two places in Python, an exact BIGINT of minor units (cents) in the database.

    SQLite has no exact decimal (NUMERIC stores a REAL there), so sums and caps compare
    integers on every backend. The currency lives in a column of its own.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        return None if value is None else to_minor_units(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_minor_units(value)


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
    amount: Mapped[Decimal] = mapped_column(Money())
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
    # what the message said, kept for the case file (None: rendered before bodies were kept)
    text_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    html_body: Mapped[str | None] = mapped_column(Text, nullable=True)


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
    remedy_total: Mapped[Decimal] = mapped_column(Money())
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


class IncidentRow(Base):
    """One row per incident: its budget and what is committed against it (reserved + paid).

    A reserve is one conditional UPDATE (`committed + x <= budget`), so however many cases
    answer at once the budget is never exceeded, on SQLite and on PostgreSQL alike.
    """

    __tablename__ = "incidents"

    incident_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    declared_by: Mapped[str] = mapped_column(String(100))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    declaration: Mapped[dict[str, Any]] = mapped_column(JSON)  # the current scheme version inside
    currency: Mapped[str] = mapped_column(String(3))
    budget: Mapped[Decimal] = mapped_column(Money())
    committed: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class AffectedRow(Base):
    """One affected customer of one incident: listed, assessed, offered, answered, paid."""

    __tablename__ = "incident_customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_key: Mapped[str] = mapped_column(String(200), unique=True)  # "<incident>/<customer>": one row each
    incident_id: Mapped[str] = mapped_column(String(40), index=True)
    customer_id: Mapped[str] = mapped_column(String(100))
    row: Mapped[int] = mapped_column(Integer)  # its line in the file it came from
    source: Mapped[str] = mapped_column(String(20), default="list")  # list | complaint
    customer: Mapped[dict[str, Any]] = mapped_column(JSON)
    scheme_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # assessed under
    eligible: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    band: Mapped[str | None] = mapped_column(String(100), nullable=True)
    refusal: Mapped[str | None] = mapped_column(Text, nullable=True)
    offer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    case_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="listed")
    reserved: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BudgetMoveRow(Base):
    """Every budget move applied, by its key: a retried move finds its row and changes nothing."""

    __tablename__ = "incident_budget_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(250), unique=True)
    incident_id: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money())
    fits: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _sqlite_on_connect(dbapi_connection: Any, _: Any) -> None:
    """WAL lets readers run beside the writer; busy_timeout makes writers queue, not fail."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def missing_sqlite_file(url: str) -> str | None:
    """The SQLite file's path if it does not exist yet, else None (always None for other backends).

    Commands that only read check this first: connecting would create an empty file, which is
    the worker's to create (with the migrations).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return parsed.database
    return None


def make_engine(url: str, schema: str | None = None) -> AsyncEngine:
    """An async engine for the URL; `schema` puts the tables in a PostgreSQL schema (tests)."""
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    if schema is not None:
        engine = engine.execution_options(schema_translate_map={None: schema})
    return engine


class WriteGate:
    """One SQLite writer at a time in this process, first come first served, urgent ones first.

    SQLite takes one writer at a time; left to its busy timeout, concurrent writers sleep and
    poll, and under a burst of sends a message's sent mark waited seconds behind other
    messages' first writes. That gap, between the mail server's 250 and the mark, is the
    only window in which a killed worker mails twice: queued here, the mark (`urgent`) waits
    for at most the one transaction in progress.
    """

    def __init__(self) -> None:
        self._turn = asyncio.Condition()
        self._busy = False
        self._urgent_waiting = 0

    @asynccontextmanager
    async def held(self, *, urgent: bool) -> AsyncIterator[None]:
        async with self._turn:
            self._urgent_waiting += urgent
            try:
                await self._turn.wait_for(lambda: not self._busy and (urgent or not self._urgent_waiting))
            finally:
                self._urgent_waiting -= urgent
            self._busy = True
        try:
            yield
        finally:
            async with self._turn:
                self._busy = False
                self._turn.notify_all()


_GATES: dict[tuple[int, int], WriteGate] = {}


@asynccontextmanager
async def writing(engine: AsyncEngine, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
    """`engine.begin()` for a short write; on SQLite, through the process's write gate (above).

    PostgreSQL takes concurrent writers itself, so there it is `engine.begin()` alone.
    """
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            yield conn
        return
    key = (id(engine.sync_engine.pool), id(asyncio.get_running_loop()))
    gate = _GATES.setdefault(key, WriteGate())
    async with gate.held(urgent=urgent), engine.begin() as conn:
        yield conn


async def insert_new(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]], key: str) -> set[Any]:
    """Insert the rows whose unique `key` is not taken, in one statement: the keys this call inserted.

    Where another transaction is inserting the same key, PostgreSQL waits for it to end; give
    the rows in one order (sorted by key) so that two such inserts cannot wait on each other.
    """
    if not rows:
        return set()
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return {row[key] for row in rows if await insert_or_ignore(conn, table, row, key)}
    dialect_insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement = (
        dialect_insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[key])
        .returning(table.c[key])  # rowcount is unreliable here across drivers; the returned keys are not
    )
    return set((await conn.execute(statement)).scalars())


async def insert_or_ignore(conn: AsyncConnection, table: Table, values: dict[str, Any], key: str) -> bool:
    """Insert unless a row with the same unique `key` exists; True if this call inserted it.

    ON CONFLICT DO NOTHING where the dialect has it (no error, no aborted transaction
    under concurrent retries); a caught IntegrityError elsewhere.
    """
    if conn.dialect.name in ("sqlite", "postgresql"):
        return bool(await insert_new(conn, table, [values], key))
    try:
        async with conn.begin_nested():
            await conn.execute(insert(table).values(**values))
    except IntegrityError:
        return False
    return True

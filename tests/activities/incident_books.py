"""The incident tables on SQLite and PostgreSQL for the store's tests: one migrated database per
backend and module, and the incidents, customers and budget moves the tests build in it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.db import AffectedRow, BudgetMoveRow, IncidentRow
from activities.incident_store import IncidentStore
from complaints.affected import AffectedCustomer, ListedCustomer
from complaints.incident import IncidentDeclaration, case_id_for
from complaints.incident_records import (
    BudgetMove,
    BudgetMoveKind,
    IncidentOpening,
)
from complaints.scheme import Band, BandRemedy, Measure, Scheme

ROOT = Path(__file__).resolve().parents[2]
RACERS = 4
DECLARED_AT = datetime(2026, 11, 3, 19, 0, tzinfo=UTC)
_incidents = cast(Table, IncidentRow.__table__)
_affected = cast(Table, AffectedRow.__table__)
_moves = cast(Table, BudgetMoveRow.__table__)
RESERVE, PAY, RELEASE = BudgetMoveKind.RESERVE, BudgetMoveKind.PAY, BudgetMoveKind.RELEASE


@dataclass(frozen=True)
class Database:
    url: str
    schema: str | None
    engine: AsyncEngine


# -- the incident and its customers ------------------------------------------------------------------


def scheme(budget: str = "1000.00") -> Scheme:
    bands = (
        Band(
            name="short",
            measure=Measure.HOURS_WITHOUT_SERVICE,
            below=Decimal("4"),
            remedy=BandRemedy(credit=Decimal("5.00")),
        ),
        Band(
            name="long",
            measure=Measure.HOURS_WITHOUT_SERVICE,
            at_least=Decimal("4"),
            remedy=BandRemedy(credit=Decimal("20.00")),
        ),
    )
    return Scheme(bands=bands, cap_per_customer=Decimal("100.00"), budget=Decimal(budget))


def declaration(incident_id: str, budget: str = "1000.00", version: int = 1) -> IncidentDeclaration:
    return IncidentDeclaration(
        id=incident_id,
        title="The broadband outage",
        description="Our network was down for most of a day.",
        started_at=datetime(2026, 11, 2, 6, tzinfo=UTC),
        ended_at=datetime(2026, 11, 3, 18, tzinfo=UTC),
        products=("broadband",),
        categories=("service",),
        fault="ours",
        declared_by="ops.lead",
        scheme=scheme(budget).model_copy(update={"version": version}),
    )


def listed(*customer_ids: str, first_row: int = 2, hours: str = "5") -> list[ListedCustomer]:
    return [
        ListedCustomer(
            row=first_row + number,
            customer=AffectedCustomer(
                customer_id=customer_id,
                name=f"Customer {customer_id}",
                email=f"{customer_id}@example.com",
                product="broadband",
                hours_without_service=Decimal(hours),
            ),
        )
        for number, customer_id in enumerate(customer_ids)
    ]


async def new_incident(store: IncidentStore, budget: str = "1000.00") -> str:
    incident_id = f"INC-{uuid.uuid4().hex[:12]}"
    assert await store.open(IncidentOpening(declaration=declaration(incident_id, budget), declared_at=DECLARED_AT))
    return incident_id


async def with_offered_customers(store: IncidentStore, count: int, budget: str = "1000.00") -> tuple[str, list[str]]:
    """An incident with `count` customers, each offered (a case id): ready for budget moves."""
    incident_id = await new_incident(store, budget)
    customer_ids = [f"c-{number}" for number in range(count)]
    assert (await store.stage(incident_id, listed(*customer_ids))).added == count
    await store.mark_offered(incident_id, {c: case_id_for(incident_id, c) for c in customer_ids})
    return incident_id, customer_ids


def move(
    incident_id: str, customer_id: str, key: str, kind: BudgetMoveKind, amount: str = "0", **more: Any
) -> BudgetMove:
    """A move for the customer's case, as its workflow sends it; one key namespace for every incident."""
    case_id = more.pop("case_id", case_id_for(incident_id, customer_id))
    return BudgetMove(
        incident_id=incident_id,
        case_id=case_id,
        customer_id=customer_id,
        key=f"{incident_id}:{key}",
        kind=kind,
        amount=Decimal(amount),
        **more,
    )


async def committed(database: Database, incident_id: str) -> Decimal:
    async with database.engine.connect() as conn:
        found = await conn.execute(select(_incidents.c.committed).where(_incidents.c.incident_id == incident_id))
        return cast(Decimal, found.scalar_one())


async def holds(database: Database, incident_id: str) -> dict[str, tuple[Decimal, Decimal]]:
    """customer id -> (reserved, paid), as the customers' rows hold them."""
    async with database.engine.connect() as conn:
        rows = await conn.execute(
            select(_affected.c.customer_id, _affected.c.reserved, _affected.c.paid).where(
                _affected.c.incident_id == incident_id
            )
        )
        return {customer_id: (reserved, paid) for customer_id, reserved, paid in rows}


async def recorded_moves(database: Database, incident_id: str) -> list[tuple[str, str, bool]]:
    async with database.engine.connect() as conn:
        rows = await conn.execute(
            select(_moves.c.key, _moves.c.case_id, _moves.c.fits).where(_moves.c.incident_id == incident_id)
        )
        return [(key, case_id, bool(fits)) for key, case_id, fits in rows]

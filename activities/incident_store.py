"""Incidents in the app database: the affected customers, their offers and the one budget.

The list is staged here (never in a workflow's history) and read in pages. Every budget
move is applied once per key, and a reserve is a single conditional UPDATE on the incident's
row (`committed + amount <= budget`): concurrent cases cannot together exceed the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.schema import Table

from activities.db import AffectedRow, BudgetMoveRow, IncidentRow, insert_or_ignore, utcnow, writing
from activities.incident_budget import IncidentBudget, listing_key
from activities.incident_figures import IncidentFigures, money_sum
from complaints.affected import AffectedCustomer, ListedCustomer
from complaints.incident import IncidentDeclaration
from complaints.incident_records import AffectedStatus, IncidentOpening
from complaints.intake import ComplaintInput
from complaints.remedies import Proposal
from complaints.scheme import Assessment

ZERO = Decimal("0")
_incidents = cast(Table, IncidentRow.__table__)
_affected = cast(Table, AffectedRow.__table__)
_moves = cast(Table, BudgetMoveRow.__table__)


class StoredCustomer(BaseModel):
    row: int
    customer: AffectedCustomer
    source: str
    scheme_version: int | None
    eligible: bool | None
    band: str | None
    refusal: str | None
    offer: Proposal | None
    case_id: str | None
    status: AffectedStatus


class StagingResult(BaseModel):
    added: int
    already_listed: list[str]  # customer ids listed by an earlier upload


def _stored(row: Any) -> StoredCustomer:
    return StoredCustomer(
        row=row.row,
        customer=AffectedCustomer.model_validate(row.customer),
        source=row.source,
        scheme_version=row.scheme_version,
        eligible=row.eligible,
        band=row.band,
        refusal=row.refusal,
        offer=None if row.offer is None else Proposal.model_validate(row.offer),
        case_id=row.case_id,
        status=AffectedStatus(row.status),
    )


class IncidentStore(IncidentBudget):
    """The incident, its affected customers and (from `IncidentBudget`) its one budget."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.figures = IncidentFigures(engine)  # what `incident show` and `incident list` print

    # -- the incident ---------------------------------------------------------------------------------

    async def open(self, opening: IncidentOpening) -> bool:
        """Write the incident's row once; True if this call wrote it."""
        declaration = opening.declaration
        values = {
            "incident_id": declaration.id,
            "title": declaration.title,
            "declared_by": declaration.declared_by,
            "declared_at": opening.declared_at,
            "declaration": declaration.model_dump(mode="json"),
            "currency": declaration.scheme.currency,
            "budget": declaration.scheme.budget,
            "committed": ZERO,
            "status": "open",
        }
        async with writing(self._engine) as conn:
            return await insert_or_ignore(conn, _incidents, values, key="incident_id")

    async def declaration(self, incident_id: str) -> IncidentDeclaration | None:
        async with self._engine.connect() as conn:
            found = (
                await conn.execute(select(_incidents.c.declaration).where(_incidents.c.incident_id == incident_id))
            ).scalar_one_or_none()
        return None if found is None else IncidentDeclaration.model_validate(found)

    async def open_declarations(self) -> list[IncidentDeclaration]:
        """Every incident not yet closed, as declared now: what a complaint naming none is matched against."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(_incidents.c.declaration).where(_incidents.c.status == "open"))).scalars()
            return [IncidentDeclaration.model_validate(row) for row in rows]

    async def amend(self, declaration: IncidentDeclaration) -> None:
        """The declaration with a new scheme version (and its budget) replaces the stored one."""
        statement = (
            update(_incidents)
            .where(_incidents.c.incident_id == declaration.id)
            .values(declaration=declaration.model_dump(mode="json"), budget=declaration.scheme.budget)
        )
        async with writing(self._engine) as conn:
            await conn.execute(statement)

    async def close(self, incident_id: str, closed_at: datetime, report: dict[str, Any]) -> None:
        statement = (
            update(_incidents)
            .where(_incidents.c.incident_id == incident_id, _incidents.c.status != "closed")
            .values(status="closed", closed_at=closed_at, report=report)
        )
        async with writing(self._engine) as conn:
            await conn.execute(statement)

    # -- the affected customers -----------------------------------------------------------------------

    async def stage(self, incident_id: str, listed: Sequence[ListedCustomer], source: str = "list") -> StagingResult:
        """Insert each customer once per incident: a customer listed by an earlier upload keeps that row."""
        added, already = 0, []
        now = utcnow()
        async with writing(self._engine) as conn:
            for entry in listed:
                values = {
                    "listing_key": listing_key(incident_id, entry.customer.customer_id),
                    "incident_id": incident_id,
                    "customer_id": entry.customer.customer_id,
                    "row": entry.row,
                    "source": source,
                    "customer": entry.customer.model_dump(mode="json"),
                    "amount": ZERO,
                    "status": AffectedStatus.LISTED.value,
                    "reserved": ZERO,
                    "paid": ZERO,
                    "updated_at": now,
                }
                if await insert_or_ignore(conn, _affected, values, key="listing_key"):
                    added += 1
                else:
                    already.append(entry.customer.customer_id)
        return StagingResult(added=added, already_listed=already)

    async def stage_complaint(self, incident_id: str, complaint: ComplaintInput) -> None:
        """A customer not on the list complained about the incident: listed from their complaint."""
        customer = AffectedCustomer(
            customer_id=complaint.customer.id,
            name=complaint.customer.name,
            email=complaint.customer.email,
            language=complaint.customer.language,
            timezone=complaint.customer.timezone,
            product=complaint.product,
            proven_loss=complaint.claimed_amount,
        )
        await self.stage(incident_id, [ListedCustomer(row=0, customer=customer)], source="complaint")

    async def mark_own_case(self, incident_id: str, customer_id: str, case_id: str) -> None:
        """The customer's complaint is a case of its own: the fan-out never writes to them."""
        statement = (
            update(_affected)
            .where(_affected.c.listing_key == listing_key(incident_id, customer_id), _affected.c.case_id.is_(None))
            .values(case_id=case_id, status=AffectedStatus.COMPLAINED.value, updated_at=utcnow())
        )
        async with writing(self._engine) as conn:
            await conn.execute(statement)

    async def assessment_totals(self, incident_id: str) -> tuple[dict[str, tuple[int, Decimal]], dict[str, int]]:
        """(customers and offers' total per band of the eligible, customers per refusal of the rest)."""
        eligible = (
            select(_affected.c.band, func.count(), func.coalesce(func.sum(_affected.c.amount), 0))
            .where(_affected.c.incident_id == incident_id, _affected.c.eligible.is_(True))
            .group_by(_affected.c.band)
        )
        refused = (
            select(_affected.c.refusal, func.count())
            .where(_affected.c.incident_id == incident_id, _affected.c.eligible.is_(False))
            .group_by(_affected.c.refusal)
        )
        async with self._engine.connect() as conn:
            bands = {
                band: (int(count), money_sum(total)) for band, count, total in (await conn.execute(eligible)).all()
            }
            refusals = {str(refusal): int(count) for refusal, count in (await conn.execute(refused)).all()}
        return bands, refusals

    async def find(self, incident_id: str, customer_id: str) -> StoredCustomer | None:
        key = listing_key(incident_id, customer_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(_affected).where(_affected.c.listing_key == key))).one_or_none()
        return None if row is None else _stored(row)

    async def not_offered_under(self, incident_id: str, scheme_version: int, limit: int) -> list[StoredCustomer]:
        """Customers not offered yet whose assessment is missing or from another scheme version."""
        statement = (
            select(_affected)
            .where(
                _affected.c.incident_id == incident_id,
                _affected.c.case_id.is_(None),
                (_affected.c.scheme_version.is_(None)) | (_affected.c.scheme_version != scheme_version),
            )
            .order_by(_affected.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_stored(row) for row in (await conn.execute(statement)).all()]

    async def save_assessments(self, incident_id: str, assessed: Sequence[tuple[str, Assessment]]) -> None:
        async with writing(self._engine) as conn:
            for customer_id, assessment in assessed:
                values = {
                    "scheme_version": assessment.scheme_version,
                    "eligible": assessment.eligible,
                    "band": assessment.band,
                    "refusal": assessment.refusal,
                    "offer": None if assessment.offer is None else assessment.offer.model_dump(mode="json"),
                    "amount": assessment.amount,
                    "updated_at": utcnow(),
                }
                key = listing_key(incident_id, customer_id)
                await conn.execute(
                    update(_affected)
                    .where(_affected.c.listing_key == key, _affected.c.case_id.is_(None))
                    .values(values)
                )

    async def next_to_offer(self, incident_id: str, scheme_version: int, limit: int) -> list[StoredCustomer]:
        statement = (
            select(_affected)
            .where(
                _affected.c.incident_id == incident_id,
                _affected.c.case_id.is_(None),
                _affected.c.eligible.is_(True),
                _affected.c.scheme_version == scheme_version,
            )
            .order_by(_affected.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_stored(row) for row in (await conn.execute(statement)).all()]

    async def mark_offered(self, incident_id: str, cases: dict[str, str]) -> None:
        """These customers (id: their case id) have their case: in one transaction, each once."""
        if not cases:
            return
        statement = (
            update(_affected)
            .where(_affected.c.listing_key == bindparam("b_key"), _affected.c.case_id.is_(None))
            .values(
                case_id=bindparam("b_case"),
                status=AffectedStatus.OFFERED.value,
                offered_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        rows = [
            {"b_key": listing_key(incident_id, customer_id), "b_case": case_id}
            for customer_id, case_id in cases.items()
        ]
        async with writing(self._engine) as conn:
            await conn.execute(statement, rows)

    async def eligible_totals(self, incident_id: str, scheme_version: int) -> tuple[int, Decimal, int, Decimal]:
        """(offered, their offers' total, eligible not offered, their total) under this scheme version."""
        offered = select(func.count(), func.coalesce(func.sum(_affected.c.amount), 0)).where(
            _affected.c.incident_id == incident_id,
            _affected.c.case_id.is_not(None),
            _affected.c.status != AffectedStatus.COMPLAINED.value,  # their own complaint: not an offer
        )
        waiting = select(func.count(), func.coalesce(func.sum(_affected.c.amount), 0)).where(
            _affected.c.incident_id == incident_id,
            _affected.c.case_id.is_(None),
            _affected.c.eligible.is_(True),
            _affected.c.scheme_version == scheme_version,
        )
        async with self._engine.connect() as conn:
            done_count, done_sum = (await conn.execute(offered)).one()
            wait_count, wait_sum = (await conn.execute(waiting)).one()
        return int(done_count), money_sum(done_sum), int(wait_count), money_sum(wait_sum)

"""What `complaints incident show` and `list` print from the app database: counts, money, times."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.schema import Table

from activities.db import AffectedRow, IncidentRow, as_utc
from complaints.incident_records import AffectedStatus

_incidents = cast(Table, IncidentRow.__table__)
_affected = cast(Table, AffectedRow.__table__)


class IncidentStats(BaseModel):
    """What `complaints incident show` prints from the database."""

    incident_id: str
    title: str
    status: str
    currency: str
    budget: Decimal
    reserved: Decimal
    paid: Decimal
    remaining: Decimal
    affected: int
    eligible: int
    by_status: dict[str, int]
    open_cases: int
    days_to_payment_p50: float | None
    days_to_payment_p90: float | None


class IncidentListing(BaseModel):
    incident_id: str
    title: str
    status: str
    declared_at: datetime
    currency: str
    budget: Decimal
    committed: Decimal


class IncidentFigures:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def incidents(self) -> list[IncidentListing]:
        columns = [_incidents.c[name] for name in IncidentListing.model_fields]
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(*columns).order_by(_incidents.c.declared_at.desc()))).all()
        return [
            IncidentListing.model_validate({**row._asdict(), "declared_at": as_utc(row.declared_at)}) for row in rows
        ]

    async def stats(self, incident_id: str) -> IncidentStats | None:
        async with self._engine.connect() as conn:
            incident = (
                await conn.execute(select(_incidents).where(_incidents.c.incident_id == incident_id))
            ).one_or_none()
            if incident is None:
                return None
            by_status: dict[str, int] = dict(
                (
                    await conn.execute(
                        select(_affected.c.status, func.count())
                        .where(_affected.c.incident_id == incident_id)
                        .group_by(_affected.c.status)
                    )
                ).all()
            )
            affected, eligible, reserved, paid = (
                await conn.execute(
                    select(
                        func.count(),
                        func.count().filter(_affected.c.eligible.is_(True)),
                        func.coalesce(func.sum(_affected.c.reserved), 0),
                        func.coalesce(func.sum(_affected.c.paid), 0),
                    ).where(_affected.c.incident_id == incident_id)
                )
            ).one()
            timings = (
                await conn.execute(
                    select(_affected.c.offered_at, _affected.c.paid_at).where(
                        _affected.c.incident_id == incident_id, _affected.c.paid_at.is_not(None)
                    )
                )
            ).all()
        days = sorted(_days(as_utc(paid_at) - as_utc(offered_at)) for offered_at, paid_at in timings if offered_at)
        counts = {status.value: int(by_status.get(status.value, 0)) for status in AffectedStatus}
        open_cases = sum(
            counts[s.value] for s in AffectedStatus if s not in (AffectedStatus.LISTED, AffectedStatus.CLOSED)
        )
        return IncidentStats(
            incident_id=incident_id,
            title=incident.title,
            status=incident.status,
            currency=incident.currency,
            budget=incident.budget,
            reserved=money_sum(reserved),
            paid=money_sum(paid),
            remaining=incident.budget - incident.committed,
            affected=int(affected),
            eligible=int(eligible),
            by_status=counts,
            open_cases=open_cases,
            days_to_payment_p50=_quantile(days, 0.5),
            days_to_payment_p90=_quantile(days, 0.9),
        )


def _days(span: timedelta) -> float:
    return span.total_seconds() / 86400


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1], 2)


def money_sum(minor_units_or_money: Any) -> Decimal:
    """A SUM over a Money column comes back as raw minor units (the type is not applied to it)."""
    if isinstance(minor_units_or_money, Decimal) and minor_units_or_money.as_tuple().exponent == -2:
        return minor_units_or_money
    return Decimal(int(minor_units_or_money)).scaleb(-2)

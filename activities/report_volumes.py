"""How many cases a period saw: the totals over the cases closed in it, and the cases opened and
closed per UTC day (the weekly volumes and the CSAT months are rolled up from these days).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from datetime import date

from sqlalchemy import and_, desc, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from activities.report_sql import FILES, as_date, closed_in, count_where, minor_units_sum, received_in, utc_day
from complaints.report_figures import ReportFilter


@dataclass(frozen=True)
class Totals:
    """Counts over the cases closed in the period, or on one day of it (filters applied)."""

    closed: int
    withdrawn: int
    with_findings: int  # upheld is not NULL: an investigation came to a finding
    upheld: int
    escalated_cases: int  # escalations > 0
    escalations: int
    redress_cents: int  # redress_paid in the report's currency, in cents
    reopened: int
    surveys_sent: int
    surveys_answered: int  # survey sent and a CSAT score given
    csat_responses: int
    csat_sum: int

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


NONE = Totals(*[0] * len(fields(Totals)))


@dataclass(frozen=True)
class ClosedDay:
    day: date
    totals: Totals


async def closed_by_day(conn: AsyncConnection, report: ReportFilter, currency: str) -> list[ClosedDay]:
    """Every count of the cases closed in the period, per UTC day: one scan serves the totals
    (the days summed), the weekly closed volumes and the CSAT months."""
    f = FILES.c
    day = utc_day(f.closed_at, conn.dialect.name)
    statement = (
        select(
            day,
            func.count(),
            count_where(f.outcome == "withdrawn"),
            count_where(f.upheld.is_not(None)),
            count_where(f.upheld.is_(True)),
            count_where(f.escalations > 0),
            func.coalesce(func.sum(f.escalations), 0),
            minor_units_sum(f.redress_paid, f.currency == currency),
            count_where(f.reopened.is_(True)),
            count_where(f.survey_sent.is_(True)),
            count_where(and_(f.survey_sent.is_(True), f.csat.is_not(None))),
            func.count(f.csat),
            func.coalesce(func.sum(f.csat), 0),
        )
        .where(*closed_in(report))
        .group_by(day)
    )
    return [
        ClosedDay(as_date(row[0]), Totals(*(int(value) for value in row[1:]))) for row in await conn.execute(statement)
    ]


def totals_of(days: list[ClosedDay]) -> Totals:
    return sum((day.totals for day in days), NONE)


async def opened_by_day(conn: AsyncConnection, report: ReportFilter) -> list[tuple[date, int]]:
    """Cases received per UTC day of the period."""
    day = utc_day(FILES.c.received_at, conn.dialect.name)
    statement = select(day, func.count()).where(*received_in(report)).group_by(day)
    return [(as_date(found), int(count)) for found, count in await conn.execute(statement)]


async def common_currency(conn: AsyncConnection, report: ReportFilter) -> str | None:
    """The currency most of the period's closed cases were in (None: no cases); ties go to the first by code."""
    f = FILES.c
    count = func.count().label("cases")
    statement = (
        select(f.currency, count).where(*closed_in(report)).group_by(f.currency).order_by(desc(count), f.currency)
    )
    row = (await conn.execute(statement.limit(1))).first()
    return None if row is None else str(row[0])

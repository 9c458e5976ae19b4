"""What the period paid: redress by remedy kind, and each category's monthly payments against its budget.

Both are over `case_redress` items paid in the period (by `paid_at`, not by when the case
closed: a budget is spent when the money moves) in the report's currency, summed as exact
integer cents. The filters reach the items through their case's row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from activities.db import from_minor_units, to_minor_units
from activities.report_sql import (
    FILES,
    REDRESS,
    as_date,
    case_conditions,
    filtered,
    minor_units_sum,
    month_of,
    months_of,
    utc_day,
    within,
)
from complaints.report_figures import BudgetFigure, RedressByKind, ReportFilter, percentage


def _paid_in(statement: Select[Any], report: ReportFilter, currency: str) -> Select[Any]:
    statement = statement.where(*within(REDRESS.c.paid_at, report), REDRESS.c.currency == currency)
    if filtered(report):  # the join only when a filter needs the case's row
        joined = REDRESS.join(FILES, FILES.c.workflow_id == REDRESS.c.workflow_id)
        statement = statement.select_from(joined).where(*case_conditions(report))
    return statement


async def redress_by_kind(conn: AsyncConnection, report: ReportFilter, currency: str) -> list[RedressByKind]:
    """Per remedy kind: the cases that were paid one (distinct) and the amount; the largest amount first."""
    statement = select(REDRESS.c.kind, func.count(distinct(REDRESS.c.workflow_id)), minor_units_sum(REDRESS.c.amount))
    rows = await conn.execute(_paid_in(statement, report, currency).group_by(REDRESS.c.kind))
    kinds = [RedressByKind(kind=kind, cases=int(cases), amount=from_minor_units(cents)) for kind, cases, cents in rows]
    return sorted(kinds, key=lambda item: (-item.amount, item.kind))


async def budgets(
    conn: AsyncConnection, report: ReportFilter, currency: str, monthly_budget: Mapping[str, Decimal] | None
) -> list[BudgetFigure]:
    """Paid per category and calendar month against that category's monthly budget (None: no rules, no budget).

    With a budget, every month of the period shows, paid or not (a month with nothing paid
    used 0 %); a category with no budget shows only the months it paid in. A period that
    starts or ends mid-month compares the part of the month inside it with the whole month's budget.
    """
    day = utc_day(REDRESS.c.paid_at, conn.dialect.name)
    statement = select(REDRESS.c.category, day, minor_units_sum(REDRESS.c.amount))
    rows = await conn.execute(_paid_in(statement, report, currency).group_by(REDRESS.c.category, day))
    paid: dict[tuple[str, date], int] = {}
    for category, found, cents in rows:
        key = (str(category), month_of(as_date(found)))
        paid[key] = paid.get(key, 0) + int(cents)
    budget_of = dict(monthly_budget or {})
    for category in budget_of:
        if report.category in (None, category):
            for month in months_of(report):
                paid.setdefault((category, month), 0)
    return [
        _figure(category, month, cents, budget_of.get(category)) for (category, month), cents in sorted(paid.items())
    ]


def _figure(category: str, month: date, cents: int, budget: Decimal | None) -> BudgetFigure:
    used = None if budget is None else percentage(cents, to_minor_units(budget))
    return BudgetFigure(category=category, month=month, paid=from_minor_units(cents), budget=budget, used_pct=used)

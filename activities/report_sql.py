"""The SQL every report query shares: the period and the filters, a UTC day, seconds between two
times, exact money sums, and rolling days up into weeks and months.

SQLite and PostgreSQL spell dates and intervals differently; these hide it, so each report
query is written once and runs on both. Queries group by UTC day in the database (a period
of two years is ~730 groups), and Python folds the days into ISO weeks and calendar months.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import BigInteger, ColumnElement, Date, Integer, Text, func, literal_column, type_coerce
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql.schema import Column, Table

from activities.archive_tables import CaseClockRow, CaseFileRow, CaseRedressRow
from activities.db import as_utc
from complaints.report_figures import ReportFilter

FILES = cast(Table, CaseFileRow.__table__)
CLOCKS = cast(Table, CaseClockRow.__table__)
REDRESS = cast(Table, CaseRedressRow.__table__)

_FILTER_COLUMNS = {
    "category": "category",
    "product": "product",
    "owner": "owner_id",
    "team": "team",
    "incident": "incident_id",
}


def case_conditions(report: ReportFilter) -> list[ColumnElement[bool]]:
    """The filters that are set, as conditions on `case_files` (every figure applies all of them)."""
    return [
        FILES.c[column] == getattr(report, name)
        for name, column in _FILTER_COLUMNS.items()
        if getattr(report, name) is not None
    ]


def filtered(report: ReportFilter) -> bool:
    return bool(case_conditions(report))


def within(column: Column[Any], report: ReportFilter) -> list[ColumnElement[bool]]:
    """`column` in [start, end), bound in UTC: SQLite compares the stored UTC text, so the bounds must be UTC too."""
    return [column >= as_utc(report.start), column < as_utc(report.end)]


def closed_in(report: ReportFilter) -> list[ColumnElement[bool]]:
    """The cases most figures are over: closed in the period, filtered."""
    return [*within(FILES.c.closed_at, report), *case_conditions(report)]


def received_in(report: ReportFilter) -> list[ColumnElement[bool]]:
    return [*within(FILES.c.received_at, report), *case_conditions(report)]


def utc_day(column: Column[Any], dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a stored time (SQLite: 'YYYY-MM-DD' text; PostgreSQL: a date)."""
    if dialect == "sqlite":
        return func.date(column)
    # The zone as a literal, not a bound parameter: PostgreSQL matches a GROUP BY expression to the
    # selected one by its text, and two bound parameters would make them differ.
    return sql_cast(func.timezone(literal_column("'UTC'"), column), Date)


def whole_seconds(start: Column[Any], end: Column[Any], dialect: str) -> ColumnElement[int]:
    """Seconds from `start` to `end`, rounded to whole ones (NULL if either is NULL); 24 h is exactly 86400."""
    if dialect == "sqlite":  # julianday is a float of days: rounding removes its last-digit noise
        return sql_cast(func.round((func.julianday(end) - func.julianday(start)) * 86400.0), Integer)
    return sql_cast(func.round(func.extract("epoch", end - start)), BigInteger)


def joined(values: ColumnElement[Any], dialect: str) -> ColumnElement[str | None]:
    """The non-NULL values of a column as one comma-separated text (NULL over no values), in no order."""
    if dialect == "sqlite":
        return func.group_concat(values, ",")
    return func.string_agg(sql_cast(values, Text), ",")


def minor_units_sum(column: Column[Any], condition: ColumnElement[bool] | None = None) -> ColumnElement[Any]:
    """The exact sum of a Money column as integer cents (0 over no rows), optionally of the rows meeting `condition`."""
    total = func.sum(type_coerce(column, BigInteger))
    return func.coalesce(total if condition is None else total.filter(condition), 0)


def count_where(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    """COUNT(*) FILTER (WHERE ...): many counts over one scan (SQLite has it since 3.30)."""
    return func.count().filter(*conditions)


def as_date(value: date | datetime | str) -> date:
    """A grouped day as a `date`, whichever way the backend returned it."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def week_of(day: date) -> date:
    """The Monday its ISO week starts on."""
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> date:
    return day.replace(day=1)


def weeks_of(report: ReportFilter) -> list[date]:
    """Every week (its Monday) the period overlaps, so a quiet week shows as 0, not as a gap."""
    first, last = week_of(as_utc(report.start).date()), as_utc(report.end - timedelta(microseconds=1)).date()
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def months_of(report: ReportFilter) -> list[date]:
    """Every calendar month the period overlaps."""
    month, last = month_of(as_utc(report.start).date()), as_utc(report.end - timedelta(microseconds=1)).date()
    months = []
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def roll_up(days: Iterable[tuple[date, int]], bucket_of: Callable[[date], date]) -> dict[date, int]:
    """Sum per-day counts into their week or month (`bucket_of` is `week_of` or `month_of`)."""
    totals: dict[date, int] = {}
    for day, count in days:
        key = bucket_of(day)
        totals[key] = totals.get(key, 0) + count
    return totals

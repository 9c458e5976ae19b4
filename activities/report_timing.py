"""How fast cases were handled: acknowledgement and resolution times (nearest-rank p50/p90), the
spread of resolution times in buckets, and how many SLA clocks and regulatory deadlines were met.

One scan computes every closed case's times to acknowledge and to resolve in the database, in
whole seconds, and sends each measure back as one comma-separated text (one row, not one per
case: fetching 100,000 rows costs more than the scan). Python sorts them and picks the
percentiles with `nearest_rank` and the buckets by bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from activities.report_sql import CLOCKS, FILES, closed_in, count_where, joined, whole_seconds
from complaints.report_figures import (
    ClockFigure,
    Percentiles,
    ReportFilter,
    ResolveBucket,
    nearest_rank,
    percentage,
)
from complaints.sla_config import ClockKind

DAY = 86_400
RESOLVE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("≤ 1 day", DAY),
    ("1-3 days", 3 * DAY),
    ("3 days-1 week", 7 * DAY),
    ("1-2 weeks", 14 * DAY),
    ("2-4 weeks", 28 * DAY),
    ("4-8 weeks", 56 * DAY),
    ("> 8 weeks", None),
)
"""(label, upper bound in seconds, inclusive): a case resolved in exactly 1 day is `≤ 1 day`, in 3 days `1-3 days`."""
_CLOCK_ORDER = [kind.value for kind in ClockKind]


@dataclass(frozen=True)
class Durations:
    """Whole seconds, ascending, over the period's closed cases that were acknowledged / resolved."""

    acknowledge: list[float]
    resolve: list[float]


async def durations(conn: AsyncConnection, report: ReportFilter) -> Durations:
    dialect, f = conn.dialect.name, FILES.c
    statement = select(
        joined(whole_seconds(f.received_at, f.acknowledged_at, dialect), dialect),
        joined(whole_seconds(f.received_at, f.resolved_at, dialect), dialect),
    ).where(*closed_in(report))
    acknowledge, resolve = (await conn.execute(statement)).one()
    return Durations(_ascending(acknowledge), _ascending(resolve))


def _ascending(text: str | None) -> list[float]:
    return sorted(map(float, text.split(","))) if text else []


def percentiles(seconds: list[float]) -> Percentiles:
    """p50/p90 in hours (two places) of ascending seconds: nearest-rank, so always a case's own time."""
    p50, p90 = (nearest_rank(seconds, fraction) for fraction in (0.5, 0.9))
    return Percentiles(count=len(seconds), p50_hours=_hours(p50), p90_hours=_hours(p90))


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def resolve_distribution(seconds: list[float]) -> list[ResolveBucket]:
    """The resolved cases by how long it took (ascending seconds in); every bucket present, 0 if empty."""
    buckets, below = [], 0
    for label, upper in RESOLVE_BUCKETS:
        within = len(seconds) if upper is None else bisect_right(seconds, upper)
        buckets.append(ResolveBucket(label=label, cases=within - below))
        below = within
    return buckets


async def clocks(conn: AsyncConnection, report: ReportFilter) -> list[ClockFigure]:
    """Per clock name over the period's closed cases: finished (met or breached) and met.

    A clock that never finished (a withdrawn case's, `met` NULL) is not counted.
    """
    met = CLOCKS.c.met
    statement = (
        select(CLOCKS.c.name, func.count(met), count_where(met.is_(True)))
        .select_from(CLOCKS.join(FILES, FILES.c.workflow_id == CLOCKS.c.workflow_id))
        .where(*closed_in(report))
        .group_by(CLOCKS.c.name)
    )
    figures = [
        ClockFigure(name=name, finished=int(finished), met=int(met), met_pct=percentage(int(met), int(finished)))
        for name, finished, met in await conn.execute(statement)
    ]
    return sorted(figures, key=_clock_order)


def _clock_order(figure: ClockFigure) -> tuple[int, str]:
    """The SLA clocks in the order a case meets them, then the regulatory deadlines by name."""
    known = _CLOCK_ORDER.index(figure.name) if figure.name in _CLOCK_ORDER else len(_CLOCK_ORDER)
    return known, figure.name

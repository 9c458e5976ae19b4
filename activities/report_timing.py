"""How fast cases were handled: acknowledgement and resolution times (nearest-rank p50/p90), the
spread of resolution times in buckets, and how many SLA clocks and regulatory deadlines were met.

Durations are computed in the database (whole seconds) and the percentiles picked there by
rank, so a period of 100,000 cases sends two numbers back, not 100,000 times.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import Column

from activities.report_sql import CLOCKS, FILES, closed_in, count_where, seconds_between
from complaints.report_figures import ClockFigure, Percentiles, ReportFilter, ResolveBucket, percentage
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
FRACTIONS = (0.5, 0.9)
_CLOCK_ORDER = [kind.value for kind in ClockKind]


def rank_of(count: int, fraction: float) -> int:
    """The 1-based nearest rank: the same arithmetic as `nearest_rank`, so the database picks the same value."""
    return int(max(1, -(-count * fraction // 1)))


def hours(seconds: Any) -> float:
    return round(float(seconds) / 3600, 2)


async def percentiles(
    conn: AsyncConnection, report: ReportFilter, start: Column[Any], end: Column[Any], count: int
) -> Percentiles:
    """p50/p90 of `end - start` in hours over the period's closed cases that have `end` (`count` of them)."""
    if count == 0:
        return Percentiles(count=0, p50_hours=None, p90_hours=None)
    seconds = seconds_between(start, end, conn.dialect.name)
    ranked = (
        select(seconds.label("seconds"), func.row_number().over(order_by=seconds).label("rank"))
        .where(*closed_in(report), end.is_not(None))
        .subquery()
    )
    ranks = {fraction: rank_of(count, fraction) for fraction in FRACTIONS}
    picked = select(ranked.c.rank, ranked.c.seconds).where(ranked.c.rank.in_(ranks.values()))
    found = dict((await conn.execute(picked)).all())
    p50, p90 = (hours(found[ranks[fraction]]) for fraction in FRACTIONS)
    return Percentiles(count=count, p50_hours=p50, p90_hours=p90)


async def resolve_distribution(conn: AsyncConnection, report: ReportFilter) -> list[ResolveBucket]:
    """Closed cases with a resolution, by how long it took; every bucket present (0 if empty).

    The bucket is one CASE over the seconds, so each row's duration is computed about once
    (seven FILTER counts would compute it up to fourteen times a row).
    """
    seconds = seconds_between(FILES.c.received_at, FILES.c.resolved_at, conn.dialect.name)
    bounds = [(seconds <= upper, n) for n, (_, upper) in enumerate(RESOLVE_BUCKETS) if upper is not None]
    bucket = case(*bounds, else_=len(RESOLVE_BUCKETS) - 1).label("bucket")
    inner = select(bucket).where(*closed_in(report), FILES.c.resolved_at.is_not(None)).subquery()
    grouped = select(inner.c.bucket, func.count()).group_by(inner.c.bucket)
    counts: dict[int, int] = {int(n): int(cases) for n, cases in await conn.execute(grouped)}
    return [ResolveBucket(label=label, cases=counts.get(n, 0)) for n, (label, _) in enumerate(RESOLVE_BUCKETS)]


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

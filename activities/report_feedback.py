"""What customers said and what went wrong: CSAT over the period's closed cases, its newest
comments, and the Pareto of root causes over the closed cases with findings.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from activities.report_sql import FILES, closed_in
from complaints.report_figures import CsatFigure, ReportFilter, RootCauseFigure, percentage

NO_CODE = "(none)"
COMMENTS_SHOWN = 50
SCORES = range(1, 6)


async def csat(conn: AsyncConnection, report: ReportFilter) -> CsatFigure:
    """Responses, their average (2 places), how many gave each score 1..5, and the newest 50 comments.

    "Newest" is by when the case closed (then by complaint id, for a stable order).
    """
    f = FILES.c
    scores = select(f.csat, func.count()).where(*closed_in(report), f.csat.is_not(None)).group_by(f.csat)
    distribution = dict.fromkeys(SCORES, 0)
    for score, count in await conn.execute(scores):
        distribution[int(score)] = int(count)
    responses = sum(distribution.values())
    total = sum(score * count for score, count in distribution.items())
    comments = (
        select(f.complaint_id, f.csat, f.csat_comment)
        .where(*closed_in(report), f.csat.is_not(None), f.csat_comment.is_not(None), f.csat_comment != "")
        .order_by(f.closed_at.desc(), f.complaint_id)
        .limit(COMMENTS_SHOWN)
    )
    return CsatFigure(
        responses=responses,
        average=round(total / responses, 2) if responses else None,
        distribution=distribution,
        comments=[(str(ref), int(score), str(text)) for ref, score, text in await conn.execute(comments)],
    )


async def root_causes(conn: AsyncConnection, report: ReportFilter) -> list[RootCauseFigure]:
    """The Pareto over closed cases with findings (upheld not NULL): largest first, ties by code,
    each with its share and the running share (the last is 100 %). No code shows as `(none)`."""
    f = FILES.c
    with_findings = [*closed_in(report), f.upheld.is_not(None)]
    statement = select(f.root_cause_code, func.count()).where(*with_findings).group_by(f.root_cause_code)
    counts = sorted(
        ((NO_CODE if code is None else str(code), int(cases)) for code, cases in await conn.execute(statement)),
        key=lambda item: (-item[1], item[0]),
    )
    whole, running, bars = sum(cases for _, cases in counts), 0, []
    for code, cases in counts:
        running += cases
        bars.append(
            RootCauseFigure(
                code=code,
                cases=cases,
                share_pct=percentage(cases, whole) or 0.0,
                cumulative_pct=percentage(running, whole) or 0.0,
            )
        )
    return bars

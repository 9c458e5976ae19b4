"""The figures of a report over the case file archive (issue 17): `ReportReader(engine).figures(filter)`.

Every form of a report (the `complaints report` table, `--json`, `--csv`, the HTML report,
the monthly mail) renders the `ReportFigures` this returns. The figures are aggregate SQL
queries (GROUP BY in the database, see `report_volumes`, `report_timing`, `report_money`,
`report_feedback`), run on one connection; every filter (category, product, owner, team,
incident) applies to every figure.

Which cases each figure is over, for the period [start, end):
- `opened`: cases received in it; `weeks.opened`: the same per ISO week of receipt.
- `closed`: cases closed in it, withdrawn ones included (and counted in `withdrawn`);
  `weeks.closed` per week of closing, `csat_by_month` per month of closing. Every week and
  month the period overlaps is listed, quiet ones with 0.
- Everything else is over the cases closed in the period:
  - `with_findings`, `upheld`, `upheld_pct`: cases whose `upheld` is not NULL (an investigation found);
  - `acknowledge`: hours from received to acknowledged (cases acknowledged); `resolve`: hours from
    received to resolved (cases resolved); p50/p90 nearest-rank, as `nearest_rank` picks them;
  - `resolve_distribution`: the resolved cases by time to resolve, every bucket present;
  - `clocks`: per clock name, `finished` = met or breached (`met` not NULL), `met`, `met_pct`;
  - `escalated_cases`: cases escalated at least once; `escalations`: how many times in all;
  - `redress_total`: their `redress_paid`; `reopened`, `reopen_pct` (of closed);
  - `surveys_sent`, `surveys_answered` (a CSAT score among those surveyed), `survey_response_pct`;
  - `csat`: responses, average, the 1..5 distribution, the newest 50 comments;
  - `root_causes`: the Pareto of root-cause codes over the cases with findings.
- `redress_by_kind` and `budgets`: remedy items *paid* in the period (`case_redress.paid_at`);
  `cases` = distinct cases paid that kind; budgets per category and calendar month of payment
  against `rules.compensation.monthly_budget` (None without rules or a budget).
- `currency`: the rules' compensation currency, else the most common one among the closed
  cases, else GBP. Money figures count only amounts in that currency.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from activities.db import from_minor_units, utcnow
from activities.report_feedback import csat, root_causes
from activities.report_money import budgets, redress_by_kind
from activities.report_sql import month_of, months_of, roll_up, week_of, weeks_of
from activities.report_timing import clocks, durations, percentiles, resolve_distribution
from activities.report_volumes import ClosedDay, closed_by_day, common_currency, opened_by_day, totals_of
from complaints.report_figures import CsatMonth, ReportFigures, ReportFilter, WeekVolume, percentage
from complaints.rules import CaseRules

DEFAULT_CURRENCY = "GBP"


class ReportReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def figures(
        self, filter: ReportFilter, rules: CaseRules | None = None, now: datetime | None = None
    ) -> ReportFigures:
        """Every figure of the period, filtered (see the module's docstring for what each is over)."""
        async with self._engine.connect() as conn:
            # One snapshot for every query, so a case archived meanwhile is in all the figures or in none.
            if conn.dialect.name == "postgresql":
                await conn.execution_options(isolation_level="REPEATABLE READ")
            elif conn.dialect.name == "sqlite":  # the driver begins no transaction for a SELECT: WAL keeps
                await conn.exec_driver_sql("BEGIN")  # a read transaction's snapshot until it ends
            return await _figures(conn, filter, rules, now or utcnow())


async def _figures(
    conn: AsyncConnection, report: ReportFilter, rules: CaseRules | None, now: datetime
) -> ReportFigures:
    currency = rules.compensation.currency if rules else (await common_currency(conn, report) or DEFAULT_CURRENCY)
    budget = {str(kind): amount for kind, amount in rules.compensation.monthly_budget.items()} if rules else None
    closed_days = await closed_by_day(conn, report, currency)
    counted = totals_of(closed_days)
    opened_days = await opened_by_day(conn, report)
    times = await durations(conn, report)
    return ReportFigures(
        filter=report,
        currency=currency,
        opened=sum(count for _, count in opened_days),
        closed=counted.closed,
        withdrawn=counted.withdrawn,
        upheld=counted.upheld,
        with_findings=counted.with_findings,
        upheld_pct=percentage(counted.upheld, counted.with_findings),
        acknowledge=percentiles(times.acknowledge),
        resolve=percentiles(times.resolve),
        clocks=await clocks(conn, report),
        escalated_cases=counted.escalated_cases,
        escalations=counted.escalations,
        redress_total=from_minor_units(counted.redress_cents),
        redress_by_kind=await redress_by_kind(conn, report, currency),
        budgets=await budgets(conn, report, currency, budget),
        csat=await csat(conn, report),
        csat_by_month=_csat_months(report, closed_days),
        root_causes=await root_causes(conn, report),
        reopened=counted.reopened,
        reopen_pct=percentage(counted.reopened, counted.closed),
        surveys_sent=counted.surveys_sent,
        surveys_answered=counted.surveys_answered,
        survey_response_pct=percentage(counted.surveys_answered, counted.surveys_sent),
        weeks=_weeks(report, opened_days, closed_days),
        resolve_distribution=resolve_distribution(times.resolve),
        generated_at=now,
    )


def _weeks(report: ReportFilter, opened: list[tuple[date, int]], closed: list[ClosedDay]) -> list[WeekVolume]:
    opened_weeks = roll_up(opened, week_of)
    closed_weeks = roll_up(((day.day, day.totals.closed) for day in closed), week_of)
    return [
        WeekVolume(week=week, opened=opened_weeks.get(week, 0), closed=closed_weeks.get(week, 0))
        for week in weeks_of(report)
    ]


def _csat_months(report: ReportFilter, closed: list[ClosedDay]) -> list[CsatMonth]:
    responses = roll_up(((day.day, day.totals.csat_responses) for day in closed), month_of)
    scores = roll_up(((day.day, day.totals.csat_sum) for day in closed), month_of)
    return [
        CsatMonth(
            month=month,
            responses=responses.get(month, 0),
            average=round(scores[month] / responses[month], 2) if responses.get(month) else None,
        )
        for month in months_of(report)
    ]

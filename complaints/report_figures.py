"""What a report says: the figures over a period of archived cases, as plain data.

`activities/reports.py` computes them from the case file archive (SQL); the terminal table,
`--json`, `--csv`, the HTML report and the monthly mail all render this one model, so every
form of a report shows the same numbers. Durations are in hours, money in `Decimal`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel


class ReportFilter(BaseModel):
    """The period (`start` inclusive, `end` exclusive, both UTC) and the optional filters."""

    start: datetime
    end: datetime
    category: str | None = None
    product: str | None = None
    owner: str | None = None
    team: str | None = None
    incident: str | None = None


class Percentiles(BaseModel):
    count: int  # how many cases the figure is over
    p50_hours: float | None  # None when count is 0
    p90_hours: float | None


class WeekVolume(BaseModel):
    week: date  # the Monday the ISO week starts on
    opened: int
    closed: int


class ClockFigure(BaseModel):
    name: str  # `acknowledgement`, `resolution`, `regulatory:final_response`, ...
    finished: int  # clocks that were met or breached (withdrawn cases' unfinished clocks are not counted)
    met: int
    met_pct: float | None


class RedressByKind(BaseModel):
    kind: str
    cases: int
    amount: Decimal


class BudgetFigure(BaseModel):
    """Redress paid in one category and month against that month's budget in the rules (None: no budget)."""

    category: str
    month: date  # the first of the month
    paid: Decimal
    budget: Decimal | None
    used_pct: float | None


class CsatFigure(BaseModel):
    responses: int
    average: float | None
    distribution: dict[int, int]  # score 1..5 -> responses (every score present, 0 if none)
    comments: list[tuple[str, int, str]]  # (complaint id, score, comment), newest first


class CsatMonth(BaseModel):
    month: date
    responses: int
    average: float | None


class RootCauseFigure(BaseModel):
    """One bar of the Pareto: cases with this root cause, their share and the running share."""

    code: str  # `(none)` for cases closed with no coded findings
    cases: int
    share_pct: float
    cumulative_pct: float


class ResolveBucket(BaseModel):
    """How many cases were resolved within `label` (e.g. `≤ 1 day`, `1-3 days`, `> 8 weeks`)."""

    label: str
    cases: int


class ReportFigures(BaseModel):
    filter: ReportFilter
    currency: str
    opened: int  # received in the period
    closed: int  # closed in the period (withdrawn included)
    withdrawn: int
    upheld: int  # of the cases closed in the period with findings
    with_findings: int
    upheld_pct: float | None
    acknowledge: Percentiles  # received -> acknowledgement sent
    resolve: Percentiles  # received -> resolved, over cases closed in the period and resolved
    clocks: list[ClockFigure]
    escalated_cases: int
    escalations: int
    redress_total: Decimal
    redress_by_kind: list[RedressByKind]
    budgets: list[BudgetFigure]
    csat: CsatFigure
    csat_by_month: list[CsatMonth]
    root_causes: list[RootCauseFigure]  # largest first
    reopened: int
    reopen_pct: float | None
    surveys_sent: int
    surveys_answered: int
    survey_response_pct: float | None
    weeks: list[WeekVolume]
    resolve_distribution: list[ResolveBucket]
    generated_at: datetime


def percentage(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, to one decimal place; None when there is nothing to divide."""
    return None if whole == 0 else round(100 * part / whole, 1)


def nearest_rank(sorted_values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile (p50 = 0.5) of ascending values: always one of the values."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * fraction // 1))  # ceil(n * p), at least 1
    return sorted_values[int(rank) - 1]

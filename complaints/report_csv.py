"""A report as one flat CSV a spreadsheet can pivot: `section,name,period,measure,value`, one figure a row.

- `section`: the part of the report (`report`, `summary`, `acknowledge`, `resolve`, `clocks`,
  `redress_by_kind`, `budgets`, `csat`, `csat_distribution`, `csat_comments`, `csat_by_month`,
  `root_causes`, `weeks`, `resolve_distribution`);
- `name`: the row within it (a clock, a remedy kind, a category, a root cause, a score, a bucket,
  a complaint id); empty for figures of the whole report;
- `period`: the ISO date of the week (its Monday) or month (its first day) the row is about, else empty;
- `measure`: what the value is (`opened`, `cases`, `amount`, `met_pct`, `p50_hours`, ...);
- `value`: the number (percentages as 12.5, money with two places, hours with two), or text;
  empty when there is nothing to divide.

Filter on `section`, then pivot `name` (or `period`) against `measure`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from complaints.report_figures import ReportFigures

COLUMNS = ("section", "name", "period", "measure", "value")
Row = tuple[str, str, str, str, str]
_SUMMARY = (
    "opened",
    "closed",
    "withdrawn",
    "with_findings",
    "upheld",
    "upheld_pct",
    "escalated_cases",
    "escalations",
    "redress_total",
    "reopened",
    "reopen_pct",
    "surveys_sent",
    "surveys_answered",
    "survey_response_pct",
)


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def csv_rows(figures: ReportFigures) -> Iterator[Row]:
    """Every figure of the report as (section, name, period, measure, value), in the report's order."""

    def row(section: str, name: object, period: object, measure: str, value: object) -> Row:
        return section, cell(name), cell(period), measure, cell(value)

    for measure, value in figures.filter.model_dump().items():
        yield row("report", "", "", measure, value)
    yield row("report", "", "", "currency", figures.currency)
    yield row("report", "", "", "generated_at", figures.generated_at)
    for measure in _SUMMARY:
        yield row("summary", "", "", measure, getattr(figures, measure))
    for section, times in (("acknowledge", figures.acknowledge), ("resolve", figures.resolve)):
        for measure, value in times.model_dump().items():
            yield row(section, "", "", measure, value)
    for clock in figures.clocks:
        for measure in ("finished", "met", "met_pct"):
            yield row("clocks", clock.name, "", measure, getattr(clock, measure))
    for kind in figures.redress_by_kind:
        yield row("redress_by_kind", kind.kind, "", "cases", kind.cases)
        yield row("redress_by_kind", kind.kind, "", "amount", kind.amount)
    for budget in figures.budgets:
        for measure in ("paid", "budget", "used_pct"):
            yield row("budgets", budget.category, budget.month, measure, getattr(budget, measure))
    yield row("csat", "", "", "responses", figures.csat.responses)
    yield row("csat", "", "", "average", figures.csat.average)
    for score, responses in sorted(figures.csat.distribution.items()):
        yield row("csat_distribution", score, "", "responses", responses)
    for complaint_id, score, comment in figures.csat.comments:
        yield row("csat_comments", complaint_id, "", "score", score)
        yield row("csat_comments", complaint_id, "", "comment", comment)
    for month in figures.csat_by_month:
        yield row("csat_by_month", "", month.month, "responses", month.responses)
        yield row("csat_by_month", "", month.month, "average", month.average)
    for cause in figures.root_causes:
        for measure in ("cases", "share_pct", "cumulative_pct"):
            yield row("root_causes", cause.code, "", measure, getattr(cause, measure))
    for week in figures.weeks:
        yield row("weeks", "", week.week, "opened", week.opened)
        yield row("weeks", "", week.week, "closed", week.closed)
    for bucket in figures.resolve_distribution:
        yield row("resolve_distribution", bucket.label, "", "cases", bucket.cases)


def report_csv(figures: ReportFigures) -> str:
    """The whole CSV text, with its header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(csv_rows(figures))
    return out.getvalue()

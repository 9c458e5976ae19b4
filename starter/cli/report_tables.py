"""`complaints report` as terminal tables: the summary first, then one table per part of the report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import time, timedelta
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from complaints.dates import when
from complaints.report_figures import Percentiles, ReportFigures, ReportFilter

DASH = "-"
COMMENTS_SHOWN = 10  # of the up to 50 the figures hold


def period_label(report: ReportFilter) -> str:
    """'2026-03-01 to 2026-03-31' (the last day included, as people say it) or the exact instants."""
    if report.start.time() == time(0) and report.end.time() == time(0):
        return f"{report.start.date()} to {(report.end - timedelta(days=1)).date()}"
    return f"{report.start.isoformat()} to {report.end.isoformat()} (end excluded)"


def _filters(report: ReportFilter) -> str:
    chosen = [
        f"{name} {value}"
        for name in ("category", "product", "owner", "team", "incident")
        if (value := getattr(report, name))
    ]
    return ", ".join(chosen) or "all cases"


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f} %"


def _hours(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.1f} h" if value < 48 else f"{value:.1f} h ({value / 24:.1f} d)"


def _times(times: Percentiles) -> str:
    return f"p50 {_hours(times.p50_hours)} · p90 {_hours(times.p90_hours)} (of {times.count:,})"


def _money(amount: Decimal | None, currency: str) -> str:
    return DASH if amount is None else f"{amount:,.2f} {currency}"


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]], numeric_from: int = 1) -> Table:
    table = Table(title=title, title_justify="left")
    for n, column in enumerate(columns):
        table.add_column(column, justify="right" if n >= numeric_from else "left")
    for row in rows:
        table.add_row(*(f"{value:,}" if isinstance(value, int) else str(value) for value in row))
    return table


def summary_table(figures: ReportFigures) -> Table:
    f, money = figures, figures.currency
    rows = [
        ("opened (received)", f"{f.opened:,}"),
        ("closed", f"{f.closed:,} (withdrawn {f.withdrawn:,})"),
        ("upheld", f"{f.upheld:,} of {f.with_findings:,} with findings ({_pct(f.upheld_pct)})"),
        ("time to acknowledge", _times(f.acknowledge)),
        ("time to resolve", _times(f.resolve)),
        ("escalated", f"{f.escalated_cases:,} cases, {f.escalations:,} escalations"),
        ("redress paid (closed cases)", _money(f.redress_total, money)),
        ("reopened", f"{f.reopened:,} ({_pct(f.reopen_pct)})"),
        ("surveys", f"{f.surveys_answered:,} answered of {f.surveys_sent:,} sent ({_pct(f.survey_response_pct)})"),
        ("CSAT", f"{f.csat.average if f.csat.average is not None else DASH} from {f.csat.responses:,} responses"),
    ]
    title = f"Complaints report {period_label(f.filter)}: {_filters(f.filter)}"
    return _table(title, ("figure", "value"), rows, numeric_from=2)


def report_tables(figures: ReportFigures) -> list[Table]:
    f, money = figures, figures.currency
    tables = [
        summary_table(f),
        _table(
            "Volumes by week (Monday)", ("week", "opened", "closed"), ((w.week, w.opened, w.closed) for w in f.weeks)
        ),
        _table(
            "SLA clocks and regulatory deadlines",
            ("clock", "finished", "met", "met %"),
            ((c.name, c.finished, c.met, _pct(c.met_pct)) for c in f.clocks),
        ),
        _table("Time to resolve", ("within", "cases"), ((b.label, b.cases) for b in f.resolve_distribution)),
        _table(
            "Root causes (cases with findings)",
            ("root cause", "cases", "share", "cumulative"),
            ((r.code, r.cases, _pct(r.share_pct), _pct(r.cumulative_pct)) for r in f.root_causes),
        ),
        _table(
            "Redress paid in the period, by kind",
            ("kind", "cases", "amount"),
            ((r.kind, r.cases, _money(r.amount, money)) for r in f.redress_by_kind),
        ),
        _table(
            "Monthly budgets",
            ("category", "month", "paid", "budget", "used"),
            (
                (
                    b.category,
                    b.month.strftime("%Y-%m"),
                    _money(b.paid, money),
                    _money(b.budget, money),
                    _pct(b.used_pct),
                )
                for b in f.budgets
            ),
            numeric_from=2,
        ),
        _table(
            "CSAT by score",
            ("score", "responses"),
            ((score, count) for score, count in sorted(f.csat.distribution.items())),
        ),
        _table(
            "CSAT by month closed",
            ("month", "responses", "average"),
            (
                (m.month.strftime("%Y-%m"), m.responses, DASH if m.average is None else m.average)
                for m in f.csat_by_month
            ),
        ),
    ]
    if f.csat.comments:
        shown = f.csat.comments[:COMMENTS_SHOWN]
        more = len(f.csat.comments) - len(shown)
        title = "Newest CSAT comments" + (f" ({more} more in --json and --csv)" if more else "")
        tables.append(_table(title, ("complaint", "score", "comment"), shown, numeric_from=1))
        tables[-1].columns[2].justify = "left"
    return tables


def print_report(figures: ReportFigures, console: Console) -> None:
    """Every table that has rows (a period with no clocks or no redress shows no empty table for them)."""
    for table in report_tables(figures):
        if table.row_count:
            console.print(table)
    console.print(f"Generated {when(figures.generated_at)}; money in {figures.currency}.")

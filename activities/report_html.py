"""The HTML report: one self-contained page of `ReportFigures`, charts and tables.

One file with nothing to fetch (no CDN, scripts, web fonts or images: the charts are inline
SVG, the style is inline CSS), so it opens the same from a mail attachment, an archive or a
machine with no network, and prints. Every text that comes from data (root-cause codes,
categories, customers' comments) goes through Jinja2's autoescaping.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel

from activities.report_charts import day_label, month_label, report_charts
from complaints.report_figures import Percentiles, ReportFigures
from complaints.wording import format_money

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = "report.html.j2"
NO_CASES = "No cases in this period"


class KeyFigure(BaseModel):
    """One row of the key figures table."""

    name: str
    value: str
    note: str = ""


@cache
def report_environment() -> Environment:
    """Autoescaping everywhere: the page shows customers' own words."""
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def duration(hours: float | None) -> str:
    """Hours up to two days, days beyond: '5.5 h', '3.2 days'."""
    if hours is None:
        return "—"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def period_label(start: datetime, end: datetime) -> str:
    """The half-open period as people read it: '1 Jul 2026 to 31 Dec 2026' (the last day included)."""
    last = (end - timedelta(microseconds=1)).date()
    return f"{_long_day(start.date())} to {_long_day(last)}"


def _long_day(day: date) -> str:
    return f"{day_label(day)} {day.year}"


def _percentiles(figure: Percentiles) -> str:
    return f"{duration(figure.p50_hours)} / {duration(figure.p90_hours)}"


def key_figures(figures: ReportFigures) -> list[KeyFigure]:
    """The headline numbers, each with what it is out of."""
    money = format_money(figures.redress_total, figures.currency)
    average = "—" if figures.csat.average is None else f"{figures.csat.average:.2f} / 5"
    return [
        KeyFigure(name="Opened", value=str(figures.opened), note="received in the period"),
        KeyFigure(name="Closed", value=str(figures.closed), note=f"{figures.withdrawn} of them withdrawn"),
        KeyFigure(
            name="Upheld",
            value=percent(figures.upheld_pct),
            note=f"{figures.upheld} of {figures.with_findings} closed cases with findings",
        ),
        KeyFigure(
            name="Time to acknowledge (p50 / p90)",
            value=_percentiles(figures.acknowledge),
            note=f"over {figures.acknowledge.count} cases",
        ),
        KeyFigure(
            name="Time to resolve (p50 / p90)",
            value=_percentiles(figures.resolve),
            note=f"over {figures.resolve.count} resolved cases",
        ),
        KeyFigure(
            name="Escalations",
            value=str(figures.escalations),
            note=f"in {figures.escalated_cases} cases",
        ),
        KeyFigure(
            name="Reopened",
            value=percent(figures.reopen_pct),
            note=f"{figures.reopened} of {figures.closed} closed cases",
        ),
        KeyFigure(
            name="Survey response rate",
            value=percent(figures.survey_response_pct),
            note=f"{figures.surveys_answered} answers to {figures.surveys_sent} surveys sent",
        ),
        KeyFigure(name="Customer satisfaction", value=average, note=f"{figures.csat.responses} answers"),
        KeyFigure(name="Redress paid", value=money, note=f"{len(figures.redress_by_kind)} kinds of remedy"),
    ]


def filters_label(figures: ReportFigures) -> str:
    """The filters the report was narrowed by, e.g. 'category billing, team north'; '' for none."""
    chosen = figures.filter.model_dump(exclude={"start", "end"}, exclude_none=True)
    return ", ".join(f"{name} {value}" for name, value in chosen.items())


def render_html_report(figures: ReportFigures) -> str:
    """The whole report as one HTML document that needs nothing but itself to display."""
    has_cases = figures.opened > 0 or figures.closed > 0
    currency = figures.currency

    def money(amount: Decimal | None) -> str:
        return "—" if amount is None else format_money(amount, currency)

    return (
        report_environment()
        .get_template(TEMPLATE)
        .render(
            f=figures,
            period=period_label(figures.filter.start, figures.filter.end),
            filters=filters_label(figures),
            generated=figures.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            has_cases=has_cases,
            no_cases=NO_CASES,
            key_figures=key_figures(figures),
            charts=report_charts(figures) if has_cases else [],
            money=money,
            percent=percent,
            day=_long_day,
            month=month_label,
            scores=sorted(figures.csat.distribution.items(), reverse=True),
        )
    )

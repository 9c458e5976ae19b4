"""`complaints report`: the figures of a period of closed cases, from the case file archive.

    complaints report [--period 2026H2 | --from 2026-07-01 [--to 2026-09-30]]
                      [--category C] [--product P] [--owner STAFF] [--team T] [--incident INC-1]
                      [--json | --csv] [--html FILE]

Reads the app database (`COMPLAINTS_DATABASE_URL`) and the monthly budgets from the rules file
(`COMPLAINTS_RULES_FILE`); it needs no Temporal. `report_app` is the group: other reports
(e.g. `report regulator`) are its subcommands, and the figures print only when none is named.
"""

from __future__ import annotations

import asyncio
import importlib
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, cast

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from complaints.intake import Category
from complaints.report_csv import report_csv
from complaints.report_figures import ReportFigures, ReportFilter
from complaints.report_period import PERIOD_FORMS, parse_period
from complaints.rules import CaseRules, load_rules
from infra.settings import Settings
from starter.cli.common import ExitCode, console, error, fail
from starter.cli.report_tables import print_report

HTML_MODULE = "activities.report_html"

report_app = typer.Typer(
    help="The figures of a period, from the case file archive (no Temporal needed): volumes, upheld rate, "
    "times to acknowledge and resolve, SLA clocks, escalations, redress and budgets, CSAT, root causes. "
    "Over the cases closed in the period (opened: received in it; redress by kind and budgets: paid in it). "
    "Prints tables, or --json / --csv; --html FILE writes an HTML page as well.",
    invoke_without_command=True,
)


@report_app.callback(invoke_without_command=True)
def report(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        typer.Option(
            help=f"The period: {PERIOD_FORMS}. Default: the last full calendar month (UTC).", show_default=False
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", metavar="DATE", help="First day (YYYY-MM-DD), instead of --period.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="Last day, included (default: today, UTC).")
    ] = None,
    category: Annotated[Category | None, typer.Option(help="Only this category.", show_default=False)] = None,
    product: Annotated[str | None, typer.Option(help="Only this product.", show_default=False)] = None,
    owner: Annotated[str | None, typer.Option(help="Only cases this staff id owned.", show_default=False)] = None,
    team: Annotated[str | None, typer.Option(help="Only cases this team investigated.", show_default=False)] = None,
    incident: Annotated[
        str | None, typer.Option(help="Only cases of this incident (INC-1).", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON (the ReportFigures model).")] = False,
    as_csv: Annotated[
        bool,
        typer.Option(
            "--csv",
            help="One flat CSV, a figure a row: section,name,period,measure,value. Filter on section and pivot "
            "name (or period: a week's Monday, a month's first day) against measure; empty value = nothing to divide.",
        ),
    ] = False,
    html: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Also write the report as an HTML page to FILE.")
    ] = None,
) -> None:
    """The figures of the period, when no report subcommand (e.g. `report regulator`) is named."""
    if ctx.invoked_subcommand is not None:
        return
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv", param_hint="'--json' / '--csv'")
    window = _period(period, start, end, today=datetime.now(UTC).date())
    filters = ReportFilter(
        start=window[0],
        end=window[1],
        category=category.value if category else None,
        product=product,
        owner=owner,
        team=team,
        incident=incident.removeprefix("incident-") if incident else None,
    )
    render_html = _html_renderer() if html is not None else None
    settings = _settings()
    figures = read_figures(settings.effective_database_url, filters, _rules(settings.rules_file))
    if as_json:
        print(figures.model_dump_json(indent=2), flush=True)
    elif as_csv:
        print(report_csv(figures), end="", flush=True)
    else:
        print_report(figures, console)
    if html is not None and render_html is not None:
        try:
            html.write_text(render_html(figures), encoding="utf-8")
        except OSError as exc:
            fail(ExitCode.FAILED, f"cannot write --html {html}: {exc}")
        error(f"HTML report written to {html}")


def _period(period: str | None, start: str | None, end: str | None, today: date) -> tuple[datetime, datetime]:
    """[start, end) from --period or --from/--to; a bad value exits 2 naming its option."""
    if period is not None and (start or end):
        raise typer.BadParameter("use --period or --from/--to, not both", param_hint="'--period'")
    if period is not None:
        try:
            return parse_period(period)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--period'") from exc
    if start is None and end is not None:
        raise typer.BadParameter("--to needs --from", param_hint="'--from'")
    if start is None:
        last_month = today.replace(day=1) - timedelta(days=1)
        return parse_period(f"{last_month.year}-{last_month.month:02d}")
    first, last = _day(start, "--from"), _day(end, "--to") if end else today
    if last < first:
        raise typer.BadParameter(f"--from {first} is after --to {last}", param_hint="'--from' / '--to'")
    return parse_period(f"{first}..{last}")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint=f"'{option}'") from exc


def _settings() -> Settings:
    try:
        return Settings()
    except (SettingsError, ValidationError) as exc:
        fail(ExitCode.INVALID, f"invalid settings: {str(exc).splitlines()[0]}")


def _rules(path: Path) -> CaseRules | None:
    """The rules for the budgets and the currency; without them the report goes on without budgets."""
    try:
        return load_rules(path)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        error(f"warning: no budgets in this report: cannot read the rules in {path}: {str(exc).splitlines()[0]}")
        return None


def _html_renderer() -> Callable[[ReportFigures], str]:
    """`render_html_report`, imported only when --html asks for it (checked before any query runs)."""
    try:
        module = importlib.import_module(HTML_MODULE)
    except ModuleNotFoundError as exc:
        fail(ExitCode.FAILED, f"--html: the HTML report is not available in this installation ({exc})")
    return cast(Callable[[ReportFigures], str], module.render_html_report)


def read_figures(url: str, filters: ReportFilter, rules: CaseRules | None) -> ReportFigures:
    """The figures from the archive at `url`; a database that cannot be read exits 5 saying so."""
    # Here, not at the top: SQLAlchemy would add a fifth of a second to every other CLI command's start.
    from sqlalchemy import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from activities.db import missing_sqlite_file

    parsed = make_url(url)
    missing = missing_sqlite_file(url)
    if missing is not None:
        fail(ExitCode.FAILED, f"no app database at {missing}: no case has been archived there yet")
    try:
        return asyncio.run(_read(url, filters, rules))
    except (SQLAlchemyError, OSError) as exc:
        shown = parsed.render_as_string(hide_password=True)
        fail(ExitCode.FAILED, f"cannot read the case file archive in {shown}: {str(exc).splitlines()[0]}")


async def _read(url: str, filters: ReportFilter, rules: CaseRules | None) -> ReportFigures:
    from activities.db import make_engine
    from activities.reports import ReportReader

    engine = make_engine(url)
    try:
        return await ReportReader(engine).figures(filters, rules)
    finally:
        await engine.dispose()

"""`complaints report regulator --profile uk-fca-disp --period 2026H2`: the figures of the regulator's return.

The cells come from the case file archive (activities/regulator_queries.py) and are computed
by `complaints.regulator_return`, with the products and root causes mapped as the profile's
`regulator_return` says. Terminal tables, `--json` (the model, money as exact strings) or
`--csv` (one line per row). A bad `--profile` or `--period` exits 2 naming the option.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from complaints.calendar import BusinessCalendar
from complaints.regulator_return import RegulatorReturn, ReturnInputs, ReturnRow, regulator_return
from complaints.regulatory import RegulatoryProfile
from complaints.report_period import PERIOD_FORMS, parse_period
from complaints.rules import load_rules
from infra.settings import Settings
from starter.cli.common import AsJson, ExitCode, console, fail

CLOSED_MEANS = "closed = the final response (or summary resolution) was sent: resolved_at, else closed_at"
AS_KNOWN = (
    "from the case file archive: complaints still open now are not in it, so 'opened' and 'outstanding' "
    "count the cases archived by now"
)


def register(report_app: typer.Typer) -> None:
    """Add `regulator` to the `report` group."""
    report_app.command("regulator")(regulator)


def regulator(
    profile: Annotated[
        str, typer.Option("--profile", help="The regulatory profile whose return to give, e.g. uk-fca-disp, us-cfpb.")
    ],
    period: Annotated[str, typer.Option("--period", help=f"The reporting period: {PERIOD_FORMS}.")],
    as_json: AsJson = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="One CSV line per row of the return.")] = False,
) -> None:
    """The figures of the regulator's complaints return for a period: opened, closed, upheld, how fast, redress."""
    if as_json and as_csv:
        fail(ExitCode.INVALID, "invalid input: --json and --csv: choose one")
    try:
        start, end = parse_period(period)
    except ValueError as exc:
        fail(ExitCode.INVALID, f"invalid input: --period: {exc}")
    settings = Settings()
    chosen, calendar = _profile(settings, profile)
    inputs = _read(settings, chosen.name, start, end)
    figures = regulator_return(chosen, calendar, (period.strip().upper(), start, end), inputs, datetime.now(UTC))
    if as_json:
        print(json.dumps(figures.model_dump(mode="json"), indent=2), flush=True)
    elif as_csv:
        _write_csv(figures)
    else:
        _print_tables(figures)


def _profile(settings: Settings, name: str) -> tuple[RegulatoryProfile, BusinessCalendar]:
    """The profile from the rules file, and the calendar its business days count on."""
    try:
        rules = load_rules(settings.rules_file)
    except (OSError, ValueError, ValidationError) as exc:
        fail(ExitCode.FAILED, f"error: cannot read the rules file {settings.rules_file}: {exc}")
    profiles = rules.sla.regulatory_profiles
    filing = sorted(key for key, value in profiles.items() if value.regulator_return is not None)
    if name not in profiles:
        fail(
            ExitCode.INVALID,
            f"invalid input: --profile: unknown regulatory profile {name!r}; known: {', '.join(filing)}",
        )
    chosen = profiles[name]
    if chosen.regulator_return is None:
        message = f"profile {name!r} files no return (no regulator_return in the rules); profiles that do: "
        fail(ExitCode.INVALID, f"invalid input: --profile: {message}{', '.join(filing) or 'none'}")
    # The profile's own calendar, else the rules' default: the case file does not keep the case's.
    return chosen, rules.sla.calendar(chosen.calendar)


def _read(settings: Settings, profile: str, start: datetime, end: datetime) -> ReturnInputs:
    # Here, not at the top: SQLAlchemy would add a fifth of a second to every other CLI command's start.
    from sqlalchemy.exc import SQLAlchemyError

    from activities.db import make_engine, missing_sqlite_file
    from activities.regulator_queries import return_inputs

    missing = missing_sqlite_file(settings.effective_database_url)
    if missing is not None:  # connecting would create an empty file: the worker's to create
        fail(ExitCode.FAILED, f"error: cannot read the case file archive: no app database at {missing} yet")

    async def work() -> ReturnInputs:
        engine = make_engine(settings.effective_database_url)
        try:
            return await return_inputs(engine, profile, start, end)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(work())
    except (SQLAlchemyError, OSError) as exc:
        fail(ExitCode.FAILED, f"error: cannot read the case file archive: {exc}")


# -- output -----------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def _money(row: ReturnRow) -> str:
    return ", ".join(f"{currency} {amount:,.2f}" for currency, amount in row.redress_paid.items()) or "0.00"


def _print_tables(figures: RegulatorReturn) -> None:
    last_day = (figures.end - timedelta(days=1)).date()
    console.print(
        f"[bold]{figures.title}[/bold]: profile {figures.profile} ({figures.jurisdiction}), "
        f"period {figures.period} = {figures.start.date()} to {last_day} (UTC)"
    )
    console.print(f"source: {figures.source}", highlight=False)
    days = "" if figures.calendar is None else f"; business days on calendar {figures.calendar!r}"
    console.print(f"{CLOSED_MEANS}{days}", highlight=False)
    console.print(f"{AS_KNOWN}", highlight=False)
    console.print(f"outstanding at the start of the period: {figures.outstanding_at_start}")
    for title, rows in (("by product group", figures.by_product_group), ("by cause", figures.by_cause)):
        console.print(_table(title, rows, figures.total))


def _table(title: str, rows: list[ReturnRow], total: ReturnRow) -> Table:
    table = Table(title=f"{title} (the time bands: when the complaint was closed)", title_justify="left")
    table.add_column(title.removeprefix("by ").capitalize(), overflow="fold")
    for column in ("opened", "closed", "upheld"):
        table.add_column(column, justify="right")
    for band in total.bands:
        table.add_column(band.label, justify="right")
    table.add_column("redress paid", justify="right")
    for row in [*rows, total]:
        table.add_row(
            row.name,
            str(row.opened),
            str(row.closed),
            f"{row.upheld} ({_pct(row.upheld_pct)})",
            *(f"{band.cases} ({_pct(band.pct)})" for band in row.bands),
            _money(row),
            style="bold" if row is total else None,
            end_section=row is rows[-1],
        )
    return table


def _write_csv(figures: RegulatorReturn) -> None:
    currencies = sorted({currency for row in figures.by_product_group for currency in row.redress_paid})
    bands = [band.label for band in figures.total.bands]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(
        [
            "profile",
            "period",
            "section",
            "name",
            "opened",
            "closed",
            "upheld",
            "upheld_pct",
            *(f"closed {label}" for label in bands),
            *(f"closed {label} pct" for label in bands),
            *(f"redress_paid_{currency}" for currency in currencies),
            "outstanding_at_start",
        ]
    )
    sections = [("total", [figures.total]), ("product_group", figures.by_product_group), ("cause", figures.by_cause)]
    for section, rows in sections:
        for row in rows:
            writer.writerow(
                [
                    figures.profile,
                    figures.period,
                    section,
                    row.name,
                    row.opened,
                    row.closed,
                    row.upheld,
                    "" if row.upheld_pct is None else row.upheld_pct,
                    *(band.cases for band in row.bands),
                    *("" if band.pct is None else band.pct for band in row.bands),
                    *(row.redress_paid.get(currency, "0.00") for currency in currencies),
                    figures.outstanding_at_start if section == "total" else "",
                ]
            )
    sys.stdout.flush()

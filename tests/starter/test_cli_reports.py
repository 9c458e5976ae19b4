"""`complaints report` over an archive of the forty hand-checked cases (tests/activities/report_cases.py),
on SQLite and PostgreSQL: the tables, --json, --csv, the filters, and bad input refused with exit 2."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import pytest_asyncio
import typer
from typer.testing import CliRunner, Result

from activities.archive import CaseArchive
from activities.db import make_engine
from activities.migrate import upgrade_to_head
from activities.reports import ReportReader
from complaints.report_csv import COLUMNS
from complaints.report_figures import ReportFigures, ReportFilter
from complaints.rules import load_rules
from infra.settings import PROJECT_ROOT
from starter.cli import app
from starter.cli.reports import _period, report
from tests.activities.databases import BACKENDS, empty_database
from tests.activities.report_cases import MARCH, march_cases
from tests.fixtures_activities import search_path_url

RULES = PROJECT_ROOT / "config" / "complaints.toml"  # budgets: billing 20000, delivery 15000, ...


@pytest_asyncio.fixture(scope="module", params=BACKENDS)
async def archive_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, str]]:
    """The CLI's environment: an app database holding the forty cases, and the shipped rules."""
    with empty_database(request.param, tmp_path_factory.mktemp(request.param)) as (url, schema):
        engine = make_engine(url, schema=schema)
        try:
            await upgrade_to_head(engine)
            archive = CaseArchive(engine, logging.getLogger(__name__))
            for case in march_cases():
                await archive.write(case)
        finally:
            await engine.dispose()
        cli_url = url if schema is None else search_path_url(url, schema)
        yield {"COMPLAINTS_DATABASE_URL": cli_url, "COMPLAINTS_RULES_FILE": str(RULES), "COLUMNS": "200"}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, ["report", *args], env=env)


def test_the_tables_show_the_key_figures(archive_env: dict[str, str]) -> None:
    result = run(archive_env, "--period", "2026-03")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Complaints report 2026-03-01 to 2026-03-31: all cases" in out
    for shown in ("30 (withdrawn 3)", "18 of 26 with findings (69.2 %)", "p50 90.0 h (3.8 d) · p90 960.0 h (40.0 d)"):
        assert shown in out
    assert "265.79 GBP" in out and "340.10 GBP" in out and "20,000.00 GBP" in out
    assert "billing.duplicate-charge" in out and "92.3 %" in out and "Took far too long" in out


def test_json_round_trips_into_the_figures_the_reader_computes(archive_env: dict[str, str]) -> None:
    result = run(archive_env, "--period", "2026-03", "--json")
    assert result.exit_code == 0, result.output
    figures = ReportFigures.model_validate_json(result.stdout)
    assert (figures.opened, figures.closed, figures.redress_total) == (21, 30, Decimal("265.79"))
    assert figures.filter == ReportFilter(start=MARCH[0], end=MARCH[1])
    assert figures.csat.distribution == {1: 1, 2: 1, 3: 2, 4: 3, 5: 4}
    assert figures.csat.comments[0] == ("C-26", 3, "Fine")
    url = archive_env["COMPLAINTS_DATABASE_URL"]
    assert figures == _direct(url, figures.filter, figures.generated_at)


def _direct(url: str, report_filter: ReportFilter, now: datetime) -> ReportFigures:
    async def read() -> ReportFigures:
        engine = make_engine(url)
        try:
            return await ReportReader(engine).figures(report_filter, load_rules(RULES), now=now)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_csv_is_one_flat_table_of_figures(archive_env: dict[str, str]) -> None:
    result = run(archive_env, "--period", "2026-03", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == COLUMNS and all(len(row) == 5 for row in rows)
    found = {tuple(row) for row in rows[1:]}
    for expected in (
        ("summary", "", "", "closed", "30"),
        ("summary", "", "", "upheld_pct", "69.2"),
        ("resolve", "", "", "p90_hours", "960.0"),
        ("clocks", "regulatory:final_response", "", "met_pct", "92.3"),
        ("redress_by_kind", "refund", "", "amount", "340.10"),
        ("budgets", "billing", "2026-03-01", "paid", "295.00"),
        ("budgets", "billing", "2026-03-01", "budget", "20000.00"),
        ("csat_distribution", "5", "", "responses", "4"),
        ("root_causes", "(none)", "", "cases", "2"),
        ("weeks", "", "2026-03-09", "opened", "10"),
        ("resolve_distribution", "≤ 1 day", "", "cases", "5"),
        ("report", "", "", "category", ""),
    ):
        assert expected in found, expected
    sections = [row[0] for row in rows[1:]]
    assert sections.count("weeks") == 12 and sections.count("clocks") == 9 and sections.count("root_causes") == 18


FILTER_OPTIONS = [
    ("--category", "billing", 12),
    ("--product", "mobile", 5),
    ("--owner", "lena", 10),
    ("--team", "Care", 6),
    ("--incident", "incident-INC-7", 3),
]


@pytest.mark.parametrize(("option", "value", "closed"), FILTER_OPTIONS)
def test_each_filter_option_narrows_the_report(
    archive_env: dict[str, str], option: str, value: str, closed: int
) -> None:
    result = run(archive_env, "--period", "2026-03", option, value, "--json")
    assert result.exit_code == 0, result.output
    figures = ReportFigures.model_validate_json(result.stdout)
    assert figures.closed == closed
    assert getattr(figures.filter, option.removeprefix("--")) == value.removeprefix("incident-")


def test_from_and_to_are_the_period_with_its_last_day_included(archive_env: dict[str, str]) -> None:
    result = run(archive_env, "--from", "2026-03-01", "--to", "2026-03-31", "--json")
    assert result.exit_code == 0, result.output
    figures = ReportFigures.model_validate_json(result.stdout)
    assert (figures.filter.start, figures.filter.end, figures.closed) == (MARCH[0], MARCH[1], 30)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--period", "2026Q5"], "'--period'"),
        (["--period", "2026-03", "--from", "2026-03-01"], "'--period'"),
        (["--from", "2026-03-10", "--to", "2026-03-01"], "'--from' / '--to'"),
        (["--from", "1 March"], "'--from'"),
        (["--to", "2026-03-01"], "'--from'"),
        (["--json", "--csv"], "'--json' / '--csv'"),
        (["--category", "hats"], "'--category'"),
    ],
)
def test_bad_input_exits_2_naming_the_option(archive_env: dict[str, str], args: list[str], named: str) -> None:
    result = run(archive_env, *args)
    assert result.exit_code == 2, result.output
    assert named in result.stderr and result.stdout == ""


def test_html_without_its_renderer_says_so(archive_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "activities.report_html", None)  # as if the module were not installed
    result = run(archive_env, "--period", "2026-03", "--html", "report.html")
    assert result.exit_code == 5
    assert "--html: the HTML report is not available" in result.stderr and "activities.report_html" in result.stderr


def test_a_missing_database_is_named() -> None:
    env = {"COMPLAINTS_DATABASE_URL": "sqlite+aiosqlite:////nonexistent/app.db", "COMPLAINTS_RULES_FILE": str(RULES)}
    result = CliRunner().invoke(app, ["report", "--period", "2026-03"], env=env)
    assert result.exit_code == 5 and "no app database at /nonexistent/app.db" in result.stderr


def test_the_default_period_is_the_last_full_month() -> None:
    assert _period(None, None, None, today=date(2026, 4, 15)) == MARCH
    assert _period(None, None, None, today=date(2026, 1, 1)) == (
        datetime(2025, 12, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert _period(None, "2026-03-01", None, today=date(2026, 3, 31)) == MARCH  # --to defaults to today


def test_a_subcommand_of_the_group_runs_without_the_figures() -> None:
    """Others add `report regulator ...` to `report_app`: the group's callback then prints nothing."""
    group = typer.Typer()
    group.callback(invoke_without_command=True)(report)

    @group.command()
    def regulator() -> None:
        print("regulator report")

    result = CliRunner().invoke(group, ["regulator"], env={"COMPLAINTS_DATABASE_URL": "sqlite+aiosqlite:////nowhere"})
    assert result.exit_code == 0, result.output
    assert result.stdout == "regulator report\n"

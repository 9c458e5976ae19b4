"""`complaints report regulator`: the return as JSON, CSV and tables, and exit 2 naming a bad option."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import pytest_asyncio
import typer
from typer.testing import CliRunner

from activities.db import make_engine
from activities.migrate import upgrade_to_head
from starter.cli.regulator_report import register
from tests.activities.regulator_cases import archive_cases

RULES = Path(__file__).resolve().parents[2] / "config" / "complaints.toml"

report_app = typer.Typer()


@report_app.callback()
def report() -> None:
    """A `report` group of our own, as starter/cli/reports.py has one (it registers the same way)."""


register(report_app)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('regulator') / 'app.db'}"
    engine = make_engine(url)
    try:
        await upgrade_to_head(engine)
        await archive_cases(engine)
    finally:
        await engine.dispose()
    return url


def run(url: str, *args: str) -> tuple[int, str, str]:
    env = {"COMPLAINTS_DATABASE_URL": url, "COMPLAINTS_RULES_FILE": str(RULES), "COLUMNS": "220"}
    result = CliRunner().invoke(report_app, ["regulator", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_the_fca_return_as_json(database_url: str) -> None:
    code, out, err = run(database_url, "--profile", "uk-fca-disp", "--period", "2026h2", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert (figures["profile"], figures["period"], figures["form"]) == ("uk-fca-disp", "2026H2", "fca-disp-1-annex-1r")
    assert (figures["start"], figures["end"]) == ("2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z")
    assert figures["outstanding_at_start"] == 2 and figures["calendar"] == "uk"
    total = figures["total"]
    assert (total["opened"], total["closed"], total["upheld"], total["upheld_pct"]) == (13, 13, 7, 53.8)
    assert [(band["label"], band["cases"], band["pct"]) for band in total["bands"]] == [
        ("within 3 business days", 6, 46.2),
        ("after 3 business days, within 8 weeks", 6, 46.2),
        ("after 8 weeks", 1, 7.7),
    ]
    assert total["redress_paid"] == {"GBP": "204.90"}  # exact, as a string
    assert [row["name"] for row in figures["by_product_group"]][:2] == ["Banking and credit cards", "Home finance"]
    assert "DISP 1 Annex 1R" in figures["source"]


def test_the_cfpb_figures_as_json(database_url: str) -> None:
    code, out, err = run(database_url, "--profile", "us-cfpb", "--period", "2026H2", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["calendar"] is None  # calendar days: no business calendar involved
    total = figures["total"]
    assert [(band["label"], band["cases"], band["cumulative_pct"]) for band in total["bands"]] == [
        ("within 15 days", 1, 25.0),
        ("after 15 days, within 60 days", 2, 75.0),
        ("after 60 days", 1, 100.0),
    ]
    assert total["redress_paid"] == {"EUR": "3.00", "USD": "15.50"}


def test_the_return_as_csv_and_as_tables(database_url: str) -> None:
    code, out, err = run(database_url, "--profile", "uk-fca-disp", "--period", "2026H2", "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1 + 6 + 9  # the total, the product groups, the causes
    total = rows[0]
    assert (total["section"], total["opened"], total["closed"], total["redress_paid_GBP"]) == (
        "total",
        "13",
        "13",
        "204.90",
    )
    assert (total["closed within 3 business days"], total["closed after 8 weeks pct"]) == ("6", "7.7")
    assert total["outstanding_at_start"] == "2"
    delays = next(row for row in rows if row["name"] == "Delays/timescales")
    assert (delays["section"], delays["opened"], delays["upheld_pct"]) == ("cause", "3", "33.3")
    code, out, err = run(database_url, "--profile", "uk-fca-disp", "--period", "2026H2")
    assert code == 0, err
    for text in (
        "FCA complaints return (DISP 1 Annex 1R)",
        "6 (46.2 %)",  # closed within 3 business days: the header may wrap
        "Credit related",
        "Delays/timescales",
        "GBP 204.90",
        "outstanding at the start of the period: 2",
        "2026-12-31",
    ):
        assert text in out, text  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "uk-fca", "--period", "2026H2"], "--profile: unknown regulatory profile 'uk-fca'; known: "),
        (["--profile", "internal", "--period", "2026H2"], "--profile: profile 'internal' files no return"),
        (["--profile", "uk-fca-disp", "--period", "2026H3"], "--period: period '2026H3' is not one of"),
        (["--profile", "uk-fca-disp", "--period", "2026-13"], "--period: period '2026-13': month must be in 1..12"),
        (["--profile", "uk-fca-disp", "--period", "2026H2", "--json", "--csv"], "--json and --csv: choose one"),
        (["--period", "2026H2"], "Missing option '--profile'"),
    ],
)
def test_bad_input_exits_2_naming_the_option(database_url: str, args: list[str], message: str) -> None:
    code, out, err = run(database_url, *args)
    assert code == 2
    assert message in err
    assert out == ""


def test_a_database_without_the_archive_exits_5(tmp_path: Path) -> None:
    (tmp_path / "app.db").touch()  # an empty SQLite database: never migrated, no case_files table
    code, out, err = run(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "--profile", "us-cfpb", "--period", "2026")
    assert (code, out) == (5, "")
    assert "error: cannot read the case file archive" in err and "case_files" in err


def test_no_database_exits_5_and_creates_none(tmp_path: Path) -> None:
    code, out, err = run(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "--profile", "us-cfpb", "--period", "2026")
    assert (code, out) == (5, "")
    assert f"no app database at {tmp_path / 'app.db'} yet" in err
    assert not (tmp_path / "app.db").exists()

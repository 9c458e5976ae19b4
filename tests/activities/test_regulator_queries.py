"""The regulator's return over archived cases on SQLite and PostgreSQL: every cell of the FCA return
and the CFPB figures for 2026H2, and the SQL's inputs equal to the pure computation's for any period."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from activities.regulator_queries import return_inputs
from complaints.regulator_return import RegulatorReturn, ReturnInputs, ReturnRow, inputs_of, regulator_return
from complaints.report_period import parse_period
from tests.activities.incident_books import Database
from tests.activities.regulator_cases import CASES, archive_cases, record, utc
from tests.complaints.test_regulator_return import SLA

NOW = utc(2027, 1, 2)
ZERO: tuple[Any, ...] = (0, 0, 0, None, [0, 0, 0], [None, None, None], {})


def cells(row: ReturnRow) -> tuple[Any, ...]:
    return (
        row.opened,
        row.closed,
        row.upheld,
        row.upheld_pct,
        [band.cases for band in row.bands],
        [band.cumulative_pct for band in row.bands],
        {currency: str(amount) for currency, amount in row.redress_paid.items()},
    )


async def figures(database: Database, profile: str, period: str = "2026H2") -> RegulatorReturn:
    await archive_cases(database.engine)  # once per database: a file is written once
    start, end = parse_period(period)
    chosen = SLA.profile(profile)
    inputs = await return_inputs(database.engine, profile, start, end)
    return regulator_return(chosen, SLA.calendar(chosen.calendar), (period, start, end), inputs, NOW)


async def test_every_cell_of_the_fca_return(database: Database) -> None:
    fca = await figures(database, "uk-fca-disp")
    assert (fca.outstanding_at_start, fca.calendar, fca.form.value) == (2, "uk", "fca-disp-1-annex-1r")
    assert [band.label for band in fca.total.bands] == [
        "within 3 business days",
        "after 3 business days, within 8 weeks",
        "after 8 weeks",
    ]
    assert cells(fca.total) == (13, 13, 7, 53.8, [6, 6, 1], [46.2, 92.3, 100.0], {"GBP": "204.90"})
    assert [band.pct for band in fca.total.bands] == [46.2, 46.2, 7.7]
    assert {row.name: cells(row) for row in fca.by_product_group} == {
        "Banking and credit cards": (10, 10, 6, 60.0, [5, 4, 1], [50.0, 90.0, 100.0], {"GBP": "189.90"}),
        "Home finance": ZERO,
        "Insurance & pure protection": ZERO,
        "Decumulation & pensions": ZERO,
        "Investments": ZERO,
        "Credit related": (3, 3, 1, 33.3, [1, 2, 0], [33.3, 100.0, 100.0], {"GBP": "15.00"}),
    }
    assert {row.name: cells(row) for row in fca.by_cause} == {
        "Unsuitable advice": ZERO,
        "Product disclosure information": ZERO,
        "Disputes over sums/charges": (4, 3, 2, 66.7, [2, 1, 0], [66.7, 100.0, 100.0], {"GBP": "114.90"}),
        "Product performance/features": (3, 4, 4, 100.0, [1, 2, 1], [25.0, 75.0, 100.0], {"GBP": "75.00"}),
        "Delays/timescales": (3, 3, 1, 33.3, [1, 2, 0], [33.3, 100.0, 100.0], {"GBP": "15.00"}),
        "Errors/not following instructions": ZERO,
        "Other general admin/customer service": (1, 2, 0, 0.0, [1, 1, 0], [50.0, 100.0, 100.0], {}),
        "Arrears related": ZERO,
        "Other": (2, 1, 0, 0.0, [1, 0, 0], [100.0, 100.0, 100.0], {}),
    }


async def test_the_cfpb_figures(database: Database) -> None:
    cfpb = await figures(database, "us-cfpb")
    assert [band.label for band in cfpb.total.bands] == [
        "within 15 days",
        "after 15 days, within 60 days",
        "after 60 days",
    ]
    assert cfpb.outstanding_at_start == 0
    assert cells(cfpb.total) == (4, 4, 2, 50.0, [1, 2, 1], [25.0, 75.0, 100.0], {"EUR": "3.00", "USD": "15.50"})
    groups = {row.name: cells(row) for row in cfpb.by_product_group if row.opened or row.closed}
    assert groups == {
        "Prepaid card": (1, 1, 0, 0.0, [0, 1, 0], [0.0, 100.0, 100.0], {}),
        "Money transfer, virtual currency, or money service": (
            3, 3, 2, 66.7, [1, 1, 1], [33.3, 66.7, 100.0], {"EUR": "3.00", "USD": "15.50"}
        ),
    }  # fmt: skip
    assert len(cfpb.by_product_group) == 11 and all(
        cells(row) == ZERO for row in cfpb.by_product_group if row.name not in groups
    )
    causes = {row.name: cells(row) for row in cfpb.by_cause if row.opened or row.closed}
    assert causes == {
        "Problem with a purchase shown on your statement": (
            1, 1, 1, 100.0, [1, 0, 0], [100.0, 100.0, 100.0], {"USD": "10.00"}
        ),
        "Trouble using your card": (1, 1, 0, 0.0, [0, 1, 0], [0.0, 100.0, 100.0], {}),
        "Money was not available when promised": (1, 1, 1, 100.0, [0, 1, 0], [0.0, 100.0, 100.0], {}),
        "Other features, terms, or problems": (
            1, 1, 0, 0.0, [0, 0, 1], [0.0, 0.0, 100.0], {"EUR": "3.00", "USD": "5.50"}
        ),
    }  # fmt: skip


def _sorted(inputs: ReturnInputs) -> tuple[list[Any], int, list[Any], list[Any]]:
    return (
        sorted(inputs.opened, key=repr),
        inputs.outstanding_at_start,
        sorted(inputs.closed, key=repr),
        sorted(inputs.redress, key=repr),
    )


PERIODS = ["2026H2", "2026H1", "2026Q3", "2026-07", "2026-12-31..2027-01-01", "2027"]
CLOSED = {  # cases closed (final response sent) in each period, per profile
    "uk-fca-disp": [13, 2, 10, 6, 1, 3],
    "us-cfpb": [4, 0, 4, 2, 0, 0],
    "internal": [1, 0, 1, 1, 0, 0],
}


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("profile", list(CLOSED))
async def test_the_sql_gives_what_the_pure_computation_gives(database: Database, profile: str, period: str) -> None:
    await archive_cases(database.engine)
    start, end = parse_period(period)
    read = await return_inputs(database.engine, profile, start, end)
    expected = inputs_of([record(spec) for spec in CASES if spec.profile == profile], start, end)
    assert _sorted(read) == _sorted(expected)
    assert len(read.closed) == CLOSED[profile][PERIODS.index(period)]
    assert all(isinstance(tally.amount, Decimal) for tally in read.redress)

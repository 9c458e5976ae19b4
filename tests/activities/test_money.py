"""Money is exact from the request to the ledger: integer cents in the database, `Decimal` in Python.

On a REAL column (what NUMERIC is on SQLite) 0.1 is 0.1000000000000000055… and ten thousand of
them sum to 1000.0000000001588; these tests fail there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import BigInteger, Table, inspect, select, type_coerce
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.db import PayoutRow, from_minor_units, to_minor_units
from activities.ledger import PayoutLedger
from activities.migrate import app_schema, upgrade_to_head
from tests.activities.databases import BACKENDS, empty_database, engines, payout_request

PAYOUTS = cast(Table, PayoutRow.__table__)
LOG = logging.getLogger(__name__)
CHUNK = 250


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A new database brought to head: a SQLite file or a scratch PostgreSQL schema."""
    with empty_database(request.param, tmp_path) as (url, schema):
        async with engines(url, schema) as (made,):
            await upgrade_to_head(made)
            yield made


@pytest.fixture
def ledger(engine: AsyncEngine) -> PayoutLedger:
    return PayoutLedger(engine, LOG)


@pytest.mark.parametrize(
    ("amount", "minor"),
    [("19.99", 1999), ("0.1", 10), ("0.10", 10), ("30", 3000), ("0", 0), ("9999999999.99", 999999999999)],
)
def test_amounts_become_whole_cents_and_come_back_with_two_places(amount: str, minor: int) -> None:
    assert to_minor_units(Decimal(amount)) == minor
    back = from_minor_units(minor)
    assert back == Decimal(amount) and back.as_tuple().exponent == -2


@pytest.mark.parametrize("amount", ["0.005", "19.999", "NaN", "Infinity"])
def test_a_fraction_of_a_cent_is_refused_not_rounded(amount: str) -> None:
    with pytest.raises(ValueError, match="whole number of cents"):
        to_minor_units(Decimal(amount))


async def test_ten_thousand_payouts_of_ten_pence_sum_to_exactly_one_thousand(ledger: PayoutLedger) -> None:
    paid_at = datetime.now(UTC)
    requests = [payout_request(f"complaint-T-{i}", "0.10") for i in range(10_000)]
    for start in range(0, len(requests), CHUNK):  # concurrent, within the connection pool's patience
        chunk = requests[start : start + CHUNK]
        results = await asyncio.gather(*(ledger.record(request, paid_at=paid_at) for request in chunk))
        assert all(inserted for _, inserted in results)
    assert await ledger.count() == 10_000
    total = await ledger.paid_to_customer("cust-77", paid_at - timedelta(days=1), "GBP")
    assert total == Decimal("1000.00") and str(total) == "1000.00"


async def test_the_database_holds_integer_cents_and_sums_them_exactly(
    ledger: PayoutLedger, engine: AsyncEngine
) -> None:
    """Fails on a REAL column: the raw values would be floats and the sum not exactly 0.60 + 19.99 + 45216.01."""
    paid_at = datetime.now(UTC)
    for i, amount in enumerate(["0.10", "0.20", "0.30", "19.99", "45216.01"]):
        await ledger.record(payout_request(f"complaint-R-{i}", amount), paid_at=paid_at)
    async with engine.connect() as conn:
        raw = (await conn.execute(select(type_coerce(PAYOUTS.c.amount, BigInteger)))).scalars().all()
        column_types = await conn.run_sync(
            lambda sync: {c["name"]: c["type"] for c in inspect(sync).get_columns("payouts", schema=app_schema(sync))}
        )
    assert sorted(raw) == [10, 20, 30, 1999, 4521601] and all(type(value) is int for value in raw)
    assert isinstance(column_types["amount"], BigInteger)
    total = await ledger.paid_to_customer("cust-77", paid_at - timedelta(days=1), "GBP")
    assert total == Decimal("45236.60") and str(total) == "45236.60"
    receipt, inserted = await ledger.record(payout_request("complaint-R-0", "0.10"), paid_at=paid_at)
    assert not inserted and receipt.amount == Decimal("0.10") and str(receipt.amount) == "0.10"


async def test_a_payout_of_a_fraction_of_a_cent_is_refused_and_nothing_is_stored(ledger: PayoutLedger) -> None:
    with pytest.raises(StatementError, match="whole number of cents"):
        await ledger.record(payout_request("complaint-F-1", "0.005"), paid_at=datetime.now(UTC))
    assert await ledger.count() == 0


async def test_an_empty_ledger_sums_to_zero_with_two_places(ledger: PayoutLedger) -> None:
    total = await ledger.spent_in_category("billing", datetime.now(UTC) - timedelta(days=30), "GBP")
    assert total == Decimal("0") and str(total) == "0.00"

"""The payout ledger pays each key exactly once, on SQLite and on PostgreSQL, even under
concurrent retries; outcome records are written once per case."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from activities import ComplaintActivities
from activities.db import Base
from complaints.case import CaseOutcome, ClosingRecord
from complaints.intake import Category
from complaints.payout import CustomerPaidQuery, PayoutRequest, payout_key
from complaints.remedies import RemedyItem
from complaints.standing import CustomerStanding, StandingQuery
from infra.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_schema: tuple[str, str]
) -> AsyncIterator[ComplaintActivities]:
    """Activities on a fresh SQLite file, or on a fresh table set in the session's PG schema."""
    if request.param == "sqlite":
        activities = ComplaintActivities(Settings(data_dir=tmp_path / "data"))
    else:
        url, schema = postgres_schema
        activities = ComplaintActivities(Settings(data_dir=tmp_path / "data", database_url=url), schema=schema)
    await activities.prepare()
    await activities.prepare()  # idempotent
    async with activities.engine.begin() as conn:  # each test starts from empty tables
        for table in Base.metadata.sorted_tables:
            await conn.execute(table.delete())
    try:
        yield activities
    finally:
        await activities.close()


def payout(workflow_id: str = "complaint-ACME-1042", version: int = 1, amount: str = "230.00") -> PayoutRequest:
    return PayoutRequest(
        idempotency_key=payout_key(workflow_id, version),
        complaint_id=workflow_id.removeprefix("complaint-"),
        workflow_id=workflow_id,
        customer_id="cust-77",
        amount=Decimal(amount),
        currency="GBP",
        items=[
            RemedyItem(kind="refund", amount=Decimal("180.00"), reason="Refund of lost pay."),
            RemedyItem(kind="goodwill", amount=Decimal("50.00"), reason="Goodwill."),
        ],
        approved_by="dlee",
        policy_version="2026-1/v1",
    )


async def test_same_key_pays_once(store: ComplaintActivities) -> None:
    env = ActivityEnvironment()
    first = await env.run(store.pay_compensation, payout())
    second = await env.run(store.pay_compensation, payout())
    assert not first.already_paid
    assert second.already_paid
    assert second.ledger_id == first.ledger_id
    assert second.amount == first.amount == Decimal("230.00")
    assert second.currency == "GBP"
    assert second.paid_at == first.paid_at and first.paid_at.tzinfo is not None
    assert await store.ledger.count() == 1


async def test_different_keys_pay_separately(store: ComplaintActivities) -> None:
    env = ActivityEnvironment()
    one = await env.run(store.pay_compensation, payout(version=1))
    two = await env.run(store.pay_compensation, payout(version=2, amount="75.00"))
    assert not one.already_paid and not two.already_paid
    assert one.ledger_id != two.ledger_id
    assert two.amount == Decimal("75.00")
    assert await store.ledger.count() == 2


async def test_concurrent_retries_pay_once(store: ComplaintActivities) -> None:
    env = ActivityEnvironment()
    receipts = await asyncio.gather(*(env.run(store.pay_compensation, payout()) for _ in range(8)))
    assert sum(not receipt.already_paid for receipt in receipts) == 1
    assert len({receipt.ledger_id for receipt in receipts}) == 1
    assert await store.ledger.count(payout().idempotency_key) == 1


def outcome(csat: int | None = 5) -> CaseOutcome:
    return CaseOutcome(
        complaint_id="ACME-1042",
        workflow_id="complaint-ACME-1042",
        customer_id="cust-77",
        category="delivery",
        priority="high",
        outcome="resolved",
        root_cause="Driver skipped the covered-delivery step",
        recurring=False,
        severity=3,
        remedy_total=Decimal("230.00"),
        currency="GBP",
        paid=True,
        csat=csat,
        received_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        closed_at=datetime(2026, 12, 10, 12, 0, tzinfo=UTC),
        reopened=False,
        investigation_escalated=False,
    )


async def test_outcome_is_recorded_once(store: ComplaintActivities) -> None:
    env = ActivityEnvironment()
    await env.run(store.record_outcome, ClosingRecord(**outcome(csat=5).model_dump()))
    await env.run(store.record_outcome, ClosingRecord(**outcome(csat=1).model_dump()))  # a retry never overwrites
    assert await store.outcomes.get("complaint-ACME-1042") == outcome(csat=5)


async def test_paid_to_customer_sums_the_rolling_window(store: ComplaintActivities) -> None:
    now = datetime.now(UTC)
    await store.ledger.record(payout("complaint-A-1", amount="100.00"), paid_at=now - timedelta(days=10))
    await store.ledger.record(payout("complaint-A-2", amount="40.50"), paid_at=now - timedelta(days=200))
    await store.ledger.record(payout("complaint-A-3", amount="999.00"), paid_at=now - timedelta(days=400))
    since = now - timedelta(days=365)
    assert await store.ledger.paid_to_customer("cust-77", since, "GBP") == Decimal("140.50")
    assert await store.ledger.paid_to_customer("cust-77", since, "EUR") == Decimal("0.00")
    assert await store.ledger.paid_to_customer("someone-else", since, "GBP") == Decimal("0.00")
    receipt = await store.customer_paid_since(CustomerPaidQuery(customer_id="cust-77", currency="GBP", since=since))
    assert receipt.amount == Decimal("140.50")


def billing_payout(workflow_id: str, amount: str, customer_id: str = "cust-77") -> PayoutRequest:
    return payout(workflow_id, amount=amount).model_copy(
        update={"category": Category.BILLING, "customer_id": customer_id}
    )


async def test_customer_standing_reads_payouts_complaints_and_the_category_month(store: ComplaintActivities) -> None:
    now = datetime.now(UTC)
    month_began = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    ledger = store.ledger
    await ledger.record(billing_payout("complaint-B-1", "100.00"), paid_at=month_began)
    await ledger.record(billing_payout("complaint-B-2", "40.00", customer_id="someone-else"), paid_at=now)
    await ledger.record(billing_payout("complaint-B-3", "7.00"), paid_at=month_began - timedelta(seconds=1))
    await ledger.record(billing_payout("complaint-THIS", "500.00"), paid_at=now)  # the asking case: not counted
    delivery = payout("complaint-D-1", amount="60.00").model_copy(update={"category": Category.DELIVERY})
    await ledger.record(delivery, paid_at=now)
    await store.outcomes.record(outcome().model_copy(update={"closed_at": now - timedelta(days=30)}))
    withdrawn = {"workflow_id": "complaint-W-1", "outcome": "withdrawn", "closed_at": now - timedelta(days=5)}
    await store.outcomes.record(outcome().model_copy(update=withdrawn))
    old = {"workflow_id": "complaint-O-1", "closed_at": now - timedelta(days=400)}
    await store.outcomes.record(outcome().model_copy(update=old))

    query = StandingQuery(
        customer_id="cust-77",
        category=Category.BILLING,
        currency="GBP",
        year_since=now - timedelta(days=365),
        month_since=month_began,
        exclude_workflow_id="complaint-THIS",
    )
    standing = await ActivityEnvironment().run(store.read_customer_standing, query)

    assert standing == CustomerStanding(
        paid_last_12_months=Decimal("167.00"),  # 100 + 7 + 60 delivery, not 500 (this case) nor someone else's
        earlier_complaints=1,  # not the withdrawn one, not the one over a year ago
        category_spent_this_month=Decimal("140.00"),  # billing since the 1st, anyone's, but not this case's
    )

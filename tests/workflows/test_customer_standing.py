"""The customer's standing is read from the real ledger and outcome records when a remedy
is proposed: the rolling per-customer cap, earlier complaints, and the monthly category budget."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.actions import Withdrawal
from complaints.case import CaseOutcome, Stage
from complaints.intake import Category
from complaints.payout import PayoutRequest
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.support import FINDINGS, reach, start_case
from worker import running_worker
from workflows import ComplaintWorkflow

OWN_QUEUE = "complaints-budget"


def customer(customer_id: str) -> dict[str, str]:
    return {"id": customer_id, "name": "Ada Lovelace", "email": "ada@example.com"}


def earlier_outcome(customer_id: str, closed_at: datetime, outcome: str = "resolved") -> CaseOutcome:
    complaint_id = f"OLD-{uuid.uuid4().hex[:8]}"
    return CaseOutcome(
        complaint_id=complaint_id,
        workflow_id=f"complaint-{complaint_id}",
        customer_id=customer_id,
        category="billing",
        priority="normal",
        outcome=outcome,
        root_cause="Payment retry bug",
        root_cause_code="billing.duplicate-charge",
        recurring=False,
        severity=2,
        csat=None,
        remedy_total=Decimal("0"),
        currency="GBP",
        paid=False,
        received_at=closed_at - timedelta(days=10),
        closed_at=closed_at,
        reopened=False,
        investigation_escalated=False,
    )


def earlier_payout(customer_id: str, amount: str, category: Category | None = None) -> PayoutRequest:
    complaint_id = f"OLD-{uuid.uuid4().hex[:8]}"
    return PayoutRequest(
        category=category,
        idempotency_key=f"complaint-{complaint_id}:proposal-1",
        complaint_id=complaint_id,
        workflow_id=f"complaint-{complaint_id}",
        customer_id=customer_id,
        amount=Decimal(amount),
        currency="GBP",
        items=[],
        approved_by="mgr-dana",
        policy_version="2026-11-b/v2",
    )


@pytest.fixture
def own_queue() -> str:
    """The task queue of this test's own worker."""
    return f"{OWN_QUEUE}-{uuid.uuid4().hex[:6]}"


@pytest_asyncio.fixture
async def own_ledger(
    dev_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink, own_queue: str
) -> AsyncIterator[ComplaintActivities]:
    """A worker with a ledger of its own, on the real dev server (nothing here needs time to
    pass): what one test spends from a budget or pays a customer must not reach another's cases."""
    settings = settings_for(tmp_path, session_mail_sink, task_queue=own_queue)
    async with running_worker(dev_env.client, settings) as own:
        yield own


async def test_earlier_payouts_to_the_customer_cut_the_new_proposal(
    dev_env: WorkflowEnvironment, own_ledger: ComplaintActivities, own_queue: str
) -> None:
    now, activities = datetime.now(UTC), own_ledger
    customer_id = f"cust-{uuid.uuid4().hex[:8]}"
    await activities.ledger.record(earlier_payout(customer_id, "7450"), paid_at=now - timedelta(days=30))
    long_ago = now - timedelta(days=600)  # outside the rolling year: must not count
    await activities.ledger.record(earlier_payout(customer_id, "5000"), paid_at=long_ago)

    handle = await start_case(dev_env.client, own_queue, customer=customer(customer_id))
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)  # 114.90 uncapped
    offer = await reach(handle, Stage.AWAITING_CUSTOMER)  # 50.00 left: auto-approved

    assert offer.proposal is not None
    assert offer.proposal.total == Decimal("50") and offer.approved_by == "auto"
    assert "7450.00 already paid" in offer.proposal.note
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()


async def test_earlier_complaints_in_the_last_year_add_goodwill(
    dev_env: WorkflowEnvironment, own_ledger: ComplaintActivities, own_queue: str
) -> None:
    now, activities = datetime.now(UTC), own_ledger
    customer_id = f"cust-{uuid.uuid4().hex[:8]}"
    await activities.outcomes.record(earlier_outcome(customer_id, now - timedelta(days=40)))
    await activities.outcomes.record(earlier_outcome(customer_id, now - timedelta(days=20), outcome="withdrawn"))
    await activities.outcomes.record(earlier_outcome(customer_id, now - timedelta(days=400)))  # over a year ago

    handle = await start_case(dev_env.client, own_queue, customer=customer(customer_id))
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    waiting = await reach(handle, Stage.AWAITING_APPROVAL)

    assert waiting.proposal is not None
    goodwill = waiting.proposal.items[-1]
    assert goodwill.amount == Decimal("31.25")  # 25.00 + 25 % for the one earlier complaint that counts
    assert goodwill.reason.endswith("you have had to complain to us once before this year.")
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()


async def test_what_the_category_spent_this_month_cuts_the_proposal_to_the_budget_left(
    dev_env: WorkflowEnvironment, own_ledger: ComplaintActivities, own_queue: str
) -> None:
    now = datetime.now(UTC)
    month_began = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    ledger = own_ledger.ledger
    await ledger.record(earlier_payout("someone-else", "19000", Category.BILLING), paid_at=month_began)
    await ledger.record(earlier_payout("another", "930", Category.BILLING), paid_at=now)
    await ledger.record(earlier_payout("another", "5000", Category.DELIVERY), paid_at=now)  # other category
    await ledger.record(earlier_payout("another", "5000", Category.BILLING), paid_at=month_began - timedelta(seconds=1))
    await ledger.record(earlier_payout("another", "5000"), paid_at=now)  # written before the category column

    handle = await start_case(dev_env.client, own_queue)  # billing, 114.90 uncut
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    waiting = await reach(handle, Stage.AWAITING_APPROVAL)

    assert waiting.proposal is not None
    assert waiting.proposal.total == Decimal("70") and waiting.proposal.approval_level == "agent"
    assert waiting.proposal.note == "Cut from 114.90 to the 70.00 left of this month's billing budget of 20000.00 GBP."
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()

"""The rolling per-customer cap reads the real ledger when a remedy is proposed."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.actions import Withdrawal
from complaints.case import Stage
from complaints.payout import PayoutRequest
from tests.support import FINDINGS, reach, start_case
from workflows import ComplaintWorkflow


def earlier_payout(customer_id: str, amount: str) -> PayoutRequest:
    complaint_id = f"OLD-{uuid.uuid4().hex[:8]}"
    return PayoutRequest(
        idempotency_key=f"complaint-{complaint_id}:proposal-1",
        complaint_id=complaint_id,
        workflow_id=f"complaint-{complaint_id}",
        customer_id=customer_id,
        amount=Decimal(amount),
        currency="GBP",
        items=[],
        approved_by="mgr-dana",
        policy_version="2026-11-a/v1",
    )


async def test_earlier_payouts_to_the_customer_cut_the_new_proposal(
    time_env: WorkflowEnvironment, client: Client, activities: ComplaintActivities
) -> None:
    # Stamp the rows on the test server's clock (the workflow's now), which runs ahead of real time.
    now = await time_env.get_current_time()
    customer_id = f"cust-{uuid.uuid4().hex[:8]}"
    await activities.ledger.record(earlier_payout(customer_id, "7450"), paid_at=now - timedelta(days=30))
    long_ago = now - timedelta(days=600)  # outside the rolling year: must not count
    await activities.ledger.record(earlier_payout(customer_id, "5000"), paid_at=long_ago)

    handle = await start_case(client, customer={"id": customer_id, "name": "Ada Lovelace", "email": "ada@example.com"})
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)  # 114.90 uncapped
    offer = await reach(handle, Stage.AWAITING_CUSTOMER)  # 50.00 left: auto-approved

    assert offer.proposal is not None
    assert offer.proposal.total == Decimal("50") and offer.approved_by == "auto"
    assert "7450.00 already paid" in offer.proposal.note
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()

"""The payout contract: exactly once per proposal version, whatever retries happen."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from complaints.intake import Category
from complaints.remedies import RemedyItem


def payout_key(workflow_id: str, proposal_version: int, attempt: int = 1) -> str:
    """Same proposal, same key: the ledger's unique constraint makes a retry a no-op.

    Only a staff decision to retry after a refusal (nothing was paid) starts a new key.
    """
    base = f"{workflow_id}:proposal-{proposal_version}"
    return base if attempt == 1 else f"{base}-retry-{attempt}"


class PayoutRequest(BaseModel):
    idempotency_key: str
    complaint_id: str
    workflow_id: str
    customer_id: str
    category: Category | None = None  # None in requests from before budgets per category
    amount: Decimal
    currency: str
    items: list[RemedyItem]
    approved_by: str
    policy_version: str


class PayoutReceipt(BaseModel):
    idempotency_key: str
    amount: Decimal
    currency: str
    ledger_id: int
    paid_at: datetime
    already_paid: bool = False
    reference: str | None = None  # the finance system's own payout id, when a finance API paid it


class CustomerPaidQuery(BaseModel):
    """How much one customer was paid since an instant: the input of the rolling cap."""

    customer_id: str
    currency: str
    since: datetime


class CustomerPaid(BaseModel):
    customer_id: str
    since: datetime
    amount: Decimal

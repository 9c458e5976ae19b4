"""What a remedy is made of: the items a proposal offers and the proposal itself.

Kept apart from the policy that chooses them, so intake (the customer's desired remedy),
the payout contract and the templates can name remedy kinds without importing the policy.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel


class RemedyKind(StrEnum):
    REFUND = "refund"  # money back for a proven loss
    REPLACEMENT = "replacement"  # a new item in place of the one that went wrong (in kind)
    ACCOUNT_CREDIT = "account_credit"  # credited to the customer's account with us
    DISCOUNT = "discount"  # off the customer's next purchase (in kind)
    GOODWILL = "goodwill"  # "something extra", paid in money
    ADJUSTED = "adjusted"  # a staff amendment replaced the proposal
    COUNTER = "counter"  # the customer's counter-offer, approved


class RemedyItem(BaseModel):
    kind: RemedyKind
    amount: Decimal  # its value to the customer: what approval limits, caps and the ledger count
    reason: str  # one sentence in plain words, addressed to the customer
    cost: Decimal | None = None  # what it costs us, where that differs from its value (in kind)


class Proposal(BaseModel):
    version: int
    items: list[RemedyItem]
    currency: str
    policy_version: str
    approval_level: str | None  # None: auto-approved
    note: str = ""

    @property
    def total(self) -> Decimal:
        return sum((item.amount for item in self.items), Decimal("0"))

    @property
    def cost(self) -> Decimal:
        return sum((item.amount if item.cost is None else item.cost for item in self.items), Decimal("0"))

    @property
    def is_counter_offer(self) -> bool:
        return bool(self.items) and self.items[0].kind is RemedyKind.COUNTER

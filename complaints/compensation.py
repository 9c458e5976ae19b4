"""The compensation policy's parameters: the `[compensation]` table of the rules file.

Every field defaults to what the first policy did (money only, no customer factors, no
budgets), so a case pinned to an older rules file proposes exactly what it did before.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from complaints.intake import Category, CustomerTier
from complaints.remedies import RemedyKind

Fraction = Decimal  # 0.25 = 25 %


class OverLimit(StrEnum):
    CUT = "cut"  # cut the proposal to the limit, and say so
    ESCALATE = "escalate"  # keep it, and have a higher level approve it


class CompensationTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = "v1"
    currency: str = "GBP"

    # -- goodwill: the "something extra" --------------------------------------------------------
    goodwill_by_severity: tuple[Decimal, Decimal, Decimal, Decimal, Decimal] = (
        Decimal("0"),
        Decimal("10"),
        Decimal("25"),
        Decimal("50"),
        Decimal("100"),
    )
    recurring_goodwill_multiplier: Decimal = Decimal("2")
    goodwill_by_inconvenience: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal("0"),  # none
        Decimal("0"),  # minor
        Decimal("0"),  # moderate
        Decimal("0"),  # major
    )
    goodwill_for_harm: Decimal = Field(default=Decimal("0"), ge=0)

    # -- the customer: more goodwill for loyal and valued customers and for repeat trouble -----
    tier_uplift: dict[CustomerTier, Fraction] = {}
    tenure_uplift_per_year: Fraction = Field(default=Decimal("0"), ge=0)
    tenure_uplift_max: Fraction = Field(default=Decimal("0"), ge=0)
    earlier_complaint_uplift: Fraction = Field(default=Decimal("0"), ge=0)  # per earlier complaint in 12 months
    earlier_complaints_counted: int = Field(default=2, ge=0)

    # -- the form of the remedy -------------------------------------------------------------------
    # What a discount voucher costs us per unit of its face value. Below 1, goodwill is given
    # as a discount on the next purchase (cheaper for us) unless the customer asked for money.
    discount_cost_ratio: Fraction | None = Field(default=None, gt=0)
    # Remedy kinds the policy may give per category; a category not listed allows them all.
    allowed_remedies: dict[Category, tuple[RemedyKind, ...]] = {}

    # -- approvals and limits -----------------------------------------------------------------------
    auto_approve_up_to: Decimal = Decimal("50")
    four_eyes_above: Decimal = Decimal("100")  # above this the case owner may not approve their own case
    cap_per_complaint: Decimal | None = None
    cap_per_customer_12_months: Decimal | None = None  # all payouts to one customer in a rolling year
    monthly_budget: dict[Category, Decimal] = {}  # per category per calendar month (UTC), from the ledger
    over_limit: OverLimit = OverLimit.CUT
    over_limit_approver: str | None = None  # the role that may approve over a limit; None: the top role

    @model_validator(mode="after")
    def _uplift_bounds(self) -> CompensationTable:
        if self.tenure_uplift_per_year > 0 and self.tenure_uplift_max == 0:
            raise ValueError("tenure_uplift_max: must be set above 0 when tenure_uplift_per_year is")
        return self

    def allows(self, category: Category, kind: RemedyKind) -> bool:
        allowed = self.allowed_remedies.get(category)
        return allowed is None or kind in allowed

    @property
    def prefers_discount(self) -> bool:
        return self.discount_cost_ratio is not None and self.discount_cost_ratio < 1

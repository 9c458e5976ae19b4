"""The customer's standing with us when a remedy is proposed, read from the ledger and outcomes.

One activity reads it all (what they were paid in the last 12 months, how often they had to
complain, what this category has spent this month), so the proposal is a pure function of
the findings, the case and this record, and replays the same from history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel

from complaints.intake import Category

ROLLING_YEAR = timedelta(days=365)


class StandingQuery(BaseModel):
    customer_id: str
    category: Category
    currency: str
    year_since: datetime  # the rolling 12 months start here
    month_since: datetime  # the budget month (UTC) starts here
    exclude_workflow_id: str  # this case: its own payouts are a top-up, not "earlier"
    # the findings' root cause: earlier cases with it for the same product make this one recurring
    # (a complaint naming no product is never found recurring this way: there is no product to match)
    root_cause_code: str | None = None
    product: str | None = None
    recurring_since: datetime | None = None


class CustomerStanding(BaseModel):
    paid_last_12_months: Decimal = Decimal("0")
    earlier_complaints: int = 0  # closed (not withdrawn) complaints in the last 12 months
    category_spent_this_month: Decimal = Decimal("0")
    same_cause_earlier: int = 0  # archived cases with the same root cause for the same product, recently


def month_start(moment: datetime) -> datetime:
    """The first instant of the moment's calendar month, in the moment's own time zone (UTC here)."""
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

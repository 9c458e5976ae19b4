"""Who moves the money: one interface, so the activity never cares which system pays.

Every gateway must be idempotent by `PayoutRequest.idempotency_key` (workflow id + proposal
version): Temporal retries the payout activity and may run it again after a worker died
between paying and reporting, and a second call with the same key must pay nothing.
"""

from __future__ import annotations

import logging
from typing import Protocol

from activities.config import ActivityConfig
from activities.finance_api import FinanceApiGateway
from activities.ledger import PayoutLedger
from complaints.payout import PayoutReceipt, PayoutRequest


class PayoutGateway(Protocol):
    async def pay(self, request: PayoutRequest) -> PayoutReceipt:
        """Pay once per key; a repeat returns the original payment marked already_paid."""
        ...

    async def close(self) -> None:
        """Release connections; the activities call it when the worker stops."""
        ...


class LedgerGateway:
    """The embedded default: a row in the `payouts` table is the payment (unique key)."""

    def __init__(self, ledger: PayoutLedger) -> None:
        self.ledger = ledger

    async def pay(self, request: PayoutRequest) -> PayoutReceipt:
        return await self.ledger.pay(request)

    async def close(self) -> None:
        """The engine belongs to the activities, which dispose of it themselves."""


def make_gateway(
    settings: ActivityConfig, ledger: PayoutLedger, logger: logging.LoggerAdapter[logging.Logger] | logging.Logger
) -> PayoutGateway:
    """The configured gateway; a half-configured finance API fails here, at worker start,
    rather than on the first payout of some customer's case."""
    if settings.payout_gateway == "ledger":
        return LedgerGateway(ledger)
    if not settings.finance_api_url:
        raise ValueError(
            "COMPLAINTS_PAYOUT_GATEWAY=finance_api needs COMPLAINTS_FINANCE_API_URL "
            "(the base URL; payouts are POSTed to <url>/payouts)"
        )
    api_key = settings.finance_api_key.get_secret_value() if settings.finance_api_key else None
    return FinanceApiGateway(
        settings.finance_api_url,
        api_key,
        settings.finance_api_timeout_seconds,
        ledger=ledger,
        logger=logger,
    )

"""The payout ledger: pays each idempotency key exactly once, whatever retries happen."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import BigInteger, ColumnElement, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.schema import Table

from activities.db import PayoutRow, as_utc, from_minor_units, insert_or_ignore, utcnow, writing
from complaints.payout import PayoutReceipt, PayoutRequest

_payouts = cast(Table, PayoutRow.__table__)


class PayoutLedger:
    """Insert-or-return: the unique key turns a retried or concurrent payout into a no-op."""

    def __init__(self, engine: AsyncEngine, logger: logging.LoggerAdapter[logging.Logger] | logging.Logger) -> None:
        self._engine = engine
        self._log = logger

    async def pay(self, request: PayoutRequest) -> PayoutReceipt:
        """The embedded gateway: the row *is* the payment, so a second row is never written."""
        receipt, inserted = await self.record(request, paid_at=utcnow())
        if inserted:
            self._log.info("payout recorded: %s %s (key %s)", receipt.amount, receipt.currency, receipt.idempotency_key)
        else:
            self._log.info("payout already made for key %s: not paying again", request.idempotency_key)
        return receipt

    async def record(self, request: PayoutRequest, *, paid_at: datetime) -> tuple[PayoutReceipt, bool]:
        """Insert-or-return the row for the key; True if this call inserted it.

        Also used after an external finance API confirmed a payment, so the ledger stays the
        one table that reports and caps read, whichever gateway moved the money.
        """
        values = {
            "idempotency_key": request.idempotency_key,
            "complaint_id": request.complaint_id,
            "workflow_id": request.workflow_id,
            "customer_id": request.customer_id,
            "category": request.category.value if request.category else None,
            "amount": request.amount,
            "currency": request.currency,
            "items": [item.model_dump(mode="json") for item in request.items],
            "approved_by": request.approved_by,
            "policy_version": request.policy_version,
            "created_at": paid_at,
        }
        async with writing(self._engine) as conn:
            inserted = await insert_or_ignore(conn, _payouts, values, key="idempotency_key")
            row = (
                await conn.execute(select(_payouts).where(_payouts.c.idempotency_key == request.idempotency_key))
            ).one()
        if not inserted and (row.amount != request.amount or row.currency != request.currency):
            self._log.error(
                "payout key %s was paid as %s %s but is now requested as %s %s; keeping the original",
                request.idempotency_key,
                row.amount,
                row.currency,
                request.amount,
                request.currency,
            )
        receipt = PayoutReceipt(
            idempotency_key=row.idempotency_key,
            amount=row.amount,
            currency=row.currency,
            ledger_id=row.id,
            paid_at=as_utc(row.created_at),
            already_paid=not inserted,
        )
        return receipt, inserted

    async def paid_to_customer(
        self, customer_id: str, since: datetime, currency: str, exclude_workflow_id: str | None = None
    ) -> Decimal:
        """What this customer was paid from `since` on (the rolling per-customer cap reads this)."""
        return await self._sum(_payouts.c.customer_id == customer_id, since, currency, exclude_workflow_id)

    async def spent_in_category(
        self, category: str, since: datetime, currency: str, exclude_workflow_id: str | None = None
    ) -> Decimal:
        """What complaints of one category paid out from `since` on (the monthly budget reads this).

        Rows written before the ledger had a category column have none and are not counted.
        """
        return await self._sum(_payouts.c.category == category, since, currency, exclude_workflow_id)

    async def _sum(
        self, condition: ColumnElement[bool], since: datetime, currency: str, exclude_workflow_id: str | None
    ) -> Decimal:
        minor_units = type_coerce(_payouts.c.amount, BigInteger)  # summed as integers, exact on every backend
        statement = select(func.coalesce(func.sum(minor_units), 0)).where(
            condition, _payouts.c.created_at >= since, _payouts.c.currency == currency
        )
        if exclude_workflow_id is not None:
            statement = statement.where(_payouts.c.workflow_id != exclude_workflow_id)
        async with self._engine.connect() as conn:
            total = (await conn.execute(statement)).scalar_one()
        return from_minor_units(total)

    async def count(self, idempotency_key: str | None = None) -> int:
        """How many ledger rows (for one key): what tests and reports check."""
        statement = select(_payouts.c.id)
        if idempotency_key is not None:
            statement = statement.where(_payouts.c.idempotency_key == idempotency_key)
        async with self._engine.connect() as conn:
            return len((await conn.execute(statement)).all())

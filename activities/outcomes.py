"""Outcome records: one per case, written at closure, read by reports."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.schema import Table

from activities.db import OutcomeRow, as_utc, insert_or_ignore, utcnow, writing
from complaints.case import CaseOutcome

_outcomes = cast(Table, OutcomeRow.__table__)


class OutcomeStore:
    """Insert-or-ignore by workflow id, so a retried record_outcome is harmless."""

    def __init__(self, engine: AsyncEngine, logger: logging.LoggerAdapter[logging.Logger] | logging.Logger) -> None:
        self._engine = engine
        self._log = logger

    async def record(self, outcome: CaseOutcome) -> bool:
        """True if this call wrote the record, False if it was already there."""
        values = outcome.model_dump()
        values["recorded_at"] = utcnow()
        async with writing(self._engine) as conn:
            inserted = await insert_or_ignore(conn, _outcomes, values, key="workflow_id")
        if inserted:
            self._log.info("outcome recorded: %s", outcome.outcome)
        else:
            self._log.info("outcome for %s already recorded", outcome.workflow_id)
        return inserted

    async def get(self, workflow_id: str) -> CaseOutcome | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(_outcomes).where(_outcomes.c.workflow_id == workflow_id))).one_or_none()
        if row is None:
            return None
        data = row._asdict()
        data["received_at"] = as_utc(data["received_at"])
        data["closed_at"] = as_utc(data["closed_at"])
        return CaseOutcome.model_validate(data)

    async def earlier_complaints(self, customer_id: str, since: datetime, exclude_workflow_id: str) -> int:
        """Complaints by this customer closed from `since` on, not counting withdrawn ones."""
        statement = select(func.count()).where(
            _outcomes.c.customer_id == customer_id,
            _outcomes.c.closed_at >= since,
            _outcomes.c.outcome != "withdrawn",
            _outcomes.c.workflow_id != exclude_workflow_id,
        )
        async with self._engine.connect() as conn:
            return int((await conn.execute(statement)).scalar_one())

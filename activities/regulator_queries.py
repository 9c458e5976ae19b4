"""The regulator's return read from the case file archive: the inputs of `complaints.regulator_return`.

What stays exact in SQL is aggregated there on both backends: cases opened per product and
root cause (a count), cases outstanding at the start (datetime comparisons), redress paid per
product, root cause and currency (a sum of integer cents). Only the cases closed in the period
come back one by one, as five small columns, because "closed within 3 business days" needs the
business calendar, which SQL does not have. Every query is one profile's cases over one period
and uses the `received_at` / `closed_at` indexes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.schema import Table

from activities.archive_tables import CaseFileRow, CaseRedressRow
from complaints.regulator_return import ClosedCase, RedressTally, ReturnInputs, Tally

FILES = cast(Table, CaseFileRow.__table__)
REDRESS = cast(Table, CaseRedressRow.__table__)


async def return_inputs(engine: AsyncEngine, profile: str, start: datetime, end: datetime) -> ReturnInputs:
    """Opened, outstanding, closed and redress of the profile's archived cases over [start, end)."""
    # closed for the regulator: when the final response went out, else when the case closed (withdrawn)
    closed_at = func.coalesce(FILES.c.resolved_at, FILES.c.closed_at)
    keys = (FILES.c.product, FILES.c.root_cause_code)
    # Every case opened, closed or outstanding in the period was received before its end and closed
    # after its start (resolved_at is never after closed_at): one pass over those, on the indexes.
    in_play = (FILES.c.regulatory_profile == profile, FILES.c.received_at < end, FILES.c.closed_at >= start)
    counts = (
        select(
            *keys,
            func.sum(case((FILES.c.received_at >= start, 1), else_=0)),
            func.sum(case((and_(FILES.c.received_at < start, closed_at >= start), 1), else_=0)),
        )
        .where(*in_play)
        .group_by(*keys)
    )
    closed_cases = select(*keys, FILES.c.received_at, closed_at, FILES.c.upheld).where(
        *in_play, closed_at >= start, closed_at < end
    )
    redress = (
        select(*keys, REDRESS.c.currency, func.sum(REDRESS.c.amount))
        .join_from(REDRESS, FILES, REDRESS.c.workflow_id == FILES.c.workflow_id)
        .where(FILES.c.regulatory_profile == profile, REDRESS.c.paid_at >= start, REDRESS.c.paid_at < end)
        .group_by(*keys, REDRESS.c.currency)
    )
    async with engine.connect() as conn:
        count_rows = (await conn.execute(counts)).all()
        closed_rows = (await conn.execute(closed_cases)).all()
        redress_rows = (await conn.execute(redress)).all()
    return ReturnInputs(
        opened=[Tally(product, code, int(opened)) for product, code, opened, _ in count_rows if opened],
        outstanding_at_start=sum(int(outstanding) for *_, outstanding in count_rows),
        closed=[
            ClosedCase(product, code, _utc(received), _utc(closed), bool(upheld))
            for product, code, received, closed, upheld in closed_rows
        ],
        redress=[RedressTally(product, code, currency, amount) for product, code, currency, amount in redress_rows],
    )


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored in UTC); PostgreSQL aware ones (converted when compared)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

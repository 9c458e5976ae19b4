"""The case file archive: writes a closed case's file once, reads it back, purges what is past retention.

Written in one transaction keyed by the workflow id: a retried `record_outcome` finds the
row and writes nothing, so a case's file is never written twice or half. The messages come
from the outbox (every message the case meant to send, with its bodies).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NamedTuple, cast

from pydantic_core import to_jsonable_python
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.schema import Table

from activities.archive_tables import (
    ARCHIVE_TABLES,
    CaseClockRow,
    CaseDecisionRow,
    CaseEventRow,
    CaseFileRow,
    CaseFindingsRow,
    CaseMessageRow,
    CasePayoutRow,
    CaseProposalRow,
    CaseRedressRow,
)
from activities.db import Base, as_utc, insert_or_ignore, utcnow, writing
from activities.outbox import OUTBOX
from complaints.case_file import (
    CaseFile,
    FileClock,
    FileDecision,
    FileEvent,
    FileFindings,
    FileMessage,
    FilePayout,
    FileProposal,
    FileRedress,
)

FILES = cast(Table, CaseFileRow.__table__)
_CHILDREN: dict[str, tuple[Table, type[Any]]] = {
    "events": (cast(Table, CaseEventRow.__table__), FileEvent),
    "messages": (cast(Table, CaseMessageRow.__table__), FileMessage),
    "findings": (cast(Table, CaseFindingsRow.__table__), FileFindings),
    "proposals": (cast(Table, CaseProposalRow.__table__), FileProposal),
    "decisions": (cast(Table, CaseDecisionRow.__table__), FileDecision),
    "payouts": (cast(Table, CasePayoutRow.__table__), FilePayout),
    "redress": (cast(Table, CaseRedressRow.__table__), FileRedress),
    "clocks": (cast(Table, CaseClockRow.__table__), FileClock),
}
_SEQUENCED = {"events", "messages", "decisions", "clocks"}  # their order is their `seq`
_DATETIMES = ("at", "created_at", "sent_at", "paid_at", "due_at", "finished_at")


class ExpiredFile(NamedTuple):
    """A file past its retention."""

    workflow_id: str
    complaint_id: str
    closed_at: datetime
    retain_until: datetime


class CaseArchive:
    def __init__(self, engine: AsyncEngine, logger: logging.LoggerAdapter[logging.Logger] | logging.Logger) -> None:
        self._engine = engine
        self._log = logger

    async def write(self, case_file: CaseFile) -> bool:
        """Write the file with the case's messages; False if it was written before (nothing changes)."""
        values = case_file.model_dump(exclude=set(_CHILDREN) | {"archived_at"})
        values["archived_at"] = utcnow()
        async with writing(self._engine) as conn:
            if not await insert_or_ignore(conn, FILES, values, key="workflow_id"):
                self._log.info("case file of %s already archived", case_file.workflow_id)
                return False
            children = case_file.model_dump(include=set(_CHILDREN))
            children["messages"] = await _messages_of(conn, case_file.workflow_id)
            for proposal in children["proposals"]:  # a JSON column: amounts as strings, exactly
                proposal["items"] = to_jsonable_python(proposal["items"])
            for name, (table, _) in _CHILDREN.items():
                rows = [
                    {**row, "workflow_id": case_file.workflow_id, **({"seq": n} if name in _SEQUENCED else {})}
                    for n, row in enumerate(children[name], start=1)
                ]
                if rows:
                    await conn.execute(table.insert(), rows)
        self._log.info("case file of %s archived", case_file.workflow_id)
        return True

    async def read(self, reference: str) -> CaseFile | None:
        """The file of a case, by its workflow id or its complaint reference (the latest closed)."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(FILES)
                    .where((FILES.c.workflow_id == reference) | (FILES.c.complaint_id == reference))
                    .order_by(FILES.c.closed_at.desc())
                    .limit(1)
                )
            ).one_or_none()
            if row is None:
                return None
            data = _utc(row._asdict(), ("received_at", "acknowledged_at", "resolved_at", "closed_at"))
            data = _utc(data, ("retain_until", "archived_at"))
            for name, (table, _) in _CHILDREN.items():
                order = table.c.seq if name in _SEQUENCED else table.c.id
                rows = await conn.execute(select(table).where(table.c.workflow_id == row.workflow_id).order_by(order))
                data[name] = [_utc(child._asdict(), _DATETIMES) for child in rows]
        return CaseFile.model_validate(data)

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(FILES))).scalar_one())

    async def expired(self, as_of: datetime) -> list[ExpiredFile]:
        """The files whose retention ended before `as_of`, oldest first."""
        statement = (
            select(FILES.c.workflow_id, FILES.c.complaint_id, FILES.c.closed_at, FILES.c.retain_until)
            .where(FILES.c.retain_until < as_of)
            .order_by(FILES.c.retain_until, FILES.c.workflow_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        return [ExpiredFile(r[0], r[1], as_utc(r[2]), as_utc(r[3])) for r in rows]

    async def purge(self, as_of: datetime) -> list[ExpiredFile]:
        """Delete every file past its retention, whole (all its rows); returns what was deleted."""
        expired = await self.expired(as_of)
        ids = [file.workflow_id for file in expired]
        async with writing(self._engine) as conn:
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                for name in reversed(ARCHIVE_TABLES):
                    table = Base.metadata.tables[name]
                    await conn.execute(delete(table).where(table.c.workflow_id.in_(batch)))
        for workflow_id, complaint_id, closed_at, retain_until in expired:
            self._log.info(
                "purged case file %s (%s): closed %s, kept until %s", workflow_id, complaint_id, closed_at, retain_until
            )
        return expired

    async def same_cause_earlier(self, code: str, product: str, since: datetime, exclude_workflow_id: str) -> int:
        """Archived cases with this root cause for this product received from `since` on (recurring)."""
        statement = select(func.count()).where(
            FILES.c.root_cause_code == code,
            FILES.c.product == product,
            FILES.c.received_at >= since,
            FILES.c.workflow_id != exclude_workflow_id,
        )
        async with self._engine.connect() as conn:
            return int((await conn.execute(statement)).scalar_one())


async def _messages_of(conn: AsyncConnection, workflow_id: str) -> list[dict[str, Any]]:
    columns = [OUTBOX.c[name] for name in FileMessage.model_fields]
    statement = (
        select(*columns)
        .where(OUTBOX.c.idempotency_key.startswith(f"{workflow_id}:", autoescape=True))
        .order_by(OUTBOX.c.created_at, OUTBOX.c.id)
    )
    return [row._asdict() for row in await conn.execute(statement)]


def _utc(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """SQLite hands back naive datetimes: they were written in UTC."""
    return {key: as_utc(value) if key in fields and value is not None else value for key, value in data.items()}

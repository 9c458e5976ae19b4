"""The outbox: one row per message idempotency key, recording every delivery attempt.

A message whose row says `sent` is never sent again, however often the activity is retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Final, cast

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.schema import Table

from activities.db import OutboxRow, as_utc, insert_or_ignore, utcnow, writing

OUTBOX = _outbox = cast(Table, OutboxRow.__table__)

MESSAGE_ID_DOMAIN = "complaintflow.local"

MARK_SENT_PAUSES: Final = (0.1, 0.5, 1.0, 2.0, 4.0)
"""Seconds between tries of the sent mark after a delivery: well inside the activity's timeout."""


def message_id_for(idempotency_key: str) -> str:
    """Deterministic, so every retry of one message carries the same Message-ID."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


@dataclass(frozen=True)
class OutboxEntry:
    idempotency_key: str
    kind: str
    recipient: str
    subject: str
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class Outbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, idempotency_key: str) -> OutboxEntry | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(_outbox).where(_outbox.c.idempotency_key == idempotency_key))
            ).one_or_none()
        if row is None:
            return None
        return OutboxEntry(
            idempotency_key=row.idempotency_key,
            kind=row.kind,
            recipient=row.recipient,
            subject=row.subject,
            message_id=row.message_id,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=as_utc(row.created_at),
            sent_at=as_utc(row.sent_at) if row.sent_at else None,
        )

    async def begin_attempt(
        self,
        idempotency_key: str,
        kind: str,
        recipient: str,
        subject: str,
        customer_id: str | None = None,
        bodies: tuple[str, str | None] | None = None,
    ) -> None:
        """Create the row if new, then count this attempt before talking to the server.

        `bodies` (text, html) is what the message says: kept for the case file."""
        text_body, html_body = bodies or (None, None)
        async with writing(self._engine) as conn:
            await insert_or_ignore(
                conn,
                _outbox,
                {
                    "idempotency_key": idempotency_key,
                    "kind": kind,
                    "customer_id": customer_id or None,
                    "recipient": recipient,
                    "subject": subject,
                    "message_id": message_id_for(idempotency_key),
                    "status": "pending",
                    "attempts": 0,
                    "created_at": utcnow(),
                },
                key="idempotency_key",
            )
            await conn.execute(
                update(_outbox)
                .where(_outbox.c.idempotency_key == idempotency_key)
                .values(
                    attempts=_outbox.c.attempts + 1,
                    subject=subject,
                    recipient=recipient,
                    text_body=text_body,
                    html_body=html_body,
                )
            )

    async def last_sent(
        self, kind: str, customer_id: str, since: datetime, exclude_workflow_id: str
    ) -> datetime | None:
        """When a message of this kind last reached the customer from another case (survey fatigue)."""
        statement = select(func.max(_outbox.c.sent_at)).where(
            _outbox.c.kind == kind,
            _outbox.c.customer_id == customer_id,
            _outbox.c.status == "sent",
            _outbox.c.sent_at >= since,
            ~_outbox.c.idempotency_key.startswith(f"{exclude_workflow_id}:", autoescape=True),
        )
        async with self._engine.connect() as conn:
            latest = (await conn.execute(statement)).scalar_one_or_none()
        return as_utc(latest) if latest is not None else None

    async def mark_sent(self, idempotency_key: str) -> None:
        """Right after the server's 250: ahead of every other write queued in this process."""
        await self._set(idempotency_key, urgent=True, status="sent", sent_at=utcnow(), last_error=None)

    async def mark_sent_after_delivery(
        self, idempotency_key: str, log: logging.LoggerAdapter[logging.Logger] | logging.Logger
    ) -> None:
        """The server said 250: the message is out. Failing the activity now would send it again,
        so the sent mark is retried here, and a mark that still cannot be written is logged, not raised."""
        for pause in (*MARK_SENT_PAUSES, None):
            try:
                await self.mark_sent(idempotency_key)
                return
            except SQLAlchemyError as exc:
                if pause is None:
                    log.error("delivered %s but could not mark it sent: %s", idempotency_key, exc)
                    return
                log.warning("delivered %s; marking it sent failed, retrying: %s", idempotency_key, exc)
                await asyncio.sleep(pause)

    async def mark_retrying(self, idempotency_key: str, error: str) -> None:
        await self._set(idempotency_key, status="pending", last_error=error)

    async def mark_failed(self, idempotency_key: str, error: str) -> None:
        await self._set(idempotency_key, status="failed", last_error=error)

    async def _set(self, idempotency_key: str, *, urgent: bool = False, **values: object) -> None:
        async with writing(self._engine, urgent=urgent) as conn:
            await conn.execute(update(_outbox).where(_outbox.c.idempotency_key == idempotency_key).values(**values))

"""One SQLite file under the write load of a busy worker: no `database is locked`, no row lost.

WAL lets readers run beside the writer and busy_timeout makes writers queue; every transaction
of the outbox and the ledger is short and writes first, so none has to upgrade a read lock.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from activities.ledger import PayoutLedger
from activities.migrate import upgrade_to_head
from activities.outbox import Outbox
from tests.activities.databases import empty_database, engines, payout_request

CONCURRENT = 400
LOG = logging.getLogger(__name__)


async def test_four_hundred_concurrent_messages_and_payouts_on_one_sqlite_file(tmp_path: Path) -> None:
    with empty_database("sqlite", tmp_path) as (url, schema):
        async with engines(url, schema) as (engine,):
            await upgrade_to_head(engine)
            outbox, ledger = Outbox(engine), PayoutLedger(engine, LOG)
            paid_at = datetime.now(UTC)

            async def one(i: int) -> None:
                key = f"complaint-C-{i}:acknowledgement"
                await outbox.begin_attempt(key, "acknowledgement", f"c{i}@example.com", "We have your complaint")
                await ledger.record(payout_request(f"complaint-C-{i}", "19.99"), paid_at=paid_at)
                await outbox.mark_sent(key)

            await asyncio.gather(*(one(i) for i in range(CONCURRENT)))  # any exception fails the test

            entries = await asyncio.gather(*(outbox.get(f"complaint-C-{i}:acknowledgement") for i in range(CONCURRENT)))
            assert [(e.status, e.attempts) if e else None for e in entries] == [("sent", 1)] * CONCURRENT
            assert await ledger.count() == CONCURRENT
            total = await ledger.paid_to_customer("cust-77", paid_at - timedelta(days=1), "GBP")
            assert total == Decimal("19.99") * CONCURRENT == Decimal("7996.00")

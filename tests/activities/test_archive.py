"""The archive keeps whatever a case held, on both backends: no column cuts a long value short.

Names, channels, staff ids, rules versions and a regulator's deadline wording have no length
limit upstream; PostgreSQL refuses a value longer than a VARCHAR, and a case whose file cannot
be written would retry its closing activity for ever.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from activities.archive import CaseArchive
from complaints.case_file import FileClock, FileDecision
from tests.activities.incident_books import Database
from tests.case_files import case_file

LONG = "x" * 400


async def test_a_file_with_long_values_is_written_and_read_back_whole(database: Database) -> None:
    received = datetime(2026, 3, 2, 9, tzinfo=UTC)
    made = case_file(91, received=received, closed=received.replace(day=9), code="billing.duplicate-charge")
    long_file = made.model_copy(
        update={
            "customer_name": LONG,
            "channel": LONG,
            "language": LONG,
            "owner_id": LONG,
            "team": LONG,
            "rules_version": LONG,
            "regulatory_profile": "p" * 64,
            "clocks": [
                FileClock(
                    name="regulatory:final_response (exceptional)",
                    kind="regulatory",
                    target=LONG,
                    due_at=received,
                    finished_at=received,
                    met=True,
                    source=LONG,
                )
            ],
            "decisions": [FileDecision(at=received, decided_by=LONG, decision="approve", role=LONG, detail=LONG)],
        }
    )
    archive = CaseArchive(database.engine, logging.getLogger(__name__))
    assert await archive.write(long_file)
    read = await archive.read(long_file.workflow_id)
    assert read is not None
    assert read.model_dump(exclude={"archived_at"}) == long_file.model_dump(exclude={"archived_at"})

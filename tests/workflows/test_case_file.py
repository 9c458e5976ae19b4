"""The case file: written once when a case closes, with its whole story, read back from the archive.

Against the time-skipping server: a case run from receipt to Closed leaves a file whose
timeline is the workflow's, whose messages are every message the outbox holds for it (with
their bodies), and whose decisions, proposals, payouts, redress and clocks are the case's.
A retried `record_outcome` writes nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.archive_tables import ARCHIVE_TABLES
from activities.complaint_activities import ComplaintActivities
from activities.db import Base
from activities.outbox import OUTBOX
from complaints.case import ClosingRecord
from complaints.case_file_builder import years_after
from tests.support import start_case, to_approval, to_follow_up
from tests.workflows.test_workflow_paths import finish_after_follow_up
from workflows import ComplaintWorkflow


async def rows_per_table(engine: AsyncEngine, workflow_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with engine.connect() as conn:
        for name in ARCHIVE_TABLES:
            table = Base.metadata.tables[name]
            statement = select(func.count()).where(table.c.workflow_id == workflow_id)
            counts[name] = int((await conn.execute(statement)).scalar_one())
    return counts


async def outbox_rows(activities: ComplaintActivities, workflow_id: str) -> list[Any]:
    statement = select(OUTBOX).where(OUTBOX.c.idempotency_key.startswith(f"{workflow_id}:")).order_by(OUTBOX.c.id)
    async with activities.engine.connect() as conn:
        return list((await conn.execute(statement)).all())


async def test_a_closed_case_leaves_its_whole_file_once(
    time_env: WorkflowEnvironment, client: Client, activities: ComplaintActivities
) -> None:
    handle = await start_case(client, product="broadband")
    await to_follow_up(handle)
    await finish_after_follow_up(time_env, handle, csat=4)
    outcome = await handle.result()
    timeline = await handle.query(ComplaintWorkflow.timeline)

    archived = await activities.archive.read(handle.id.removeprefix("complaint-"))
    assert archived is not None and archived.workflow_id == handle.id
    # the whole timeline, with its actors
    assert [(e.kind, e.detail, e.actor) for e in archived.events] == [(e.kind, e.detail, e.actor) for e in timeline]
    # every message the case sent, with both bodies
    sent = await outbox_rows(activities, handle.id)
    assert [m.idempotency_key for m in archived.messages] == [row.idempotency_key for row in sent]
    kinds = [m.kind for m in archived.messages]
    assert {"acknowledgement", "offer", "survey_invitation", "thank_you"} <= set(kinds)
    assert all(m.status == "sent" and m.text_body and m.html_body for m in archived.messages)
    offer = next(m for m in archived.messages if m.kind == "offer")
    assert "114.90" in (offer.text_body or "") and offer.recipient == "ada@example.com"
    # findings, proposal versions, decisions with the approver's limit, payouts, redress by kind
    assert [(f.round, f.root_cause_code, f.upheld) for f in archived.findings] == [
        (1, "billing.duplicate-charge", True)
    ]
    assert [(p.version, p.total, p.approval_level) for p in archived.proposals] == [(1, Decimal("114.90"), "team_lead")]
    approval = next(d for d in archived.decisions if d.decision == "approve")
    assert (approval.decided_by, approval.role, approval.approval_limit) == ("tl-jordan", "team_lead", Decimal("500"))
    assert "offer accepted" in [d.decision for d in archived.decisions]
    assert [p.amount for p in archived.payouts] == [Decimal("114.90")]
    assert sorted((r.kind, r.amount) for r in archived.redress) == [
        ("goodwill", Decimal("25.00")),
        ("refund", Decimal("89.90")),
    ]
    # each clock's target and result; the regulator's profile and deadlines
    clocks = {c.name: c for c in archived.clocks}
    assert clocks["acknowledgement"].met is True and clocks["acknowledgement"].late_seconds == 0
    assert clocks["resolution"].finished_at is not None
    # the figures reports read
    assert (archived.outcome, archived.csat, archived.csat_comment) == ("resolved", 4, "Sorted quickly")
    assert (archived.origin, archived.product, archived.redress_paid) == ("customer", "broadband", Decimal("114.90"))
    assert archived.survey_sent and not archived.reopened and archived.acknowledged_at is not None
    assert archived.rules_version == "2026-11-b" and archived.complaint["id"] == archived.complaint_id
    assert archived.retain_until == years_after(archived.closed_at, 3)
    assert archived.closed_at - archived.received_at > timedelta(days=14)

    # A retried record_outcome (the activity ran, its answer was lost) writes nothing twice.
    before = await rows_per_table(activities.engine, handle.id)
    assert before["case_files"] == 1 and before["case_events"] == len(timeline)
    again = ClosingRecord(**outcome.model_dump(), case_file=archived.model_copy(update={"csat": 1, "messages": []}))
    await ActivityEnvironment().run(activities.record_outcome, again)
    assert await rows_per_table(activities.engine, handle.id) == before
    reread = await activities.archive.read(handle.id)
    assert reread is not None and reread.csat == 4 and len(reread.messages) == len(sent)


async def test_the_same_cause_for_the_same_product_again_is_found_recurring(
    time_env: WorkflowEnvironment, client: Client, activities: ComplaintActivities
) -> None:
    """The first case with a code for a product is archived; the next one with both is recurring by the rules:
    double goodwill, said in its reason, and recorded in its file. Another product is not."""
    product = f"router-{uuid.uuid4().hex[:6]}"  # no other test's cases share it
    # All received together: once nothing runs, the time-skipping server may leap years ahead.
    first = await start_case(client, product=product)
    again_handle = await start_case(client, product=product)
    other_handle = await start_case(client, product=f"{product}-other")
    await to_follow_up(first)
    await finish_after_follow_up(time_env, first, csat=None)
    await first.result()

    again, other = await to_approval(again_handle), await to_approval(other_handle)
    await again_handle.terminate(reason="test done")
    await other_handle.terminate(reason="test done")

    assert again.proposal is not None and other.proposal is not None
    [goodwill] = [item for item in again.proposal.items if item.kind.value == "goodwill"]
    assert goodwill.amount == Decimal("50.00") and "happened before" in goodwill.reason
    assert [i.amount for i in other.proposal.items if i.kind.value == "goodwill"] == [Decimal("25.00")]

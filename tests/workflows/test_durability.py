"""Long life and crashes: continue-as-new keeps the whole case; a payout is never made twice."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.actions import Approval, Feedback, Note, OfferAnswer, OfferResponse
from complaints.case import Stage
from complaints.payout import payout_key
from infra.settings import Settings
from starter.dev.mailsink import MailSink
from tests.conftest import settings_for
from tests.crash_support import crash_after_paying_worker
from tests.support import FINDINGS, reach, start_case, status, to_follow_up, to_offer
from worker import running_worker
from workflows import ComplaintWorkflow

ROOT = Path(__file__).resolve().parents[2]


# After the offer, seconds instead of days: the case closes in real time on the dev server.
QUICK_ENDING = {
    "follow_up_after": "PT1S",
    "reopen_window": "PT2S",
    "survey_reminder_after": "PT1M",
    "survey_expires_after": "PT2M",
}


@pytest_asyncio.fixture
async def short_history_worker(
    dev_env: WorkflowEnvironment, tmp_path: Path, session_mail_sink: MailSink
) -> AsyncIterator[str]:
    """A worker whose rules continue a case as new after only 50 history events.

    On the real dev server: updates and queries racing a continue-as-new are exactly what
    this test provokes, and the time-skipping test server can leave its clock locked by a
    task of a run that has just continued as new.
    """
    rules = (ROOT / "config" / "complaints.toml").read_text()
    rules = re.sub(r'^(version = ".*")$', r"\1\ncontinue_as_new_after_events = 50", rules, count=1, flags=re.M)
    for name, value in QUICK_ENDING.items():
        rules = re.sub(rf'^{name} = ".*"$', f'{name} = "{value}"', rules, count=1, flags=re.M)
    (tmp_path / "rules.toml").write_text(rules)
    settings = settings_for(
        tmp_path, session_mail_sink, task_queue=f"complaints-short-history-{uuid.uuid4().hex[:6]}",
        rules_file=tmp_path / "rules.toml",
    )  # fmt: skip
    async with running_worker(dev_env.client, settings):
        yield settings.task_queue


async def test_long_lived_case_continues_as_new_without_losing_state(
    dev_env: WorkflowEnvironment, short_history_worker: str
) -> None:
    handle = await start_case(dev_env.client, task_queue=short_history_worker)
    first_run = (await handle.describe()).run_id
    await reach(handle, Stage.INVESTIGATING)
    for number in range(12):
        await handle.execute_update(ComplaintWorkflow.add_note, Note(author="alex", text=f"call {number}"))
        await reach(handle, Stage.INVESTIGATING)

    carried = await status(handle)
    assert carried.continued_as_new >= 1
    assert (await handle.describe()).run_id != first_run
    notes = [e.detail for e in await handle.query(ComplaintWorkflow.timeline) if e.kind == "note"]
    assert notes == [f"call {number}" for number in range(12)]

    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)
    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan"))
    await reach(handle, Stage.AWAITING_CUSTOMER)
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    await reach(handle, Stage.FOLLOWING_UP)
    await reach(handle, Stage.AWAITING_FEEDBACK)  # follow-up after 1 s, reopen window 2 s
    await handle.execute_update(ComplaintWorkflow.submit_feedback, Feedback(csat=4))
    outcome = await handle.result()

    assert outcome.outcome == "resolved" and outcome.csat == 4 and outcome.remedy_total == Decimal("114.90")
    timeline = await handle.query(ComplaintWorkflow.timeline)
    kinds = [event.kind for event in timeline]
    assert kinds.count("received") == 1 and kinds.count("findings") == 1
    sent = [event.detail.split(" ")[0] for event in timeline if event.kind == "message sent"]
    assert sent.count("acknowledgement") == 1 and sent.count("offer") == 1  # nothing repeated after a restart


async def test_payout_retried_after_a_crash_pays_once(
    dev_env: WorkflowEnvironment, activities: ComplaintActivities, settings: Settings
) -> None:
    """On the real dev server: the retry after the 'crash' runs after the real back-off."""
    task_queue = "complaints-crash"
    async with crash_after_paying_worker(dev_env.client, activities, task_queue) as crashing:
        handle = await start_case(dev_env.client, task_queue=task_queue)
        await to_offer(handle)
        await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
        paid = await reach(handle, Stage.FOLLOWING_UP)
        timeline = await handle.query(ComplaintWorkflow.timeline)
        await handle.terminate(reason="test done")

    assert [r.already_paid for r in crashing.receipts] == [False, True]
    assert await activities.ledger.count(payout_key(handle.id, 1)) == 1
    assert len(paid.payouts) == 1 and paid.payouts[0].already_paid
    assert any("already in the ledger" in e.detail for e in timeline)


async def test_to_follow_up_helper_pays(client: Client, activities: ComplaintActivities) -> None:
    handle = await start_case(client)
    await to_follow_up(handle)
    assert await activities.ledger.count(payout_key(handle.id, 1)) == 1
    await handle.terminate(reason="test done")

"""Approvals in a running case: signalled decisions, four-eyes, and the escalation chain."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from complaints.actions import Approval, DecisionKind, Reassignment, StaffDecision, Withdrawal
from complaints.case import Stage
from infra.settings import Settings
from tests.support import FINDINGS, fired_timers, mail_kinds, reach, skip, start_case, status, to_approval
from workflows import ComplaintWorkflow


async def test_a_signalled_decision_is_checked_and_a_refused_one_only_recorded(client: Client) -> None:
    handle = await start_case(client)
    await to_approval(handle)
    await handle.signal(ComplaintWorkflow.decide, StaffDecision(decision=DecisionKind.APPROVE, approver_id="alex"))
    await handle.signal(ComplaintWorkflow.decide, StaffDecision(decision=DecisionKind.REJECT, approver_id="tl-jordan"))
    timeline = await handle.query(ComplaintWorkflow.timeline)
    refused = [event.detail for event in timeline if event.kind == "decision refused"]
    assert len(refused) == 2
    assert "approve by alex (signal): cannot approve: 114.90 GBP is over the approval limit" in refused[0]
    assert "reject by tl-jordan (signal)" in refused[1] and "reason" in refused[1]
    assert (await status(handle)).stage is Stage.AWAITING_APPROVAL  # nothing applied

    await handle.signal(
        ComplaintWorkflow.decide, StaffDecision(decision=DecisionKind.APPROVE, approver_id="tl-jordan", comment="ok")
    )
    offered = await reach(handle, Stage.AWAITING_CUSTOMER)
    assert offered.approved_by == "tl-jordan"
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()


async def test_four_eyes_in_a_running_case(client: Client) -> None:
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(
        "reassign", Reassignment(to_staff_id="tl-jordan", brief="Escalated by phone"), result_type=str
    )
    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan"))
    assert "tl-jordan owns this complaint" in str(refused.value.cause)
    assert "four-eyes" in str(refused.value.cause)
    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="mgr-dana"))
    assert (await reach(handle, Stage.AWAITING_CUSTOMER)).approved_by == "mgr-dana"
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()


async def test_unanswered_approval_reminds_then_escalates_level_by_level_to_the_top(
    time_env: WorkflowEnvironment, client: Client, settings: Settings
) -> None:
    began = time.monotonic()
    handle = await start_case(client)
    big = FINDINGS.model_copy(update={"severity": 5, "financial_loss": Decimal("900")})  # 1000 → manager
    await reach(handle, Stage.INVESTIGATING)
    await handle.execute_update(ComplaintWorkflow.submit_findings, big)
    waiting = await reach(handle, Stage.AWAITING_APPROVAL)
    assert waiting.waiting_for == "approval by a manager"
    requested_at = next(e.at for e in await handle.query(ComplaintWorkflow.timeline) if e.kind == "approval requested")

    await skip(time_env, days=2, minutes=1)  # reminder at 1.5 days, escalation at 2 days
    after_one = await status(handle)
    assert after_one.waiting_for == "approval by a director"
    await skip(time_env, days=2)  # director: reminder, then the deadline passes at the top
    timeline = await handle.query(ComplaintWorkflow.timeline)
    hops = [e for e in timeline if e.kind == "approval escalated"]
    assert [h.detail.split("; ")[-1] for h in hops] == ["now director", "now director"]
    # Each level's deadline timer was asked for exactly 2 days after that level's request; the
    # case escalated when it fired, late only by the real seconds of slow workflow tasks (the
    # skipped days never make a timer late). The second level is asked for once the first
    # escalation's message has gone out.
    first, second = (await fired_timers(handle))["approval deadline"]
    lag = timedelta(seconds=time.monotonic() - began)
    assert abs(first - (requested_at + timedelta(days=2))) < timedelta(milliseconds=1)
    assert timedelta(0) <= hops[0].at - first <= lag, (hops[0].at, first, lag)
    assert timedelta(0) <= second - (hops[0].at + timedelta(days=2)) <= lag, (second, hops[0].at, lag)
    assert timedelta(0) <= hops[1].at - second <= lag, (hops[1].at, second, lag)
    kinds = mail_kinds(settings.mail_dir, handle.id.removeprefix("complaint-"))
    assert kinds.count("approval_reminder") == 2
    assert kinds.count("approval_escalation") == 1  # only a real hop up is announced
    assert "approval_request" in kinds

    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="dir-rowan"))
    await reach(handle, Stage.AWAITING_CUSTOMER)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()

"""Refused updates: the caller gets the reason verbatim, and history never sees them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from complaints.actions import (
    Amendment,
    Approval,
    Feedback,
    Findings,
    Note,
    OfferAnswer,
    OfferResponse,
    Reassignment,
    Reopen,
    Withdrawal,
)
from complaints.case import Stage
from tests.support import FINDINGS, Handle, accepted_update_names, reach, start_case
from workflows import ComplaintWorkflow


async def refused(handle: Handle, update: object, argument: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, argument)  # type: ignore[call-overload]
    return str(failure.value.cause)


async def test_refused_updates_say_why_and_leave_no_trace_in_history(client: Client) -> None:
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)

    # wrong stage
    assert "cannot approve: the complaint is Investigating, not AwaitingApproval" in await refused(
        handle, ComplaintWorkflow.approve, Approval(approver_id="tl-jordan")
    )
    assert "cannot record feedback" in await refused(handle, ComplaintWorkflow.submit_feedback, Feedback(csat=5))
    assert "no offer is open" in await refused(
        handle, ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT)
    )
    assert "cannot reopen" in await refused(handle, ComplaintWorkflow.reopen, Reopen(reason="again"))
    # unknown people
    unknown = FINDINGS.model_copy(update={"submitted_by": "nobody"})
    assert "submitted_by: unknown staff id 'nobody'" in await refused(
        handle, ComplaintWorkflow.submit_findings, unknown
    )
    assert "to_staff_id: unknown staff id 'ghost'" in await refused(
        handle, ComplaintWorkflow.reassign, Reassignment(to_staff_id="ghost", brief="over to you")
    )
    assert "already assigned to alex" in await refused(
        handle, ComplaintWorkflow.reassign, Reassignment(to_staff_id="alex", brief="over to you")
    )
    assert "author: unknown staff id" in await refused(
        handle, ComplaintWorkflow.add_note, Note(author="intruder", text="hello")
    )

    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)

    # over the approver's limit (114.90 needs a team lead; alex is an agent up to 100)
    assert "114.90 GBP is over the approval limit of Alex Morgan (agent, up to 100.00 GBP)" in await refused(
        handle, ComplaintWorkflow.approve, Approval(approver_id="alex")
    )
    assert "approver_id: unknown staff id 'boss'" in await refused(
        handle, ComplaintWorkflow.approve, Approval(approver_id="boss")
    )
    assert "over the approval limit of Jordan Lee" in await refused(
        handle,
        ComplaintWorkflow.amend,
        Amendment(approver_id="tl-jordan", amount=Decimal("900"), reason="generous"),
    )
    assert "cannot submit findings" in await refused(handle, ComplaintWorkflow.submit_findings, FINDINGS)

    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan"))
    await reach(handle, Stage.AWAITING_CUSTOMER)
    assert "reason: a decline needs the customer's reason" in await refused(
        handle, ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.DECLINE)
    )
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()

    assert await accepted_update_names(handle) == ["submit_findings", "approve", "withdraw"]


async def test_a_reassignment_carries_the_brief_and_changes_the_owner(client: Client) -> None:
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)
    reply = await handle.execute_update(
        "reassign",
        Reassignment(to_staff_id="sam", brief="Customer is anxious; refund evidence attached", by="alex"),
        result_type=str,
    )
    assert "Sam Patel" in reply
    status = await handle.query(ComplaintWorkflow.status)
    assert status.owner_id == "sam"
    await handle.execute_update(ComplaintWorkflow.add_note, Note(author="sam", text="Called the customer"))
    timeline = await handle.query(ComplaintWorkflow.timeline)
    assert any(e.kind == "reassigned" and "refund evidence" in e.detail for e in timeline)
    assert any(e.kind == "note" and e.actor == "sam" for e in timeline)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()


def test_findings_model_refuses_out_of_range_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        Findings(submitted_by="alex", summary="x", root_cause="y", severity=6)

"""Each question a case asks takes one answer: the first is taken, every later one is refused
naming it, and only the first reaches the history (time-skipping server, real activities)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError

from complaints.actions import Amendment, Approval, Findings, OfferAnswer, OfferResponse, Rejection, Withdrawal
from complaints.case import Stage
from tests.support import (
    FINDINGS,
    Handle,
    accepted_update_names,
    reach,
    start_case,
    status,
    to_approval,
    to_offer,
)
from workflows import ComplaintWorkflow

APPROVERS = ("tl-jordan", "mgr-dana", "dir-rowan")


async def all_at_once(handle: Handle, sends: list[tuple[Any, BaseModel]]) -> tuple[list[str], list[str]]:
    """Send every update concurrently; the confirmations and the refusal reasons."""
    results = await asyncio.gather(
        *(handle.execute_update(update, arg) for update, arg in sends), return_exceptions=True
    )
    accepted = [result for result in results if isinstance(result, str)]
    refused = [str(result.cause) for result in results if isinstance(result, WorkflowUpdateFailedError)]
    assert len(accepted) + len(refused) == len(sends), results
    return accepted, refused


async def test_ten_concurrent_decisions_on_one_proposal_take_exactly_one(client: Client) -> None:
    handle = await start_case(client)
    await to_approval(handle)  # 114.90 GBP: a team lead or above
    sends: list[tuple[Any, BaseModel]] = []
    for i in range(10):
        approver = APPROVERS[i % len(APPROVERS)]
        if i % 3 == 0:
            sends.append((ComplaintWorkflow.approve, Approval(approver_id=approver)))
        elif i % 3 == 1:
            sends.append((ComplaintWorkflow.amend, Amendment(approver_id=approver, amount=Decimal(90 + i), reason="r")))
        else:
            sends.append((ComplaintWorkflow.reject, Rejection(approver_id=approver, reason="check the loss")))

    accepted, refused = await all_at_once(handle, sends)

    assert len(accepted) == 1 and len(refused) == 9, (accepted, refused)
    decisions = [name for name in await accepted_update_names(handle) if name in ("approve", "amend", "reject")]
    assert len(decisions) == 1, decisions
    timeline = await handle.query(ComplaintWorkflow.timeline)
    [winner] = [event for event in timeline if event.kind in ("approved", "amended", "rejected")]
    for reason in refused:
        assert "already answered" in reason and f"by {winner.actor} on " in reason, reason
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_ten_concurrent_answers_to_one_offer_take_exactly_one(client: Client) -> None:
    handle = await start_case(client)
    await to_offer(handle)
    answers = [
        OfferResponse(answer=OfferAnswer.ACCEPT),
        OfferResponse(answer=OfferAnswer.DECLINE, reason="Not enough"),
        OfferResponse(answer=OfferAnswer.COUNTER, counter_amount=Decimal("150"), reason="Bank fees"),
    ]
    sends: list[tuple[Any, BaseModel]] = [(ComplaintWorkflow.respond_to_offer, answers[i % 3]) for i in range(10)]

    accepted, refused = await all_at_once(handle, sends)

    assert len(accepted) == 1 and len(refused) == 9, (accepted, refused)
    assert (await accepted_update_names(handle)).count("respond_to_offer") == 1
    answer = accepted[0].removeprefix("Recorded: the customer's answer is ").removesuffix(".")
    for reason in refused:
        assert f"already answered ({answer} by customer on " in reason, reason
    # The case goes where the one answer sends it (an accepted offer is paid first: no withdrawal meanwhile).
    after = {"accept": Stage.FOLLOWING_UP, "decline": Stage.INVESTIGATING, "counter": Stage.AWAITING_APPROVAL}[answer]
    await reach(handle, after)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))


async def test_second_findings_in_the_same_round_are_refused_a_new_round_asks_again(client: Client) -> None:
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)
    first, second = await all_at_once(
        handle,
        [
            (ComplaintWorkflow.submit_findings, FINDINGS),
            (ComplaintWorkflow.submit_findings, FINDINGS.model_copy(update={"submitted_by": "sam"})),
        ],
    )
    assert len(first) == 1 and len(second) == 1
    assert "cannot submit findings: already answered (findings by " in second[0]
    await reach(handle, Stage.AWAITING_APPROVAL)
    await handle.execute_update(ComplaintWorkflow.reject, Rejection(approver_id="tl-jordan", reason="check the loss"))
    await reach(handle, Stage.INVESTIGATING)  # round 2: a new question
    bigger = Findings(**{**FINDINGS.model_dump(), "financial_loss": Decimal("95")})
    await handle.execute_update(ComplaintWorkflow.submit_findings, bigger)
    assert (await status(handle)).findings == bigger
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="test over"))

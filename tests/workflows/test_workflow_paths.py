"""Every path through a complaint, on the time-skipping server (days pass in milliseconds).

Real activities run underneath: mail goes over SMTP to a sink, payouts and outcomes go to
SQLite. Times below follow config/complaints.toml: investigation 5 days (reminder at day
4), approval 2 days, offer 10 days (reminder at day 7), follow-up after 7 days, reopen
window 14 days, survey reminder at day 3 and expiry at day 7, progress update every 3 days.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities import ComplaintActivities
from complaints.actions import (
    Amendment,
    Approval,
    Feedback,
    Findings,
    OfferAnswer,
    OfferResponse,
    Rejection,
    Reopen,
    Withdrawal,
)
from complaints.case import Stage
from complaints.payout import payout_key
from infra.settings import Settings
from tests.support import (
    FINDINGS,
    fired_timers,
    mail_arrives,
    mail_kinds,
    reach,
    skip,
    start_case,
    status,
    timeline_kinds,
    to_approval,
    to_follow_up,
    to_offer,
    wait_until,
)
from workflows import ComplaintWorkflow


async def finish_after_follow_up(env: WorkflowEnvironment, handle: object, csat: int | None = 5) -> None:
    """From FollowingUp: let the reopen window close, answer the survey (or not), close."""
    await skip(env, days=14, minutes=1)
    await reach(handle, Stage.AWAITING_FEEDBACK)  # type: ignore[arg-type]
    if csat is not None:
        await handle.execute_update(ComplaintWorkflow.submit_feedback, Feedback(csat=csat, comment="Sorted quickly"))  # type: ignore[attr-defined]


async def test_happy_path_walks_every_stage_and_pays_once(
    time_env: WorkflowEnvironment, client: Client, settings: Settings, activities: ComplaintActivities
) -> None:
    handle = await start_case(client)
    first = await reach(handle, Stage.INVESTIGATING)
    assert first.owner_id == "alex" and first.waiting_for == "findings from Billing"

    waiting = await to_approval(handle)
    assert waiting.proposal is not None and waiting.proposal.total == Decimal("114.90")
    assert [item.kind for item in waiting.proposal.items] == ["refund", "goodwill"]
    assert waiting.waiting_for == "approval by a team_lead"

    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan", comment="fair"))
    await reach(handle, Stage.AWAITING_CUSTOMER)
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    paid = await reach(handle, Stage.FOLLOWING_UP)
    assert [p.amount for p in paid.payouts] == [Decimal("114.90")]

    await finish_after_follow_up(time_env, handle)
    outcome = await handle.result()

    assert outcome.outcome == "resolved" and outcome.csat == 5 and outcome.paid
    assert outcome.remedy_total == Decimal("114.90")
    assert await activities.ledger.count(payout_key(handle.id, 1)) == 1
    recorded = await activities.outcomes.get(handle.id)
    assert recorded is not None and recorded.outcome == "resolved"
    reference = handle.id.removeprefix("complaint-")
    customer_mail = [k for k in mail_kinds(settings.mail_dir, reference) if k in _CUSTOMER_KINDS]
    assert customer_mail == [
        "acknowledgement",
        "offer",
        "resolution",
        "follow_up",
        "survey_invitation",
        "thank_you",
    ]
    assert (await status(handle)).stage is Stage.CLOSED


_CUSTOMER_KINDS = {
    "acknowledgement",
    "progress_update",
    "delay_notice",
    "offer",
    "offer_reminder",
    "resolution",
    "offer_standing",
    "follow_up",
    "survey_invitation",
    "survey_reminder",
    "thank_you",
    "withdrawal_confirmation",
}


async def test_investigation_reminds_then_escalates_at_the_deadline(
    time_env: WorkflowEnvironment, client: Client, settings: Settings
) -> None:
    began = time.monotonic()
    handle = await start_case(client)
    started = (await reach(handle, Stage.INVESTIGATING)).received_at
    reference = handle.id.removeprefix("complaint-")

    await skip(time_env, days=4, minutes=1)
    assert "investigation_reminder" in mail_kinds(settings.mail_dir, reference)
    assert "investigation_escalation" not in mail_kinds(settings.mail_dir, reference)

    await skip(time_env, days=1)
    kinds = mail_kinds(settings.mail_dir, reference)
    assert "investigation_escalation" in kinds and "delay_notice" in kinds
    timeline = await handle.query(ComplaintWorkflow.timeline)
    escalation = next(event for event in timeline if event.kind == "escalated")
    # The deadline timer was asked for exactly 5 days after receipt; the case escalated when it
    # fired, late by at most the real seconds this test has run (slow tasks, not skipped days).
    [deadline] = (await fired_timers(handle))["investigation deadline"]
    assert abs(deadline - (started + timedelta(days=5))) < timedelta(milliseconds=1)
    assert timedelta(0) <= escalation.at - deadline <= timedelta(seconds=time.monotonic() - began)
    assert (await status(handle)).stage is Stage.INVESTIGATING  # still waiting, now escalated

    await handle.execute_update(ComplaintWorkflow.submit_findings, FINDINGS)
    await reach(handle, Stage.AWAITING_APPROVAL)
    outcome_before = await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    assert "withdrawn" in outcome_before
    assert (await handle.result()).investigation_escalated


async def test_progress_update_every_three_days_while_investigating(
    time_env: WorkflowEnvironment, client: Client, settings: Settings
) -> None:
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)
    reference = handle.id.removeprefix("complaint-")
    await skip(time_env, days=2, hours=23)
    assert "progress_update" not in mail_kinds(settings.mail_dir, reference)
    await skip(time_env, hours=2)
    assert mail_kinds(settings.mail_dir, reference).count("progress_update") == 1
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()


async def test_rejected_approval_goes_back_to_review_with_the_reason(client: Client, settings: Settings) -> None:
    handle = await start_case(client)
    await to_approval(handle)
    await handle.execute_update(
        ComplaintWorkflow.reject, Rejection(approver_id="mgr-dana", reason="Loss not evidenced yet")
    )
    back = await reach(handle, Stage.INVESTIGATING)
    assert back.findings is None
    await mail_arrives(settings.mail_dir, handle.id.removeprefix("complaint-"), "review_request")
    smaller = FINDINGS.model_copy(update={"financial_loss": Decimal("0"), "severity": 2})
    await handle.execute_update(ComplaintWorkflow.submit_findings, smaller)
    offer = await reach(handle, Stage.AWAITING_CUSTOMER)  # 10.00 goodwill: auto-approved
    assert offer.proposal is not None and offer.proposal.version == 2 and offer.proposal.total == Decimal("10")
    assert "back to review" in await timeline_kinds(handle)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()


async def test_amended_amount_is_offered_and_paid(
    time_env: WorkflowEnvironment, client: Client, activities: ComplaintActivities
) -> None:
    handle = await start_case(client)
    await to_approval(handle)
    await handle.execute_update(
        ComplaintWorkflow.amend, Amendment(approver_id="tl-jordan", amount=Decimal("95"), reason="Refund only")
    )
    offer = await reach(handle, Stage.AWAITING_CUSTOMER)
    assert offer.proposal is not None and offer.proposal.total == Decimal("95") and offer.approved_by == "tl-jordan"
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    await reach(handle, Stage.FOLLOWING_UP)
    await finish_after_follow_up(time_env, handle)
    outcome = await handle.result()
    assert outcome.remedy_total == Decimal("95")
    assert await activities.ledger.count(payout_key(handle.id, 2)) == 1
    assert await activities.ledger.count(payout_key(handle.id, 1)) == 0


async def test_small_remedy_is_auto_approved(client: Client) -> None:
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)
    small = FINDINGS.model_copy(update={"financial_loss": Decimal("20"), "severity": 2})  # 20 + 10 = 30 ≤ 50
    await handle.execute_update(ComplaintWorkflow.submit_findings, small)
    offer = await reach(handle, Stage.AWAITING_CUSTOMER)
    assert offer.approved_by == "auto" and offer.proposal is not None and offer.proposal.approval_level is None
    kinds = await timeline_kinds(handle)
    assert "auto-approved" in kinds and "approval requested" not in kinds
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()


async def test_offer_declined_then_accepted(time_env: WorkflowEnvironment, client: Client) -> None:
    handle = await start_case(client)
    await to_offer(handle)
    await handle.execute_update(
        ComplaintWorkflow.respond_to_offer,
        OfferResponse(answer=OfferAnswer.DECLINE, reason="I also lost a day off work"),
    )
    review = await reach(handle, Stage.INVESTIGATING)
    assert review.findings is None
    more = FINDINGS.model_copy(update={"financial_loss": Decimal("189.90")})
    await handle.execute_update(ComplaintWorkflow.submit_findings, more)
    await reach(handle, Stage.AWAITING_APPROVAL)
    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan"))
    await reach(handle, Stage.AWAITING_CUSTOMER)
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    await reach(handle, Stage.FOLLOWING_UP)
    await finish_after_follow_up(time_env, handle)
    outcome = await handle.result()
    assert outcome.remedy_total == Decimal("214.90")
    assert "offer decline" in await timeline_kinds(handle)


async def test_counter_offer_above_the_approval_needs_a_new_approval(client: Client) -> None:
    handle = await start_case(client)
    await to_offer(handle)
    await handle.execute_update(
        ComplaintWorkflow.respond_to_offer,
        OfferResponse(answer=OfferAnswer.COUNTER, counter_amount=Decimal("600"), reason="Two days off work"),
    )
    again = await reach(handle, Stage.AWAITING_APPROVAL)
    assert again.proposal is not None and again.proposal.total == Decimal("600")
    assert again.proposal.approval_level == "manager"
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan"))
    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="mgr-dana"))
    paid = await reach(handle, Stage.FOLLOWING_UP)  # an approved counter is already agreed
    assert [p.amount for p in paid.payouts] == [Decimal("600")]
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="happy now"))
    await handle.result()


async def test_no_answer_to_the_offer_reminds_then_lets_it_stand(
    time_env: WorkflowEnvironment, client: Client, settings: Settings
) -> None:
    handle = await start_case(client)
    offered = await to_offer(handle)
    reference = handle.id.removeprefix("complaint-")
    assert offered.due is not None
    await skip(time_env, days=7, minutes=1)
    assert "offer_reminder" in mail_kinds(settings.mail_dir, reference)
    await skip(time_env, days=3)
    standing = await reach(handle, Stage.FOLLOWING_UP)
    assert standing.offer_standing and standing.payouts == []
    assert "offer_standing" in mail_kinds(settings.mail_dir, reference)
    # The customer accepts the standing offer late: it is paid after all.
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    # Paid, then following up again: wait for the payout itself, not for a stage it passes through.
    paid = await wait_until(
        lambda: status(handle),
        lambda now: now.stage is Stage.FOLLOWING_UP and bool(now.payouts),
        lambda now: f"no payout after the late acceptance: {now.stage.value}, {now.payouts}",
    )
    assert [p.amount for p in paid.payouts] == [Decimal("114.90")] and not paid.offer_standing
    await finish_after_follow_up(time_env, handle)
    assert (await handle.result()).outcome == "resolved"


async def test_offer_lapses_and_case_closes_with_offer_lapsed(time_env: WorkflowEnvironment, client: Client) -> None:
    handle = await start_case(client)
    await to_offer(handle)
    await skip(time_env, days=10, minutes=1)
    await reach(handle, Stage.FOLLOWING_UP)
    await finish_after_follow_up(time_env, handle, csat=None)
    outcome = await handle.result()
    assert outcome.outcome == "offer_lapsed" and not outcome.paid


async def test_reopen_within_the_window_returns_to_investigation(
    time_env: WorkflowEnvironment, client: Client, settings: Settings
) -> None:
    handle = await start_case(client)
    await to_follow_up(handle)
    await skip(time_env, days=8)
    assert "follow_up" in mail_kinds(settings.mail_dir, handle.id.removeprefix("complaint-"))
    await handle.execute_update(ComplaintWorkflow.reopen, Reopen(reason="I was charged twice again"))
    back = await reach(handle, Stage.INVESTIGATING)
    assert back.findings is None and back.payouts  # the first payout stands
    # A second investigation with a larger loss pays only the difference.
    more = FINDINGS.model_copy(update={"financial_loss": Decimal("179.80")})
    await handle.execute_update(ComplaintWorkflow.submit_findings, more)
    await reach(handle, Stage.AWAITING_APPROVAL)
    await handle.execute_update(ComplaintWorkflow.approve, Approval(approver_id="tl-jordan"))
    await reach(handle, Stage.AWAITING_CUSTOMER)
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    again = await reach(handle, Stage.FOLLOWING_UP)
    assert [p.amount for p in again.payouts] == [Decimal("114.90"), Decimal("89.90")]
    await finish_after_follow_up(time_env, handle)
    outcome = await handle.result()
    assert outcome.reopened and outcome.remedy_total == Decimal("204.80")


async def test_reopen_after_the_window_is_refused(time_env: WorkflowEnvironment, client: Client) -> None:
    handle = await start_case(client)
    await to_follow_up(handle)
    await skip(time_env, days=14, minutes=1)
    await reach(handle, Stage.AWAITING_FEEDBACK)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(ComplaintWorkflow.reopen, Reopen(reason="Too late?"))
    assert "reopen window closed" in str(refused.value.cause)
    await handle.execute_update(ComplaintWorkflow.submit_feedback, Feedback(csat=4))
    assert (await handle.result()).outcome == "resolved"


@pytest.mark.parametrize(
    "stage",
    [
        Stage.INVESTIGATING,
        Stage.AWAITING_APPROVAL,
        Stage.AWAITING_CUSTOMER,
        Stage.FOLLOWING_UP,
        Stage.AWAITING_FEEDBACK,
    ],
)
async def test_withdraw_at_each_stage(
    stage: Stage, time_env: WorkflowEnvironment, client: Client, settings: Settings, activities: ComplaintActivities
) -> None:
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)
    if stage is Stage.AWAITING_APPROVAL:
        await to_approval(handle)
    elif stage is Stage.AWAITING_CUSTOMER:
        await to_offer(handle)
    elif stage in (Stage.FOLLOWING_UP, Stage.AWAITING_FEEDBACK):
        await to_follow_up(handle)
        if stage is Stage.AWAITING_FEEDBACK:
            await skip(time_env, days=14, minutes=1)
    await reach(handle, stage)
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal(reason="Sorted it out myself"))
    outcome = await handle.result()
    assert outcome.outcome == "withdrawn"
    assert (await status(handle)).stage is Stage.WITHDRAWN
    kinds = mail_kinds(settings.mail_dir, handle.id.removeprefix("complaint-"))
    assert kinds[-1] == "withdrawal_confirmation" and "thank_you" not in kinds
    recorded = await activities.outcomes.get(handle.id)
    assert recorded is not None and recorded.outcome == "withdrawn"


async def test_survey_ignored_gets_one_reminder_then_expires(
    time_env: WorkflowEnvironment, client: Client, settings: Settings
) -> None:
    handle = await start_case(client)
    await to_follow_up(handle)
    await skip(time_env, days=14, minutes=1)
    await reach(handle, Stage.AWAITING_FEEDBACK)
    outcome = await handle.result()  # time skips through the reminder and the expiry
    assert outcome.csat is None and outcome.outcome == "resolved"
    kinds = mail_kinds(settings.mail_dir, handle.id.removeprefix("complaint-"))
    assert kinds.count("survey_reminder") == 1 and kinds[-1] == "thank_you"
    assert "survey expired" in await timeline_kinds(handle)


async def test_survey_answered_closes_with_csat(time_env: WorkflowEnvironment, client: Client) -> None:
    handle = await start_case(client)
    await to_follow_up(handle)
    await finish_after_follow_up(time_env, handle, csat=2)
    outcome = await handle.result()
    assert outcome.csat == 2
    with pytest.raises(RPCError):  # the workflow is closed: nothing more to answer
        await handle.execute_update(ComplaintWorkflow.submit_feedback, Feedback(csat=5))


async def test_findings_not_upheld_offer_no_money(time_env: WorkflowEnvironment, client: Client) -> None:
    handle = await start_case(client)
    await reach(handle, Stage.INVESTIGATING)
    not_upheld = Findings(submitted_by="alex", summary="Charged once", root_cause="Pending authorisation",
                          root_cause_code="billing.wrong-amount", severity=1, upheld=False)  # fmt: skip
    await handle.execute_update(ComplaintWorkflow.submit_findings, not_upheld)
    offer = await reach(handle, Stage.AWAITING_CUSTOMER)
    assert offer.proposal is not None and offer.proposal.total == 0
    await handle.execute_update(ComplaintWorkflow.respond_to_offer, OfferResponse(answer=OfferAnswer.ACCEPT))
    done = await reach(handle, Stage.FOLLOWING_UP)
    assert done.payouts == []
    await handle.execute_update(ComplaintWorkflow.withdraw, Withdrawal())
    await handle.result()

"""Stages 3 to 6 of a complaint: propose a remedy, have it approved, agree it with the
customer and pay it exactly once. A base class of `ComplaintWorkflow`, kept apart so each
module reads as one part of the process.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.case_io import when
from workflows.case_runtime import CaseRuntime

with workflow.unsafe.imports_passed_through():
    from complaints.actions import OfferAnswer, PayoutAction
    from complaints.case import Stage
    from complaints.messages import MessageKind
    from complaints.payout import PAYOUT_REFUSED, PayoutReceipt
    from complaints.policy import amended_proposal, propose_remedy
    from complaints.remedies import Proposal, RemedyKind
    from complaints.sla import ClockKind
    from complaints.standing import CustomerStanding

CUSTOMER_CAP_PATCH = "customer-cap-from-ledger"
STANDING_PATCH = "customer-standing-v2"  # one read: 12-month payouts, earlier complaints, category budget


class RemedyStages(CaseRuntime):
    # -- 3. propose a remedy ----------------------------------------------------------------------

    async def _propose_remedy(self) -> None:
        state = self.state
        assert state.findings is not None
        proposal = propose_remedy(
            state.findings,
            state.complaint,
            state.rules,
            state.proposal_versions + 1,
            standing=await self._customer_standing(),
            as_of=state.received_at.date(),
        )
        if proposal.note:
            self._record("policy", proposal.note)
        self._set_proposal(proposal)

    async def _customer_standing(self) -> CustomerStanding | None:
        """The ledger and outcome records the policy weighs, read by the version the case runs."""
        if workflow.patched(STANDING_PATCH):
            return await self._read_customer_standing()
        # Cases started before the standing read replay as they ran: the 12-month payouts
        # alone (this case's own payouts are topped up, so not counted), or nothing at all.
        if (
            workflow.patched(CUSTOMER_CAP_PATCH)
            and self.state.rules.compensation.cap_per_customer_12_months is not None
        ):
            paid = await self._customer_paid_in_last_year()
            return CustomerStanding(paid_last_12_months=max(paid - self.state.paid_total, Decimal("0")))
        return None

    def _set_proposal(self, proposal: Proposal) -> None:
        """Record a new proposal and send it where it needs to go: approval, or straight on."""
        state = self.state
        state.proposal, state.proposal_versions = proposal, proposal.version
        items = "; ".join(f"{item.kind} {item.amount:.2f}" for item in proposal.items) or "no compensation"
        self._record("proposal", f"v{proposal.version}: {items} = {proposal.total:.2f} {proposal.currency}")
        state.approval_outcome, state.approval_due, state.approved_by = None, None, None
        if proposal.approval_level is None:
            state.approved_by = "auto"
            self._record("auto-approved", f"{proposal.total:.2f} is within the auto-approval threshold")
            self._enter(self._after_approval())
        else:
            state.approval_level = proposal.approval_level
            self._enter(Stage.AWAITING_APPROVAL)

    def _after_approval(self) -> Stage:
        """An approved counter-offer is already agreed with the customer; anything else is offered."""
        proposal = self.state.proposal
        return Stage.FULFILLING if proposal is not None and proposal.is_counter_offer else Stage.AWAITING_CUSTOMER

    # -- 4. approve ---------------------------------------------------------------------------------

    async def _seek_approval(self) -> None:
        state, timings = self.state, self.state.rules.timings
        self._open_clock(ClockKind.APPROVAL)
        while state.approval_outcome is None:
            level = state.approval_level
            assert level is not None and state.proposal is not None
            if state.approval_due is None:
                state.approval_due = workflow.now() + timings.approval
                self._publish()
            due, step = state.approval_due, f"approval-{state.proposal.version}-{level}"
            approvers = state.rules.asked_to_approve(level)
            names = ", ".join(f"{person.name} ({person.id})" for person in state.rules.approvers_at(level))
            if not self._done(f"{step}-request"):
                self._record("approval requested", f"{level}: {names}")
                await self._tell_staff(
                    MessageKind.APPROVAL_REQUEST, approvers, proposal=state.proposal, due=due, note=names
                )
                self._mark_done(f"{step}-request")

            def decided() -> bool:
                return state.approval_outcome is not None

            if await self._wait(decided, due - timings.approval_reminder_before, "approval reminder"):
                break
            if not self._done(f"{step}-reminder"):
                await self._tell_staff(MessageKind.APPROVAL_REMINDER, approvers, proposal=state.proposal, due=due)
                self._mark_done(f"{step}-reminder")
            if await self._wait(decided, due, "approval deadline"):
                break
            higher = state.rules.next_level(level)
            self._record("approval escalated", f"no decision by {when(due)}; now {higher.name if higher else level}")
            state.approval_level, state.approval_due = (higher.name if higher else level), None
            if higher is not None:
                await self._tell_staff(MessageKind.APPROVAL_ESCALATION, state.rules.asked_to_approve(higher.name))
        self._stop_clock(ClockKind.APPROVAL)
        if state.approval_outcome == "rejected":
            self._send_back_to_review(state.review_reason or "approval rejected")
        else:
            self._enter(self._after_approval())

    def _send_back_to_review(self, reason: str) -> None:
        state = self.state
        state.review_reason, state.findings = reason, None
        state.investigation_round += 1
        state.approval_level = state.approval_due = state.offer_due = state.offer_response = None
        self._record("back to review", reason)
        self._enter(Stage.INVESTIGATING)

    # -- 5. offer and agree --------------------------------------------------------------------------

    async def _make_offer(self) -> None:
        state, timings = self.state, self.state.rules.timings
        assert state.proposal is not None
        version = state.proposal.version
        if state.offer_due is None:
            state.offer_due = workflow.now() + timings.offer
            self._publish()
        due = state.offer_due
        if not self._done(f"offer-{version}"):
            await self._tell_customer(MessageKind.OFFER, proposal=state.proposal, due=due)
            self._mark_done(f"offer-{version}")
            self._customer_clock_paused("the offer is with the customer", "system", during_offer=True)

        def answered() -> bool:
            return state.offer_response is not None

        reminded = self._done(f"offer-reminder-{version}")
        if not await self._wait(answered, due - timings.offer_reminder_before, "offer reminder") and not reminded:
            await self._tell_customer(MessageKind.OFFER_REMINDER, proposal=state.proposal, due=due)
            self._mark_done(f"offer-reminder-{version}")
        if await self._wait(answered, due, "offer deadline"):
            self._customer_clock_resumed("the customer answered the offer", "customer")
            self._apply_offer_response()
            return
        self._customer_clock_resumed("no answer to the offer by its deadline", "system")
        state.offer_standing = True
        self._record("offer lapsed", f"no answer by {when(due)}; the offer stands")
        await self._tell_customer(MessageKind.OFFER_STANDING, proposal=state.proposal, due=self._resolve_now())
        self._enter(Stage.FOLLOWING_UP)

    def _apply_offer_response(self) -> None:
        state = self.state
        response, approved = state.offer_response, state.proposal
        assert response is not None and approved is not None
        state.offer_response, state.offer_due, state.offer_standing = None, None, False
        state.resolved_at = state.reopen_until = None  # a standing offer answered late: resolve afresh
        self._record(f"offer {response.answer.value}", response.reason or "-", actor=response.recorded_by)
        if response.answer is OfferAnswer.ACCEPT:
            self._enter(Stage.FULFILLING)
        elif response.answer is OfferAnswer.DECLINE:
            self._send_back_to_review(f"customer declined the offer: {response.reason}")
        else:
            counter = response.counter_amount or Decimal("0")
            reason = f"The amount you asked for in your counter-offer. {response.reason}".strip()
            proposal = amended_proposal(counter, reason, state.rules, approved.version + 1, kind=RemedyKind.COUNTER)
            if counter <= approved.total:  # already covered by the approval we have
                approver = state.approved_by
                self._set_proposal(proposal.model_copy(update={"approval_level": None}))
                state.approved_by = approver
            else:
                self._set_proposal(proposal)

    # -- 6. fulfil ------------------------------------------------------------------------------------

    async def _fulfil(self) -> None:
        state = self.state
        proposal = state.proposal
        assert proposal is not None
        amount_due = proposal.total - state.paid_total
        if amount_due > 0 and not self._done(f"paid-{proposal.version}"):
            receipt = await self._pay_unless_refused(amount_due)
            if receipt is not None:
                state.payouts.append(receipt)
                note = " (already in the ledger)" if receipt.already_paid else ""
                self._record("paid", f"{receipt.amount:.2f} {receipt.currency}, ledger #{receipt.ledger_id}{note}")
            self._mark_done(f"paid-{proposal.version}")
        if not self._done(f"resolution-{proposal.version}"):
            regulatory = self._resolution_response()
            await self._tell_customer(
                MessageKind.RESOLUTION, proposal=proposal, due=self._resolve_now(), regulatory=regulatory
            )
            self._mark_done(f"resolution-{proposal.version}")
        self._enter(Stage.FOLLOWING_UP)

    async def _pay_unless_refused(self, amount_due: Decimal) -> PayoutReceipt | None:
        """Pay; if the gateway refuses for good, alert staff and wait for their decision.

        Returns None when staff record the customer as paid by other means.
        """
        state = self.state
        while True:
            if state.payout_refusal is None:
                try:
                    return await self._pay(amount_due, state.approved_by or "auto")
                except ActivityError as failure:
                    cause = failure.cause
                    if not (isinstance(cause, ApplicationError) and cause.type == PAYOUT_REFUSED):
                        raise
                    await self._alert_payout_refused(cause.message)
            await self._wait(lambda: state.payout_resolution is not None, None, "staff decision on the refused payout")
            resolution = state.payout_resolution
            assert resolution is not None
            state.payout_resolution, state.payout_refusal = None, None
            if resolution.action is PayoutAction.SETTLED_ELSEWHERE:
                self._record("settled elsewhere", resolution.note or "paid by other means", actor=resolution.by)
                return None
            state.payout_attempt += 1
            self._record("payout retry", resolution.note or f"attempt {state.payout_attempt}", actor=resolution.by)

    async def _alert_payout_refused(self, reason: str) -> None:
        state = self.state
        state.payout_refusal = reason
        self._record("payout refused", reason)
        self._publish()
        await self._tell_staff(
            MessageKind.PAYOUT_REFUSED,
            self._owner_and_lead(),
            proposal=state.proposal,
            note=reason,
            history=self._history_lines(),
        )

    def _resolve_now(self) -> datetime:
        """Mark the case resolved and open the reopen window; returns the follow-up date."""
        state = self.state
        if state.resolved_at is None:
            self._stop_clock(ClockKind.RESOLUTION)
            state.resolved_at = workflow.now()
            state.reopen_until = state.resolved_at + state.rules.timings.reopen_window
        return state.resolved_at + state.rules.timings.follow_up_after

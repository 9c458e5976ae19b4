"""ComplaintWorkflow: one complaint, from receipt to closure, as one durable workflow.

`run` walks the stages in process order (see `_advance`); each stage is a small method
that can be re-entered after continue-as-new without repeating itself. Staff and customer
actions arrive as updates whose validators (complaints.guards) refuse what the case
cannot take now.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.case_io import DURABLE_RETRY, when
from workflows.case_runtime import CaseRuntime, TimeToContinueAsNew, Withdrawn

with workflow.unsafe.imports_passed_through():
    from complaints import search_attributes as sa
    from complaints.actions import OfferAnswer, PayoutAction
    from complaints.case import CaseOutcome, CaseState, ComplaintWorkflowInput, Stage
    from complaints.intake import ComplaintInput
    from complaints.messages import MessageKind
    from complaints.payout import PAYOUT_REFUSED, PayoutReceipt
    from complaints.policy import Proposal, amended_proposal, propose_remedy
    from complaints.rules import CaseRules


CUSTOMER_CAP_PATCH = "customer-cap-from-ledger"


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow(CaseRuntime):
    @workflow.init
    def __init__(self, params: ComplaintWorkflowInput) -> None:
        self._state = params.carried
        self._published = {}

    @workflow.run
    async def run(self, params: ComplaintWorkflowInput) -> CaseOutcome:
        if self._state is None:
            await self._receive(params.complaint)
        self._publish()
        progress_updates = asyncio.create_task(self._keep_customer_informed())
        try:
            while not self.state.stage.is_final:
                try:
                    await self._advance()
                except Withdrawn:
                    await self._close_withdrawn()
                except TimeToContinueAsNew:
                    await self._continue_as_new(progress_updates)
                self._publish()
        finally:
            progress_updates.cancel()
        return self._outcome()

    async def _advance(self) -> None:
        """One stage of the process, in the order a complaint goes through them."""
        match self.state.stage:
            case Stage.RECEIVED:
                await self._acknowledge()
            case Stage.INVESTIGATING:
                await self._investigate()
            case Stage.PROPOSING:
                await self._propose_remedy()
            case Stage.AWAITING_APPROVAL:
                await self._seek_approval()
            case Stage.AWAITING_CUSTOMER:
                await self._make_offer()
            case Stage.FULFILLING:
                await self._fulfil()
            case Stage.FOLLOWING_UP:
                await self._follow_up()
            case Stage.AWAITING_FEEDBACK:
                await self._survey()
            case Stage.CLOSING:
                await self._close()

    # -- 1. receive and acknowledge -----------------------------------------------------------

    async def _receive(self, complaint: ComplaintInput) -> None:
        rules = await workflow.execute_activity(
            "load_case_rules",
            result_type=CaseRules,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DURABLE_RETRY,
            summary="load and pin the case rules",
        )
        now = workflow.now()
        self._state = CaseState(
            complaint=complaint,
            rules=rules,
            owner_id=rules.routing[complaint.category].owner,
            received_at=complaint.received_at or now,
            last_customer_update_at=now,
        )
        self._record("received", f"{complaint.category.value} complaint, priority {complaint.priority.value}")
        self._record("assigned", f"owner {self.owner.name} ({self.owner.id}); rules {rules.version}")
        workflow.upsert_search_attributes(
            [
                sa.COMPLAINT_PRIORITY.value_set(complaint.priority.value),
                sa.COMPLAINT_CATEGORY.value_set(complaint.category.value),
                sa.CUSTOMER_ID.value_set(complaint.customer.id),
            ]
        )

    async def _acknowledge(self) -> None:
        self._open_investigation()
        if not self._done("acknowledged"):
            await self._tell_customer(
                MessageKind.ACKNOWLEDGEMENT,
                next_step=f"I have asked our {self._department} team to look into what happened",
                due=self.state.investigation_due,
            )
            self._mark_done("acknowledged")
        self._enter(Stage.INVESTIGATING)

    # -- 2. investigate -------------------------------------------------------------------------

    @property
    def _department(self) -> str:
        return self.state.rules.routing[self.state.complaint.category].department

    def _open_investigation(self) -> None:
        if self.state.investigation_due is None:
            self.state.investigation_due = workflow.now() + self.state.rules.timings.investigation

    async def _investigate(self) -> None:
        state, timings = self.state, self.state.rules.timings
        self._open_investigation()
        due = state.investigation_due
        assert due is not None
        round_ = state.investigation_round
        if not self._done(f"investigation-request-{round_}"):
            kind = MessageKind.INVESTIGATION_REQUEST if round_ == 1 else MessageKind.REVIEW_REQUEST
            await self._tell_department(kind, due=due, note=state.review_reason or "", history=self._history_lines())
            self._mark_done(f"investigation-request-{round_}")

        def findings_in() -> bool:
            return state.findings is not None

        reminder_at = due - timings.investigation_reminder_before
        reminded = self._done(f"investigation-reminder-{round_}")
        if not await self._wait(findings_in, reminder_at, "investigation reminder") and not reminded:
            await self._tell_department(MessageKind.INVESTIGATION_REMINDER, due=due)
            self._mark_done(f"investigation-reminder-{round_}")
        if not await self._wait(findings_in, due, "investigation deadline"):
            if not self._done(f"investigation-escalation-{round_}"):
                await self._escalate_investigation()
                self._mark_done(f"investigation-escalation-{round_}")
            await self._wait(findings_in, None, "findings after escalation")
        state.investigation_due = None
        self._enter(Stage.PROPOSING)

    async def _escalate_investigation(self) -> None:
        route = self.state.rules.routing[self.state.complaint.category]
        lead = self.state.rules.staff_member(route.escalate_to)
        assert lead is not None
        self.state.investigation_escalated = True
        self._record("escalated", f"investigation deadline passed; escalated to {lead.name}")
        self._publish()
        await self._tell_staff(MessageKind.INVESTIGATION_ESCALATION, [lead], history=self._history_lines())
        await self._tell_customer(
            MessageKind.DELAY_NOTICE,
            next_step=f"{lead.name} is now overseeing the investigation personally",
            due=workflow.now() + self.state.rules.timings.progress_update_every,
        )

    # -- 3. propose a remedy ----------------------------------------------------------------------

    async def _propose_remedy(self) -> None:
        state = self.state
        assert state.findings is not None
        paid_elsewhere = None
        # Cases started before the rolling customer cap existed replay without this read.
        if workflow.patched(CUSTOMER_CAP_PATCH) and state.rules.compensation.cap_per_customer_12_months is not None:
            paid = await self._customer_paid_in_last_year()
            paid_elsewhere = max(paid - state.paid_total, Decimal("0"))  # this case's own payouts are topped up
        self._set_proposal(
            propose_remedy(state.findings, state.rules, state.proposal_versions + 1, paid_to_customer=paid_elsewhere)
        )

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
        is_counter = proposal is not None and bool(proposal.items) and proposal.items[0].kind == "counter"
        return Stage.FULFILLING if is_counter else Stage.AWAITING_CUSTOMER

    # -- 4. approve ---------------------------------------------------------------------------------

    async def _seek_approval(self) -> None:
        state, timings = self.state, self.state.rules.timings
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

        def answered() -> bool:
            return state.offer_response is not None

        reminded = self._done(f"offer-reminder-{version}")
        if not await self._wait(answered, due - timings.offer_reminder_before, "offer reminder") and not reminded:
            await self._tell_customer(MessageKind.OFFER_REMINDER, proposal=state.proposal, due=due)
            self._mark_done(f"offer-reminder-{version}")
        if await self._wait(answered, due, "offer deadline"):
            self._apply_offer_response()
            return
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
            proposal = amended_proposal(counter, reason, state.rules, approved.version + 1, kind="counter")
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
            await self._tell_customer(MessageKind.RESOLUTION, proposal=proposal, due=self._resolve_now())
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
        route = state.rules.routing[state.complaint.category]
        lead = state.rules.staff_member(route.escalate_to)
        people = [self.owner] + ([lead] if lead and lead.id != self.owner.id else [])
        await self._tell_staff(
            MessageKind.PAYOUT_REFUSED, people, proposal=state.proposal, note=reason, history=self._history_lines()
        )

    def _resolve_now(self) -> datetime:
        """Mark the case resolved and open the reopen window; returns the follow-up date."""
        state = self.state
        if state.resolved_at is None:
            state.resolved_at = workflow.now()
            state.reopen_until = state.resolved_at + state.rules.timings.reopen_window
        return state.resolved_at + state.rules.timings.follow_up_after

    # -- 7. follow up -----------------------------------------------------------------------------------

    async def _follow_up(self) -> None:
        state = self.state
        follow_up_at = self._resolve_now()
        assert state.reopen_until is not None

        def customer_came_back() -> bool:
            return state.reopened or state.offer_response is not None

        if not await self._wait(customer_came_back, follow_up_at, "follow-up"):
            if not self._done(f"follow-up-{state.investigation_round}"):
                await self._tell_customer(MessageKind.FOLLOW_UP, due=state.reopen_until)
                self._mark_done(f"follow-up-{state.investigation_round}")
            if not await self._wait(customer_came_back, state.reopen_until, "reopen window closes"):
                self._enter(Stage.AWAITING_FEEDBACK)
                return
        if state.offer_response is not None:
            self._apply_offer_response()
            return
        state.reopened, state.resolved_at, state.reopen_until = False, None, None
        self._send_back_to_review(f"reopened by the customer: {state.review_reason}")

    # -- 8. feedback and thanks ----------------------------------------------------------------------------

    async def _survey(self) -> None:
        state, timings = self.state, self.state.rules.timings
        if state.survey_started_at is None:
            state.survey_started_at = workflow.now()
            self._publish()
            await self._tell_customer(
                MessageKind.SURVEY_INVITATION, due=state.survey_started_at + timings.survey_expires_after
            )
        started, expires = state.survey_started_at, state.survey_started_at + timings.survey_expires_after

        def answered() -> bool:
            return state.feedback is not None

        if not await self._wait(answered, started + timings.survey_reminder_after, "survey reminder"):
            if not self._done("survey-reminder"):
                await self._tell_customer(MessageKind.SURVEY_REMINDER, due=expires)
                self._mark_done("survey-reminder")
            if not await self._wait(answered, expires, "survey expires"):
                self._record("survey expired", "no answer")
        self._enter(Stage.CLOSING)

    async def _close(self) -> None:
        if not self._done("thank-you"):
            await self._tell_customer(MessageKind.THANK_YOU)
            self._mark_done("thank-you")
        await self._finish(Stage.CLOSED)

    async def _close_withdrawn(self) -> None:
        withdrawal = self.state.withdrawal
        assert withdrawal is not None
        if not self._done("withdrawal-confirmation"):
            await self._tell_customer(MessageKind.WITHDRAWAL_CONFIRMATION, note=withdrawal.reason)
            self._mark_done("withdrawal-confirmation")
        await self._finish(Stage.WITHDRAWN)

    # -- 9. close and learn ----------------------------------------------------------------------------------

    async def _finish(self, final: Stage) -> None:
        self.state.closed_at = self.state.closed_at or workflow.now()
        if not self._done("outcome-recorded"):
            await self._record_outcome(self._outcome(final))
            self._mark_done("outcome-recorded")
        self._enter(final)

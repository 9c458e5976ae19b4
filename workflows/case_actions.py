"""Staff and customer actions on a case (validated updates) and the queries engineers read.

Validators delegate to `complaints.guards`, so the reasons a caller sees are written once.
A refused update never reaches history; the caller gets the reason verbatim.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.case_clocks import CaseClocks

with workflow.unsafe.imports_passed_through():
    from complaints import guards
    from complaints.actions import (
        Amendment,
        Approval,
        ContactCorrection,
        CustomerMessage,
        Feedback,
        Findings,
        InformationRequest,
        Note,
        OfferResponse,
        PayoutResolution,
        Reassignment,
        Rejection,
        Reopen,
        StaffDecision,
        Withdrawal,
    )
    from complaints.case import CaseStatus, Stage, TimelineEvent
    from complaints.messages import MessageKind
    from complaints.policy import amended_proposal


class CaseActions(CaseClocks):
    def _guard(self, check: Callable[[], None]) -> None:
        if self._state is None:
            raise ApplicationError("the complaint is still being received; try again in a moment", type="Refused")
        try:
            check()
        except guards.Refused as refusal:
            raise ApplicationError(str(refusal), type="Refused", non_retryable=True) from None

    @workflow.update(description="Department findings: what happened, root cause, severity, loss.")
    def submit_findings(self, findings: Findings) -> str:
        self.state.findings = findings
        self._record("findings", f"severity {findings.severity}: {findings.summary}", actor=findings.submitted_by)
        return f"Findings recorded for {self.state.complaint.id}; a remedy will be proposed."

    @submit_findings.validator
    def _validate_findings(self, findings: Findings) -> None:
        self._guard(lambda: guards.check_findings(self.state, findings))

    @workflow.update(description="Approve the proposed remedy (approver's limit must cover it).")
    def approve(self, approval: Approval) -> str:
        return self._apply_approval(approval)

    def _apply_approval(self, approval: Approval) -> str:
        state = self.state
        state.approval_outcome, state.approved_by = "approved", approval.approver_id
        assert state.proposal is not None
        self._record("approved", approval.comment or f"v{state.proposal.version}", actor=approval.approver_id)
        return f"Approved {state.proposal.total:.2f} {state.proposal.currency} for {state.complaint.id}."

    @approve.validator
    def _validate_approve(self, approval: Approval) -> None:
        self._guard(lambda: guards.check_approval(self.state, approval))

    @workflow.update(description="Reject the proposed remedy; the case goes back to review.")
    def reject(self, rejection: Rejection) -> str:
        return self._apply_rejection(rejection)

    def _apply_rejection(self, rejection: Rejection) -> str:
        self.state.approval_outcome = "rejected"
        self.state.review_reason = f"rejected by {rejection.approver_id}: {rejection.reason}"
        self._record("rejected", rejection.reason, actor=rejection.approver_id)
        return f"Rejected; {self.state.complaint.id} goes back to review."

    @reject.validator
    def _validate_reject(self, rejection: Rejection) -> None:
        self._guard(lambda: guards.check_rejection(self.state, rejection))

    @workflow.update(description="Approve a different amount than proposed.")
    def amend(self, amendment: Amendment) -> str:
        return self._apply_amendment(amendment)

    def _apply_amendment(self, amendment: Amendment) -> str:
        state = self.state
        proposal = amended_proposal(amendment.amount, amendment.reason, state.rules, state.proposal_versions + 1)
        self._record("amended", f"to {amendment.amount:.2f}: {amendment.reason}", actor=amendment.approver_id)
        state.proposal, state.proposal_versions = proposal, proposal.version
        state.approval_outcome, state.approved_by = "approved", amendment.approver_id
        return f"Amended to {amendment.amount:.2f} {proposal.currency} and approved for {state.complaint.id}."

    @amend.validator
    def _validate_amend(self, amendment: Amendment) -> None:
        self._guard(lambda: guards.check_amendment(self.state, amendment))

    @workflow.signal(
        description="approve / reject / amend for systems that can only signal: checked by the same rules "
        "as the updates; a refused decision is recorded in the timeline and never applied."
    )
    async def decide(self, decision: StaffDecision) -> None:
        await workflow.wait_condition(lambda: self._state is not None)
        try:
            action = decision.as_action()
            if isinstance(action, Approval):
                guards.check_approval(self.state, action)
                self._apply_approval(action)
            elif isinstance(action, Rejection):
                guards.check_rejection(self.state, action)
                self._apply_rejection(action)
            else:
                guards.check_amendment(self.state, action)
                self._apply_amendment(action)
        except (guards.Refused, ValueError) as refusal:
            detail = f"{decision.decision.value} by {decision.approver_id} (signal): {refusal}"
            self._record("decision refused", detail, actor=decision.approver_id)

    @workflow.update(description="The customer's answer to the offer: accept, decline (with reason) or counter.")
    def respond_to_offer(self, response: OfferResponse) -> str:
        self.state.offer_response = response
        return f"Recorded: the customer's answer is {response.answer.value}."

    @respond_to_offer.validator
    def _validate_offer_response(self, response: OfferResponse) -> None:
        self._guard(lambda: guards.check_offer_response(self.state, response))

    @workflow.update(description="Reopen a resolved complaint within the reopen window.")
    def reopen(self, reopen: Reopen) -> str:
        self.state.reopened, self.state.review_reason = True, reopen.reason
        self._record("reopened", reopen.reason, actor=reopen.recorded_by)
        return f"Reopened {self.state.complaint.id}; it goes back to investigation."

    @reopen.validator
    def _validate_reopen(self, reopen: Reopen) -> None:
        self._guard(lambda: guards.check_reopen(self.state, reopen, workflow.now()))

    @workflow.update(description="The customer's satisfaction survey answer (CSAT 1-5).")
    def submit_feedback(self, feedback: Feedback) -> str:
        self.state.feedback = feedback
        self._record("feedback", f"CSAT {feedback.csat}: {feedback.comment or '-'}", actor="customer")
        return "Thank you: feedback recorded."

    @submit_feedback.validator
    def _validate_feedback(self, feedback: Feedback) -> None:
        self._guard(lambda: guards.check_feedback(self.state, feedback))

    @workflow.update(description="Give the case to another staff member, with a brief.")
    async def reassign(self, reassignment: Reassignment) -> str:
        state = self.state
        previous, state.owner_id = state.owner_id, reassignment.to_staff_id
        self._record(
            "reassigned", f"{previous} → {reassignment.to_staff_id}: {reassignment.brief}", actor=reassignment.by
        )
        self._publish()
        await self._tell_staff(
            MessageKind.REASSIGNMENT_BRIEF, [self.owner], note=reassignment.brief, history=self._history_lines()
        )
        return f"{state.complaint.id} is now with {self.owner.name}."

    @reassign.validator
    def _validate_reassign(self, reassignment: Reassignment) -> None:
        self._guard(lambda: guards.check_reassignment(self.state, reassignment))

    @workflow.update(description="After a refused payout: retry (cause fixed) or record it settled elsewhere.")
    def resolve_payout(self, resolution: PayoutResolution) -> str:
        self.state.payout_resolution = resolution
        return f"Recorded: {resolution.action.value} for the refused payout of {self.state.complaint.id}."

    @resolve_payout.validator
    def _validate_payout_resolution(self, resolution: PayoutResolution) -> None:
        self._guard(lambda: guards.check_payout_resolution(self.state, resolution))

    @workflow.update(description="Add an internal note to the timeline.")
    def add_note(self, note: Note) -> str:
        self._record("note", note.text, actor=note.author)
        return "Note added."

    @add_note.validator
    def _validate_note(self, note: Note) -> None:
        self._guard(lambda: guards.check_note(self.state, note))

    @workflow.update(description="The customer withdraws the complaint.")
    def withdraw(self, withdrawal: Withdrawal) -> str:
        self.state.withdrawal = withdrawal
        self._record("withdrawn", withdrawal.reason, actor=withdrawal.recorded_by)
        return f"{self.state.complaint.id} is withdrawn; the customer will get a confirmation."

    @withdraw.validator
    def _validate_withdraw(self, withdrawal: Withdrawal) -> None:
        self._guard(lambda: guards.check_withdrawal(self.state, withdrawal))

    @workflow.update(description="Ask the customer for information we don't have; the SLA clock pauses.")
    async def request_information(self, request: InformationRequest) -> str:
        self.state.information_request = request
        self._record("information requested", request.questions, actor=request.by)
        self._customer_clock_paused(f"waiting for the customer's answer (asked by {request.by})", request.by)
        await self._tell_customer(MessageKind.INFORMATION_REQUEST, wait_for_contact=False, note=request.questions)
        return f"Asked {self.state.complaint.customer.name}; the case clock pauses until they reply."

    @request_information.validator
    def _validate_information_request(self, request: InformationRequest) -> None:
        self._guard(lambda: guards.check_information_request(self.state, request))

    @workflow.update(
        description="A message from the customer (new information, a reply): recorded once per message_id, "
        "the owner is told, and an open question to the customer is answered."
    )
    async def add_customer_message(self, message: CustomerMessage) -> str:
        state = self.state
        if message.message_id is not None:
            if message.message_id in state.inbound_message_ids:
                return f"Already recorded: message {message.message_id} on {state.complaint.id}."
            state.inbound_message_ids.append(message.message_id)
        self._record("customer message", f"({message.channel}) {message.text}", actor="customer")
        answered = state.information_request
        if answered is not None:
            state.information_request = None
            self._record("information received", f"answer to {answered.by}'s question")
            self._customer_clock_resumed("the customer replied", "customer")
        people = [self.owner]
        await self._tell_staff(
            MessageKind.CUSTOMER_REPLY,
            people,
            note=message.text,
            next_step="this answers the question you asked them" if answered else "",
            history=self._history_lines(),
        )
        if state.stage is Stage.INVESTIGATING:
            await self._tell_department(MessageKind.CUSTOMER_REPLY, note=message.text, history=self._history_lines())
        return f"Recorded the customer's message on {state.complaint.id}; {self.owner.name} has been told."

    @add_customer_message.validator
    def _validate_customer_message(self, message: CustomerMessage) -> None:
        self._guard(lambda: guards.check_customer_message(self.state, message))

    @workflow.update(
        description="After mail to the customer was refused: a corrected e-mail address, or another channel "
        "(post, phone) by which the owner delivers our messages. A message that was waiting goes out again."
    )
    def correct_contact(self, correction: ContactCorrection) -> str:
        state = self.state
        if correction.email is not None:
            state.contact_email, state.contact_channel = str(correction.email), None
            detail = f"e-mail now {correction.email}"
        else:
            state.contact_channel = correction.channel
            detail = f"by {correction.channel}, delivered by the case owner"
        state.contact_problem = None
        self._record("contact corrected", f"{detail}. {correction.note}".strip(), actor=correction.by)
        self._publish()
        return f"{state.complaint.id}: the customer is reached {detail}."

    @correct_contact.validator
    def _validate_contact_correction(self, correction: ContactCorrection) -> None:
        self._guard(lambda: guards.check_contact_correction(self.state, correction))

    # -- queries ------------------------------------------------------------------------------------------------

    @workflow.query(description="Where the case stands: stage, what it waits for and until when, remedy.")
    def status(self) -> CaseStatus:
        if self._state is None:
            raise ApplicationError("the complaint is still being received; try again in a moment")
        state, waiting = self.state, self.waiting_for()
        return CaseStatus(
            complaint_id=state.complaint.id,
            stage=state.stage,
            customer_name=state.complaint.customer.name,
            customer_email=state.complaint.customer.email,
            category=state.complaint.category.value,
            priority=state.complaint.priority.value,
            owner_id=state.owner_id,
            owner_name=self.owner.name,
            waiting_for=waiting[0],
            due=waiting[1],
            findings=state.findings,
            proposal=state.proposal,
            approved_by=state.approved_by,
            offer_response=state.offer_response,
            offer_standing=state.offer_standing,
            payouts=state.payouts,
            feedback=state.feedback,
            received_at=state.received_at,
            closed_at=state.closed_at,
            continued_as_new=state.continued_as_new,
        )

    @workflow.query(description="The complete audit trail of the case.")
    def timeline(self) -> list[TimelineEvent]:
        return self.state.timeline if self._state is not None else []

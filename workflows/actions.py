"""What each staff or customer action does to a case, once its update's validator let it in.

The workflow declares the updates (complaint.py); their bodies are here, and their
validators call `complaints.guards` through `refuse_unless`, so the reasons a caller sees are
written once. A refused update never reaches history; the caller gets the reason verbatim.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.clocks import CaseClocks
from workflows.messenger import Messenger
from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    from complaints import guards, questions
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
        PriorityRaise,
        Reassignment,
        Rejection,
        Reopen,
        StaffDecision,
        Withdrawal,
    )
    from complaints.case import CaseState, Stage
    from complaints.failures import REFUSED
    from complaints.messages import MessageKind
    from complaints.policy import amended_proposal


def refuse_unless(case: CaseRecord, check: Callable[[CaseState], None]) -> None:
    """An update validator: raise the guard's reason as the caller's error, or let it in."""
    if not case.exists:
        raise ApplicationError("the complaint is still being received; try again in a moment", type=REFUSED)
    try:
        check(case.state)
    except guards.Refused as refusal:
        raise ApplicationError(str(refusal), type=REFUSED, non_retryable=True) from None


class CaseActions:
    def __init__(self, case: CaseRecord, clocks: CaseClocks, messenger: Messenger, publish: Callable[[], None]) -> None:
        self._case = case
        self._clocks = clocks
        self._messenger = messenger
        self._publish = publish

    # -- investigation and approval --------------------------------------------------------

    def submit_findings(self, findings: Findings) -> str:
        state = self._case.state
        self._case.answered(questions.findings(state), findings.submitted_by, "findings")
        state.findings = state.findings_by_round[state.investigation_round] = findings
        self._case.record("findings", f"severity {findings.severity}: {findings.summary}", actor=findings.submitted_by)
        return f"Findings recorded for {state.complaint.id}; a remedy will be proposed."

    def approve(self, approval: Approval) -> str:
        state = self._case.state
        self._case.answered(questions.approval(state), approval.approver_id, "approved")
        state.approval_outcome, state.approved_by = "approved", approval.approver_id
        assert state.proposal is not None
        self._case.record("approved", approval.comment or f"v{state.proposal.version}", actor=approval.approver_id)
        return f"Approved {state.proposal.total:.2f} {state.proposal.currency} for {state.complaint.id}."

    def reject(self, rejection: Rejection) -> str:
        state = self._case.state
        self._case.answered(questions.approval(state), rejection.approver_id, "rejected")
        state.approval_outcome = "rejected"
        state.review_reason = f"rejected by {rejection.approver_id}: {rejection.reason}"
        self._case.record("rejected", rejection.reason, actor=rejection.approver_id)
        return f"Rejected; {state.complaint.id} goes back to review."

    def amend(self, amendment: Amendment) -> str:
        state = self._case.state
        self._case.answered(questions.approval(state), amendment.approver_id, f"amended to {amendment.amount:.2f}")
        proposal = amended_proposal(amendment.amount, amendment.reason, state.rules, state.proposal_versions + 1)
        self._case.record("amended", f"to {amendment.amount:.2f}: {amendment.reason}", actor=amendment.approver_id)
        state.proposal, state.proposal_versions = proposal, proposal.version
        state.approval_outcome, state.approved_by = "approved", amendment.approver_id
        # The amended version is approved by the same decision: a late answer to it names this one.
        self._case.answered(questions.approval(state), amendment.approver_id, f"amended to {amendment.amount:.2f}")
        return f"Amended to {amendment.amount:.2f} {proposal.currency} and approved for {state.complaint.id}."

    def decide(self, decision: StaffDecision) -> None:
        """A decision by signal: checked by the same guards; a refused one is only recorded."""
        state = self._case.state
        try:
            action = decision.as_action()
            if isinstance(action, Approval):
                guards.check_approval(state, action)
                self.approve(action)
            elif isinstance(action, Rejection):
                guards.check_rejection(state, action)
                self.reject(action)
            else:
                guards.check_amendment(state, action)
                self.amend(action)
        except (guards.Refused, ValueError) as refusal:
            detail = f"{decision.decision.value} by {decision.approver_id} (signal): {refusal}"
            self._case.record("decision refused", detail, actor=decision.approver_id)

    def resolve_payout(self, resolution: PayoutResolution) -> str:
        self._case.answered(questions.payout_decision(self._case.state), resolution.by, resolution.action.value)
        self._case.state.payout_resolution = resolution
        return f"Recorded: {resolution.action.value} for the refused payout of {self._case.state.complaint.id}."

    # -- the customer's answers --------------------------------------------------------------

    def respond_to_offer(self, response: OfferResponse) -> str:
        self._case.answered(questions.offer(self._case.state), response.recorded_by, response.answer.value)
        self._case.state.offer_response = response
        return f"Recorded: the customer's answer is {response.answer.value}."

    def reopen(self, reopen: Reopen) -> str:
        state = self._case.state
        state.reopened, state.review_reason = True, reopen.reason
        self._case.record("reopened", reopen.reason, actor=reopen.recorded_by)
        return f"Reopened {state.complaint.id}; it goes back to investigation."

    def submit_feedback(self, feedback: Feedback) -> str:
        self._case.state.feedback = feedback
        self._case.record("feedback", f"CSAT {feedback.csat}: {feedback.comment or '-'}", actor="customer")
        return "Thank you: feedback recorded."

    def withdraw(self, withdrawal: Withdrawal) -> str:
        self._case.state.withdrawal = withdrawal
        self._case.record("withdrawn", withdrawal.reason, actor=withdrawal.recorded_by)
        return f"{self._case.state.complaint.id} is withdrawn; the customer will get a confirmation."

    async def add_customer_message(self, message: CustomerMessage) -> str:
        """Recorded once per message id; the owner (and the department while it investigates) is told."""
        case, state = self._case, self._case.state
        if message.message_id is not None:
            if message.message_id in state.inbound_message_ids:
                return f"Already recorded: message {message.message_id} on {state.complaint.id}."
            state.inbound_message_ids.append(message.message_id)
        case.record("customer message", f"({message.channel}) {message.text}", actor="customer")
        answered = state.information_request
        if answered is not None:
            state.information_request = None
            case.record("information received", f"answer to {answered.by}'s question")
            self._clocks.customer_resumed("the customer replied", "customer")
        await self._messenger.tell_staff(
            MessageKind.CUSTOMER_REPLY,
            [case.owner],
            note=message.text,
            next_step="this answers the question you asked them" if answered else "",
            history=case.history_lines(),
        )
        if state.stage is Stage.INVESTIGATING:
            await self._messenger.tell_department(
                MessageKind.CUSTOMER_REPLY, note=message.text, history=case.history_lines()
            )
        return f"Recorded the customer's message on {state.complaint.id}; {case.owner.name} has been told."

    # -- running the case ----------------------------------------------------------------------

    async def reassign(self, reassignment: Reassignment) -> str:
        case, state = self._case, self._case.state
        previous, state.owner_id = state.owner_id, reassignment.to_staff_id
        case.record(
            "reassigned", f"{previous} → {reassignment.to_staff_id}: {reassignment.brief}", actor=reassignment.by
        )
        self._publish()
        await self._messenger.tell_staff(
            MessageKind.REASSIGNMENT_BRIEF, [case.owner], note=reassignment.brief, history=case.history_lines()
        )
        return f"{state.complaint.id} is now with {case.owner.name}."

    def add_note(self, note: Note) -> str:
        self._case.record("note", note.text, actor=note.author)
        return "Note added."

    async def request_information(self, request: InformationRequest) -> str:
        state = self._case.state
        state.information_request = request
        self._case.record("information requested", request.questions, actor=request.by)
        self._clocks.customer_paused(f"waiting for the customer's answer (asked by {request.by})", request.by)
        await self._messenger.tell_customer(
            MessageKind.INFORMATION_REQUEST, wait_for_contact=False, note=request.questions
        )
        return f"Asked {state.complaint.customer.name}; the case clock pauses until they reply."

    def correct_contact(self, correction: ContactCorrection) -> str:
        state = self._case.state
        if correction.email is not None:
            state.contact_email, state.contact_channel = str(correction.email), None
            detail = f"e-mail now {correction.email}"
        else:
            state.contact_channel = correction.channel
            detail = f"by {correction.channel}, delivered by the case owner"
        state.contact_problem = None
        self._case.record("contact corrected", f"{detail}. {correction.note}".strip(), actor=correction.by)
        self._publish()
        return f"{state.complaint.id}: the customer is reached {detail}."

    def raise_priority(self, change: PriorityRaise) -> str:
        self._clocks.raise_priority(change.priority, change.by, change.reason)
        return f"{self._case.state.complaint.id} is now {change.priority.value}; its deadlines are recomputed."

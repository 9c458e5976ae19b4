"""Where a remedy goes next: the decisions that move a case between proposal, approval,
offer, payment and review. Each returns the next stage; the process enters it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from temporalio import workflow

from workflows.clocks import CaseClocks
from workflows.record import CaseRecord

with workflow.unsafe.imports_passed_through():
    from complaints import questions
    from complaints.actions import OfferAnswer
    from complaints.case import Stage
    from complaints.policy import amended_proposal
    from complaints.remedies import Proposal, RemedyKind
    from complaints.sla import ClockKind


class CaseRemedy:
    def __init__(self, case: CaseRecord, clocks: CaseClocks) -> None:
        self._case = case
        self._clocks = clocks

    def set_proposal(self, proposal: Proposal) -> Stage:
        """Record a new proposal and send it where it needs to go: approval, or straight on."""
        case, state = self._case, self._case.state
        state.proposal, state.proposal_versions = proposal, proposal.version
        state.proposals.append(proposal)
        items = "; ".join(f"{item.kind} {item.amount:.2f}" for item in proposal.items) or "no compensation"
        case.record("proposal", f"v{proposal.version}: {items} = {proposal.total:.2f} {proposal.currency}")
        state.approval_outcome, state.approval_due, state.approved_by = None, None, None
        if proposal.approval_level is None:
            state.approved_by = "auto"
            case.record("auto-approved", f"{proposal.total:.2f} is within the auto-approval threshold")
            return self.after_approval()
        state.approval_level = proposal.approval_level
        return Stage.AWAITING_APPROVAL

    def after_approval(self) -> Stage:
        """An approved counter-offer is already agreed with the customer; anything else is offered."""
        proposal = self._case.state.proposal
        return Stage.FULFILLING if proposal is not None and proposal.is_counter_offer else Stage.AWAITING_CUSTOMER

    def send_back_to_review(self, reason: str) -> Stage:
        """A rejection, a declined offer or a reopening: a new investigation round."""
        state = self._case.state
        state.review_reason, state.findings = reason, None
        state.investigation_round += 1
        state.approval_level = state.approval_due = state.offer_due = state.offer_response = None
        self._case.record("back to review", reason)
        return Stage.INVESTIGATING

    def apply_offer_response(self) -> Stage:
        """The customer's answer: accepted is paid, declined is reviewed, a counter is a new proposal."""
        case, state = self._case, self._case.state
        response, approved = state.offer_response, state.proposal
        assert response is not None and approved is not None
        state.offer_response, state.offer_due, state.offer_standing = None, None, False
        state.resolved_at = state.reopen_until = None  # a standing offer answered late: resolve afresh
        case.record(f"offer {response.answer.value}", response.reason or "-", actor=response.recorded_by)
        if response.answer is OfferAnswer.ACCEPT:
            return Stage.FULFILLING
        if response.answer is OfferAnswer.DECLINE:
            return self.send_back_to_review(f"customer declined the offer: {response.reason}")
        counter = response.counter_amount or Decimal("0")
        reason = f"The amount you asked for in your counter-offer. {response.reason}".strip()
        proposal = amended_proposal(counter, reason, state.rules, approved.version + 1, kind=RemedyKind.COUNTER)
        # The customer's counter is their answer to the new version too: it is never offered back to them.
        state.answers[questions.offer_of(proposal.version)] = state.answers[questions.offer(state)]
        if counter > approved.total:
            return self.set_proposal(proposal)
        approver = state.approved_by  # already covered by the approval we have
        next_stage = self.set_proposal(proposal.model_copy(update={"approval_level": None}))
        state.approved_by = approver
        return next_stage

    def resolve_now(self) -> datetime:
        """Mark the case resolved and open the reopen window; returns the follow-up date."""
        state = self._case.state
        if state.resolved_at is None:
            self._clocks.stop(ClockKind.RESOLUTION)
            state.resolved_at = workflow.now()
            state.reopen_until = state.resolved_at + state.rules.timings.reopen_window
        return state.resolved_at + state.rules.timings.follow_up_after

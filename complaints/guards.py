"""Why a staff or customer action is refused, as pure functions of the case state.

Update validators call these (a refused update leaves no trace in history), and any
later signal-based path can call the same ones, so the rules exist exactly once.
Each raises `Refused` with a reason written for the person who tried.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from complaints import questions
from complaints.actions import (
    Amendment,
    Approval,
    ContactCorrection,
    CustomerMessage,
    Feedback,
    Findings,
    InformationRequest,
    Note,
    OfferAnswer,
    OfferResponse,
    PayoutResolution,
    PriorityRaise,
    Reassignment,
    Rejection,
    Reopen,
    Resumption,
    Withdrawal,
)
from complaints.case import CaseState, Stage
from complaints.dates import when


class Refused(Exception):
    """An action the case cannot take now; the message is shown verbatim to the caller."""


def _require_stage(state: CaseState, *stages: Stage, action: str) -> None:
    if state.stage not in stages:
        expected = " or ".join(stage.value for stage in stages)
        raise Refused(f"cannot {action}: the complaint is {state.stage.value}, not {expected}")


def _require_staff(state: CaseState, staff_id: str, field: str) -> None:
    if state.rules.staff_member(staff_id) is None:
        raise Refused(f"{field}: unknown staff id {staff_id!r}")


def _require_open(state: CaseState, action: str) -> None:
    if state.stage.is_final:
        raise Refused(f"cannot {action}: the complaint is already {state.stage.value}")


def _require_limit(state: CaseState, approver_id: str, amount: Decimal, action: str) -> None:
    limit = state.rules.approval_limit(approver_id)
    member = state.rules.staff_member(approver_id)
    assert member is not None
    if limit < amount:
        currency = state.rules.compensation.currency
        raise Refused(
            f"cannot {action}: {amount:.2f} {currency} is over the approval limit of "
            f"{member.name} ({member.role}, up to {limit:.2f} {currency})"
        )


def _require_unanswered(state: CaseState, question: str, action: str) -> None:
    """One answer per question: a second one, however soon, is refused naming the first."""
    first = state.answers.get(question)
    if first is not None:
        raise Refused(f"cannot {action}: already answered ({first.what} by {first.by} on {when(first.at)})")


def check_findings(state: CaseState, findings: Findings) -> None:
    _require_unanswered(state, questions.findings(state), "submit findings")
    _require_stage(state, Stage.INVESTIGATING, action="submit findings")
    _require_staff(state, findings.submitted_by, "submitted_by")
    _require_root_cause(state, findings)
    if findings.recurring and not findings.recurring_reason.strip():
        raise Refused("cannot submit findings: recurring_reason: say why it is recurring when marking it so")


def _require_root_cause(state: CaseState, findings: Findings) -> None:
    """Findings name their root cause from the rules' vocabulary (if the case's rules have one)."""
    vocabulary = state.rules.root_causes
    code = findings.root_cause_code
    if not vocabulary or (code is not None and code in vocabulary):
        return
    known = ", ".join(sorted(vocabulary))
    if code is None:
        raise Refused(f"cannot submit findings: root_cause_code: required; one of {known}")
    raise Refused(f"cannot submit findings: root_cause_code: unknown code {code!r}; known: {known}")


def _check_decision(state: CaseState, approver_id: str, amount: Decimal, action: str) -> None:
    _require_unanswered(state, questions.approval(state), action)
    _require_stage(state, Stage.AWAITING_APPROVAL, action=action)
    _require_staff(state, approver_id, "approver_id")
    _require_limit(state, approver_id, amount, action)


def _require_four_eyes(state: CaseState, approver_id: str, amount: Decimal, action: str) -> None:
    table = state.rules.compensation
    if approver_id == state.owner_id and amount > table.four_eyes_above:
        raise Refused(
            f"cannot {action}: {approver_id} owns this complaint, and above {table.four_eyes_above:.2f} "
            f"{table.currency} someone else must approve it (four-eyes)"
        )


def check_approval(state: CaseState, approval: Approval) -> None:
    total = state.proposal.total if state.proposal else Decimal("0")
    _check_decision(state, approval.approver_id, total, "approve")
    _require_four_eyes(state, approval.approver_id, total, "approve")


def check_rejection(state: CaseState, rejection: Rejection) -> None:
    total = state.proposal.total if state.proposal else Decimal("0")
    _check_decision(state, rejection.approver_id, total, "reject")


def check_amendment(state: CaseState, amendment: Amendment) -> None:
    _check_decision(state, amendment.approver_id, amendment.amount, "amend")
    _require_four_eyes(state, amendment.approver_id, amendment.amount, "amend")


def check_offer_response(state: CaseState, response: OfferResponse) -> None:
    _require_unanswered(state, questions.offer(state), "record an offer response")
    standing = state.stage is Stage.FOLLOWING_UP and state.offer_standing
    if state.stage is not Stage.AWAITING_CUSTOMER and not standing:
        raise Refused(f"cannot record an offer response: no offer is open (the complaint is {state.stage.value})")
    if response.answer is OfferAnswer.DECLINE and not response.reason.strip():
        raise Refused("reason: a decline needs the customer's reason")
    if response.answer is OfferAnswer.COUNTER and not response.counter_amount:
        raise Refused("counter_amount: a counter-offer needs an amount above zero")


def check_reopen(state: CaseState, reopen: Reopen, now: datetime) -> None:
    if state.stage in (Stage.AWAITING_FEEDBACK, Stage.CLOSING) or (
        state.stage is Stage.FOLLOWING_UP and state.reopen_until is not None and now > state.reopen_until
    ):
        closed = when(state.reopen_until) if state.reopen_until else "earlier"
        raise Refused(f"cannot reopen: the reopen window closed on {closed}")
    _require_stage(state, Stage.FOLLOWING_UP, action="reopen")


def check_feedback(state: CaseState, feedback: Feedback) -> None:
    _require_stage(state, Stage.AWAITING_FEEDBACK, action="record feedback")
    if state.feedback is not None:
        raise Refused("cannot record feedback: the customer has already answered the survey")


def check_reassignment(state: CaseState, reassignment: Reassignment) -> None:
    _require_open(state, "reassign")
    _require_staff(state, reassignment.to_staff_id, "to_staff_id")
    if reassignment.to_staff_id == state.owner_id:
        raise Refused(f"to_staff_id: the complaint is already assigned to {reassignment.to_staff_id}")


def check_note(state: CaseState, note: Note) -> None:
    _require_open(state, "add a note")
    _require_staff(state, note.author, "author")


def check_resumption(state: CaseState, resumption: Resumption) -> None:
    _require_open(state, "resume the case")
    _require_unanswered(state, questions.attention(state), "resume the case")
    if state.attention is None:
        raise Refused("cannot resume the case: it does not need attention")
    _require_staff(state, resumption.by, "by")


def check_payout_resolution(state: CaseState, resolution: PayoutResolution) -> None:
    _require_unanswered(state, questions.payout_decision(state), "decide on a payout")
    if state.stage is not Stage.FULFILLING or state.payout_refusal is None:
        raise Refused("cannot decide on a payout: no payout is waiting after a refusal")
    _require_staff(state, resolution.by, "by")


def check_withdrawal(state: CaseState, withdrawal: Withdrawal) -> None:
    _require_open(state, "withdraw")
    if state.withdrawal is not None:
        raise Refused("cannot withdraw: the complaint is already being withdrawn")
    if state.stage in (Stage.FULFILLING, Stage.CLOSING):
        raise Refused(f"cannot withdraw: the complaint is {state.stage.value}; it will be closed in a moment")


# Before a remedy is agreed, the customer may still be asked for facts we don't have.
_ASKING_STAGES = (Stage.INVESTIGATING, Stage.PROPOSING, Stage.AWAITING_APPROVAL)


def check_information_request(state: CaseState, request: InformationRequest) -> None:
    _require_stage(state, *_ASKING_STAGES, action="ask the customer for information")
    _require_staff(state, request.by, "by")
    if state.information_request is not None:
        raise Refused(
            "cannot ask the customer for information: a question is already open "
            f"(asked by {state.information_request.by}); wait for their reply"
        )


def check_customer_message(state: CaseState, message: CustomerMessage) -> None:
    _require_open(state, "add the customer's message")


def check_contact_correction(state: CaseState, correction: ContactCorrection) -> None:
    _require_open(state, "change how we reach the customer")
    _require_staff(state, correction.by, "by")
    current = state.contact_email or state.complaint.customer.email
    if correction.email is not None and state.contact_problem is not None and correction.email == current:
        raise Refused(f"email: {current} is the address that was refused; give a corrected one")


def check_priority_raise(state: CaseState, change: PriorityRaise) -> None:
    _require_open(state, "raise the priority")
    _require_staff(state, change.by, "by")
    current = state.current_priority
    if change.priority.urgency <= current.urgency:
        raise Refused(f"priority: the complaint is already {current.value}; a raise must be higher")

"""What staff and customers send to a running complaint (update/signal arguments).

One model per action so fields can be added later without breaking running cases.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from complaints.fields import Email, FreeText, Label, Money, NonEmptyText, SingleLine
from complaints.intake import ContactChannel, Priority


# Who did something (staff ids, `by`, `recorded_by`) is one line: it is shown in subjects and the
# timeline. What they wrote (a summary, a reason, a note) may run over lines. Amounts are `Money`.
class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Fault(StrEnum):
    """Whose fault it was: recorded for learning; the customer's remedy does not depend on it."""

    OURS = "ours"
    THIRD_PARTY = "third_party"


class Inconvenience(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MODERATE = "moderate"
    MAJOR = "major"


class Replacement(_Action):
    """The item can be replaced: what it is and what a new one costs us."""

    item: SingleLine
    cost: Money


class Findings(_Action):
    """What the investigating department found."""

    submitted_by: SingleLine
    summary: NonEmptyText
    root_cause: NonEmptyText
    severity: Annotated[int, Field(ge=1, le=5)]
    financial_loss: Money = Decimal("0")
    # From the rules' root-cause vocabulary (`billing.duplicate-charge`); `root_cause` is the free text beside it.
    # None only in findings from before the vocabulary.
    root_cause_code: Label | None = None
    recurring: bool = False  # marked by staff (with `recurring_reason`); the rules also find it by the code
    recurring_reason: FreeText = ""
    upheld: bool = True
    fault: Fault = Fault.OURS
    inconvenience: Inconvenience = Inconvenience.NONE
    harm: bool = False  # distress, health or lasting damage beyond money and time
    replacement: Replacement | None = None


class Approval(_Action):
    approver_id: SingleLine
    comment: FreeText = ""


class Rejection(_Action):
    approver_id: SingleLine
    reason: NonEmptyText


class Amendment(_Action):
    """Approve a different amount than proposed (re-checked against the approver's limit)."""

    approver_id: SingleLine
    amount: Money
    reason: NonEmptyText


class DecisionKind(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    AMEND = "amend"


class StaffDecision(_Action):
    """An approval decision sent as a signal, by systems (or engineers) that cannot send
    updates. The workflow checks it by the same rules; a refused one is only recorded."""

    decision: DecisionKind
    approver_id: SingleLine
    comment: FreeText = ""
    reason: FreeText = ""
    amount: Money | None = None

    def as_action(self) -> Approval | Rejection | Amendment:
        """The equivalent update argument; raises ValueError (naming the field) if incomplete."""
        match self.decision:
            case DecisionKind.APPROVE:
                return Approval(approver_id=self.approver_id, comment=self.comment)
            case DecisionKind.REJECT:
                return Rejection(approver_id=self.approver_id, reason=self.reason)
            case DecisionKind.AMEND:
                return Amendment(approver_id=self.approver_id, amount=self.amount, reason=self.reason)


class PayoutAction(StrEnum):
    RETRY = "retry"  # the cause is fixed (e.g. bank details): try again under a new key
    SETTLED_ELSEWHERE = "settled-elsewhere"  # paid by other means: carry on without paying


class PayoutResolution(_Action):
    """Staff's decision after the payout gateway refused a payment for good."""

    action: PayoutAction
    by: SingleLine
    note: FreeText = ""


class Resumption(_Action):
    """Staff have dealt with what made the case need attention: it goes on (a stage is tried again)."""

    by: SingleLine
    note: FreeText = ""


class OfferAnswer(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    COUNTER = "counter"


class OfferResponse(_Action):
    answer: OfferAnswer
    reason: FreeText = ""
    counter_amount: Money | None = None
    recorded_by: Label = "customer"


class Feedback(_Action):
    csat: Annotated[int, Field(ge=1, le=5)]
    comment: FreeText = ""


class Reassignment(_Action):
    to_staff_id: SingleLine
    brief: NonEmptyText
    by: Label = "system"


class Note(_Action):
    author: SingleLine
    text: NonEmptyText


class Withdrawal(_Action):
    reason: FreeText = "withdrawn by the customer"
    recorded_by: Label = "customer"


class Reopen(_Action):
    reason: NonEmptyText
    recorded_by: Label = "customer"


class CustomerMessage(_Action):
    """Something the customer sent on a running case (new information, a reply to a question).

    Delivered as the `add_customer_message` update. `message_id` is the inbound system's id
    for it: the same id twice is recorded once, so a retried delivery is harmless.
    """

    text: NonEmptyText
    channel: Label = "email"
    message_id: Label | None = None
    received_at: AwareDatetime | None = None


class ContactCorrection(_Action):
    """After mail to the customer was refused for good: a corrected address, or another
    channel (post, phone) by which the case owner will deliver our messages."""

    by: SingleLine
    email: Email | None = None
    channel: ContactChannel | None = None
    note: FreeText = ""

    @model_validator(mode="after")
    def _one_way_to_reach_them(self) -> ContactCorrection:
        if (self.email is None) == (self.channel is None):
            raise ValueError("give either a corrected email or another channel, not both or neither")
        return self


class InformationRequest(_Action):
    """Staff ask the customer for something we don't have; the SLA clock pauses until they reply."""

    by: SingleLine
    questions: NonEmptyText


class PriorityRaise(_Action):
    """A higher priority than the case has: its clocks take the shorter targets at once."""

    priority: Priority
    by: SingleLine
    reason: NonEmptyText

"""The state of one case: its stage, timeline and the records it produces.

`CaseState` is everything the workflow needs to resume after continue-as-new.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from complaints.actions import Feedback, Findings, InformationRequest, OfferResponse, PayoutResolution, Withdrawal
from complaints.case_file import CaseFile
from complaints.incident import IncidentLink
from complaints.intake import ComplaintInput, ContactChannel, Priority
from complaints.payout import PayoutReceipt
from complaints.regulatory import RegulatoryDeadline
from complaints.remedies import Proposal
from complaints.rules import CaseRules
from complaints.sla import ClockReport, SlaClock


class Stage(StrEnum):
    """In process order. The values are what `ComplaintStage` shows in the Web UI."""

    RECEIVED = "Received"
    INVESTIGATING = "Investigating"
    PROPOSING = "ProposingRemedy"
    AWAITING_APPROVAL = "AwaitingApproval"
    AWAITING_CUSTOMER = "AwaitingCustomer"
    FULFILLING = "Fulfilling"
    FOLLOWING_UP = "FollowingUp"
    AWAITING_FEEDBACK = "AwaitingFeedback"
    CLOSING = "Closing"
    CLOSED = "Closed"
    WITHDRAWN = "Withdrawn"

    @property
    def is_final(self) -> bool:
        return self in (Stage.CLOSED, Stage.WITHDRAWN)


class TimelineEvent(BaseModel):
    at: datetime
    kind: str
    detail: str
    actor: str = "system"


class Answer(BaseModel):
    """Who answered one of the case's questions, when, and what: the one answer it takes."""

    by: str
    at: datetime
    what: str


class AttentionProblem(BaseModel):
    """Something retrying cannot fix, held for a person: a data error in a stage, or a message
    that could not be sent. `holds` says whether the process waits until staff resume it."""

    number: int
    where: str
    reason: str
    since: datetime
    holds: bool


class CaseState(BaseModel):
    """Carried whole across continue-as-new; nothing here is derived from history.

    Deadlines are absolute instants and one-shot steps are remembered in `done`, so a
    stage re-entered after continue-as-new neither restarts its clock nor repeats a message.
    """

    complaint: ComplaintInput
    rules: CaseRules
    stage: Stage = Stage.RECEIVED
    owner_id: str
    received_at: datetime
    timeline: list[TimelineEvent] = Field(default_factory=list)
    answers: dict[str, Answer] = Field(default_factory=dict)  # by question (complaints.questions)
    done: list[str] = Field(default_factory=list)
    message_seq: int = 0
    last_customer_update_at: datetime
    # investigation (a review after a rejection, decline or reopen is a new round)
    investigation_round: int = 1
    investigation_due: datetime | None = None
    investigation_escalated: bool = False
    review_reason: str | None = None
    findings: Findings | None = None
    findings_by_round: dict[int, Findings] = Field(default_factory=dict)  # every round's, for the case file
    # earlier cases with the same root cause for the same product within the rules' window (None: not read)
    same_cause_earlier: int | None = None
    # remedy and approval
    proposal: Proposal | None = None
    proposal_versions: int = 0
    proposals: list[Proposal] = Field(default_factory=list)  # every version, for the case file
    approval_level: str | None = None
    approval_due: datetime | None = None
    approval_outcome: Literal["approved", "rejected"] | None = None
    approved_by: str | None = None
    # offer
    offer_due: datetime | None = None
    offer_response: OfferResponse | None = None
    offer_standing: bool = False
    # fulfilment and after
    payouts: list[PayoutReceipt] = Field(default_factory=list)
    payout_attempt: int = 1
    payout_refusal: str | None = None
    payout_resolution: PayoutResolution | None = None
    resolved_at: datetime | None = None
    reopen_until: datetime | None = None
    reopened: bool = False
    survey_started_at: datetime | None = None
    feedback: Feedback | None = None
    withdrawal: Withdrawal | None = None
    closed_at: datetime | None = None
    continued_as_new: int = 0
    # reaching the customer: a corrected address or another channel, set by staff
    contact_problem: str | None = None
    contact_email: str | None = None
    contact_channel: ContactChannel | None = None
    # what the customer sent us, and what we asked them for
    information_request: InformationRequest | None = None
    inbound_message_ids: list[str] = Field(default_factory=list)
    # SLA clocks and regulatory deadlines (cases from before them have sla_enabled False)
    sla_enabled: bool = False
    priority: Priority | None = None  # raised since intake; None: the intake priority
    clocks: list[SlaClock] = Field(default_factory=list)
    regulatory_deadlines: list[RegulatoryDeadline] = Field(default_factory=list)
    sla_breached: bool = False
    # a problem a person must look at (None: nothing); `attention_count` numbers them
    attention: AttentionProblem | None = None
    attention_count: int = 0
    # a proactive case: its incident, the incident's findings and the scheme's offer (None: a complaint)
    incident: IncidentLink | None = None

    @property
    def current_priority(self) -> Priority:
        return self.priority or self.complaint.priority or Priority.NORMAL

    @property
    def paid_total(self) -> Decimal:
        return sum((payout.amount for payout in self.payouts), Decimal("0"))


class ComplaintWorkflowInput(BaseModel):
    """The workflow's single input: a new complaint, or a case carried over."""

    complaint: ComplaintInput
    carried: CaseState | None = None
    incident: IncidentLink | None = None  # set by an incident's fan-out: a proactive case
    # The rules, pinned by whoever started the case and had them loaded already (an incident's
    # fan-out): the case then skips loading them itself, one activity fewer per case.
    rules: CaseRules | None = None


class CaseStatus(BaseModel):
    """The `status` query: what the admin script's `show` prints."""

    complaint_id: str
    stage: Stage
    customer_name: str
    customer_email: str
    category: str
    priority: str
    owner_id: str
    owner_name: str
    waiting_for: str
    due: datetime | None
    findings: Findings | None
    proposal: Proposal | None
    approved_by: str | None
    offer_response: OfferResponse | None
    offer_standing: bool
    payouts: list[PayoutReceipt]
    feedback: Feedback | None
    received_at: datetime
    closed_at: datetime | None
    continued_as_new: int
    clocks: list[ClockReport] = []
    regulatory_deadlines: list[RegulatoryDeadline] = []
    sla_breached: bool = False
    next_deadline: datetime | None = None
    attention: AttentionProblem | None = None


class CaseOutcome(BaseModel):
    """The record written at closure, for reports and learning."""

    complaint_id: str
    workflow_id: str
    customer_id: str
    category: str
    priority: str
    outcome: str  # resolved | offer_lapsed | withdrawn
    root_cause: str | None
    recurring: bool | None
    severity: int | None
    remedy_total: Decimal
    currency: str
    paid: bool
    csat: int | None
    received_at: datetime
    closed_at: datetime
    reopened: bool
    investigation_escalated: bool


class ClosingRecord(CaseOutcome):
    """What `record_outcome` writes: the outcome, and the case file (None from workers before it)."""

    case_file: CaseFile | None = None

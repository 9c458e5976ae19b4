"""The contract between the workflow and the mail activity.

The workflow decides *what* to say and to whom; the activity renders the template of
that kind and delivers it, deduplicated by the idempotency key.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, EmailStr

from complaints.regulatory import RegulatoryDeadline
from complaints.remedies import Proposal


class MessageKind(StrEnum):
    # to the customer
    ACKNOWLEDGEMENT = "acknowledgement"
    PROGRESS_UPDATE = "progress_update"
    DELAY_NOTICE = "delay_notice"
    OFFER = "offer"
    OFFER_REMINDER = "offer_reminder"
    RESOLUTION = "resolution"
    OFFER_STANDING = "offer_standing"
    FOLLOW_UP = "follow_up"
    SURVEY_INVITATION = "survey_invitation"
    SURVEY_REMINDER = "survey_reminder"
    THANK_YOU = "thank_you"
    WITHDRAWAL_CONFIRMATION = "withdrawal_confirmation"
    INFORMATION_REQUEST = "information_request"
    HOLDING_RESPONSE = "holding_response"
    INCIDENT_OFFER = "incident_offer"  # a proactive case's first letter: what happened, and our offer
    # to staff
    INVESTIGATION_REQUEST = "investigation_request"
    INVESTIGATION_REMINDER = "investigation_reminder"
    INVESTIGATION_ESCALATION = "investigation_escalation"
    APPROVAL_REQUEST = "approval_request"
    APPROVAL_REMINDER = "approval_reminder"
    APPROVAL_ESCALATION = "approval_escalation"
    REVIEW_REQUEST = "review_request"
    REASSIGNMENT_BRIEF = "reassignment_brief"
    PAYOUT_REFUSED = "payout_refused"
    CUSTOMER_REPLY = "customer_reply"
    CONTACT_FAILED = "contact_failed"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    NEEDS_ATTENTION = "needs_attention"
    INCIDENT_NOTICE = "incident_notice"  # about an incident: approval wanted, budget short, reminders

    @property
    def summary(self) -> str:
        """Shown on the activity in the Web UI."""
        return "send " + self.value.replace("_", " ")


class Recipient(BaseModel):
    name: str
    email: EmailStr


class CaseBrief(BaseModel):
    """Everything a template may need to speak about the case personally."""

    reference: str
    customer_id: str = ""
    customer_name: str
    customer_email: str
    category: str
    priority: str
    description: str
    desired_outcome: str | None
    received_at: datetime
    owner_name: str
    owner_email: str
    owner_phone: str
    department: str
    stage: str
    customer_timezone: str = "UTC"  # IANA name; customer messages show times in it
    customer_language: str = "en"  # BCP 47 tag; customer messages use templates/<primary subtag>/ when present


class MessageRequest(BaseModel):
    idempotency_key: str
    kind: MessageKind
    to: Recipient
    case: CaseBrief
    next_step: str = ""
    due: datetime | None = None
    note: str = ""
    proposal: Proposal | None = None
    history: list[str] = []
    # Set when the customer is not to be e-mailed (their channel is post or phone, or their
    # address was refused): the message goes to this member of staff to deliver by `channel`.
    relay_to: Recipient | None = None
    channel: str = "email"
    # The regulator's deadline the acknowledgement states (None: no regulatory profile applies).
    regulatory: RegulatoryDeadline | None = None


class MessageReceipt(BaseModel):
    message_id: str
    already_sent: bool


class SurveyQuery(BaseModel):
    """Was this customer invited to a survey since `since`, by another case?"""

    customer_id: str
    since: datetime
    exclude_workflow_id: str


class SurveyHistory(BaseModel):
    last_invited_at: datetime | None

"""An incident: one thing that went wrong for many customers, declared by operations.

The declaration says what happened (in words a customer reads in their offer letter), when,
what it hit and whose fault it was, and carries the compensation scheme. Each eligible
customer gets one proactive case, named by `case_id_for(incident, customer)`, so however
often the fan-out is retried a customer is contacted once.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from complaints.actions import Fault, Findings
from complaints.fields import FreeText, NonEmptyText, SingleLine, single_line
from complaints.intake import Category, IncidentId, ProductName, ReceivedAt
from complaints.remedies import Proposal
from complaints.rules import ROOT_CAUSE_CODE
from complaints.scheme import IncidentFacts, Scheme

INCIDENT_WORKFLOW_PREFIX = "incident-"
_READABLE_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(single_line)
]


class IncidentDeclaration(BaseModel):
    """`complaints incident declare FILE` and `POST /incidents` take this, validated whole."""

    model_config = ConfigDict(extra="forbid")

    id: IncidentId
    title: Title
    description: NonEmptyText = Field(description="What happened, in plain words: the customer's letter says it.")
    started_at: ReceivedAt
    ended_at: AwareDatetime | None = Field(default=None, description="None: still ongoing.")
    products: tuple[ProductName, ...] = ()
    categories: tuple[Category, ...] = Field(min_length=1)
    fault: Fault
    severity: int = Field(default=3, ge=1, le=5)
    root_cause_code: str | None = Field(
        default=None,
        pattern=ROOT_CAUSE_CODE.pattern,
        description="From the rules' root-cause vocabulary (e.g. service.outage): its cases are reported under it.",
    )
    declared_by: SingleLine
    scheme: Scheme

    @model_validator(mode="after")
    def _end_after_start(self) -> IncidentDeclaration:
        if self.ended_at is not None and self.ended_at <= self.started_at:
            raise ValueError("ended_at: must be after started_at")
        return self

    @property
    def workflow_id(self) -> str:
        return incident_workflow_id(self.id)

    @property
    def facts(self) -> IncidentFacts:
        return IncidentFacts(
            title=self.title, started_at=self.started_at, ended_at=self.ended_at, products=self.products
        )

    def findings(self, proven_loss: Decimal | None = None) -> Findings:
        """The incident's findings, shared by every proactive case: there is no investigation round."""
        return Findings(
            submitted_by=self.declared_by,
            summary=self.title,
            root_cause=self.description,
            root_cause_code=self.root_cause_code,
            severity=self.severity,
            financial_loss=proven_loss or Decimal("0"),
            fault=self.fault,
        )


def incident_workflow_id(incident_id: str) -> str:
    prefix = INCIDENT_WORKFLOW_PREFIX
    return incident_id if incident_id.startswith(prefix) else f"{prefix}{incident_id}"


def case_id_for(incident_id: str, customer_id: str) -> str:
    """The one complaint id for this customer and incident: readable where the customer id
    allows, else a digest of it. The same pair always gives the same case."""
    readable = f"{incident_id}.{customer_id}"
    if _READABLE_CASE_ID.fullmatch(readable):
        return readable
    digest = hashlib.sha256(customer_id.encode("utf-8")).hexdigest()[:16]
    return f"{incident_id}.{digest}"


class Origin(StrEnum):
    CUSTOMER = "customer"  # the customer complained
    PROACTIVE = "proactive"  # we contacted them first, after an incident


class IncidentLink(BaseModel):
    """What a proactive case carries from its incident: the findings, the offer and who approved it."""

    incident_id: str
    title: str
    what_happened: str
    origin: Origin = Origin.PROACTIVE
    findings: Findings
    offer: Proposal
    band: str
    scheme_version: int
    approved_by: str
    customer_note: FreeText = ""  # the customer's own words, when they complained before we wrote


class IncidentStage(StrEnum):
    ASSESSING = "Assessing"
    AWAITING_APPROVAL = "AwaitingApproval"
    OFFERING = "Offering"
    AWAITING_BUDGET = "AwaitingBudget"
    OFFERED = "Offered"  # every eligible customer so far has an offer; more may be added
    CLOSING = "Closing"
    CLOSED = "Closed"


class IncidentSummary(BaseModel):
    """The `summary` query: the workflow's side of `complaints incident show`."""

    incident_id: str
    title: str
    stage: IncidentStage
    declared_by: str
    declared_at: datetime
    scheme_version: int
    currency: str
    budget: Decimal
    estimated_total: Decimal
    eligible: int
    affected: int
    approved_by: str | None
    approved_total: Decimal
    paused: bool
    offered: int
    waiting_for: str
    to_assess: bool = False  # customers were listed or the scheme amended since the last assessment
    closed_at: datetime | None = None

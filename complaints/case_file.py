"""The case file: everything a closed case leaves behind, kept after Temporal has deleted its history.

Built from the case's state by `case_file_of` (pure, so the workflow can call it) and written by
the `record_outcome` activity into the archive tables (activities/archive.py), which adds the
messages the case sent from the outbox. `complaints case-file ID` reads it back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from complaints.remedies import RemedyItem


class FileEvent(BaseModel):
    at: datetime
    kind: str
    detail: str
    actor: str


class FileMessage(BaseModel):
    idempotency_key: str
    kind: str
    recipient: str
    subject: str
    message_id: str
    status: str  # sent | pending | failed
    created_at: datetime
    sent_at: datetime | None = None
    text_body: str | None = None  # None: sent before bodies were kept in the outbox
    html_body: str | None = None


class FileFindings(BaseModel):
    round: int
    submitted_by: str
    summary: str
    root_cause_code: str | None
    root_cause: str
    severity: int
    upheld: bool
    fault: str
    financial_loss: Decimal
    inconvenience: str
    harm: bool
    recurring_marked: bool
    recurring_reason: str | None = None


class FileProposal(BaseModel):
    version: int
    total: Decimal
    currency: str
    policy_version: str
    approval_level: str | None
    note: str
    items: list[RemedyItem]


class FileDecision(BaseModel):
    """A person's (or the policy's) decision on the case: who, when, what, under which limit."""

    at: datetime
    decided_by: str
    decision: str
    role: str | None = None
    approval_limit: Decimal | None = None
    detail: str


class FilePayout(BaseModel):
    idempotency_key: str
    amount: Decimal
    currency: str
    paid_at: datetime
    reference: str | None = None


class FileRedress(BaseModel):
    """One item of what was paid, by remedy kind (reports sum these against the budgets)."""

    kind: str
    amount: Decimal
    currency: str
    category: str
    paid_at: datetime


class FileClock(BaseModel):
    """An SLA clock (`resolution`) or a regulatory deadline (`regulatory:final_response`)."""

    name: str
    kind: str  # sla | regulatory
    target: str
    due_at: datetime | None
    finished_at: datetime | None
    met: bool | None  # None: it never finished (e.g. the complaint was withdrawn)
    late_seconds: int = 0
    source: str | None = None


class CaseFile(BaseModel):
    workflow_id: str
    complaint_id: str
    customer_id: str
    customer_name: str
    customer_email: str
    language: str
    category: str
    product: str | None
    priority: str
    channel: str
    origin: str  # customer | proactive
    incident_id: str | None
    rules_version: str
    regulatory_profile: str | None
    owner_id: str
    team: str
    outcome: str  # resolved | offer_lapsed | withdrawn
    upheld: bool | None
    fault: str | None
    root_cause_code: str | None
    root_cause: str | None
    recurring: bool
    recurring_reason: str | None
    severity: int | None
    received_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime
    reopened: bool
    escalations: int
    survey_sent: bool
    csat: int | None
    csat_comment: str | None
    redress_paid: Decimal
    currency: str
    complaint: dict[str, Any]
    retain_until: datetime
    events: list[FileEvent] = []
    messages: list[FileMessage] = []
    findings: list[FileFindings] = []
    proposals: list[FileProposal] = []
    decisions: list[FileDecision] = []
    payouts: list[FilePayout] = []
    redress: list[FileRedress] = []
    clocks: list[FileClock] = []
    archived_at: datetime | None = None  # set by the archive when it reads the file back

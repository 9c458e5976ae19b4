"""The case file archive: what a closed case leaves behind, kept for years after Temporal's
retention has deleted its history, in relational tables that reports query.

One `case_files` row per case (keyed by its workflow id) with the figures reports group and
filter by, and child rows for its timeline, messages, findings, proposals, decisions,
payouts, redress items and clocks. Written once, in one transaction, when the case closes
(activities/archive.py); removed only by the purge, once `retain_until` has passed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from activities.db import Base, Money, utcnow


class CaseFileRow(Base):
    __tablename__ = "case_files"

    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(100), index=True)
    customer_id: Mapped[str] = mapped_column(Text, index=True)
    customer_name: Mapped[str] = mapped_column(Text)
    customer_email: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text, index=True)
    product: Mapped[str | None] = mapped_column(Text, nullable=True, index=True)
    priority: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(Text)  # customer | proactive
    incident_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    rules_version: Mapped[str] = mapped_column(Text)
    regulatory_profile: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[str] = mapped_column(Text, index=True)
    team: Mapped[str] = mapped_column(Text, index=True)  # the investigating department
    outcome: Mapped[str] = mapped_column(Text)  # resolved | offer_lapsed | withdrawn
    upheld: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    fault: Mapped[str | None] = mapped_column(Text, nullable=True)
    root_cause_code: Mapped[str | None] = mapped_column(Text, nullable=True, index=True)
    root_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    recurring: Mapped[bool] = mapped_column(Boolean)
    recurring_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    severity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    reopened: Mapped[bool] = mapped_column(Boolean)
    escalations: Mapped[int] = mapped_column(Integer)
    survey_sent: Mapped[bool] = mapped_column(Boolean)
    csat: Mapped[int | None] = mapped_column(Integer, nullable=True)
    csat_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    redress_paid: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    complaint: Mapped[dict[str, Any]] = mapped_column(JSON)  # the input, as received
    retain_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    archived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseEventRow(Base):
    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("workflow_id", "seq", name="uq_case_events"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)


class CaseMessageRow(Base):
    __tablename__ = "case_messages"
    __table_args__ = (UniqueConstraint("workflow_id", "seq", name="uq_case_messages"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    text_body: Mapped[str | None] = mapped_column(Text, nullable=True)  # None: sent before bodies were kept
    html_body: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseFindingsRow(Base):
    __tablename__ = "case_findings"
    __table_args__ = (UniqueConstraint("workflow_id", "round", name="uq_case_findings"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    round: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    root_cause_code: Mapped[str | None] = mapped_column(Text, nullable=True)
    root_cause: Mapped[str] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(Integer)
    upheld: Mapped[bool] = mapped_column(Boolean)
    fault: Mapped[str] = mapped_column(Text)
    financial_loss: Mapped[Decimal] = mapped_column(Money())
    inconvenience: Mapped[str] = mapped_column(Text)
    harm: Mapped[bool] = mapped_column(Boolean)
    recurring_marked: Mapped[bool] = mapped_column(Boolean)
    recurring_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseProposalRow(Base):
    __tablename__ = "case_proposals"
    __table_args__ = (UniqueConstraint("workflow_id", "version", name="uq_case_proposals"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    policy_version: Mapped[str] = mapped_column(Text)
    approval_level: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # kind, amount, reason, cost


class CaseDecisionRow(Base):
    __tablename__ = "case_decisions"
    __table_args__ = (UniqueConstraint("workflow_id", "seq", name="uq_case_decisions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text, nullable=True)
    approval_limit: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    detail: Mapped[str] = mapped_column(Text)


class CasePayoutRow(Base):
    __tablename__ = "case_payouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseRedressRow(Base):
    """One remedy item of what the case paid: reports sum redress by kind from these."""

    __tablename__ = "case_redress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(Text, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str] = mapped_column(Text)
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CaseClockRow(Base):
    """One SLA clock or regulatory deadline: its target, when it was finished, met or breached, how late.

    A clock a case runs again (each investigation round, each approval) is a row of its own."""

    __tablename__ = "case_clocks"
    __table_args__ = (UniqueConstraint("workflow_id", "seq", name="uq_case_clocks"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str] = mapped_column(String(200), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text, index=True)  # e.g. `resolution`, `regulatory:final_response`
    kind: Mapped[str] = mapped_column(Text)  # sla | regulatory
    target: Mapped[str] = mapped_column(Text)  # in words: "8 business hours", "56 days"
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None: never finished (withdrawn)
    late_seconds: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)  # the regulator's paragraph


class EmergingAlertRow(Base):
    """One emerging-issue alert, by root cause and window: the unique key makes it mailed once."""

    __tablename__ = "emerging_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_key: Mapped[str] = mapped_column(String(250), unique=True)
    root_cause_code: Mapped[str] = mapped_column(Text)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[str] = mapped_column(Text)  # the mean per window, as a decimal string
    cases: Mapped[list[str]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


ARCHIVE_TABLES = (
    CaseFileRow.__tablename__,
    CaseEventRow.__tablename__,
    CaseMessageRow.__tablename__,
    CaseFindingsRow.__tablename__,
    CaseProposalRow.__tablename__,
    CaseDecisionRow.__tablename__,
    CasePayoutRow.__tablename__,
    CaseRedressRow.__tablename__,
    CaseClockRow.__tablename__,
)
"""The tables one case's file spans (emerging alerts are the review's, not a case's)."""

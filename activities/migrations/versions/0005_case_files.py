"""The case file archive (a closed case's whole file, kept for years), emerging-issue alerts,
and the bodies of outgoing messages in the outbox (so the case file can keep them). New
tables and two nullable columns: every existing row stays as it was, on either backend.

Revision ID: 0005_case_files
Revises: 0004_incidents
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from activities.migrate import app_schema

revision = "0005_case_files"
down_revision = "0004_incidents"
branch_labels = None
depends_on = None

ARCHIVE_TABLES = (
    "case_files",
    "case_events",
    "case_messages",
    "case_findings",
    "case_proposals",
    "case_decisions",
    "case_payouts",
    "case_redress",
    "case_clocks",
    "emerging_alerts",
)


def upgrade() -> None:
    schema = app_schema(op.get_bind())
    with op.batch_alter_table("outbox", schema=schema) as outbox:
        outbox.add_column(sa.Column("text_body", sa.Text(), nullable=True))
        outbox.add_column(sa.Column("html_body", sa.Text(), nullable=True))
    op.create_table(
        "case_files",
        sa.Column("workflow_id", sa.String(200), primary_key=True),
        sa.Column("complaint_id", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("customer_name", sa.Text(), nullable=False),
        sa.Column("customer_email", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=True),
        sa.Column("rules_version", sa.Text(), nullable=False),
        sa.Column("regulatory_profile", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("fault", sa.Text(), nullable=True),
        sa.Column("root_cause_code", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("recurring_reason", sa.Text(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("survey_sent", sa.Boolean(), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("csat_comment", sa.Text(), nullable=True),
        sa.Column("redress_paid", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("complaint", sa.JSON(), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_case_files_category", "category"),
        sa.Index("ix_case_files_closed_at", "closed_at"),
        sa.Index("ix_case_files_complaint_id", "complaint_id"),
        sa.Index("ix_case_files_customer_id", "customer_id"),
        sa.Index("ix_case_files_incident_id", "incident_id"),
        sa.Index("ix_case_files_owner_id", "owner_id"),
        sa.Index("ix_case_files_product", "product"),
        sa.Index("ix_case_files_received_at", "received_at"),
        sa.Index("ix_case_files_retain_until", "retain_until"),
        sa.Index("ix_case_files_root_cause_code", "root_cause_code"),
        sa.Index("ix_case_files_team", "team"),
        schema=schema,
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.UniqueConstraint("workflow_id", "seq", name="uq_case_events"),
        sa.Index("ix_case_events_workflow_id", "workflow_id"),
        schema=schema,
    )
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("text_body", sa.Text(), nullable=True),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.UniqueConstraint("workflow_id", "seq", name="uq_case_messages"),
        sa.Index("ix_case_messages_workflow_id", "workflow_id"),
        schema=schema,
    )
    op.create_table(
        "case_findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("root_cause_code", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("upheld", sa.Boolean(), nullable=False),
        sa.Column("fault", sa.Text(), nullable=False),
        sa.Column("financial_loss", sa.BigInteger(), nullable=False),
        sa.Column("inconvenience", sa.Text(), nullable=False),
        sa.Column("harm", sa.Boolean(), nullable=False),
        sa.Column("recurring_marked", sa.Boolean(), nullable=False),
        sa.Column("recurring_reason", sa.Text(), nullable=True),
        sa.UniqueConstraint("workflow_id", "round", name="uq_case_findings"),
        sa.Index("ix_case_findings_workflow_id", "workflow_id"),
        schema=schema,
    )
    op.create_table(
        "case_proposals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("policy_version", sa.Text(), nullable=False),
        sa.Column("approval_level", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.UniqueConstraint("workflow_id", "version", name="uq_case_proposals"),
        sa.Index("ix_case_proposals_workflow_id", "workflow_id"),
        schema=schema,
    )
    op.create_table(
        "case_decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("approval_limit", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.UniqueConstraint("workflow_id", "seq", name="uq_case_decisions"),
        sa.Index("ix_case_decisions_workflow_id", "workflow_id"),
        schema=schema,
    )
    op.create_table(
        "case_payouts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Index("ix_case_payouts_workflow_id", "workflow_id"),
        schema=schema,
    )
    op.create_table(
        "case_redress",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_case_redress_kind", "kind"),
        sa.Index("ix_case_redress_paid_at", "paid_at"),
        sa.Index("ix_case_redress_workflow_id", "workflow_id"),
        schema=schema,
    )
    op.create_table(
        "case_clocks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met", sa.Boolean(), nullable=True),
        sa.Column("late_seconds", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.UniqueConstraint("workflow_id", "seq", name="uq_case_clocks"),
        sa.Index("ix_case_clocks_name", "name"),
        sa.Index("ix_case_clocks_workflow_id", "workflow_id"),
        schema=schema,
    )
    op.create_table(
        "emerging_alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_key", sa.String(250), nullable=False, unique=True),
        sa.Column("root_cause_code", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Text(), nullable=False),
        sa.Column("cases", sa.JSON(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )


def downgrade() -> None:
    schema = app_schema(op.get_bind())
    for table in reversed(ARCHIVE_TABLES):
        op.drop_table(table, schema=schema)
    with op.batch_alter_table("outbox", schema=schema) as outbox:
        outbox.drop_column("html_body")
        outbox.drop_column("text_body")

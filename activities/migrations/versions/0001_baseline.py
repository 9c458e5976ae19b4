"""Baseline: payouts, outbox and outcomes as they were before the migrations (money as NUMERIC(12, 2)).

Also adopts a database that the code made before Alembic (`create_all`, then nullable columns
added in place): it creates only what is missing, so every database leaves this revision with
the same schema: the later columns `payouts.category` and `outbox.customer_id` are added if
absent, and the index on `outbox.customer_id` that the in-place column never got.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.sql.schema import SchemaItem

from activities.migrate import app_schema

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


# Indexes by name: `index=True` would put a test's schema into the generated names.


def _payouts() -> list[SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("complaint_id", sa.String(100), nullable=False),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(100), nullable=False),
        sa.Column("category", sa.String(50), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.String(100), nullable=False),
        sa.Column("policy_version", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_payouts_complaint_id", "complaint_id"),
        sa.Index("ix_payouts_customer_id", "customer_id"),
    ]


def _outbox() -> list[SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("customer_id", sa.String(100), nullable=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index("ix_outbox_customer_id", "customer_id"),
    ]


def _outcomes() -> list[SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(200), nullable=False, unique=True),
        sa.Column("complaint_id", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.String(100), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("recurring", sa.Boolean(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.Column("remedy_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("investigation_escalated", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_outcomes_category", "category"),
        sa.Index("ix_outcomes_complaint_id", "complaint_id"),
    ]


TABLES = {"payouts": _payouts, "outbox": _outbox, "outcomes": _outcomes}
LATER_COLUMNS = {  # nullable columns the code once added in place to tables that lacked them
    "payouts": [sa.Column("category", sa.String(50), nullable=True)],
    "outbox": [sa.Column("customer_id", sa.String(100), nullable=True)],
}
LATER_INDEXES = {"outbox": [("ix_outbox_customer_id", ["customer_id"])]}


def upgrade() -> None:
    schema = app_schema(op.get_bind())
    inspector = sa.inspect(op.get_bind())
    present = set(inspector.get_table_names(schema=schema))
    for name, columns in TABLES.items():
        if name not in present:
            op.create_table(name, *columns(), schema=schema)
            continue
        have = {column["name"] for column in inspector.get_columns(name, schema=schema)}
        for column in LATER_COLUMNS.get(name, []):
            if column.name not in have:
                op.add_column(name, column, schema=schema)
        indexes = {index["name"] for index in inspector.get_indexes(name, schema=schema)}
        for index, on in LATER_INDEXES.get(name, []):
            if index not in indexes:
                op.create_index(index, name, on, schema=schema)


def downgrade() -> None:
    schema = app_schema(op.get_bind())
    for name in reversed(TABLES):
        op.drop_table(name, schema=schema)

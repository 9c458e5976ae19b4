"""Incidents: one row per incident (its budget and what is committed against it), one row per
affected customer (listed, assessed, offered, answered, paid), and every budget move by its
key. New tables: nothing to convert, on either backend.

Revision ID: 0004_incidents
Revises: 0003_request_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from activities.migrate import app_schema

revision = "0004_incidents"
down_revision = "0003_request_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = app_schema(op.get_bind())
    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.String(40), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("declared_by", sa.String(100), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declaration", sa.JSON(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("committed", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        schema=schema,
    )
    op.create_table(
        "incident_customers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("listing_key", sa.String(200), nullable=False, unique=True),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(100), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("customer", sa.JSON(), nullable=False),
        sa.Column("scheme_version", sa.Integer(), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("band", sa.String(100), nullable=True),
        sa.Column("refusal", sa.Text(), nullable=True),
        sa.Column("offer", sa.JSON(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_incident_customers_incident_id", "incident_id"),  # by name: index=True would name the schema
        schema=schema,
    )
    op.create_table(
        "incident_budget_moves",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(250), nullable=False, unique=True),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fits", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_incident_budget_moves_incident_id", "incident_id"),
        schema=schema,
    )


def downgrade() -> None:
    schema = app_schema(op.get_bind())
    op.drop_table("incident_budget_moves", schema=schema)
    op.drop_table("incident_customers", schema=schema)
    op.drop_table("incidents", schema=schema)

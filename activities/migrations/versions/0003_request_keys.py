"""Request keys: the HTTP API's `Idempotency-Key`s and the answers given to them.

One row per key, scoped by endpoint, calling system and complaint (unique together): the
sha256 of the request it first came with and, once final, the status and JSON answered, so a
repeat gets the same answer and another body with the key gets 409. A new table: nothing to
convert, on either backend.

Revision ID: 0003_request_keys
Revises: 0002_exact_money
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from activities.migrate import app_schema

revision = "0003_request_keys"
down_revision = "0002_exact_money"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("caller", sa.String(100), nullable=False),
        sa.Column("complaint_id", sa.String(100), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "caller", "complaint_id", "idempotency_key", name="uq_request_keys"),
        schema=app_schema(op.get_bind()),
    )


def downgrade() -> None:
    op.drop_table("request_keys", schema=app_schema(op.get_bind()))

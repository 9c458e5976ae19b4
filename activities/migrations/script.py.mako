"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Pass `schema=app_schema(op.get_bind())` to every operation (tests put the tables in a
PostgreSQL schema of their own), and keep the chain linear.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from activities.migrate import app_schema
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}

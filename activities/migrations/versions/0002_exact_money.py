"""Exact money: `payouts.amount` and `outcomes.remedy_total` become BIGINT minor units (cents).

NUMERIC(12, 2) is a REAL on SQLite, where 19.99 is stored as 19.989999999999998 and sums
drift. Each amount is rounded to the nearest cent (never truncated) and stored as an integer:
on PostgreSQL by one ALTER COLUMN ... USING, on SQLite by an UPDATE in place and then a batch
rebuild of the table with the new column type.

Revision ID: 0002_exact_money
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from activities.migrate import app_schema

revision = "0002_exact_money"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

MONEY_COLUMNS = (("payouts", "amount"), ("outcomes", "remedy_total"))
DECIMAL = sa.Numeric(12, 2)


def upgrade() -> None:
    bind = op.get_bind()
    schema = app_schema(bind)
    for table, column in MONEY_COLUMNS:
        if bind.dialect.name == "postgresql":
            op.alter_column(
                table,
                column,
                type_=sa.BigInteger(),
                existing_type=DECIMAL,
                existing_nullable=False,
                postgresql_using=f"round({column} * 100)::bigint",  # half away from zero, exact on NUMERIC
                schema=schema,
            )
            continue
        # SQLite: round the REAL to whole cents first (the rebuild below copies with CAST, which truncates).
        rows = sa.table(table, sa.column(column), schema=schema)
        cents = sa.cast(sa.func.round(rows.c[column] * 100), sa.Integer)
        op.execute(sa.update(rows).values({column: cents}))
        with op.batch_alter_table(table, schema=schema, recreate="always") as batch:
            batch.alter_column(column, type_=sa.BigInteger(), existing_type=DECIMAL, existing_nullable=False)


def downgrade() -> None:
    bind = op.get_bind()
    schema = app_schema(bind)
    for table, column in MONEY_COLUMNS:
        if bind.dialect.name == "postgresql":
            op.alter_column(
                table,
                column,
                type_=DECIMAL,
                existing_type=sa.BigInteger(),
                existing_nullable=False,
                postgresql_using=f"{column}::numeric / 100",
                schema=schema,
            )
            continue
        with op.batch_alter_table(table, schema=schema, recreate="always") as batch:
            batch.alter_column(column, type_=DECIMAL, existing_type=sa.BigInteger(), existing_nullable=False)
        rows = sa.table(table, sa.column(column), schema=schema)
        op.execute(sa.update(rows).values({column: rows.c[column] / 100.0}))

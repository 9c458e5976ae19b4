"""An incident's one budget: every move applied once per key, never beyond the budget.

A reserve is a single conditional UPDATE on the incident's row (`committed + amount <= budget`),
so however many cases answer at once they cannot together exceed the budget, on SQLite and on
PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.schema import Table

from activities.db import AffectedRow, BudgetMoveRow, IncidentRow, insert_new, insert_or_ignore, utcnow, writing
from complaints.incident_records import BudgetMove, BudgetMoveKind, BudgetMoveResult

ZERO = Decimal("0")
_incidents = cast(Table, IncidentRow.__table__)
_affected = cast(Table, AffectedRow.__table__)
_moves = cast(Table, BudgetMoveRow.__table__)


def listing_key(incident_id: str, customer_id: str) -> str:
    return f"{incident_id}/{customer_id}"


def _move_row(move: BudgetMove, at: datetime) -> dict[str, Any]:
    """A move's row: its key taken means the move was applied (one that did not fit leaves none)."""
    return {
        "key": move.key,
        "incident_id": move.incident_id,
        "case_id": move.case_id,
        "kind": move.kind.value,
        "amount": move.amount,
        "fits": True,
        "at": at,
    }


def _budget_of(incident_id: str) -> Select[Any]:
    return select(_incidents.c.budget, _incidents.c.committed).where(_incidents.c.incident_id == incident_id)


class IncidentBudget:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def set_budget(self, incident_id: str, budget: Decimal) -> None:
        async with writing(self._engine) as conn:
            await conn.execute(update(_incidents).where(_incidents.c.incident_id == incident_id).values(budget=budget))

    async def move(self, move: BudgetMove) -> BudgetMoveResult:
        """Apply one move once. A reserve (or a payment beyond the hold) that does not fit changes nothing."""
        async with writing(self._engine, urgent=True) as conn:
            applied, fits = await self._apply(conn, move)
            row = await self._customer_row(conn, move)
            return await self._result(conn, move.incident_id, row, applied=applied, fits=fits)

    async def reserve_until_short(self, moves: list[BudgetMove]) -> int:
        """Apply first reserves in order, up to the first that does not fit: how many fit.

        The fan-out holds a batch of offers this way, in one transaction of a few statements
        (a statement per move made the fan-out wait on its worker's event loop for each). The
        result is the same as applying each with `move`: once per key, never beyond the budget.
        Locks are taken in `move`'s order (the keys, the customers, the incident's row), each
        kind sorted, so batches and single moves cannot deadlock on PostgreSQL.
        """
        assert all(move.kind is BudgetMoveKind.RESERVE for move in moves)
        if not moves:
            return 0
        incident_id, now = moves[0].incident_id, utcnow()
        async with writing(self._engine, urgent=True) as conn:
            keys = sorted((_move_row(move, now) for move in moves), key=lambda values: str(values["key"]))
            ours = await insert_new(conn, _moves, keys, key="key")  # the rest were applied before
            customers = {row.listing_key: row for row in await conn.execute(self._locked(conn, incident_id, moves))}
            budget, committed = (await conn.execute(self._incident(conn, incident_id))).one()
            fitting: list[tuple[BudgetMove, Any]] = []
            total, count = ZERO, 0
            for move in moves:
                if move.key in ours:
                    row = customers.get(listing_key(incident_id, move.customer_id))
                    if row is None:
                        raise LookupError(f"incident {incident_id}: customer {move.customer_id} is not listed")
                    delta = move.amount - row.reserved
                    if committed + total + delta > budget:
                        break
                    fitting.append((move, row))
                    total += delta
                count += 1
            unfit = [move.key for move in moves[count:] if move.key in ours]
            if unfit:  # no key left behind: they may be tried again once the budget is raised
                await conn.execute(delete(_moves).where(_moves.c.key.in_(unfit)))
            await self._hold(conn, incident_id, fitting, total, now)
            return count

    @staticmethod
    def _locked(conn: AsyncConnection, incident_id: str, moves: list[BudgetMove]) -> Any:
        keys = [listing_key(incident_id, move.customer_id) for move in moves]
        statement = select(_affected).where(_affected.c.listing_key.in_(keys)).order_by(_affected.c.listing_key)
        return statement.with_for_update() if conn.dialect.name == "postgresql" else statement

    @staticmethod
    def _incident(conn: AsyncConnection, incident_id: str) -> Any:
        statement = _budget_of(incident_id)
        return statement.with_for_update() if conn.dialect.name == "postgresql" else statement

    async def _hold(
        self,
        conn: AsyncConnection,
        incident_id: str,
        fitting: list[tuple[BudgetMove, Any]],
        total: Decimal,
        now: datetime,
    ) -> None:
        if not fitting:
            return
        if not await self._commit(conn, incident_id, total):  # the incident's row is ours until commit
            raise RuntimeError(f"incident {incident_id}: the budget changed under a batch of holds")
        customers = [
            {"b_id": row.id, "reserved": move.amount, "updated_at": now,
             "status": move.status.value if move.status is not None else row.status}
            for move, row in fitting
        ]  # fmt: skip
        await conn.execute(update(_affected).where(_affected.c.id == bindparam("b_id")), customers)

    async def _apply(self, conn: AsyncConnection, move: BudgetMove) -> tuple[bool, bool]:
        """One move in the caller's transaction: (applied by this call, fits)."""
        first = await insert_or_ignore(conn, _moves, _move_row(move, utcnow()), key="key")
        row = await self._customer_row(conn, move)
        if not first:
            fitted = (await conn.execute(select(_moves.c.fits).where(_moves.c.key == move.key))).scalar_one()
            return False, bool(fitted)
        reserved, paid = row.reserved, row.paid
        if move.kind is BudgetMoveKind.RESERVE:
            new_reserved, new_paid = move.amount, paid
        elif move.kind is BudgetMoveKind.PAY:
            new_reserved, new_paid = max(reserved - move.amount, ZERO), paid + move.amount
        else:
            new_reserved, new_paid = ZERO, paid
        delta = (new_reserved + new_paid) - (reserved + paid)
        if not await self._commit(conn, move.incident_id, delta):
            # no key left behind: the same move may be tried again once the budget is raised
            await conn.execute(delete(_moves).where(_moves.c.key == move.key))
            return False, False
        values: dict[str, Any] = {"reserved": new_reserved, "paid": new_paid, "updated_at": utcnow()}
        if move.status is not None:
            values["status"] = move.status.value
        if move.kind is BudgetMoveKind.PAY:
            values["paid_at"] = utcnow()
        await conn.execute(update(_affected).where(_affected.c.id == row.id).values(values))
        return True, True

    async def _commit(self, conn: AsyncConnection, incident_id: str, delta: Decimal) -> bool:
        """Add `delta` to what is committed; an increase only if it stays within the budget."""
        where = [_incidents.c.incident_id == incident_id]
        if delta > 0:
            where.append(_incidents.c.committed + delta <= _incidents.c.budget)
        result = await conn.execute(
            update(_incidents)
            .where(*where)
            .values(committed=_incidents.c.committed + delta)
            .returning(_incidents.c.committed)
        )
        return result.first() is not None

    async def _customer_row(self, conn: AsyncConnection, move: BudgetMove) -> Any:
        statement = select(_affected).where(_affected.c.listing_key == listing_key(move.incident_id, move.customer_id))
        if conn.dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await conn.execute(statement)).one_or_none()
        if row is None:
            raise LookupError(f"incident {move.incident_id}: customer {move.customer_id} is not listed")
        return row

    async def _result(
        self, conn: AsyncConnection, incident_id: str, row: Any, *, applied: bool, fits: bool
    ) -> BudgetMoveResult:
        budget, committed = (await conn.execute(_budget_of(incident_id))).one()
        return BudgetMoveResult(
            applied=applied, fits=fits, reserved=row.reserved, paid=row.paid, remaining=budget - committed
        )

    async def remaining(self, incident_id: str) -> Decimal:
        async with self._engine.connect() as conn:
            budget, committed = (await conn.execute(_budget_of(incident_id))).one()
        return cast(Decimal, budget - committed)

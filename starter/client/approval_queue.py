"""The approval queue behind `complaints admin pending`: which complaints wait for a
decision, read from search attributes (one visibility query, no history scanning).

Part of the client library, so any other front end (a staff web page) can list the same queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecution

from complaints.case import Stage
from complaints.dates import as_utc, visibility_time
from complaints.rules import CaseRules
from starter.client.lookup import WORKFLOW_TYPE, complaint_id_of
from workflows.search_attributes import (
    ASSIGNED_TO,
    AWAITING_APPROVAL_LEVEL,
    COMPENSATION_AMOUNT,
    COMPLAINT_CATEGORY,
    COMPLAINT_PRIORITY,
    COMPLAINT_STAGE,
    NEXT_DEADLINE,
)


def quote(value: str) -> str:
    """A string literal for a visibility query."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class PendingApproval(BaseModel):
    """One row of `admin pending`, read from the execution's search attributes only."""

    complaint_id: str
    workflow_id: str
    amount: Decimal | None
    level: str
    owner: str
    priority: str
    category: str
    received_at: datetime | None
    age: str
    due: datetime | None
    overdue: bool


def pending_query(levels: Sequence[str] | None = None) -> str:
    """Visibility query for complaints waiting for a decision, optionally at these levels only."""
    clauses = [
        f"WorkflowType = {quote(WORKFLOW_TYPE)}",
        "ExecutionStatus = 'Running'",
        f"{COMPLAINT_STAGE.name} = {quote(Stage.AWAITING_APPROVAL.value)}",
    ]
    if levels is not None:
        if len(levels) == 1:
            clauses.append(f"{AWAITING_APPROVAL_LEVEL.name} = {quote(levels[0])}")
        else:
            clauses.append(f"{AWAITING_APPROVAL_LEVEL.name} IN ({', '.join(quote(level) for level in levels)})")
    return " AND ".join(clauses)


class UnknownOption(ValueError):
    """`--level` or `--mine` names a role or staff member the rules do not have; the message says which."""


def pending_levels(rules: CaseRules, *, mine: str | None, level: str | None) -> list[str] | None:
    """The approval levels to list (None: all); `UnknownOption` naming the option that is wrong."""
    role_names = [role.name for role in sorted(rules.roles, key=lambda r: r.approval_limit)]
    levels: list[str] | None = None
    if level is not None:
        if level not in role_names:
            raise UnknownOption(f"--level: unknown role {level!r}; the roles are: {', '.join(role_names)}")
        levels = [level]
    if mine is not None:
        member = rules.staff_member(mine)
        if member is None:
            known = ", ".join(m.id for m in rules.staff)
            raise UnknownOption(f"--mine: unknown staff id {mine!r}; the staff are: {known}")
        limit = rules.approval_limit(member.id)  # as the workflow checks it (CaseRules.approval_limit)
        allowed = [role.name for role in rules.roles if role.approval_limit <= limit]
        levels = [name for name in role_names if name in allowed and (levels is None or name in levels)]
    return levels


def humanise_age(age: timedelta) -> str:
    """`45m`, `2h 05m`, `3d 4h`."""
    minutes = max(int(age.total_seconds()), 0) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def pending_row(execution: WorkflowExecution, now: datetime) -> PendingApproval:
    attributes = execution.typed_search_attributes
    amount = attributes.get(COMPENSATION_AMOUNT)
    received = as_utc(execution.start_time) if execution.start_time else None
    deadline = attributes.get(NEXT_DEADLINE)
    due = as_utc(deadline) if deadline else None
    return PendingApproval(
        complaint_id=complaint_id_of(execution.id),
        workflow_id=execution.id,
        amount=None if amount is None else Decimal(str(amount)).quantize(Decimal("0.01"), ROUND_HALF_UP),
        level=attributes.get(AWAITING_APPROVAL_LEVEL) or "",
        owner=attributes.get(ASSIGNED_TO) or "",
        priority=attributes.get(COMPLAINT_PRIORITY) or "",
        category=attributes.get(COMPLAINT_CATEGORY) or "",
        received_at=received,
        age=humanise_age(now - received) if received else "",
        due=due,
        overdue=due is not None and due < now,
    )


def sort_by_due(rows: list[PendingApproval]) -> list[PendingApproval]:
    """Soonest due first; no due time last."""
    return sorted(rows, key=lambda r: (r.due is None, r.due or datetime.min.replace(tzinfo=UTC), r.complaint_id))


async def all_pending(client: Client, levels: Sequence[str] | None, now: datetime) -> list[PendingApproval]:
    """Every complaint waiting for a decision (at these levels), soonest due first: `admin pending --all`."""
    return sort_by_due([pending_row(e, now) async for e in client.list_workflows(pending_query(levels))])


# Where `soonest_due` looks, in order: overdue, then due within an hour, eight hours, a day, a week, two weeks, a
# month, a quarter, a year, later. Narrow windows near a queue's head mean few halvings to find it.
FIRST_WINDOWS = tuple(timedelta(hours=hours) for hours in (0, 1, 8, 24, 7 * 24, 14 * 24, 31 * 24, 92 * 24, 366 * 24))
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
FINEST = timedelta(seconds=1)  # a window this short is listed whole, however many fall in it
LIST_WHOLE = 100  # a window holding no more than this is listed whole: cheaper than counting its halves


class PendingPage(BaseModel):
    rows: list[PendingApproval]  # soonest due first
    total: int  # how many wait in all


async def soonest_due(client: Client, levels: Sequence[str] | None, now: datetime, limit: int) -> PendingPage:
    """The `limit` complaints due soonest, and how many wait in all, reading about `limit` rows.

    Visibility cannot sort by a custom attribute on every store (SQL stores cannot), so this
    counts by deadline windows (cheap: no rows travel), halves any window holding more than it
    still needs, and lists only the windows it keeps. Cases without a deadline come last."""
    base = pending_query(levels)
    total = (await client.count_workflows(base)).count
    rows: list[PendingApproval] = []
    bounds = [EARLIEST, *(now + window for window in FIRST_WINDOWS), LATEST]
    for low, high in pairwise(bounds):
        if len(rows) >= limit:
            break
        rows += await _window(client, base, low, high, now, limit - len(rows))
    if len(rows) < limit:
        query = f"{base} AND {NEXT_DEADLINE.name} IS NULL"
        async for execution in client.list_workflows(query, limit=limit - len(rows)):
            rows.append(pending_row(execution, now))
    return PendingPage(rows=rows[:limit], total=total)


async def _window(
    client: Client, base: str, low: datetime, high: datetime, now: datetime, need: int
) -> list[PendingApproval]:
    since, until = visibility_time(low), visibility_time(high)
    query = f"{base} AND {NEXT_DEADLINE.name} >= '{since}' AND {NEXT_DEADLINE.name} < '{until}'"
    found = (await client.count_workflows(query)).count
    if found == 0:
        return []
    if found <= max(need, LIST_WHOLE) or high - low <= FINEST:
        return sort_by_due([pending_row(execution, now) async for execution in client.list_workflows(query)])
    middle = low + (high - low) / 2
    earlier = await _window(client, base, low, middle, now, need)
    if len(earlier) >= need:
        return earlier
    return earlier + await _window(client, base, middle, high, now, need - len(earlier))

"""`complaints admin show/timeline/due/list/pending`: how staff see complaints, changing nothing.

`show` and `timeline` ask the workflow (queries); the lists read search attributes only
(one visibility query, no histories), so they stay fast with many complaints open.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from pydantic import TypeAdapter
from rich.table import Table
from rich.text import Text
from temporalio.client import Client

from complaints.case import CaseStatus, TimelineEvent
from complaints.rules import load_rules
from infra.settings import Settings
from starter.cli.admin_views import money, render_status, short, span
from starter.cli.common import AsJson, ComplaintRef, ExitCode, console, fail, run
from starter.client import WORKFLOW_TYPE, complaint_id_of, query_status, query_timeline
from starter.client.approval_queue import (
    PendingPage,
    UnknownOption,
    all_pending,
    pending_levels,
    quote,
    soonest_due,
)
from workflows.search_attributes import (
    ASSIGNED_TO,
    COMPLAINT_CATEGORY,
    COMPLAINT_PRIORITY,
    COMPLAINT_STAGE,
    NEXT_DEADLINE,
    SLA_BREACHED,
)

looking = typer.Typer()


@looking.command()
def show(reference: ComplaintRef, as_json: AsJson = False) -> None:
    """Where a complaint stands: stage, what it waits for and until when, remedy, payout."""

    async def work(client: Client) -> CaseStatus:
        return await query_status(client, reference)

    status = run(work)
    if as_json:
        print(status.model_dump_json(indent=2), flush=True)
        return
    console.print(render_status(status))


@looking.command()
def timeline(reference: ComplaintRef, as_json: AsJson = False) -> None:
    """The complaint's audit trail, oldest first."""

    async def work(client: Client) -> list[TimelineEvent]:
        return await query_timeline(client, reference)

    events = run(work)
    if as_json:
        print(TypeAdapter(list[TimelineEvent]).dump_json(events, indent=2).decode(), flush=True)
        return
    table = Table(title=f"Timeline of complaint {complaint_id_of(reference)}", title_justify="left")
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column("event", style="bold", no_wrap=True)
    table.add_column("by")
    table.add_column("detail")
    for event in events:
        table.add_row(short(event.at), event.kind, event.actor, event.detail)
    console.print(table)


@looking.command()
def due(
    within: Annotated[str, typer.Option(help="How far ahead: 30m, 24h, 3d.")] = "24h",
    as_json: AsJson = False,
) -> None:
    """Open complaints whose next deadline (SLA clock, regulator or stage) falls within the window,
    soonest first, overdue ones included. Reads the NextDeadline search attribute; no histories."""
    window = parse_window(within)
    horizon = datetime.now(UTC) + window
    query = (
        f"WorkflowType = '{WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' "
        f"AND {NEXT_DEADLINE.name} <= '{horizon.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    )

    async def work(client: Client) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        async for execution in client.list_workflows(query):
            attributes = execution.typed_search_attributes
            rows.append(
                {
                    "complaint_id": complaint_id_of(execution.id),
                    "next_deadline": attributes.get(NEXT_DEADLINE),
                    "stage": attributes.get(COMPLAINT_STAGE) or "",
                    "priority": attributes.get(COMPLAINT_PRIORITY) or "",
                    "assigned_to": attributes.get(ASSIGNED_TO) or "",
                    "sla_breached": bool(attributes.get(SLA_BREACHED)),
                }
            )
        return sorted(rows, key=lambda row: row["next_deadline"])  # type: ignore[arg-type,return-value]

    rows = run(work)
    now = datetime.now(UTC)
    if as_json:
        for row in rows:
            moment = row["next_deadline"]
            assert isinstance(moment, datetime)
            row["overdue"] = moment < now
            row["next_deadline"] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        print(json.dumps(rows), flush=True)
        return
    table = Table(title=f"{len(rows)} complaint(s) due within {within}", title_justify="left")
    for column in ("id", "next deadline (UTC)", "in", "stage", "priority", "assigned to", "breached"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        moment = row["next_deadline"]
        assert isinstance(moment, datetime)
        left = moment - now
        table.add_row(
            str(row["complaint_id"]),
            short(moment),
            Text("overdue", style="bold red") if left < timedelta(0) else span(left),
            str(row["stage"]),
            str(row["priority"]),
            str(row["assigned_to"]),
            "yes" if row["sla_breached"] else "",
        )
    console.print(table)


def parse_window(text: str) -> timedelta:
    """'30m', '24h', '3d' → a timedelta; exit 2 naming the option otherwise."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.isdigit() or int(number) == 0:
        fail(ExitCode.INVALID, f"invalid input: --within: expected a number and m, h or d (like 24h), got {text!r}")
    return timedelta(**{units[unit]: int(number)})


@looking.command("list")
def list_complaints(
    stage: Annotated[str | None, typer.Option(help="Only this stage, e.g. AwaitingApproval.")] = None,
    assigned_to: Annotated[str | None, typer.Option(help="Only complaints assigned to this staff id.")] = None,
    closed: Annotated[bool, typer.Option("--closed", help="Include closed complaints.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
) -> None:
    """Complaints and what they wait for (newest first), from the search attributes."""
    clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
    if not closed:
        clauses.append("ExecutionStatus = 'Running'")
    if stage:
        clauses.append(f"{COMPLAINT_STAGE.name} = {quote(stage)}")
    if assigned_to:
        clauses.append(f"{ASSIGNED_TO.name} = {quote(assigned_to)}")
    query = " AND ".join(clauses)

    async def work(client: Client) -> list[list[str]]:
        rows: list[list[str]] = []
        async for execution in client.list_workflows(query, limit=limit):
            attributes = execution.typed_search_attributes
            deadline = attributes.get(NEXT_DEADLINE)
            rows.append(
                [
                    complaint_id_of(execution.id),
                    attributes.get(COMPLAINT_STAGE) or "",
                    attributes.get(COMPLAINT_PRIORITY) or "",
                    attributes.get(COMPLAINT_CATEGORY) or "",
                    attributes.get(ASSIGNED_TO) or "",
                    short(deadline),
                    short(execution.start_time),
                ]
            )
        return rows

    rows = run(work)
    table = Table(title=f"{len(rows)} complaint(s)", title_justify="left")
    for column in ("id", "stage", "priority", "category", "assigned to", "next deadline (UTC)", "received (UTC)"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@looking.command()
def pending(
    mine: Annotated[
        str | None,
        typer.Option("--mine", metavar="STAFF", help="Only what this staff member may approve (their role's limit)."),
    ] = None,
    level: Annotated[
        str | None, typer.Option("--level", metavar="ROLE", help="Only complaints waiting at this approval level.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show the N due soonest (a long queue: only these are read).")] = 50,
    show_all: Annotated[bool, typer.Option("--all", help="Show every complaint waiting, however many.")] = False,
    as_json: AsJson = False,
) -> None:
    """Complaints waiting for an approval decision, soonest due first (from the search attributes)."""
    levels: list[str] | None = None
    if mine is not None or level is not None:
        settings = Settings()
        try:
            rules = load_rules(settings.rules_file)
        except (OSError, ValueError) as exc:
            fail(ExitCode.FAILED, f"cannot read the rules file {settings.rules_file}: {exc}")
        try:
            levels = pending_levels(rules, mine=mine, level=level)
        except UnknownOption as exc:
            fail(ExitCode.INVALID, f"invalid input: {exc}")

    async def work(client: Client) -> PendingPage:
        if levels == []:  # --mine and --level exclude each other: nothing to ask for
            return PendingPage(rows=[], total=0)
        now = datetime.now(UTC)
        if not show_all:
            return await soonest_due(client, levels, now, limit)
        rows = await all_pending(client, levels, now)
        return PendingPage(rows=rows, total=len(rows))

    page = run(work)
    rows = page.rows
    if as_json:
        print(json.dumps([row.model_dump(mode="json") for row in rows], indent=2), flush=True)
        return
    scope = ""
    if mine is not None:
        scope = f" that {mine} may approve"
    if level is not None:
        scope += f" at level {level}"
    complete = show_all or len(rows) < limit
    shown = f"{len(rows)} complaint(s)" if complete else f"The {len(rows)} due soonest of {page.total}"
    table = Table(title=f"{shown} waiting for a decision{scope}", title_justify="left")
    for column in ("id", "amount", "level", "owner", "priority", "category", "age", "due (UTC)"):
        table.add_column(column, no_wrap=True, justify="right" if column == "amount" else "left")
    for row in rows:
        due = Text(short(row.due))
        if row.overdue:
            due.append(" overdue", style="bold red")
        table.add_row(
            row.complaint_id,
            money(row.amount),
            row.level or "—",
            row.owner or "—",
            row.priority,
            row.category,
            row.age or "—",
            due,
        )
    console.print(table)
    if not rows:
        console.print("Nothing waiting for a decision.")

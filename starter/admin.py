"""`complaints admin …`: what staff do to a running complaint, and how they see it.

Every action is validated here first (exit 2 naming the field, nothing sent), then sent as a
workflow update; the workflow's validator may still refuse it (exit 1, reason verbatim).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from pydantic import BaseModel, TypeAdapter
from rich.console import Console
from rich.table import Table
from rich.text import Text
from temporalio.client import Client

from complaints.actions import (
    Amendment,
    Approval,
    ContactCorrection,
    CustomerMessage,
    Fault,
    Feedback,
    Findings,
    Inconvenience,
    InformationRequest,
    Note,
    OfferAnswer,
    OfferResponse,
    PayoutAction,
    PayoutResolution,
    Reassignment,
    Rejection,
    Reopen,
    Withdrawal,
)
from complaints.case import CaseStatus, TimelineEvent
from complaints.intake import ContactChannel
from complaints.rules import load_rules
from infra.settings import Settings
from starter._cli_common import EXIT_CODES_HELP, ExitCode, build, fail, run
from starter.admin_views import money, render_status, short, span
from starter.approval_queue import PendingApproval, pending_levels, pending_query, pending_row, quote, sort_by_due
from starter.client import WORKFLOW_TYPE, complaint_id_of, query_status, query_timeline, send_action
from workflows.search_attributes import (
    ASSIGNED_TO,
    COMPLAINT_CATEGORY,
    COMPLAINT_PRIORITY,
    COMPLAINT_STAGE,
    NEXT_DEADLINE,
    SLA_BREACHED,
)

admin = typer.Typer(
    help=f"Staff actions on running complaints, and what they look like now.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
)
# Piped output (logs, scripts) gets room for its tables instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)

ComplaintRef = Annotated[str, typer.Argument(help="Complaint id: C-1001 or complaint-C-1001.", show_default=False)]
Staff = Annotated[str, typer.Option("--by", help="Staff id of whoever does this.", show_default=False)]
OptionalStaff = Annotated[str | None, typer.Option("--by", help="Staff id recording it.", show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _act(reference: str, action: BaseModel) -> None:
    async def work(client: Client) -> str:
        return await send_action(client, reference, action)

    print(run(work), flush=True)


# --- looking -------------------------------------------------------------------------------


@admin.command()
def show(reference: ComplaintRef, as_json: AsJson = False) -> None:
    """Where a complaint stands: stage, what it waits for and until when, remedy, payout."""

    async def work(client: Client) -> CaseStatus:
        return await query_status(client, reference)

    status = run(work)
    if as_json:
        print(status.model_dump_json(indent=2), flush=True)
        return
    console.print(render_status(status))


@admin.command()
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


@admin.command()
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


@admin.command("list")
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


@admin.command()
def pending(
    mine: Annotated[
        str | None,
        typer.Option("--mine", metavar="STAFF", help="Only what this staff member may approve (their role's limit)."),
    ] = None,
    level: Annotated[
        str | None, typer.Option("--level", metavar="ROLE", help="Only complaints waiting at this approval level.")
    ] = None,
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
        levels = pending_levels(rules, mine=mine, level=level)

    async def work(client: Client) -> list[PendingApproval]:
        if levels == []:  # --mine and --level exclude each other: nothing to ask for
            return []
        now = datetime.now(UTC)
        return sort_by_due(
            [pending_row(execution, now) async for execution in client.list_workflows(pending_query(levels))]
        )

    rows = run(work)
    if as_json:
        print(json.dumps([row.model_dump(mode="json") for row in rows], indent=2), flush=True)
        return
    scope = ""
    if mine is not None:
        scope = f" that {mine} may approve"
    if level is not None:
        scope += f" at level {level}"
    table = Table(title=f"{len(rows)} complaint(s) waiting for a decision{scope}", title_justify="left")
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


# --- acting --------------------------------------------------------------------------------


@admin.command()
def findings(
    reference: ComplaintRef,
    by: Staff,
    severity: Annotated[int, typer.Option(help="1 (trivial) to 5 (severe).", show_default=False)],
    summary: Annotated[str, typer.Option(help="What happened.", show_default=False)],
    root_cause: Annotated[str, typer.Option(help="Why it happened.", show_default=False)],
    loss: Annotated[str | None, typer.Option(help="The customer's financial loss, e.g. 89.90.")] = None,
    recurring: Annotated[bool, typer.Option("--recurring", help="It has happened before.")] = False,
    not_upheld: Annotated[bool, typer.Option("--not-upheld", help="The complaint is not upheld.")] = False,
    fault: Annotated[Fault, typer.Option(help="Whose fault (for learning; the remedy is the same).")] = Fault.OURS,
    inconvenience: Annotated[Inconvenience, typer.Option(help="Time and trouble it cost.")] = Inconvenience.NONE,
    harm: Annotated[bool, typer.Option("--harm", help="It caused distress or lasting harm.")] = False,
    replace: Annotated[str | None, typer.Option(help="The item can be replaced: what it is.")] = None,
    replacement_cost: Annotated[str | None, typer.Option(help="What a new one costs us, e.g. 45.00.")] = None,
) -> None:
    """Submit the investigation's findings; the workflow then proposes a remedy."""
    if (replace is None) != (replacement_cost is None):
        fail(ExitCode.INVALID, "invalid input: replacement (--replace, --replacement-cost): give both or neither")
    action = build(
        Findings,
        {
            "submitted_by": by,
            "severity": severity,
            "summary": summary,
            "root_cause": root_cause,
            "financial_loss": loss,
            "recurring": recurring,
            "upheld": not not_upheld,
            "fault": fault,
            "inconvenience": inconvenience,
            "harm": harm,
            "replacement": {"item": replace, "cost": replacement_cost} if replace is not None else None,
        },
        {
            "submitted_by": "--by",
            "financial_loss": "--loss",
            "upheld": "--not-upheld",
            "replacement.item": "--replace",
            "replacement.cost": "--replacement-cost",
        },
    )
    _act(reference, action)


@admin.command()
def approve(
    reference: ComplaintRef,
    by: Staff,
    comment: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
) -> None:
    """Approve the proposed remedy (your approval limit must cover it)."""
    _act(reference, build(Approval, {"approver_id": by, "comment": comment}, {"approver_id": "--by"}))


@admin.command()
def reject(
    reference: ComplaintRef,
    by: Staff,
    reason: Annotated[str, typer.Option(help="Why; it goes back to review.", show_default=False)],
) -> None:
    """Reject the proposed remedy."""
    _act(reference, build(Rejection, {"approver_id": by, "reason": reason}, {"approver_id": "--by"}))


@admin.command()
def amend(
    reference: ComplaintRef,
    by: Staff,
    amount: Annotated[str, typer.Option(help="The amount to approve instead, e.g. 75.00.", show_default=False)],
    reason: Annotated[str, typer.Option(help="Why this amount.", show_default=False)],
) -> None:
    """Approve a different amount than proposed."""
    _act(
        reference,
        build(Amendment, {"approver_id": by, "amount": amount, "reason": reason}, {"approver_id": "--by"}),
    )


@admin.command("offer-response")
def offer_response(
    reference: ComplaintRef,
    answer: Annotated[OfferAnswer, typer.Argument(help="The customer's answer.", show_default=False)],
    reason: Annotated[str | None, typer.Option(help="The customer's reason (decline, counter).")] = None,
    amount: Annotated[str | None, typer.Option(help="The customer's counter-offer amount.")] = None,
    by: OptionalStaff = None,
) -> None:
    """Record the customer's answer to the offer (e.g. given by phone)."""
    action = build(
        OfferResponse,
        {"answer": answer, "reason": reason, "counter_amount": amount, "recorded_by": by},
        {"counter_amount": "--amount", "recorded_by": "--by"},
    )
    _act(reference, action)


@admin.command()
def payout(
    reference: ComplaintRef,
    action: Annotated[PayoutAction, typer.Argument(help="What to do about the refused payout.", show_default=False)],
    by: Staff,
    note: Annotated[str | None, typer.Option(help="What was fixed, or how the customer was paid.")] = None,
) -> None:
    """After the payment system refused a payout: retry it, or record it as settled elsewhere."""
    _act(reference, build(PayoutResolution, {"action": action, "by": by, "note": note or ""}, {}))


@admin.command()
def reopen(
    reference: ComplaintRef,
    reason: Annotated[str, typer.Option(help="Why the customer is not satisfied.", show_default=False)],
    by: OptionalStaff = None,
) -> None:
    """Reopen a resolved complaint (within the reopen window): back to investigation."""
    _act(reference, build(Reopen, {"reason": reason, "recorded_by": by}, {"recorded_by": "--by"}))


@admin.command()
def feedback(
    reference: ComplaintRef,
    csat: Annotated[int, typer.Option(help="Customer satisfaction, 1 to 5.", show_default=False)],
    comment: Annotated[str | None, typer.Option(help="The customer's comment.")] = None,
) -> None:
    """Record the customer's survey answer."""
    _act(reference, build(Feedback, {"csat": csat, "comment": comment}))


@admin.command()
def reassign(
    reference: ComplaintRef,
    to: Annotated[str, typer.Option("--to", help="Staff id of the new owner.", show_default=False)],
    brief: Annotated[str, typer.Option(help="Hand-over brief, so the customer never repeats anything.")],
    by: OptionalStaff = None,
) -> None:
    """Hand the complaint to someone else, with a brief."""
    _act(
        reference,
        build(Reassignment, {"to_staff_id": to, "brief": brief, "by": by}, {"to_staff_id": "--to", "by": "--by"}),
    )


@admin.command()
def note(
    reference: ComplaintRef,
    text: Annotated[str, typer.Argument(help="The note.", show_default=False)],
    by: Staff,
) -> None:
    """Add a note to the complaint's timeline."""
    _act(reference, build(Note, {"author": by, "text": text}, {"author": "--by"}))


@admin.command()
def withdraw(
    reference: ComplaintRef,
    reason: Annotated[str | None, typer.Option(help="Why it is withdrawn.")] = None,
    by: OptionalStaff = None,
) -> None:
    """Withdraw the complaint on the customer's behalf."""
    _act(reference, build(Withdrawal, {"reason": reason, "recorded_by": by}, {"recorded_by": "--by"}))


@admin.command()
def ask(
    reference: ComplaintRef,
    questions: Annotated[str, typer.Option(help="What we need from the customer (only what we don't have).")],
    by: Staff,
) -> None:
    """Ask the customer for information; the case clock pauses until they reply."""
    _act(reference, build(InformationRequest, {"by": by, "questions": questions}, {}))


@admin.command()
def message(
    reference: ComplaintRef,
    text: Annotated[str, typer.Argument(help="What the customer said, in their words.", show_default=False)],
    channel: Annotated[str, typer.Option(help="How it reached us (phone, letter, e-mail).")] = "phone",
    message_id: Annotated[str | None, typer.Option(help="An id, so recording it twice records it once.")] = None,
) -> None:
    """Record a message from the customer (for example a phone call): the owner is told."""
    _act(reference, build(CustomerMessage, {"text": text, "channel": channel, "message_id": message_id}, {}))


@admin.command()
def contact(
    reference: ComplaintRef,
    by: Staff,
    email: Annotated[str | None, typer.Option(help="The customer's corrected e-mail address.")] = None,
    channel: Annotated[
        ContactChannel | None, typer.Option(help="Or reach them another way: the owner delivers each message.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="How the address was checked.")] = None,
) -> None:
    """After our mail to the customer was refused: a corrected address, or another channel."""
    values = {"by": by, "email": email, "channel": channel, "note": note or ""}
    _act(reference, build(ContactCorrection, values, {"email": "--email", "channel": "--channel"}))


# --- rendering -----------------------------------------------------------------------------

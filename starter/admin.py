"""`complaints admin …`: what staff do to a running complaint, and how they see it.

Every action is validated here first (exit 2 naming the field, nothing sent), then sent as a
workflow update; the workflow's validator may still refuse it (exit 1, reason verbatim).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import typer
from pydantic import BaseModel, TypeAdapter
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from temporalio.client import Client, WorkflowExecution

from complaints.actions import (
    Amendment,
    Approval,
    Feedback,
    Findings,
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
from complaints.case import CaseStatus, Stage, TimelineEvent
from complaints.rules import CaseRules, load_rules
from complaints.search_attributes import (
    ASSIGNED_TO,
    AWAITING_APPROVAL_LEVEL,
    COMPENSATION_AMOUNT,
    COMPLAINT_CATEGORY,
    COMPLAINT_PRIORITY,
    COMPLAINT_STAGE,
    NEXT_DEADLINE,
)
from complaints.settings import Settings
from starter._cli_common import EXIT_CODES_HELP, ExitCode, build, fail, run
from starter.client import WORKFLOW_TYPE, complaint_id_of, query_status, query_timeline, send_action

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
        table.add_row(_short(event.at), event.kind, event.actor, event.detail)
    console.print(table)


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
        clauses.append(f"{COMPLAINT_STAGE.name} = {_quote(stage)}")
    if assigned_to:
        clauses.append(f"{ASSIGNED_TO.name} = {_quote(assigned_to)}")
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
                    _short(deadline),
                    _short(execution.start_time),
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


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- the approval queue --------------------------------------------------------------------


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
        f"WorkflowType = {_quote(WORKFLOW_TYPE)}",
        "ExecutionStatus = 'Running'",
        f"{COMPLAINT_STAGE.name} = {_quote(Stage.AWAITING_APPROVAL.value)}",
    ]
    if levels is not None:
        if len(levels) == 1:
            clauses.append(f"{AWAITING_APPROVAL_LEVEL.name} = {_quote(levels[0])}")
        else:
            clauses.append(f"{AWAITING_APPROVAL_LEVEL.name} IN ({', '.join(_quote(level) for level in levels)})")
    return " AND ".join(clauses)


def pending_levels(rules: CaseRules, *, mine: str | None, level: str | None) -> list[str] | None:
    """The approval levels to list (None: all), or exit 2 naming the option that is wrong."""
    role_names = [role.name for role in sorted(rules.roles, key=lambda r: r.approval_limit)]
    levels: list[str] | None = None
    if level is not None:
        if level not in role_names:
            fail(
                ExitCode.INVALID,
                f"invalid input: --level: unknown role {level!r}; the roles are: {', '.join(role_names)}",
            )
        levels = [level]
    if mine is not None:
        member = rules.staff_member(mine)
        if member is None:
            known = ", ".join(m.id for m in rules.staff)
            fail(ExitCode.INVALID, f"invalid input: --mine: unknown staff id {mine!r}; the staff are: {known}")
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


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def pending_row(execution: WorkflowExecution, now: datetime) -> PendingApproval:
    attributes = execution.typed_search_attributes
    amount = attributes.get(COMPENSATION_AMOUNT)
    received = _utc(execution.start_time)
    due = _utc(attributes.get(NEXT_DEADLINE))
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
        due = Text(_short(row.due))
        if row.overdue:
            due.append(" overdue", style="bold red")
        table.add_row(
            row.complaint_id,
            _money(row.amount),
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
) -> None:
    """Submit the investigation's findings; the workflow then proposes a remedy."""
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
        },
        {"submitted_by": "--by", "financial_loss": "--loss", "upheld": "--not-upheld"},
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


# --- rendering -----------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%a %d %b %Y %H:%M %Z").strip()


def _short(moment: datetime | None) -> str:
    """Compact UTC time for table columns."""
    if moment is None:
        return "—"
    return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m-%d %H:%M")


def _money(amount: Decimal | None, currency: str = "") -> str:
    return "—" if amount is None else f"{amount:.2f} {currency}".strip()


def _kv(title: str) -> Table:
    table = Table.grid(padding=(0, 2))
    table.title = title
    table.title_justify = "left"
    table.title_style = "bold"
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    return table


def render_status(status: CaseStatus) -> Panel:
    """The `show` screen: a summary grid, then one section per thing that has happened."""
    parts: list[Any] = []
    head = _kv("")
    head.add_row("stage", Text(str(status.stage), style="bold green" if status.stage.is_final else "bold yellow"))
    head.add_row("waiting for", status.waiting_for or "—")
    head.add_row("due", _when(status.due))
    head.add_row("owner", f"{status.owner_name} ({status.owner_id})")
    head.add_row("customer", f"{status.customer_name} <{status.customer_email}>")
    head.add_row("category / priority", f"{status.category} / {status.priority}")
    head.add_row("received", _when(status.received_at))
    if status.closed_at:
        head.add_row("closed", _when(status.closed_at))
    if status.continued_as_new:
        head.add_row("continued as new", str(status.continued_as_new))
    parts.append(head)

    if status.findings:
        f = status.findings
        section = _kv("\nFindings")
        section.add_row("by", f.submitted_by)
        section.add_row("severity", f"{f.severity}/5" + (" · recurring" if f.recurring else ""))
        section.add_row("upheld", "yes" if f.upheld else "no")
        section.add_row("summary", f.summary)
        section.add_row("root cause", f.root_cause)
        section.add_row("loss", _money(f.financial_loss))
        parts.append(section)

    if status.proposal:
        p = status.proposal
        items = Table(title=f"\nProposal v{p.version} (policy {p.policy_version})", title_justify="left")
        items.title_style = "bold"
        items.add_column("remedy")
        items.add_column("amount", justify="right", no_wrap=True)
        items.add_column("why")
        for item in p.items:
            items.add_row(item.kind, _money(item.amount, p.currency), item.reason)
        items.add_row(Text("total", style="bold"), Text(_money(p.total, p.currency), style="bold"), p.note)
        parts.append(items)
        approval = _kv("")
        approval.add_row("approval needed", p.approval_level or "none (auto-approved)")
        approval.add_row("approved by", status.approved_by or "—")
        parts.append(approval)

    if status.offer_response or status.offer_standing:
        section = _kv("\nOffer")
        if status.offer_response:
            r = status.offer_response
            section.add_row("answer", f"{r.answer} (recorded by {r.recorded_by})")
            if r.reason:
                section.add_row("reason", r.reason)
            if r.counter_amount is not None:
                section.add_row("counter-offer", _money(r.counter_amount))
        if status.offer_standing:
            section.add_row("standing", "no answer by the deadline: the offer stands")
        parts.append(section)

    if status.payouts:
        section = _kv("\nPayout" if len(status.payouts) == 1 else "\nPayouts")
        for pay in status.payouts:
            section.add_row("paid", f"{_money(pay.amount, pay.currency)} on {_when(pay.paid_at)}")
            section.add_row("ledger", f"#{pay.ledger_id} · key {pay.idempotency_key}")
        parts.append(section)

    if status.feedback:
        section = _kv("\nFeedback")
        section.add_row("CSAT", f"{status.feedback.csat}/5")
        if status.feedback.comment:
            section.add_row("comment", status.feedback.comment)
        parts.append(section)

    return Panel(Group(*parts), title=f"Complaint {status.complaint_id}", title_align="left", expand=False)

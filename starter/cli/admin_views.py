"""How `complaints admin` shows things to people: times, money and the `show` screen (rich)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from complaints.case import CaseStatus
from complaints.dates import as_utc, when


def short(moment: datetime | None) -> str:
    """Compact UTC time for table columns (the full form is `complaints.dates.when`)."""
    if moment is None:
        return "—"
    return as_utc(moment).strftime("%Y-%m-%d %H:%M")


def money(amount: Decimal | None, currency: str = "") -> str:
    return "—" if amount is None else f"{amount:.2f} {currency}".strip()


def kv(title: str) -> Table:
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
    head = kv("")
    head.add_row("stage", Text(str(status.stage), style="bold green" if status.stage.is_final else "bold yellow"))
    head.add_row("waiting for", status.waiting_for or "—")
    head.add_row("due", when(status.due))
    head.add_row("next deadline", when(status.next_deadline) + ("  [SLA breached]" if status.sla_breached else ""))
    head.add_row("owner", f"{status.owner_name} ({status.owner_id})")
    head.add_row("customer", f"{status.customer_name} <{status.customer_email}>")
    head.add_row("category / priority", f"{status.category} / {status.priority}")
    head.add_row("received", when(status.received_at))
    if status.closed_at:
        head.add_row("closed", when(status.closed_at))
    if status.continued_as_new:
        head.add_row("continued as new", str(status.continued_as_new))
    parts.append(head)

    if status.clocks or status.regulatory_deadlines:
        parts.append(clocks_table(status))

    if status.findings:
        f = status.findings
        section = kv("\nFindings")
        section.add_row("by", f.submitted_by)
        section.add_row("severity", f"{f.severity}/5" + (" · recurring" if f.recurring else ""))
        section.add_row("upheld", "yes" if f.upheld else "no")
        section.add_row("summary", f.summary)
        section.add_row("root cause", f"{f.root_cause_code}: {f.root_cause}" if f.root_cause_code else f.root_cause)
        section.add_row("loss", money(f.financial_loss))
        section.add_row("impact", f"inconvenience {f.inconvenience}" + (" · harm or distress" if f.harm else ""))
        section.add_row("fault", "ours" if f.fault == "ours" else "a third party's (ours to put right)")
        if f.replacement:
            section.add_row("replaceable", f"{f.replacement.item} (costs us {money(f.replacement.cost)})")
        parts.append(section)

    if status.proposal:
        p = status.proposal
        items = Table(title=f"\nProposal v{p.version} (policy {p.policy_version})", title_justify="left")
        items.title_style = "bold"
        items.add_column("remedy")
        items.add_column("amount", justify="right", no_wrap=True)
        items.add_column("why")
        for item in p.items:
            cost = "" if item.cost is None else f" [costs us {money(item.cost, p.currency)}]"
            items.add_row(item.kind.replace("_", " "), money(item.amount, p.currency), item.reason + cost)
        items.add_row(Text("total", style="bold"), Text(money(p.total, p.currency), style="bold"), p.note)
        parts.append(items)
        approval = kv("")
        approval.add_row("approval needed", p.approval_level or "none (auto-approved)")
        approval.add_row("approved by", status.approved_by or "—")
        parts.append(approval)

    if status.offer_response or status.offer_standing:
        section = kv("\nOffer")
        if status.offer_response:
            r = status.offer_response
            section.add_row("answer", f"{r.answer} (recorded by {r.recorded_by})")
            if r.reason:
                section.add_row("reason", r.reason)
            if r.counter_amount is not None:
                section.add_row("counter-offer", money(r.counter_amount))
        if status.offer_standing:
            section.add_row("standing", "no answer by the deadline: the offer stands")
        parts.append(section)

    if status.payouts:
        section = kv("\nPayout" if len(status.payouts) == 1 else "\nPayouts")
        for pay in status.payouts:
            section.add_row("paid", f"{money(pay.amount, pay.currency)} on {when(pay.paid_at)}")
            section.add_row("ledger", f"#{pay.ledger_id} · key {pay.idempotency_key}")
        parts.append(section)

    if status.feedback:
        section = kv("\nFeedback")
        section.add_row("CSAT", f"{status.feedback.csat}/5")
        if status.feedback.comment:
            section.add_row("comment", status.feedback.comment)
        parts.append(section)

    return Panel(Group(*parts), title=f"Complaint {status.complaint_id}", title_align="left", expand=False)


def span(value: timedelta, *, in_days: bool = True) -> str:
    """'2d 3h 15m', '-4h 0m' once overdue: how people speak of time left. Business time is
    counted in working hours (`in_days=False`): '25h 30m', not '1d 1h 30m'."""
    sign, seconds = ("-" if value < timedelta(0) else ""), abs(int(value.total_seconds()))
    days, rest = divmod(seconds, 86400) if in_days else (0, seconds)
    hours, minutes = rest // 3600, rest % 3600 // 60
    return f"{sign}{days}d {hours}h {minutes}m" if days else f"{sign}{hours}h {minutes}m"


def clocks_table(status: CaseStatus) -> Table:
    """Every SLA clock (target, elapsed, paused, remaining, status) and the regulator's deadlines."""
    table = Table(title="\nClocks", title_justify="left", title_style="bold")
    for column in ("clock", "target", "elapsed", "paused", "remaining", "deadline (UTC)", "status"):
        table.add_column(column, no_wrap=True)
    styles = {"breached": "bold red", "met": "green", "paused": "yellow"}
    for clock in status.clocks:
        measure, days = ("business", False) if clock.business else ("calendar", True)
        table.add_row(
            clock.kind.value.replace("_", " "),
            f"{span(clock.target, in_days=days)} {measure}",
            span(clock.elapsed, in_days=days),
            span(clock.paused, in_days=days),
            "—" if clock.stopped_at else span(clock.remaining, in_days=days),
            short(clock.deadline) if not clock.stopped_at else f"stopped {short(clock.stopped_at)}",
            Text(clock.status, style=styles.get(clock.status, "")),
        )
    for deadline in status.regulatory_deadlines:
        table.add_row(
            f"regulator: {deadline.name.replace('_', ' ')}", deadline.source, "", "", "", short(deadline.due), ""
        )
    return table

"""`complaints case-file ID` and `complaints purge`: the archive of closed cases, read without Temporal."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from complaints.case_file import CaseFile
from complaints.dates import as_utc
from complaints.dates import when as _when
from infra.settings import Settings
from starter.cli.common import AsJson, ExitCode, console, fail

if TYPE_CHECKING:  # SQLAlchemy is imported where a command reads the archive, not at every CLI start
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")
log = logging.getLogger("complaints.purge")


def _read(work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    # Here, not at the top: SQLAlchemy would add a fifth of a second to every other CLI command's start.
    from starter.client.archive_reading import ArchiveMissing, with_archive

    try:
        return asyncio.run(with_archive(Settings(), work))
    except ArchiveMissing as exc:
        fail(ExitCode.UNKNOWN_COMPLAINT, str(exc))


def case_file(
    reference: Annotated[str, typer.Argument(help="Complaint id (C-1001) or case id (complaint-C-1001).")],
    as_json: AsJson = False,
) -> None:
    """A closed case's whole file from the archive: it outlives Temporal's history."""
    from activities.archive import CaseArchive

    found = _read(lambda engine: CaseArchive(engine, log).read(reference))
    if found is None:
        fail(ExitCode.UNKNOWN_COMPLAINT, f"no case file for {reference}: the case is still open, or was never here")
    if as_json:
        print(found.model_dump_json(indent=2), flush=True)
        return
    console.print(render_case_file(found))


def purge(
    apply: Annotated[bool, typer.Option("--apply", help="Delete them. Without it, only list what would go.")] = False,
    as_of: Annotated[
        datetime | None, typer.Option(help="Purge as if today were this date (UTC).", show_default=False)
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Remove the case files past their retention (per regulatory profile; default three years). Dry run first."""
    from activities.archive import CaseArchive, ExpiredFile

    moment = as_utc(as_of) if as_of is not None else datetime.now(UTC)  # a date typed without a zone is UTC

    async def work(engine: AsyncEngine) -> list[ExpiredFile]:
        archive = CaseArchive(engine, log)
        return await (archive.purge(moment) if apply else archive.expired(moment))

    files = _read(work)
    if as_json:
        rows = [
            {"workflow_id": w, "complaint_id": c, "closed_at": str(d), "retain_until": str(r)} for w, c, d, r in files
        ]
        print(json.dumps({"applied": apply, "as_of": moment.isoformat(), "files": rows}, indent=2), flush=True)
        return
    verb = "purged" if apply else "would purge"
    table = Table(title=f"{verb} {len(files)} case file(s) past retention on {when(moment)}", title_justify="left")
    for column in ("case", "complaint", "closed", "kept until"):
        table.add_column(column)
    for workflow_id, complaint_id, closed_at, retain_until in files:
        table.add_row(workflow_id, complaint_id, when(closed_at), when(retain_until))
    console.print(table)
    if files and not apply:
        console.print("Nothing deleted: run again with --apply to delete them.")


def render_case_file(found: CaseFile) -> Group:
    money = f"{found.redress_paid:.2f} {found.currency}"
    facts = [
        ("complaint", f"{found.complaint_id} ({found.workflow_id})"),
        ("customer", f"{found.customer_name} <{found.customer_email}> ({found.customer_id}, {found.language})"),
        ("what", f"{found.category} · {found.product or 'no product'} · {found.priority} · via {found.channel}"),
        ("origin", found.origin + (f" · incident {found.incident_id}" if found.incident_id else "")),
        ("owner", f"{found.owner_id} · {found.team}"),
        ("outcome", f"{found.outcome} · upheld {_yes_no(found.upheld)} · fault {found.fault or '-'} · paid {money}"),
        ("root cause", f"{found.root_cause_code or '-'}: {found.root_cause or '-'}"),
        (
            "recurring",
            "yes" + (f" ({found.recurring_reason})" if found.recurring_reason else "") if found.recurring else "no",
        ),
        (
            "dates",
            f"received {when(found.received_at)} · resolved {when(found.resolved_at)} · closed {when(found.closed_at)}",
        ),
        ("feedback", f"CSAT {found.csat}: {found.csat_comment or '-'}" if found.csat else "no answer"),
        ("rules", f"{found.rules_version} · regulator {found.regulatory_profile or 'none'}"),
        ("kept until", when(found.retain_until)),
    ]
    head = Table.grid(padding=(0, 2))
    for name, value in facts:
        head.add_row(f"[bold]{name}[/]", value)
    parts: list[Panel | Table] = [Panel(head, title=f"Case file {found.complaint_id}", title_align="left")]
    parts.append(
        _table(
            "Timeline",
            ("when", "what", "who", "detail"),
            [(when(e.at), e.kind, e.actor, e.detail) for e in found.events],
        )
    )
    parts.append(
        _table(
            "Messages",
            ("when", "kind", "to", "subject", "status"),
            [(when(m.sent_at or m.created_at), m.kind, m.recipient, m.subject, m.status) for m in found.messages],
        )
    )
    parts.append(
        _table(
            "Findings",
            ("round", "by", "code", "severity", "upheld", "summary"),
            [
                (str(f.round), f.submitted_by, f.root_cause_code or "-", str(f.severity), _yes_no(f.upheld), f.summary)
                for f in found.findings
            ],
        )
    )
    parts.append(
        _table(
            "Proposals",
            ("version", "total", "level", "items"),
            [
                (
                    f"v{p.version}",
                    f"{p.total:.2f} {p.currency}",
                    p.approval_level or "auto",
                    "; ".join(f"{i.kind.value} {i.amount:.2f}: {i.reason}" for i in p.items) or "nothing",
                )
                for p in found.proposals
            ],
        )
    )
    parts.append(
        _table(
            "Decisions",
            ("when", "who", "decision", "limit", "detail"),
            [
                (
                    when(d.at),
                    d.decided_by + (f" ({d.role})" if d.role else ""),
                    d.decision,
                    f"{d.approval_limit:.2f}" if d.approval_limit is not None else "-",
                    d.detail,
                )
                for d in found.decisions
            ],
        )
    )
    parts.append(
        _table(
            "Payouts",
            ("paid", "amount", "key"),
            [(when(p.paid_at), f"{p.amount:.2f} {p.currency}", p.idempotency_key) for p in found.payouts],
        )
    )
    parts.append(
        _table(
            "Clocks and deadlines",
            ("clock", "target", "due", "finished", "result"),
            [
                (c.name, c.target, when(c.due_at), when(c.finished_at), _clock_result(c.met, c.late_seconds))
                for c in found.clocks
            ],
        )
    )
    return Group(*parts)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=f"{title} ({len(rows)})", title_justify="left", expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def when(moment: datetime | None) -> str:
    return "-" if moment is None else _when(moment)


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _clock_result(met: bool | None, late_seconds: int) -> str:
    if met is None:
        return "not finished"
    return "met" if met else f"breached, {late_seconds / 3600:.1f} h late"

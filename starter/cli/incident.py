"""`complaints incident …`: declare an incident, list its customers, approve, steer and close it.

    complaints incident declare FILE [--customers LIST] [--dry-run]
    complaints incident customers ID LIST --by STAFF [--dry-run]
    complaints incident approve ID --by STAFF
    complaints incident raise-budget ID AMOUNT --by STAFF --reason TEXT
    complaints incident pause|resume ID --by STAFF
    complaints incident amend ID SCHEME_FILE --by STAFF --reason TEXT
    complaints incident close ID --by STAFF --lessons TEXT --measures TEXT
    complaints incident show ID [--json] · complaints incident list [--json]

The list (CSV or JSON Lines) is read here: bad rows are reported by row, field and reason,
and the good rows go on. It is staged in the app database, never sent through Temporal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table
from temporalio.client import Client

from complaints.affected import AffectedList, read_affected_file
from complaints.incident import IncidentDeclaration
from complaints.incident_state import BudgetRaise, IncidentClose, IncidentPause, SchemeAmendment, SchemeApproval
from complaints.intake import InvalidInput, describe_validation_error
from complaints.scheme import Scheme, SchemeEstimate
from infra.settings import Settings
from starter.cli.common import AsJson, ExitCode, Staff, build, console, error, fail, run
from starter.client import RulesUnavailable, rules_for_intake

if TYPE_CHECKING:
    from starter.client import incidents as client_incidents_module


def _incidents() -> Any:
    """The client's incident functions, imported on first use: they bring SQLAlchemy and the workflows."""
    from starter.client import incidents

    return incidents


incident = typer.Typer(
    help="After an incident: compensate everyone it hit, within one approved budget.", no_args_is_help=True
)

IncidentRef = Annotated[str, typer.Argument(help="Incident id: INC-1 (or incident-INC-1).", show_default=False)]
ListFile = Annotated[Path, typer.Argument(metavar="LIST", help="Affected customers: a .csv or .jsonl file.")]


def _incident_id(reference: str) -> str:
    return reference.removeprefix("incident-")


def _read_model(path: Path, model: type[Any], what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(ExitCode.INVALID, f"invalid input: cannot read {path}: {exc}")
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        lines = describe_validation_error(exc).splitlines()
        fail(ExitCode.INVALID, "\n".join(f"invalid input: {what}: {line}" for line in lines))


def _read_list(path: Path) -> AffectedList:
    try:
        affected = read_affected_file(path)
    except ValueError as exc:
        fail(ExitCode.INVALID, f"invalid input: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        fail(ExitCode.INVALID, f"invalid input: cannot read {path}: {exc}")
    for problem in affected.problems:
        error(f"bad row: {problem}")
    for repeat in affected.repeats:
        error(f"listed twice: {repeat}")
    return affected


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        fail(ExitCode.INVALID, f"invalid settings: {exc}")


def _estimate_table(estimate: SchemeEstimate) -> Table:
    table = Table(title=f"Scheme v{estimate.scheme_version}: {estimate.eligible} of {estimate.affected} eligible")
    table.add_column("band")
    table.add_column("customers", justify="right")
    table.add_column(f"cost ({estimate.currency})", justify="right")
    for band in estimate.bands:
        table.add_row(band.band, str(band.customers), f"{band.amount:,.2f}")
    table.add_row("total", str(estimate.eligible), f"{estimate.total:,.2f}", style="bold")
    for rule, count in sorted(estimate.refused_by_rule.items()):
        table.add_row(f"refused by rule {rule}", str(count), "", style="dim")
    return table


def _print_estimate(estimate: SchemeEstimate, as_json: bool) -> None:
    if as_json:
        print(estimate.model_dump_json(indent=2), flush=True)
    else:
        console.print(_estimate_table(estimate))


@incident.command()
def declare(
    source: Annotated[Path, typer.Argument(metavar="FILE", help="The incident and its scheme (JSON).")],
    customers: Annotated[Path | None, typer.Option("--customers", help="The affected customers (.csv/.jsonl).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show eligibility and cost per band; send nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Declare an incident (declaring the same id again finds it); with --customers, list them too."""
    declaration: IncidentDeclaration = _read_model(source, IncidentDeclaration, "incident")
    settings = _settings()
    try:
        _incidents().check_declaration(declaration, rules_for_intake(settings.rules_file))
    except InvalidInput as exc:
        fail(ExitCode.INVALID, f"invalid input: incident: {exc}")
    except RulesUnavailable as exc:
        fail(ExitCode.FAILED, f"error: {exc}")
    affected = _read_list(customers) if customers is not None else None
    if dry_run:
        if affected is None:
            fail(ExitCode.INVALID, "invalid input: --dry-run needs --customers LIST to assess")
        _print_estimate(_incidents().dry_run(declaration, affected), as_json)
        return

    async def work(client: Client) -> tuple[client_incidents_module.Declared, client_incidents_module.Listing | None]:
        declared = await _incidents().declare(client, declaration, settings.task_queue)
        if affected is None:
            return declared, None
        listed = await _incidents().list_customers(
            client, settings.effective_database_url, declaration.id, affected, declaration.declared_by
        )
        return declared, listed

    declared, listed = run(work)
    _print_declared(declared, listed, as_json)


def _print_declared(
    declared: client_incidents_module.Declared, listed: client_incidents_module.Listing | None, as_json: bool
) -> None:
    if as_json:
        print(json.dumps({**declared.model_dump(), "listing": listed.model_dump() if listed else None}), flush=True)
        return
    print(f"{'declared' if declared.started else 'existing'} {declared.workflow_id}", flush=True)
    if listed is not None:
        _print_listing(listed)


def _print_listing(listed: client_incidents_module.Listing) -> None:
    print(
        f"listed {listed.added} customers ({listed.already_listed} listed before, "
        f"{len(listed.repeats)} repeats folded, {len(listed.problems)} bad rows)",
        flush=True,
    )


@incident.command()
def customers(
    reference: IncidentRef,
    source: ListFile,
    by: Staff,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show eligibility and cost per band; send nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Add affected customers to an incident (a customer listed again stays one row)."""
    affected = _read_list(source)
    settings = _settings()
    incident_id = _incident_id(reference)
    if dry_run:

        async def current(client: Client) -> IncidentDeclaration:
            declared: IncidentDeclaration = await _incidents().current_declaration(client, incident_id)
            return declared

        _print_estimate(_incidents().dry_run(run(current), affected), as_json)
        return

    async def work(client: Client) -> client_incidents_module.Listing:
        listed: client_incidents_module.Listing = await _incidents().list_customers(
            client, settings.effective_database_url, incident_id, affected, by
        )
        return listed

    listed = run(work)
    if as_json:
        print(listed.model_dump_json(), flush=True)
    else:
        _print_listing(listed)


def _act(reference: str, action: Any, *, resume: bool = False) -> None:
    async def work(client: Client) -> str:
        answer: str = await _incidents().act(client, _incident_id(reference), action, resume=resume)
        return answer

    print(run(work), flush=True)


@incident.command()
def approve(
    reference: IncidentRef, by: Staff, comment: Annotated[str, typer.Option(help="A comment for the record.")] = ""
) -> None:
    """Approve the scheme as a whole (not whoever declared it; the approver's limit must cover it)."""
    _act(reference, build(SchemeApproval, {"approver_id": by, "comment": comment}, {"approver_id": "--by"}))


@incident.command("raise-budget")
def raise_budget(
    reference: IncidentRef,
    amount: Annotated[str, typer.Argument(help="The new budget, e.g. 20000.00.")],
    by: Staff,
    reason: Annotated[str, typer.Option(help="Why more is needed.")],
) -> None:
    """Raise the incident's budget (four eyes; the approver's limit must cover the new budget)."""
    fields = {"approver_id": by, "budget": amount, "reason": reason}
    _act(reference, build(BudgetRaise, fields, {"approver_id": "--by", "budget": "AMOUNT", "reason": "--reason"}))


@incident.command()
def pause(reference: IncidentRef, by: Staff, reason: Annotated[str, typer.Option(help="Why.")] = "") -> None:
    """Pause the offers (cases already offered go on)."""
    _act(reference, build(IncidentPause, {"by": by, "reason": reason}))


@incident.command()
def resume(reference: IncidentRef, by: Staff, reason: Annotated[str, typer.Option(help="Why.")] = "") -> None:
    """Resume the offers."""
    _act(reference, build(IncidentPause, {"by": by, "reason": reason}), resume=True)


@incident.command()
def amend(
    reference: IncidentRef,
    source: Annotated[Path, typer.Argument(metavar="SCHEME_FILE", help="The new scheme version (JSON).")],
    by: Staff,
    reason: Annotated[str, typer.Option(help="Why the scheme changes.")],
) -> None:
    """A new scheme version, for the customers not offered yet (approved again if the total rises)."""
    scheme: Scheme = _read_model(source, Scheme, "scheme")
    _act(reference, build(SchemeAmendment, {"by": by, "scheme": scheme, "reason": reason}))


@incident.command()
def close(
    reference: IncidentRef,
    by: Staff,
    lessons: Annotated[str, typer.Option(help="What was learned.")],
    measures: Annotated[str, typer.Option(help="The preventive measures taken.")],
) -> None:
    """Close the incident with what was learned; its report is written to the app database."""
    fields = {"by": by, "lessons": lessons, "preventive_measures": measures}
    _act(reference, build(IncidentClose, fields, {"lessons": "--lessons", "preventive_measures": "--measures"}))


@incident.command()
def show(reference: IncidentRef, as_json: AsJson = False) -> None:
    """Affected, eligible, offered, accepted, declined, paid; the budget; time to payment."""
    settings = _settings()
    incident_id = _incident_id(reference)

    async def work(client: Client) -> tuple[Any, Any]:
        summary = await _incidents().summary(client, incident_id)
        return summary, await _incidents().figures(settings.effective_database_url, incident_id)

    summary, figures = run(work)
    if as_json:
        data = {
            "summary": summary.model_dump(mode="json"),
            "figures": figures.model_dump(mode="json") if figures else None,
        }
        print(json.dumps(data, indent=2), flush=True)
        return
    table = Table(title=f"{summary.incident_id}: {summary.title}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows: list[tuple[str, str]] = [
        ("stage", f"{summary.stage.value}: waiting for {summary.waiting_for}"),
        (
            "scheme",
            f"v{summary.scheme_version}, approved {summary.approved_total:,.2f} by {summary.approved_by or '-'}",
        ),
    ]
    if figures is not None:
        counts = figures.by_status
        rows += [
            ("affected", str(figures.affected)),
            ("eligible", str(figures.eligible)),
            ("offered", str(summary.offered)),
            ("accepted", str(counts["accepted"] + counts["paid"])),
            ("declined", str(counts["declined"])),
            ("paid", str(counts["paid"])),
            ("open cases", str(figures.open_cases)),
            ("budget", f"{figures.budget:,.2f} {figures.currency}"),
            ("reserved", f"{figures.reserved:,.2f}"),
            ("paid out", f"{figures.paid:,.2f}"),
            ("remaining", f"{figures.remaining:,.2f}"),
            ("time to payment", f"p50 {_days(figures.days_to_payment_p50)}, p90 {_days(figures.days_to_payment_p90)}"),
        ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} days"


@incident.command("list")
def list_incidents(as_json: AsJson = False) -> None:
    """Every incident, newest first, with its budget and what is committed against it."""
    settings = _settings()

    async def work(_: Client) -> Any:
        return await _incidents().listing(settings.effective_database_url)

    found = run(work)
    if as_json:
        print(json.dumps([entry.model_dump(mode="json") for entry in found], indent=2), flush=True)
        return
    table = Table()
    for column in ("incident", "title", "status", "declared", "budget", "committed"):
        table.add_column(column)
    for entry in found:
        table.add_row(
            entry.incident_id,
            entry.title,
            entry.status,
            entry.declared_at.strftime("%Y-%m-%d %H:%M"),
            f"{entry.budget:,.2f} {entry.currency}",
            f"{entry.committed:,.2f}",
        )
    console.print(table)

"""`complaints admin doctor`: every case that is not moving, and why.

The same examination the scheduled check runs (activities/doctor.py), from visibility and
the app database. Exit 0 when nothing is stuck, 1 when something is (for monitoring scripts).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from temporalio.client import Client

from complaints.dates import when
from complaints.stuck import StuckCase
from infra.settings import Settings
from starter.cli.common import AsJson, ExitCode, run

doctoring = typer.Typer()


@doctoring.command()
def doctor(
    as_json: AsJson = False,
    attempts: Annotated[
        int | None, typer.Option(min=1, help="Report activities and mail past this many attempts.")
    ] = None,
) -> None:
    """Cases not moving: failing workflow tasks, retries past N attempts, passed deadlines, needs attention."""
    # Here, not at the top: SQLAlchemy would add a fifth of a second to every other CLI command's start.
    from activities.db import make_engine
    from activities.doctor import CaseDoctor, DoctorLimits

    settings = Settings()
    limits = DoctorLimits(attempts=attempts or settings.doctor_attempts, grace=settings.doctor_grace)

    async def work(client: Client) -> list[StuckCase]:
        engine = make_engine(settings.effective_database_url)
        try:
            return await CaseDoctor(client, engine, limits).examine(datetime.now(UTC))
        finally:
            await engine.dispose()

    cases = run(work)
    if as_json:
        print(json.dumps([case.model_dump(mode="json") for case in cases], indent=2), flush=True)
    else:
        _print_table(cases)
    if cases:
        raise typer.Exit(int(ExitCode.REFUSED))


def _print_table(cases: list[StuckCase]) -> None:
    if not cases:
        print("Every open case is moving.", flush=True)
        return
    table = Table(title=f"{len(cases)} finding(s): cases not moving", title_justify="left")
    for column in ("case", "problem", "since", "why"):
        table.add_column(column, overflow="fold")
    for case in cases:
        table.add_row(case.workflow_id, case.problem.value, when(case.since), case.why)
    Console(width=200).print(table)
